"""A plan's resources indexed for following references: by address (and by configuration
address, for count/for_each instances in modules), by identifying value (id, ARN, name), and
reverse ("what points at this").

A reference names a configuration address (``module.m.aws_s3_bucket.b``), possibly with a
static index (``aws_s3_bucket.b[1]``); the plan holds instances (``module.m["a"].aws_s3_bucket
.b[0]``). The instance a reference means is the one in the same module instance as the
resource that refers to it. A reference whose index is an expression
(``aws_s3_bucket.b[var.i]``: Terraform lists only ``aws_s3_bucket.b`` and ``var.i``) reaches
the plan as ``aws_s3_bucket.b[?]``: any instance. Only an index that is the referring
resource's own key (``count.index``, ``each.key``, or ``each.value`` of a ``for_each`` over
the instances) is ``aws_s3_bucket.b[@self]``: the instance with that key (or the module
instance's). When the planned value names its target (``bucket = "bank-data-1"``), the value
decides before any of these rules.

When that does not single one out, the reference is ambiguous: it links nothing, and what it
might configure is reported (:meth:`Plan.maybe_pointing_at`, also for a reference that is
unknown and names nothing in the plan, e.g. through a ``local``) so the mapping can say "not
assessed" rather than assume the resource is not configured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.values import get

Target = IacResource | str | Unknown | None

# Index markers of references whose index is an expression (see the module docstring).
SELF_KEY = "@self"
ANY_KEY = "?"

# The attribute naming each type's resource in references by value.
_NAME_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_s3_bucket": ("bucket",), "aws_db_instance": ("identifier",),
    "aws_rds_cluster": ("cluster_identifier",), "aws_db_subnet_group": ("name",),
    "aws_dynamodb_table": ("name",), "aws_redshift_cluster": ("cluster_identifier",),
    "aws_redshift_subnet_group": ("name",), "aws_elasticache_replication_group":
        ("replication_group_id",), "aws_elasticache_subnet_group": ("name",),
    "aws_backup_vault": ("name",), "aws_backup_plan": ("name",),
    "aws_kms_alias": ("name", "target_key_arn"), "aws_kms_key": ("key_id",),
    "aws_kms_replica_key": ("key_id",), "aws_kms_external_key": ("key_id",),
    "aws_kms_replica_external_key": ("key_id",),
    "aws_security_group": ("name",),
    "aws_neptune_cluster": ("cluster_identifier",), "aws_neptune_subnet_group": ("name",),
    "aws_docdb_cluster": ("cluster_identifier",), "aws_docdb_subnet_group": ("name",),
    "aws_opensearch_domain": ("domain_name",), "aws_elasticsearch_domain": ("domain_name",),
    "aws_elasticache_cluster": ("cluster_id",), "aws_launch_template": ("name",),
    # DS-TRN-001: parameter groups named by their name
    "aws_db_parameter_group": ("name",), "aws_rds_cluster_parameter_group": ("name",),
    "aws_redshift_parameter_group": ("name",),
    # DS-IAM-001: principals by name, managed policies by ARN
    "aws_iam_role": ("name",), "aws_iam_user": ("name",), "aws_iam_group": ("name",),
    "aws_iam_policy": ("arn",),
}


class Plan:
    """The resources of one input, indexed for following references."""

    def __init__(self, resources: Iterable[IacResource]) -> None:
        self.all = [r for r in resources if r.action != "delete"]
        self.by_address = {r.address: r for r in self.all}
        self.by_type: dict[str, list[IacResource]] = defaultdict(list)
        self.by_value: dict[str, list[IacResource]] = defaultdict(list)
        # Configuration address (every instance key dropped) -> its instances.
        self.by_config: dict[str, list[IacResource]] = defaultdict(list)
        self._pointing: dict[tuple[Any, ...], tuple[dict[str, list[IacResource]],
                                                    dict[str, list[IacResource]],
                                                    list[IacResource]]] = {}
        for r in self.all:
            self.by_type[r.type].append(r)
            if r.tool == "terraform":
                self.by_config[config_address(r.address)].append(r)
            for attr in ("id", "arn", *_NAME_ATTRS.get(r.type, ())):
                v = r.values.get(attr)
                if isinstance(v, str) and v:
                    self.by_value[v].append(r)

    def of_type(self, *types: str) -> list[IacResource]:
        return [r for t in types for r in self.by_type.get(t, ())]

    def resolve(self, address: str) -> list[IacResource]:
        """The instances a reference names: ``aws_s3_bucket.b`` -> every instance,
        ``aws_s3_bucket.b[1]`` -> that one (in every instance of its module),
        ``module.m["a"].aws_s3_bucket.b`` -> those of that module instance."""
        if address in self.by_address:
            return [self.by_address[address]]
        cands = self.by_config.get(config_address(address), [])
        if "[" not in address:
            return cands
        mods, key = instance_keys(address)
        key = None if key in (SELF_KEY, ANY_KEY) else key

        def fits(c: IacResource) -> bool:
            c_mods, c_key = instance_keys(c.address)
            return (key is None or c_key == key) and all(
                k is None or ck == k for (_, k), (_, ck) in zip(mods, c_mods, strict=False))

        return [c for c in cands if fits(c)]

    def refs_of(self, r: IacResource, path: str) -> list[str]:
        top = path.split(".", 1)[0]
        for key in (path, top, top + "s", top.removesuffix("s")):
            if key in r.refs:
                return r.refs[key]
        return []

    def candidates(self, r: IacResource, path: str, types: tuple[str, ...]) -> list[IacResource]:
        """Every instance of ``types`` the references of ``r``'s attribute may mean."""
        return list(dict.fromkeys(x for a in self.refs_of(r, path) for x in self.resolve(a)
                                  if x.type in types and x is not r))

    def meant(self, r: IacResource, path: str, types: tuple[str, ...]) -> list[IacResource]:
        """The instances ``r``'s attribute means by the instance rules (:func:`same_instance`,
        per reference: only a ``[@self]`` reference is narrowed by ``r``'s own key)."""
        out: list[IacResource] = []
        for a in self.refs_of(r, path):
            got = [x for x in self.resolve(a) if x.type in types and x is not r]
            if len(got) > 1:
                got = same_instance(r, got, own_key=instance_keys(a)[1] == SELF_KEY)
            out += got
        return list(dict.fromkeys(out))

    def ref(self, r: IacResource, path: str, *types: str) -> Target:
        """What ``r``'s attribute refers to: a planned resource of one of ``types``, else the
        literal value (something outside the plan), Unknown, or None when not set (also when
        the references are ambiguous and the value is not known)."""
        value = get(r.values, path)
        if value is None and path.split(".", 1)[0] in r.values:
            return None  # set to null: an expression that names something, but gave nothing
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else value
        hit = self._by_refs(r, path, types, value)
        if hit is not None:
            return hit
        if isinstance(value, str) and value:
            return self.find_by_value(value, types) or value
        return value if is_unknown(value) else None

    def refs_list(self, r: IacResource, path: str, *types: str) -> tuple[list[Target], bool]:
        """Every resource a list attribute refers to; ``True`` second when some elements are
        unknown and no reference tells what they are."""
        value = configured(get(r.values, path))  # not configured: none (the defaults)
        refs = self.candidates(r, path, types)
        if len(refs) > 1:  # one instance per module instance: the one beside ``r``
            refs = same_instance(r, refs, strict=False)
        if is_unknown(value):
            return list(refs), not refs
        if not isinstance(value, list):
            return [], False
        out: list[Target] = []
        missing = 0
        for v in value:
            if isinstance(v, str) and v:
                out.append(self.find_by_value(v, types) or v)
            else:
                missing += 1
        if missing:  # unknown elements: the resources the configuration refers to
            out += [x for x in refs if x not in out]
        return list(dict.fromkeys(out)), missing > len(refs)

    def _by_refs(self, r: IacResource, path: str, types: tuple[str, ...],
                 value: Any) -> IacResource | None:
        if isinstance(value, str) and value:
            # The planned value names its target: it decides before any instance rule.
            cands = self.candidates(r, path, types)
            exact = [x for x in cands if value in identities(x)]
            if len(exact) == 1:
                return exact[0]
            if cands and all(_known_id(x) for x in cands) and not exact:
                return None  # none of them: something outside the plan
        cands = self.meant(r, path, types)
        return cands[0] if len(cands) == 1 else None

    def find_by_value(self, value: str, types: tuple[str, ...]) -> IacResource | None:
        for x in self.by_value.get(value, ()):
            if x.type in types:
                return x
        return None

    def _index(self, target_type: str, types: tuple[str, ...], paths: tuple[str, ...]) -> tuple[
            dict[str, list[IacResource]], dict[str, list[IacResource]], list[IacResource]]:
        """(target address -> resources pointing at it, target address -> resources that may
        point at it, resources that may point at any target of the type)."""
        key = (types, paths, target_type)
        if key not in self._pointing:
            hits: dict[str, list[IacResource]] = defaultdict(list)
            maybe: dict[str, list[IacResource]] = defaultdict(list)
            anywhere: list[IacResource] = []
            for r in self.of_type(*types):
                if r.data:  # a data source reads, it configures nothing
                    continue
                for p in paths:
                    raw = get(r.values, p)
                    if is_unknown(raw) and configured(raw) is None:
                        continue  # not configured: the provider computes it
                    t = self.ref(r, p, target_type)
                    if isinstance(t, IacResource):
                        hits[t.address].append(r)
                        break
                    if not is_unknown(t):
                        continue  # a value naming something outside the plan
                    cands = self.candidates(r, p, (target_type,))
                    if cands:  # several instances could be meant
                        for c in same_instance(r, cands, strict=False):
                            maybe[c.address].append(r)
                    elif not any(self.resolve(x) for x in self.refs_of(r, p)):
                        # unknown, and no reference in the plan tells what it names (a
                        # local, a variable): it could be any of them
                        anywhere.append(r)
                    break
            self._pointing[key] = (hits, maybe, anywhere)
        return self._pointing[key]

    def pointing_at(self, target: IacResource, types: tuple[str, ...],
                    paths: tuple[str, ...]) -> list[IacResource]:
        """The resources of ``types`` whose attribute (one of ``paths``) refers to ``target``
        (indexed on first use: plans hold thousands of configuration resources)."""
        return self._index(target.type, types, paths)[0].get(target.address, [])

    def maybe_pointing_at(self, target: IacResource, types: tuple[str, ...],
                          paths: tuple[str, ...]) -> list[IacResource]:
        """The resources of ``types`` that may refer to ``target``: which instance they mean is
        ambiguous, or their attribute is unknown and no reference tells what it names."""
        _, maybe, anywhere = self._index(target.type, types, paths)
        return [*maybe.get(target.address, []), *anywhere]


