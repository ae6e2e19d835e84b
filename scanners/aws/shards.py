"""One shard of a cluster sweep, run on a Dask worker: the unit of distributed work.

Kinds (``Shard.kind``):

- ``account``: enter the account, read its OUs (an account listed from AWS Organizations) and
  the regions to read. Everything else of the account waits for it: an account that cannot be
  entered is one gap, as in the thread-pool sweep.
- ``global``: what is global to the account: IAM, and S3 (the listing, then every bucket in
  its own region).
- ``region``: the regional collectors of one (account, region).
- ``athena`` and ``sample`` (``--sample-data``): an (account, region)'s Athena output
  locations, then one sampled bucket, table or log group each.

A shard carries no credentials: the worker uses its own credential chain (instance profile,
IRSA, environment) and assumes the account's role itself, once per account per worker
process. Its result is JSON (shard_codec.py): what the shard's own Sink holds, merged by the
driver (cluster.py). Calls inside a shard retry with backoff (botocore's adaptive retries);
a shard that raises is retried by Dask, and recomputed when its worker dies.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from dsscan.errors import InputError
from dsscan.scanners.aws.base import Keys, Scope
from dsscan.scanners.aws.clients import AccountSession, CallLog, client_config
from dsscan.scanners.aws.failures import ReadFailure
from dsscan.scanners.aws.reading import (
    OUNames,
    Runner,
    enter,
    organizational_units,
    read_global,
    read_region,
)
from dsscan.scanners.aws.regions import enabled_regions
from dsscan.scanners.aws.shard_codec import ShardResult, encode


class ShardFailed(Exception):
    """A shard that raised; its argument is the type of what it raised, nothing more."""


@dataclass(frozen=True)
class Shard:
    kind: str  # account | global | region | athena | sample
    account: str
    region: str | None = None
    role: str | None = None  # the role ARN entered; None: the worker's own credentials
    read_ous: bool = False  # an account shard of an account listed from the organization
    asset: str | None = None  # a sample shard: the asset's id

    @property
    def key(self) -> str:
        """The shard's name in the sweep journal and on the Dask dashboard. A sampled
        asset is named by a hash of its id as masked: an id may hold an identifier, and a
        hash of the id itself is reversed by trying the identifiers (ids follow templates; a
        mobile number is ~10^10 guesses). Two ids that differ only in an identifier share
        the name: their results hold the identifier, so neither is kept in the journal, and
        a kept result is applied on --resume only to the store it sampled."""
        if self.asset is not None:
            from dsscan.masking import comparable, mask_text

            named = comparable(mask_text(self.asset))
            return f"sample:{self.account}:" + hashlib.sha256(named.encode()).hexdigest()[:24]
        return ":".join(p for p in (self.kind, self.account, self.region) if p)


@dataclass(frozen=True)
class WorkerSpec:
    """What every shard of a sweep needs besides its own place; no credentials."""

    own: str  # the caller's account (entered without a role)
    partition: str
    home: str
    services: tuple[str, ...]
    regions: tuple[str, ...]  # --regions; empty: the account shard lists them
    profile: str | None = None
    external_id: str | None = None
    max_attempts: int = 8
    timeout: float = 60.0
    threads: int = 8  # API calls at once inside one shard
    detailed_calls: bool = False  # --call-log
    sample: Any = None  # dsscan.scanners.sampling.aws.SampleOptions
    # The sweep's own id (random): what a worker keeps between shards (assumed roles, its
    # identity, OU names) is kept for one sweep, never for the next on a long-lived cluster.
    sweep: str = ""


def run_shard(spec: WorkerSpec, shard: Shard, payload: Any = None) -> bytes:
    """Read one shard; its partial inventory as compressed JSON (shard_codec.encode).
    ``payload``: a sample shard's asset and the Athena output prefixes in it."""
    result = ShardResult()
    log = CallLog(detailed=spec.detailed_calls)
    try:
        _read(spec, shard, payload, result, log)
    except InputError as e:  # the worker's AWS configuration refused (a profile it lacks)
        result.sink.gap("account {account}", f"the cluster worker cannot read it: {e}",
                        account=shard.account, service="sts")
    except Exception as e:
        # A bug, or a reply nothing expected: Dask retries the shard, then the driver makes
        # it a gap. Only the exception's type leaves the worker (its message may quote what
        # was read, and Dask logs what a task raised).
        raise ShardFailed(type(e).__name__) from None
    result.calls = log.counts
    result.call_details = log.calls
    return encode(result)


