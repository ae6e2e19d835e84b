"""The CI integrations stay true: examples/ci/*, .pre-commit-hooks.yaml and docs/ci.md.

- Every YAML file parses, and has what GitHub Actions, GitLab CI and pre-commit require.
- Every `dsscan ...` command line in them is parsed by the real click CLI (without running),
  so a renamed command, flag or choice breaks this test.
- The pre-commit hooks are validated with pre-commit's own schema, and run the way pre-commit
  runs them (its hook merging and file classification, then entry + args + files).
- The JUnit report GitLab reads is produced by the real pipeline and checked against what
  GitLab's JUnit parser does with it. No GitLab can run here: `gitlab_junit` below is a port of
  the parts of GitLab's parser that decide what is shown (see its docstring for the sources).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
GITHUB = CI / "github-actions" / "dsscan.yml"
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
PRECOMMIT_CONFIG = CI / "pre-commit" / ".pre-commit-config.yaml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOC = ROOT / "docs" / "ci.md"
YAML_FILES = [GITHUB, GITLAB, PRECOMMIT_CONFIG, HOOKS]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Command lines: extraction from shell text, and parsing with the real CLI
# --------------------------------------------------------------------------------------------

_GH_EXPR = re.compile(r"\$\{\{.*?\}\}")
# ${NAME:-default} takes its default (a realistic value); other variables a placeholder.
_VAR_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SHELL_OPERATOR = re.compile(r"^[;&|<>()]+$")


@dataclass(frozen=True)
class Command:
    where: str  # file:job or file:hook, for test ids and messages
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {shlex.join(self.argv)}"


def shell_commands(script: str) -> list[list[str]]:
    """The dsscan invocations of a shell script, as argv lists (variables replaced)."""
    text = _GH_EXPR.sub("gh-expr", script)
    text = _VAR_DEFAULT.sub(lambda m: m.group(1), text)
    text = _VAR.sub(lambda m: f"{m.group(1).lower()}-value", text)
    text = text.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        current: list[str] = []
        for token in [*lex, ";"]:
            if _SHELL_OPERATOR.match(token):
                if current[:1] == ["dsscan"]:
                    found.append(current)
                current = []
            else:
                current.append(token)
    return found


def resolve(argv: list[str] | tuple[str, ...]) -> tuple[click.Command, str, list[str],
                                                        click.Context]:
    """Walk the real command groups: (leaf command, its name, its args, parent context)."""
    from dsscan.cli.main import cli

    assert argv[0] == "dsscan", argv
    args = list(argv[1:])
    ctx = click.Context(cli, info_name="dsscan")
    cmd: click.Command = cli
    name = "dsscan"
    # A group's own options come before its subcommand (`baseline create --from-report R`):
    # then the group itself is what parses the line.
    while isinstance(cmd, click.Group) and not (args and args[0].startswith("-")
                                                and cmd is not cli):
        resolved, sub, args = cmd.resolve_command(ctx, args)
        assert resolved is not None and sub is not None
        name = resolved
        if isinstance(sub, click.Group):
            ctx = click.Context(sub, info_name=name, parent=ctx)
        cmd = sub
    return cmd, name, args, ctx


def parse(argv: list[str] | tuple[str, ...], workdir: Path) -> click.Context:
    """Parse a dsscan command line with click exactly as `dsscan` would, without running it.

    Paths that must exist (click.Path(exists=True), e.g. `policies lint DIR`) are the user's
    repository layout, not something an example can bring: they are created in ``workdir``
    (the current directory) first, so only the command's shape is judged."""
    cmd, name, args, parent = resolve(argv)
    probe = click.Context(cmd, info_name=name, parent=parent, resilient_parsing=True)
    raw, _, _ = cmd.make_parser(probe).parse_args(args=list(args))
    for param in cmd.params:
        ptype = param.type
        if isinstance(ptype, click.Path) and ptype.exists and raw.get(param.name) is not None:
            values = raw[param.name]
            for value in values if isinstance(values, list | tuple) else [values]:
                if not isinstance(value, str):  # click's "not given" sentinel
                    continue
                target = workdir / value
                if ptype.file_okay:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.touch()
                else:
                    target.mkdir(parents=True, exist_ok=True)
    return cmd.make_context(name, list(args), parent=parent, resilient_parsing=False)


def written_files(ctx: click.Context) -> dict[str, str]:
    """Report files a parsed command writes: path -> format (dsscan's own pairing rules)."""
    from dsscan.run import plan_reports as plan_outputs

    params = ctx.params
    if "formats" in params:
        return {out: fmt for fmt, out in plan_outputs(params["formats"], params["outputs"])
                if out is not None}
    if params.get("output"):  # inventory aws/terraform/pulumi: the inventory
        return {params["output"]: "inventory"}
    return {}


