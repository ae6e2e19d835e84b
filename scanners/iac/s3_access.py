"""Who can reach a bucket's data: its public access blocks (its own, and its account's),
bucket policies, ACLs (canned ACLs and grants) and access points — judged as the live
scanner judges them (``scanners/aws/policydoc``).

* **ACL grants.** A grant to the ``AllUsers`` or ``AuthenticatedUsers`` group
  (``aws_s3_bucket_acl.access_control_policy.grant[].grantee``, the legacy inline ``grant``
  blocks, a ``public-read``/``public-read-write``/``authenticated-read`` canned ACL) is a
  public ACL, neutralised only by ``IgnorePublicAcls``. A grant that cannot be read is not
  assessed.
* **Several resources, one setting.** A block setting counts as on only if every resource
  that configures it sets it on (AWS keeps the last one applied, which the plan does not
  tell); the bucket is public if any of its policies or ACLs is.
* **The account's block** (``aws_s3_account_public_access_block``) covers the buckets of its
  own account only, in every region. Its account is the resource's ``account_id``, else its
  provider's (``allowed_account_ids``/``assume_role``); where an account is not known, a block
  covers the buckets managed through the same provider configuration (one configuration is
  one account) and no other.
* **Access points** (``aws_s3_access_point``, ``aws_s3control_access_point_policy``) open the
  bucket's data to whoever their policy lets in, unless the access point's own block (all
  four settings on unless configured: AWS's default for access points) or its account's block
  restricts public policies. A public access point makes its bucket public; an access point
  policy that is not known leaves the bucket not assessed.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.policydoc import ALL_USERS, judge
from dsscan.scanners.aws.readers import policy_readers
from dsscan.scanners.aws.transport import denies_plaintext
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.sharing import documents_readers
from dsscan.scanners.iac.values import as_bool, as_json, as_str, get

Asset = dict[str, Any]
Tri = bool | None

PAB_ATTRS = {"BlockPublicAcls": "block_public_acls", "IgnorePublicAcls": "ignore_public_acls",
             "BlockPublicPolicy": "block_public_policy",
             "RestrictPublicBuckets": "restrict_public_buckets"}
PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")
# The public access block became the default of new buckets in April 2023 (rolled out by
# the end of the month): a bucket a stack created after that got it.
PAB_DEFAULT_SINCE = "2023-05-01"
_GROUPS = tuple(u.rsplit("/", 1)[-1] for u in ALL_USERS)  # AllUsers, AuthenticatedUsers


def created_new(r: IacResource) -> bool:
    """Created by this plan/preview, or (an export) created since the PAB default. An
    imported resource existed before (its ``created`` is when the stack imported it)."""
    if r.imported:
        return False
    if r.action in ("create", "replace"):
        return True
    return r.action is None and isinstance(r.created, str) and r.created >= PAB_DEFAULT_SINCE


def _all(values: list[Tri]) -> Tri:
    """On only if every one is on; off if any is off; else unknown."""
    if False in values:
        return False
    return None if None in values else True


def _any(values: list[Tri]) -> Tri:
    if True in values:
        return True
    return None if None in values else False


def _tri(v: Any) -> Tri:
    b = as_bool(configured(v))
    return None if is_unknown(b) else b is True


def grant_public(grant: dict[str, Any], *, split: bool) -> Tri:
    """One ACL grant: to the AllUsers/AuthenticatedUsers group (public), to anyone else (not),
    or unknown. ``split``: an ``aws_s3_bucket_acl`` grant (its grantee is a nested block);
    else a legacy inline ``grant`` of the bucket."""
    who = get(grant, "grantee") if split else grant
    if is_unknown(who) or not isinstance(who, dict | list):
        return None
    gtype, uri = get(who, "type"), get(who, "uri")
    if is_unknown(gtype) or (gtype == "Group" and not isinstance(uri, str)):
        return None
    if gtype != "Group":
        return False if isinstance(gtype, str) else None
    return uri.rstrip("/").rsplit("/", 1)[-1] in _GROUPS and "/groups/global/" in uri


def grants_public(grants: Any, *, split: bool) -> Tri:
    if is_unknown(grants):
        return None
    return _any([grant_public(g, split=split) for g in grants or []])


def _account(x: IacResource) -> str | None:
    """The account a resource is in: its own ``account_id`` argument, else its provider's."""
    return as_str(configured(x.values.get("account_id"))) or x.account


def _exposed(grant: Tri, block: Tri) -> Tri:
    """A public grant exposes the data unless the block setting that neutralises it is on
    (then even an unknown grant exposes nothing)."""
    if block is True or grant is False:
        return False
    return True if grant is True and block is False else None


