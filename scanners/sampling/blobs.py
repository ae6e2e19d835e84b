"""Bounded reads of objects and files, and the formats they hold.

One object or file (a :class:`Blob`: S3 object, local file) is sampled by reading its first
``head_bytes`` and up to ``ranges`` random ranges of ``range_bytes`` from the rest (line-based
formats only), or, for Parquet, its footer and the column chunks of its first row group within
``parquet_bytes``. gzip (by extension, Content-Encoding or magic bytes) is inflated from the
bounded prefix only, to at most ``inflated_bytes``. Structured formats (CSV, TSV, JSON, JSON
Lines, Parquet) are scanned per column or key path (location ``name#column``), anything else
as text.

Values are handed over as the text they are in the file — CSV cells and JSON numbers are never
converted to numbers (an 18-digit ID in a JSON number keeps every digit) — and go nowhere but
the detectors. Error reasons name classes and limits, never a value.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from dsscan.masking import mask_text
from dsscan.scanners.sampling import Detection

# Not data the detectors can read: media, archives, office containers, executables. Skipped
# by name before any byte is read.
BINARY_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ico", ".heic", ".svgz",
    ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".mkv", ".wav", ".flac", ".ogg", ".webm", ".zip",
    ".7z", ".rar", ".tar", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".jar", ".war", ".whl", ".exe",
    ".dll", ".so", ".dylib", ".bin", ".iso", ".img", ".dmg", ".class", ".pyc", ".o", ".a", ".pdf",
    ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".avro", ".orc", ".npy",
    ".npz", ".pkl", ".pickle", ".h5", ".hdf5", ".db", ".sqlite", ".sqlite3", ".mdb", ".accdb",
    ".ttf", ".otf", ".woff", ".woff2",
})
GZIP_EXTENSIONS = (".gz", ".gzip")
_BY_EXTENSION = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json",
                 ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                 ".parq": "parquet", ".pq": "parquet"}
_BY_CONTENT_TYPE = {"text/csv": "csv", "text/tab-separated-values": "tsv",
                    "application/json": "json", "application/x-ndjson": "jsonl",
                    "application/jsonl": "jsonl", "application/x-jsonlines": "jsonl",
                    "application/vnd.apache.parquet": "parquet",
                    "application/x-parquet": "parquet"}
_MAGIC_BINARY = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"7z\xbc\xaf",
                 b"Rar!", b"SQLite format 3\x00", b"\x7fELF", b"BZh", b"\xfd7zXZ",
                 b"\x28\xb5\x2f\xfd", b"Obj\x01")
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
LINE_FORMATS = ("csv", "tsv", "jsonl", "text")
_HEADERLESS = re.compile(r"\d{6,}|@")  # a "header" cell that looks like a value
_MAX_NAME = 80


@dataclass(frozen=True)
class Limits:
    """How much of one object or file is read."""

    head_bytes: int = 64 * 1024  # the first bytes
    ranges: int = 3  # random ranges from the rest (line-based formats, uncompressed)
    rows: int = 1000  # rows/records/lines per object
    max_columns: int = 256  # columns or key paths per object

    @property
    def range_bytes(self) -> int:
        return max(1024, self.head_bytes // 8)

    @property
    def inflated_bytes(self) -> int:  # gzip output cap: a bomb inflates no further
        return self.head_bytes * 8

    @property
    def parquet_bytes(self) -> int:  # footer plus first-row-group column chunks
        return max(self.head_bytes * 16, 1 << 20)


class Blob(Protocol):
    """One object or file, read by byte ranges."""

    name: str  # object key or path: decides format by extension
    size: int | None
    content_type: str | None
    content_encoding: str | None

    def read(self, start: int, length: int) -> bytes:
        """At most ``length`` bytes from ``start`` (fewer at the end)."""
        ...


@dataclass
class BlobSample:
    detections: list[Detection] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0
    columns: int = 0
    format: str | None = None
    # Why the blob was not scanned: ("not_data", why) for media and the like, ("unreadable",
    # why) for data that could not be read within the bounds (a coverage gap).
    skipped: tuple[str, str] | None = None
    ranges: int = 0  # random ranges read
    partial: str | None = None  # scanned, but part of it could not be read within the bounds
    # What the parsers could not read (reason -> count): malformed rows, undecodable bytes.
    # Never silently dropped: each becomes part of ``partial`` (or ``skipped`` when nothing
    # at all was read), so the object is a coverage gap, never "no identifiers found".
    unread: Counter[str] = field(default_factory=Counter)

    @property
    def scanned(self) -> bool:
        return self.skipped is None


class _Sink:
    """Columns (or key paths) → values, bounded in count, then scanned once each."""

    def __init__(self, location: str, max_columns: int) -> None:
        self.location = location
        self.max_columns = max_columns
        self.columns: dict[str, list[str | None]] = {}
        self.text: list[str] = []

    def add(self, column: str, value: str | None) -> None:
        col = self.columns.get(column)
        if col is None:
            if len(self.columns) >= self.max_columns:
                return
            col = self.columns[column] = []
        col.append(value)

    def scan(self, scanner: Any, res: BlobSample) -> None:
        for name, values in self.columns.items():
            # Column names and key paths come from the data: masked like any report text.
            safe = mask_text(name)[:_MAX_NAME]
            res.detections += scanner.scan_column(f"{self.location}#{safe}", values,
                                                  name=safe)
        res.columns = len(self.columns)
        if self.text:
            res.detections += scanner.scan_text(self.location, "\n".join(self.text))
            res.columns = max(res.columns, 1)


def sample_blob(blob: Blob, limits: Limits, scanner: Any, location: str) -> BlobSample:
    """Read a bounded sample of ``blob`` and scan it. Read errors of the blob propagate."""
    res = BlobSample()
    name = blob.name.lower()
    gz = name.endswith(GZIP_EXTENSIONS) or (blob.content_encoding or "").lower() in (
        "gzip", "x-gzip")
    inner = name.rsplit(".", 1)[0] if name.endswith(GZIP_EXTENSIONS) else name
    ext = _suffix(inner)
    if ext in BINARY_EXTENSIONS:
        res.skipped = ("not_data", f"binary type {ext}")
        return res
    if _BY_EXTENSION.get(ext) == "parquet" and not gz:
        return _parquet(blob, limits, scanner, location, res)
    if blob.size == 0:
        res.skipped = ("not_data", "empty")
        return res

    head = blob.read(0, limits.head_bytes)
    res.bytes += len(head)
    truncated = len(head) >= limits.head_bytes if blob.size is None else blob.size > len(head)
    if head[:2] == GZIP_MAGIC:
        gz = True
    elif head[:4] == PARQUET_MAGIC:
        return _parquet(blob, limits, scanner, location, res)
    if gz:
        data, complete = _inflate(head, limits.inflated_bytes)
        if data is None:
            res.skipped = ("unreadable", "not valid gzip")
            return res
        truncated = not complete
    else:
        data = head
    if not data:
        res.skipped = ("not_data", "empty")
        return res
    declared = _BY_EXTENSION.get(ext) or _BY_CONTENT_TYPE.get(
        (blob.content_type or "").split(";")[0].strip().lower())
    if data.startswith(_MAGIC_BINARY) or (b"\x00" in data[:8192] and not _utf16(data)
                                          and declared is None):
        res.skipped = ("not_data", "binary content")
        return res
    if b"\x00" in data and not _utf16(data):
        # A data format with NUL bytes in it: read with the NULs as spaces, and say that
        # it was not read as written (a NUL may stand in for a separator, or the text be
        # UTF-16 without a byte-order mark).
        res.unread[f"NUL bytes in a {declared or 'text'} file"] += 1
        data = data.replace(b"\x00", b" ")

    fmt = declared or _sniff(data)
    if fmt == "parquet":
        fmt = "text"  # a gzipped "parquet" name: Parquet compresses inside, not around
    res.format = fmt
    # JSON is read as a stream up to the cut; other formats by whole lines. A line break
    # byte is never inside a UTF-8 or GB 18030 character: cut before decoding, so that the
    # character the bound may have cut is not taken for an undecodable one.
    lines_only = truncated and fmt != "json"
    read = len(data)
    if lines_only and not _utf16(data):
        data = _drop_partial_last_line(data)
    text, encoding = _decode(data, truncated and fmt == "json", res)
    if lines_only and encoding == "utf-16":
        text = _drop_partial_last_line(text)
    pieces: list[str] = []
    if not gz and fmt in LINE_FORMATS and blob.size:
        pieces = _random_ranges(blob, limits, encoding, res)

    sink = _Sink(location, limits.max_columns)
    if fmt in ("csv", "tsv"):
        _csv(text, pieces, "\t" if fmt == "tsv" else None, limits, sink, res)
    elif fmt == "jsonl":
        _jsonl([text, *pieces], limits, sink, res)
    elif fmt == "json":
        if not _json(text, limits, sink, res, truncated=truncated):
            _lines([text], limits, sink, res)  # not JSON at all: its text
    else:
        _lines([text, *pieces], limits, sink, res)
    if truncated and res.rows == 0 and not sink.columns and not sink.text:
        # Data was read but no row, record or line of it was complete within the bound (one
        # line, field or value longer than the read): nothing was looked at.
        res.unread[f"no complete {fmt} row within the first {read:,} bytes"] += 1
    sink.scan(scanner, res)
    _settle(res, bool(sink.columns or sink.text))
    return res


def _settle(res: BlobSample, scanned: bool) -> None:
    """What the parsers could not read becomes a coverage gap: the whole object when
    nothing of it was scanned, else a part (``partial``)."""
    if not res.unread:
        return
    why = "; ".join(f"{r} ({n})" if n > 1 else r for r, n in sorted(res.unread.items()))
    if scanned:
        res.partial = f"{res.partial}; {why}" if res.partial else why
    else:
        res.skipped = ("unreadable", why)


def _parquet(blob: Blob, limits: Limits, scanner: Any, location: str,
             res: BlobSample) -> BlobSample:
    from dsscan.scanners.sampling.parquet import sample_parquet

    return sample_parquet(blob, limits, scanner, location, res)


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[1] if "." in base else ""


def _inflate(data: bytes, cap: int) -> tuple[bytes | None, bool]:
    """Inflate the start of a gzip stream: (output up to ``cap``, whether it ended)."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, cap)
    except zlib.error:
        return None, False
    return out, d.eof and len(out) < cap