def identities(r: IacResource) -> set[str]:
    """The values that name ``r`` in another resource's attribute: id, ARN, name."""
    return {v for attr in ("id", "arn", *_NAME_ATTRS.get(r.type, ()))
            if isinstance(v := r.values.get(attr), str) and v}


def _known_id(r: IacResource) -> bool:
    return isinstance(r.values.get("id"), str) and bool(r.values["id"])


# -- Terraform addresses ---------------------------------------------------------------------

def address_tokens(address: str) -> list[tuple[str, str | None]]:
    """``module.m["a.b"].aws_s3_bucket.b[0]`` -> [("module", None), ("m", '"a.b"'),
    ("aws_s3_bucket", None), ("b", "0")]: dot-separated names, each with its index (keys may
    hold dots and brackets inside quotes)."""
    out: list[tuple[str, str | None]] = []
    name, key, i, n = "", None, 0, len(address)
    while i < n:
        ch = address[i]
        if ch == ".":
            out.append((name, key))
            name, key = "", None
        elif ch == "[":
            j, quoted = i + 1, False
            while j < n and (quoted or address[j] != "]"):
                if address[j] == "\\" and quoted:
                    j += 1
                elif address[j] == '"':
                    quoted = not quoted
                j += 1
            key = address[i + 1:j]
            i = j
        else:
            name += ch
        i += 1
    out.append((name, key))
    return out


