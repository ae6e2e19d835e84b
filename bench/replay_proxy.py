"""A record-and-replay AWS endpoint on 127.0.0.1, for benchmarks of the organization sweep
(bench/bench_sweep.py): the backend made nearly free, so a sweep is I/O-bound as on AWS.

moto's server is CPU-bound (~85 requests/s on the 2-core reference machine: one lock), so a
latency proxy in front of it measures moto, not dsscan. Here one *recording* pass forwards
every request to a target (moto behind tests/latency_proxy.py) and keeps its answer; every
measured pass is then *replayed*: each answer is served from the recording after a fixed
delay, never touching the target.

A request is identified by what stays the same from one signing to the next: method, path
and query, body, ``X-Amz-Target``, and from the SigV4 credential scope the region and the
service (a JSON-protocol request names its region nowhere else) and the *account* of the
signing access key — never the Authorization, X-Amz-Date, security-token or SDK headers.
An access key maps to its account through the sts:AssumeRole answers seen while recording
(the role ARN asked, the key answered); any other key is the caller's. Replayed
sts:AssumeRole answers get a fresh ``Expiration`` (now + 1 h), so refreshable credentials
never see a recording's credentials as expired.

A request missing from the recording while replaying is forwarded to the target (if any) and
counted in ``misses`` (a benchmark must report them: they are moto's time, not the delay).

Run it as its own process (it must not share a GIL with the sweep it serves):

    python bench/replay_proxy.py --target http://127.0.0.1:PORT --delay 0.05
    # prints "ready http://127.0.0.1:NNNN"; control: POST /__replay/record | /__replay/replay
    # | /__replay/reset-stats, GET /__replay/stats (JSON)
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.server
import json
import re
import socket
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
# SigV4: "Credential=AKID/20250101/cn-north-1/s3/aws4_request"
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d+/([^/]+)/([^/]+)/")
_ROLE_ACCOUNT = re.compile(r"arn:[^:]+:iam::(\d{12}):role/")
_KEY_ID = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
_EXPIRATION = re.compile(rb"<Expiration>[^<]+</Expiration>")
CONTROL = "/__replay/"


class State:
    def __init__(self, target: str | None, delay: float) -> None:
        self.target = None
        if target:
            t = urlsplit(target)
            if t.hostname not in ("127.0.0.1", "localhost") or not t.port:
                raise ValueError("the target must be http://127.0.0.1:<port>")
            self.target = ("127.0.0.1", t.port)
        self.delay = delay
        self.mode = "record"
        self.lock = threading.Lock()
        self.recording: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.account_of: dict[str, str] = {}  # access key id -> account (AssumeRole)
        self.served = 0
        self.misses: Counter[str] = Counter()  # a readable name of each missed request
        # requests served, by (account, service, region): calls per shard, measured
        self.by_scope: Counter[tuple[str, str, str]] = Counter()
        self.recorded_calls = 0

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"mode": self.mode, "cpu_s": round(time.process_time(), 2),
                    "recorded": len(self.recording),
                    "recorded_calls": self.recorded_calls, "served": self.served,
                    "misses": sum(self.misses.values()),
                    "missed": dict(self.misses.most_common(20)),
                    "by_scope": [[a, s, r, n] for (a, s, r), n in self.by_scope.items()]}


def request_key(state: State, method: str, path: str, headers: Any, body: bytes
                ) -> tuple[str, str, str, str, str]:
    """(digest, account, service, region, readable name) of a request."""
    m = _SCOPE.search(headers.get("Authorization") or "")
    key_id, region, service = (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")
    with state.lock:
        account = state.account_of.get(key_id, "caller")
    target = headers.get("X-Amz-Target") or ""
    h = hashlib.sha256()
    for part in (method, path, target, account, service, region):
        h.update(part.encode())
        h.update(b"\0")
    h.update(body)
    name = f"{account} {service} {region} {target or method + ' ' + path[:80]}"
    if not target and body[:200].find(b"Action=") >= 0:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        name += f" {action}"
    return h.hexdigest(), account, service, region, name


def handler(state: State) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        upstream: http.client.HTTPConnection | None = None

        def _serve(self) -> None:
            body = self._body()
            if self.path.startswith(CONTROL):
                return self._control()
            digest, account, service, region, name = request_key(
                state, self.command, self.path, self.headers, body)
            with state.lock:
                mode = state.mode
                kept = state.recording.get(digest) if mode == "replay" else None
            if mode == "replay":
                if state.delay:
                    time.sleep(state.delay)
                if kept is None:
                    with state.lock:
                        state.misses[name] += 1
            if kept is None:
                if state.target is None:
                    kept = (599, [("Content-Type", "text/plain")], b"not in the recording")
                else:
                    kept = self._upstream(body)
                    if mode == "record":
                        self._learn(body, kept)
                        with state.lock:
                            state.recording.setdefault(digest, kept)
                            state.recorded_calls += 1
            with state.lock:
                state.served += 1
                state.by_scope[(account, service, region)] += 1
            status, headers, data = kept
            if mode == "replay" and b"<AssumeRoleResult>" in data[:400]:
                fresh = (datetime.now(UTC) + timedelta(hours=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ").encode()
                data = _EXPIRATION.sub(b"<Expiration>" + fresh + b"</Expiration>", data)
            self._reply(status, headers, data)

        def _learn(self, body: bytes, kept: tuple[int, list[tuple[str, str]], bytes]) -> None:
            """An sts:AssumeRole answer: its access key is of the role's account."""
            if b"Action=AssumeRole" not in body or kept[0] != 200:
                return
            arn = parse_qs(body.decode()).get("RoleArn", [""])[0]
            m, k = _ROLE_ACCOUNT.search(arn), _KEY_ID.search(kept[2])
            if m and k:
                with state.lock:
                    state.account_of[k.group(1).decode()] = m.group(1)

        def _control(self) -> None:
            what = self.path[len(CONTROL):]
            if what in ("record", "replay"):
                with state.lock:
                    state.mode = what
            elif what == "reset-stats":
                with state.lock:
                    state.served = 0
                    state.misses.clear()
                    state.by_scope.clear()
            elif what.startswith("delay="):
                state.delay = float(what.partition("=")[2])
            self._reply(200, [("Content-Type", "application/json")],
                        json.dumps(state.stats()).encode())

        def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            try:
                self.send_response(status)
                length = None
                for k, v in headers:
                    lk = k.lower()
                    if lk == "content-length":
                        length = v
                    elif lk not in _HOP and lk not in ("date", "server"):
                        self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", length or str(len(data)))
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD" and status not in (204, 304):
                    self.wfile.write(data)
                self.wfile.flush()
            except OSError:
                self.close_connection = True

        def _body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _upstream(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            headers = [(k, v) for k, v in self.headers.items()
                       if k.lower() not in _HOP and k.lower() != "content-length"]
            assert state.target is not None
            for attempt in (0, 1):
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(*state.target, timeout=120)
                    self.upstream.connect()
                    self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
                    return resp.status, resp.getheaders(), data
                except (http.client.RemoteDisconnected, BrokenPipeError,
                        ConnectionResetError):
                    conn.close()
                    self.upstream = None
                    if attempt:
                        raise
            raise AssertionError("unreachable")

        def finish(self) -> None:
            super().finish()
            if self.upstream is not None:
                self.upstream.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", help="http://127.0.0.1:PORT to record from")
    ap.add_argument("--delay", type=float, default=0.05, help="seconds per replayed answer")
    args = ap.parse_args(argv)
    state = State(args.target, args.delay)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    server.daemon_threads = True
    server.request_queue_size = 1024
    print(f"ready http://127.0.0.1:{server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the parent closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
