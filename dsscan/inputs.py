"""Reading input files: the one way every loader reads what a user hands dsscan.

Inventories, Terraform plans, Pulumi exports and previews, baselines and JSON reports are
*data* files; settings files (.dsscan.yaml, pyproject.toml), catalogues, accounts files and
Pulumi project files are *settings* files. Every one passes the same checks, and each check
fails with one line (an InputError) that names the file:

- it is a regular file: a directory, a device (``/dev/zero`` would be read forever), a FIFO
  (with no writer, opening it blocks forever) or a socket is refused before it is read;
- it is no larger than the limit of its class, checked before anything is read into memory:
  ``DSSCAN_MAX_INPUT_MB`` (default 512) for data files, ``DSSCAN_MAX_SETTINGS_MB`` (default
  16) for settings files;
- it is text: UTF-8 (a byte order mark allowed), or UTF-16/32 with a byte order mark (what
  PowerShell's ``>`` writes);
- JSON is strict: a key repeated in an object, NaN or Infinity (or a number that overflows to
  it), an integer beyond 64 bits, a lone UTF-16 surrogate (``"\\ud800"``) or nesting deeper
  than MAX_DEPTH is an error, never a silent last-wins, float or crash further on;
- YAML (dsscan.strict_yaml) is strict the same way, and its aliases may not expand past
  MAX_NODES values or refer to themselves (a "billion laughs" file is refused, not
  walked); TOML likewise.

What a loader does with the document (its schema, its meaning) stays in the loader.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.masking import mask_text

DATA = "data"
SETTINGS = "settings"
LIMIT_ENV = {DATA: "DSSCAN_MAX_INPUT_MB", SETTINGS: "DSSCAN_MAX_SETTINGS_MB"}
DEFAULT_LIMIT_MB = {DATA: 512, SETTINGS: 16}
# Deeper than any real plan, export or settings file (a plan of modules nested ten deep is
# about 40), shallow enough for every recursive step after loading (Python's own limit is
# 1,000 frames) and for the policy engine.
MAX_DEPTH = 128
# Values a YAML document may expand to through its aliases.
MAX_NODES = 1_000_000
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what JSON tools and the policy engine represent
_CHUNK = 16 << 20
SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def quote_value(value: Any, limit: int = 60) -> str:
    """A value from the file for an error message: masked, on one line, bounded."""
    text = " ".join(mask_text(str(value)).split())
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogates
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


# --- files in use ---------------------------------------------------------------------------

# What this run has read (or opened as its store): by device and inode (a hard link or a
# symlink is the same file) and by resolved path (a store not created yet) -> (what it is,
# the path). Every file dsscan writes is checked against it first: a report written over the
# inventory it reports on, or over the store, the baseline or the config of the run, loses
# them. Cleared for each command (``in_use_session``): a process running several commands
# (tests, the fuzz harness) must not refuse a file an earlier command read, or a new file
# that got a deleted input's inode.
_IN_USE: dict[Any, tuple[str, str]] = {}


@contextlib.contextmanager
def in_use_session() -> Iterator[None]:
    _IN_USE.clear()
    try:
        yield
    finally:
        _IN_USE.clear()


def note_in_use(path: str | Path, what: str, st: os.stat_result | None = None) -> None:
    """Record that this run reads ``path`` (an input, the history store, ...)."""
    p = Path(path)
    with contextlib.suppress(OSError, ValueError):
        st = st or os.stat(p)
        _IN_USE.setdefault((st.st_dev, st.st_ino), (what, str(p)))
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        _IN_USE.setdefault(str(p.resolve()), (what, str(p)))


def _same_inode(key: tuple[int, int], path: str) -> bool:
    """Whether ``path`` still is the file of ``key`` (not deleted, its inode not reused)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == key


def refuse_in_use(path: str | Path) -> None:
    """InputError (one line) when ``path`` is, names or links to a file this run reads."""
    p = Path(path)
    keys: list[Any] = []
    for stat_of in (os.stat, os.lstat):
        with contextlib.suppress(OSError, ValueError):
            st = stat_of(p)
            keys.append((st.st_dev, st.st_ino))
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        keys.append(str(p.resolve()))
    for key in keys:
        hit = _IN_USE.get(key)
        if hit is None or (isinstance(key, tuple) and not _same_inode(key, hit[1])):
            continue
        raise InputError(f"{p}: is the {hit[0]} this run reads; refusing to overwrite it "
                         "(write the output to another file)")


# --- reading bytes --------------------------------------------------------------------------

