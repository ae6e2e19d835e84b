"""The commands the planted-identifier checks run, shared by tests/test_planted_identifiers.py
and bench/bench_planted.py (which runs them larger).

Each scenario plants identifiers in its sources (tests/planted.py), runs every dsscan command
and output format over them as a subprocess in an output directory, and returns a
:class:`Run`: what was printed, and the directory every file was written to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from planted import (
    Leak,
    Planted,
    find_leaks,
    json_dump,
    make_sqlite,
    masked_shapes,
    plant_export,
    plant_inventory,
    plant_plan,
    provision,
    readable,
    variants_pattern,
)

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "cn-north-1",
    "AWS_REGION": "cn-north-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
REGION = "cn-north-1"
# Every report format, five to files and the table also to standard output.
FORMATS = ("-f", "table", "-o", "r.txt", "-f", "json", "-o", "r.json", "-f", "sarif", "-o",
           "r.sarif", "-f", "junit", "-o", "r.xml", "-f", "html", "-o", "r.html",
           "-f", "markdown", "-o", "r.md", "-f", "table")


def formats(stem: str) -> list[str]:
    return [a.replace("r.", f"{stem}.") for a in FORMATS]


class Run:
    """Runs dsscan commands in ``out`` (where every file they write lands) and keeps what
    they printed, to be searched with the files afterwards."""

    def __init__(self, out: Path, endpoint: str | None = None) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1",
                    "CI": "true", "HOME": str(out), **FAKE_ENV}
        if endpoint:
            self.env["AWS_ENDPOINT_URL"] = endpoint
        self.streams: list[tuple[str, str]] = []
        self.commands = 0

    def __call__(self, *args: Any,
                 ok: tuple[int, ...] = (0, 1, 3)) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                           capture_output=True, text=True, env=self.env, cwd=self.out,
                           timeout=900)
        self.commands += 1
        name = " ".join(map(str, args[:3]))
        self.streams += [(f"stdout of dsscan {name}", r.stdout),
                         (f"stderr of dsscan {name}", r.stderr)]
        assert r.returncode in ok, (args, r.returncode, r.stderr[-2000:])
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        return r

    def outputs(self) -> list[tuple[str, str]]:
        """(where, text) of every file written and every stream printed."""
        files = [(str(p.relative_to(self.out)), readable(p))
                 for p in sorted(self.out.rglob("*")) if p.is_file()]
        return files + self.streams


def check(planted: Planted, outputs: list[tuple[str, str]]) -> tuple[list[Leak], int]:
    """(leaks, how many planted values appear masked somewhere)."""
    pattern = variants_pattern(planted.values)
    leaks = [leak for where, text in outputs for leak in find_leaks(pattern, where, text)]
    everything = "\n".join(text for _, text in outputs)
    seen = sum(1 for shape in masked_shapes(planted.values) if shape in everything)
    return leaks, seen


def describe(leaks: list[Leak]) -> str:
    return "\n".join(f"{leak.where}: {leak.value!r} in ...{leak.context}..."
                     for leak in leaks[:20])


# --- files: inventory, Terraform plan, Pulumi export, settings, baseline, store, errors ----------

def files_scenario(planted: Planted, root: Path, estate: Path | None = None) -> Run:
    src = root / "in"
    src.mkdir(parents=True)
    inv_doc, n_inv = plant_inventory(planted, estate)
    assert n_inv > 200  # nearly every string of the estate holds one
    inv = json_dump(inv_doc, src / "inv.json")
    plan = json_dump(plant_plan(planted)[0], src / "plan.json")
    export = json_dump(plant_export(planted)[0], src / "export.json")

    # Inputs that are wrong, and whose errors quote a planted value.
    dup = json.loads(inv.read_text())
    dup["assets"].append(dict(dup["assets"][0]))
    json_dump(dup, src / "dup.json")
    bad_kind = json.loads(inv.read_text())
    bad_kind["assets"][0]["kind"] = f"kyc{planted.resident_id()}"
    json_dump(bad_kind, src / "kind.json")
    (src / "bad.yaml").write_text(f"fail_on: TEL{planted.mobile()}\n")
    (src / "broken.json").write_text('{"format": "dsscan-inventory/1", "assets": [{"id": '
                                     f'"kyc{planted.resident_id()}" ')
    json_dump({"dsscan_baseline": 1, "created_at": "2026-01-01T00:00:00+00:00",
               "tool_version": "0", "findings": [{
                   "fingerprint": f"x{planted.card()}", "policy_id": "DS-ENC-001",
                   "asset_id": f"kyc{planted.resident_id()}", "level": "core",
                   "severity": "critical"}]}, src / "badbase.json")
    # Settings whose waivers and catalogue quote identifiers (shown in reports and config).
    (src / "catalogue.yaml").write_text(
        f"version: 1\nrules:\n  - id: CAT-{planted.resident_id()}\n"
        f"    description: kyc files of TEL{planted.mobile()}\n    level: core\n"
        f"    match:\n      name: ['*kyc*']\n")
    (src / "settings.yaml").write_text(
        f"catalogue: {src / 'catalogue.yaml'}\nwaivers:\n"
        f"  - id: CHG-{planted.card()}\n    policy: DS-ENC-001\n    asset: '*kyc*'\n"
        f"    reason: customer {planted.resident_id()} agreed, TEL{planted.mobile()}\n"
        f"    approver: ops {planted.mobile()}\n    expires: 2099-03-31\n"
        f"  - policy: DS-NET-003\n    asset: '*cust*'\n"
        f"    reason: expired for {planted.grouped(planted.resident_id(), ' ')}\n"
        f"    approver: a{planted.mobile()}@bank.cn\n    expires: 2020-01-01\n")

    run = Run(root / "out")
    run("scan", "inventory", inv, *FORMATS, "--store", "store.sqlite")
    run("scan", "inventory", inv, "--config", src / "settings.yaml", *formats("w"),
        "--store", "store.sqlite")
    run("config", "show", "--config", src / "settings.yaml")
    run("config", "show", "--config", src / "settings.yaml", "--format", "json")
    run("scan", "inventory", inv, "-f", "json", "--store", "store.sqlite")
    run("history", "--store", "store.sqlite")
    run("history", "--store", "store.sqlite", "--format", "json")
    run("diff", "--store", "store.sqlite")
    run("diff", "--store", "store.sqlite", "--format", "json")
    run("baseline", "create", "inventory", inv, "-o", "base.json")
    run("scan", "inventory", inv, "--baseline", "base.json", *formats("b"))
    run("baseline", "create", "--from-report", "r.json", "-o", "base2.json")
    run("inventory", "classify", inv, "-o", "classified.json")
    run("inventory", "classify", inv)
    run("inventory", "validate", inv)
    run("inventory", "explain", inv, inv_doc["assets"][20]["id"])
    run("scan", "terraform", plan, *formats("t"))
    run("inventory", "terraform", plan, "-o", "tf-inv.json")
    run("inventory", "terraform", plan)
    run("scan", "inventory", "tf-inv.json", "-f", "json", "-o", "tf-again.json")
    run("scan", "pulumi", export, *formats("p"))
    run("inventory", "pulumi", export, "-o", "pu-inv.json")
    run("inventory", "pulumi", export)
    # Errors: one line on standard error, exit 2, and the value it quotes masked.
    run("scan", "inventory", src / f"cust{planted.resident_id()}" / "x.json", ok=(2,))
    run("scan", "inventory", src / "dup.json", ok=(2,))
    run("scan", "inventory", src / "kind.json", ok=(2,))
    run("scan", "inventory", src / "broken.json", ok=(2,))
    run("scan", "inventory", inv, "--config", src / "bad.yaml", ok=(2,))
    run("scan", "inventory", inv, "--baseline", src / "badbase.json", ok=(2,))
    run("inventory", "explain", inv, f"kyc{planted.resident_id()}", ok=(2,))
    run("inventory", "explain", inv, f"TEL{planted.mobile()}", ok=(2,))
    run("sample", "--tag", f"kyc{planted.resident_id()}", src, ok=(2,))
    run("scan", "inventory", inv, "--policy", f"DS-{planted.card()}", ok=(0, 2, 3))
    run("history", "--store", src / f"tel{planted.mobile()}.sqlite", ok=(0, 2))
    return run


# --- a moto estate: scan aws / inventory aws, --sample-data, --call-log, --store ----------------

def aws_scenario(planted: Planted, root: Path, endpoint: str, scale: int = 1) -> Run:
    provision(planted, scale=scale, region=REGION)
    run = Run(root / "out", endpoint=endpoint)
    regions = ("--regions", REGION)
    run("inventory", "aws", *regions, "-o", "aws-inv.json", "--call-log", "calls.jsonl")
    run("inventory", "aws", *regions, "--sample-data")
    run("scan", "aws", *regions, "--sample-data", "--call-log", "calls2.jsonl",
        "--store", "store.sqlite", *FORMATS)
    run("scan", "aws", *regions, "-f", "json", "--store", "store.sqlite")
    run("diff", "--store", "store.sqlite", "--format", "json")
    run("history", "--store", "store.sqlite")
    run("baseline", "create", "aws", *regions, "-o", "base.json")
    run("scan", "inventory", "aws-inv.json", "-f", "json", "-o", "again.json",
        "--baseline", "base.json")
    run("inventory", "classify", "aws-inv.json", "-o", "classified.json")
    inv = json.loads((run.out / "aws-inv.json").read_text())
    run("inventory", "explain", "aws-inv.json", inv["assets"][0]["id"])
    run("scan", "aws", "--regions", f"{REGION},tel{planted.mobile()}", ok=(2, 3))
    run("scan", "aws", *regions, "--accounts-file", root / f"cust{planted.card()}.yaml",
        ok=(2,))
    return run


# --- a SQLite database: dsscan sample ---------------------------------------------------------

def sqlite_scenario(planted: Planted, root: Path, rows: int = 30) -> Run:
    src = root / "in"
    src.mkdir(parents=True)
    db = src / f"cust{planted.resident_id()}.db"
    make_sqlite(planted, db, rows=rows)
    run = Run(root / "out")
    run("sample", db, "-o", "sample.json")
    run("sample", f"sqlite:///{db}")
    run("sample", db, "--environment", "test", "--scan", "--store", "store.sqlite",
        "--save-inventory", "saved.json", *FORMATS)
    run("scan", "inventory", "sample.json", "-f", "sarif", "-o", "s.sarif", "-f", "table")
    run("sample", f"sqlite:///{src}/tel{planted.mobile()}.db", ok=(2, 3))
    # file:// URLs with the identifier percent-encoded (%31%31%30...): sampled (decoded), and
    # a missing one an error; neither form may show in clear.
    folder = src / f"kyc{planted.resident_id()}"
    folder.mkdir()
    (folder / f"cust{planted.card()}.csv").write_text(
        "id_number,mobile\n" + "".join(f"{planted.resident_id()},{planted.mobile()}\n"
                                       for _ in range(5)), "utf-8")
    run("sample", f"file://{_pct_digits(str(folder))}", "-o", "pct.json")
    run("sample", f"file://{_pct_digits(str(src / f'x{planted.resident_id()}'))}", ok=(2,))
    return run


def _pct_digits(path: str) -> str:
    """Every digit and X of ``path`` percent-encoded (%31 for "1")."""
    return "".join(f"%{ord(c):02X}" if c.isdigit() or c in "Xx" else c for c in path)
