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
from collections import Counter
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.scanners import Scanner
from dsscan.scanners.iac.plan import ANY_KEY, SELF_KEY, address_tokens, config_address
from dsscan.scanners.iac.resources import IacResource
from dsscan.scanners.iac.tf_unknowns import NOT_COMPUTED, mark_computed, merge_unknown
from dsscan.wording import count

# hashicorp/aws: the provider's address (Terraform 0.13+: registry.terraform.io/hashicorp/aws)
# or, in Terraform 0.12, the provider configuration that manages it ("aws", "aws.eu").
_AWS = re.compile(r"(^|/)aws(\.[A-Za-z0-9_-]+)?$")
_ACCOUNT = re.compile(r"^\d{12}$")


# hashicorp/setup-terraform's wrapper (on by default) echoes the command it runs into stdout.
WRAPPED = ("output of hashicorp/setup-terraform's wrapper (a '[command]...terraform show -json' "
           "line before the JSON), not plan JSON: set 'terraform_wrapper: false' on the "
           "setup-terraform step (or run terraform-bin)")


def _load(path: str) -> dict[str, Any]:
    from dsscan.inputs import check_shape, parse_json, read_bytes

    p = Path(path)
    raw = read_bytes(p, "Terraform plan")
    problem = _not_json(raw)
    if problem:
        raise InputError(f"{p}: {problem}: {_fix(p, problem)}")
    fix = _fix(p, None)
    doc = parse_json(raw, str(p), hint=fix)
    if not isinstance(doc, dict) or "format_version" not in doc or not (
            "resource_changes" in doc or "planned_values" in doc or "values" in doc):
        raise InputError(f"{p}: not Terraform plan or state JSON (no format_version and "
                         "planned_values/resource_changes): write it with 'terraform show "
                         "-json PLAN'")
    # The types of every part read below (addresses, actions, modules, references...).
    check_shape(doc, "terraform-plan.json", str(p))
    return doc


def _fix(p: Path, problem: str | None) -> str:
    """How to write plan JSON, as a command to copy: it redirects into a file that is not the
    one given (dsscan.hints), and names a binary plan as the plan to show."""
    from dsscan.hints import redirect

    if problem == _BINARY_PLAN:
        return "write its JSON with '" + redirect(f"terraform show -json {p.name}",
                                                  "plan.json", p) + "'"
    if problem == _SOURCE:
        make = redirect("terraform show -json tfplan", "plan.json", p)
        return f"scan a plan instead: 'terraform plan -out tfplan && {make}'"
    return "write the plan with '" + redirect("terraform show -json PLAN", "plan.json", p) + "'"


_BINARY_PLAN = "a binary plan file (terraform plan -out), not JSON"
_SOURCE = "Terraform configuration (.tf source), not a plan"
# How a configuration file starts (after comments): a top-level HCL block.
_HCL_BLOCK = re.compile(rb"^(resource|data|module|provider|terraform|variable|output|locals|"
                        rb"import|moved|removed|check)\b[^\n]*\{", re.MULTILINE)


# What `terraform plan` prints for people (the plan itself is only in -out's binary file).
_PLAN_TEXT = ("Terraform will perform", "Terraform used the selected providers",
              "No changes.", "Terraform has compared", "Refreshing state", "Plan:",
              "Terraform planned", "Note: You didn't use the -out option")


def _not_json(raw: bytes) -> str | None:
    """What the file is instead of plan JSON, when that is plain from its start: a binary
    plan, `terraform plan`'s text, or JSON behind something else (a warning printed into the
    same redirect, a CI log prefix). None: let the JSON parser judge."""
    body = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        return "empty file, not JSON"
    if body.startswith(b"PK\x03\x04"):
        return _BINARY_PLAN
    if body.startswith(b"[command]"):
        return WRAPPED
    if body[:1] in (b"{", b"[") or raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    head = body[:65536].decode("utf-8", "replace")
    first = head.split("\n", 1)[0].strip()
    if any(marker in head for marker in _PLAN_TEXT):
        return "the text output of 'terraform plan', not JSON"
    if _HCL_BLOCK.search(body[:65536]):
        return _SOURCE
    brace = head.find('{"format_version"')
    if brace < 0:
        brace = head.find("{")
    shown = _snippet(first)
    if brace > 0 and "\n" not in head[:brace]:
        return (f"something precedes the JSON on its line ({shown}: a CI log prefix?), "
                "not JSON")
    if brace > 0:
        lines = head[:brace].count("\n")
        return (f"{count(lines, 'line')} before the JSON ({shown}: a "
                "warning printed into the same file?)")
    return f"not JSON (it starts with {shown})"