def _utf16(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


_UNDECODABLE = "undecodable bytes (not UTF-8, UTF-16 or GB 18030; read as U+FFFD)"


def _decode(data: bytes, cut: bool, res: BlobSample) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (with or without BOM), UTF-16 with a
    BOM, else GB 18030 (the superset of GBK that Chinese exports use). ``cut``: the read
    bound may have cut the last character (dropped, not an error). Bytes no encoding reads
    are replaced and counted in ``res.unread``: what they held was not looked at."""
    if _utf16(data):
        return _strict(data[:len(data) - len(data) % 2], "utf-16", False, res), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut), "utf-8"
    except UnicodeDecodeError:
        return _strict(data, "gb18030", cut, res), "gb18030"


def _strict(data: bytes, encoding: str, cut: bool, res: BlobSample) -> str:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=not cut)
    except UnicodeDecodeError:
        res.unread[_UNDECODABLE] += 1
        return codecs.getincrementaldecoder(encoding)("replace").decode(data, final=not cut)


def _decode_mid(chunk: bytes, encoding: str, complete_end: bool, res: BlobSample) -> str:
    """Whole lines of a range read from the middle: the line it starts inside of and (unless
    the range reaches the end) the line it ends inside of are dropped, at byte level (a
    newline byte is never part of a UTF-8 or GB 18030 character), then decoded."""
    if encoding == "utf-16":
        chunk = chunk[:len(chunk) - len(chunk) % 2]
        text = chunk.decode("utf-16-le", errors="replace")
        first = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=-1)
        text = text[first + 1:] if first >= 0 else ""
        return text if complete_end else _drop_partial_last_line(text)
    first = min((i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0), default=-1)
    chunk = chunk[first + 1:] if first >= 0 else b""
    if not complete_end:
        chunk = _drop_partial_last_line(chunk)
    return _strict(chunk, encoding, False, res)


def _drop_partial_last_line(text: Any) -> Any:
    """``text`` (str or bytes) up to its last line break (LF, CRLF or a lone CR)."""
    lf, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    cut = max(text.rfind(lf), text.rfind(cr))
    return text[:cut + 1] if cut >= 0 else text[:0]


def _random_ranges(blob: Blob, limits: Limits, encoding: str, res: BlobSample) -> list[str]:
    """Whole lines from a few ranges past the head, at offsets seeded by the blob's name and
    size (the same object gives the same sample on every run)."""
    size, rb = blob.size or 0, limits.range_bytes
    rest = size - limits.head_bytes
    if limits.ranges <= 0 or rest <= 0:
        return []
    if rest <= rb * limits.ranges:  # the rest is small: read it in one range
        offsets = [limits.head_bytes]
        rb = rest
    else:
        seed = hashlib.sha256(f"{blob.name}\0{size}".encode()).digest()
        rng = random.Random(seed)
        offsets = sorted(rng.randrange(limits.head_bytes, size - rb + 1)
                         for _ in range(limits.ranges))
    out = []
    for off in offsets:
        chunk = blob.read(off, rb)
        res.bytes += len(chunk)
        res.ranges += 1
        text = _decode_mid(chunk, encoding, off + len(chunk) >= size, res)
        if text:
            out.append(text)
    return out


def _sniff(data: bytes) -> str:
    head = data[:4096].decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    lines = [ln for ln in head.splitlines()[:6] if ln.strip()]
    if head.startswith("{"):
        return "jsonl" if len(lines) > 1 and all(ln.lstrip().startswith("{")
                                                 for ln in lines[1:]) else "json"
    if head.startswith("["):
        return "json"
    if len(lines) >= 2:
        for delim, fmt in (("\t", "tsv"), (",", "csv"), (";", "csv"), ("|", "csv")):
            n = lines[0].count(delim)
            if n >= 1 and all(ln.count(delim) == n for ln in lines[1:-1] or lines[1:]):
                return fmt
    return "text"


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(head: str, pieces: list[str], delimiter: str | None, limits: Limits, sink: _Sink,
         res: BlobSample) -> None:
    first_line = (head.splitlines() or [""])[0]
    delim = delimiter or _delimiter(first_line)
    # One long quoted field (a JSON document in a cell) is data like any other: the read
    # bound, not the csv module's 128 KiB default, limits a field.
    longest = max([len(head), *map(len, pieces)])
    if csv.field_size_limit() <= longest:
        csv.field_size_limit(longest + 1)
    # newline="": CR-only (classic Mac, some exports), LF and CRLF rows alike.
    # strict: a stray quote is an error counted below, not a field that swallows the rows
    # after it.
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delim, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error:
        res.unread["malformed CSV header row"] += 1
        return
    if header and all(c.strip() and not _HEADERLESS.search(c) for c in header):
        names = [c.strip() for c in header]
        first: list[list[str]] = []
    else:  # no header row: the first row is data
        names = [f"column{i + 1}" for i in range(len(header))]
        first = [header]
    width = len(names)
    # The head takes most of the row budget; the ranges share the rest.
    head_rows = limits.rows if not pieces else max(1, limits.rows * 3 // 4)
    _rows(sink, names, first + list(_reader_rows(reader, head_rows - len(first), res)), res)
    left = limits.rows - res.rows
    for piece in pieces:
        if left <= 0:
            break
        got = []
        rd = csv.reader(io.StringIO(piece, newline=""), delimiter=delim, strict=True)
        for r in _reader_rows(rd, left, res):
            if len(r) == width:
                got.append(r)
            else:  # a row cut by a quoted newline: its cells are read as text
                sink.text.append(" ".join(r))
        _rows(sink, names, got, res)
        left -= len(got)


def _reader_rows(reader: Any, limit: int, res: BlobSample) -> Iterator[list[str]]:
    n = 0
    while n < limit:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # its message is not kept: it may quote data
            res.unread["malformed CSV rows"] += 1
            continue
        if row:
            n += 1
            yield row


def _rows(sink: _Sink, names: list[str], rows: list[list[str]], res: BlobSample) -> None:
    for row in rows:
        for name, cell in zip(names, row, strict=False):
            sink.add(name, cell if cell != "" else None)
        if len(row) > len(names):  # cells past the header: read as text, not dropped
            sink.text.append(" ".join(row[len(names):]))
        res.rows += 1


# JSON numbers stay text: json would read 110101199003077777.0 as a float.
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


def _flatten(value: Any, path: str, sink: _Sink) -> None:
    """(key path, scalar) pairs of a decoded value, in document order. A loop, not
    recursion: however deep the value, no RecursionError."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, dict):
            stack.extend(reversed([(x, f"{p}.{k}" if p else str(k)) for k, x in v.items()]))
        elif isinstance(v, list | tuple):
            stack.extend(reversed([(x, f"{p}[]") for x in v]))
        elif isinstance(v, str):
            sink.add(p or "$", v)
        elif v is None:
            sink.add(p or "$", None)
        elif not isinstance(v, bool):  # booleans carry nothing a detector looks for
            sink.add(p or "$", render(v))


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = (("true", False), ("false", False), ("null", True))


def _json(text: str, limits: Limits, sink: _Sink, res: BlobSample, *,
          truncated: bool = False) -> bool:
    """A JSON document, read as a stream of (key path, scalar) up to where the read bound cut
    it, so a truncated document still gives its first records. Records are the objects
    inside arrays (the rows of ``[{...}, ...]`` or ``{"data": [{...}]}``); a document
    without any is one record. Numbers stay the text they are written as. False when the
    text is not JSON at all (it is then read as text). Where the document is malformed
    (not merely cut by the read bound: ``truncated``), the rest is read as text and the
    malformation recorded in ``res.unread``."""
    s = text.lstrip("\ufeff \t\r\n")
    if not s.startswith(("{", "[")):
        return False
    # Open containers: [is_object, path, key (objects: the current key, None = expecting one)]
    stack: list[list[Any]] = []
    records = scalars = 0
    i, n = 0, len(s)
    broken = False

    def value_path() -> str:
        if not stack:
            return "$"
        is_obj, path, key = stack[-1]
        if is_obj:
            return f"{path}.{key}" if path else str(key)
        return f"{path}[]" if path else ""

    while i < n and records < limits.rows:
        c = s[i]
        if c in " \t\r\n,:":
            if c == "," and stack and stack[-1][0]:
                stack[-1][2] = None  # next: a key
            i += 1
        elif c in "{[":
            stack.append([c == "{", value_path() if stack else "", None])
            i += 1
        elif c in "}]":
            if not stack:
                broken = True  # a close with nothing open
                break
            is_obj, _, _ = stack.pop()
            if is_obj and stack and not stack[-1][0]:
                records += 1  # an object inside an array: one record
            i += 1
        elif c == '"':
            try:
                value, i = json.decoder.scanstring(s, i + 1, False)
            except ValueError:  # unterminated: cut by the read bound, or malformed
                broken = not truncated or s.find('"', i + 1) != -1
                break
            if stack and stack[-1][0] and stack[-1][2] is None:
                stack[-1][2] = value
            else:
                sink.add(value_path(), value)
                scalars += 1
        else:
            m = _NUMBER.match(s, i)
            if m:
                if m.end() >= n:  # the bound may have cut the number: left out
                    broken = not truncated
                    break
                sink.add(value_path(), m.group(0))
                scalars += 1
                i = m.end()
                continue
            for word, is_null in _LITERALS:
                if s.startswith(word, i):
                    if is_null:
                        sink.add(value_path(), None)
                    i += len(word)
                    break
            else:
                # Not JSON from here on, unless the read bound cut a literal.
                broken = not (truncated and any(w.startswith(s[i:]) for w, _ in _LITERALS))
                break
    if not broken and i >= n and stack and not truncated:
        broken = True  # the whole file read, and the document never closes
    ok = bool(records or scalars) or s.rstrip() in ("[]", "{}")
    if broken and (ok or stack):
        res.unread[f"malformed JSON after {records:,} records (the rest read as text)"] += 1
        if s[i:].strip():
            sink.text.append(s[i:])
        ok = True
    res.rows += records or (1 if scalars else 0)
    return ok


def _jsonl(pieces: list[str], limits: Limits, sink: _Sink, res: BlobSample) -> None:
    other: list[str] = []
    for piece in pieces:
        for line in piece.splitlines():
            if res.rows >= limits.rows:
                break
            line = line.strip()
            if not line:
                continue
            res.rows += 1
            try:
                value = _DECODER.decode(line)
            except (json.JSONDecodeError, RecursionError):
                other.append(line)  # not JSON (or nested past the parser): scanned as text
                continue
            _flatten(value, "", sink)
    sink.text.extend(other)


def _lines(pieces: list[str], limits: Limits, sink: _Sink, res: BlobSample) -> None:
    for piece in pieces:
        lines = piece.splitlines()[:max(0, limits.rows - res.rows)]
        res.rows += len(lines)
        sink.text.extend(lines)


def render(value: Any) -> str:
    """A value as text, exactly: Decimal keeps every digit (no exponent, no float)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        text = format(value, "f")  # digits as stored, never in exponent form
        whole, dot, frac = text.partition(".")
        return whole if dot and frac.strip("0") == "" else text  # NUMERIC(20,2) 77.00 -> 77
    if isinstance(value, float):
        return format(value, ".0f") if value.is_integer() and abs(value) < 1e21 else repr(value)
    return str(value)
