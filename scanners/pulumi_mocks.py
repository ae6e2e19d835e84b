"""Stand-in values for what the cloud computes, for Pulumi programs run under mocks.

Loaded by ``pulumi_program.py`` in the child process that runs a program (from its file, as
that process has no dsscan on its path): only the standard library and the Pulumi SDK.

Programs use what the provider computes (``api.execution_arn + "/*"``,
``cluster.certificate_authority.data``, ``get_policy_document(...).json``). The pulumi-aws SDK
classes say which properties of a resource are outputs only (on the resource class, not on
its Args class: nothing a program chooses) and of which type, so each gets a stand-in of that
type: ARNs, ids, DNS names, URLs, lists of one, objects with their fields. A property that
could bear on a verdict (keys, encryption, policies, ACLs) is never invented. Invokes answer
their arguments echoed and stand-ins for the rest; ``aws.iam.get_policy_document`` answers the
policy its arguments describe, and ``aws.kms.get_key``/``get_alias`` the key they name.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from typing import Any

_NEVER = ("kms", "key", "encrypt", "polic", "acl", "public_access")
_EXAMPLE_TIME = "2026-01-15T09:00:00Z"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def hex_of(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]
def sdk_module(token: str) -> Any:
    import importlib

    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return None
    mod = parts[1].split("/")[0]
    for name in (("pulumi_aws",) if mod == "index" else
                 (f"pulumi_aws.{mod}", f"pulumi_aws.{mod}_")):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def properties(cls: Any) -> dict[str, tuple[str, Any]]:
    """snake name -> (wire name, type) of a pulumi-aws class's properties."""
    import typing

    out: dict[str, tuple[str, Any]] = {}
    if not isinstance(cls, type):
        return out
    module = sys.modules.get(cls.__module__)
    for name, prop in vars(cls).items():
        if not isinstance(prop, property) or prop.fget is None:
            continue
        try:
            hints = typing.get_type_hints(prop.fget, vars(module) if module else None)
        except Exception:  # an annotation the SDK cannot resolve: leave the property out
            continue
        wire = getattr(prop.fget, "_pulumi_name", None) or name
        out[name] = (wire, hints.get("return"))
    return out


def output_only(token: str) -> dict[str, tuple[str, Any]]:
    """The properties of a resource that are outputs only (not in its Args class)."""
    module = sdk_module(token)
    cls_name = token.split(":")[-1]
    cls = getattr(module, cls_name, None) if module else None
    args = getattr(module, f"{cls_name}Args", None) if module else None
    outs = properties(cls)
    # Every property of the Args class is an input, whether or not its type resolves here.
    inputs = {n for n, v in vars(args).items() if isinstance(v, property)} \
        if isinstance(args, type) else set()
    return {k: v for k, v in outs.items() if k not in inputs}


def autonamed(token: str) -> bool:
    """Whether Pulumi names the resource when the program does not (a ``name`` input)."""
    module = sdk_module(token)
    args = getattr(module, token.split(":")[-1] + "Args", None) if module else None
    return isinstance(args, type) and isinstance(vars(args).get("name"), property)


def _words(name: str) -> list[str]:
    out, cur = [], ""
    for ch in name:
        if ch == "_" or (ch.isupper() and cur and not cur[-1].isupper()):
            if cur:
                out.append(cur.lower())
            cur = "" if ch == "_" else ch
        else:
            cur += ch
    return [*out, cur.lower()] if cur else out


def plausible(name: str, typ: Any, ctx: dict[str, str], depth: int = 0) -> Any:
    """A stand-in value of ``typ`` for a property called ``name``; None: leave it out."""
    import collections.abc
    import typing

    if any(w in name.lower() for w in _NEVER) or depth > 3:
        return None
    origin, targs = typing.get_origin(typ), typing.get_args(typ)
    if origin is not None and getattr(origin, "__name__", "") == "Output" and targs:
        return plausible(name, targs[0], ctx, depth)
    if origin is typing.Union:
        inner = [a for a in targs if a is not type(None)]
        return plausible(name, inner[0], ctx, depth) if inner else None
    if typ is str:
        return _plausible_str(name, ctx)
    if typ is bool:
        return False
    if typ in (int, float):
        return 0
    if origin in (list, collections.abc.Sequence):
        item = plausible(name.removesuffix("s"), targs[0], ctx, depth + 1) if targs else None
        return [] if item is None else [item]
    if origin in (dict, collections.abc.Mapping):
        return {}
    if isinstance(typ, type) and typ.__module__.startswith("pulumi_aws"):
        obj = {}
        for sub, (wire, t) in properties(typ).items():
            v = plausible(sub, t, ctx, depth + 1)
            if v is not None:
                obj[wire] = v
        return obj
    return None