def _snippet(text: str) -> str:
    from dsscan.masking import mask_text

    text = " ".join(mask_text(text).split())
    return repr(text if len(text) <= 50 else text[:49] + "…")


def read_plan(path: str) -> list[IacResource]:
    """The AWS resources a plan (or state) describes, in planned form."""
    return read(path).resources


class TerraformRead:
    """What one plan or state held: its AWS resources, and the managed resources of other
    providers (by type), which dsscan does not look at."""

    def __init__(self) -> None:
        self.resources: list[IacResource] = []
        self.other: Counter[str] = Counter()
        # Why the plan does not describe the whole configuration (``"complete": false``, e.g.
        # planned with -target), or None.
        self.incomplete: str | None = None
        # Stores that leave Terraform's management (``removed`` blocks: action "forget"):
        # they still exist, outside the plan, and are not assessed.
        self.forgotten: list[str] = []


# Terraform 1.x marks a plan that failed ("errored": true; `plan -out` still writes it) and
# a plan that does not cover the whole configuration ("complete": false: -target, deferred
# changes). An errored plan lacks the resources whose planning failed — a failed
# precondition drops the public access block that opens a bucket, which would then be judged
# by AWS's defaults — so it is refused rather than judged.
_ERRORED = ("the plan failed (\"errored\": true): terraform plan reported errors and the "
            "resources whose planning failed are missing from it; fix the errors and plan again")
INCOMPLETE = ("the plan is incomplete (\"complete\": false): resources outside -target (or "
              "deferred) were not planned, and what they would change is not assessed; plan "
              "without -target")

FORGOTTEN = ("{address} leaves Terraform's management (a removed block: action forget): it "
             "still exists, outside this plan, and is not assessed")


def read(path: str) -> TerraformRead:
    """The resources a plan (or state) describes, in planned form."""
    doc = _load(path)
    if doc.get("errored") is True:
        raise InputError(f"{path}: {_ERRORED}")
    config = _Config(doc)
    got = TerraformRead()
    if doc.get("complete") is False:
        got.incomplete = INCOMPLETE
    out = got.resources
    seen: set[str] = set()
    for rc in doc.get("resource_changes") or []:
        if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
            continue
        address = _full_address(rc)
        seen.add(address)
        if isinstance(rc.get("previous_address"), str):  # moved: prior_state has it there
            seen.add(rc["previous_address"])
        if not _is_aws(rc.get("provider_name")):
            if rc.get("mode") != "data" and isinstance(rc.get("type"), str):
                got.other[rc["type"]] += 1
            continue
        change = rc.get("change") or {}
        actions = change.get("actions") or []
        action = _action(actions)
        if action == "forget":
            # Terraform 1.7 ``removed`` block: the resource stays in AWS as it is (``before``)
            # but leaves the plan. A store is then outside the plan (not an asset with empty
            # settings); a resource configuring one still configures it.
            from dsscan.scanners.iac.mapping import STORE_TYPES

            if rc.get("type") in STORE_TYPES:
                got.forgotten.append(address)
                continue
            values = change.get("before")
        else:
            values = change.get("before") if action == "delete" else change.get("after")
        if not isinstance(values, dict):
            values = {}
        values = merge_unknown(values, change.get("after_unknown")
                                if action not in ("delete", "forget") else None)
        data = rc.get("mode") == "data"
        if data:
            address = address if address.startswith(("data.", "module.")) else f"data.{address}"
        # An existing resource's block (a list or map in ``before``) that turns unknown with
        # no expression: the provider keeps what it read, so only a ``dynamic`` block over
        # values known at apply does that — unknown, not the provider's to compute.
        before = change.get("before")
        kept = frozenset(k for k, v in before.items() if isinstance(v, list | dict)) \
            if action == "update" and isinstance(before, dict) else frozenset()
        out.append(config.resource(address, rc, values, action, path, data=data, keep=kept))
    # Resources without a change record: a state (`terraform show -json` of a state) and
    # data sources read during planning. The same resource may be in planned_values and in
    # prior_state (Terraform 0.12 wrote prior_state addresses without their index): one
    # record per resource instance.
    for mod in (_modules((doc.get("planned_values") or doc.get("values") or {})
                         .get("root_module")) +
                _modules(((doc.get("prior_state") or {}).get("values") or {})
                         .get("root_module"))):
        for r in mod.get("resources") or []:
            if not isinstance(r, dict) or not isinstance(r.get("address"), str):
                continue
            address = _full_address(r)
            if address in seen:
                continue
            seen.add(address)
            if not _is_aws(r.get("provider_name")):
                if r.get("mode") != "data" and isinstance(r.get("type"), str):
                    got.other[r["type"]] += 1
                continue
            values = r.get("values") if isinstance(r.get("values"), dict) else {}
            out.append(config.resource(address, r, values,
                                       None if "resource_changes" not in doc else "no-op", path,
                                       data=r.get("mode") == "data"))
    return got


