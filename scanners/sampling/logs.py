"""CloudWatch Logs: a bounded sample of a log group's events (opt-in: ``--sample-data``;
logs:FilterLogEvents reads data, so it is granted by examples/iam/dsscan-sampling.json only).

Per group: ``FilterLogEvents`` over the last ``hours`` (no filter pattern) in four time
slices, oldest first, each with its share of the events and bytes left; page after page with
``nextToken``, until ``events`` events or ``bytes`` bytes of messages were read, or ``pages``
pages were asked in all (a page may come back empty while CloudWatch still searches): the cap
on what one group costs. Calls exhausted before every slice was searched leave the rest of the
window unread: a gap, as a failed call. JSON escapes and percent-encoding in a message are
decoded before the detectors read it (``\\n`` or ``%20`` glued to an identifier). The
messages are free text to the detectors (DS-PII-001: identifiers in clear in a log, Art.
45); only counts and masked examples come out. Each group's detections are one location,
``events`` (a stream name may itself be an identifier).

A call that fails (AccessDenied, throttled past the sweep's retries, a timeout): nothing read
yet, or nothing found in what was read -> ``content.status: error`` and a ``content`` gap
(DS-PII-001 reports the group not assessed, never passed); unmasked values already found are
kept (``sampled``, with the gap). No events in the window: ``not_sampled`` (nothing to judge).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from dsscan.scanners.aws.failures import READ_ERRORS, reason
from dsscan.scanners.sampling import Outcome, content_block

LOCATION = "events"
FUTURE_MS = 2 * 3600 * 1000  # how far ahead of now PutLogEvents accepts a timestamp


@dataclass(frozen=True)
class LogLimits:
    events: int = 1000  # events read per group
    bytes: int = 1024 * 1024  # message bytes read per group (UTF-8)
    pages: int = 20  # FilterLogEvents calls per group
    hours: int = 168  # how far back: the last 7 days
    page: int = 10000  # events asked per call (FilterLogEvents' own maximum)
    slices: int = 4  # the window read in this many time slices, each with its share


# JSON string escapes and URL percent-encoding, as structured and access logs write them: an
# identifier after an escaped line break, an escaped ">" or "%3D" is glued to letters or
# digits until decoded.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\([nrtbf])|\\([\"\\/])|%([0-9A-Fa-f]{2})")


def _decode(m: re.Match[str]) -> str:
    hexa = m.group(1) or m.group(4)
    if hexa is not None:
        ch = chr(int(hexa, 16))
        return ch if ch.isprintable() else " "
    if m.group(2) is not None:
        return " "
    return m.group(3)


def unescape(message: str) -> str:
    """A log message as the detectors read it: JSON escapes and percent-encoding decoded
    (a control character becomes a space); a message without either is returned as is."""
    if "\\" not in message and "%" not in message:
        return message
    return _ESCAPE.sub(_decode, message)


def sample_log_group(client: Any, group: str, limits: LogLimits, scanner: Any,
                     now_ms: int | None = None) -> Outcome:
    """Sample one log group through ``client`` (a CloudWatch Logs client in its region).

    The window is read in ``limits.slices`` consecutive time slices, oldest first, each
    allowed its share of what is left of the event cap (FilterLogEvents returns the oldest
    events first: one read over the whole window would see only its first minutes in a busy
    group). A quiet slice leaves its share to the later ones."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    start = now_ms - limits.hours * 3600 * 1000
    step = max(1, (now_ms - start) // limits.slices)
    lines: list[str] = []
    events = size = pages = 0
    failure: str | None = None
    searched = 0  # slices whose search ran to its end (no nextToken left) or to its share
    for i in range(limits.slices):
        if events >= limits.events or size >= limits.bytes or pages >= limits.pages:
            break
        left = limits.slices - i
        # This slice's share of the events and of the bytes left, rounded up: a slice of big
        # messages must not spend the whole byte cap and leave the newest slices unread.
        budget = events + -(-(limits.events - events) // left)
        bbudget = size + -(-(limits.bytes - size) // left)
        lo = start + i * step
        # The newest slice reaches past now: CloudWatch takes events stamped up to two hours
        # ahead (a producer whose clock runs fast), and they are in no older slice.
        hi = now_ms + FUTURE_MS if i == limits.slices - 1 else lo + step - 1
        params: dict[str, Any] = {"logGroupName": group, "startTime": lo, "endTime": hi}
        token: str | None = None
        done = False
        while events < budget and size < bbudget and pages < limits.pages:
            ask = dict(params, limit=min(limits.page, 10000, budget - events))
            if token:
                ask["nextToken"] = token
            pages += 1
            try:
                page = client.filter_log_events(**ask)
            except READ_ERRORS as e:
                failure = reason(e, "logs", "FilterLogEvents")
                break
            for ev in page.get("events") or ():
                if events >= budget or size >= bbudget:
                    break
                msg = str(ev.get("message") or "")
                raw = msg.encode("utf-8", "replace")
                if size + len(raw) > limits.bytes:  # the byte cap cuts the last message
                    msg = raw[:limits.bytes - size].decode("utf-8", "ignore")
                    raw = msg.encode("utf-8")
                events += 1
                size += len(raw)
                # One event, one line: a message's own line breaks stay inside it.
                lines.append(unescape(msg).replace("\r", " ").replace("\n", " "))
            nxt = page.get("nextToken")
            if not nxt or nxt == token:
                done = True
                break
            token = nxt
        if failure is not None:
            break
        if done or events >= budget or size >= bbudget:
            searched += 1
    if failure is None and searched < limits.slices and events < limits.events \
            and size < limits.bytes:
        # The cap on calls stopped the search before the window was read (pages that came
        # back empty while CloudWatch still searched): what is left of it is unread, a gap.
        failure = (f"logs:FilterLogEvents stopped at {limits.pages} calls: "
                   f"{limits.slices - searched} of {limits.slices} slices of the window "
                   "not searched")
    sample = {"rows": events, "bytes": size}
    attributes = {"events_read": events, "pages": pages, "window_hours": limits.hours}
    detections = scanner.scan_text(LOCATION, "\n".join(lines)) if lines else []
    del lines  # the values go to the detectors only
    if failure is not None:
        why = failure if events == 0 else f"{failure} after {events} events"
        if any(int(d.get("unmasked") or 0) > 0 for d in detections):
            # What was found stands; the rest of the bounded sample is a gap.
            return Outcome(content_block(detections, sample), [why], attributes)
        return Outcome(content_block([], sample, status="error", reason=why), [why], attributes)
    if events == 0:
        return Outcome(content_block([], sample, status="not_sampled",
                                     reason=f"no log events in the last {limits.hours} hours"),
                       [], attributes)
    return Outcome(content_block(detections, sample), [], attributes)


def capped(limit: int) -> Outcome:
    """A group beyond the run's cap on sampled groups: not sampled, and a gap (never a pass)."""
    why = f"log group not sampled: beyond --sample-log-groups {limit}"
    return Outcome(content_block([], {"rows": 0, "bytes": 0}, status="not_sampled", reason=why),
                   [why])
