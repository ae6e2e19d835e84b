"""Progress events: what long work reports while it runs, and where that goes.

Scanners, samplers and the evaluation call :func:`report` (stage, counts); the run
(dsscan.run.execute) routes the events to its ``RunUI.progress`` for its duration. Outside a
run, or with the default RunUI, events go nowhere: the library stays silent.

Events carry a stage name and counts only, never an identifier: they end up on a terminal
or in a CI log (masked there too, but there is nothing to mask).

The sink is a context variable, not a global: two runs in two threads (the CrossGuard pack,
tests) each see their own. Pool threads do not inherit it, so work on a pool reports from the
thread that waits for it (as the AWS sweep's runner and the evaluation do).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    stage: str  # e.g. "reading AWS", "sampling data", "evaluating"
    done: int | None = None  # units done so far (None: not counted)
    total: int | None = None  # units known so far (may grow: S3 adds a task per bucket)
    unit: str = ""  # what done/total count, plural: "reads", "chunks"
    assets: int | None = None  # assets found so far
    extra: tuple[str, ...] = ()  # more counts, said as they are shown: "2 failed", "840 calls"
    message: str | None = None  # a line to show once (a cluster's dashboard address)


_sink: ContextVar[Callable[[Progress], None] | None] = ContextVar("dsscan_progress",
                                                                 default=None)


def report(stage: str, done: int | None = None, total: int | None = None, unit: str = "",
           assets: int | None = None, extra: tuple[str, ...] = ()) -> None:
    """Tell whoever runs this work how far it is (nothing happens outside a run)."""
    sink = _sink.get()
    if sink is not None:
        sink(Progress(stage, done, total, unit, assets, extra))


def say(stage: str, message: str) -> None:
    """One line for whoever runs this work to show once (never an identifier)."""
    sink = _sink.get()
    if sink is not None:
        sink(Progress(stage, message=message))


def active() -> bool:
    """Whether anyone listens (counting that costs something can be skipped otherwise)."""
    return _sink.get() is not None


@contextmanager
def reporting_to(sink: Callable[[Progress], None]) -> Iterator[None]:
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


def counted(items: Iterable[T], stage: str, total: int, unit: str) -> Iterator[T]:
    """``items``, reporting each one taken as done (for a loop over chunks)."""
    if not active():
        yield from items
        return
    report(stage, 0, total, unit)
    for i, item in enumerate(items, 1):
        yield item
        report(stage, i, total, unit)


class PlainLines:
    """Progress as plain lines for a log (stderr that is not a terminal): stage, elapsed
    seconds and counts, at most one line every ``interval`` seconds, by ``clock``. A line is
    due when an event arrives or :meth:`tick` is called (a heartbeat: a stage that reports no
    counts still shows it is alive)."""

    def __init__(self, write: Callable[[str], None], *, interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.write, self.interval, self.clock = write, interval, clock
        self.start = self.last = clock()
        self.stage = ""
        self.event: Progress | None = None
        self.lock = threading.Lock()  # events and a heartbeat thread

    def begin(self, stage: str) -> None:
        self.stage, self.event = stage, None

    def update(self, event: Progress) -> None:
        if event.message is not None:
            self.write(f"dsscan: {event.message}")
            return
        self.event = event
        self.tick()

    def tick(self) -> None:
        with self.lock:
            now = self.clock()
            if now - self.last < self.interval:
                return
            self.last = now
            self.write(self.line(now))

    def line(self, now: float) -> str:
        e = self.event
        stage = e.stage if e else self.stage
        parts = [f"{now - self.start:.0f} s"]
        if e and e.done is not None:
            parts.append(f"{e.done}/{e.total} {e.unit}".rstrip() if e.total is not None
                         else f"{e.done} {e.unit}".rstrip())
        if e and e.assets is not None:
            parts.append(f"{e.assets} assets")
        parts.extend(e.extra if e else ())
        return f"dsscan: {stage[:1].lower()}{stage[1:]}… {', '.join(parts)}"
