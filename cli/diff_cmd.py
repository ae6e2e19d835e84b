"""`dsscan diff RUN_A RUN_B`: what changed between two stored runs (new, fixed, changed level)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import click

from dsscan.cli.history import FORMATS, clean, open_for_reading, store_options
from dsscan.reports.table import DEFAULT_WIDTH, grid
from dsscan.wording import count


def _columns(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Aligned columns, the last one wrapped to the terminal (COLUMNS; 120 in a pipe) at
    spaces only, as in the table report: an ARN is never split."""
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return grid(headers, rows, indent="  ", width=width, rule=False)


def _finding_rows(items: list[dict[str, Any]]) -> list[str]:
    rows = []
    for f in items:
        asset = clean(f["asset_id"])
        name = clean(f.get("asset_name"))
        if name and name != asset:
            asset += f" ({name})"
        status = " [waived]" if f.get("status") == "waived" else ""
        rows.append([clean(f["policy_id"]), f["level"], f["severity"], asset,
                     clean(f["message"]) + status])
    return _columns(["policy", "level", "severity", "asset", "message"], rows)


def _gap_rows(items: list[dict[str, Any]]) -> list[str]:
    rows = []
    for f in items:
        gap = f["gap_in_b"]
        where = clean(gap["scope"]) if gap["asset_id"] is None and gap["scope"] else ""
        why = f"{where}: {clean(gap['reason'])}" if where else clean(gap["reason"])
        rows.append([clean(f["policy_id"]), f["level"], f["severity"], clean(f["asset_id"]),
                     why])
    return _columns(["policy", "level", "severity", "asset", "not assessed in B because"], rows)


def warnings(changes: dict[str, Any]) -> list[str]:
    """What the reader of a diff must know before trusting it: an incomplete run on either
    side (fail closed: what a run did not assess is never shown as a pass)."""
    out = []
    for side, run, meaning in (
            ("B", changes["b_run"], "a finding of run A on something it could not assess is "
                                    "listed as not assessed in B, never as fixed"),
            ("A", changes["a_run"], "a finding listed as new may have been there already, "
                                    "unassessed in A")):
        if not run["complete"]:
            n = run["not_assessed"]
            out.append(f"run {side} ({run['run_id']}) is incomplete: "
                       f"{count(n, 'item')} not assessed; {meaning}")
    return out


@click.command("diff")
@click.argument("run_a", default="latest~1", required=False)
@click.argument("run_b", default="latest", required=False)
@store_options
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="table for people, json for scripts.")
@click.option("--fail-on-event", "fail_on_event", is_flag=True,
              help="Exit 1 when a regulatory event (Art. 19, 71, 73) happened between the "
                   "runs, else 3 when one is not known (a run stored before schema version 5, "
                   "readers that could not be read).")
def command(run_a: str, run_b: str, store: str | None, config_path: str | None,
            fmt: str, fail_on_event: bool) -> int:
    """Compare two stored runs: findings that are new in RUN_B, fixed since RUN_A (no
    longer found), and found in both at another data level.

    Findings are matched by fingerprint (policy + asset + related assets), so a reworded
    message is not a change. A finding of RUN_A that RUN_B could not assess (its asset, or
    an account or region RUN_B could not read, is not assessed in RUN_B) is listed as "not
    assessed in B", never as fixed, and an incomplete run on either side is pointed out. A
    run is named by its id, a unique prefix of it, 'latest', or 'latest~N' (N runs before
    the latest); RUN_A defaults to latest~1, RUN_B to latest. The exit code is 0 whatever
    changed (2 for an unknown run or store): gate a pipeline with `dsscan scan --baseline`
    instead, or on the JSON output.

    Also lists the regulatory events between the runs (docs/history.md): a store whose level
    went down without an approval record (Art. 19), a new important or core store (Art. 71),
    a new principal outside the institution on a sensitive-or-above store (Art. 73). With
    --fail-on-event: exit 1 on any event, else 3 when one is not known, else 0.

    \b
    Examples:
      dsscan diff                                     the latest run against the one before
      dsscan diff latest~7 latest                     a week of nightly runs
      dsscan diff r20250301-0800 r20250302-0800       by id prefix (see dsscan history)
      dsscan diff --store postgresql://dsscan@db.internal/dsscan --format json
    """
    with open_for_reading(store, config_path) as st, st.reading():
        a, b = st.resolve(run_a), st.resolve(run_b)
        changes = st.diff(a, b)
        found = st.events(a, b)
        shown = _show(st.url, a, b, changes, fmt, found)  # a damaged row fails here too
    return event_exit_code(found) if fail_on_event else shown


