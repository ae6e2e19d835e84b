"""A plan's resources indexed for following references: by address (and count/for_each
base address), by identifying value (id, ARN, name), and reverse ("what points at this")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from dsscan.scanners.iac.resources import IacResource, Unknown, is_unknown
from dsscan.scanners.iac.values import get

Target = IacResource | str | Unknown | None

# The attribute naming each type's resource in references by value.
_NAME_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_s3_bucket": ("bucket",), "aws_db_instance": ("identifier",),
    "aws_rds_cluster": ("cluster_identifier",), "aws_db_subnet_group": ("name",),
    "aws_dynamodb_table": ("name",), "aws_redshift_cluster": ("cluster_identifier",),
    "aws_redshift_subnet_group": ("name",), "aws_elasticache_replication_group":
        ("replication_group_id",), "aws_elasticache_subnet_group": ("name",),
    "aws_backup_vault": ("name",), "aws_backup_plan": ("name",), "aws_kms_alias": ("name",),
    "aws_kms_key": ("key_id",), "aws_security_group": ("name",),
}


class Plan:
    """The resources of one input, indexed for following references."""

    def __init__(self, resources: Iterable[IacResource]) -> None:
        self.all = [r for r in resources if r.action != "delete"]
        self.by_address = {r.address: r for r in self.all}
        self.by_type: dict[str, list[IacResource]] = defaultdict(list)
        self.by_value: dict[str, list[IacResource]] = defaultdict(list)
        # A Terraform reference names the configuration address; count/for_each instances
        # carry an index ([0], ["a"]).
        self.by_base: dict[str, list[IacResource]] = defaultdict(list)
        self._pointing: dict[tuple[Any, ...], dict[str, list[IacResource]]] = {}
        for r in self.all:
            self.by_type[r.type].append(r)
            self.by_base[_base_address(r.address)].append(r)
            for attr in ("id", "arn", *_NAME_ATTRS.get(r.type, ())):
                v = r.values.get(attr)
                if isinstance(v, str) and v:
                    self.by_value[v].append(r)

    def of_type(self, *types: str) -> list[IacResource]:
        return [r for t in types for r in self.by_type.get(t, ())]

    def resolve(self, address: str) -> list[IacResource]:
        if address in self.by_address:
            return [self.by_address[address]]
        return self.by_base.get(address, [])

    def refs_of(self, r: IacResource, path: str) -> list[str]:
        top = path.split(".", 1)[0]
        for key in (path, top, top + "s", top.removesuffix("s")):
            if key in r.refs:
                return r.refs[key]
        return []

    def ref(self, r: IacResource, path: str, *types: str) -> Target:
        """What ``r``'s attribute refers to: a planned resource of one of ``types``, else the
        literal value (something outside the plan), Unknown, or None when not set."""
        value = get(r.values, path)
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
        value = get(r.values, path)
        refs = list(dict.fromkeys(
            x for a in self.refs_of(r, path) for x in self.resolve(a) if x.type in types))
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
        cands = [x for a in self.refs_of(r, path) for x in self.resolve(a) if x.type in types]
        if len(cands) > 1 and isinstance(value, str):
            exact = [x for x in cands if value in (x.values.get("id"), x.values.get("arn"))]
            cands = exact or cands
        if len(cands) > 1:
            same = [x for x in cands if _index(x.address) == _index(r.address)]
            cands = same or cands
        return cands[0] if cands else None

    def find_by_value(self, value: str, types: tuple[str, ...]) -> IacResource | None:
        for x in self.by_value.get(value, ()):
            if x.type in types:
                return x
        return None

    def pointing_at(self, target: IacResource, types: tuple[str, ...],
                    paths: tuple[str, ...]) -> list[IacResource]:
        """The resources of ``types`` whose attribute (one of ``paths``) refers to ``target``
        (indexed on first use: plans hold thousands of configuration resources)."""
        key = (types, paths, target.type)
        index = self._pointing.get(key)
        if index is None:
            index = defaultdict(list)
            for r in self.of_type(*types):
                for p in paths:
                    t = self.ref(r, p, target.type)
                    if isinstance(t, IacResource):
                        index[t.address].append(r)
                        break
            self._pointing[key] = index
        return index.get(target.address, [])


def _base_address(address: str) -> str:
    """aws_s3_bucket.b[0] -> aws_s3_bucket.b (module paths keep their own indexes)."""
    return address[:address.rindex("[")] if address.endswith("]") and "[" in address else address


def _index(address: str) -> str | None:
    return address[address.rindex("["):] if address.endswith("]") and "[" in address else None
