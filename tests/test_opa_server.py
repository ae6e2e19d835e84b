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
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan
from opa_data_api_server import OpaDataApiServer
from opa_support import needs_opa

from dsscan.bundle import bundle_bytes, library_revision, make_bundle
from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.engines.opa_server import TOKEN_ENV, OpaServerError, evaluate_remote, parse_url
from dsscan.errors import InputError
from dsscan.inventory import load_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan, select_policies
from dsscan.policy_library import load_library

# The test server evaluates with real OPA; most tests start it and scan through it.
pytestmark = [needs_opa, pytest.mark.slow]

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
                           not_assessed_packages=library.not_assessed_packages,
                           assessed_packages=library.assessed_packages)
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
    # The timeout covers every request, the undelayed revision query too: generous enough for
    # that one on a loaded machine, far below the evaluation's delay (which ends at exit).
    with OpaDataApiServer(payload, delay=120) as srv:
        t0 = time.monotonic()
        with pytest.raises(OpaServerError) as e:
            remote(library, assets, srv.url, timeout=5)
        assert time.monotonic() - t0 < 60  # gave up, did not wait for the answer
    assert one_line(e) == (f"OPA server at {srv.url} did not answer an evaluation request "
                           "within 5 s (--opa-timeout)")


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
        r["DS-CLS-001"]["deny"] = [{"asset": assets[0]["id"], "level": "secret",
                                    "message": "m"}]
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


# --- replies no OPA server gives ---------------------------------------------------------------

class Scripted:
    """A bare HTTP server on 127.0.0.1 (ours, not OPA) answering each POST with what
    ``answer(path, body)`` returns — (status, headers, raw bytes) — for replies the stand-in
    OPA server never gives: redirects, bytes that are not UTF-8, absurdly nested JSON. It
    records (path, body size) of every request it gets."""

    def __init__(self, answer: Any) -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, int]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.path, len(body)))
                status, headers, raw = answer(self.path, body)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a: Any) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Scripted:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def json_reply(doc: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/json")], json.dumps(doc).encode()


def revision_then(library: Any, evaluation: Any) -> Any:
    """Answers the revision query as a server holding this library would, and evaluation
    requests with ``evaluation(body)``."""
    def answer(path: str, body: bytes) -> Any:
        if path.endswith("/dsscan_internal/bundle"):
            return json_reply({"result": {"revision": library_revision(library)}})
        return evaluation(body)
    return answer


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("url", ["http://admin:Sup3r/Secret@127.0.0.1:1",
                                 "http://admin:Sup3r@Secret@127.0.0.1:1",
                                 "http://admin:Sup3r#Secret@127.0.0.1:1",
                                 "http://admin:Sup3r?Secret@127.0.0.1:1"])
def test_credentials_in_the_url_never_show_whatever_they_hold(library, assets, url):
    with pytest.raises(InputError) as e:
        remote(library, assets, url)
    text = one_line(e)
    assert "Sup3r" not in text and "Secret" not in text and "admin" not in text
    assert "***@127.0.0.1:1" in text


def test_a_redirect_is_an_error_and_the_chunk_never_goes_to_its_target(library, assets):
    with Scripted(lambda p, b: json_reply({})) as target:
        def moved(body: bytes) -> Any:
            return 307, [("Location", f"{target.url}/elsewhere")], b""

        with Scripted(revision_then(library, moved)) as srv, \
                pytest.raises(OpaServerError) as e:
            remote(library, assets, srv.url)
        assert target.requests == []  # nothing re-sent there: no asset, no token
    assert one_line(e) == (f"OPA server at {srv.url} answered an evaluation request with a "
                           "redirect (HTTP 307), which dsscan does not follow; give --opa-url "
                           "the address that answers")
    assert len(srv.requests) == 2  # the revision query and one evaluation request


def test_a_redirected_revision_query_is_an_error(library, assets):
    with Scripted(lambda p, b: json_reply({})) as target, Scripted(
            lambda p, b: (302, [("Location", f"{target.url}{p}")], b"")) as srv:
        with pytest.raises(OpaServerError, match="answered the policy revision query with a "
                                                 r"redirect \(HTTP 302\)"):
            remote(library, assets, srv.url)
        assert target.requests == []


@pytest.mark.parametrize("token", ["s3cr€t", "s3cr\x01t", "s3cr\nt"])
def test_a_token_an_http_header_cannot_carry_is_an_input_error(library, assets, monkeypatch,
                                                               token):
    monkeypatch.setenv(TOKEN_ENV, token)
    with Scripted(lambda p, b: json_reply({})) as srv, pytest.raises(InputError) as e:
        remote(library, assets, srv.url)
    assert srv.requests == []  # refused before anything was sent
    text = one_line(e)
    assert text.startswith(f"{TOKEN_ENV}: the token has ") and "s3cr" not in text


@pytest.mark.parametrize("host", ["a..b", "x" * 70 + ".example"])
def test_a_malformed_host_name_is_an_input_error(library, assets, host):
    with pytest.raises(InputError) as e:
        remote(library, assets, f"http://{host}:8181")
    assert "has an invalid host name" in one_line(e)


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 1e300, 0, -1, 86400.5, True,
                                     "30"])
