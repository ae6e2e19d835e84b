"""`dsscan policies ...`: the policy catalogue, one policy in full, lint, and Rego tests."""

from __future__ import annotations

import json

import click

from dsscan.cli.types import SuggestingGroup
from dsscan.wording import count

_dirs_option = click.option(
    "--policy-dir", "policy_dirs", multiple=True, type=click.Path(file_okay=False),
    help="Also load your own policies from this directory. Repeatable.")


@click.group("policies", cls=SuggestingGroup)
def command() -> None:
    """List, show, lint, test and bundle the Rego policy library.

    Each policy is one .rego file with a METADATA block (id, title, NFRA articles,
    description, remediation) and a _test.rego file beside it. Your own policies in
    --policy-dir directories extend the built-in library (see docs/writing-policies.md).

    \b
    Examples:
      dsscan policies list
      dsscan policies show DS-ENC-001
      dsscan policies test                    run the built-in library's Rego tests
      dsscan policies test ./my-policies      run your policies' tests
      dsscan policies lint ./my-policies      also checks field paths against the input schema
      dsscan policies bundle bundle.tar.gz    an OPA bundle for a central OPA server
    """


@command.command("list")
@_dirs_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def list_cmd(policy_dirs: tuple[str, ...], fmt: str) -> int:
    """List the policies: id, NFRA articles, title.

    \b
    Example:
      dsscan policies list --policy-dir ./my-policies
    """
    from dsscan.policy_library import load_library

    lib = load_library(extra_dirs=list(policy_dirs))
    if fmt == "json":
        click.echo(json.dumps([{"id": p.id, "title": p.title, "articles": list(p.articles),
                                "builtin": p.builtin, "path": p.path}
                               for p in lib.policies], indent=2, ensure_ascii=False))
        return 0
    width = max((len(p.id) for p in lib.policies), default=2)
    arts = max((len(p.articles_text) for p in lib.policies), default=8)
    for p in lib.policies:
        origin = "" if p.builtin else "  (from " + p.path + ")"
        click.echo(f"{p.id:<{width}}  {p.articles_text:<{arts}}  {p.title}{origin}")
    return 0


@command.command("show")
@click.argument("policy_id")
@_dirs_option
def show_cmd(policy_id: str, policy_dirs: tuple[str, ...]) -> int:
    """Show one policy: what it checks, the articles it cites, how to fix a finding.

    \b
    Example:
      dsscan policies show DS-BAK-001
    """
    from dsscan.errors import InputError
    from dsscan.policy_library import load_library

    lib = load_library(extra_dirs=list(policy_dirs))
    match = [p for p in lib.policies if p.id.upper() == policy_id.upper()]
    if not match:
        from dsscan.suggest import did_you_mean

        hint = did_you_mean(policy_id, [q.id for q in lib.policies])
        raise InputError(f"no policy '{policy_id}'{hint} (see 'dsscan policies list')")
    p = match[0]
    click.echo(f"{p.id}: {p.title}")
    click.echo(f"NFRA Data Security Management Measures (2024): {p.articles_text}")
    if p.kinds:
        click.echo(f"Applies to: {', '.join(p.kinds)}")
    click.echo(f"Source: {p.path}  (package {p.package})")
    click.echo("\n" + p.description.strip())
    click.echo("\nRemediation:\n" + p.remediation.strip())
    click.echo("\nSeverity follows the highest data level involved: core=critical, "
               "important=high, sensitive=medium, general=low, unclassified=medium.")
    return 0