def _read(spec: WorkerSpec, shard: Shard, payload: Any, result: ShardResult,
          log: CallLog) -> None:
    sink = result.sink
    config = client_config(spec.max_attempts, max(10, spec.threads),
                           min(10.0, spec.timeout), spec.timeout)
    caller = AccountSession("caller", _base(spec.profile), config, log,
                            call_timeout=spec.timeout)
    cache = _cache(spec.sweep)
    if shard.read_ous:
        organizational_units(caller.client("organizations", spec.home), shard.account, sink,
                             cache.ou_names)
    try:
        session = _session(spec, shard, caller, config, log)
    except (ReadFailure, _OtherAccount) as e:
        # An account shard that fails here is the account's one gap (its other shards are
        # never submitted); a later shard that fails to enter says the same (one gap, the
        # driver merges equal gaps).
        sink.gap("account {account}", e if isinstance(e, ReadFailure) else str(e),
                 account=shard.account, service="sts")
        return
    if shard.kind == "account":
        result.regions = list(spec.regions) or enabled_regions(
            session, spec.home, spec.partition, sink)
        return
    if shard.kind == "athena":
        from dsscan.scanners.sampling.aws import athena_of

        assert shard.region is not None
        result.athena = athena_of(session, shard.account, shard.region, sink.gap)
        return
    if shard.kind == "sample":
        from dsscan.scanners.sampling.aws import sample_asset

        asset, outputs = payload
        sample_asset(asset, session, spec.sample, None, outputs)
        result.asset = asset
        return
    runner = Runner(spec.threads, None)
    keys = Keys(session)
    if shard.kind == "region":
        assert shard.region is not None
        read_region(Scope(shard.account, shard.region, spec.partition, session, keys, sink),
                    list(spec.services), runner.submit)
    else:  # global; payload: the account's regions, as its account shard found them
        read_global(Scope(shard.account, spec.home, spec.partition, session, keys, sink),
                    list(spec.services), list(payload), bool(spec.regions), runner.submit)
    runner.run()


# --- per worker process: one base session, and per sweep each account's assumed role, reused
# by every shard of the account that runs there (one sts:AssumeRole per account per worker) --

_lock = threading.Lock()
_bases: dict[str | None, Any] = {}


@dataclass
class _SweepCache:
    """What one sweep's shards share on a worker. A worker of a running cluster serves sweep
    after sweep: an OU renamed, a role's trust or the worker's own credentials changed since
    the last sweep are read afresh (a stale OU name maps an account to a wrong legal entity,
    DS-SHR-002)."""

    assumed: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    identities: dict[str | None, str] = field(default_factory=dict)
    ou_names: OUNames = field(default_factory=OUNames)


_sweeps: OrderedDict[str, _SweepCache] = OrderedDict()
_KEPT_SWEEPS = 4  # sweeps at once on one cluster, at most, before one's cache is re-read


def _cache(sweep: str) -> _SweepCache:
    with _lock:
        got = _sweeps.get(sweep)
        if got is None:
            got = _sweeps[sweep] = _SweepCache()
            while len(_sweeps) > _KEPT_SWEEPS:
                _sweeps.popitem(last=False)
        else:
            _sweeps.move_to_end(sweep)
        return got


class _OtherAccount(Exception):
    pass


def _base(profile: str | None) -> Any:
    from dsscan.scanners.aws.sweep import base_session

    with _lock:
        if profile not in _bases:
            _bases[profile] = base_session(profile)[0]
        return _bases[profile]


def _session(spec: WorkerSpec, shard: Shard, caller: AccountSession, config: Any,
             log: CallLog) -> AccountSession:
    """The shard's account session on this worker. Without a role, the worker's own
    credentials must be of that account: a worker whose chain names another account is a
    gap of the account, never a read of the wrong one."""
    cache = _cache(spec.sweep)
    if shard.role is None:
        with _lock:
            own = cache.identities.get(spec.profile)
        if own is None:
            from dsscan.scanners.aws.sweep import identity

            own = identity(caller, spec.home)[0]
            with _lock:
                cache.identities[spec.profile] = own
        if own != shard.account:
            raise _OtherAccount("the cluster worker's credentials are of another account "
                                "(give --role-name: workers then assume the role)")
        return AccountSession(shard.account, caller.session, config, log, lock=caller.lock,
                              call_timeout=spec.timeout)
    k = (shard.role, spec.external_id)
    with _lock:
        session = cache.assumed.get(k)
    if session is None:
        got = enter(shard.account, shard.role, caller, spec.external_id, spec.home, config,
                    log, call_timeout=spec.timeout)
        with _lock:
            session = cache.assumed.setdefault(k, got.session)
    return AccountSession(shard.account, session, config, log, call_timeout=spec.timeout)