# --- where the commands are ---------------------------------------------------------------

def github_jobs() -> dict[str, Any]:
    return load(GITHUB)["jobs"]


def github_commands() -> list[Command]:
    out = []
    for job_id, job in github_jobs().items():
        for step in job.get("steps", []):
            for argv in shell_commands(step.get("run", "")):
                out.append(Command(f"github:{job_id}", tuple(argv)))
    return out


def gitlab_jobs() -> dict[str, Any]:
    keywords = {"workflow", "stages", "variables", "default", "include", "image", "services",
                "cache", "before_script", "after_script"}
    return {k: v for k, v in load(GITLAB).items() if k not in keywords}


def gitlab_commands() -> list[Command]:
    out = []
    for job_id, job in gitlab_jobs().items():
        for key in ("before_script", "script", "after_script"):
            for item in job.get(key, []):
                for argv in shell_commands(item):
                    out.append(Command(f"gitlab:{job_id}", tuple(argv)))
    return out


def merged_hooks(workdir: Path) -> list[Any]:
    """The hooks of the example config, merged with the manifest the way pre-commit merges
    them (pre_commit.repository._hook: manifest defaults, then the user's overrides)."""
    from pre_commit.clientlib import load_config, load_manifest
    from pre_commit.hook import Hook
    from pre_commit.prefix import Prefix
    from pre_commit.repository import _hook

    manifest = {h["id"]: h for h in load_manifest(str(HOOKS))}
    config = load_config(str(PRECOMMIT_CONFIG))
    hooks = []
    for repo in config["repos"]:
        for hook in repo["hooks"]:
            merged = _hook(manifest[hook["id"]], hook, root_config=config)
            hooks.append(Hook.create(repo["repo"], Prefix(str(workdir)), merged))
    return hooks


def precommit_commands() -> list[Command]:
    """entry + args of each configured hook, plus one example filename when pre-commit
    passes filenames (what it appends at run time)."""
    from pre_commit.lang_base import hook_cmd

    examples = {"dsscan-terraform-plan": ["infra/plan.json"],
                "dsscan-inventory-validate": ["inventory/estate.json"]}
    out = []
    for hook in merged_hooks(ROOT):
        files = examples.get(hook.id, ["some.file"]) if hook.pass_filenames else []
        out.append(Command(f"pre-commit:{hook.id}", (*hook_cmd(hook.entry, hook.args), *files)))
    return out


_PREFIXES = ("- ", "run: ", "script: ", "entry: ", "sh '", 'sh "', "$ ")


# Every page a user copies commands from: the README and docs/*.md.
DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def doc_commands(page: Path = DOC) -> list[Command]:
    """dsscan lines in the fenced code blocks of a documentation page."""
    out = []
    where = str(page.relative_to(ROOT))
    text = page.read_text(encoding="utf-8")
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.strip()
            for prefix in _PREFIXES:
                line = line.removeprefix(prefix)
            # A usage synopsis (`dsscan diff [RUN_A] [--store URL]`) is not a command line.
            if line.startswith("dsscan ") and not re.search(r"\[-|\[[A-Z_]+\]|\.\.\.", line):
                for quote in "'\"":  # the closing quote of a sh '...' wrapper
                    if line.count(quote) % 2:
                        line = line.removesuffix(quote)
                out.extend(Command(where, tuple(argv)) for argv in shell_commands(line))
    return out


ALL_COMMANDS = github_commands() + gitlab_commands() + precommit_commands() + [
    c for page in DOC_PAGES for c in doc_commands(page)]


# --------------------------------------------------------------------------------------------
# Every file parses; every command line is accepted by the real CLI
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_ci_yaml_file_parses(path):
    data = load(path)
    assert isinstance(data, dict | list) and data


