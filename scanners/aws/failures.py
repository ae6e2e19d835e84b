"""What could not be read, and why: AWS errors turned into gap reasons (fail closed).

Every failed call becomes a gap — for a whole scope ("rds in 111111111111/cn-north-1") when a
listing fails, for one facet of an asset ("encryption") when a detail call fails — and the
affected facts stay ``null``. Gaps are shown in every report and make the scan incomplete;
nothing the scanner could not see is ever reported as compliant.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PaginationError,
    ReadTimeoutError,
    UnknownEndpointError,
)
from botocore.parsers import ResponseParserError

from dsscan.scanners.aws.operations import iam_action

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "AuthorizationError", "AuthorizationErrorException", "Forbidden",
           "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
           "ExpiredTokenException", "AccountProblem", "AllAccessDisabled"}
THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
              "TooManyRequestsException", "SlowDown", "RequestThrottled",
              "RequestThrottledException", "ProvisionedThroughputExceededException"}
_REGION = {"OptInRequired", "InvalidAction", "UnsupportedOperation", "AuthFailure",
           "InvalidRegion", "UnknownOperationException"}


class TruncatedListing(Exception):
    """A listing said there was more but gave no way to fetch it."""


class MalformedReply(BotoCoreError):
    """A successful (2xx) reply without the operation's shape (scanners/aws/replies.py). The
    detail names members of the model, never a value of the reply."""

    fmt = "malformed reply: {detail}"


class CallTimedOut(BotoCoreError):
    """An API call (connect, every read, every retry) ran past --timeout (guard.py)."""

    fmt = "the call did not complete within {seconds:g} s"


# Errors turned into gaps; anything else is a bug in dsscan and propagates.
READ_ERRORS: tuple[type[BaseException], ...] = (
    ClientError, BotoCoreError, ResponseParserError, TruncatedListing, NotImplementedError)


class ReadFailure(Exception):
    """A call that failed, with the one-line reason a report shows."""

    def __init__(self, service: str, operation: str, cause: BaseException) -> None:
        self.service, self.operation, self.cause = service, operation, cause
        self.reason = reason(cause, service, operation)
        super().__init__(self.reason)

    @property
    def code(self) -> str | None:
        return error_code(self.cause)


def reason(exc: BaseException, service: str, operation: str) -> str:
    """One line naming the IAM action and what went wrong; never a response body."""
    action = iam_action(service, operation)
    if isinstance(exc, ClientError):
        code = error_code(exc) or "Error"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED:
            return f"{action} {code}"
        if status == 403:
            return f"{action} AccessDenied (HTTP 403)"
        if code in THROTTLED:
            return f"{action} throttled past retries ({code})"
        if code in _REGION:
            return f"{action} not available in this region or account ({code})"
        if status == 404 and code in ("404", "NotFound"):
            return f"{action} not supported by the endpoint (HTTP 404)"
        if status is not None and status >= 500:
            return f"{action} failed on the service side ({code}, HTTP {status})"
        return f"{action} failed ({code})"
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | CallTimedOut):
        # One reason whichever fired first: a socket read, connecting, or the whole call.
        return f"{action} timed out"
    if isinstance(exc, MalformedReply):
        return f"{action} malformed reply ({exc.kwargs['detail']})"
    if isinstance(exc, ResponseParserError):
        return f"{action} malformed reply (could not be parsed)"
    if isinstance(exc, EndpointConnectionError | UnknownEndpointError):
        return f"{action} endpoint not reachable (service not offered in this region?)"
    if isinstance(exc, NoCredentialsError):
        return f"{action} no credentials"
    if isinstance(exc, PaginationError | TruncatedListing):
        return f"{action} listing truncated"
    if isinstance(exc, NotImplementedError):
        return f"{action} not implemented by the endpoint"
    return f"{action} failed ({type(exc).__name__})"


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "")
    return None


def add_asset_gap(asset: dict[str, Any], aspect: str, why: str, *,
                  key_id: str | None = None) -> None:
    """``key_id``: the KMS key a gap on who manages a key is about (the kms_keys setting can
    decide it)."""
    a = asset.setdefault("assessment", {"status": "complete", "gaps": []})
    a.setdefault("gaps", []).append({"aspect": aspect, "reason": why,
                                     **({"key_id": key_id} if key_id else {})})
    if a.get("status") == "complete":
        a["status"] = "partial"


@contextlib.contextmanager
def facet(asset: dict[str, Any], aspect: str) -> Iterator[None]:
    """Read one facet of an asset; a failed call records the gap, the facet's facts stay
    null, and the scan goes on."""
    try:
        yield
    except ReadFailure as e:
        add_asset_gap(asset, aspect, e.reason)
