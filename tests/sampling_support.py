"""A real PostgreSQL server for the sampler tests, started from Debian's packages.

The server runs on 127.0.0.1 only, on a free port, from a data directory under a fresh
temporary directory, with password (SCRAM) authentication over TCP. PostgreSQL refuses to run
as root: as root, initdb and pg_ctl run as the ``postgres`` system user (runuser), which owns
the temporary directory. ``stop()`` shuts the server down and removes everything.

Where PostgreSQL is not installed the tests that need it are skipped — except under CI
(``CI`` set) or ``DSSCAN_REQUIRE_POSTGRES=1``, where a missing server is a failure: a green
run must not hide a missing install step (.ci/run installs the ``postgresql`` package).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote


def pg_bindir() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(cand, "initdb").exists() and Path(cand, "pg_ctl").exists():
            return Path(cand)
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().with_name("initdb").exists():
        return Path(found).resolve().parent
    return None


def postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("DSSCAN_REQUIRE_POSTGRES"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="dsscan-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)  # the superuser's, for this run only
        self._as: list[str] = []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.sockets.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            import pwd

            pg = pwd.getpwnam("postgres")
            for p in (self.root, self.sockets, pwfile):
                os.chown(p, pg.pw_uid, pg.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        pwfile.unlink()
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.sockets} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", opts, "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-w", "-t", "60", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", user: str = "postgres",
            password: str | None = None, driver: str = "postgresql") -> str:
        pw = self.password if password is None and user == "postgres" else password
        auth = quote(user, safe="") + (f":{quote(pw, safe='')}" if pw else "")
        return f"{driver}://{auth}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> Any:
        """A psycopg connection as the superuser (autocommit), to set the data up."""
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                                       password=self.password, dbname=database,
                                       autocommit=True, connect_timeout=5)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


class Recorder:
    """A stand-in for dsscan.detection.ContentScanner that keeps what it was handed, to check
    the samplers' side of the contract (values as exact strings, locations, bounds)
    independently of the detectors' verdicts."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str | None]] = {}
        self.names: dict[str, str | None] = {}
        self.texts: dict[str, str] = {}

    def scan_column(self, location: str, values: Any, *, name: str | None = None) -> list[Any]:
        vals = list(values)
        assert all(v is None or type(v) is str for v in vals), "values must be strings"
        self.columns.setdefault(location, []).extend(vals)
        self.names[location] = name
        return []

    def scan_text(self, location: str, text: str) -> list[Any]:
        assert type(text) is str
        self.texts[location] = self.texts.get(location, "") + text
        return []


def detection(asset: dict[str, Any], location: str, detector: str) -> dict[str, Any] | None:
    for d in (asset.get("content") or {}).get("detections") or []:
        if d.get("location") == location and d.get("detector") == detector:
            return d
    return None


def unmasked(asset: dict[str, Any], location: str, detector: str) -> int:
    d = detection(asset, location, detector)
    return int((d or {}).get("unmasked") or 0)


def run_dsscan(*args: Any, env: dict[str, str] | None = None,
               timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The CLI as a subprocess, with a clean environment (plus ``env``)."""
    import sys

    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "CI": "true"}
    if os.environ.get("PYTHONPATH"):
        base["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                          capture_output=True, text=True, env={**base, **(env or {})},
                          timeout=timeout)


class MotoServer:
    """moto's threaded server on 127.0.0.1, and boto3 in this process pointed at it."""

    def __init__(self, monkeypatch: Any) -> None:
        import boto3
        from aws_support import FAKE_ENV
        from moto.server import ThreadedMotoServer

        port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()
        self.url = f"http://127.0.0.1:{port}"
        # moto's backends are this process's globals: start from an empty estate whatever an
        # earlier test left (a bucket left behind made a later PUT answer 409).
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset",
                                                      method="POST"), timeout=30).close()
        self.env = {**FAKE_ENV, "AWS_ENDPOINT_URL": self.url}
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    def stop(self) -> None:
        self.server.stop()
