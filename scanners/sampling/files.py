"""Local files and directories (``dsscan sample ./export.csv ./exports/``).

Each path given is one asset of kind ``file_system`` (id ``file:///abs/path``), sampled like
an S3 bucket: a directory's files in path order, at most ``max_files`` of them, each read the
way scanners/sampling/blobs.py reads an object (first bytes, a few random ranges, gzip
prefix, Parquet footer and first row group). Locations are ``relative/path#column``.
Files are only opened for reading; nothing is written next to them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.inputs import note_in_use
from dsscan.masking import mask_text
from dsscan.scanners.sampling import Asset
from dsscan.scanners.sampling.blobs import (
    BINARY_EXTENSIONS,
    GZIP_EXTENSIONS,
    Limits,
    sample_blob,
)
from dsscan.scanners.sampling.tally import SampleTally


@dataclass(frozen=True)
class FileOptions:
    limits: Limits = field(default_factory=Limits)
    max_files: int = 1000
    tags: dict[str, str] = field(default_factory=dict)
    environment: str | None = None
    level: str | None = None


class LocalFile:
    """A file read by byte ranges (the :class:`~dsscan.scanners.sampling.blobs.Blob` shape)."""

    content_type: str | None = None
    content_encoding: str | None = None

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.size: int | None = path.stat().st_size

    def read(self, start: int, length: int) -> bytes:
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(length)


def _files(root: Path, limit: int) -> tuple[list[Path], int, int]:
    """Regular files under ``root`` in path order (symlinks not followed), the first
    ``limit`` of them, how many more there were, and how many were left out by type
    (media, archives: they do not count against the limit)."""
    found: list[Path] = []
    more = binary = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            p = Path(dirpath, f)
            if p.is_symlink() or not p.is_file():
                continue
            name = f.lower()
            if name.endswith(GZIP_EXTENSIONS):
                name = name.rsplit(".", 1)[0]
            if "." in name and "." + name.rsplit(".", 1)[1] in BINARY_EXTENSIONS:
                binary += 1
            elif len(found) < limit:
                found.append(p)
            else:
                more += 1
    return found, more, binary


def sample_path(path: str, opts: FileOptions, scanner: Any) -> Asset:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file or directory")
    is_dir = p.is_dir()
    files, more, binary = _files(p, opts.max_files) if is_dir else ([p], 0, 0)
    a: Asset = {"id": p.resolve().as_uri(), "kind": "file_system",
                "name": p.resolve().name or str(p), "type": "local directory" if is_dir
                else "local file", "provider": "local", "source": {"type": "file", "file": path},
                "account": None, "region": None, "tags": dict(opts.tags),
                "assessment": {"status": "complete", "gaps": []}, "attributes": {}}
    if opts.environment:
        a["environment"] = {"value": opts.environment, "provenance": [
            {"source": "declared", "environment": opts.environment,
             "detail": "dsscan sample --environment"}]}
    if opts.level:
        a["level"] = {"value": opts.level, "provenance": [
            {"source": "declared", "level": opts.level, "detail": "dsscan sample --level"}],
            "conflicts": []}
    tally = SampleTally("files")
    if binary:
        tally.skipped["binary type"] += binary
    for f in files:
        rel = f.relative_to(p).as_posix() if is_dir else f.name
        note_in_use(f, "sampled file")
        try:
            res = sample_blob(LocalFile(f, rel), opts.limits, scanner, mask_text(rel))
        except OSError as e:  # the reason names the error, not the file (its name may be data)
            tally.fail(f"cannot read ({e.strerror or type(e).__name__})")
            continue
        tally.add(res)
    out = tally.outcome(len(files) + binary, {"files_found": len(files) + more + binary})
    if more:
        out.gaps.append(f"{more} files beyond --max-files {opts.max_files} not sampled")
    out.apply(a)
    return a