def _full_address(r: dict[str, Any]) -> str:
    """The instance address, with its count/for_each index even where the writer left it out
    (prior_state of Terraform 0.12 plans)."""
    address = r["address"]
    index = r.get("index")
    if index is None or address.endswith("]"):
        return address
    return f"{address}[{json.dumps(index)}]"


def _action(actions: list[str]) -> str:
    if actions == ["no-op"]:
        return "no-op"
    if "create" in actions and "delete" in actions:
        return "replace"
    if "create" in actions:  # created, whatever becomes of the old object (forget)
        return "create"
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


class _Config:
    """The configuration block: references per resource, providers' region and account.

    References are followed through modules: ``var.x`` inside a module is the module call's
    argument ``x`` (in the calling module), ``module.m.out`` the output ``out`` of module ``m``,
    and ``each.value``/``each.key`` what the resource's (or module call's) ``for_each`` names.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        self.variables = {k: (v or {}).get("value")
                          for k, v in (doc.get("variables") or {}).items()}
        cfg = doc.get("configuration") or {}
        self.providers = cfg.get("provider_config") or {}
        self.refs: dict[str, dict[str, list[str]]] = {}
        self.provider_key: dict[str, str] = {}
        self.exprs: dict[str, dict[str, Any]] = {}
        # module prefix ("" for the root, "module.a." ...) -> its module block, and the call
        # that instantiates it.
        self.modules: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self._index(cfg.get("root_module") or {}, "")
        for prefix, module in self.modules.items():
            self._walk(module, prefix)

    def _index(self, module: Any, prefix: str) -> None:
        if not isinstance(module, dict) or prefix.count("module.") > _MAX_DEPTH:
            return
        self.modules[prefix] = module
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self.calls[f"{prefix}module.{name}."] = call
                self._index(call.get("module") or {}, f"{prefix}module.{name}.")

    def _walk(self, module: dict[str, Any], prefix: str) -> None:
        for r in module.get("resources") or []:
            if not isinstance(r, dict) or not isinstance(r.get("address"), str):
                continue
            addr = f"{prefix}{r['address']}"
            each = _references(r.get("for_each_expression"))
            refs: dict[str, list[str]] = {}
            self._collect(r.get("expressions") or {}, "", refs, prefix, each)
            self.refs[addr] = refs
            self.exprs[addr] = r.get("expressions") or {}
            if r.get("provider_config_key"):
                self.provider_key[addr] = r["provider_config_key"]

    def _collect(self, exprs: Any, path: str, out: dict[str, list[str]], prefix: str,
                 each: list[str]) -> None:
        """Attribute path (block indexes dropped) -> resource addresses its expression names."""
        if isinstance(exprs, list):
            for item in exprs:
                self._collect(item, path, out, prefix, each)
            return
        if not isinstance(exprs, dict):
            return
        if isinstance(exprs.get("references"), list):
            addrs = self._targets(exprs["references"], prefix, each, 0)
            if addrs:
                got = out.setdefault(path, [])
                got += [a for a in addrs if a not in got]
            return
        for k, v in exprs.items():
            if k != "constant_value":
                self._collect(v, f"{path}.{k}" if path else k, out, prefix, each)

    def _targets(self, refs: list[Any], prefix: str, each: list[str], depth: int,
                 at: str | None = None, *, keyed: bool = False) -> list[str]:
        """The resource addresses a ``references`` list names, in module ``prefix`` (``at``:
        the same module with the instance keys a reference gave, e.g. module.m["a"].).

        A resource named bare (``aws_s3_bucket.b`` without ``aws_s3_bucket.b.<attr>``) is
        indexed by an expression Terraform does not write out: ``[@self]`` when the only
        other references are the referring resource's own key (``count.index``,
        ``each.key``) or the list is a ``for_each`` over the instances (``keyed``), else
        ``[?]`` — any instance (plan.py)."""
        out: list[str] = []
        if depth > _MAX_DEPTH:
            return out
        raw = [r for r in refs if isinstance(r, str)]
        bare = {r for r in raw if _bare_resource(r) and not any(
            o.startswith((r + ".", r + "[")) for o in raw)}
        others = {r for r in raw if not any(r == b or r.startswith(b + ".") for b in bare)}
        own = keyed or (bool(others) and others <= _OWN_KEY)
        for ref in raw:
            got = self._target(ref, prefix, each, depth, prefix if at is None else at,
                               keyed=keyed and len(raw) == 1)
            if ref in bare:
                mark = SELF_KEY if own else ANY_KEY
                got = [f"{a}[{mark}]" if not a.endswith("]") else a for a in got]
            out += [a for a in got if a not in out]
        # Terraform lists aws_s3_bucket.b[1].id, aws_s3_bucket.b[1] and aws_s3_bucket.b: the
        # indexed form says which instance; the bare one would name them all.
        indexed = {config_address(a) for a in out if "[" in a}
        return [a for a in out if "[" in a or a not in indexed]

    def _target(self, ref: str, prefix: str, each: list[str], depth: int,
                at: str, *, keyed: bool = False) -> list[str]:
        """``keyed``: ``ref`` is all a ``for_each`` iterates over (its instances keep their
        keys through a module's variable or output)."""
        toks = address_tokens(ref)
        head = toks[0][0]
        if head == "each":  # each.value / each.key: what the for_each iterates over
            return self._targets(each, prefix, [], depth + 1, at, keyed=True)
        if head == "var" and len(toks) > 1:  # a module's input: the call's argument
            call = self.calls.get(prefix)
            if call is None:
                return []
            arg = (call.get("expressions") or {}).get(toks[1][0])
            parent, parent_at = _parent(prefix), _parent(at)
            return self._targets(_references(arg), parent,
                                 _references(call.get("for_each_expression")), depth + 1,
                                 parent_at, keyed=keyed)
        if head == "module" and len(toks) > 2:  # a module's output: its expression
            child = f"{prefix}module.{toks[1][0]}."
            output = ((self.modules.get(child) or {}).get("outputs") or {}).get(toks[2][0])
            expr = output.get("expression") if isinstance(output, dict) else None
            return self._targets(_references(expr), child, [], depth + 1,
                                 f"{at}module.{_with_key(toks[1])}.", keyed=keyed)
        if head in ("local", "count", "path", "self", "terraform", "module", "var"):
            return []
        if head == "data" and len(toks) >= 3:
            return [f"{at}data.{toks[1][0]}.{_with_key(toks[2])}"]
        if len(toks) >= 2:
            return [f"{at}{head}.{_with_key(toks[1])}"]
        return []

    def _provider(self, address: str, r: dict[str, Any]) -> dict[str, Any]:
        """The provider configuration a resource is managed through. Terraform 1.2+ keys a
        resource to the configuration it resolves to (``aws.eu``, ``module.a:aws``). Older
        plans key it ``<module call>:aws`` and list a passed configuration without telling
        which one was passed (Terraform 0.12 names the configuration in ``provider_name``:
        the nearest one of that name up the module tree): a module's resource without a
        provider block of its own may use any of them, decided only if every configuration
        agrees (else ``_UNKNOWN``: no region, no account — never the root's default)."""
        key = self.provider_key.get(config_address(address))
        if key and key in self.providers:
            return self.providers[key]
        mods = [f"{n}.{m}" for (n, _), (m, _) in _pairs(address_tokens(address))]
        pname = r.get("provider_name") if isinstance(r.get("provider_name"), str) else ""
        if pname and "/" not in pname:
            # Terraform 0.12: provider_name is the configuration resolved ("aws.eu"),
            # defined in the resource's module or the nearest one above it.
            for i in range(len(mods), -1, -1):
                got = self.providers.get(_key(mods[:i], pname))
                if got is not None:
                    return got
            return _UNKNOWN
        # Terraform 0.13 - 1.1: which configuration a module was given (``providers = {aws =
        # aws.eu}``) is not in the plan; only a provider block of the module itself is.
        local = key.split(":", 1)[-1] if key else "aws"
        own = self.providers.get(_key(mods, local)) if mods else None
        if own is not None and own.get("expressions"):
            return own
        return self._agreed() if mods else self.providers.get(local) or {}

    def _agreed(self) -> dict[str, Any]:
        """The AWS configuration every one of the plan's agrees on (region and accounts),
        else ``_UNKNOWN``: a resource that may be managed through any of them."""
        real = [p for k, p in self.providers.items() if isinstance(p, dict) and
                (p.get("name") or k.rsplit(":", 1)[-1].split(".")[0]) == "aws" and
                (p.get("expressions") or not p.get("module_address"))]
        facts = {(repr(self._const((p.get("expressions") or {}).get("region"),
                                   p.get("module_address") or "")),
                  repr(self._const((p.get("expressions") or {}).get("allowed_account_ids"),
                                   p.get("module_address") or "")),
                  repr((p.get("expressions") or {}).get("assume_role")))
                 for p in real}
        return real[0] if len(facts) == 1 else _UNKNOWN

    def _const(self, expr: Any, module: str = "", depth: int = 0) -> Any:
        """The value of a provider argument: a constant, or a variable of the module the
        provider block is in — the root's variables, or in a module the call's argument
        (followed up to the root), never a root variable that merely has the same name."""
        if not isinstance(expr, dict) or depth > _MAX_DEPTH:
            return None
        if "constant_value" in expr:
            return expr["constant_value"]
        refs = [x for x in expr.get("references") or [] if isinstance(x, str)]
        if len(refs) != 1 or not refs[0].startswith("var."):
            return None  # something else, or several values combined: not known here
        name = refs[0][4:].split(".")[0]
        if not module:
            return self.variables.get(name)
        call = self.calls.get(f"{module}.")
        arg = ((call or {}).get("expressions") or {}).get(name)
        if arg is None:  # the variable's default: the plan's JSON does not give it
            return None
        return self._const(arg, _parent(f"{module}.").rstrip("."), depth + 1)

    def resource(self, address: str, r: dict[str, Any], values: dict[str, Any],
                 action: str | None, file: str, *, data: bool = False,
                 keep: frozenset[str] = frozenset()) -> IacResource:
        conf = self._provider(address, r)
        prov = conf.get("expressions") or {}
        mod = conf.get("module_address") if isinstance(conf.get("module_address"), str) else ""
        region = self._const(prov.get("region"), mod)
        account = None
        allowed = self._const(prov.get("allowed_account_ids"), mod)
        if isinstance(allowed, list) and len(allowed) == 1 and _ACCOUNT.match(str(allowed[0])):
            account = str(allowed[0])
        role = prov.get("assume_role")
        if account is None and isinstance(role, list) and role:
            arn = self._const((role[0] or {}).get("role_arn"), mod)
            if isinstance(arn, str) and arn.count(":") >= 5:
                account = arn.split(":")[4] or None
        # Unknown and not in the configuration: the provider computes it (a default).
        cfg_exprs = self.exprs.get(config_address(address))
        if cfg_exprs is not None:
            dynamic = NOT_COMPUTED.get(r.get("type", ""), frozenset())
            if r.get("type") == "aws_s3_bucket_acl" and "acl" in cfg_exprs:
                dynamic = frozenset()  # a canned ACL: the provider reads the grants back
            values = mark_computed(values, cfg_exprs, dynamic | keep)
        # A resource's own region argument (provider v6 "enhanced region") wins.
        if isinstance(values.get("region"), str):
            region = values["region"]
        provider = self.provider_key.get(config_address(address)) or (
            (r.get("provider_name") or "").rsplit("/", 1)[-1] or None)
        return IacResource(
            address=address, type=r.get("type", ""), name=r.get("name", address),
            values=values, refs=self.refs.get(config_address(address), {}),
            region=region if isinstance(region, str) else None, account=account,
            action=action, file=file, tool="terraform",
            parent=address.rsplit(".", 2)[0] if address.startswith("module.") else None,
            data=data, provider=provider,
            set_attrs=frozenset(cfg_exprs) if isinstance(cfg_exprs, dict) else None)


# A resource whose provider configuration cannot be told: no region, no account.
_UNKNOWN: dict[str, Any] = {"expressions": {}}


def _pairs(toks: list[tuple[str, str | None]]) -> list[tuple[tuple[str, str | None],
                                                           tuple[str, str | None]]]:
    """The (``module``, name) token pairs that open an address (its module path)."""
    out = []
    i = 0
    while i + 1 < len(toks) and toks[i][0] == "module":
        out.append((toks[i], toks[i + 1]))
        i += 2
    return out


def _key(mods: list[str], local: str) -> str:
    """Terraform's provider config key: ``aws`` in the root, ``module.a.module.b:aws``."""
    return f"{'.'.join(mods)}:{local}" if mods else local


_MAX_DEPTH = 16  # module nesting and reference chains followed (a cycle cannot loop)
# References that index by the referring resource's (or module instance's) own key.
_OWN_KEY = frozenset({"count.index", "each.key"})
_NOT_RESOURCES = ("local", "count", "path", "self", "terraform", "module", "var", "each")


def _bare_resource(ref: str) -> bool:
    """``aws_s3_bucket.b`` / ``data.aws_x.y``: a resource named without index or attribute."""
    toks = address_tokens(ref)
    if any(k is not None for _, k in toks) or toks[0][0] in _NOT_RESOURCES:
        return False
    return len(toks) == (3 if toks[0][0] == "data" else 2)


def _references(expr: Any) -> list[str]:
    """Every reference in an expression (an argument may be an object of expressions)."""
    if isinstance(expr, dict):
        if isinstance(expr.get("references"), list):
            return [x for x in expr["references"] if isinstance(x, str)]
        return [x for v in expr.values() for x in _references(v)]
    if isinstance(expr, list):
        return [x for v in expr for x in _references(v)]
    return []


def _parent(prefix: str) -> str:
    """module.a.module.b. -> module.a.; module.a. -> "" (the calling module's prefix)."""
    toks = address_tokens(prefix.rstrip(".")) if prefix else []
    return "".join(f"{_with_key(t)}." for t in toks[:-2])


def _with_key(tok: tuple[str, str | None]) -> str:
    return f"{tok[0]}[{tok[1]}]" if tok[1] is not None else tok[0]


def collect(plans: tuple[str, ...]) -> Any:
    from dsscan.inventory import merge
    from dsscan.scanners.iac.mapping import build_inventory, unmapped
    from dsscan.scope_gaps import scope_gap

    invs = []
    for p in plans:
        got = read(p)
        inv = build_inventory(got.resources, tool="terraform", files=[p],
                              skipped={p: got.other + unmapped(got.resources)})
        # A plan's resources may be in any account and region (one provider per alias): its
        # gaps hold them all, whatever the plan's path or an address says.
        if got.incomplete:  # judged, but the run says what it could not see: exit 3
            inv.gaps.append(scope_gap("Terraform plan {plan}", got.incomplete, plan=p))
        for address in got.forgotten:
            inv.gaps.append(scope_gap("{address}", FORGOTTEN.format(address=address),
                                      address=address))
        invs.append(inv)
    return merge(invs)


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
