"""`--opa-url`: evaluation on a central OPA server through its REST Data API.

No OPA binary is available on these machines, so the server here is a stand-in
(tests/opa_data_api_server.py): its HTTP layer is ours — a minimal ThreadingHTTPServer on
127.0.0.1 answering exactly the Data API calls dsscan makes — while the evaluation behind it
is real OPA 1.20 in-process (opa-golib-python-bindings), loaded from the bundle
`dsscan policies bundle` builds. dsscan's side is the real one: opa-python-client over real
HTTP on a real socket.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from opa_data_api_server import OpaDataApiServer

from dsscan.bundle import bundle_bytes, library_revision, make_bundle
from dsscan.config import Config
from dsscan.engine import evaluate
from dsscan.engines.opa_engine import opa_available
from dsscan.engines.opa_server import TOKEN_ENV, OpaServerError, evaluate_remote, parse_url
from dsscan.errors import InputError
from dsscan.inventory import load_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan, select_policies
from dsscan.policy_library import load_library

pytestmark = pytest.mark.skipif(
    not opa_available(),
    reason="opa_bindings (opa-golib-python-bindings) is not importable: the test server "
           "evaluates with real OPA")

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "examples" / "bank-estate.json"
CATALOGUE = ROOT / "examples" / "catalogue.yaml"
TOKEN = "tok-3f9a1c7e5b"  # a test value, nothing real


@pytest.fixture(autouse=True)
def _no_token(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def payload(library) -> bytes:
    """The bundle as `dsscan policies bundle` writes it (default config inside)."""
    return bundle_bytes(make_bundle(library, Config().policy_data()))


def classified(config: Config) -> list[dict[str, Any]]:
    return prepare(load_inventory(ESTATE), ScanOptions(config=config))


@pytest.fixture(scope="module")
def assets() -> list[dict[str, Any]]:
    return classified(Config())


@pytest.fixture(scope="module")
def embedded(library, assets):
    out = evaluate(library, assets, Config().policy_data(), workers=1)
    assert out.deny and out.not_assessed  # a result worth comparing
    return out


@pytest.fixture(scope="module")
def server(payload):
    with OpaDataApiServer(payload) as srv:
        yield srv


def remote(library, assets, url, config=None, **kw):
    return evaluate_remote(library, assets, (config or Config()).policy_data(), url=url, **kw)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more
    return port


def one_line(e: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


# --- same results as the embedded engine ---------------------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_remote_results_equal_the_embedded_engine_whatever_the_chunking(
        library, assets, embedded, server, chunk_size):
    before = server.evaluations
    assert remote(library, assets, server.url, chunk_size=chunk_size) == embedded
    assert server.evaluations - before == -(-len(assets) // chunk_size)


def test_a_run_with_its_own_config_gets_the_embedded_engines_verdicts(library, server):
    config = Config(allowed_regions=["cn-north-1"], unclassified_protection_level="important",
                    backup_separation="account")
    assets = classified(config)
    expected = evaluate(library, assets, config.policy_data(), workers=1)
    assert expected != evaluate(library, assets, Config().policy_data(), workers=1)
    assert remote(library, assets, server.url, config, chunk_size=5) == expected


def test_only_selected_policies_are_evaluated(library, assets, server):
    chosen = select_policies(library.policies, ("DS-ENC-*", "DS-BAK-002"), ())
    subset = type(library)(policies=chosen, module_facts=library.module_facts,
                           not_assessed_packages=library.not_assessed_packages)
    got = remote(library=subset, assets=assets, url=server.url)
    assert got == evaluate(subset, assets, Config().policy_data(), workers=1)
    assert {pid for pid, _ in got.deny} == {"DS-ENC-001", "DS-ENC-002", "DS-BAK-002"}


def test_replies_in_any_order_give_the_same_result(library, assets, embedded, payload):
    rng = random.Random(7)

    def shuffle(result: Any) -> Any:  # late replies overtake early ones
        time.sleep(rng.random() * 0.02)
        return result

    with OpaDataApiServer(payload, tamper=shuffle) as srv:
        assert remote(library, assets, srv.url, chunk_size=1, workers=4) == embedded


def test_run_scan_through_the_server_equals_the_embedded_scan(library, server):
    inv = load_inventory(ESTATE)
    local = run_scan(inv, library, ScanOptions(config=Config()))
    inv = load_inventory(ESTATE)
    central = run_scan(inv, library, ScanOptions(config=Config(), opa_url=server.url))
    assert [f.fingerprint for f in central.findings] == [f.fingerprint for f in local.findings]
    assert central.findings and len(central.not_assessed) == len(local.not_assessed)


# --- fail closed -----------------------------------------------------------------------------

def test_a_slow_server_is_a_one_line_timeout_error(library, assets, payload):
    with OpaDataApiServer(payload, delay=5) as srv:
        t0 = time.monotonic()
        with pytest.raises(OpaServerError) as e:
            remote(library, assets, srv.url, timeout=0.3)
        assert time.monotonic() - t0 < 4  # gave up, did not wait for the answer
    assert one_line(e) == (f"OPA server at {srv.url} did not answer an evaluation request "
                           "within 0.3 s (--opa-timeout)")


def test_a_server_that_is_down_is_an_error(library, assets):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(InputError) as e:
        remote(library, assets, url)
    assert one_line(e) == f"cannot reach OPA server at {url} (Connection refused)"


@pytest.mark.parametrize("revision", ["0123abcd", None])
def test_a_server_with_other_policies_or_none_evaluates_nothing(library, assets, payload,
                                                                revision):
    with OpaDataApiServer(payload, revision=revision) as srv:
        with pytest.raises(InputError) as e:
            remote(library, assets, srv.url)
        assert srv.evaluations == 0
    have = revision or "none (no dsscan bundle loaded)"
    assert one_line(e) == (f"OPA server at {srv.url} has policy revision {have}, this dsscan "
                           f"has {library_revision(library)}; run `dsscan policies bundle` "
                           "and deploy it")


def test_a_bundle_of_other_policies_is_refused(tmp_path, assets):
    acme = load_library([ROOT / "tests" / "fixtures" / "policies" / "acme"])
    with OpaDataApiServer(bundle_bytes(make_bundle(acme, {}))) as srv:
        with pytest.raises(InputError, match="has policy revision"):
            remote(load_library(), assets, srv.url)
        assert srv.evaluations == 0


def test_an_empty_inventory_still_checks_the_server(library, payload):
    with OpaDataApiServer(payload, revision="0123abcd") as srv, \
            pytest.raises(InputError, match="has policy revision 0123abcd"):
        remote(library, [], srv.url)


def test_http_500_is_an_error_not_a_pass(library, assets, payload):
    with OpaDataApiServer(payload, fail_status=500) as srv, pytest.raises(InputError) as e:
        remote(library, assets, srv.url)
    assert one_line(e) == (f"OPA server at {srv.url} answered an evaluation request with "
                           "HTTP 500 (internal_error: test server told to fail)")


@pytest.mark.parametrize("tamper, what", [
    (lambda r: [r], "not an object of policy ids"),
    (lambda r: {k: v for k, v in r.items() if k != "DS-ENC-001"}, "no results for DS-ENC-001"),
    (lambda r: {**r, "DS-XXX-999": {"deny": [], "not_assessed": []}}, "not asked for"),
    (lambda r: {**r, "DS-ENC-001": {"deny": []}}, "DS-ENC-001 has no 'deny' and"),
])
def test_a_malformed_result_is_an_error(library, assets, payload, tamper, what):
    with OpaDataApiServer(payload, tamper=tamper) as srv, pytest.raises(InputError) as e:
        remote(library, assets, srv.url)
    assert one_line(e).startswith(f"OPA server at {srv.url} returned a malformed result")
    assert what in str(e.value)


def test_an_item_that_breaks_the_policy_contract_names_server_and_policy(library, assets,
                                                                         payload):
    def bad_level(r: Any) -> Any:
        r["DS-CLS-001"]["deny"] = [{"asset": "x", "level": "secret", "message": "m"}]
        return r

    with OpaDataApiServer(payload, tamper=bad_level) as srv, pytest.raises(InputError) as e:
        remote(library, assets, srv.url)
    assert one_line(e).startswith(f"OPA server at {srv.url}: policy DS-CLS-001: deny item")


def test_not_an_opa_server_is_an_error(library, assets):
    """A plain web server where OPA was expected (here: any non-JSON reply)."""
    import http.server
    import threading

    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with pytest.raises(InputError) as e:
            remote(library, assets, url)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert one_line(e) == (f"OPA server at {url} answered the policy revision query with "
                           "something that is not JSON (is it an OPA server?)")


# --- authorization and addresses ---------------------------------------------------------------

def test_the_token_is_sent_as_a_bearer_header(library, assets, embedded, payload,
                                               monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with OpaDataApiServer(payload, token=TOKEN) as srv:
        assert remote(library, assets, srv.url) == embedded
    assert srv.requests and {auth for _, _, auth in srv.requests} == {f"Bearer {TOKEN}"}


def test_a_wrong_or_missing_token_is_refused_and_never_shown(library, assets, payload,
                                                             monkeypatch):
    with OpaDataApiServer(payload, token="the-servers-own-token") as srv:
        with pytest.raises(InputError) as missing:
            remote(library, assets, srv.url)
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        with pytest.raises(InputError) as wrong:
            remote(library, assets, srv.url)
    for e in (missing, wrong):
        assert one_line(e) == (f"OPA server at {srv.url} answered the policy revision query "
                               "with HTTP 401 (unauthorized: request rejected by "
                               f"administrative policy); check the token in {TOKEN_ENV}")
        assert TOKEN not in str(e.value) and "the-servers-own-token" not in str(e.value)


def test_credentials_in_the_url_are_refused_without_being_echoed(library, assets):
    with pytest.raises(InputError) as e:
        remote(library, assets, "https://admin:hunter2@opa.example:8181")
    assert "hunter2" not in str(e.value) and "admin" not in str(e.value)
    assert TOKEN_ENV in str(e.value)


@pytest.mark.parametrize("url, host, port, ssl, version, display", [
    ("http://127.0.0.1:8181", "127.0.0.1", 8181, False, "v1", "http://127.0.0.1:8181"),
    ("http://opa:8181/v1/", "opa", 8181, False, "v1", "http://opa:8181"),
    ("https://gw.example/opa/", "gw.example", 443, True, "opa/v1", "https://gw.example/opa"),
    ("http://[::1]:8181", "[::1]", 8181, False, "v1", "http://[::1]:8181"),
])
def test_server_urls(url, host, port, ssl, version, display):
    a = parse_url(url)
    assert (a.host, a.port, a.ssl, a.version, a.display) == (host, port, ssl, version, display)


@pytest.mark.parametrize("url", ["opa:8181", "ftp://opa", "http://opa:99999",
                                 "http://opa:8181/?token=x", ""])
def test_unusable_urls_are_input_errors(url):
    with pytest.raises(InputError):
        parse_url(url)


# --- the command line ------------------------------------------------------------------------

def dsscan(*args: str | Path, cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", **(env or {})})


def report(r: subprocess.CompletedProcess[str]) -> tuple[Any, Any]:
    doc = json.loads(r.stdout)
    return doc["findings"], doc["not_assessed"]


def test_cli_scan_with_opa_url_reports_what_the_embedded_scan_reports(tmp_path):
    """`dsscan policies bundle` -> the server -> `dsscan scan inventory --opa-url`."""
    bundle = tmp_path / "dsscan-bundle.tar.gz"
    built = dsscan("policies", "bundle", bundle, "--no-config", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    common = ("scan", "inventory", ESTATE, "--catalogue", CATALOGUE, "--no-config",
              "--format", "json")
    local = dsscan(*common, cwd=tmp_path)
    assert local.returncode == 1, local.stderr  # the estate has findings
    with OpaDataApiServer(bundle.read_bytes(), token=TOKEN) as srv:
        central = dsscan(*common, "--opa-url", srv.url, "--opa-timeout", "20", cwd=tmp_path,
                         env={TOKEN_ENV: TOKEN})
        assert srv.evaluations >= 1
    assert central.returncode == local.returncode, central.stderr
    assert report(central) == report(local)
    assert TOKEN not in central.stdout + central.stderr


def test_cli_scan_against_a_server_that_is_down_exits_2_with_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    r = dsscan("scan", "inventory", ESTATE, "--no-config", "--opa-url", url, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"dsscan: error: cannot reach OPA server at {url} (Connection refused)"]
