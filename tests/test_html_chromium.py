"""The HTML compliance report in a real browser: Debian's headless Chromium.

Reports made by the real pipeline (``dsscan demo --saved``, and two runs over the saved
estate with a SQLite history store, for the trend chart) are opened from file:// and checked:

- a ``--screenshot`` at a fixed ``--window-size`` is not blank (the PNG is decoded here with
  zlib; the amber INCOMPLETE banner's colour must be in it);
- over the DevTools protocol (``--remote-debugging-pipe``: no port, nothing listening), the
  page raises no exception, logs no console or browser error (a CSP violation would be one)
  and requests nothing but its own file; Chinese text is drawn with a CJK font; it prints.

Negative controls show each check can fail: a page with a script error is caught, a blank
page is blank, a page referencing an image on 127.0.0.1 makes a request.

Chromium must be installed (CI installs it): if it is missing the tests fail, never skip.
Chromium runs offline: no background networking, a host resolver that resolves nothing and
a proxy on a closed loopback port, so even a mistaken request cannot leave the machine.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass, field
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

CHROMIUM = os.environ.get("DSSCAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
WINDOW = (1280, 1600)
TIMEOUT = 90.0
OFFLINE_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--disable-sync", "--disable-background-networking",
    "--disable-component-update", "--disable-default-apps", "--disable-domain-reliability",
    "--disable-breakpad", "--mute-audio", "--hide-scrollbars", "--force-color-profile=srgb",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
)
AMBER_BANNER = bytes.fromhex("fef3c7")  # .banner.incomplete background


@pytest.fixture(scope="module")
def chromium() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package "
                    "(.ci/run does) or set DSSCAN_CHROMIUM; these tests do not skip")
    return CHROMIUM


# --- PNG, decoded with the standard library -------------------------------------------------

def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    i, ihdr, idat = 8, None, []
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        i += 12 + n
    if ihdr is None:
        raise ValueError("PNG without IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}")
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = zlib.decompress(b"".join(idat))
    # "Up" rows (most of a screenshot) in one big-integer step: bytewise add without carries.
    hi = int.from_bytes(b"\x80" * stride, "big")
    lo = int.from_bytes(b"\x7f" * stride, "big")
    rows, prev = [], bytes(stride)
    for r in range(h):
        off = r * (stride + 1)
        f, line = raw[off], raw[off + 1:off + 1 + stride]
        if f == 0:
            cur = line
        elif f == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            cur = (((a & lo) + (b & lo)) ^ ((a ^ b) & hi)).to_bytes(stride, "big")
        elif f == 1:
            out = bytearray(stride)
            for c in range(bpp):
                out[c::bpp] = bytes(accumulate(line[c::bpp], lambda x, y: (x + y) & 255))
            cur = bytes(out)
        elif f in (3, 4):
            out = bytearray(line)
            for x in range(stride):
                a = out[x - bpp] if x >= bpp else 0
                b = prev[x]
                if f == 3:
                    out[x] = (out[x] + ((a + b) >> 1)) & 255
                    continue
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                out[x] = (out[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = bytes(out)
        else:
            raise ValueError(f"bad PNG filter type {f} in row {r}")
        rows.append(cur)
        prev = cur
    return w, h, bpp, rows


@dataclass
class PixelStats:
    width: int
    height: int
    colours: collections.Counter[bytes]
    sampled: int

    @property
    def background_share(self) -> float:
        return self.colours.most_common(1)[0][1] / self.sampled

    @property
    def blank(self) -> bool:
        """Blank: one colour covers 99.5 % of the page, or fewer than 8 colours in all."""
        return self.background_share > 0.995 or len(self.colours) < 8


def pixel_stats(png: bytes, step: int = 2) -> PixelStats:
    w, h, bpp, rows = decode_png(png)
    colours: collections.Counter[bytes] = collections.Counter()
    for row in rows[::step]:
        for x in range(0, len(row), bpp * step):
            colours[row[x:x + 3]] += 1
    return PixelStats(w, h, colours, sum(colours.values()))


# --- Chromium -------------------------------------------------------------------------------

def screenshot(chromium: str, page: Path, tmp: Path, name: str) -> bytes:
    """``chromium --headless --screenshot`` of a file at WINDOW."""
    out = tmp / f"{name}.png"
    proc = subprocess.run(
        [chromium, *OFFLINE_FLAGS, f"--user-data-dir={tmp / f'profile-{name}'}",
         f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=5000",
         f"--screenshot={out}", page.as_uri()],
        capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0 and out.is_file(), (
        f"chromium --screenshot failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out.read_bytes()


@dataclass
class Inspection:
    exceptions: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    cjk_fonts: list[dict[str, Any]] = field(default_factory=list)
    pdf: bytes = b""

    @property
    def errors(self) -> list[str]:
        return [*self.exceptions, *self.console_errors, *self.log_errors]


class DevTools:
    """Chromium over --remote-debugging-pipe: it reads commands on fd 3 and writes on fd 4,
    NUL-separated JSON. Started in its own process group, which is ended on exit."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def child_fds() -> None:  # in the child, before exec: the pipes become fds 3 and 4
            hr = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 20)
            hw = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 20)
            os.dup2(hr, 3)
            os.dup2(hw, 4)

        self.proc = subprocess.Popen(
            [chromium, *OFFLINE_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self._send("Browser.close")
                    self.proc.wait(15)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this test started
                self.proc.wait(15)
            for fd in (self._r, self._w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def wait_for(self, pred: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                self.events.append(msg)
                if pred(msg):
                    return msg
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the DevTools pipe")
                self._buf += chunk

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        i = self._send(method, params, session)
        msg = self.wait_for(lambda m: m.get("id") == i)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result", {})


def inspect(chromium: str, url: str, tmp: Path, *, cjk_selector: str | None = None,
            pdf: bool = False) -> Inspection:
    got = Inspection()
    with DevTools(chromium, tmp / f"profile-cdp-{abs(hash(url))}") as dt:
        target = dt.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = dt.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page", "DOM", "CSS"):
            dt.call(f"{domain}.enable", session=s)
        dt.call("Page.navigate", {"url": url}, session=s)
        dt.wait_for(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == s)
        # A round trip after the load event: anything the page logged at load is in by now.
        dt.call("Runtime.evaluate", {"expression": "document.readyState"}, session=s)
        if cjk_selector:
            root = dt.call("DOM.getDocument", {"depth": -1}, session=s)["root"]["nodeId"]
            node = dt.call("DOM.querySelector", {"nodeId": root, "selector": cjk_selector},
                           session=s)["nodeId"]
            assert node, f"no element {cjk_selector} in the page"
            got.cjk_fonts = dt.call("CSS.getPlatformFontsForNode", {"nodeId": node},
                                    session=s)["fonts"]
        if pdf:
            got.pdf = base64.b64decode(dt.call("Page.printToPDF", {
                "paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True},
                session=s)["data"])
        events = list(dt.events)
    for m in events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            what = (d.get("exception") or {}).get("description")
            got.exceptions.append(f"{d.get('text')} {what}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            got.console_errors.append(" ".join(str(a.get("value", a.get("description")))
                                               for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            got.log_errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            got.requests.append(p["request"]["url"])
    return got


# --- the reports ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "compliance.html"
    proc = dsscan("demo", "--saved", "-f", "html", "-o", out)
    assert proc.returncode == 1 and out.is_file(), proc.stderr  # findings: exit 1
    return out


@pytest.fixture(scope="module")
def trend_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two stored runs over the saved estate: the second report carries a trend chart."""
    tmp = tmp_path_factory.mktemp("trend")
    ex = resources.files("dsscan.examples")
    out = tmp / "compliance.html"
    with resources.as_file(ex / "bank-estate.json") as estate, \
            resources.as_file(ex / "catalogue.yaml") as catalogue:
        for _ in range(2):
            proc = dsscan("scan", "inventory", estate, "--catalogue", catalogue,
                          "--store", tmp / "history.db", "-f", "html", "-o", out)
            assert proc.returncode == 1, proc.stderr
    text = out.read_text("utf-8")
    assert 'id="trend"' in text and "<polygon" in text
    # Regulatory events since the first run (docs/history.md): rendered in the page that
    # Chromium checks; the same estate twice changes no level, store or share.
    events = text.split('<section id="events">', 1)[1].split("</section>", 1)[0]
    assert "Regulatory events since r" in events and "(0)</h2>" in events
    return out


def document_urls(text: str) -> list[str]:
    """Every URL-bearing attribute and CSS url() / @import in the page."""
    attrs = re.findall(r"""\b(?:src|href|xlink:href|action|poster|data|srcset)\s*=\s*["']"""
                       r"""([^"']*)""", text, flags=re.I)
    css = re.findall(r"""url\(\s*['"]?([^'")]*)""", text) + re.findall(
        r"""@import\s+['"]([^'"]+)""", text)
    return attrs + css


def assert_clean_page(got: Inspection, page: Path) -> None:
    assert not got.errors, got.errors
    assert got.requests == [page.as_uri()], got.requests  # only the document itself


@pytest.mark.slow
@pytest.mark.parametrize("which", ["demo_report", "trend_report"])
def test_report_renders_in_chromium_without_errors_or_requests(which, chromium, tmp_path,
                                                               request):
    page: Path = request.getfixturevalue(which)
    text = page.read_text("utf-8")
    urls = document_urls(text)
    assert urls and all(u.startswith(("#", "data:")) for u in urls), urls
    got = inspect(chromium, page.as_uri(), tmp_path, cjk_selector='span[lang="zh-CN"]',
                  pdf=True)
    assert_clean_page(got, page)
    # The regulation's Chinese title is drawn with a CJK font, not missing-glyph boxes.
    assert any("CJK" in f["familyName"] and f["glyphCount"] > 0 for f in got.cjk_fonts), \
        got.cjk_fonts
    assert got.pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", got.pdf)) >= 2  # the report prints, on A4


@pytest.mark.slow
@pytest.mark.parametrize("which", ["demo_report", "trend_report"])
def test_report_screenshot_is_not_blank_and_shows_the_incomplete_banner(which, chromium,
                                                                        tmp_path, request):
    page: Path = request.getfixturevalue(which)
    stats = pixel_stats(screenshot(chromium, page, tmp_path, which))
    assert (stats.width, stats.height) == WINDOW
    assert not stats.blank, (stats.background_share, len(stats.colours))
    assert stats.background_share < 0.95 and len(stats.colours) > 50
    # The saved estate is incomplete: the amber banner is on screen, in its colour.
    assert stats.colours[AMBER_BANNER] > 2000, stats.colours.most_common(8)


# --- the checks can fail --------------------------------------------------------------------

@pytest.mark.slow
def test_a_script_error_is_detected(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><h1>x</h1><script>"
                    "console.error('deliberate'); notDefinedAnywhere();</script></body></html>")
    got = inspect(chromium, page.as_uri(), tmp_path)
    assert any("notDefinedAnywhere" in e for e in got.exceptions), got.exceptions
    assert any("deliberate" in e for e in got.console_errors), got.console_errors
    with pytest.raises(AssertionError):
        assert_clean_page(got, page)


@pytest.mark.slow
def test_a_blank_page_is_detected_as_blank(chromium, tmp_path):
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html><body></body></html>")
    stats = pixel_stats(screenshot(chromium, page, tmp_path, "blank"))
    assert stats.blank and len(stats.colours) == 1


@pytest.mark.slow
def test_a_reference_to_another_host_is_detected_as_a_request(chromium, tmp_path):
    page = tmp_path / "external.html"
    # 127.0.0.1:9 (discard): nothing listens, and nothing leaves the machine.
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/pixel.png">'
                    "</body></html>")
    got = inspect(chromium, page.as_uri(), tmp_path)
    assert "http://127.0.0.1:9/pixel.png" in got.requests, got.requests
    assert document_urls(page.read_text()) == ["http://127.0.0.1:9/pixel.png"]
    with pytest.raises(AssertionError):
        assert_clean_page(got, page)


@pytest.mark.slow
def test_a_missing_cjk_font_would_be_seen(chromium, tmp_path):
    """Control for the font check: Latin text is not drawn with a CJK font."""
    page = tmp_path / "latin.html"
    page.write_text('<!DOCTYPE html><html><body><p id="t" style="font-family:DejaVu Sans">'
                    "plain latin</p></body></html>")
    got = inspect(chromium, page.as_uri(), tmp_path, cjk_selector="#t")
    assert got.cjk_fonts and not any("CJK" in f["familyName"] for f in got.cjk_fonts)


def test_png_decoder_reads_every_filter_type():
    """Rows written with each PNG filter (0-4) decode to the same pixels."""
    w, bpp = 5, 3
    pixels = [bytes((x * 40 + y * 7) % 256 for x in range(w * bpp)) for y in range(5)]

    def paeth(a: int, b: int, c: int) -> int:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else b if pb <= pc else c

    raw = b""
    prev = bytes(w * bpp)
    for ftype, row in enumerate(pixels):
        enc = bytearray()
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            pred = (0, a, b, (a + b) >> 1, paeth(a, b, c))[ftype]
            enc.append((v - pred) & 255)
        raw += bytes([ftype]) + bytes(enc)
        prev = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, 5, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert decode_png(png) == (w, 5, bpp, pixels)
