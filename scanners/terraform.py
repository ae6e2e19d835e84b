"""The Terraform source: `terraform show -json` of a plan (or of a state) -> inventory.

Plan JSON (format_version 1.x) holds what will exist after apply: ``resource_changes[].change``
with ``after`` and ``after_unknown`` (values known only after apply), ``planned_values`` and
``prior_state`` (with data sources), and ``configuration`` — the expressions, whose
``references`` tell which resource configures which when ids are not known yet, and the
provider blocks that give each resource its region and account.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.scanners import Scanner
from dsscan.scanners.iac.resources import COMPUTED, UNTIL_APPLY, IacResource

_AWS = re.compile(r"(^|/)aws$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _load(path: str) -> dict[str, Any]:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: cannot read Terraform plan ({e.strerror or e})") from None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{p}: not JSON: write the plan with 'terraform show -json PLAN > "
                         f"{p.name}'") from None
    if not isinstance(doc, dict) or "format_version" not in doc or not (
            "resource_changes" in doc or "planned_values" in doc or "values" in doc):
        raise InputError(f"{p}: not Terraform plan or state JSON (no format_version and "
                         "planned_values/resource_changes): write it with 'terraform show "
                         "-json PLAN'")
    return doc


def read_plan(path: str) -> list[IacResource]:
    """The AWS resources a plan (or state) describes, in planned form."""
    doc = _load(path)
    config = _Config(doc)
    out: list[IacResource] = []
    seen: set[str] = set()
    for rc in doc.get("resource_changes") or []:
        if not isinstance(rc, dict) or not _is_aws(rc.get("provider_name")):
            continue
        change = rc.get("change") or {}
        actions = change.get("actions") or []
        action = _action(actions)
        values = change.get("before") if action == "delete" else change.get("after")
        if not isinstance(values, dict):
            values = {}
        values = _merge_unknown(values, change.get("after_unknown") if action != "delete"
                                else None)
        address = rc["address"]
        seen.add(address)
        if rc.get("mode") == "data":
            address = address if address.startswith(("data.", "module.")) else f"data.{address}"
        out.append(config.resource(address, rc, values, action, path))
    # Resources without a change record: a state (`terraform show -json` of a state) and
    # data sources read during planning.
    for mod in (_modules((doc.get("planned_values") or doc.get("values") or {})
                         .get("root_module")) +
                _modules(((doc.get("prior_state") or {}).get("values") or {})
                         .get("root_module"))):
        for r in mod.get("resources") or []:
            if not isinstance(r, dict) or r.get("address") in seen:
                continue
            if not _is_aws(r.get("provider_name")):
                continue
            seen.add(r["address"])
            values = r.get("values") if isinstance(r.get("values"), dict) else {}
            out.append(config.resource(r["address"], r, values,
                                       None if "resource_changes" not in doc else "no-op", path))
    return out


def _action(actions: list[str]) -> str:
    if actions == ["no-op"]:
        return "no-op"
    if "create" in actions and "delete" in actions:
        return "replace"
    return actions[0] if actions else "no-op"


def _is_aws(provider: Any) -> bool:
    return isinstance(provider, str) and bool(_AWS.search(provider))


def _modules(root: Any) -> list[dict[str, Any]]:
    if not isinstance(root, dict):
        return []
    out = [root]
    for child in root.get("child_modules") or []:
        out += _modules(child)
    return out


def _merge_unknown(values: Any, unknown: Any) -> Any:
    """Put UNTIL_APPLY wherever ``after_unknown`` says a value is only known after apply."""
    if unknown is True:
        return UNTIL_APPLY
    if isinstance(unknown, dict):
        base = dict(values) if isinstance(values, dict) else {}
        for k, u in unknown.items():
            base[k] = _merge_unknown(base.get(k), u)
        return base
    if isinstance(unknown, list):
        base_l = list(values) if isinstance(values, list) else []
        base_l += [None] * (len(unknown) - len(base_l))
        return [_merge_unknown(v, u) for v, u in zip(base_l, unknown, strict=False)]
    return values


class _Config:
    """The configuration block: references per resource, providers' region and account."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.variables = {k: (v or {}).get("value")
                          for k, v in (doc.get("variables") or {}).items()}
        cfg = doc.get("configuration") or {}
        self.providers = cfg.get("provider_config") or {}
        self.refs: dict[str, dict[str, list[str]]] = {}
        self.provider_key: dict[str, str] = {}
        self.exprs: dict[str, dict[str, Any]] = {}
        self._walk(cfg.get("root_module") or {}, "")

    def _walk(self, module: dict[str, Any], prefix: str) -> None:
        for r in module.get("resources") or []:
            if not isinstance(r, dict) or "address" not in r:
                continue
            addr = f"{prefix}{r['address']}"
            refs: dict[str, list[str]] = {}
            _collect_refs(r.get("expressions") or {}, "", refs, prefix)
            self.refs[addr] = refs
            self.exprs[addr] = r.get("expressions") or {}
            if r.get("provider_config_key"):
                self.provider_key[addr] = r["provider_config_key"]
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self._walk(call.get("module") or {}, f"{prefix}module.{name}.")

    def _provider(self, address: str, r: dict[str, Any]) -> dict[str, Any]:
        key = self.provider_key.get(_config_address(address))
        if key and key in self.providers:
            return self.providers[key]
        name = (r.get("provider_name") or "").rsplit("/", 1)[-1]
        return self.providers.get(name) or {}

    def _const(self, expr: Any) -> Any:
        if not isinstance(expr, dict):
            return None
        if "constant_value" in expr:
            return expr["constant_value"]
        for ref in expr.get("references") or []:
            if ref.startswith("var."):
                return self.variables.get(ref[4:].split(".")[0])
        return None

    def resource(self, address: str, r: dict[str, Any], values: dict[str, Any],
                 action: str | None, file: str) -> IacResource:
        prov = (self._provider(address, r).get("expressions") or {})
        region = self._const(prov.get("region"))
        account = None
        allowed = self._const(prov.get("allowed_account_ids"))
        if isinstance(allowed, list) and len(allowed) == 1 and _ACCOUNT.match(str(allowed[0])):
            account = str(allowed[0])
        role = prov.get("assume_role")
        if account is None and isinstance(role, list) and role:
            arn = self._const((role[0] or {}).get("role_arn"))
            if isinstance(arn, str) and arn.count(":") >= 5:
                account = arn.split(":")[4] or None
        # Unknown and not in the configuration: the provider computes it (a default).
        cfg_exprs = self.exprs.get(_config_address(address))
        if cfg_exprs is not None:
            values = {k: (COMPUTED if v is UNTIL_APPLY and k not in cfg_exprs else v)
                      for k, v in values.items()}
        # A resource's own region argument (provider v6 "enhanced region") wins.
        if isinstance(values.get("region"), str):
            region = values["region"]
        return IacResource(
            address=address, type=r.get("type", ""), name=r.get("name", address),
            values=values, refs=self.refs.get(_config_address(address), {}),
            region=region if isinstance(region, str) else None, account=account,
            action=action, file=file, tool="terraform",
            parent=address.rsplit(".", 2)[0] if address.startswith("module.") else None)


