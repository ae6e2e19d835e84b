"""Evaluate on a central OPA server through its REST Data API (``--opa-url``).

The server holds the bundle ``dsscan policies bundle`` builds (dsscan/bundle.py). dsscan makes
two kinds of request, both ``POST /v1/data/...`` through opa-python-client:

1. ``dsscan_internal/bundle`` (input ``{}``): the revision the server holds. It must equal
   this dsscan's library revision, or nothing is evaluated: a server with other policies, or
   none, would give verdicts nobody reviewed (fail closed).
2. ``dsscan_internal/server/results``, once per chunk of assets, with input
   ``{"assets": chunk, "config": this run's data.dsscan.config, "policies": selected ids}``:
   the server aggregator applies the run's config (``with data.dsscan.config as
   input.config``), so one server serves runs with different settings.

Chunks go out over a small thread pool (opa-python-client is synchronous); each chunk's
results are checked like the embedded engine's and merged by dsscan.engines.local._collect, which
deduplicates and sorts, so the output never depends on chunking or on the order replies come
back in. Any failure — connection refused, timeout, HTTP error, a malformed or missing result —
raises InputError naming the server (never its credentials) and stops the run: there is no
partial result, and never a pass.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from dsscan.bundle import INFO_PATH, SERVER_PACKAGE, SERVER_RULE, library_revision
from dsscan.engines.local import EvalOutput, _collect, chunk_inputs
from dsscan.errors import InputError, PolicyError
from dsscan.policy_library import PolicyLibrary

# Each chunk costs an HTTP round trip (request and reply serialized as JSON, a connection
# hop, a query set-up on the server) on top of the evaluation, so chunks are ten times the
# embedded engine's 50: at 500 assets that fixed cost is small next to the evaluation work
# (against the test server, 50-asset chunks took half as long again as 500-asset ones), a
# request body stays under about 1 MB (a classified asset is 1-2 KB of JSON), and an estate
# of a few thousand assets still yields enough chunks to keep every request slot busy.
DEFAULT_CHUNK_SIZE = 500
# Requests in flight at once: enough to overlap round trips with the server's work, few
# enough not to swamp a server other teams share.
DEFAULT_WORKERS = 4
DEFAULT_TIMEOUT = 30.0
# A day: longer is a typo (or inf/NaN, which the HTTP client cannot use).
MAX_TIMEOUT = 86400.0
TOKEN_ENV = "DSSCAN_OPA_TOKEN"
# opa-python-client's retries: connection failures, and 500/502/504 on idempotent requests.
# It never resends a POST that reached the server; see _Clients.query for when dsscan does.
_RETRIES = 2
_RESULTS_RULE = "results"


class OpaServerError(InputError):
    """The OPA server could not be used (unreachable, refused, wrong bundle, bad reply)."""


@dataclass(frozen=True)
class ServerAddress:
    host: str  # as opa-python-client wants it: an IPv6 address in brackets
    port: int
    ssl: bool
    version: str  # the path before the API, plus "v1" (OPA behind a path prefix)
    display: str  # scheme://host[:port][/path], never credentials: for every message


def parse_url(url: str) -> ServerAddress:
    """Split an OPA server URL; InputError (one line, credentials hidden) when unusable."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(f"OPA server URL {_redact(text)!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    shown = _redact(text)
    if scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"OPA server URL {shown!r} must look like http://HOST:PORT or "
                         "https://HOST:PORT")
    if parts.username is not None or parts.password is not None:
        raise InputError(f"OPA server URL {shown!r} must not contain credentials; put a "
                         f"bearer token in {TOKEN_ENV}")
    if parts.query or parts.fragment:
        raise InputError(f"OPA server URL {shown!r} must not have a query or fragment")
    host = parts.hostname
    if not _valid_host(host):
        raise InputError(f"OPA server URL {shown!r} has an invalid host name (an empty "
                         "label, or one longer than 63 characters)")
    bracketed = f"[{host}]" if ":" in host else host
    path = parts.path.rstrip("/")
    path = path.removesuffix("/v1")  # http://opa:8181/v1 means the server itself
    prefix = path.strip("/")
    version = f"{prefix}/v1" if prefix else "v1"
    if port is None:
        port = 443 if scheme == "https" else 80
    netloc = bracketed if parts.port is None else f"{bracketed}:{parts.port}"
    return ServerAddress(host=bracketed, port=port, ssl=scheme == "https", version=version,
                         display=f"{scheme}://{netloc}{path}")


