"""A caching reverse proxy with a fixed latency, in its own process: AWS as far away as a real
region (tens of milliseconds a call) and nearly free to serve, for bench/bench_sweep.py.

moto's server answers ~70–85 requests a second on the 2-core reference machine (its request
routing holds a global lock): a latency proxy in front of it measures moto, not the sweep.
This proxy forwards a request it has not seen to the target and keeps the answer; a request
it has seen (same method, path and query, body, X-Amz-Target and signing access key id — not
the signature, its date or the SDK's invocation ids) is answered from memory. After a warm-up
sweep every call of a measured sweep is a hit: the sweep is I/O-bound, as against AWS.

    python bench/replay_proxy.py --target http://127.0.0.1:5000 --port 5001 --delay 0.05

``GET /__stats`` answers {"hits", "misses", "requests"}; ``POST /__reset_stats`` zeroes them.
Only 127.0.0.1 is served and only a target on 127.0.0.1 is accepted.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.server
import json
import re
import socket
import threading
import time
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "expect"}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def serve(target: str, port: int, delay: float,
          answers: dict[str, tuple[int, bytes, str]]) -> None:
    t = urlsplit(target)
    if t.hostname not in ("127.0.0.1", "localhost") or not t.port:
        raise SystemExit(f"replay_proxy: the target must be on 127.0.0.1, not {target!r}")
    cache: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
    lock = threading.Lock()
    stats = {"hits": 0, "misses": 0, "requests": 0}
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Small answers at once (Nagle's algorithm held each ~40 ms).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *_: object) -> None:
            pass

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in _HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            if self.path == "/__stats":
                with lock:
                    body = json.dumps(stats).encode()
                self._answer(200, [("Content-Type", "application/json")], body)
                return
            if self.path == "/__reset_stats":
                with lock:
                    stats.update(hits=0, misses=0, requests=0)
                self._answer(200, [], b"{}")
                return
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            m = _CREDENTIAL.search(self.headers.get("Authorization") or "")
            key = hashlib.sha256("\0".join([
                self.command, self.path, self.headers.get("X-Amz-Target") or "",
                m.group(1) if m else ""]).encode() + b"\0" + body).hexdigest()
            time.sleep(delay)
            lacking = answers.get(self.headers.get("X-Amz-Target") or "") or \
                answers.get(f"{self.command} {self.path.split('?')[0]}")
            if lacking is not None:  # what moto lacks, answered as AWS does without it
                status, text, ctype = lacking
                self._answer(status, [("Content-Type", ctype)], text)
                return
            with lock:
                got = cache.get(key)
                stats["requests"] += 1
                stats["hits" if got else "misses"] += 1
            if got is None:
                got = forward(self.command, self.path, self.headers, body)
                if got[0] < 500:
                    with lock:
                        cache[key] = got
            self._answer(*got)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def forward(method: str, path: str, headers: object, body: bytes
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", t.port, timeout=120)
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP}  # type: ignore[attr-defined]
        try:
            conn.request(method, path, body=body, headers=sent)
            r = conn.getresponse()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", t.port, timeout=120)
            conn.request(method, path, body=body, headers=sent)
            r = conn.getresponse()
        data = r.read()
        return r.status, list(r.getheaders()), data

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

        def server_bind(self) -> None:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            super().server_bind()

    Server.allow_reuse_address = True
    with Server(("127.0.0.1", port), Handler) as srv:
        srv.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay", type=float, default=0.05)
    a = p.parse_args()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from org_support import MOTO_LACKS

    serve(a.target, a.port, a.delay, MOTO_LACKS)


if __name__ == "__main__":
    main()
