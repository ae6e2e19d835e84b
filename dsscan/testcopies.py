"""Production data reaching a test environment by copy (Art. 48; DS-TST-004): the
``ctx.copies_to_test`` of a production store that owes protection at sensitive or above,
resolved in Python so that the policy needs no join.

Network isolation is not enough: a copy carries the data across it. The copy paths read:

* **snapshot copy / backup copy / replication**: a snapshot, recovery point or replica of the
  store (``backup.backup_of``, ``replica_of``: the relation index's copies) whose own
  environment is a test one (``test_environments``);
* **snapshot share**: each account in a snapshot's ``access.shared_with``, its environment
  from the ``accounts`` map (``Config.accounts[id].environment``); an AMI (a ``snapshot``
  with ``attributes.resource_type: "ami"``) shared with an organisation or OU (a reader with
  ``org``) reaches accounts whose environments cannot be told: unknown;
* **replication** to a bucket not in the inventory (``attributes.replication_targets``);
* **backup copy** (an AWS Backup copy rule: ``copy_to`` entries with ``via: backup copy``) and
  **dms task** (``via: dms task``): the destination vault or target endpoint — its inventory
  asset when there is one, else what its name, account and tags tell.

Which environment a target is in is dsscan's one resolution (dsscan/classify.py: tags, the
accounts map, name patterns — the catalogue for inventory assets); a target outside the
inventory is classified by the same code from what is known of it (no catalogue). A copy the
resolution leaves ``unknown`` is listed with ``target_environment: null`` (not assessed,
never a pass) — unless it is kept in the store's own account, which is the store's place, not
another environment. A ``snapshot share`` with ``all`` reaches every account: unknown too.

An entry is ``{"via", "copy", "name", "target_environment", "desensitized"}``; only copies
whose target is a test environment or unknown are listed (a copy into production or staging is
not this policy's concern). ``desensitized``: the copy (or, for a copy rule or task, the rule's
own tags or its target) carries a desensitization record (DS-TST-003's
``desensitization_tag_keys`` or catalogue attribute; a copy of a desensitized store inherits
its record). ``ctx.copies_to_test`` is ``null`` when a path could not be read and no copy
read fails already (a snapshot
whose sharing was not read: ``access.public`` null, or ``access.readers`` null — accounts known
only after apply —; ``copy_to: null``). A public snapshot is shared with ``all``.

Only production stores owing sensitive protection or above get the field (like
``ctx.protects`` on keys): the policy input of a large estate does not grow by empty lists.
"""

from __future__ import annotations

from typing import Any

from dsscan.config import Config
from dsscan.copies import bucket_name, strs, sub
from dsscan.levels import means_no_record

Asset = dict[str, Any]

STORE_KINDS = frozenset(("object_store", "database", "table", "file_system", "cache",
                         "warehouse", "volume"))
VIA_OF_RELATION = {"snapshot": "snapshot copy", "backup": "backup copy", "replica": "replication"}
COPY_TO_VIAS = ("backup copy", "dms task")


def _env(a: Asset) -> str:
    e = a.get("environment")
    v = e.get("value") if isinstance(e, dict) else None
    return v if isinstance(v, str) else "unknown"


def _record(a: Asset) -> bool:
    d = a.get("desensitization")
    r = d.get("record") if isinstance(d, dict) else None
    return isinstance(r, str) and not means_no_record(r)


def _arn_account(ref: str) -> str | None:
    parts = ref.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def _tail(ref: str) -> str:
    return ref.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


class _Outside:
    """Environment and record of targets that are not inventory assets, classified by
    dsscan.classify on a stand-in record (its name, account and tags), once each."""

    def __init__(self, config: Config, catalogue: Any = None) -> None:
        self.config = config
        self.catalogue = catalogue
        self.pending: dict[tuple[Any, ...], Asset] = {}

    def ask(self, ref: str, name: str | None, account: str | None,
            tags: dict[str, Any] | None) -> Asset:
        tags = {k: v for k, v in (tags or {}).items() if isinstance(k, str) and isinstance(v, str)}
        key = (ref, name, account, tuple(sorted(tags.items())))
        if key not in self.pending:
            self.pending[key] = {"id": ref, "kind": "backup_vault", "name": name or _tail(ref),
                                 "account": account, "tags": tags}
        return self.pending[key]

    def resolve(self) -> None:
        if self.pending:
            from dsscan.classify import classify

            classify(list(self.pending.values()), self.config, self.catalogue)