def limit_bytes(kind: str = DATA) -> int:
    """The size limit of a class of input files, in bytes (its env var, else the default)."""
    env = LIMIT_ENV[kind]
    raw = os.environ.get(env, "").strip()
    if not raw:
        return DEFAULT_LIMIT_MB[kind] << 20
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not (0 < mb < 1 << 40):  # NaN fails too
        raise InputError(f"{env}: '{mask_text(raw)[:40]}' is not a positive number of MB")
    return int(mb * (1 << 20))


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, for the message (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe); write the content to a file first"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: str | Path, what: str, *, kind: str = DATA) -> bytes:
    """The bytes of a regular file of at most the ``kind``'s limit; InputError otherwise.

    The type is checked before opening (opening a device can have effects) and again on the
    open file (the path may have changed in between); O_NONBLOCK keeps a FIFO swapped in
    meanwhile from blocking the open."""
    p = Path(path)
    limit = limit_bytes(kind)
    try:
        what_is = _kind_of(os.stat(p).st_mode)
        if what_is is None:
            fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise InputError(f"{p}: cannot read {what} ({why})") from None
    if what_is is not None:
        raise InputError(f"{p}: cannot read {what}: {what_is}, not a regular file")
    with os.fdopen(fd, "rb", buffering=0) as f:
        try:
            st = os.fstat(f.fileno())
            what_is = _kind_of(st.st_mode)
            if what_is is not None:
                raise InputError(f"{p}: cannot read {what}: {what_is}, not a regular file")
            if st.st_size > limit:
                raise InputError(_too_big(p, what, st.st_size, kind, limit))
            note_in_use(p, what, st)
            return _read_bounded(f, p, what, st.st_size, kind, limit)
        except OSError as e:
            raise InputError(f"{p}: cannot read {what} ({e.strerror or e})") from None


