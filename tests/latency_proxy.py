"""A reverse proxy on 127.0.0.1 that adds latency to every request: an AWS endpoint that is
far away (tens of milliseconds per call), in front of moto's server, for the organization
sweep's tests and benchmark (issue 16).

    with LatencyProxy(moto_url, delay=0.05) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
        ...
    proxy.requests            # requests forwarded
    proxy.requests_by_key     # the same, by the access key id that signed them
    proxy.requests_by_account(resolve)  # ... by AWS account (resolve: access key -> account)

Each request is held ``delay`` seconds, then forwarded as it came (method, path and query,
headers, Host included so a signature stays valid, body) over a keep-alive connection of its
own client connection, and the answer is relayed back (status, headers, body, with a
Content-Length: HTTP/1.1 keep-alive works both ways). Path-style S3 requests pass unchanged.
``answers`` answers chosen operations in place of the target (what moto lacks).
Only 127.0.0.1 is served and only a target on 127.0.0.1 (or localhost) is accepted: nothing
reaches an outside address.
"""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# Headers of one hop (RFC 9110 §7.6.1): never forwarded, in either direction.
_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
_LOCAL = {"127.0.0.1", "localhost"}
# SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20250101/cn-north-1/s3/aws4_request, ..."
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class LatencyProxy:
    """``with LatencyProxy(target_url, delay) as p``: ``p.url`` forwards to ``target_url``
    after ``delay`` seconds per request. Thread-safe counters: ``requests`` (all),
    ``requests_by_key`` (by the signing access key id; "" when unsigned)."""

    def __init__(self, target_url: str, delay: float = 0.0,
                 upstream_timeout: float = 120.0,
                 answers: dict[str, tuple[int, bytes, str]] | None = None) -> None:
        target = urlsplit(target_url)
        if target.scheme != "http" or target.hostname not in _LOCAL or not target.port:
            raise ValueError(f"LatencyProxy forwards to http://127.0.0.1:<port> only, "
                             f"not {target_url!r}")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.target_url = target_url
        self.delay = delay
        # Operations the target lacks, answered here (after the delay) instead of forwarded:
        # keyed by a JSON-protocol request's X-Amz-Target, or by "METHOD /path" (no query).
        self.answers = dict(answers or {})
        self._target = ("127.0.0.1", target.port)
        self._upstream_timeout = upstream_timeout
        self._lock = threading.Lock()
        self._by_key: Counter[str] = Counter()
        # Answers that were not 2xx, by (status, operation): what the target refused.
        self._failed: Counter[tuple[int, str]] = Counter()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- counters ------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self._by_key.values())

    @property
    def requests_by_key(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_key)

    def requests_by_account(self, resolve: Callable[[str], str | None]) -> dict[str, int]:
        """Requests by AWS account: ``resolve`` maps an access key id to its account (e.g.
        ``moto_account_of`` for a moto server in this process); None groups under "?"."""
        out: Counter[str] = Counter()
        for key, n in self.requests_by_key.items():
            out[(resolve(key) if key else None) or "?"] += n
        return dict(out)

    @property
    def failures(self) -> dict[tuple[int, str], int]:
        """Answers of status 300 or more, by (status, operation): the X-Amz-Target of a
        JSON-protocol request, else the method and path without the query."""
        with self._lock:
            return dict(self._failed)

    def reset(self) -> None:
        with self._lock:
            self._by_key.clear()
            self._failed.clear()

    def _count(self, key: str) -> None:
        with self._lock:
            self._by_key[key] += 1

    # --- life ----------------------------------------------------------------------------

    def start(self) -> LatencyProxy:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        server.request_queue_size = 512  # many concurrent connections (a sweep's pool)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="latency-proxy",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.close()

    # --- the handler ---------------------------------------------------------------------

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
            # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm
            # and the client's delayed ACK hold each answer ~40 ms.
            disable_nagle_algorithm = True
            upstream: http.client.HTTPConnection | None = None

            def _forward(self) -> None:
                body = self._body()
                auth = self.headers.get("Authorization") or ""
                m = _CREDENTIAL.search(auth)
                outer._count(m.group(1) if m else "")
                if outer.delay:
                    time.sleep(outer.delay)
                headers = [(k, v) for k, v in self.headers.items()
                           if k.lower() not in _HOP and k.lower() != "content-length"]
                canned = outer.answers.get(self.headers.get("X-Amz-Target") or "") or \
                    outer.answers.get(f"{self.command} {self.path.split('?')[0]}")
                try:
                    if canned is not None:
                        status, data, ctype = canned
                        reason, reply_headers = "", [("Content-Type", ctype)]
                    else:
                        status, reason, reply_headers, data = self._upstream(headers, body)
                except (OSError, http.client.HTTPException) as e:
                    msg = f"latency proxy: upstream failed: {type(e).__name__}: {e}".encode()
                    status, reason, data = 502, "Bad Gateway", msg
                    reply_headers = [("Content-Type", "text/plain")]
                if status >= 300:
                    op = self.headers.get("X-Amz-Target") or \
                        f"{self.command} {self.path.split('?')[0]}"
                    with outer._lock:
                        outer._failed[(status, op)] += 1
                try:
                    self.send_response(status, reason)
                    for k, v in reply_headers:
                        if k.lower() not in _HOP and k.lower() not in ("content-length",
                                                                       "date", "server"):
                            self.send_header(k, v)
                    head = self.command == "HEAD"
                    if not head or data:
                        self.send_header("Content-Length", str(len(data)))
                    else:  # HEAD: the length the GET would have, as upstream said
                        length = dict((k.lower(), v) for k, v in reply_headers).get(
                            "content-length")
                        self.send_header("Content-Length", length or "0")
                    self.end_headers()
                    if not head and status not in (204, 304):
                        self.wfile.write(data)
                    self.wfile.flush()
                except OSError:  # the client went away
                    self.close_connection = True

            def _body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    parts = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(parts)
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _upstream(self, headers: list[tuple[str, str]], body: bytes
                          ) -> tuple[int, str, list[tuple[str, str]], bytes]:
                # One upstream connection per client connection, reopened once if the
                # server closed it between two requests.
                for attempt in (0, 1):
                    if self.upstream is None:
                        self.upstream = http.client.HTTPConnection(
                            *outer._target, timeout=outer._upstream_timeout)
                        self.upstream.connect()
                        self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                                      1)
                    conn = self.upstream
                    try:
                        conn.putrequest(self.command, self.path, skip_host=True,
                                        skip_accept_encoding=True)
                        for k, v in headers:
                            conn.putheader(k, v)
                        if body or self.command in ("POST", "PUT", "PATCH"):
                            conn.putheader("Content-Length", str(len(body)))
                        conn.endheaders(body or None)
                        resp = conn.getresponse()
                        data = b"" if self.command == "HEAD" else resp.read()
                        if resp.will_close:
                            conn.close()
                            self.upstream = None
                        return resp.status, resp.reason, resp.getheaders(), data
                    except (http.client.RemoteDisconnected, BrokenPipeError,
                            ConnectionResetError):
                        conn.close()
                        self.upstream = None
                        if attempt:
                            raise
                    except BaseException:
                        conn.close()
                        self.upstream = None
                        raise
                raise AssertionError("unreachable")

            def finish(self) -> None:
                super().finish()
                if self.upstream is not None:
                    self.upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def moto_account_of(access_key: str) -> str | None:
    """The account moto serves an access key id from (moto's server in this process): an
    assumed role's keys map to the role's account, anything else to moto's default."""
    from moto.iam.models import get_account_id_from

    try:
        return str(get_account_id_from(access_key))
    except Exception:  # a key moto does not know: the caller sees "?"
        return None
