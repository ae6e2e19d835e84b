"""Bad input, case by case: what the fuzzer (tests/test_fuzz.py) looks for at random, each
required behaviour pinned for every input kind through the real CLI entry. On exit 2 the error
is one line naming the file, never a traceback or an internal error, and nothing is read for
ever or into memory past the size limit (dsscan/inputs.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_support import BANK, KINDS, PREVIOUS, Fuzzer, Kind, run_in_process

JSON_KINDS = [k for k in KINDS if KINDS[k].fmt == "json"]
YAML_KINDS = [k for k in KINDS if KINDS[k].fmt == "yaml"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Fuzzer:
    return Fuzzer(tmp_path_factory.mktemp("table"))


def refused(kind: Kind, path: Path, tmp_path: Path, *, full: bool = False) -> str:
    """Run the kind's command on ``path``; it must exit 2 with one line naming the file and
    leave its output file as it was. Returns the line."""
    argv, out = Fuzzer.argv(kind, full, path, tmp_path)
    got = run_in_process(argv)
    lines = got.stderr.strip("\n").split("\n")
    assert got.code == 2, (got.code, got.stderr)
    assert len(lines) == 1 and str(path) in lines[0], got.stderr
    assert "internal error" not in got.stderr and "Traceback" not in got.stderr
    if out is not None:
        assert out.read_bytes() == PREVIOUS  # nothing half-written, nothing lost
    return lines[0]


def write(tmp_path: Path, kind: Kind, data: bytes | str) -> Path:
    p = tmp_path / kind.filename
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


# --- JSON: the inventory, Terraform plans, Pulumi exports and previews, baselines ------------

JSON_CASES = [
    ("nesting 10^5", b"[" * 100_000 + b"]" * 100_000, "nested more than 128 levels deep"),
    ("nesting 10^5 objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
     "nested more than 128 levels deep"),
    ("nesting 129", b'{"format_version": "1.2", "a": ' + b"[" * 128 + b"]" * 128 + b"}",
     "nested more than 128 levels deep"),
    ("5,000-digit integer", b'{"format_version": ' + b"9" * 5000 + b"}",
     "an integer of 5,000 digits"),
    ("integer beyond 64 bits", b'{"a": [18446744073709551616]}', "beyond 64 bits"),
    ("lone surrogate", b'{"format_version": "1.2", "a": "x\\ud800y"}', "lone UTF-16 surrogate"),
    ("lone low surrogate", b'{"a": ["\\udc00"]}', "lone UTF-16 surrogate"),
    ("NaN", b'{"format_version": "1.2", "a": NaN}', "NaN is not a JSON number"),
    ("Infinity", b'{"a": [Infinity]}', "Infinity is not a JSON number"),
    ("-Infinity", b'{"a": -Infinity}', "-Infinity is not a JSON number"),
    ("overflow to Infinity", b'{"a": 1e999}', "overflows to Infinity"),
    ("duplicate key", b'{"format_version": "1.2", "a": {"k": 1, "k": 2}}',
     "duplicate key 'k'"),
    ("duplicate top-level key", b'{"assets": [], "assets": []}', "duplicate key 'assets'"),
    ("not UTF-8", b'{"a": "caf\xe9"}', "not UTF-8 text"),
]


@pytest.mark.parametrize("kind", JSON_KINDS)
@pytest.mark.parametrize("what, data, fragment", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_hostile_json_is_one_line_naming_the_file(fuzzer: Fuzzer, tmp_path: Path, kind: str,
                                                   what: str, data: bytes,
                                                   fragment: str) -> None:
    fuzzer.seed_of(KINDS[kind])
    line = refused(KINDS[kind], write(tmp_path, KINDS[kind], data), tmp_path)
    assert fragment in line, line


def test_a_repeated_key_names_the_key_and_is_never_last_wins(tmp_path: Path) -> None:
    """The second "encryption" would have made the bucket compliant."""
    text = BANK.read_text("utf-8")
    needle = '"kind": "object_store",'
    assert needle in text
    doubled = text.replace(needle, needle + ' "kind": "network_domain",', 1)
    line = refused(KINDS["inventory"], write(tmp_path, KINDS["inventory"], doubled), tmp_path)
    assert "duplicate key 'kind'" in line


# --- YAML: settings (and the waivers in them), catalogues, accounts files ------------------------

def _yaml_cases(kind: str) -> list[tuple[str, str, str]]:
    key = {"config": "fail_on", "waivers": "fail_on", "catalogue": "rules",
           "accounts": "accounts"}[kind]
    bomb = "[" + ", ".join([f"&a0 [{', '.join(['1'] * 10)}]"] + [
        f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]) + "]"
    return [
        ("nesting 10^5", f"{key}: " + "[" * 100_000 + "]" * 100_000 + "\n",
         "nested more than 128 levels deep"),
        ("5,000-digit integer", f"{key}: " + "9" * 5000 + "\n", "an integer beyond 64 bits"),
        ("integer beyond 64 bits", f"{key}: [18446744073709551616]\n", "beyond 64 bits"),
        ("lone surrogate", f'{key}: "x\\ud800y"\n', "lone UTF-16 surrogate"),
        ("NaN", f"{key}: .nan\n", "'.nan' is not a number dsscan reads"),
        ("Infinity", f"{key}: [-.inf]\n", "'-.inf' is not a number dsscan reads"),
        ("duplicate key", f"{key}: []\nother: 1\n{key}: []\n",
         f"at line 3: duplicate key '{key}'"),
        ("duplicate nested key", f"{key}:\n  - {{id: a, id: b}}\n", "duplicate key 'id'"),
        ("alias bomb", f"{key}: {bomb}\n", "aliases expand to more than 1,000,000 values"),
        ("alias loop", f"{key}: &x [*x]\n", "an alias refers to the node that contains it"),
        ("control character", f"{key}: a\x00b\n", "not valid YAML"),
        ("bad date", f"{key}: [2027-13-01]\n", "month must be in 1..12"),
        ("two documents", f"{key}: []\n---\n{key}: []\n", "not valid YAML"),
        ("not UTF-8", f"{key}: caf\udce9\n", "not UTF-8 text"),
    ]


@pytest.mark.parametrize("kind, what, text, fragment", [
    (k, *c) for k in YAML_KINDS for c in _yaml_cases(k)],
    ids=[f"{k}-{c[0]}" for k in YAML_KINDS for c in _yaml_cases(k)])
def test_hostile_yaml_is_one_line_naming_the_file(tmp_path: Path, kind: str, what: str,
                                                   text: str, fragment: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    line = refused(KINDS[kind], write(tmp_path, KINDS[kind], data), tmp_path)
    assert fragment in line, line


# --- TOML: pyproject.toml [tool.dsscan] ------------------------------------------------------

TOML_CASES = [
    ("nesting 10^5", "fail-on = " + "[" * 100_000 + "]" * 100_000,
     "nested more than 128 levels deep"),
    ("5,000-digit integer", "opa-timeout = " + "9" * 5000, "a number too long to read"),
    ("integer beyond 64 bits", "opa-timeout = 18446744073709551616", "beyond 64 bits"),
    ("nan", "opa-timeout = nan", "nan is not a number dsscan reads"),
    ("inf", "opa-timeout = -inf", "-inf is not a number dsscan reads"),
]


@pytest.mark.parametrize("what, body, fragment", TOML_CASES, ids=[c[0] for c in TOML_CASES])
def test_hostile_toml_is_one_line_naming_the_file(tmp_path: Path, what: str, body: str,
                                                   fragment: str) -> None:
    kind = KINDS["pyproject"]
    line = refused(kind, write(tmp_path, kind, f"[tool.dsscan]\n{body}\n"), tmp_path)
    assert fragment in line, line


# --- wrong types at any depth ---------------------------------------------------------------

TYPE_CASES = [
    ("terraform", ('"address": "aws_s3_bucket.bank_statements"', '"address": 7'),
     ".address", "7 is not of type"),
    ("terraform", ('"actions": [', '"actions": [7, '), ".change.actions[0]",
     "7 is not of type"),
    ("terraform", ('"references": [', '"references": [{}, '), ".references[0]",
     "is not of type"),
    ("pulumi-export", ('"dependencies": [', '"dependencies": 7, "x": ['), ".dependencies",
     "7 is not of types"),
    ("pulumi-preview", ('"propertyDependencies": {', '"propertyDependencies": {"k": true, '),
     ".propertyDependencies.k", "true is not of types"),
]


@pytest.mark.parametrize("kind, edit, path, fragment", TYPE_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in TYPE_CASES])
def test_a_wrong_type_deep_inside_is_named_by_its_path(tmp_path: Path, kind: str,
                                                        edit: tuple[str, str], path: str,
                                                        fragment: str) -> None:
    seed = KINDS[kind].seed
    assert seed is not None
    text = seed.read_text("utf-8")
    assert edit[0] in text
    line = refused(KINDS[kind], write(tmp_path, KINDS[kind], text.replace(edit[0], edit[1], 1)),
                   tmp_path)
    assert path in line and fragment in line, line


# --- files that are not files, and files too large ------------------------------------------

def _special(tmp_path: Path, kind: Kind, what: str) -> Path:
    p = tmp_path / kind.filename
    if what == "symlink to /dev/zero":
        p.symlink_to("/dev/zero")
    elif what == "FIFO":
        os.mkfifo(p)  # no writer: opening it to read would block for ever
    else:
        d = tmp_path / "a-directory"
        d.mkdir()
        p.symlink_to(d)
    return p


SPECIAL = ["symlink to /dev/zero", "FIFO", "symlink to a directory"]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("what", SPECIAL)
def test_a_device_fifo_or_directory_is_refused_without_reading(fuzzer: Fuzzer, tmp_path: Path,
                                                               kind: str, what: str) -> None:
    fuzzer.seed_of(KINDS[kind])
    line = refused(KINDS[kind], _special(tmp_path, KINDS[kind], what), tmp_path)
    expected = {"symlink to /dev/zero": "a device, not a regular file",
                "FIFO": "a FIFO (named pipe)", "symlink to a directory": "is a directory"}[what]
    if kind.startswith("pulumi") and what == "symlink to a directory":
        expected = "not a Pulumi project (no Pulumi.yaml)"  # a directory is a program there
    assert expected in line, line


@pytest.mark.slow
@pytest.mark.parametrize("what", SPECIAL)
def test_a_special_file_is_refused_by_the_process_too(tmp_path: Path, what: str) -> None:
    """As a user runs it: a real process that must end (a hang fails on the timeout)."""
    kind = KINDS["terraform"]
    p = _special(tmp_path, kind, what)
    r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", "scan", "terraform", str(p)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "DSSCAN_NO_CONFIG": "1"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and str(p) in r.stderr, r.stderr


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_file_over_the_size_limit_is_refused_before_reading(fuzzer: Fuzzer, tmp_path: Path,
                                                              kind: str) -> None:
    """A sparse file one byte over the default limit: refused from its size alone (reading
    512 MB of zeros first would take seconds and the memory)."""
    fuzzer.seed_of(KINDS[kind])
    k = KINDS[kind]
    data_kind = k.fmt == "json"
    limit_mb = 512 if data_kind else 16
    p = tmp_path / k.filename
    with p.open("wb") as f:
        f.truncate((limit_mb << 20) + 1)
    line = refused(k, p, tmp_path)
    env = "DSSCAN_MAX_INPUT_MB" if data_kind else "DSSCAN_MAX_SETTINGS_MB"
    assert f"larger than the {limit_mb} MB limit" in line and env in line, line


def test_the_size_limit_is_set_by_the_environment(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from dsscan.errors import InputError
    from dsscan.inventory import load_inventory

    p = tmp_path / "estate.json"
    p.write_bytes(BANK.read_bytes())
    monkeypatch.setenv("DSSCAN_MAX_INPUT_MB", "0.01")  # 10 KiB: the bank estate is 39 KiB
    size = f"{p.stat().st_size:,}"
    with pytest.raises(InputError, match=rf"is {size} bytes, larger than the 0\.01 MB limit"):
        load_inventory(p)
    monkeypatch.setenv("DSSCAN_MAX_INPUT_MB", "1")
    assert load_inventory(p).assets
    for bad in ("lots", "-1", "0", "nan"):
        monkeypatch.setenv("DSSCAN_MAX_INPUT_MB", bad)
        with pytest.raises(InputError, match=r"DSSCAN_MAX_INPUT_MB: .* is not a positive"):
            load_inventory(p)


# --- a Terraform plan behind something else ---------------------------------------------------

PLAN = (ROOT / "examples" / "terraform" / "bank" / "plan.json").read_bytes()
WRAPPED = [
    ("a warning line", b"Warning: Argument is deprecated\n\n" + PLAN,
     "2 lines before the JSON ('Warning: Argument is deprecated'"),
    ("a CI log prefix", b"2026-12-07T04:13:08.123Z " + PLAN,
     "something precedes the JSON on its line ('2026-12-07T04:13:08.123Z"),
    ("terraform plan's text", b"Terraform used the selected providers to generate the "
     b"following execution plan.\n  # aws_s3_bucket.b will be created\nPlan: 1 to add.\n",
     "the text output of 'terraform plan', not JSON"),
    ("the binary plan", b"PK\x03\x04\x14\x00\x08\x00tfplan", "a binary plan file"),
    ("an empty file", b"\n", "empty file"),
    ("a truncated plan", PLAN[:5000], "not valid JSON"),
]


@pytest.mark.parametrize("what, data, fragment", WRAPPED, ids=[w[0] for w in WRAPPED])
def test_a_plan_that_is_not_plain_json_names_the_fix(tmp_path: Path, what: str, data: bytes,
                                                     fragment: str) -> None:
    kind = KINDS["terraform"]
    path = write(tmp_path, kind, data)
    line = refused(kind, path, tmp_path)
    assert fragment in line, line
    hint = re.search(r"terraform show -json \S+ > (\S+)'", line)
    assert hint and hint.group(1) != path.name, line  # never the input (tests/test_hints.py)


# --- --regions with spaces -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("given", ["us-east-1,eu-west-1", "us-east-1, eu-west-1",
                                   " us-east-1 , eu-west-1 ", "us-east-1 eu-west-1",
                                   "us-east-1,,eu-west-1"])
def test_regions_separated_by_spaces_are_split_and_trimmed(tmp_path: Path, given: str) -> None:
    """Under moto in this process (mock_aws): the sweep reads exactly the two regions."""
    import json

    from moto import mock_aws

    out = tmp_path / "aws.json"
    with mock_aws():
        got = run_in_process(["inventory", "aws", "--regions", given, "--services", "kms",
                              "-o", str(out)],
                             env={"AWS_ENDPOINT_URL": None, "AWS_DEFAULT_REGION": "us-east-1"})
    assert got.code == 0, got.stderr
    sources = json.loads(out.read_text())["sources"]
    assert sorted({s["region"] for s in sources}) == ["eu-west-1", "us-east-1"]


# --- the nesting depth of JSON, measured on its text --------------------------------------------

def _depth(o: object) -> int:
    if isinstance(o, dict):
        return 1 + max((_depth(v) for v in o.values()), default=0)
    if isinstance(o, list):
        return 1 + max((_depth(v) for v in o), default=0)
    return 0


def _random_doc(rnd: object, budget: int) -> object:
    import random

    assert isinstance(rnd, random.Random)
    pick = rnd.random()
    if budget <= 0 or pick < 0.3:
        return rnd.choice([1, "x", '"[{', "\\\"]}", "\\", "}", None, True, 1.5, ""])
    if pick < 0.65:
        return [_random_doc(rnd, budget - 1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(["a", "[", '"{', "\\", "]}"]) + str(i): _random_doc(rnd, budget - 1)
            for i in range(rnd.randint(0, 3))}


def test_the_depth_read_from_the_text_is_the_depth_of_the_document() -> None:
    """dsscan.inputs measures nesting on the bytes (brackets outside strings) at C speed;
    against a plain recursive walk of 2,000 random documents, brackets and escapes inside
    their strings included."""
    import json
    import random

    from dsscan.inputs import _json_depth

    rnd = random.Random(11)
    for _ in range(2000):
        doc = _random_doc(rnd, rnd.randint(0, 12))
        for text in (json.dumps(doc), json.dumps(doc, indent=1, ensure_ascii=False)):
            assert _json_depth(text.encode("utf-8")) == _depth(doc), text


# --- many schema errors in a small file --------------------------------------------------------

_MANY = 700_000  # 2.8 MB of `{},` or `7,`: one schema error each
MANY_ERRORS = [
    ("inventory", '{"format": "dsscan-inventory/1", "assets": [' + ", ".join(["{}"] * _MANY)
     + "]}", '$.assets[0]: "id" is a required property'),
    ("terraform", '{"format_version": "1.2", "resource_changes": [' + ", ".join(["7"] * _MANY)
     + "]}", "$.resource_changes[0]: 7 is not of type"),
    ("pulumi-export", '{"deployment": {"resources": [{"urn": "u", "type": "t", "dependencies": ['
     + ", ".join(["7"] * _MANY) + "]}]}}", "$.deployment.resources[0].dependencies[0]: 7 is not"),
    ("pulumi-preview", '{"steps": [{"op": "create", "urn": "u", "newState": {"urn": "u", "type": '
     '"t", "dependencies": [' + ", ".join(["7"] * _MANY) + "]}}]}",
     "$.steps[0].newState.dependencies[0]: 7 is not"),
]
_AS_LIMIT = 1 << 30  # the address space of the process: 1 GiB (the run takes ~120 MB)


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (_AS_LIMIT, _AS_LIMIT))


@pytest.mark.slow
@pytest.mark.parametrize("kind, text, fragment", MANY_ERRORS, ids=[c[0] for c in MANY_ERRORS])
def test_a_file_with_a_schema_error_per_element_is_refused_in_bounded_memory(
        tmp_path: Path, kind: str, text: str, fragment: str) -> None:
    """Validation stops at the first error: collecting all 700,000 took 2.9 GB and a minute
    for the 2.8 MB inventory (and was killed at 23 GB for 50 MB). Run as a real process
    whose address space is limited to 1 GiB."""
    k = KINDS[kind]
    p = write(tmp_path, k, text)
    argv = [a.format(f=p, o=tmp_path / "out.json") for a in k.cheap]
    r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *argv], capture_output=True,
                       text=True, timeout=300, cwd=tmp_path, preexec_fn=_limit_memory,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "DSSCAN_NO_CONFIG": "1"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1, (r.returncode, r.stderr[-500:])
    assert str(p) in r.stderr and fragment in r.stderr, r.stderr
