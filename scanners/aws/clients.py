"""boto3 sessions and clients for a sweep: credentials, assumed roles, retries, call log.

One :class:`AccountSession` per scanned account. Clients are created under a lock (a boto3
Session is not thread-safe; its clients are) and cached per (region, service), so the
worker pool shares them. Every API call is recorded in the :class:`CallLog` (service,
operation), which feeds the benchmark's calls-per-asset figure and the least-privilege test
(every operation the scanner calls must be in ``examples/iam/dsscan-readonly.json``).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ProfileNotFound
from botocore.session import Session as BotocoreSession

from dsscan import __version__
from dsscan.errors import InputError
from dsscan.masking import mask_evidence, masked_json_lines
from dsscan.scanners.aws.guard import guard
from dsscan.scanners.aws.replies import wrap


class CallLog:
    """Thread-safe count of API calls by (service, operation); with ``detailed``, also each
    call's region and parameters, in order (``--call-log``: what exactly was asked of AWS)."""

    def __init__(self, detailed: bool = False) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.detailed = detailed
        self.calls: list[dict[str, Any]] = []

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[(service, operation)] += 1

    def record_call(self, service: str, region: str, operation: str,
                    params: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append({"service": service, "region": region, "operation": operation,
                               "params": params})

    def write_jsonl(self, path: str) -> None:
        from dsscan.atomic_write import write_atomic

        # Masked again as a whole (keys, values and anything not JSON as its masked text):
        # the call log is an output like any other. Private (0600): it holds every parameter
        # sent, sts:AssumeRole's ExternalId (the cross-account role's shared guard) included.
        write_atomic(path, masked_json_lines(self.calls), private=True)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def client_config(max_attempts: int, pool: int, connect_timeout: float,
                  read_timeout: float) -> botocore.config.Config:
    # Adaptive retries: client-side rate limiting on throttling, on top of standard retries.
    return botocore.config.Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        max_pool_connections=pool,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra=f"dsscan/{__version__}",
    )


# What creating a session or a client raises when the AWS configuration is wrong (before any
# call: a malformed ~/.aws/config, a profile that does not exist, a bad AWS_ENDPOINT_URL or
# region name, a setting that is not a number). botocore raises ValueError for several of
# them ("Invalid endpoint", int("abc")).
CONFIG_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ValueError)


def config_error(e: BaseException, what: str) -> InputError:
    """A usage error (exit 2, one line) for a configuration botocore refused while creating
    ``what``; names the variables that commonly hold the value, never a traceback."""
    if isinstance(e, ProfileNotFound):
        return InputError(f"AWS profile {e.kwargs.get('profile')!r} does not exist in the AWS "
                          "config files (named by AWS_PROFILE or a profile's source_profile)")
    return InputError(f"AWS configuration ({type(e).__name__}): {e} — while creating {what} "
                      "(check ~/.aws/config, AWS_CONFIG_FILE, AWS_PROFILE, AWS_REGION, "
                      "AWS_ENDPOINT_URL*)")


