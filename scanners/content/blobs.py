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
from dsscan.scanners.content import Detection, Outcome, content_block

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
    if data.startswith(_MAGIC_BINARY) or (b"\x00" in data[:8192] and not _utf16(data)):
        res.skipped = ("not_data", "binary content")
        return res

    fmt = _BY_EXTENSION.get(ext) or _BY_CONTENT_TYPE.get(
        (blob.content_type or "").split(";")[0].strip().lower()) or _sniff(data)
    if fmt == "parquet":
        fmt = "text"  # a gzipped "parquet" name: Parquet compresses inside, not around
    res.format = fmt
    text, encoding = _decode(data, truncated)
    if truncated and fmt != "json":  # JSON is read as a stream up to the cut
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
        if not _json(text, limits, sink, res):
            _lines([text], limits, sink, res)  # a truncated or broken document: its text
    else:
        _lines([text, *pieces], limits, sink, res)
    sink.scan(scanner, res)
    return res


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


def _decode(data: bytes, truncated: bool) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (with or without BOM), UTF-16 with a
    BOM, else GB 18030 (the superset of GBK that Chinese exports use)."""
    if _utf16(data):
        return data[:len(data) - len(data) % 2].decode("utf-16", errors="replace"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        # Incremental: a character cut by the read bound is dropped, not an error.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not truncated), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030"


def _decode_mid(chunk: bytes, encoding: str) -> str:
    """Text of a range read from the middle: it may start inside a character."""
    if encoding == "utf-8":
        i = 0
        while i < min(3, len(chunk)) and 0x80 <= chunk[i] <= 0xBF:
            i += 1
        chunk = chunk[i:]
    elif encoding == "utf-16":
        chunk = chunk[:len(chunk) - len(chunk) % 2]
        return chunk.decode("utf-16-le", errors="replace")
    return chunk.decode(encoding, errors="replace")


def _drop_partial_last_line(text: str) -> str:
    cut = text.rfind("\n")
    return text[:cut + 1] if cut >= 0 else ""


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
        text = _decode_mid(chunk, encoding)
        first = text.find("\n")  # drop the line the range starts inside of
        text = text[first + 1:] if first >= 0 else ""
        if off + len(chunk) < size:
            text = _drop_partial_last_line(text)
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
    first_line = head.split("\n", 1)[0]
    delim = delimiter or _delimiter(first_line)
    reader = csv.reader(io.StringIO(head), delimiter=delim)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
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
    _rows(sink, names, first + list(_reader_rows(reader, head_rows - len(first))), res)
    left = limits.rows - res.rows
    for piece in pieces:
        if left <= 0:
            break
        got = [r for r in _reader_rows(csv.reader(io.StringIO(piece), delimiter=delim), left)
               if len(r) == width]  # a row cut by a quoted newline is dropped
        _rows(sink, names, got, res)
        left -= len(got)


def _reader_rows(reader: Any, limit: int) -> Iterator[list[str]]:
    n = 0
    while n < limit:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a malformed row (its message is not kept: it may quote data)
            continue
        if row:
            n += 1
            yield row


def _rows(sink: _Sink, names: list[str], rows: list[list[str]], res: BlobSample) -> None:
    for row in rows:
        for name, cell in zip(names, row, strict=False):
            sink.add(name, cell if cell != "" else None)
        res.rows += 1


# JSON numbers stay text: json would read 110101199003077777.0 as a float.
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


def _flatten(value: Any, path: str, sink: _Sink) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), sink)
    elif isinstance(value, list):
        for v in value:
            _flatten(v, f"{path}[]", sink)
    elif isinstance(value, str):
        sink.add(path or "$", value)
    elif value is None:
        sink.add(path or "$", None)
    # booleans carry nothing a detector looks for


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = (("true", False), ("false", False), ("null", True))


def _json(text: str, limits: Limits, sink: _Sink, res: BlobSample) -> bool:
    """A JSON document, read as a stream of (key path, scalar) up to where the read bound cut
    it, so a truncated document still gives its first records. Records are the objects
    inside arrays (the rows of ``[{...}, ...]`` or ``{"data": [{...}]}``); a document
    without any is one record. Numbers stay the text they are written as. False when the
    text is not JSON at all (it is then read as text)."""
    s = text.lstrip("\ufeff \t\r\n")
    if not s.startswith(("{", "[")):
        return False
    # Open containers: [is_object, path, key (objects: the current key, None = expecting one)]
    stack: list[list[Any]] = []
    records = scalars = 0
    i, n = 0, len(s)

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
                break
            is_obj, _, _ = stack.pop()
            if is_obj and stack and not stack[-1][0]:
                records += 1  # an object inside an array: one record
            i += 1
        elif c == '"':
            try:
                value, i = json.decoder.scanstring(s, i + 1)
            except ValueError:  # cut inside the string by the read bound
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
                break  # not JSON from here on
    res.rows += records or (1 if scalars else 0)
    return bool(records or scalars) or s.rstrip() in ("[]", "{}")


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
                _flatten(_DECODER.decode(line), "", sink)
            except json.JSONDecodeError:
                other.append(line)  # not JSON: scanned as text
    sink.text.extend(other)


def _lines(pieces: list[str], limits: Limits, sink: _Sink, res: BlobSample) -> None:
    for piece in pieces:
        lines = piece.splitlines()[:max(0, limits.rows - res.rows)]
        res.rows += len(lines)
        sink.text.extend(lines)


# --- Parquet -----------------------------------------------------------------------------

class _OverBudget(Exception):
    pass


class _RangeFile(io.RawIOBase):
    """A read-only file over a blob's byte ranges, within a byte budget, for pyarrow."""

    def __init__(self, blob: Blob, size: int, budget: int, res: BlobSample) -> None:
        self.blob, self.size, self.left, self.res = blob, size, budget, res
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        if n > self.left:
            raise _OverBudget()
        data = self.blob.read(self.pos, n)
        self.left -= len(data)
        self.res.bytes += len(data)
        self.pos += len(data)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def _parquet(blob: Blob, limits: Limits, scanner: Any, location: str,
             res: BlobSample) -> BlobSample:
    res.format = "parquet"
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        res.skipped = ("unreadable", "Parquet needs pyarrow (pip install pyarrow)")
        return res
    size = blob.size
    if not size or size < 12:
        res.skipped = ("unreadable", "not a Parquet file (too short or size unknown)")
        return res
    f = _RangeFile(blob, size, limits.parquet_bytes, res)
    try:
        # The footer ourselves (its length is in the last 8 bytes), so that pyarrow's own
        # footer read-ahead does not decide how much is fetched.
        f.seek(size - 8)
        tail = f.read(8)
        meta_len = int.from_bytes(tail[:4], "little")
        if tail[4:] != PARQUET_MAGIC or meta_len + 8 > size:
            res.skipped = ("unreadable", "not a Parquet file")
            return res
        f.seek(size - 8 - meta_len)
        footer = f.read(meta_len)
        meta = pq.read_metadata(io.BytesIO(PARQUET_MAGIC + footer + tail))
        pf = pq.ParquetFile(f, metadata=meta)
    except _OverBudget:
        res.skipped = ("unreadable", "Parquet footer larger than the byte budget")
        return res
    except Exception as e:  # pyarrow raises many kinds; none is kept but its class
        res.skipped = ("unreadable", f"unreadable Parquet ({type(e).__name__})")
        return res

    sink = _Sink(location, limits.max_columns)
    if meta.num_row_groups == 0:
        sink.scan(scanner, res)
        return res
    rg = meta.row_group(0)
    chunk = {rg.column(j).path_in_schema: rg.column(j).total_compressed_size
             for j in range(rg.num_columns)}
    over = 0
    for fld in pf.schema_arrow:
        t = fld.type
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
                or pa.types.is_decimal(t) or pa.types.is_dictionary(t)):
            continue  # binary, dates, nested: nothing the detectors read
        need = chunk.get(fld.name)
        if need is None:
            continue
        if need > f.left:
            over += 1
            continue
        try:
            col = pf.read_row_group(0, columns=[fld.name]).column(0)
        except _OverBudget:
            over += 1
            continue
        except Exception:
            over += 1
            continue
        values = col.slice(0, limits.rows).to_pylist()
        for v in values:
            sink.add(fld.name, None if v is None else render(v))
        res.rows = max(res.rows, len(values))
    sink.scan(scanner, res)
    if over:
        # Part of the file could not be read within the bound: a coverage gap.
        res.skipped = None if sink.columns else ("unreadable",
                                                 "Parquet column chunks larger than the byte "
                                                 "budget")
        if sink.columns:
            res.partial = f"{over} Parquet column(s) over the byte budget"
    return res


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


