"""Files dsscan writes (reports, inventories, baselines, bundles) appear whole or not at all:
written to a temporary file beside the target and renamed over it.

Permissions follow the umask (0666 less it), as for any file a program creates: what dsscan
writes is masked, and whom a report is for (a compliance office, a CI job) is the operator's
call, made with the umask. Only a file that can hold a secret is written ``private`` (0600)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import Any

from dsscan.errors import InputError

_WRITE_SLICE = 1 << 20  # characters


_PUBLIC, _PRIVATE = 0o666, 0o600  # before the umask


def write_atomic(path: str | Path, data: str | bytes, *, private: bool = False,
                 what: str = "") -> None:
    """Write ``data`` via a temporary file and rename. Permissions: 0666 less the umask;
    ``private``: 0600 whatever the umask, for a file that can hold a secret.

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
        fd, tmp = _create_beside(p, _PRIVATE if private else _PUBLIC)
    except OSError as e:
        raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            _write_slices(fh, data)
        os.replace(tmp, p)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
        raise


def _create_beside(p: Path, perms: int) -> tuple[int, str]:
    """A new temporary file beside ``p``, created with ``perms`` less the umask: the kernel
    applies the umask at creation (mkstemp always creates 0600, and reading the umask to chmod
    afterwards means setting it, which races with other threads)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
             | getattr(os, "O_CLOEXEC", 0))
    for _ in range(100):
        tmp = str(p.parent / f".{p.name}.{secrets.token_hex(4)}")
        try:
            return os.open(tmp, flags, perms), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(p.parent))


def _write_slices(fh: Any, data: str | bytes) -> None:
    # In slices: encoding a 100 MB report at once takes a fresh 100 MB buffer, whose page
    # faults alone cost more than the write; the slices reuse their memory.
    for start in range(0, len(data), _WRITE_SLICE):
        fh.write(data[start:start + _WRITE_SLICE])
