"""A wrong AWS configuration is bad input: one line on stderr, exit 2, never an internal error
or a traceback (issue 11: a region no partition has, a malformed ~/.aws/config, a bad
AWS_ENDPOINT_URL, a region name botocore refuses and a profile that does not exist were
"internal error" lines or misleading "cannot reach AWS STS" ones).

Through the real CLI entry (click's CliRunner, tests/fuzz_support.run_in_process). Nothing here
reaches AWS: every case is refused before the first call, or (per-service endpoint) when the
client of that service is made, after STS answered from moto's server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_support import run_in_process

pytestmark = pytest.mark.slow  # boto3 sessions over broken AWS config files, end to end

BAD_CONFIG = "[default\nregion = cn-north-1\n"  # an unclosed section header
BAD_REGION_PROFILE = "[default]\nregion = cn north 1\n"

# (case, extra argv, environment changes ({config} is a file holding the text given), text
#  the one line must hold)
CASES = [
    ("a region no partition has", ["--regions", "xx-nowhere-9"], {}, None,
     "--regions: 'xx-nowhere-9' is not a region of any AWS partition"),
    ("one bad region among good ones", ["--regions", "cn-north-1,xx-nowhere-9"], {}, None,
     "--regions: 'xx-nowhere-9'"),
    ("AWS_DEFAULT_REGION botocore refuses (InvalidRegionError)", [],
     {"AWS_DEFAULT_REGION": "bad region!"}, None,
     "the AWS region (AWS_REGION / AWS_DEFAULT_REGION or the profile's region): 'bad region!'"),
    ("the profile's region botocore refuses", [],
     {"AWS_DEFAULT_REGION": None, "AWS_REGION": None}, BAD_REGION_PROFILE,
     "'cn north 1' is not a region"),
    ("a malformed AWS config file (ConfigParseError)", [], {}, BAD_CONFIG,
     "AWS configuration (ConfigParseError): Unable to parse config file"),
    ("a bad AWS_ENDPOINT_URL", ["--regions", "cn-north-1"],
     {"AWS_ENDPOINT_URL": "not a url"}, None,
     "AWS configuration (ValueError): Invalid endpoint: not a url — while creating the sts "
     "client in cn-north-1"),
    ("AWS_PROFILE names no profile (ProfileNotFound)", ["--regions", "cn-north-1"],
     {"AWS_PROFILE": "nope"}, None, "AWS profile 'nope' does not exist in the AWS config files"),
    ("--profile names no profile", ["--regions", "cn-north-1", "--profile", "nope"], {}, None,
     "--profile nope: no such AWS profile"),
]


@pytest.mark.parametrize("command", ["scan", "inventory"])
@pytest.mark.parametrize(("case", "argv", "env", "config", "says"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_wrong_aws_configuration_is_one_line_and_exit_2(tmp_path: Path, command, case, argv,
                                                          env, config, says):
    env = dict(env)
    if config is not None:
        f = tmp_path / "config"
        f.write_text(config)
        env["AWS_CONFIG_FILE"] = str(f)
    got = run_in_process([command, "aws", *argv, "--max-attempts", "1", "--services", "kms"],
                         env=env)
    lines = got.stderr.strip("\n").split("\n")
    assert got.code == 2, (got.code, got.stderr)
    assert len(lines) == 1 and lines[0].startswith("dsscan: error: "), got.stderr
    assert says in lines[0], lines[0]
    assert "internal error" not in got.stderr and "Traceback" not in got.stderr


def test_a_bad_endpoint_of_one_service_is_refused_when_its_client_is_made(aws: str):
    """STS answers (moto's server); the S3 client, made in a worker thread, cannot be."""
    got = run_in_process(["scan", "aws", "--regions", "cn-north-1", "--services", "s3",
                          "--max-attempts", "1"],
                         env={"AWS_ENDPOINT_URL": aws, "AWS_ENDPOINT_URL_S3": "not a url"})
    lines = got.stderr.strip("\n").split("\n")
    assert got.code == 2, (got.code, got.stderr)
    assert len(lines) == 1, got.stderr
    assert "Invalid endpoint: not a url — while creating the s3 client in" in lines[0]
    assert "internal error" not in got.stderr and "Traceback" not in got.stderr
