"""`dsscan history`: the runs kept in the history store, newest first, with their counts.

Also the store options and lookup that `dsscan diff` shares (dsscan.cli.diff_cmd).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from dsscan.wording import count

if TYPE_CHECKING:
    from dsscan.store import RunStore

FORMATS = ("table", "json")
# Short headers keep a run on one line; the legend under the table spells them out.
_LEVEL_HEADERS = (("core", "core"), ("important", "imp"), ("sensitive", "sens"),
                  ("general", "gen"), ("unclassified", "uncl"))
_LABEL_WIDTH = 20
MAX_LIMIT = 1_000_000  # more runs than any store keeps; bounds what reaches SQL's LIMIT


def store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--store and --config, as `history` and `diff` take them."""
    fn = click.option(
        "--config", "config_path", type=click.Path(dir_okay=False),
        help="dsscan config file; its 'store' setting names the store when --store and "
             "DSSCAN_STORE are not given.")(fn)
    return click.option(
        "--store", "store", envvar="DSSCAN_STORE", show_envvar=True, metavar="URL",
        help="History store: a SQLite file path, sqlite:///path, or "
             "postgresql://user@host:port/db. Default: the config's 'store', else "
             ".dsscan/history.sqlite in the working directory.")(fn)


def configured_store(store: str | None, config_path: str | None) -> str:
    """--store / DSSCAN_STORE, else the config's store, else the default file."""
    from dsscan.store import store_url

    if store and store.strip():
        return store_url(store)
    from dsscan.config_files import load_effective_config

    # The same settings a scan finds (--config, $DSSCAN_CONFIG, or discovered upward), so
    # `dsscan history` reads the store `dsscan scan` wrote to.
    return store_url(None, load_effective_config(config_path).store)


def open_for_reading(store: str | None, config_path: str | None, *,
                     read_only: bool = True) -> RunStore:
    """The store, which must exist already: reading never creates an empty database, and
    (``read_only``) never needs write access to it or its directory."""
    from dsscan.store import open_store

    return open_store(configured_store(store, config_path), create=False, read_only=read_only)


def clean(text: Any) -> str:
    """Stored text is masked already; masked again on the way out (defence in depth), and on
    one line for a table cell."""
    from dsscan.masking import mask_text

    return " ".join(mask_text("" if text is None else str(text)).split())


def short_time(iso: str) -> str:
    return iso[:16].replace("T", " ")  # ISO UTC to the minute