def _read_bounded(f: Any, p: Path, what: str, size: int, kind: str, limit: int) -> bytes:
    # The size is known; reading on past it catches a file that grows meanwhile (or one the
    # kernel sizes as 0, as /proc does) without ever holding more than the limit.
    chunks: list[bytes] = []
    total = 0
    want = size or _CHUNK
    while True:
        chunk = f.read(min(want, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputError(_too_big(p, what, total, kind, limit, at_least=True))
        want = _CHUNK
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_big(p: Path, what: str, size: int, kind: str, limit: int,
             at_least: bool = False) -> str:
    mb = f"{limit / (1 << 20):,.2f}".rstrip("0").rstrip(".")
    return (f"{p}: {what} is {'over ' if at_least else ''}{size:,} bytes, larger than the "
            f"{mb} MB limit for {kind} files (set {LIMIT_ENV[kind]} to raise it)")


def decode_text(raw: bytes, origin: str) -> str:
    """UTF-8 text (a byte order mark dropped), or UTF-16/32 with a byte order mark."""
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        encoding = "utf-32"
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        enc = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise InputError(f"{origin}: not {enc} text (bad byte at offset "
                         f"{e.start})") from None


def read_text(path: str | Path, what: str, *, kind: str = SETTINGS) -> str:
    return decode_text(read_bytes(path, what, kind=kind), str(path))


# --- JSON -------------------------------------------------------------------------------------

class _Refused(ValueError):
    """Raised from inside the JSON decoder's hooks: the message says what was refused."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Refused(f"duplicate key {quote_value(k)} in an object (a JSON object may "
                               "not repeat a key: which value would count is undefined)")
            seen.add(k)
    return d


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"the number {quote_value(text, 30)} is too large (it overflows to "
                       "Infinity)")
    return value


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > 20:  # before int(): a 5,000-digit string is a ValueError (or slow) there
        raise _Refused(f"an integer of {digits:,} digits (dsscan reads integers of at most "
                       "64 bits)")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise _Refused(f"the integer {text} is beyond 64 bits")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant,
                            parse_float=_float, parse_int=_int)


def parse_json(raw: bytes | str, origin: str, what: str = "JSON", *,
               hint: str | None = None) -> Any:
    """A strict JSON document (see the module docstring); InputError naming ``origin``.

    ``what``: how to call the content in messages ("JSON" gives "not valid JSON: ...");
    ``hint``: added to syntax errors (how to write the file properly)."""
    text = decode_text(raw, origin) if isinstance(raw, bytes) else raw
    try:
        doc = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{origin}: not valid {what}: {e.msg} at line {e.lineno} column "
                         f"{e.colno}" + (f"; {hint}" if hint else "")) from None
    except _Refused as e:
        raise InputError(f"{origin}: not valid {what}: {e}") from None
    except RecursionError:
        raise InputError(f"{origin}: not valid {what}: nested more than {MAX_DEPTH} levels "
                         "deep") from None
    data = raw if isinstance(raw, bytes) and not raw.startswith((b"\xff", b"\xfe", b"\x00")) \
        else text.encode("utf-8", "surrogatepass")
    depth = _json_depth(data)
    if depth > MAX_DEPTH:
        raise InputError(f"{origin}: not valid {what}: nested more than {MAX_DEPTH} levels "
                         "deep")
    if _SURROGATE_ESCAPE.search(data):  # rare: escaped non-BMP text, or a lone surrogate
        _check_strings(doc, origin, what)
    return doc


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')


def _json_depth(data: bytes) -> int:
    """The nesting depth of a JSON text that parsed, at C speed (a Python walk over the
    decoded document took 0.4 s for 100k assets): escapes and the contents of strings are
    dropped, leaving the brackets; each pass then removes every innermost pair, so the number
    of passes until nothing is left is the depth. Stops counting past MAX_DEPTH."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Two quotes in a row are an empty string or the end of one and the start of the next:
    # either way no bracket between them is outside a string. What is left is rare.
    s = data.translate(None, _NOT_BRACKETS).replace(b'""', b"")
    if b'"' in s:
        s = _STRING.sub(b"", s)
    depth = 0
    while s and depth <= MAX_DEPTH:
        # A mark keeps a pair emptied by this pass from going in the same pass: "{[]}" is
        # two levels, not one.
        s = s.replace(b"[]", b"x").replace(b"{}", b"x").replace(b"x", b"")
        depth += 1
    return depth


def _check_strings(doc: Any, origin: str, what: str) -> None:
    stack = [doc]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            for k, v in o.items():
                if SURROGATE.search(k):
                    raise _surrogate(origin, what)
                stack.append(v)
        elif isinstance(o, list):
            stack.extend(o)
        elif isinstance(o, str) and SURROGATE.search(o):
            raise _surrogate(origin, what)


def _surrogate(origin: str, what: str) -> InputError:
    return InputError(f"{origin}: not valid {what}: a lone UTF-16 surrogate escape (such "
                      "as \\ud800) is not a character")


def load_json(path: str | Path, what: str, *, kind: str = DATA) -> Any:
    """Read and parse a strict JSON file (``what``: "inventory", "baseline file"...)."""
    return parse_json(read_bytes(path, what, kind=kind), str(path))


# --- shape -----------------------------------------------------------------------------------

@cache
def _validator(schema_name: str) -> Any:
    from importlib import resources

    import jsonschema_rs

    text = resources.files("dsscan").joinpath("schemas", schema_name).read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


def first_error(validator: Any, doc: Any) -> Any | None:
    """The first error ``validator`` meets in ``doc`` (in document order: an array's items in
    turn, an object's keys as written), or None when the document is valid.

    Only the first: building every error (``iter_errors``) of a small hostile file takes
    memory and time in proportion to its errors, not its size (700,000 empty assets in a
    2 MB file made 2.9 GB and 58 s). ``validate`` stops at the first one."""
    import jsonschema_rs

    if validator.is_valid(doc):
        return None
    try:
        validator.validate(doc)
    except jsonschema_rs.ValidationError as e:
        return e
    return None  # unreachable: is_valid said otherwise


def json_path(parts: Any, at: str = "$") -> str:
    return at + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def check_shape(doc: Any, schema_name: str, origin: str, at: str = "$") -> None:
    """Check the types of what a loader reads against ``dsscan/schemas/<schema_name>``:
    a wrong type anywhere fails here, with its JSON path (``at``: the path of ``doc`` in
    its file), and not as a crash further on. The first error in document order is named."""
    err = first_error(_validator(schema_name), doc)
    if err is None:
        return
    path = json_path(err.instance_path, at)
    raise InputError(f"{origin}: {one_line(path, 120)}: {one_line(err.message, 160)}")


def one_line(text: Any, limit: int = 100) -> str:
    s = " ".join(mask_text(str(text)).split())
    return s if len(s) <= limit else s[:limit - 1] + "…"


# --- TOML -------------------------------------------------------------------------------------

def parse_toml(text: str, origin: str) -> dict[str, Any]:
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{origin}: not valid TOML ({one_line(e)})") from None
    except RecursionError:
        raise InputError(f"{origin}: not valid TOML: nested more than {MAX_DEPTH} levels "
                         "deep") from None
    except ValueError:  # Python refuses int() of more than 4,300 digits
        raise InputError(f"{origin}: not valid TOML: a number too long to read (thousands of "
                         "digits)") from None
    problem = check_tree(doc)
    if problem:
        raise InputError(f"{origin}: not valid TOML: {problem}")
    return doc


def load_toml(path: str | Path, what: str, *, kind: str = SETTINGS) -> dict[str, Any]:
    return parse_toml(read_text(path, what, kind=kind), str(path))


def check_tree(doc: Any) -> str | None:
    """What a decoded settings document holds that no dsscan input may (nesting deeper than
    MAX_DEPTH, NaN or Infinity, integers beyond 64 bits, lone surrogates), or None. For
    small documents: a walk in Python."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        o, depth = stack.pop()
        if isinstance(o, dict | list):
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            for k in o if isinstance(o, dict) else ():
                if isinstance(k, str) and SURROGATE.search(k):
                    return "a lone UTF-16 surrogate is not a character"
            stack.extend((v, depth + 1) for v in (o.values() if isinstance(o, dict) else o))
        elif isinstance(o, float) and not math.isfinite(o):
            return f"{o} is not a number dsscan reads"
        elif isinstance(o, int) and not isinstance(o, bool) and not INT_MIN <= o <= INT_MAX:
            return "an integer beyond 64 bits"
        elif isinstance(o, str) and SURROGATE.search(o):
            return "a lone UTF-16 surrogate is not a character"
    return None