class Tally:
    """The sample of a bucket or directory, object by object, and its outcome."""

    def __init__(self, what: str = "objects") -> None:
        self.what = what
        self.detections: list[Detection] = []
        self.rows = self.bytes = self.columns = self.objects = self.tried = 0
        self.failed: Counter[str] = Counter()  # read errors
        self.unreadable: Counter[str] = Counter()  # data not readable within the bounds
        self.skipped: Counter[str] = Counter()  # not data (media, empty, archived)

    def add(self, res: BlobSample) -> None:
        self.tried += 1
        self.bytes += res.bytes
        if res.skipped is not None:
            kind, why = res.skipped
            (self.unreadable if kind == "unreadable" else self.skipped)[why] += 1
            return
        if res.partial:
            self.unreadable[res.partial] += 1
        self.objects += 1
        self.rows += res.rows
        self.columns += res.columns
        self.detections += res.detections

    def fail(self, why: str) -> None:
        self.tried += 1
        self.failed[why] += 1

    def outcome(self, listed: int, attributes: dict[str, Any]) -> Outcome:
        sample = {"rows": self.rows, "objects": self.objects, "bytes": self.bytes,
                  "columns": self.columns}
        if self.skipped:
            attributes[f"{self.what}_skipped"] = dict(sorted(self.skipped.items()))
        n, what = self.tried, self.what
        gaps = [f"{why} ({count} of {n} sampled {what})"
                for why, count in sorted(self.failed.items())]
        gaps += [f"{count} of {n} sampled {what} could not be read within the bounds ({why})"
                 for why, count in sorted(self.unreadable.items())]
        if self.objects == 0 and gaps:
            return Outcome(content_block([], sample, status="error", reason="; ".join(gaps)),
                           gaps, attributes)
        if self.objects == 0 and listed:  # only folders, media, archives: nothing to judge
            why = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items()))
            return Outcome(content_block([], sample, status="not_sampled",
                                         reason=f"no data {what} to sample ({why})"),
                           [], attributes)
        return Outcome(content_block(self.detections, sample), gaps, attributes)