def event_exit_code(found: dict[str, Any]) -> int:
    """--fail-on-event: 1 on an event, else 3 when one is not known (docs/ci.md)."""
    if found["events"]:
        return 1
    return 3 if found["not_known"] else 0


def event_lines(found: dict[str, Any]) -> list[str]:
    """The events of dsscan.events.events as text lines (ids as stored: masked)."""
    from dsscan.events import describe

    evs, unknown = found["events"], found["not_known"]
    # Art. 19: a level lowered without an approval record; 71: a new important or core
    # store; 73: a new external principal on a sensitive-or-above store (the event column).
    out = [f"Regulatory events ({len(evs)}; Art. 19, 71, 73):"]
    if evs:
        rows = [[f"Art. {e['article']}", e["event"], clean(e["asset_id"]),
                 clean(describe(e))] for e in evs]
        out += _columns(["article", "event", "asset", "what"], rows)
    elif not found["known"]:
        out += ["  not known (see below)"]
    else:
        out += ["  none" if not unknown else "  none found; some are not known (see below)"]
    whole = [u for u in unknown if u["asset_id"] is None]
    if whole:
        import textwrap

        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        # Wrapped at spaces only: a run id is never split.
        out += textwrap.wrap(f"Not known: {clean(whole[0]['reason'])}.", width=max(40, width),
                             initial_indent="  ", subsequent_indent="    ",
                             break_long_words=False, break_on_hyphens=False)
    per = [u for u in unknown if u["asset_id"] is not None]
    if per:
        out += [f"  Not known ({len(per)}):",
                *_columns(["article", "asset", "why"],
                          [[f"Art. {u['article']}", clean(u["asset_id"]), clean(u["reason"])]
                           for u in per])]
    return out


def _show(url: str, a: str, b: str, changes: dict[str, Any], fmt: str,
          found: dict[str, Any] | None = None) -> int:
    warned = warnings(changes)
    if fmt == "json":
        extra = {} if found is None else {"events": {k: found[k] for k in
                                                     ("known", "events", "not_known")}}
        click.echo(json.dumps({"store": url, "a": a, "b": b, "warnings": warned, **changes,
                               **extra}, indent=2, ensure_ascii=False))
        return 0
    new, fixed, changed = changes["new"], changes["fixed"], changes["changed_level"]
    unassessed = changes["not_assessed_in_b"]
    gap = f", {len(unassessed)} not assessed in B" if unassessed else ""
    out = [f"{a} -> {b} in {url}: {len(new)} new, {len(fixed)} fixed{gap}, "
           f"{len(changed)} changed level"]
    out += [f"Warning: {w}." for w in warned]
    if new:
        out += ["", f"New in {b} ({len(new)}):", *_finding_rows(new)]
    if fixed:
        out += ["", f"Fixed since {a} ({len(fixed)}):", *_finding_rows(fixed)]
    if unassessed:
        out += ["", f"Not assessed in B ({len(unassessed)}): found in {a}, but {b} could not "
                    "assess them — not fixed:", *_gap_rows(unassessed)]
    if changed:
        rows = [[clean(c["policy_id"]), clean(c["asset_id"]), f"{c['from']} -> {c['to']}"]
                for c in changed]
        out += ["", f"Changed level ({len(changed)}):",
                *_columns(["policy", "asset", "level"], rows)]
    if not (new or fixed or changed or unassessed):
        out += ["", "No change in findings."]
    if found is not None:
        out += ["", *event_lines(found)]
    click.echo("\n".join(out))
    return 0