# What a computed id's name says it is -> the prefix AWS gives such ids.
_ID_PREFIXES = (
    ("route_table", "rtb"), ("security_group", "sg"), ("network_acl", "acl"),
    ("subnet", "subnet"), ("vpc_endpoint", "vpce"), ("vpc", "vpc"),
    ("network_interface", "eni"), ("internet_gateway", "igw"), ("nat_gateway", "nat"),
    ("transit_gateway", "tgw"), ("dhcp_options", "dopt"), ("prefix_list", "pl"),
    ("allocation", "eipalloc"), ("association", "assoc"), ("instance", "i"),
    ("image", "ami"), ("ami", "ami"), ("snapshot", "snap"), ("volume", "vol"),
    ("hosted_zone", "Z"), ("zone", "Z"),
)


def _plausible_str(name: str, ctx: dict[str, str]) -> str:
    words = _words(name)
    last = words[-1] if words else ""
    host = f"{ctx['physical']}-{ctx['hex'][:8]}.{ctx['service']}.{ctx['region']}.{ctx['suffix']}"
    if last == "arn" or last == "arns":
        return (f"arn:{ctx['partition']}:{ctx['service']}:{ctx['region']}:{ctx['account']}:"
                f"{ctx['kind']}/{ctx['physical']}")
    if "ip" in words:
        return "203.0.113.10" if "public" in words else "10.0.0.10"
    if last in ("url", "uri", "urls", "uris"):
        return f"https://{host}/"
    if set(words) & {"endpoint", "dns", "domain", "hostname", "host", "address", "fqdn"}:
        return host
    if last == "region":
        return ctx["region"]
    if last in ("id", "ids") and ("owner" in words or "account" in words):
        return ctx["account"]
    if last in ("id", "ids"):
        noun = "_".join(words[:-1])
        prefix = next((p for n, p in _ID_PREFIXES if noun.endswith(n)), None)
        if prefix == "Z":  # Route 53 zone ids: Z and 13 upper-case characters
            return "Z" + ctx["hex"][:13].upper()
        return f"{prefix or ctx['kind'][:4] or 'res'}-{ctx['hex'][:17]}"
    if last == "data":
        return "ZHNzY2FuLW1vY2tz"  # base64 of "dsscan-mocks": certificate data and the like
    if last in ("at", "date", "time", "timestamp"):
        return _EXAMPLE_TIME
    if last in ("status", "state"):
        return "available"
    return f"{ctx['physical']}-{'-'.join(words)}"


def context(token: str, physical: str, urn: str, region: str, account: str) -> dict[str, str]:
    part = partition_of(region)
    return {"partition": part, "region": region, "account": account, "physical": physical,
            "hex": hex_of(urn, 32), "service": token.split(":")[1].split("/")[0],
            "kind": token.split(":")[-1].lower(),
            "suffix": "amazonaws.com.cn" if part == "aws-cn" else "amazonaws.com"}


class _NotJson(Exception):
    pass