@command.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
@_dirs_option
def lint_cmd(directory: str | None, policy_dirs: tuple[str, ...]) -> int:
    """Check policies: METADATA present and complete, ids unique, only builtins that the
    embedded engine supports (no net.*, no rego.metadata.*, no http.send, ...), and every
    field path a policy reads (input.assets[_].ctx.protect_rank, a.encryption.at_rest.enabled,
    data.dsscan.config.*, data.dsscan.lib.<rule>) known to the policy input schema
    (dsscan/schemas/policy-input-v1.json): a misspelt field is undefined in Rego, so the rule
    reading it would silently never fire.

    Without DIRECTORY (or --policy-dir) the built-in library is checked; with them, the
    built-in library and yours. Exit 2 when a problem is found, one line each:
    file:line: what (and the closest known name).

    \b
    Examples:
      dsscan policies lint
      dsscan policies lint ./my-policies
    """
    from dsscan.lint import lint_library
    from dsscan.policy_library import load_library

    dirs = [*([directory] if directory else []), *policy_dirs]
    # Load without the lint so that every problem is listed, not only the first one.
    lib = load_library(extra_dirs=dirs, lint=False)
    problems = lint_library(lib, fields=True)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        return 2
    click.echo(f"ok: {count(len(lib.policies), 'policy')}, {count(len(lib.modules), 'module')}")
    return 0


@command.command("bundle")
@click.argument("out", type=click.Path(dir_okay=False))
@_dirs_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file whose policy_dirs are included and whose thresholds become "
                   "the bundle's default data.dsscan.config. Default: found as 'dsscan scan' "
                   "finds it.")
@click.option("--no-config", is_flag=True, help="Do not look for a settings file.")
def bundle_cmd(out: str, policy_dirs: tuple[str, ...], config_path: str | None,
               no_config: bool) -> int:
    """Write an OPA bundle (tar.gz) of the policy library for a central OPA server.

    The bundle holds every policy module (built-in and --policy-dir), the helpers, the
    aggregators dsscan queries, a .manifest whose revision is a digest of the modules, and
    data.json. Load it with 'opa run --server --bundle OUT' (or serve it from a bundle
    service), then scan with --opa-url: dsscan refuses a server whose revision differs from
    its own library's. Build it with the same --policy-dir and settings as your scans. See
    docs/opa-server.md.

    \b
    Examples:
      dsscan policies bundle dsscan-bundle.tar.gz
      dsscan policies bundle dsscan-bundle.tar.gz --policy-dir ./my-policies
    """
    from dsscan.bundle import write_bundle
    from dsscan.config_files import load_effective_config
    from dsscan.policy_library import load_library

    config = load_effective_config(config_path, discover=not no_config)
    lib = load_library(extra_dirs=[*config.policy_dirs, *policy_dirs])
    bundle = write_bundle(out, lib, config.policy_data())
    click.echo(f"wrote {out}: revision {bundle.revision}, {count(len(lib.policies), 'policy')}, "
               f"{count(len(bundle.modules), 'module')}, "
               f"roots {', '.join(bundle.manifest['roots'])}")
    return 0


@command.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--engine", type=click.Choice(["regorus", "opa"]), default="regorus",
              show_default=True,
              help="regorus (embedded) or opa (real OPA in-process; needs the test extra "
                   "opa-golib-python-bindings).")
@click.option("--run", "match", metavar="PATTERN",
              help="Only tests whose package.rule matches this regular expression.")
@click.option("-v", "--verbose", is_flag=True, help="One line per test, not only failures.")
def test_cmd(directory: str | None, engine: str, match: str | None, verbose: bool) -> int:
    """Run the Rego tests (rules named test_*) of the built-in library or of DIRECTORY.

    Tests in DIRECTORY can use the built-in helpers (data.dsscan.lib). Exit 1 when a test
    fails, 2 when a policy cannot be loaded.

    \b
    Examples:
      dsscan policies test
      dsscan policies test ./my-policies -v
      dsscan policies test --engine opa
    """
    from dsscan.policy_tests import run_policy_tests

    results = run_policy_tests(directory, engine=engine, match=match)
    failed = [r for r in results if not r.passed]
    for r in results:
        if verbose or not r.passed:
            mark = "PASS" if r.passed else "FAIL"
            extra = f"  {r.error}" if r.error else ""
            click.echo(f"{mark}  {r.package}.{r.rule}  ({r.file}){extra}")
    if not results:
        click.echo("no tests found (test rules are named test_* in *_test.rego files)", err=True)
        return 1
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