def attach(assets: list[Asset], config: Config, copies: dict[str, list[tuple[str, Asset]]],
           by_id: dict[str, Asset], catalogue: Any = None) -> None:
    """Set ``ctx.copies_to_test`` on every production store owing sensitive or above."""
    tests = frozenset(config.test_environments)
    outside = _Outside(config, catalogue)
    named: dict[str, list[Asset]] = {}
    for b in assets:
        if b.get("kind") == "object_store" and isinstance(b.get("name"), str):
            named.setdefault(b["name"], []).append(b)
    buckets = {n: bs[0] for n, bs in named.items() if len(bs) == 1}
    # (store ctx, [(via, copy, name, target asset or stand-in, desensitized-by-rule)], unread)
    plans: list[tuple[dict[str, Any], Asset, list[tuple[str, str, str, Asset | str, bool]],
                      bool]] = []
    for a in assets:
        ctx = a.get("ctx")
        if (a.get("kind") not in STORE_KINDS or not isinstance(ctx, dict)
                or not ctx.get("production") or ctx.get("protect_rank", 0) < 2):
            continue
        paths: list[tuple[str, str, str, Asset | str, bool]] = []
        unread = False
        for rel, b in copies.get(a["id"], ()):
            name = b.get("name") or b["id"]
            paths.append((VIA_OF_RELATION.get(rel, "snapshot copy"), b["id"], name, b, False))
            if b.get("kind") == "snapshot":
                access = b.get("access")
                access = access if isinstance(access, dict) else {}
                shared = strs(access.get("shared_with"))
                public = access.get("public")
                # Collectors write shared_with [] with public null until the sharing is read
                # (scanners/aws/rds.py): an empty list alone is not "shared with nobody"; nor
                # is a list beside public null (whether everyone may restore it is unknown),
                # nor one whose readers are unknown (IaC: shared_accounts, or a create-volume
                # permission's account, known only after apply; dsscan.sharerel's reading).
                # The accounts listed are judged all the same (a known share into test fails).
                if not isinstance(public, bool) or (
                        "readers" in access and not isinstance(access["readers"], list)):
                    unread = True
                if public is True and "all" not in shared:
                    shared.append("all")  # public: every account, test ones too
                for acct in shared:
                    # The account's environment: the accounts map, or a catalogue rule
                    # matching the account (a stand-in of that account, nothing else known).
                    who: Asset | str = (f"account:{acct}" if acct == "all" or acct == a.get(
                        "account") else outside.ask(f"account:{acct}", acct, acct, None))
                    paths.append(("snapshot share", acct, name, who, _record(b)))
                # An AMI shared with an organisation or OU (its readers, scanners/aws/ebs.py):
                # every account of it, test ones perhaps: which cannot be told (not assessed).
                for r in access.get("readers") or ():
                    if isinstance(r, dict) and isinstance(r.get("org"), str):
                        paths.append(("snapshot share", str(r.get("principal")), name,
                                      f"account:{r['org']}", _record(b)))
        for t in strs(sub(a, "attributes").get("replication_targets")):
            # An inventory bucket (by id, else by its globally unique name): a replica copy
            # above when it names this store in replica_of (sweep.link, the IaC mapping);
            # else — an inventory written by hand, a link not made — judged here, never
            # skipped on the assumption that the relation holds it.
            dest = by_id.get(t) or buckets.get(bucket_name(t) or "")
            if dest is not None:
                if a["id"] not in strs(dest.get("replica_of")):
                    paths.append(("replication", dest["id"], dest.get("name") or dest["id"],
                                  dest, False))
                continue
            target = outside.ask(t, _tail(t), _arn_account(t), None)
            paths.append(("replication", t, _tail(t), target, False))
        copy_to = a.get("copy_to", [])
        if copy_to is None:
            unread = True
        for c in copy_to or ():
            if not isinstance(c, dict) or not isinstance(c.get("target"), str):
                unread = True
                continue
            via = c.get("via") if c.get("via") in COPY_TO_VIAS else "backup copy"
            ref = c["target"]
            by_rule = outside.ask(f"{ref}#rule", c.get("by"), None, c.get("tags"))
            # A DMS endpoint's ARN names the task's account, not where the data lands.
            account = c.get("account") if via == "dms task" else (
                c.get("account") or _arn_account(ref))
            target = by_id.get(ref) or outside.ask(ref, c.get("name"), account,
                                                   c.get("target_tags"))
            paths.append((via, ref, c.get("name") or _tail(ref), target, by_rule))  # type: ignore[arg-type]
        plans.append((ctx, a, paths, unread))
    outside.resolve()

    for ctx, a, paths, unread in plans:
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        for via, copy, name, target, by_rule in paths:
            env, desensitized = _judge(a, target, by_rule, config)
            if env is not None and env not in tests:
                continue
            if (via, copy, name) in seen:  # two snapshots shared with one account: two
                continue
            seen.add((via, copy, name))
            out.append({"via": via, "copy": copy, "name": name, "target_environment": env,
                        "desensitized": desensitized})
        # A path not read leaves the answer unknown (null), unless a copy read already fails:
        # that finding stands (the store fails whatever the unread path holds).
        if unread and not any(e["target_environment"] and not e["desensitized"] for e in out):
            ctx["copies_to_test"] = None
            continue
        ctx["copies_to_test"] = sorted(out, key=lambda e: (e["via"], e["copy"], e["name"]))


def _judge(store: Asset, target: Asset | str, by_rule: Any, config: Config
           ) -> tuple[str | None, bool]:
    """(environment of the copy's target, or None when it cannot be told; desensitized)."""
    if isinstance(target, str):  # "account:all", or the store's own account
        acct = target.split(":", 1)[1]
        # Shared within its own account: the same place; with everyone: any account.
        return ("production" if acct == store.get("account") else None), bool(by_rule)
    if target["id"].startswith("account:"):  # a snapshot shared with another account
        env = _env(target)
        return (None if env == "unknown" else env), bool(by_rule)
    desensitized = _record(target) or (isinstance(by_rule, dict) and _record(by_rule))
    env = _env(target)
    if env == "unknown":
        acct, own = target.get("account"), store.get("account")
        # Kept in the store's own account: the store's place, not another environment.
        env = "production" if acct and own and acct == own else None
    return env, desensitized
