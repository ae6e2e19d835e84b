"""File permissions: what dsscan writes follows the umask (0666 less it: a report made by a
service account can be opened by the people its umask lets in); a file that can hold a
secret (the AWS call log, with sts:AssumeRole's ExternalId) is 0600 whatever the umask."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsscan.cli.main import cli
from dsscan.inventory import dump_inventory, load_inventory
from dsscan.scanners.aws.clients import CallLog
from dsscan.store import open_store

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "examples" / "bank-estate.json"
UMASKS = [0o022, 0o027, 0o077]


def _cli(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    # 0, 1 (findings) and 3 (incomplete) all write their outputs; 2 is a usage error, and an
    # exception (also exit code 1 here) is a failure.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 3), result.output


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.json"
    _cli("scan", "inventory", str(ESTATE), "--no-config", "-f", "json", "-o", str(path))
    return path


def _report(tmp: Path, _: Path) -> Path:
    out = tmp / "report.html"
    _cli("scan", "inventory", str(ESTATE), "--no-config", "-o", str(out))
    return out


def _baseline(tmp: Path, report: Path) -> Path:
    out = tmp / ".dsscan-baseline.json"
    _cli("baseline", "create", "--from-report", str(report), "-o", str(out))
    return out


def _settings(tmp: Path, _: Path) -> Path:
    out = tmp / ".dsscan.yaml"
    _cli("config", "init", str(out))
    return out


def _bundle(tmp: Path, _: Path) -> Path:
    out = tmp / "bundle.tar.gz"
    _cli("policies", "bundle", "--no-config", str(out))
    return out


def _inventory(tmp: Path, _: Path) -> Path:
    out = tmp / "estate.json"
    dump_inventory(load_inventory(ESTATE), out)
    return out


def _store(tmp: Path, _: Path) -> Path:
    out = tmp / "history.sqlite"
    open_store(str(out)).close()
    return out


def _call_log(tmp: Path, _: Path) -> Path:
    out = tmp / "calls.jsonl"
    log = CallLog(detailed=True)
    log.record_call("sts", "cn-north-1", "AssumeRole",
                    {"RoleArn": "arn:aws-cn:iam::123456789012:role/dsscan",
                     "ExternalId": "a-shared-guard-value"})
    log.write_jsonl(str(out))
    assert "a-shared-guard-value" in out.read_text()  # why it is private
    return out


# writer -> the file can hold a secret (0600 whatever the umask)
WRITERS: dict[str, tuple[Callable[[Path, Path], Path], bool]] = {
    "report": (_report, False), "baseline": (_baseline, False),
    "settings": (_settings, False), "bundle": (_bundle, False),
    "inventory": (_inventory, False), "history store": (_store, False),
    "call log": (_call_log, True),
}


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", UMASKS, indirect=True, ids=lambda m: f"umask{m:03o}")
@pytest.mark.parametrize("writer", list(WRITERS))
def test_files_follow_the_umask_and_secrets_stay_private(
        tmp_path: Path, report: Path, umask: int, writer: str) -> None:
    write, private = WRITERS[writer]
    path = write(tmp_path, report)
    expected = 0o600 if private else 0o666 & ~umask
    assert stat.S_IMODE(path.stat().st_mode) == expected, (
        f"{writer}: {stat.S_IMODE(path.stat().st_mode):o}, expected {expected:o}")


@pytest.mark.parametrize("umask", [0o022], indirect=True)
def test_an_overwritten_file_takes_the_umask_too(tmp_path: Path, report: Path,
                                                 umask: int) -> None:
    target = tmp_path / ".dsscan-baseline.json"
    target.write_text("{}")
    target.chmod(0o600)
    _baseline(tmp_path, report)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert json.loads(target.read_text())  # the new baseline, whole