class BucketAccessMapping:
    """Mixed into mapping.Mapper (through s3.BucketMapping)."""

    plan: Any
    gap: Any
    gap_text: Any
    linked: Any
    _inline: Any

    # -- the account's block
    @staticmethod
    def _same_account(x: IacResource, r: IacResource) -> bool:
        """Whether ``x`` (an account-wide setting) is in ``r``'s account: the accounts when
        both are known, else the provider configuration (one configuration, one account)."""
        ax, ar = _account(x), _account(r)
        if ax and ar:
            return ax == ar
        return x.provider is not None and x.provider == r.provider and (ax is None
                                                                       or ar is None)

    def account_pab(self, r: IacResource) -> dict[str, Tri]:
        """The account-wide block of ``r``'s account, as the plan manages it: per setting
        on (every such resource sets it), off, or unknown; {} when the plan has none."""
        mine = [x for x in self.plan.of_type("aws_s3_account_public_access_block")
                if not x.data and self._same_account(x, r)]
        if not mine:
            return {}
        return {k: _all([_tri(x.values.get(attr)) for x in mine])
                for k, attr in PAB_ATTRS.items()}

    # -- the bucket
    def bucket_access(self, a: Asset, r: IacResource, parts: dict[str, list[IacResource]],
                      unsure: dict[str, str]) -> None:
        access: dict[str, Any] = {"public": None, "wildcard_principal": None,
                                  "public_access_block": None,
                                  "secure_transport_required": None}
        a["access"] = access
        account = self.account_pab(r)
        own: dict[str, Tri] = {}
        if parts["pab"]:
            for k, attr in PAB_ATTRS.items():
                values = [as_bool(configured(p.values.get(attr))) for p in parts["pab"]]
                for v in values:
                    if is_unknown(v):
                        self.gap(a, "access", attr, v)
                own[k] = _all([None if is_unknown(v) else v is True for v in values])
        elif created_new(r):
            own = dict.fromkeys(PAB_ATTRS, True)
            a["attributes"]["public_access_block"] = "AWS default for new buckets"
        elif not all(account.get(k) is True for k in PAB_ATTRS):
            # An existing bucket without a block resource: what it was given outside the
            # plan (or before new buckets were blocked by default) is not known.
            self.gap_text(a, "access", "the bucket's public access block is not managed here: "
                                       "it cannot be told from the plan or state")
            own = dict.fromkeys(PAB_ATTRS)
        if "pab" in unsure:  # another block may be this bucket's: any setting may be off
            own = {k: False if own.get(k) is False else None for k in PAB_ATTRS}
        effective = {k: True if account.get(k) is True else own.get(k) for k in PAB_ATTRS}
        access["public_access_block"] = _all(list(effective.values()))
        policy_public = self._bucket_policies(a, r, parts["policy"], "policy" in unsure)
        acl_public = self._bucket_acls(a, r, parts["acl"], "acl" in unsure)
        points = self.access_points(a, r)
        access["public"] = _any([_exposed(policy_public, effective["RestrictPublicBuckets"]),
                                 _exposed(acl_public, effective["IgnorePublicAcls"]), *points])

    def _bucket_policies(self, a: Asset, r: IacResource, split: list[IacResource],
                         unsure: bool) -> Tri:
        """Whether the bucket's policy is public: any of the documents that may be it."""
        access = a["access"]
        docs = [p.values.get("policy") for p in split]
        inline = self._inline(r, "policy", bool(split))
        if inline is not None:
            docs.append(inline)
        publics: list[Tri] = []
        wildcards: list[Tri] = []
        secure: list[Tri] = []
        access["readers"] = documents_readers(docs, "s3", unsure)  # DS-SHR-001/002
        for raw in docs:
            if is_unknown(raw):
                self.gap(a, "access", "the bucket policy", raw)
                publics.append(None)
                wildcards.append(None)
                secure.append(None)
                continue
            doc = as_json(raw)
            if doc is None:
                self.gap_text(a, "access", "the bucket policy is not a JSON policy document")
                publics.append(None)
                wildcards.append(None)
                secure.append(None)
                continue
            verdict = judge(doc, "s3")
            publics.append(verdict.public)
            wildcards.append(verdict.wildcard_principal)
            secure.append(denies_plaintext(doc, "s3"))
            if verdict.public is None:
                self.gap_text(a, "access", "the bucket policy could not be judged: "
                                           f"{verdict.reasons[0]}")
        if unsure:  # another policy may be this bucket's
            publics.append(None)
            wildcards.append(None)
            secure.append(None)
        access["wildcard_principal"] = _any(wildcards)
        access["secure_transport_required"] = _all(secure) if secure else False
        return _any(publics)

    def _bucket_acls(self, a: Asset, r: IacResource, split: list[IacResource],
                     unsure: bool) -> Tri:
        """Whether any ACL that may be the bucket's is public: the split resources' canned
        ACL or grants, the bucket's own ``acl`` and ``grant`` arguments."""
        sources: list[tuple[Any, Any, bool]] = [  # (canned ACL, grants, split?)
            (configured(x.values.get("acl")),
             get(configured(x.values.get("access_control_policy")), "grant"), True)
            for x in split]
        sources.append((self._inline(r, "acl", bool(split)),
                        self._inline(r, "grant", bool(split)), False))
        verdicts: list[Tri] = [None] if unsure else []
        for acl, grants, is_split in sources:
            if is_unknown(acl):
                self.gap(a, "access", "the bucket ACL", acl)
                verdicts.append(None)
            elif acl is not None:
                verdicts.append(as_str(acl) in PUBLIC_CANNED)
            if grants is None:
                continue
            v = grants_public(grants, split=is_split)
            if v is None:
                self.gap_text(a, "access", "not assessed until apply: a grant of the bucket ACL "
                                           "is not known before apply")
            verdicts.append(v)
        return _any(verdicts)

    # -- access points
    def access_points(self, a: Asset, bucket: IacResource) -> list[Tri]:
        """How each access point of the bucket exposes its data (``attributes
        .access_points``); an access point that may be this bucket's and may be public
        leaves the bucket not assessed."""
        hits, unsure = self.linked(
            a, bucket, ("aws_s3_access_point",), ("bucket",), aspect="access",
            what="open the data of {target} through an access point",
            weakens=lambda ap: self._access_point(ap)[0] is not False)
        out: list[Tri] = [None] * len(unsure)
        listed = []
        # [READ-AP] (scanners/aws/readers.py) whom the access points' policies let read: one
        # that may be this bucket's, or a policy not known, leaves the readers unknown
        readers = a["access"].get("readers")
        maybe = [m for m in self.plan.maybe_pointing_at(bucket, ("aws_s3_access_point",),
                                                        ("bucket",)) if m not in hits]
        if any(self._access_point_readers(m) != [] for m in maybe):
            readers = None
        for ap in hits:
            got = self._access_point_readers(ap)
            readers = None if got is None or not isinstance(readers, list) else \
                [*readers, *got]
        a["access"]["readers"] = readers
        for ap in hits:
            public, why = self._access_point(ap)
            for reason in why:
                self.gap_text(a, "access", reason)
            out.append(public)
            listed.append({"id": ap.address,
                           "name": as_str(ap.values.get("name")) or ap.name, "public": public})
        if listed:
            a["attributes"]["access_points"] = listed
        return out

    def _access_point_readers(self, ap: IacResource) -> list[dict[str, Any]] | None:
        """Whom an access point's policies let read the bucket (readers.py's [READ-AP]);
        None when a policy may be its own but is not known before apply."""
        label = as_str(ap.values.get("name")) or ap.address
        split = self.plan.pointing_at(ap, ("aws_s3control_access_point_policy",),
                                      ("access_point_arn",))
        if self.plan.maybe_pointing_at(ap, ("aws_s3control_access_point_policy",),
                                       ("access_point_arn",)):
            return None
        docs = [p.values.get("policy") for p in split]
        inline = self._inline(ap, "policy", bool(split))
        if inline is not None:
            docs.append(inline)
        out: list[dict[str, Any]] = []
        for raw in docs:
            doc = None if is_unknown(raw) else as_json(raw)
            got = policy_readers(doc, "s3", f"access point {label} policy") \
                if doc is not None else None
            if got is None:
                return None
            out.extend(got)
        return out

    def _access_point(self, ap: IacResource) -> tuple[Tri, list[str]]:
        """(public?, why not known) for one access point: its policies judged as S3 policies,
        restricted by its own block and its account's."""
        label = as_str(ap.values.get("name")) or ap.address
        why: list[str] = []
        split, maybe = self.plan.pointing_at(
            ap, ("aws_s3control_access_point_policy",), ("access_point_arn",)), \
            self.plan.maybe_pointing_at(ap, ("aws_s3control_access_point_policy",),
                                        ("access_point_arn",))
        docs = [p.values.get("policy") for p in split]
        inline = self._inline(ap, "policy", bool(split))
        if inline is not None:
            docs.append(inline)
        publics: list[Tri] = [None] if maybe else []
        if maybe:
            why.append(f"not assessed until apply: {maybe[0].address} may be the policy of "
                       f"access point {label}; which access point it is for is not known "
                       "before apply")
        for raw in docs:
            doc = None if is_unknown(raw) else as_json(raw)
            verdict = judge(doc, "s3") if doc is not None else None
            publics.append(verdict.public if verdict else None)
            if verdict is None or verdict.public is None:
                why.append(f"not assessed until apply: the policy of access point {label} is "
                           "not known before apply" if is_unknown(raw) else
                           f"the policy of access point {label} could not be judged")
        cfg = configured(ap.values.get("public_access_block_configuration"))
        if is_unknown(cfg):
            restrict: Tri = None
        elif cfg:  # configured: unset settings are on (the provider's default)
            v = as_bool(configured(get(cfg, "restrict_public_buckets")))
            restrict = None if is_unknown(v) else v is not False
        else:  # AWS turns all four on for a new access point
            restrict = True
        if self.account_pab(ap).get("RestrictPublicBuckets") is True:
            restrict = True
        public = _exposed(_any(publics), restrict)
        if restrict is None and public is None:
            why.append(f"not assessed until apply: the public access block of access point "
                       f"{label} is not known before apply")
        return public, (why if public is None else [])

