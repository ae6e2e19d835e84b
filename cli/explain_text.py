"""`dsscan inventory explain`'s readable summary of one asset as the policies see it: what it
is, its level and environment with where each came from, what could not be read, and the
relations resolved for it. ``--json`` prints the full record instead.

The asset given here is already masked value by value (dsscan.masking.mask_value), as the
JSON form is: this module only arranges it."""

from __future__ import annotations

from typing import Any

from dsscan.wording import count


def explain_text(asset: dict[str, Any]) -> str:
    ctx = asset.get("ctx") or {}
    rows: list[tuple[str, str]] = [("id", str(asset.get("id")))]
    where = [f"{k} {asset[k]}" for k in ("account", "region") if asset.get(k)]
    if where:
        rows.append(("where", ", ".join(where)))
    rows.append(("level", _judged(asset.get("level"), "level")))
    for c in (asset.get("level") or {}).get("conflicts") or []:
        rows.append(("", f"conflict: {_short(c)}"))
    if ctx.get("protect_level") and ctx.get("protect_level") != ctx.get("level"):
        rows.append(("protected as", f"{ctx['protect_level']} (the duties it is held to)"))
    rows.append(("environment", _judged(asset.get("environment"), "environment")))
    rows += _assessment(asset.get("assessment") or {})
    rows += _encryption(asset.get("encryption") or {})
    rows += _network(asset.get("access") or {}, ctx.get("domain"))
    rows += _backups(ctx)
    for key, label in (("replicas_outside", "replica outside"), ("sources", "copied from"),
                       ("contents", "holds")):
        for item in ctx.get(key) or []:
            rows.append((label, _name(item)))
    for key, label in (("vault", "vault"), ("parent", "part of")):
        if ctx.get(key):
            rows.append((label, _name(ctx[key])))
    if asset.get("desensitization"):
        rows.append(("desensitized", _short(asset["desensitization"])))
    rows += _sampled(asset)
    head = f"{asset.get('name') or asset.get('id')} ({asset.get('kind')}"
    head += f", {asset['type']})" if asset.get("type") else ")"
    width = max(len(k) for k, _ in rows)
    lines = [head, *(f"  {k:<{width}}  {v}" for k, v in rows),
             "", "('--json' prints every field the policies see.)"]
    return "\n".join(lines) + "\n"


def _content(content: Any) -> str:
    """"sampled, 508 unmasked (bank_card, prc_resident_id)" / "error: <reason>"."""
    if not isinstance(content, dict):
        return "not sampled"
    status = content.get("status")
    if status != "sampled":
        why = content.get("reason")
        return f"{status}: {why}" if why else str(status)
    dets = [d for d in content.get("detections") or [] if isinstance(d, dict)]
    hits = [d for d in dets if isinstance(d.get("unmasked"), int) and d["unmasked"] > 0]
    if not hits:
        return "sampled, no identifier in clear"
    names = ", ".join(sorted({str(d.get("detector")) for d in hits}))
    return f"sampled, {sum(d['unmasked'] for d in hits)} unmasked ({names})"


def _sampled(asset: dict[str, Any]) -> list[tuple[str, str]]:
    """The content sampled, and (DS-PII-001) each export prefix's."""
    rows = []
    if asset.get("content") is not None:
        rows.append(("content", _content(asset["content"])))
    exports = asset.get("exports", [])
    if exports is None:
        rows.append(("export prefixes", "could not be listed"))
    for e in exports or []:
        if isinstance(e, dict):
            origin = f"Athena workgroup {e['workgroup']}" if e.get("workgroup") else \
                "export prefix"
            rows.append(("export prefix", f"{e.get('prefix')} ({origin}): "
                                          f"{_content(e.get('content'))}"))
    return rows


def _judged(judgement: Any, key: str) -> str:
    if not isinstance(judgement, dict):
        return "unknown"
    value = judgement.get("value") or "unknown"
    why = []
    for p in judgement.get("provenance") or []:
        if not isinstance(p, dict):
            continue
        source, detail = str(p.get("source") or ""), str(p.get("detail") or "")
        text = detail if detail.startswith(source) else f"{source} {detail}".strip()
        said = p.get(key)
        why.append(text if said in (None, value) else f"{text} (says {said})")
    return f"{value}, from " + "; ".join(why) if why else f"{value} (nothing says so: default)"


def _assessment(a: dict[str, Any]) -> list[tuple[str, str]]:
    gaps = a.get("gaps") or []
    if not gaps:
        return [("assessed", str(a.get("status") or "complete"))]
    rows = [("assessed", f"{a.get('status') or 'incomplete'}: {count(len(gaps), 'gap')} "
             "(not assessed, never a pass)")]
    rows += [("", f"gap: {_short(g)}") for g in gaps]
    return rows


def _encryption(enc: dict[str, Any]) -> list[tuple[str, str]]:
    rest = enc.get("at_rest")
    if not isinstance(rest, dict):
        return [("encryption", "at rest: not known")]
    state = {True: "enabled", False: "disabled", None: "not known"}.get(rest.get("enabled"),
                                                                      str(rest.get("enabled")))
    text = f"at rest {state}"
    if rest.get("key_type"):
        text += f", {rest['key_type'].replace('_', '-')} key"
    if rest.get("key_id"):
        text += f" {rest['key_id']}"
    return [("encryption", text)]


def _network(access: dict[str, Any], domain: Any) -> list[tuple[str, str]]:
    rows = []
    public = access.get("public")
    rows.append(("public", {True: "yes", False: "no", None: "not known"}.get(public, str(public))))
    if isinstance(domain, dict):
        reach = {True: "reachable from the internet", False: "not reachable from the internet",
                 None: "internet reachability not known"}.get(domain.get("internet_reachable"),
                                                                "")
        rated = "rated" if domain.get("rated") else "not rated"
        rows.append(("network domain", f"{domain.get('name') or domain.get('id')} (level "
                     f"{domain.get('level')}, {rated}, {domain.get('environment')}), {reach}"))
    return rows


def _backups(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for b in ctx.get("backups") or []:
        place = "/".join(str(b[k]) for k in ("account", "region") if b.get(k))
        sep = "separate" if b.get("separate") else "not separate"
        rows.append(("backup", f"{_name(b)} in {place}: {b.get('separation')} ({sep})"))
    built = ctx.get("built_in_backup")
    if isinstance(built, dict):
        rows.append(("built-in backup", f"{built.get('kind')}: {built.get('separation')}"))
    if not rows:
        rows.append(("backup", "none found"))
    return rows


def _name(item: Any) -> str:
    if isinstance(item, dict):
        name, ident = item.get("name"), item.get("id")
        return f"{name} ({ident})" if name and ident and name != ident else str(name or ident)
    return str(item)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, "", [], {}))
    return str(value)