def config_address(address: str) -> str:
    """module.m["a"].aws_s3_bucket.b[0] -> module.m.aws_s3_bucket.b (configuration address)."""
    if "[" not in address:
        return address
    return ".".join(name for name, _ in address_tokens(address))


def instance_keys(address: str) -> tuple[list[tuple[str, str | None]], str | None]:
    """(module instances [(call name, key)], the resource's own count/for_each key)."""
    toks = address_tokens(address)
    modules: list[tuple[str, str | None]] = []
    i = 0
    while i + 1 < len(toks) and toks[i][0] == "module":
        modules.append(toks[i + 1])
        i += 2
    return modules, toks[-1][1] if len(toks) > i else None


def same_instance(r: IacResource, cands: list[IacResource], *,
                  strict: bool = True, own_key: bool = True) -> list[IacResource]:
    """The candidates that ``r`` (a Terraform resource) means: never one in another instance
    of a module call ``r`` is in; among the rest, the one in ``r``'s own module instance, and
    (``own_key``: the reference's index is ``r``'s own key) the one with ``r``'s
    count/for_each key, or whose key is the key of ``r``'s module instance (a for_each over
    the same map). ``strict``: narrow to one where the rules allow."""
    if r.tool != "terraform":
        return cands
    r_mods, r_key = instance_keys(r.address)

    def compatible(c: IacResource) -> bool:
        for (n1, k1), (n2, k2) in zip(r_mods, instance_keys(c.address)[0], strict=False):
            if n1 != n2:
                return True
            if k1 != k2:
                return False
        return True

    cands = [c for c in cands if compatible(c)]
    if not strict:
        return cands
    r_last = {k for k in (r_key, r_mods[-1][1] if r_mods else None) if k is not None}
    rules = [lambda c: instance_keys(c.address)[0] == r_mods]
    if own_key:
        rules += [lambda c: r_key is not None and instance_keys(c.address)[1] == r_key,
                  lambda c: bool(r_last & _last_keys(c.address))]
    for keep in rules:
        if len(cands) <= 1:
            break
        narrowed = [c for c in cands if keep(c)]
        cands = narrowed or cands
    return cands


def _last_keys(address: str) -> set[str]:
    mods, key = instance_keys(address)
    return {k for k in (key, mods[-1][1] if mods else None) if k is not None}
