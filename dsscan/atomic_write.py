"""Files dsscan writes (reports, inventories, baselines, bundles) appear whole or not at all:
written to a temporary file beside the target and renamed over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from dsscan.errors import InputError

_WRITE_SLICE = 1 << 20  # characters


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None,
                 what: str = "") -> None:
    """Write ``data`` via a temporary file and rename; ``mode``: the file's permissions
    (default: mkstemp's 0600, right for reports that describe an estate).

    A path that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written
    in place: renaming over it would replace the device itself. Errors are one line naming
    the path (``what``: "bundle" gives "cannot write bundle")."""
    from dsscan.inputs import refuse_in_use

    p = Path(path)
    binary = isinstance(data, bytes)
    cannot = f"cannot write{' ' + what if what else ''}"
    refuse_in_use(p)  # never over an input, the store, the baseline or the config in use
    try:
        is_dir, in_place = p.is_dir(), p.exists() and not p.is_file()
    except OSError as e:  # a name too long, a loop of links: before anything is written
        raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
    if is_dir:
        raise InputError(f"{p}: is a directory, not a file to write")
    if in_place:
        try:
            with p.open("wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
                _write_slices(fh, data)
        except OSError as e:
            raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    except OSError as e:
        raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            _write_slices(fh, data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
        raise


def _write_slices(fh: Any, data: str | bytes) -> None:
    # In slices: encoding a 100 MB report at once takes a fresh 100 MB buffer, whose page
    # faults alone cost more than the write; the slices reuse their memory.
    for start in range(0, len(data), _WRITE_SLICE):
        fh.write(data[start:start + _WRITE_SLICE])