def test_commands_are_found_in_every_example():
    wheres = {c.where.split(":")[0] for c in ALL_COMMANDS}
    assert wheres >= {"github", "gitlab", "pre-commit", "docs/ci.md", "README.md"}
    assert len(github_commands()) >= 5 and len(gitlab_commands()) >= 5


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_every_dsscan_command_in_the_examples_parses_with_the_real_cli(command, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        parse(command.argv, tmp_path)
    except click.ClickException as e:
        pytest.fail(f"{command}\n  -> {e.format_message()}")


@pytest.mark.parametrize("argv", [
    "dsscan scan terraform plan.json --fail-onn high",       # renamed flag
    "dsscan scan terraform plan.json -f htm -o x.html",      # unknown choice
    "dsscan scan terraforms plan.json",                      # unknown source
    "dsscan scan terraform",                                 # missing PLAN_JSON
    "dsscan policies lint a b",                              # one directory only
])
def test_the_command_check_rejects_what_dsscan_would_reject(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(click.UsageError):
        parse(shlex.split(argv), tmp_path)


def test_shell_extraction_handles_continuations_operators_and_variables():
    script = ('set +e\ndsscan scan inventory "$F" \\\n  --store "${URL:-h/d.sqlite}" -f table'
              ' || test $? -eq 3\necho "exit-code=$?" >> "$GITHUB_OUTPUT"\n'
              "dsscan policies lint ${{ inputs.dir }} > log.txt\n")
    assert shell_commands(script) == [
        ["dsscan", "scan", "inventory", "f-value", "--store", "h/d.sqlite", "-f", "table"],
        ["dsscan", "policies", "lint", "gh-expr"],
    ]


# --------------------------------------------------------------------------------------------
# GitHub Actions
# --------------------------------------------------------------------------------------------

def github_job_outputs(job_id: str, tmp_path: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for c in github_commands():
        if c.where == f"github:{job_id}":
            files.update(written_files(parse(c.argv, tmp_path)))
    return files


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_github_workflow_has_the_keys_github_requires():
    wf = load(GITHUB)
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true; GitHub reads "on".
    on = wf.get("on", wf.get(True))
    assert isinstance(on, dict) and {"pull_request", "schedule", "workflow_dispatch"} <= set(on)
    for entry in on["schedule"]:
        assert len(entry["cron"].split()) == 5
    assert wf["permissions"] == {"contents": "read"}
    assert wf["jobs"]
    for job_id, job in wf["jobs"].items():
        assert job.get("runs-on"), job_id
        assert job.get("steps"), job_id
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (job_id, step)
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]
        perms = job.get("permissions", {})
        if steps_using(job, "github/codeql-action/upload-sarif"):
            assert perms.get("security-events") == "write", job_id
        if steps_using(job, "aws-actions/configure-aws-credentials"):
            assert perms.get("id-token") == "write", job_id


def test_github_sarif_uploads_point_at_the_files_the_dsscan_steps_write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    categories = []
    for job_id, job in github_jobs().items():
        uploads = steps_using(job, "github/codeql-action/upload-sarif")
        if not uploads:
            continue
        written = github_job_outputs(job_id, tmp_path)
        for step in uploads:
            sarif = step["with"]["sarif_file"]
            assert written.get(sarif) == "sarif", (job_id, sarif, written)
            # GitHub ignores SARIF's baselineState: a baseline's "absent" results would be
            # shown as open alerts, so the uploaded SARIF comes from a run without --baseline.
            [writer_ctx] = [ctx for c in github_commands() if c.where == f"github:{job_id}"
                            for ctx in [parse(c.argv, tmp_path)] if sarif in written_files(ctx)]
            assert writer_ctx.params.get("baseline_path") is None, (job_id, sarif)
            assert step["if"].startswith("always()"), "upload even when dsscan exits 1 or 3"
            categories.append(step["with"]["category"])
            # After the step that writes it.
            writer = next(i for i, s in enumerate(job["steps"])
                          if f"-o {sarif}" in s.get("run", ""))
            assert job["steps"].index(step) > writer
    assert len(categories) == len(set(categories)) >= 2  # one category per analysis


def test_github_plan_gate_uses_the_baseline_and_keeps_junit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = github_jobs()["plan-gate"]
    [gate] = [c for c in github_commands()
              if c.where == "github:plan-gate" and "--baseline" in c.argv]
    params = parse(gate.argv, tmp_path).params
    assert params["baseline_path"] == ".dsscan-baseline.json"
    assert gate.argv[1:3] == ("scan", "terraform") and params["plans"] == ("infra/plan.json",)
    plan_step = next(s for s in job["steps"] if "terraform show -json" in s.get("run", ""))
    assert "plan.json" in plan_step["run"]
    assert steps_using(job, "hashicorp/setup-terraform")[0]["with"]["terraform_wrapper"] is False
    written = github_job_outputs("plan-gate", tmp_path)
    [artifact] = steps_using(job, "actions/upload-artifact")
    kept = artifact["with"]["path"].split()
    assert written["dsscan-junit.xml"] == "junit" and "dsscan-junit.xml" in kept
    assert "infra/plan.json" not in kept  # a plan can hold secrets


def test_github_sweep_stores_history_assumes_the_read_only_role_and_keeps_html(tmp_path,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = load(GITHUB)
    job = wf["jobs"]["sweep"]
    assert "schedule" in job["if"]
    commands = [c for c in github_commands() if c.where == "github:sweep"]
    parsed = {c.argv[1:3]: parse(c.argv, tmp_path) for c in commands}
    inventory = parsed[("inventory", "aws")].params
    assert inventory["organization"] and inventory["role_name"] == "DsscanReadOnly"
    scan = parsed[("scan", "inventory")].params
    # The sweep evaluates the inventory file the first command wrote (a physical location for
    # every SARIF result), and keeps the run in the store.
    assert scan["files"] == (inventory["output"],)
    assert scan["store_url"] == "dsscan_store-value"
    assert "DSSCAN_STORE" in job["env"]
    written = github_job_outputs("sweep", tmp_path)
    assert written["compliance.html"] == "html"
    [artifact] = steps_using(job, "actions/upload-artifact")
    assert "compliance.html" in artifact["with"]["path"].split()
    [creds] = steps_using(job, "aws-actions/configure-aws-credentials")
    assert creds["with"]["role-to-assume"] and creds["with"]["audience"]
    assert "examples/iam/dsscan-readonly.json" in GITHUB.read_text(encoding="utf-8")
    assert (ROOT / "examples" / "iam" / "dsscan-readonly.json").is_file()
    restore = steps_using(job, "actions/cache/restore")
    save = steps_using(job, "actions/cache/save")
    assert restore and save and restore[0]["with"]["path"] == save[0]["with"]["path"]


def _run_gate(script: str, env: dict[str, str]) -> int:
    bash = shutil.which("bash")
    assert bash, "bash is needed to run the workflow's gate step"
    return subprocess.run([bash, "-e", "-c", script], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=30).returncode


def gate_step(job_id: str) -> dict[str, Any]:
    [step] = [s for s in github_jobs()[job_id]["steps"] if s.get("name", "").startswith("Gate")]
    return step


@pytest.mark.parametrize("code", [0, 1, 2, 3])
def test_github_plan_gate_step_fails_the_job_with_dsscans_exit_code(code):
    step = gate_step("plan-gate")
    assert step["env"]["DSSCAN_EXIT"] == "${{ steps.dsscan.outputs.exit-code }}"
    dsscan_step = next(s for s in github_jobs()["plan-gate"]["steps"] if s.get("id") == "dsscan")
    assert 'echo "exit-code=$?" >> "$GITHUB_OUTPUT"' in dsscan_step["run"]
    assert "set +e" in dsscan_step["run"]
    assert _run_gate(step["run"], {"DSSCAN_EXIT": str(code)}) == code


def test_github_plan_gate_step_fails_when_dsscan_did_not_run():
    assert _run_gate(gate_step("plan-gate")["run"], {"DSSCAN_EXIT": ""}) != 0


@pytest.mark.parametrize(("inventory", "scan", "expected"), [
    ("0", "0", 0), ("0", "1", 1), ("3", "3", 3), ("0", "3", 3), ("2", "", 2), ("0", "2", 2),
])
def test_github_sweep_gate_fails_on_findings_errors_and_incomplete_sweeps(inventory, scan,
                                                                          expected):
    step = gate_step("sweep")
    rc = _run_gate(step["run"], {"INVENTORY_EXIT": inventory, "DSSCAN_EXIT": scan})
    assert rc == expected


# --------------------------------------------------------------------------------------------
# GitLab CI
# --------------------------------------------------------------------------------------------

def test_gitlab_pipeline_is_consistent():
    data = load(GITLAB)
    jobs = gitlab_jobs()
    stages = data["stages"]
    for job_id, job in jobs.items():
        assert isinstance(job, dict), job_id
        for parent in ([job["extends"]] if isinstance(job.get("extends"), str)
                       else job.get("extends", [])):
            assert parent in jobs, (job_id, parent)
        if job_id.startswith("."):
            continue  # hidden template job
        assert job.get("stage") in stages, job_id
        assert job.get("script"), job_id
        for need in job.get("needs", []):
            assert need in jobs, (job_id, need)


def test_gitlab_junit_reports_are_written_by_dsscan_and_sarif_is_only_an_artifact(tmp_path,
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    jobs = gitlab_jobs()
    with_junit = 0
    for job_id, job in jobs.items():
        artifacts = job.get("artifacts", {})
        reports = artifacts.get("reports", {})
        written: dict[str, str] = {}
        for c in gitlab_commands():
            if c.where == f"gitlab:{job_id}":
                written.update(written_files(parse(c.argv, tmp_path)))
        if "junit" in reports:
            with_junit += 1
            junit = reports["junit"]
            assert junit.endswith(".xml")  # GitLab's requirement
            assert written.get(junit) == "junit", (job_id, written)
            assert artifacts["when"] == "always"  # the report matters most when dsscan fails
        # GitLab's security reports (sast, ...) are GitLab's own JSON, not SARIF.
        for kind, path in reports.items():
            paths = path if isinstance(path, list) else [path]
            assert not any(p.endswith(".sarif") for p in paths), (job_id, kind)
        for out, fmt in written.items():
            if fmt == "sarif":
                assert out in artifacts.get("paths", []), (job_id, out)
    assert with_junit >= 2
    gate = [c for c in gitlab_commands() if c.where == "gitlab:dsscan-gate"]
    assert any("--baseline" in c.argv for c in gate)
    sweep = [c for c in gitlab_commands() if c.where == "gitlab:dsscan-sweep"]
    assert any("--store" in c.argv and "html" in c.argv for c in sweep)


# --------------------------------------------------------------------------------------------
# pre-commit
# --------------------------------------------------------------------------------------------

def test_pre_commit_hooks_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(HOOKS))  # pre-commit's own schema; raises when invalid
    ids = [h["id"] for h in hooks]
    assert len(ids) == len(set(ids))
    assert {"dsscan-terraform-plan", "dsscan-inventory-validate", "dsscan-policies-lint",
            "dsscan-policies-test"} <= set(ids)
    for h in hooks:
        assert h["language"] == "python"  # pre-commit pip-installs this repository
        assert h["entry"].split()[0] == "dsscan"
        assert h["name"] and h["description"]


def test_pre_commit_example_config_is_valid_and_uses_hooks_of_this_repository():
    from pre_commit.clientlib import load_config, load_manifest

    config = load_config(str(PRECOMMIT_CONFIG))
    ids = {h["id"] for h in load_manifest(str(HOOKS))}
    used = [h["id"] for repo in config["repos"] for h in repo["hooks"]]
    assert used and set(used) <= ids
    assert all(repo["rev"] for repo in config["repos"])


def test_pre_commit_hooks_pass_files_the_way_each_command_takes_them(tmp_path):
    for hook in merged_hooks(tmp_path):
        cmd, _, _, _ = resolve(shlex.split(hook.entry))
        arguments = [p for p in cmd.params if isinstance(p, click.Argument)]
        if hook.pass_filenames:
            # pre-commit appends any number of files: the command must take them all.
            assert arguments and arguments[-1].nargs == -1, hook.id
        else:
            # `policies lint|test` take one directory: it comes from args, files are not passed.
            assert [a.nargs for a in arguments] == [1] and len(hook.args) == 1, hook.id
    serial = {h.id: h.require_serial for h in merged_hooks(tmp_path)}
    # Several plans are one estate (relations across plans): one dsscan run for all of them.
    assert serial["dsscan-terraform-plan"] is True


@pytest.mark.parametrize(("path", "hook_id", "selected"), [
    ("plan.json", "dsscan-terraform-plan", True),
    ("infra/tfplan.json", "dsscan-terraform-plan", True),
    ("infra/prod.tfplan.json", "dsscan-terraform-plan", True),
    ("terraform-plan.json", "dsscan-terraform-plan", True),
    ("infra/variables.json", "dsscan-terraform-plan", False),
    ("docs/explanation.json", "dsscan-terraform-plan", False),
    ("planets.json", "dsscan-terraform-plan", False),
    ("inventory/prod.json", "dsscan-inventory-validate", True),
    ("examples/bank-estate.json", "dsscan-inventory-validate", True),
    ("prod.inventory.json", "dsscan-inventory-validate", True),
    ("package.json", "dsscan-inventory-validate", False),
    ("plan.json", "dsscan-inventory-validate", False),
    ("policies/bank/x.rego", "dsscan-policies-lint", True),
    ("policies/bank/README.md", "dsscan-policies-lint", False),
])
def test_pre_commit_hook_default_patterns_select_the_right_files(path, hook_id, selected,
                                                                 tmp_path):
    from pre_commit.clientlib import load_manifest
    from pre_commit.commands.run import Classifier
    from pre_commit.hook import Hook
    from pre_commit.prefix import Prefix
    from pre_commit.repository import _hook

    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("{}\n" if path.endswith(".json") else "x\n", encoding="utf-8")
    [manifest] = [h for h in load_manifest(str(HOOKS)) if h["id"] == hook_id]
    root = {"default_language_version": {"python": "default"}, "default_stages": ["pre-commit"]}
    hook = Hook.create("repo", Prefix(str(tmp_path)), _hook(manifest, root_config=root))
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        chosen = list(Classifier([path]).filenames_for_hook(hook))
    finally:
        os.chdir(old)
    assert (chosen == [path]) is selected


def _run_hook(hook: Any, repo: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook as pre-commit does (entry + args + the files it selects), with the installed
    dsscan (python -m dsscan.cli.main stands for the console script)."""
    from pre_commit.commands.run import Classifier
    from pre_commit.lang_base import hook_cmd

    tracked = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file())
    old = Path.cwd()
    os.chdir(repo)
    try:
        files = list(Classifier(tracked).filenames_for_hook(hook))
    finally:
        os.chdir(old)
    assert files, f"{hook.id} selects no file in {tracked}"
    cmd = list(hook_cmd(hook.entry, hook.args)) + (files if hook.pass_filenames else [])
    assert cmd[0] == "dsscan"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSSCAN_")}
    env["NO_COLOR"] = "1"
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *cmd[1:]], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A repository laid out as the example config expects."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    shutil.copy(PLAN, repo / "infra" / "plan.json")
    (repo / "infra" / "variables.json").write_text('{"region": "cn-north-1"}\n', encoding="utf-8")
    (repo / "inventory").mkdir()
    shutil.copy(ROOT / "examples" / "bank-estate.json", repo / "inventory" / "estate.json")
    (repo / "package.json").write_text("{}\n", encoding="utf-8")
    shutil.copytree(ROOT / "tests" / "fixtures" / "policies" / "acme", repo / "policies" / "bank")
    return repo


@pytest.mark.slow
def test_pre_commit_hooks_run_on_a_repository_like_pre_commit_runs_them(user_repo):
    hooks = {h.id: h for h in merged_hooks(user_repo)}

    plan = _run_hook(hooks["dsscan-terraform-plan"], user_repo)
    assert plan.returncode == 1, plan.stderr  # the bank plan has high findings: commit refused
    assert "DS-NET-001" in plan.stdout and "core-ledger" in plan.stdout

    good = _run_hook(hooks["dsscan-inventory-validate"], user_repo)
    assert good.returncode == 0, good.stderr
    (user_repo / "inventory" / "broken.json").write_text('{"format": "nope"}\n',
                                                          encoding="utf-8")
    bad = _run_hook(hooks["dsscan-inventory-validate"], user_repo)
    assert bad.returncode == 2 and "broken.json" in bad.stderr
    assert "Traceback" not in bad.stderr

    lint = _run_hook(hooks["dsscan-policies-lint"], user_repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = _run_hook(hooks["dsscan-policies-test"], user_repo)
    assert tests.returncode == 0 and "passed, 0 failed" in tests.stdout, tests.stdout


@pytest.mark.slow
def test_pre_commit_policy_hook_fails_when_a_policy_test_fails(user_repo):
    rego = next((user_repo / "policies" / "bank").rglob("*_test.rego"))
    rego.write_text(rego.read_text(encoding="utf-8")
                    + "\ntest_always_fails if {\n\tfalse\n}\n", encoding="utf-8")
    hooks = {h.id: h for h in merged_hooks(user_repo)}
    result = _run_hook(hooks["dsscan-policies-test"], user_repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_always_fails" in result.stdout + result.stderr


# --------------------------------------------------------------------------------------------
# The JUnit report GitLab reads
# --------------------------------------------------------------------------------------------

# GitLab's limits (docs: ci/testing/unit_test_reports.md; Gitlab::XmlConverter MAX_XML_SIZE;
# gitlab.com's "maximum test cases per unit test report").
GITLAB_MAX_FILE_BYTES = 30 * 1024 * 1024
GITLAB_MAX_TEST_CASES = 500_000
# `type` values ActiveSupport's Hash.from_xml (which GitLab's parser goes through) typecasts:
# yaml and symbol make the whole report fail to parse; the others replace the element's text.
ACTIVESUPPORT_TYPES = {"symbol", "date", "datetime", "dateTime", "integer", "float", "double",
                       "decimal", "boolean", "string", "yaml", "base64Binary", "binary", "file",
                       "array"}


@dataclass
class GitLabCase:
    suite_name: str | None
    classname: str | None
    name: str | None
    file: str | None
    status: str
    system_output: Any

    @property
    def key(self) -> str:  # Gitlab::Ci::Reports::TestCase#key
        return hashlib.sha256(f"{self.suite_name or ''}_{self.classname or ''}_"
                              f"{self.name or ''}".encode()).hexdigest()


def _element_value(el: ET.Element) -> Any:
    """What ActiveSupport's Hash.from_xml makes of a <failure>/<error>/<skipped> element."""
    text = el.text or ""
    if el.get("type") in {"yaml", "symbol"}:
        raise ValueError(f"Disallowed type attribute: {el.get('type')!r}")
    if el.attrib and not text.strip():
        return dict(el.attrib)  # a hash, not text: GitLab shows no useful details
    return text or None


def gitlab_junit(xml_text: str) -> tuple[list[GitLabCase], dict[str, dict[str, GitLabCase]]]:
    """Every case GitLab's parser reads, and what its test suite keeps (status -> key -> case).

    A port of Gitlab::Ci::Parsers::Test::Junit#parse!/all_cases/create_test_case
    (lib/gitlab/ci/parsers/test/junit.rb) and Gitlab::Ci::Reports::TestSuite#add_test_case
    (lib/gitlab/ci/reports/test_suite.rb): cases are read from a root <testsuites> or
    <testsuite> and nested <testsuite> elements; the status comes from a <failure>, <error> or
    <skipped> child, in that order; a case is keyed by suite name, classname and name, and a
    later case with the same key and status replaces the earlier one."""
    root = ET.fromstring(xml_text)
    cases: list[GitLabCase] = []

    def walk(node: ET.Element) -> None:
        for tc in node.findall("testcase"):
            status, output = "success", None
            for child, label in (("failure", "failed"), ("error", "error"),
                                 ("skipped", "skipped")):
                el = tc.find(child)
                if el is not None:
                    status, output = label, _element_value(el)
                    break
            cases.append(GitLabCase(node.get("name"), tc.get("classname"), tc.get("name"),
                                    tc.get("file"), status, output))
        for ts in node.findall("testsuite"):
            walk(ts)

    if root.tag in ("testsuites", "testsuite"):
        walk(root)
    kept: dict[str, dict[str, GitLabCase]] = {}
    for case in cases:
        kept.setdefault(case.status, {})[case.key] = case
    return cases, kept


def test_gitlab_junit_port_keys_and_statuses_like_gitlab():
    xml_text = """<testsuites><testsuite name="s">
      <testcase classname="c" name="a"><failure message="m" type="high">text</failure></testcase>
      <testcase classname="c" name="a"><failure message="m" type="high">again</failure></testcase>
      <testcase classname="c" name="b"><skipped/></testcase>
      <testcase classname="c" name="d"><error type="x">e</error></testcase>
      <testcase classname="c" name="e"/>
    </testsuite></testsuites>"""
    cases, kept = gitlab_junit(xml_text)
    assert len(cases) == 5
    assert {s: len(v) for s, v in kept.items()} == {"failed": 1, "skipped": 1, "error": 1,
                                                    "success": 1}
    with pytest.raises(ValueError, match="Disallowed"):
        gitlab_junit('<testsuite><testcase name="x"><failure type="yaml">y</failure>'
                     "</testcase></testsuite>")


PLAN = str(ROOT / "examples" / "terraform" / "bank" / "plan.json")
SOURCES: dict[str, tuple[str, ...]] = {
    "demo-saved": ("demo", "--saved"),
    "terraform-plan": ("scan", "terraform", PLAN),
    # Under a baseline holding 5 of the plan's findings: those become <skipped>.
    "terraform-plan-baseline": ("scan", "terraform", PLAN, "--baseline", "base.json"),
}


def _dsscan(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSSCAN_")}
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *argv], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)


def _junit_from(tmp_path: Path, source: str) -> tuple[str, dict[str, Any]]:
    """A JUnit report and the JSON report of the same run, from the real CLI."""
    import json

    if "--baseline" in SOURCES[source]:
        made = _dsscan(tmp_path, "baseline", "create", "terraform", PLAN, "--no-config",
                       "-o", "full.json")
        assert made.returncode == 0, made.stderr
        doc = json.loads((tmp_path / "full.json").read_text(encoding="utf-8"))
        doc["findings"] = doc["findings"][:5]
        (tmp_path / "base.json").write_text(json.dumps(doc), encoding="utf-8")
    result = _dsscan(tmp_path, *SOURCES[source], "--no-config", "-f", "junit", "-o",
                     "dsscan-junit.xml", "-f", "json", "-o", "dsscan.json")
    assert result.returncode in (1, 3), result.stderr  # these estates break policies
    return ((tmp_path / "dsscan-junit.xml").read_text(encoding="utf-8"),
            json.loads((tmp_path / "dsscan.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module", params=sorted(SOURCES))
def junit_run(request, tmp_path_factory) -> tuple[str, str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp(request.param)
    xml_text, report = _junit_from(tmp, request.param)
    return request.param, xml_text, report


@pytest.mark.slow
def test_gitlab_reads_every_dsscan_junit_case_with_its_details(junit_run):
    source, xml_text, report = junit_run
    root = ET.fromstring(xml_text)
    assert root.tag in ("testsuites", "testsuite")
    assert len(xml_text.encode()) < GITLAB_MAX_FILE_BYTES
    elements = list(root.iter("testcase"))
    assert 0 < len(elements) <= GITLAB_MAX_TEST_CASES
    cases, _ = gitlab_junit(xml_text)
    assert len(cases) == len(elements)  # nothing outside what GitLab walks
    for el in elements:
        assert el.get("name") and el.get("classname"), ET.tostring(el)[:200]
        outcomes = [c for c in el if c.tag in ("failure", "error", "skipped")]
        assert len(outcomes) <= 1
        for o in outcomes:
            assert o.get("type") not in ACTIVESUPPORT_TYPES
        if el.get("file") is not None:  # GitLab links it: a path inside the repository
            assert not el.get("file").startswith("/") and ".." not in el.get("file").split("/")
    for case in cases:
        if case.status in ("failed", "error"):
            # The details GitLab shows are the element's text: present, and a string.
            assert isinstance(case.system_output, str) and case.system_output.strip()
    counted = {s: sum(1 for c in cases if c.status == s) for s in ("failed", "error", "skipped")}
    assert counted["failed"] == int(root.get("failures")), source
    assert counted["error"] == int(root.get("errors")), source
    assert counted["failed"] >= 1
    findings = report["findings"]
    # Gating findings fail; findings in the baseline are skipped (shown, not failing), with
    # their details as text.
    existing = sum(1 for f in findings if f.get("baseline") == "existing")
    assert counted["skipped"] == len({(f["policy_id"], f["asset_id"]) for f in findings
                                      if f.get("baseline") == "existing"}), source
    if source == "terraform-plan-baseline":
        assert existing == 5 and counted["skipped"] >= 1
    for case in cases:
        if case.status == "skipped":
            assert isinstance(case.system_output, str) and case.system_output.strip()


@pytest.mark.slow
def test_gitlab_shows_not_assessed_as_errors_never_as_skipped(junit_run):
    source, xml_text, report = junit_run
    cases, _ = gitlab_junit(xml_text)
    errors = [c for c in cases if c.status == "error"]
    assert len(errors) == len(report["not_assessed"]), source
    assert all(c.name.startswith("not assessed: ") for c in errors)
    assert not any(c.status == "skipped" and c.name.startswith("not assessed")
                   for c in cases)
    if source == "demo-saved":
        assert errors  # the saved estate has unreadable parts: GitLab must show them


@pytest.mark.slow
@pytest.mark.parametrize("source", [
    "terraform-plan",
    "terraform-plan-baseline",
    # Two not-assessed facets of legacy-reports (access, encryption) in one suite.
    "demo-saved",
])
def test_gitlab_keeps_every_dsscan_junit_case(source, tmp_path):
    xml_text, _ = _junit_from(tmp_path, source)
    cases, kept = gitlab_junit(xml_text)
    # GitLab keeps one case per (status, key): a repeated key within one status is lost.
    seen = Counter((c.status, c.key) for c in cases)
    dupes = sorted({(c.status, c.suite_name, c.classname, c.name) for c in cases
                    if seen[(c.status, c.key)] > 1})
    assert not dupes, dupes
    assert sum(len(v) for v in kept.values()) == len(cases)


# --------------------------------------------------------------------------------------------
# Docs
# --------------------------------------------------------------------------------------------

def test_docs_and_readme_point_at_every_ci_example():
    doc = DOC.read_text(encoding="utf-8")
    index = (CI / "README.md").read_text(encoding="utf-8")
    for path in [*YAML_FILES]:
        rel = str(path.relative_to(ROOT))
        assert rel in doc, rel
        assert path.name in index, path.name
    for topic in ("Jenkins", "Exit codes", "SARIF", "baseline", "--store", "cache"):
        assert topic in doc, topic
    assert "docs/ci.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_gitlab_gets_the_plan_file_of_each_iac_finding(tmp_path):
    """GitLab shows a case's `file` and copies it for "copy failed tests": IaC findings carry
    the plan they came from, relative to the checkout; an absolute path outside it, and
    findings on saved or live inventories, carry none."""
    def files(cwd: Path, *args: str) -> set[str | None]:
        r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *args, "--no-config",
                            "-f", "junit"], capture_output=True, text=True, cwd=cwd)
        assert r.returncode in (1, 3), r.stderr
        return {c.get("file") for c in ET.fromstring(r.stdout).iter("testcase")
                if c.find("failure") is not None}

    rel = "examples/terraform/bank/plan.json"
    assert files(ROOT, "scan", "terraform", rel) == {rel}
    assert files(ROOT, "scan", "terraform", f"./{rel}") == {rel}
    assert files(tmp_path, "scan", "terraform", PLAN) == {None}
    assert files(ROOT, "demo", "--saved") == {None}