def _redact(text: str) -> str:
    """The URL with any user:password@ replaced, for messages about a URL we reject: up to
    the last "@", since a password may hold "/" or "@" itself (then nothing of it shows)."""
    return re.sub(r"(?<=//)\S*@", "***@", text)


def _valid_host(host: str) -> bool:
    """A host the HTTP client can connect to: an IP address, or a name that encodes as IDNA
    (urllib3 would raise its own parse error at connect time otherwise)."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def _token() -> str | None:
    """$DSSCAN_OPA_TOKEN, which must fit in an HTTP header; never printed."""
    token = (os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        return None
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        raise InputError(f"{TOKEN_ENV}: the token has characters an HTTP header cannot carry "
                         "(only Latin-1 text; a bearer token is normally ASCII)") from None
    if not token.isprintable():
        raise InputError(f"{TOKEN_ENV}: the token has control characters (a line break?); "
                         "give the token alone")
    return token


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or \
            not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise InputError(f"--opa-timeout: must be a number of seconds above 0 and at most "
                         f"{MAX_TIMEOUT:g} (got {timeout!r})")
    return float(timeout)


def evaluate_remote(library: PolicyLibrary, assets: Sequence[dict[str, Any]],
                    config_data: dict[str, Any], *, url: str,
                    timeout: float = DEFAULT_TIMEOUT, chunk_size: int = DEFAULT_CHUNK_SIZE,
                    workers: int = DEFAULT_WORKERS) -> EvalOutput:
    """Run the selected policies of ``library`` over ``assets`` on the OPA server at ``url``.

    Same contract as dsscan.engines.local.evaluate: the same EvalOutput for the same inputs. First
    checks that the server holds this library's bundle. ``timeout`` bounds each request
    (connect, and each wait for the server's reply). The token, if any, comes from
    $DSSCAN_OPA_TOKEN. Raises OpaServerError (an InputError: one line, exit 2) on any failure.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    timeout = _check_timeout(timeout)
    address = parse_url(url)
    token = _token()
    with _Clients(address, token, timeout) as clients:
        _check_revision(clients, library_revision(library))
        if not library.policies or not assets:
            return EvalOutput()
        ids = [p.id for p in library.policies]
        results = _run_chunks(clients, assets, config_data, ids, chunk_size,
                              max(1, workers))
        # closing: on a failure the pool stops sending before the clients are closed.
        with contextlib.closing(results):
            try:
                return _collect(results)
            except OpaServerError:
                raise
            except PolicyError as e:  # an item breaks the output contract
                raise OpaServerError(f"OPA server at {address.display}: {e}") from None


# --- the server ------------------------------------------------------------------------------

class _Clients:
    """One opa-python-client per thread (a requests Session is not documented thread-safe),
    all closed at the end."""

    def __init__(self, address: ServerAddress, token: str | None, timeout: float) -> None:
        try:
            from opa_client import OpaClient
        except ImportError:
            raise InputError("--opa-url needs opa-python-client: pip install 'dsscan[opa]'"
                             ) from None
        def make() -> Any:
            client = OpaClient(host=address.host, port=address.port, version=address.version,
                               ssl=address.ssl, token=token, timeout=timeout, retries=_RETRIES)
            # Never follow a redirect: requests would POST the chunk (and the token's header
            # to the same host) wherever the server points. opa-python-client has no option
            # for it, so its requests Session is set directly: at 0, the first redirect
            # raises TooManyRedirects before anything is sent to the new address.
            client._session.max_redirects = 0
            return client

        self._make: Callable[[], Any] = make
        self.address = address
        self.timeout = timeout
        self._token = token
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []

    def get(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._make()
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def __enter__(self) -> _Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            for c in self._all:
                c.close_connection()
            self._all.clear()

    def query(self, package: str, rule: str | None, input_data: dict[str, Any],
              what: str) -> Any:
        """POST one query; the parsed reply body, or OpaServerError saying what failed."""
        import requests

        for attempt in (1, 2):
            try:
                return self.get().query_rule(input_data, package, rule)
            except requests.exceptions.JSONDecodeError:
                raise self._error(f"answered {what} with something that is not JSON (is it "
                                  "an OPA server?)") from None
            except RecursionError:  # the JSON parser's depth limit: no OPA reply is so deep
                raise self._error(f"answered {what} with JSON nested too deeply to be an "
                                  "OPA result") from None
            except requests.exceptions.HTTPError as e:
                raise self._error(f"answered {what} with {_http_status(e, self._clean)}"
                                  ) from None
            except requests.exceptions.TooManyRedirects as e:
                status = getattr(e.response, "status_code", None)
                raise self._error(f"answered {what} with a redirect"
                                  f"{f' (HTTP {status})' if status else ''}, which dsscan does "
                                  "not follow; give --opa-url the address that answers"
                                  ) from None
            except requests.exceptions.RequestException as e:
                if _timed_out(e):
                    raise self._error(f"did not answer {what} within {self.timeout:g} s "
                                      "(--opa-timeout)") from None
                # A pooled connection the server (or a proxy) closed meanwhile fails once,
                # and the client does not resend a POST; a query has no side effects, so it
                # is sent again, once. (A refused connection was retried by the client.)
                if attempt == 1 and _dropped(e):
                    continue
                raise self._error(_connection_problem(e, self._clean), reach=True) from None
            except ValueError as e:  # urllib3's parse errors of an address it cannot use
                raise self._error(f"invalid address: {self._clean(str(e))}", reach=True
                                  ) from None
        raise AssertionError("unreachable")

    def _error(self, what: str, reach: bool = False) -> OpaServerError:
        if reach:
            return OpaServerError(f"cannot reach OPA server at {self.address.display} "
                                  f"({what})")
        return OpaServerError(f"OPA server at {self.address.display} {what}")

    def _clean(self, text: str) -> str:
        """Server-supplied or library text, fit for a one-line message: never the token,
        never a value that looks like personal data, never a page of HTML."""
        from dsscan.masking import mask_text

        if self._token:
            text = text.replace(self._token, "***")
        text = " ".join(mask_text(text).split())
        return text if len(text) <= 200 else text[:197] + "..."


def _timed_out(e: Exception) -> bool:
    import requests

    # After its retries, urllib3 reports a read timeout as a ConnectionError ("Read timed
    # out"), not as requests' Timeout.
    return isinstance(e, requests.exceptions.Timeout) or "timed out" in str(e).lower()


def _dropped(e: Exception) -> bool:
    text = str(e)
    return any(p in text for p in ("Connection aborted", "RemoteDisconnected",
                                   "Connection reset"))


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")


def _connection_problem(e: Exception, clean: Callable[[str], str]) -> str:
    import requests

    text = str(e)
    if isinstance(e, requests.exceptions.SSLError):
        return "TLS error: " + clean(text.split("(Caused by", 1)[-1].strip(" ()"))[:160]
    m = _ERRNO.search(text)
    if m:
        return clean(m.group(1).strip())
    for phrase in ("Connection refused", "Name or service not known", "Connection reset",
                   "Remote end closed connection", "Connection aborted"):
        if phrase.lower() in text.lower():
            return phrase.lower()
    return "connection failed"


def _http_status(e: Any, clean: Callable[[str], str]) -> str:
    response = getattr(e, "response", None)
    if response is None:
        return "an HTTP error"
    status = f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        detail = ": ".join(str(x) for x in (body.get("code"), body.get("message")) if x)
        status += f" ({clean(detail)})"
    elif response.reason:
        status += f" ({clean(str(response.reason))})"
    if response.status_code == 401:
        status += f"; check the token in {TOKEN_ENV}"
    return status


def _check_revision(clients: _Clients, expected: str) -> None:
    body = clients.query(*_split(INFO_PATH), {}, "the policy revision query")
    info = body.get("result") if isinstance(body, dict) else None
    have = info.get("revision") if isinstance(info, dict) else None
    if have == expected:
        return
    shown = (clients._clean(str(have))[:64] if have is not None
             else "none (no dsscan bundle loaded)")
    raise OpaServerError(f"OPA server at {clients.address.display} has policy revision "
                         f"{shown}, this dsscan has {expected}; run `dsscan policies bundle` "
                         "and deploy it")


def _split(path: str) -> tuple[str, str | None]:
    package, _, rule = path.replace("/", ".").rpartition(".")
    return package, rule


# --- chunks ---------------------------------------------------------------------------------

def _run_chunks(clients: _Clients, assets: Sequence[dict[str, Any]],
                config_data: dict[str, Any], ids: list[str], chunk_size: int,
                workers: int) -> Generator[dict[str, dict[str, list[Any]]], None, None]:
    """Each chunk's checked results, in chunk order, with at most ``2 * workers`` chunks
    serialized or in flight (a large inventory is never held twice in memory)."""

    def run(doc: str) -> dict[str, dict[str, list[Any]]]:
        query = orjson.loads(doc)  # {"assets": [...]}, scanner-only keys already dropped
        sent = {a.get("id") for a in query["assets"]}
        query["config"] = config_data
        query["policies"] = ids
        body = clients.query(SERVER_PACKAGE, _RESULTS_RULE, query, "an evaluation request")
        return _checked_results(body, ids, clients.address.display, sent)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dsscan-opa")
    pending: deque[Future[dict[str, dict[str, list[Any]]]]] = deque()
    try:
        for doc in chunk_inputs(assets, chunk_size):
            pending.append(pool.submit(run, doc))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:  # a failure: nothing more is sent
            f.cancel()
        pool.shutdown(wait=True)


def _checked_results(body: Any, ids: list[str], display: str, sent: set[Any]
                     ) -> dict[str, dict[str, list[Any]]]:
    """The reply's result, if it has exactly the shape the aggregator gives and speaks only of
    the assets of the chunk it answers (``sent``: their ids)."""
    def bad(what: str) -> OpaServerError:
        return OpaServerError(f"OPA server at {display} returned a malformed result for "
                              f"{SERVER_RULE}: {what}")

    if not isinstance(body, dict):
        raise bad("the reply is not a JSON object")
    if "result" not in body:
        raise OpaServerError(f"OPA server at {display} returned no result for {SERVER_RULE} "
                             "(undefined: is the dsscan bundle loaded?)")
    result = body["result"]
    if not isinstance(result, dict):
        raise bad("not an object of policy ids")
    missing = [pid for pid in ids if pid not in result]
    if missing:
        raise bad(f"no results for {', '.join(missing[:3])}"
                  f"{' and more' if len(missing) > 3 else ''}")
    extra = sorted(set(result) - set(ids))
    if extra:
        raise bad(f"results for policies not asked for ({', '.join(extra[:3])})")
    for pid, res in result.items():
        if not isinstance(res, dict) or not all(
                isinstance(res.get(rule), list) for rule in ("deny", "not_assessed")):
            raise bad(f"{pid} has no 'deny' and 'not_assessed' lists")
        assessed = res.get("assessed")
        if assessed is not None:
            if not isinstance(assessed, list):
                raise bad(f"{pid}: 'assessed' is not a list")
            # Passed is counted from these: an id the request did not hold would count an
            # asset of another estate, and leave the one meant without its verdict.
            stray = next((a for a in assessed if not isinstance(a, str) or a not in sent),
                         None)
            if stray is not None:
                raise OpaServerError(
                    f"OPA server at {display}: policy {pid}: assessed asset "
                    f"{_shown(str(stray))} that was not in the request (the server answered "
                    "about other assets)")
    for pid, res in result.items():
        for rule in ("deny", "not_assessed"):
            for item in res[rule]:
                # The shape of an item is checked with the embedded engine's (_collect); here
                # only that it is about an asset this request sent. Anything else (another
                # estate's ids, an id mangled on the way) would be a finding or a gap about
                # nothing dsscan scanned, while the asset meant goes unjudged: refused.
                asset = item.get("asset") if isinstance(item, dict) else None
                if isinstance(asset, str) and asset not in sent:
                    raise OpaServerError(
                        f"OPA server at {display}: policy {pid}: {rule} item for asset "
                        f"{_shown(asset)} that was not in the request (the server answered "
                        "about other assets)")
    return result


def _shown(asset: str) -> str:
    from dsscan.masking import mask_text

    text = " ".join(mask_text(asset).split())
    return repr(text if len(text) <= 120 else text[:117] + "...")
