"""The cluster guide and its Kubernetes examples stay true: docs/cluster.md, examples/cluster/.

- Every manifest parses and holds the kinds its README lists; kustomization.yaml lists them all.
- The CronJob's `dsscan ...` command line (and every `dsscan` line of the guide) is parsed by
  the real click CLI without running, so a renamed or removed option breaks this test; the
  `dask scheduler` / `dask worker` lines are parsed by distributed's own click commands.
- Every container runs the same image (Dask requires matching versions on scheduler, workers
  and client); the workers' service account carries the IRSA annotation.
- The guide names every option of the cluster sweep, and every page it links to exists.

No cluster is started: everything here reads files and parses command lines.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "examples" / "cluster"
DOC = ROOT / "docs" / "cluster.md"
SCHEDULER_ADDRESS = "tcp://dsscan-scheduler:8786"
IRSA = "eks.amazonaws.com/role-arn"
PLACEHOLDER_ACCOUNTS = {"111111111111"}

# file -> the kinds it holds (a manifest set, not a Helm chart: each file is fixed)
KINDS: dict[str, list[str]] = {
    "serviceaccount.yaml": ["ServiceAccount", "ServiceAccount"],
    "scheduler.yaml": ["Deployment", "Service"],
    "workers.yaml": ["Deployment"],
    "networkpolicy.yaml": ["NetworkPolicy", "NetworkPolicy"],
    "cronjob.yaml": ["CronJob", "PersistentVolumeClaim"],
    "kustomization.yaml": ["Kustomization"],
}


def docs_of(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((CLUSTER / name).read_text(encoding="utf-8"))
            if d is not None]


def manifests() -> list[dict[str, Any]]:
    return [d for name in KINDS if name != "kustomization.yaml" for d in docs_of(name)]


def one(kind: str, name: str) -> dict[str, Any]:
    [found] = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
        return doc["spec"]["template"]["spec"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(doc)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec["containers"]]


def argv_of(container: dict[str, Any]) -> list[str]:
    """command + args, with Kubernetes' $(VAR) references replaced by placeholders (each
    must name a variable of the container's env: Kubernetes leaves others as they are)."""
    env = {e["name"] for e in container.get("env", [])}
    out = []
    for word in [*container.get("command", []), *container.get("args", [])]:
        for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", word):
            assert var in env, f"$({var}) in {container['name']} is not in its env"
        out.append(re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                          lambda m: f"{m.group(1).lower()}-value", word))
    return out


# --------------------------------------------------------------------------------------------
# Parsing command lines with the real CLIs
# --------------------------------------------------------------------------------------------

def parse_dsscan(argv: list[str]) -> click.Context:
    """Parse a `dsscan ...` line exactly as dsscan would, without running it: an option that
    does not exist, a bad choice or a missing value raises click's usage error."""
    from dsscan.cli.main import cli

    assert argv[0] == "dsscan", argv
    args = list(argv[1:])
    ctx = click.Context(cli, info_name="dsscan")
    cmd: click.Command = cli
    name = "dsscan"
    while isinstance(cmd, click.Group):
        name, sub, args = cmd.resolve_command(ctx, args)
        assert sub is not None and name is not None
        if isinstance(sub, click.Group):
            ctx = click.Context(sub, info_name=name, parent=ctx)
        cmd = sub
    return cmd.make_context(name, args, parent=ctx)


def scan_aws() -> click.Command:
    from dsscan.cli.main import cli

    ctx = click.Context(cli, info_name="dsscan")
    scan = cli.get_command(ctx, "scan")
    assert isinstance(scan, click.Group)
    aws = scan.get_command(ctx, "aws")
    assert aws is not None
    return aws