def render_columns(headers: Sequence[str], rows: Sequence[Sequence[str]],
                   right: Sequence[bool]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _runs_table(runs: list[dict[str, Any]]) -> list[str]:
    headers = ["run", "started (UTC)", "label", "assets", "findings",
               *(h for _, h in _LEVEL_HEADERS), "waived", "n/a", "complete"]
    right = [False, False, False, True, True, *([True] * len(_LEVEL_HEADERS)), True, True,
             False]
    rows = []
    for r in runs:
        label = clean(r["label"]) or "-"
        if len(label) > _LABEL_WIDTH:
            label = label[:_LABEL_WIDTH - 1] + "…"
        rows.append([r["run_id"], short_time(r["started_at"]), label, str(r["assets"]),
                     str(r["findings"]), *(str(r["by_level"].get(k, 0)) for k, _ in _LEVEL_HEADERS),
                     str(r["waived"]), str(r["not_assessed"]), "yes" if r["complete"] else "no"])
    return render_columns(headers, rows, right)


def _policy_lines(latest: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    now, before = latest["by_policy"], (previous or {}).get("by_policy", {})
    ids = sorted(set(now) | set(before))
    if not ids:
        return [f"No findings by any policy in the latest run ({latest['run_id']})."]
    head = f"Findings by policy in the latest run ({latest['run_id']})"
    since = "" if previous is None else f", change since {previous['run_id']}"
    out = [f"{head}{since}:"]
    width = max(len(clean(p)) for p in ids)
    for pid in ids:
        n = now.get(pid, 0)
        line = f"  {clean(pid):<{width}}  {n:>6}"
        if previous is not None:
            d = n - before.get(pid, 0)
            line += f"  {'=' if d == 0 else f'{d:+d}':>6}"
        out.append(line)
    return out


@click.command("history")
@store_options
@click.option("--limit", "-n", type=click.IntRange(min=1, max=MAX_LIMIT), default=20,
              show_default=True, help="How many runs to show (the newest).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="table for people, json for scripts.")
@click.option("--policy", "-p", "policies", multiple=True, metavar="ID",
              help="Count only findings of these policies (id or glob, e.g. 'DS-ENC-*'). "
                   "Repeatable.")
@click.option("--prune-before", "prune_before", metavar="DATE",
              help="Delete the runs that started before DATE (ISO date or time; UTC unless "
                   "it has an offset) and exit. Retention: see docs/history.md.")
@click.option("--fail-on-event", "fail_on_event", is_flag=True,
              help="Exit 1 when a regulatory event (Art. 19, 71, 73) happened between the "
                   "two latest runs, else 3 when one is not known.")
def command(store: str | None, config_path: str | None, limit: int, fmt: str,
            policies: tuple[str, ...], prune_before: str | None, fail_on_event: bool) -> int:
    """List the runs kept in the history store, newest first, with their counts.

    Each run shows when it started, its label, how many assets it covered, its findings by
    data level (waived findings included; 'waived' counts those accepted by a waiver), how
    many items could not be assessed (never a pass) and whether the scan was complete.
    Below the table: the latest run's findings by policy and the change since the run
    before it. Runs get into the store with `dsscan scan ... --store URL` (or the config's
    'store' setting); nothing here reads the findings themselves, only counts kept with each
    run, so this stays fast on long histories.

    \b
    Examples:
      dsscan history                                  .dsscan/history.sqlite
      dsscan history --store /var/lib/dsscan/history.sqlite --limit 50
      dsscan history --store postgresql://dsscan@db.internal:5432/dsscan
      DSSCAN_STORE=history.sqlite dsscan history --policy 'DS-BAK-*'
      dsscan history --format json | jq '.runs[0].by_level'
      dsscan history --prune-before 2025-01-01        retention: drop older runs
      dsscan history --fail-on-event                  nightly: fail on Art. 19/71/73 events

    Below the counts: the regulatory events between the two latest runs (a level lowered
    without an approval record, Art. 19; a new important or core store, Art. 71; a new
    external principal on a sensitive-or-above store, Art. 73), or what is not known of them.
    """
    # Pruning writes; listing only reads (and so works without write access to the store).
    with open_for_reading(store, config_path, read_only=prune_before is None) as st:
        if prune_before is not None:
            removed = st.prune(prune_before)
            click.echo(f"Removed {count(removed, 'run')} that started "
                       f"before {clean(prune_before)} from {st.url}.")
            return 0
        with st.reading():
            total = st.count_runs()
            # One more than shown, for the latest run's change by policy.
            runs = st.list_runs(max(limit, 2), policy=policies)
            found = (st.events(runs[1]["run_id"], runs[0]["run_id"]) if len(runs) > 1
                     else None)
        with st.reading():  # what was read, rendered: a damaged row fails here too
            shown = _show(st.url, total, runs, limit, fmt, policies, found)
    if not fail_on_event:
        return shown
    from dsscan.cli.diff_cmd import event_exit_code

    # One run (or none): nothing to compare with, so no event is known either way.
    return 3 if found is None else event_exit_code(found)


def _show(url: str, total: int, runs: list[dict[str, Any]], limit: int, fmt: str,
          policies: tuple[str, ...], found: dict[str, Any] | None = None) -> int:
    shown = runs[:limit]
    if fmt == "json":
        events = None if found is None else {k: found[k] for k in
                                             ("a", "b", "known", "events", "not_known")}
        click.echo(json.dumps({"store": url, "total_runs": total,
                               "policy": list(policies) or None, "runs": shown,
                               "events": events},
                              indent=2, ensure_ascii=False))
        return 0
    if not shown:
        click.echo(f"No runs stored in {url} yet (dsscan scan ... --store {url}).")
        return 0
    where = f" (policies {', '.join(clean(p) for p in policies)})" if policies else ""
    out = [f"Runs in {url}{where}, newest first ({len(shown)} of {total}):", ""]
    out += _runs_table(shown)
    out += ["", "imp = important, sens = sensitive, gen = general, uncl = unclassified; "
                "n/a = not assessed", ""]
    out += _policy_lines(runs[0], runs[1] if len(runs) > 1 else None)
    if found is not None:
        from dsscan.cli.diff_cmd import event_lines

        lines = event_lines(found)
        lines[0] = f"{lines[0][:-1]}, {found['a']} -> {found['b']}:"
        out += ["", *lines]
    click.echo("\n".join(out))
    return 0