def _config_address(address: str) -> str:
    """module.m["a"].aws_s3_bucket.b[0] -> module.m.aws_s3_bucket.b (configuration address)."""
    return re.sub(r"\[[^\]]*\]", "", address)


def _collect_refs(exprs: Any, path: str, out: dict[str, list[str]], prefix: str) -> None:
    """Attribute path (block indexes dropped) -> resource addresses its expression names."""
    if isinstance(exprs, list):
        for item in exprs:
            _collect_refs(item, path, out, prefix)
        return
    if not isinstance(exprs, dict):
        return
    if "references" in exprs and isinstance(exprs["references"], list):
        addrs = [a for ref in exprs["references"] if (a := _resource_of(ref, prefix))]
        if addrs:
            got = out.setdefault(path, [])
            got += [a for a in dict.fromkeys(addrs) if a not in got]
        return
    for k, v in exprs.items():
        if k in ("constant_value",):
            continue
        _collect_refs(v, f"{path}.{k}" if path else k, out, prefix)


def _resource_of(ref: str, prefix: str) -> str | None:
    """aws_kms_key.k.arn -> aws_kms_key.k; data.aws_kms_alias.s3.arn -> data.aws_kms_alias.s3;
    var./local./each./count./path. names no resource."""
    parts = _config_address(ref).split(".")
    if parts[0] in ("var", "local", "each", "count", "path", "self", "terraform"):
        return None
    if parts[0] == "module":
        return None  # module outputs: the module's resources are matched by value
    if parts[0] == "data" and len(parts) >= 3:
        return f"{prefix}data.{parts[1]}.{parts[2]}"
    if len(parts) >= 2:
        return f"{prefix}{parts[0]}.{parts[1]}"
    return None


def collect(plans: tuple[str, ...]) -> Any:
    from dsscan.inventory import merge
    from dsscan.scanners.iac.mapping import build_inventory

    return merge([build_inventory(read_plan(p), tool="terraform", files=[p]) for p in plans])


def _params() -> list[Any]:
    import click

    return [click.Argument(["plans"], nargs=-1, required=True,
                           type=click.Path(dir_okay=False), metavar="PLAN_JSON...")]


SCANNER = Scanner(
    name="terraform",
    summary="Terraform plan JSON (terraform show -json PLAN): a pre-deployment gate.",
    help="""Evaluate a Terraform plan before it is applied.

Reads `terraform show -json` output of a plan (or of a state): the planned values, what is
known only after apply, and the configuration's references (which resource configures which).
AWS resources are mapped to the same inventory as a live scan, so the same policy gives the
same verdict. A fact a policy needs that is unknown until apply is reported as not assessed
(exit 3), never as a pass. Findings point at the Terraform address and the plan file.

\b
Examples:
  terraform plan -out tfplan && terraform show -json tfplan > plan.json
  dsscan scan terraform plan.json
  dsscan scan terraform plan.json -f sarif -o dsscan.sarif --fail-on high
""",
    collect=collect,
    params=_params,
)
