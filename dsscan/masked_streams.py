"""Standard output and error masked for the whole of a CLI run: messages, progress lines,
warnings and anything a library prints pass the same masking as the reports."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

from dsscan.masking import mask_text

_premasked = threading.local()


class _MaskedStream:
    """A text stream whose every write is masked. It has no ``buffer``: nothing can write
    around it (click then writes text to it, as to any text stream without one)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(text if getattr(_premasked, "on", False) else mask_text(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_std_streams() -> Iterator[None]:
    """Standard output and error masked for the duration: messages, progress lines, warnings
    and anything a library prints pass the same masking as the reports."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _MaskedStream(out), _MaskedStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = out, err


@contextlib.contextmanager
def premasked() -> Iterator[None]:
    """Writes in this block are masked already (a whole report): not masked a second time."""
    _premasked.on = True
    try:
        yield
    finally:
        _premasked.on = False