def test_a_timeout_that_is_not_seconds_within_a_day_is_an_input_error(library, assets, timeout):
    with pytest.raises(InputError) as e:
        remote(library, assets, f"http://127.0.0.1:{free_port()}", timeout=timeout)
    assert one_line(e).startswith("--opa-timeout: must be a number of seconds above 0 and at "
                                  "most 86400")


def test_a_timeout_of_a_day_is_accepted(library, assets):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(OpaServerError, match="cannot reach"):  # got as far as connecting
        remote(library, assets, url, timeout=86400)


@pytest.mark.parametrize("where", ["revision", "evaluation"])
def test_a_deeply_nested_reply_is_an_error_not_a_crash(library, assets, where):
    deep = (200, [("Content-Type", "application/json")], b'{"result": ' + DEEP + b"}")
    answer = (lambda p, b: deep) if where == "revision" else revision_then(library,
                                                                           lambda b: deep)
    with Scripted(answer) as srv, pytest.raises(OpaServerError) as e:
        remote(library, assets, srv.url)
    what = "the policy revision query" if where == "revision" else "an evaluation request"
    assert one_line(e) == (f"OPA server at {srv.url} answered {what} with JSON nested too "
                           "deeply to be an OPA result")


@pytest.mark.parametrize("rule", ["deny", "not_assessed"])
def test_items_about_assets_not_in_the_request_are_refused(library, assets, payload, rule):
    """Fail closed: an item about an asset the chunk did not hold (another estate's, or one
    of this estate sent in another chunk) judges nothing dsscan sent, while the asset meant
    goes unjudged."""
    other_chunk = assets[-1]["id"]

    def elsewhere(r: Any) -> Any:
        item = {"asset": other_chunk, "level": "core", "message": "m", "reason": "r"}
        r["DS-ENC-001"][rule] = [*r["DS-ENC-001"][rule], item]
        return r

    with OpaDataApiServer(payload, tamper=elsewhere) as srv, \
            pytest.raises(OpaServerError) as e:
        remote(library, assets[:3], srv.url, chunk_size=1)
    assert one_line(e) == (f"OPA server at {srv.url}: policy DS-ENC-001: {rule} item for "
                           f"asset {other_chunk!r} that was not in the request (the server "
                           "answered about other assets)")


def test_an_asset_id_mangled_into_replacement_characters_is_refused(library, assets):
    """Bytes that are not UTF-8 come out of the decoder as U+FFFD: no asset has that id."""
    def mangled(body: bytes) -> Any:
        ids = json.loads(body)["input"]["policies"]
        res = {pid: {"deny": [], "not_assessed": []} for pid in ids}
        raw = json.dumps({"result": res}).encode().replace(
            b'"deny": []', b'"deny": [{"asset": "\xff\xfe", "level": "core", "message": "m"}]',
            1)
        return 200, [("Content-Type", "application/json")], raw

    with Scripted(revision_then(library, mangled)) as srv, pytest.raises(OpaServerError) as e:
        remote(library, assets, srv.url)
    assert "item for asset '\ufffd\ufffd' that was not in the request" in one_line(e)


def test_a_server_behind_a_gateway_path_gives_the_same_results(library, assets, embedded,
                                                                payload):
    with OpaDataApiServer(payload, prefix="opa") as srv:
        assert remote(library, assets, f"{srv.url}/opa/", chunk_size=50) == embedded
        with pytest.raises(OpaServerError, match="HTTP 404"):  # the prefix really matters
            remote(library, assets, srv.url)
    assert {path.split("/v1/")[0] for _, path, _ in srv.requests} == {"/opa", ""}


def test_the_stand_in_answers_a_non_numeric_content_length_with_400(payload):
    import http.client

    with OpaDataApiServer(payload) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", int(srv.url.rsplit(":", 1)[1]),
                                          timeout=10)
        conn.putrequest("POST", "/v1/data/dsscan_internal/bundle")
        conn.putheader("Content-Length", "abc")
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["message"] == "Content-Length is not a number"
        conn.close()
