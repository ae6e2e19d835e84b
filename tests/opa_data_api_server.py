"""A stand-in for an OPA server, for tests: no OPA binary is available on these machines.

What is ours and what is real:
- the HTTP layer is ours: a minimal http.server.ThreadingHTTPServer on 127.0.0.1 (port 0)
  that answers the OPA REST Data API calls dsscan makes — ``POST /v1/data/<path>`` with a
  JSON body ``{"input": ...}``, answered ``{"result": ...}``, or ``{}`` when the document is
  undefined, errors as ``{"code", "message"}`` — and 404 (unknown path) or 400 (bad body,
  other methods on a known path) for anything else, OPA-style bearer-token authentication
  (401 ``unauthorized``) when given a token;
- the evaluation is real OPA 1.20 (opa-golib-python-bindings, dsscan.engines.opa_engine),
  loaded from the bundle ``dsscan policies bundle`` writes, unpacked and checked as OPA
  checks a bundle on activation (dsscan.bundle.read_bundle).

It is not OPA's server: no Policy API, no bundle service polling, no decision logs, no
authorization policies, no query parameters. Knobs for failure tests: ``delay`` (seconds
before answering an evaluation), ``revision`` (claim another bundle revision, or None for
"no dsscan bundle"), ``fail_status`` (answer evaluations with this HTTP status),
``tamper`` (rewrite an evaluation's result before it is sent), ``prefix`` (serve the API under
a path, as a gateway in front of OPA does: ``/opa/v1/data/...``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dsscan.bundle import INFO_PATH, SERVER_RULE, read_bundle
from dsscan.engines.base import UNDEFINED, EngineError
from dsscan.engines.opa_engine import OpaInProcessEngine

_KEEP = object()  # revision: serve the bundle's own
EVAL_PATH = SERVER_RULE.removeprefix("data.").replace(".", "/")
# The documents dsscan queries, and nothing else.
SERVED = {INFO_PATH: "data." + INFO_PATH.replace("/", "."), EVAL_PATH: SERVER_RULE}


class OpaDataApiServer:
    """``with OpaDataApiServer(bundle_bytes) as srv: srv.url`` -> http://127.0.0.1:PORT"""

    def __init__(self, bundle: bytes, *, token: str | None = None, delay: float = 0.0,
                 revision: Any = _KEEP, fail_status: int | None = None,
                 tamper: Callable[[Any], Any] | None = None, prefix: str = "") -> None:
        loaded = read_bundle(bundle, "test bundle")
        self.engine = OpaInProcessEngine()
        for path, source in loaded.modules:
            self.engine.add_module(path, source)
        self.engine.add_data_json(json.dumps(loaded.data))
        self.token = token
        self.delay = delay
        self.revision = revision
        self.fail_status = fail_status
        self.tamper = tamper
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        # (method, path, Authorization header) of every request, for assertions.
        self.requests: list[tuple[str, str, str | None]] = []
        self.evaluations = 0
        self._eval_lock = threading.Lock()  # the adapter keeps the input between two calls
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> OpaDataApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # ends any delayed answer
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self.engine.close()

    def evaluate(self, doc_path: str, input_doc: Any) -> Any:
        with self._eval_lock:
            self.engine.set_input_json(json.dumps(input_doc))
            return self.engine.eval_rule(SERVED[doc_path])


def _handler(server: OpaDataApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as OPA's server

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, {"code": code, "message": message})

        def _body(self) -> bytes | None:
            """The request body; None (after a 400) when Content-Length is not a number."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.close_connection = True  # the body's end is unknown
                self._error(400, "invalid_parameter", "Content-Length is not a number")
                return None
            return self.rfile.read(length) if length > 0 else b""

        def _route(self) -> str | None:
            server.requests.append((self.command, self.path, self.headers.get("Authorization")))
            if server.token is not None and \
                    self.headers.get("Authorization") != f"Bearer {server.token}":
                if self._body() is None:
                    return None
                self._error(401, "unauthorized", "request rejected by administrative policy")
                return None
            path = self.path.split("?", 1)[0]
            api = f"{server.prefix}/v1/data/"
            doc = path.removeprefix(api).strip("/")
            if not path.startswith(api) or doc not in SERVED:
                if self._body() is None:
                    return None
                self._error(404, "resource_not_found", f"{path}: not served by the test "
                                                       "server")
                return None
            return doc

        def do_POST(self) -> None:
            doc = self._route()
            if doc is None:
                return
            raw = self._body()
            if raw is None:
                return
            try:
                request = json.loads(raw or b"null")
            except ValueError as e:
                self._error(400, "invalid_parameter", f"body contains malformed input: {e}")
                return
            if not isinstance(request, dict) or "input" not in request:
                self._error(400, "invalid_parameter", "body must be {\"input\": ...}")
                return
            if doc == INFO_PATH and server.revision is not _KEEP:
                result: Any = (UNDEFINED if server.revision is None else
                               {**server.evaluate(doc, request["input"]),
                                "revision": server.revision})
            else:
                if doc == EVAL_PATH:
                    server.evaluations += 1
                    if server.delay and server._stop.wait(server.delay):
                        return
                    if server.fail_status is not None:
                        self._error(server.fail_status, "internal_error",
                                    "test server told to fail")
                        return
                try:
                    result = server.evaluate(doc, request["input"])
                except EngineError as e:
                    self._error(500, "internal_error", str(e))
                    return
                if doc == EVAL_PATH and server.tamper is not None and result is not UNDEFINED:
                    result = server.tamper(result)
            self._send(200, {} if result is UNDEFINED else {"result": result})

        def _not_allowed(self) -> None:
            doc = self._route()
            if doc is not None:
                self._error(400, "invalid_parameter", f"{self.command} is not served by the "
                                                      "test server (dsscan only POSTs)")

        do_GET = do_PUT = do_PATCH = do_DELETE = _not_allowed

    return Handler