def doc_commands(text: str) -> list[list[str]]:
    """The `dsscan` lines of the fenced shell blocks of a Markdown page."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("dsscan "):
                found.append(shlex.split(line, comments=True))
    return found


# --------------------------------------------------------------------------------------------
# Manifests
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_manifest_parses_and_holds_the_expected_kinds(name):
    got = docs_of(name)
    assert [d["kind"] for d in got] == KINDS[name]
    for d in got:
        assert d.get("apiVersion"), d
        if d["kind"] != "Kustomization":
            assert d["metadata"]["name"].startswith("dsscan"), d["metadata"]
            assert "namespace" not in d["metadata"]  # kustomization.yaml sets it


def test_kustomization_lists_every_manifest_and_the_image():
    kust = docs_of("kustomization.yaml")[0]
    on_disk = {p.name for p in CLUSTER.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kust["resources"]) == on_disk == set(KINDS) - {"kustomization.yaml"}
    assert kust["namespace"] == "dsscan"
    images = {c["image"].rsplit(":", 1)[0] for d in manifests() for c in containers(d)}
    assert {i["name"] for i in kust["images"]} == images


def test_every_container_runs_the_same_image():
    """Dask requires the same distributed (and dsscan: workers run its shard code) on the
    scheduler, the workers and the client."""
    images = Counter(c["image"] for d in manifests() for c in containers(d))
    assert len(images) == 1, images
    [image] = images
    assert ":" in image and not image.endswith(":latest"), image  # a pinned tag
    scheduler = containers(one("Deployment", "dsscan-scheduler"))
    workers = containers(one("Deployment", "dsscan-worker"))
    driver = containers(one("CronJob", "dsscan-nightly"))
    assert {c["image"] for c in scheduler + workers + driver} == {image}


def test_scheduler_service_is_cluster_internal_with_dask_and_dashboard_ports():
    svc = one("Service", "dsscan-scheduler")
    assert svc["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert {p["port"] for p in svc["spec"]["ports"]} == {8786, 8787}
    deploy = one("Deployment", "dsscan-scheduler")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    [c] = containers(deploy)
    assert argv_of(c)[:2] == ["dask", "scheduler"]
    assert {p["containerPort"] for p in c["ports"]} == {8786, 8787}
    spec = pod_spec(deploy)
    assert spec is not None
    sa = one("ServiceAccount", spec["serviceAccountName"])
    assert IRSA not in (sa["metadata"].get("annotations") or {})  # no AWS role


def test_workers_connect_to_the_scheduler_service_with_bounded_resources():
    deploy = one("Deployment", "dsscan-worker")
    [c] = containers(deploy)
    argv = argv_of(c)
    assert argv[:3] == ["dask", "worker", SCHEDULER_ADDRESS]
    assert argv[argv.index("--nthreads") + 1] == "4"
    assert "--memory-limit" in argv
    res = c["resources"]
    assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["memory"]


def test_dask_command_lines_parse_with_distributeds_own_cli():
    pytest.importorskip("distributed")
    from distributed.cli import dask_scheduler, dask_worker

    for deploy, command in (("dsscan-scheduler", dask_scheduler.main),
                            ("dsscan-worker", dask_worker.main)):
        [c] = containers(one("Deployment", deploy))
        command.make_context("dask", argv_of(c)[2:])  # after `dask scheduler|worker`


def test_workers_service_account_has_the_irsa_annotation_and_the_driver_shares_it():
    spec = pod_spec(one("Deployment", "dsscan-worker"))
    assert spec is not None
    sa = one("ServiceAccount", spec["serviceAccountName"])
    arn = sa["metadata"]["annotations"][IRSA]
    assert re.fullmatch(r"arn:aws(-cn)?:iam::\d{12}:role/[\w+=,.@/-]+", arn), arn
    # The driver's own account is read with the workers' credentials: the same role.
    driver = pod_spec(one("CronJob", "dsscan-nightly"))
    assert driver is not None and driver["serviceAccountName"] == sa["metadata"]["name"]


def test_cronjob_runs_a_valid_dsscan_cluster_sweep():
    cron = one("CronJob", "dsscan-nightly")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0  # a retry would read everything again under a new id
    spec = pod_spec(cron)
    assert spec is not None and spec["restartPolicy"] == "Never"
    [c] = containers(cron)
    argv = argv_of(c)
    ctx = parse_dsscan(argv)
    assert ctx.info_name == "aws" and ctx.parent is not None and ctx.parent.info_name == "scan"
    p = ctx.params
    assert p["organization"] and p["role_name"] == "DsscanReadOnly"
    assert p["cluster"] == SCHEDULER_ADDRESS
    assert p["store_url"] == "dsscan_store-value"  # $(DSSCAN_STORE)
    assert p["formats"] == ("sarif",) and p["outputs"] == ("/reports/aws.sarif",)
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert "/reports" in mounts
    [store] = [e for e in c["env"] if e["name"] == "DSSCAN_STORE"]
    assert store["valueFrom"]["secretKeyRef"]["name"]  # from a Secret, never a literal
    # Resuming: the same command with --resume RUN (README.md, docs/cluster.md).
    resumed = parse_dsscan([*argv, "--resume", "r20261208-020000-123-abcdefg"])
    assert resumed.params["resume"] == "r20261208-020000-123-abcdefg"


def test_a_wrong_option_in_the_cronjob_would_fail_this_test():
    [c] = containers(one("CronJob", "dsscan-nightly"))
    with pytest.raises(click.UsageError):
        parse_dsscan([*argv_of(c), "--account-shard", "2"])


def test_the_guides_dsscan_lines_parse():
    commands = doc_commands(DOC.read_text(encoding="utf-8")) + doc_commands(
        (CLUSTER / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 2
    for argv in commands:
        ctx = parse_dsscan(argv)
        assert ctx.params.get("cluster"), argv


def test_dockerfile_installs_dsscan_with_the_cluster_and_postgres_extras():
    text = (CLUSTER / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, flags=re.M)
    assert "pip install '.[cluster,postgres]'" in text
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["optional-dependencies"]
    assert "cluster" in extras and "postgres" in extras
    assert any(r.startswith("distributed") for r in extras["cluster"])
    assert re.search(r"^USER ", text, flags=re.M)  # not root


def test_no_secret_and_no_real_account_id_in_the_examples():
    files = [*CLUSTER.iterdir(), DOC]
    assert all(d["kind"] != "Secret" for d in manifests())
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert set(re.findall(r"(?<!\d)\d{12}(?!\d)", text)) <= PLACEHOLDER_ACCOUNTS, path
        assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key", text), path
        assert not re.search(r"postgres(ql)?://[^\s:@/]+:[^\s@/]+@", text), path  # a password


# --------------------------------------------------------------------------------------------
# Docs
# --------------------------------------------------------------------------------------------

def test_the_guide_names_every_option_of_the_cluster_sweep():
    doc = DOC.read_text(encoding="utf-8")
    options = [o for p in scan_aws().params if isinstance(p, click.Option)
               for o in p.opts if o.startswith("--")
               and ("--cluster" in p.opts or "--cluster" in (p.help or ""))]
    assert {"--cluster", "--account-shards", "--resume"} <= set(options)
    for option in options:
        assert f"`{option}" in doc, option
    [cluster] = [p for p in scan_aws().params if "--cluster" in getattr(p, "opts", [])]
    assert cluster.envvar and cluster.envvar in doc
    for topic in ("local:N", "tcp://", "tls://", "IRSA", "sts:AssumeRole",
                  "organizations:ListAccounts", "organizations:ListParents",
                  "organizations:DescribeOrganizationalUnit", "examples/iam/dsscan-readonly.json",
                  "exit code 3", "dashboard", "127.0.0.1", "## Sizing",
                  "<!-- SIZING: filled from bench/bench_sweep.py -->"):
        assert topic.lower() in doc.lower(), topic


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("page", [DOC, CLUSTER / "README.md"], ids=lambda p: p.name)
def test_every_page_linked_from_the_guide_exists(page):
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if re.match(r"[a-z]+://|mailto:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), link
        if anchor:
            assert target.suffix == ".md", link
            assert anchor in _anchors(target), link


def test_readme_and_aws_guide_link_to_the_cluster_guide():
    assert "(docs/cluster.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(cluster.md)" in (ROOT / "docs" / "aws.md").read_text(encoding="utf-8")
    index = (CLUSTER / "README.md").read_text(encoding="utf-8")
    for path in CLUSTER.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in index, path.name
