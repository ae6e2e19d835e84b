"""Parquet objects and files: the footer and the first row group, by byte ranges.

Split from :mod:`dsscan.scanners.sampling.blobs` (which dispatches here by extension or
magic bytes); pyarrow is imported on first use.
"""

from __future__ import annotations

import io
from typing import Any

from dsscan.scanners.sampling.blobs import (
    PARQUET_MAGIC,
    Blob,
    BlobSample,
    Limits,
    _flatten,
    _Sink,
    render,
)


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


def sample_parquet(blob: Blob, limits: Limits, scanner: Any, location: str,
                   res: BlobSample) -> BlobSample:
    """The footer and the first row group's column chunks of a Parquet ``blob``, within
    ``limits.parquet_bytes``; nested columns (struct, list, map) by key path."""
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
        nested = pa.types.is_nested(t)
        if not (nested or pa.types.is_string(t) or pa.types.is_large_string(t)
                or pa.types.is_integer(t) or pa.types.is_decimal(t)
                or pa.types.is_dictionary(t)):
            continue  # binary, dates, floats, booleans: nothing the detectors read
        # A nested column is stored as one chunk per leaf: its budget is their sum.
        leaves = [v for k, v in chunk.items() if k == fld.name or k.startswith(fld.name + ".")]
        if not leaves:
            continue
        need = sum(leaves)
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
            if nested:  # struct / list / map: every leaf, by key path like JSON
                _flatten(v, fld.name, sink)
            else:
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