def policy_document(args: dict[str, Any]) -> str:
    """What aws.iam.get_policy_document computes: the JSON of its statements, after the
    statements of its source documents and with its override documents' statements (by Sid)."""
    def listed(v: Any) -> Any:
        return v if not isinstance(v, list) or len(v) != 1 else v[0]

    def principals(items: Any) -> Any:
        out: dict[str, Any] = {}
        for p in items or []:
            if p.get("type") == "*" and "*" in (p.get("identifiers") or []):
                return "*"
            out.setdefault(p.get("type"), []).extend(p.get("identifiers") or [])
        return {k: listed(v) for k, v in out.items()}

    def statements_of(text: Any) -> list[dict[str, Any]]:
        try:
            got = json.loads(text).get("Statement") or []
        except (TypeError, ValueError, AttributeError):
            raise _NotJson from None
        return [got] if isinstance(got, dict) else list(got)

    docs: list[dict[str, Any]] = []
    try:
        for src in args.get("sourcePolicyDocuments") or []:
            docs += statements_of(src)
        overrides = [st for o in args.get("overridePolicyDocuments") or []
                     for st in statements_of(o)]
    except _NotJson:  # a document that is not JSON: so is the result (not assessed)
        return "(not computed under dsscan's mocks: a source document is not JSON)"
    for s in args.get("statements") or []:
        st: dict[str, Any] = {}
        if s.get("sid"):
            st["Sid"] = s["sid"]
        st["Effect"] = s.get("effect") or "Allow"
        for key, wire in (("actions", "Action"), ("notActions", "NotAction"),
                          ("resources", "Resource"), ("notResources", "NotResource")):
            if s.get(key):
                st[wire] = listed(s[key])
        for key, wire in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if s.get(key):
                st[wire] = principals(s[key])
        conds: dict[str, dict[str, Any]] = {}
        for c in s.get("conditions") or []:
            conds.setdefault(c.get("test"), {})[c.get("variable")] = listed(c.get("values"))
        if conds:
            st["Condition"] = conds
        docs.append(st)
    for st in overrides:
        same = [i for i, d in enumerate(docs) if st.get("Sid") and d.get("Sid") == st.get("Sid")]
        if same:
            docs[same[0]] = st
        else:
            docs.append(st)
    return json.dumps({"Version": args.get("version") or "2012-10-17", "Statement": docs})


def kms_facts(ref: str, region: str, account: str) -> tuple[str, str, bool]:
    """(key id, key ARN, AWS-managed?) of a key named by id, ARN, alias or alias ARN. A key
    behind an alias/aws/ alias is AWS-managed; of any other, the mocks cannot say."""
    part = partition_of(region)
    res = ref
    if ref.startswith("arn:"):
        bits = ref.split(":", 5)
        if len(bits) == 6:
            part, region, account, res = bits[1], bits[3] or region, bits[4] or account, bits[5]
    if res.startswith("key/"):
        kid = res[4:]
    elif res.startswith("alias/"):
        kid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}:{region}:{res}"))
    else:
        kid = res
    return kid, f"arn:{part}:kms:{region}:{account}:key/{kid}", "alias/aws/" in ref


def generic_result(tok: str, inputs: dict[str, Any], region: str,
                   account: str) -> dict[str, Any]:
    """An invoke's answer: its arguments echoed, the other results stand-ins."""
    module = sdk_module(tok)
    name = tok.split(":")[-1]
    cls = getattr(module, name[:1].upper() + name[1:] + "Result", None) if module else None
    ctx = context(tok, str(inputs.get("name") or name),
                  tok + json.dumps(inputs, sort_keys=True, default=str), region, account)
    out: dict[str, Any] = {}
    for prop, (wire, hint) in properties(cls).items():
        if wire in inputs:
            out[wire] = inputs[wire]
            continue
        v = plausible(prop, hint, ctx)
        if v is not None:
            out[wire] = v
    return out


# Defaults the bridged provider's Check writes into a resource's inputs (a real preview shows
# them), where they bear on a verdict and differ between pulumi-aws major versions (7 is
# Terraform provider v6): Redshift encrypts and is private by default since pulumi-aws 7.
_PROVIDER_DEFAULTS: dict[str, dict[str, tuple[Any, Any]]] = {
    # property -> (before 7, from 7 on)
    "aws:redshift/cluster:Cluster": {"encrypted": (False, "true"),
                                     "publiclyAccessible": (True, False)},
}


def with_provider_defaults(token: str, inputs: dict[str, Any], version: str) -> dict[str, Any]:
    """``inputs`` with the provider's defaults for what the program leaves unset."""
    defaults = _PROVIDER_DEFAULTS.get(token)
    major = version.split(".", 1)[0].lstrip("v") if version else ""
    if not defaults or not major.isdigit():
        return inputs
    out = dict(inputs)
    for prop, (old, new) in defaults.items():
        out.setdefault(prop, new if int(major) >= 7 else old)
    return out