class AccountSession:
    """Clients for one account, from a boto3 session (own or assumed-role credentials)."""

    def __init__(self, account: str, session: boto3.Session, config: botocore.config.Config,
                 log: CallLog, overrides: dict[str, Any] | None = None,
                 lock: threading.Lock | None = None, call_timeout: float = 60.0) -> None:
        self.account = account
        self.session = session
        self._config = config
        self.call_timeout = call_timeout
        self._log = log
        # One lock per boto3 Session: pass the lock of another AccountSession on the same one.
        self.lock = lock or threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        # Tests put a botocore Stubber-wrapped client here for APIs moto lacks.
        self._overrides = overrides or {}

    def client(self, service: str, region: str) -> Any:
        key = (region, service)
        with self.lock:
            c = self._clients.get(key)
            if c is None:
                try:
                    c = self._overrides.get(service) or self.session.client(
                        service, region_name=region, config=self._config)
                except CONFIG_ERRORS as e:
                    # Raised in a worker thread; the sweep's runner hands it to the CLI.
                    raise config_error(e, f"the {service} client in {region}") from None
                # Each call bounded as a whole by --timeout, each reply checked (guard.py).
                guard(c, self.call_timeout, (self._config.retries or {}).get("max_attempts", 1))
                c.meta.events.register("before-call", self._recorder(service))
                if self._log.detailed:
                    c.meta.events.register("before-parameter-build",
                                           self._params_recorder(service, region))
                if service == "s3control" and _custom_endpoint():
                    c.meta.events.register("before-sign.s3-control", _account_out_of_host)
                self._clients[key] = c
            return c

    def _params_recorder(self, service: str, region: str) -> Callable[..., None]:
        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            # Masked: with --sample-data an object key may be an ID number.
            self._log.record_call(service, region, model.name, mask_evidence(dict(params)))
        return record

    def _recorder(self, service: str) -> Callable[..., None]:
        def record(model: Any, **_: Any) -> None:
            self._log.record(service, model.name)
        return record


def _custom_endpoint() -> bool:
    return any(k.startswith("AWS_ENDPOINT_URL") and v for k, v in os.environ.items())


def _account_out_of_host(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in the host name ({account}.s3-control...). A custom
    endpoint (AWS_ENDPOINT_URL: moto, an S3-compatible gateway) is one host, so the account
    travels in the x-amz-account-id header botocore sends anyway."""
    parts = urlsplit(request.url)
    acct = request.headers.get("x-amz-account-id")
    if isinstance(acct, bytes):
        acct = acct.decode()
    if acct and parts.netloc.startswith(f"{acct}."):
        request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(acct) + 1:]))


def assumed_session(sts: Any, role_arn: str, external_id: str | None,
                    region: str) -> boto3.Session:
    """A session whose credentials come from sts:AssumeRole (through the caller's ``sts``
    client, which is safe to share between threads where a boto3 Session is not) and refresh
    before they expire: a sweep over many accounts can outlast the one-hour default."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "dsscan-sweep"}
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict[str, str]:
        # A reply without credentials is malformed (a gap for the account), not a KeyError.
        c = wrap(sts.assume_role(**params), "sts", "AssumeRole")["Credentials"]
        expiry = c["Expiration"]
        if isinstance(expiry, datetime):
            expiry = expiry.astimezone(UTC).isoformat()
        return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                "token": c["SessionToken"], "expiry_time": expiry}

    creds = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role")
    core = BotocoreSession()
    core._credentials = creds  # the documented way to hand refreshable credentials over
    core.set_config_variable("region", region)
    return new_session(core)


# --- one copy of botocore's service models per process ---------------------------------------
# Every botocore session reads the service models (JSON files of up to a few MB each) into a
# cache of its own: a sweep that assumes a role in each of 300 accounts parsed the same models
# 300 times -- about half of a small sweep's CPU time was json.loads. All sessions dsscan
# creates share one loader instead (the models are the same files for every account).
_loader_lock = threading.Lock()
_loader: Any = None


def new_session(core: BotocoreSession | None = None, profile: str | None = None
                ) -> boto3.Session:
    """A boto3 session (on ``core`` if given) whose service models come from the process's
    one botocore loader. ``profile`` as boto3.Session's ``profile_name``."""
    global _loader
    core = core if core is not None else BotocoreSession()
    with _loader_lock:
        if _loader is None:
            _loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", _loader)
        session = boto3.Session(botocore_session=core, profile_name=profile)
        # A profile that does not exist (--profile, AWS_PROFILE) raises ProfileNotFound here,
        # where boto3.Session's own new loader read the configuration: the shared one doesn't.
        core.get_scoped_config()
        # boto3 appends its own data directory to the loader's search path at every session:
        # once is enough (a path listed 300 times is searched 300 times).
        _loader.search_paths[:] = list(dict.fromkeys(_loader.search_paths))
    return session
