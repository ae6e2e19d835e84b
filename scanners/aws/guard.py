"""Every API call is guarded: bounded in time as a whole, and its reply checked.

**The deadline.** botocore's ``read_timeout`` bounds each socket read, not a call: an endpoint
that sends a byte every half second never trips it (measured: a 218-byte reply dripped at
0.5 s/byte took 108 s with ``read_timeout=1``), and retries add their back-offs on top.
``--timeout`` is a deadline for the whole call — connect, every read, every retry — kept by:

- ``before-call`` starting the call's clock (the call, not each attempt);
- connections that tell the clock which socket they use, so that a watchdog thread can shut
  that socket down when the deadline passes: the blocked read returns at once, in whatever
  phase (status line, headers, body) it was dripping;
- ``before-send`` refusing to start an attempt, and ``needs-retry`` refusing a retry whose
  back-off cannot end before the deadline, so a call never sleeps past it;
- ``after-call`` refusing a reply whose socket was shut (botocore reads bodies with
  ``enforce_content_length=False``: a cut body may otherwise parse).

A call cut short raises :class:`~dsscan.scanners.aws.failures.CallTimedOut`, a botocore error:
the caller records a gap like any other failed read.

**The reply.** ``after-call`` holds each successful reply against the service model and
``after-call-error`` turns a parser's crash into a malformed reply (scanners/aws/replies.py).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from botocore.awsrequest import (
    AWSHTTPConnection,
    AWSHTTPConnectionPool,
    AWSHTTPSConnection,
    AWSHTTPSConnectionPool,
)
from botocore.exceptions import BotoCoreError, ClientError
from botocore.handlers import parse_get_bucket_location

from dsscan.scanners.aws.failures import THROTTLED, CallTimedOut, MalformedReply
from dsscan.scanners.aws.replies import check_reply, parse_failure

_KEY = "dsscan_call"
_MAX_BACKOFF = 20.0  # botocore's standard/adaptive retry back-off cap (retries/standard.py)
_local = threading.local()


@dataclass(eq=False)
class _Call:
    """One API call in flight on one thread."""

    seconds: float
    expires: float
    parent: _Call | None  # a call made inside another (assume-role credentials refresh)
    conn: Any = None
    expired: bool = False
    killed: bool = False  # its socket was shut down by the watchdog
    done: bool = False
    attempt_error: BaseException | None = None  # what the last attempt raised
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def timed_out(self) -> CallTimedOut:
        return CallTimedOut(seconds=self.seconds)

    def expire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.expired = True
            conn = self.conn
            sock = getattr(conn, "sock", None)
            if sock is None or getattr(conn, "_dsscan_call", None) is not self:
                return
            self.killed = True
        # The plain socket's shutdown, also under TLS: SSLSocket.shutdown would drop its SSL
        # object under the reading thread's feet. OSError: already closed; TypeError: not a
        # plain socket (TLS through a TLS proxy), left to the per-read timeout.
        with contextlib.suppress(OSError, TypeError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread expiring calls at their deadlines."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Call]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, call: _Call) -> None:
        with self._cond:
            heapq.heappush(self._heap, (call.expires, next(self._seq), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dsscan-aws-deadline",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                due, _, call = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            if not call.done:
                call.expire()


_WATCHDOG = _Watchdog()


def _current() -> _Call | None:
    return getattr(_local, "call", None)


def _attach(conn: Any) -> None:
    """The connection is about to be used by the current call: the watchdog may cut it."""
    call = _current()
    if call is None:
        return
    with call.lock:
        conn._dsscan_call = call
        call.conn = conn
        expired = call.expired
    if expired:
        raise TimeoutError("dsscan: call deadline passed")  # urllib3: a timeout
    t = getattr(conn, "timeout", None)
    if isinstance(t, int | float):  # never wait to connect past the deadline
        conn.timeout = max(0.001, min(t, call.remaining()))


class _Guarded:
    """Connection mixin: every connect and request runs under the current call's deadline."""

    def connect(self) -> None:
        _attach(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _attach(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Guarded, AWSHTTPConnection):
    pass


class _HTTPSConnection(_Guarded, AWSHTTPSConnection):
    pass


class _HTTPPool(AWSHTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(AWSHTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


def _use_guarded_connections(client: Any) -> bool:
    """Have the client's HTTP session open connections the watchdog can cut. botocore offers
    no public hook for its connection classes; its URLLib3Session keeps them in
    ``_pool_classes_by_scheme`` (the same in every botocore since 1.35, the floor of
    pyproject.toml), and tests prove a dripping endpoint is cut."""
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    manager = getattr(session, "_manager", None)
    if not isinstance(getattr(session, "_pool_classes_by_scheme", None), dict) or manager is None:
        return False
    session._pool_classes_by_scheme = dict(_POOLS)
    manager.pool_classes_by_scheme = session._pool_classes_by_scheme
    return True


def _failed_retryably(response: Any, caught: BaseException | None) -> bool:
    if caught is not None:
        return True
    if response is None:
        return False
    http, parsed = response
    code = ((parsed or {}).get("Error") or {}).get("Code")
    return http.status_code >= 500 or http.status_code == 429 or code in THROTTLED


class _Hooks:
    def __init__(self, seconds: float, max_attempts: int) -> None:
        self.seconds = seconds
        self.max_attempts = max_attempts

    def before_call(self, context: dict[str, Any], **_: Any) -> None:
        call = _Call(self.seconds, time.monotonic() + self.seconds, _current())
        context[_KEY] = call
        _local.call = call
        _WATCHDOG.watch(call)

    def before_send(self, **_: Any) -> None:
        call = _current()
        if call is not None and (call.expired or call.remaining() <= 0):
            raise call.timed_out()

    def needs_retry(self, request_dict: dict[str, Any], attempts: int, response: Any = None,
                    caught_exception: BaseException | None = None, **_: Any) -> None:
        call = (request_dict.get("context") or {}).get(_KEY)
        if call is None:
            return
        call.attempt_error = caught_exception
        if isinstance(caught_exception, CallTimedOut):
            raise caught_exception
        if call.expired or call.killed:
            raise call.timed_out() from caught_exception
        if (attempts < self.max_attempts and _failed_retryably(response, caught_exception)
                and call.remaining() < min(2.0 ** (attempts - 1), _MAX_BACKOFF)):
            # botocore would sleep up to this long and retry: there is no time for it.
            raise call.timed_out() from caught_exception

    def _end(self, context: dict[str, Any]) -> _Call | None:
        call = context.get(_KEY)
        if call is None:
            return None
        with call.lock:
            call.done = True
            if call.conn is not None and getattr(call.conn, "_dsscan_call", None) is call:
                call.conn._dsscan_call = None
        if _current() is call:
            _local.call = call.parent
        return call

    def after_call(self, http_response: Any, parsed: Any, model: Any,
                   context: dict[str, Any], **_: Any) -> None:
        call = self._end(context)
        if call is not None and call.killed:
            raise call.timed_out()
        check_reply(http_response, model)

    def after_call_error(self, exception: BaseException, context: dict[str, Any],
                         **_: Any) -> None:
        call = self._end(context)
        if call is None:
            return
        if (call.expired or call.killed) and not isinstance(exception, CallTimedOut):
            raise call.timed_out() from exception
        if not isinstance(exception, BotoCoreError | ClientError) \
                and exception is not call.attempt_error:
            # Neither an attempt's error (seen by needs-retry) nor botocore's own: raised
            # while botocore parsed the reply.
            raise parse_failure(exception) from exception


def guard(client: Any, seconds: float, max_attempts: int) -> None:
    """Bound each call of ``client`` to ``seconds`` and check its replies."""
    hooks = _Hooks(seconds, max_attempts)
    events = client.meta.events
    # First: before other handlers (moto's or a Stubber's answer, the adaptive rate limiter's
    # wait, botocore's retry decision and its after-call parsing of S3 locations).
    events.register_first("before-call", hooks.before_call)
    events.register_first("before-send", hooks.before_send)
    events.register_first("needs-retry", hooks.needs_retry)
    events.register_first("after-call", hooks.after_call)
    events.register_first("after-call-error", hooks.after_call_error)
    if client.meta.service_model.service_name == "s3":
        # botocore reads s3:GetBucketLocation in an after-call handler of its own, which
        # raises ParseError on a body that is not XML: the same handler, failing as a
        # malformed reply.
        events.unregister("after-call.s3.GetBucketLocation", parse_get_bucket_location)
        events.register("after-call.s3.GetBucketLocation", _bucket_location)
    _use_guarded_connections(client)


def _bucket_location(**kwargs: Any) -> None:
    try:
        parse_get_bucket_location(**kwargs)
    except ElementTree.ParseError as e:
        raise parse_failure(e) from e


__all__ = ["MalformedReply", "guard"]
