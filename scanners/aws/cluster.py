"""The cluster sweep (``--cluster``): shards read on Dask workers, merged here.

Collection is distributed, one shard per account, per (account, region), per account's
global services and per sampled store (shards.py); merging, linking (linking.py) and then
classification and evaluation run once, here, on the merged inventory: relations cross
accounts (peerings, shares, backup copies).

- **Per-account cap.** At most ``account_shards`` shards of one account run at once: AWS's
  rate limits are per account and Region, and a cluster of a hundred workers must not
  throttle one account into gaps.
- **Faults.** Calls retry with backoff inside a shard. A shard that raises is retried by Dask
  (``retries``), and one whose worker dies is recomputed on another; a shard that still fails
  is a gap on exactly its scope, and the run is incomplete (exit 3). Shards never submitted
  because the cluster went away are gaps too: no shard is lost without one.
- **Journal.** With a history store (``--store``), each finished shard is written to the
  store's sweep journal as it arrives; ``--resume RUN`` reads the finished ones back instead
  of reading AWS again (dsscan/store/journal.py). A shard whose result holds an identifier in
  clear is journaled as finished with no result and read again on resume.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsscan.errors import InputError
from dsscan.progress import report, say
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.reading import COLLECTORS, role_arn
from dsscan.scanners.aws.shard_codec import ShardResult, decode, document
from dsscan.scanners.aws.shards import Shard, ShardFailed, WorkerSpec, run_shard

if TYPE_CHECKING:
    from dsscan.scanners.aws.sweep import SweepOptions, SweepPlan

ENV_VAR = "DSSCAN_CLUSTER"
# Why Dask cancels every future of a client whose scheduler went away.
_LOST = {"scheduler-connection-lost", "scheduler-restart"}
# A future's end: anything else ("lost") is computed again by Dask.
_DONE = {"finished", "error", "cancelled"}
# Dask's address schemes a driver can connect with.
_SCHEMES = {"tcp", "tls", "ucx", "ws", "wss"}
_STAGE = "reading AWS on the cluster"


@dataclass
class ClusterOptions:
    # "local", "local:N" (a LocalCluster of N worker processes on this machine),
    # "tcp://host:8786" (a running scheduler), or a distributed.Client (library callers).
    address: Any
    account_shards: int = 4  # shards of one account at once
    threads: int = 8  # API calls at once inside one shard
    worker_threads: int = 4  # shards at once per worker process of a local cluster
    retries: int = 2  # Dask retries of a shard that raised, before it is a gap
    resume: str | None = None  # the run id of an interrupted sweep (--resume)
    # Tests: called with the driver after every finished shard (an interrupted sweep).
    on_shard: Callable[[Any], None] | None = None


def sweep_on_cluster(plan: SweepPlan, opts: SweepOptions, log: CallLog) -> None:
    co: ClusterOptions = opts.cluster
    spec = WorkerSpec(own=plan.own, partition=plan.partition, home=plan.home,
                      services=tuple(plan.services), regions=tuple(opts.regions),
                      profile=opts.profile, external_id=opts.external_id,
                      max_attempts=opts.max_attempts, timeout=opts.timeout,
                      threads=co.threads, detailed_calls=log.detailed, sample=opts.sample,
                      sweep=os.urandom(8).hex())
    client, close = connect(co)  # first: a cluster that cannot be reached journals nothing
    try:
        journal = _journal(co, opts)
        d = Driver(client, spec, plan, co, log, journal)
        for acct in plan.accounts:
            d.add(Shard("account", acct.id, role=role_arn(
                acct.id, plan.own, acct.role_name, opts.role_name, plan.partition),
                read_ous=acct.from_organization))
        d.run()
        if opts.sample is not None:
            d.sample()
    finally:
        close()


def check_address(address: str) -> None:
    """Refuse an address --cluster cannot take, before any call (a usage error, exit 2)."""
    if address == "local" or address.startswith("local:"):
        n = address.partition(":")[2]
        if n and not (n.isdigit() and 0 < int(n) <= 256):
            raise InputError(f"--cluster {address}: local:N takes a number of worker "
                             "processes from 1 to 256")
    elif "://" not in address:
        raise InputError(f"--cluster {address}: give local, local:N or a scheduler address "
                         "such as tcp://scheduler:8786")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--cluster needs Dask distributed: pip install 'dsscan[cluster]'") \
            from None
    if "://" in address:
        scheme, _, where = address.partition("://")
        if scheme not in _SCHEMES or not where.strip("/"):
            raise InputError(f"--cluster {address}: give a scheduler address such as "
                             f"tcp://scheduler:8786 ({', '.join(sorted(_SCHEMES))})")


def connect(co: ClusterOptions) -> tuple[Any, Callable[[], None]]:
    """A Dask client for ``co.address`` and what closes what was opened for it."""
    from distributed import Client, LocalCluster

    address = co.address
    if not isinstance(address, str):  # a Client the caller made (and closes)
        return address, lambda: None
    check_address(address)
    if address == "local" or address.startswith("local:"):
        n = address.partition(":")[2]
        # Loopback only, the dashboard too (a port of its own; shown if bokeh is installed).
        cluster = LocalCluster(n_workers=int(n) if n else (os.cpu_count() or 1),
                               threads_per_worker=co.worker_threads, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=logging.ERROR)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()
        _announce(client)
        return client, close
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(f"--cluster {address}: cannot reach the Dask scheduler "
                         f"({type(e).__name__})") from None
    _announce(client)
    return client, client.close


def _announce(client: Any) -> None:
    workers = client.scheduler_info().get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    line = f"Dask cluster: {len(workers)} workers, {threads} threads"
    try:
        import bokeh  # noqa: F401  (the dashboard is served only with bokeh installed)

        line += f"; dashboard {client.dashboard_link}"
    except ImportError:
        pass
    say(_STAGE, line)


def _journal(co: ClusterOptions, opts: SweepOptions) -> Any:
    """The run's journal (None: no history store), begun or resumed under this sweep's
    options (a hash of them: the store holds no option values)."""
    from dsscan.store.journal import current

    journal = current()
    if journal is None:
        if co.resume:
            raise InputError(f"--resume {co.resume}: give the history store the sweep "
                             "journaled into (dsscan scan aws --store URL, or DSSCAN_STORE; "
                             "dsscan inventory aws keeps no journal)")
        return None
    key = json.dumps({"regions": opts.regions, "accounts": opts.accounts,
                      "accounts_file": opts.accounts_file, "organization": opts.organization,
                      "role_name": opts.role_name, "services": opts.services,
                      "sample": repr(opts.sample)}, sort_keys=True)
    options = hashlib.sha256(key.encode()).hexdigest()
    if co.resume:
        journal.done = journal.store.resume_sweep(co.resume, options)
        journal.run_id = co.resume
    else:
        journal.store.begin_sweep(journal.run_id, options)
        journal.done = {}
    journal.used = True
    say(_STAGE, f"sweep {journal.run_id}" + (
        f" resumed: {len(journal.done)} shards finished before" if co.resume else
        " (if it is interrupted: the same command with --resume " + journal.run_id + ")"))
    return journal


class Driver:
    """Submits shards (at most ``account_shards`` per account at once), merges what they
    read into the sweep's Sink, journals them, and turns every shard that failed or was
    never run into a gap."""

    def __init__(self, client: Any, spec: WorkerSpec, plan: SweepPlan, co: ClusterOptions,
                 log: CallLog, journal: Any) -> None:
        self.client, self.spec, self.plan, self.co = client, spec, plan, co
        self.log, self.journal = log, journal
        self.sink = plan.sink
        self.queued: dict[str, deque[tuple[Shard, Any]]] = {}
        self.running: dict[str, int] = {}
        self.futures: dict[Any, tuple[Shard, Any]] = {}
        self.entered: set[str] = set()
        self.roles: dict[str, str | None] = {}  # each account's role, as its account shard
        self.athena: dict[str, list[tuple[str, str, str, str]]] = {}
        self.done = self.failed = self.total = self.read_again = 0
        self.submitted: list[str] = []  # the shards read on the cluster (not journaled)
        threads = sum(client.nthreads().values()) or 1
        self.window = max(8, 2 * threads)  # shards in flight: workers busy, memory bounded
        self._gap_keys: set[str] = set()  # _merge: the gaps merged, as JSON
        self._gaps_seen = 0

    # --- submitting ----------------------------------------------------------------------
    def add(self, shard: Shard, payload: Any = None) -> None:
        self.total += 1
        if shard.kind == "account":
            self.roles[shard.account] = shard.role
        kept = self.journal.done.get(shard.key, b"") if self.journal else b""
        if kept:  # finished before this sweep was resumed
            try:
                got = decode(kept)
            except ValueError:  # a journal row corrupt or forged: the shard is read again
                self.read_again += 1
            else:
                # A sample of another store whose id masks alike (Shard.key): read this one.
                if not (shard.kind == "sample" and got.asset is not None
                        and got.asset["id"] != payload[0]["id"]):
                    self._finished(shard, payload, got, journaled=True)
                    return
        self.queued.setdefault(shard.account, deque()).append((shard, payload))

    def _pump(self) -> None:
        for account, q in self.queued.items():
            while q and self.running.get(account, 0) < self.co.account_shards \
                    and len(self.futures) < self.window:
                shard, payload = q.popleft()
                fut = self.client.submit(run_shard, self.spec, shard, payload,
                                         key=f"dsscan-{shard.key}-{os.urandom(4).hex()}",
                                         retries=self.co.retries, pure=False)
                self.futures[fut] = (shard, payload)
                self.submitted.append(shard.key)
                self.running[account] = self.running.get(account, 0) + 1

    def run(self, stage: str = _STAGE) -> None:
        from distributed import wait

        try:
            self._pump()
            while self.futures:
                try:
                    finished = wait(list(self.futures), return_when="FIRST_COMPLETED").done
                except CancelledError as e:
                    # Dask cancels every future of a client that lost its scheduler (or whose
                    # scheduler restarted): the sweep stops, as below. A shard cancelled on
                    # the cluster otherwise (the dashboard, an operator) is its own gap.
                    reasons = {g.reason for g in getattr(e, "error_groups", ())}
                    if reasons & _LOST or self.client.status != "running":
                        raise ConnectionError(", ".join(sorted(reasons & _LOST))) from None
                    finished = {f for f in self.futures if f.status != "pending"}
                for fut in finished:
                    if fut.status not in _DONE:
                        # "lost": the worker holding its result died before it was fetched;
                        # Dask computes it again (the future is still held) -- never a gap.
                        continue
                    shard, payload = self.futures.pop(fut)
                    self.running[shard.account] -= 1
                    if fut.status == "finished":
                        # (A fetch cancelled as the scheduler goes: the except below.)
                        self._finished(shard, payload, decode(fut.result()))
                    else:
                        self._failed(shard, payload, fut.exception() if fut.status == "error"
                                     else None)
                    fut.release()
                    if self.co.on_shard is not None:
                        self.co.on_shard(self)
                self._pump()
                self._progress(stage)
        except (OSError, TimeoutError, CancelledError) as e:
            # (CancelledError: a result fetched as the connection went.)
            # The scheduler went away: the run stops, stores nothing, and keeps its journal
            # to be resumed (a run stored with every unread shard as a gap could not be).
            again = f"; go on with --resume {self.journal.run_id}" if self.journal else ""
            why = str(e) if isinstance(e, ConnectionError) and str(e) else type(e).__name__
            raise InputError(f"--cluster: lost the Dask scheduler ({why}) after "
                             f"{self.done} of {self.total} shards{again}") from None
        finally:
            for fut in self.futures:
                fut.cancel()
        self._progress(stage)

    def _progress(self, stage: str) -> None:
        report(stage, self.done + self.failed, self.total, "shards",
               assets=len(self.sink.assets),
               extra=(f"{self.failed} failed", f"{self.log.total} calls"))

    # --- results -------------------------------------------------------------------------
    def _finished(self, shard: Shard, payload: Any, r: ShardResult,
                  journaled: bool = False) -> None:
        self.done += 1
        if self.journal is not None and not journaled:
            self._journal(shard, r)
        self._merge(r)
        if shard.kind == "account" and r.regions is not None:
            self.entered.add(shard.account)
            # Each of its regions is read (a source, and walked for Athena's output locations
            # by --sample-data) as in the thread pool, whose read_region marks it whatever the
            # services: with no regional collector (--services s3, iam) no region shard does.
            self.sink.scanned.update((shard.account, region) for region in r.regions)
            if "iam" in self.spec.services or "s3" in self.spec.services:
                self.add(Shard("global", shard.account, role=shard.role), r.regions)
            if any(s in COLLECTORS for s in self.spec.services):
                for region in r.regions:
                    self.add(Shard("region", shard.account, region, role=shard.role))
        elif shard.kind == "athena":
            for wg, bucket, prefix in r.athena or ():
                self.athena.setdefault(bucket, []).append((wg, prefix, shard.account,
                                                           shard.region or ""))
        elif shard.kind == "sample":
            asset = payload[0]  # the sweep's own dict: replaced in place
            if r.asset is None:  # the worker could not enter the account (the shard's gap)
                from dsscan.scanners.sampling import error_outcome

                error_outcome("the account could not be entered to sample it").apply(asset)
                return
            _apply_sample(asset, r.asset)

    def _journal(self, shard: Shard, r: ShardResult) -> None:
        from dsscan.masking import mask_value

        doc = document(r)
        # The store never holds an identifier in clear: such a shard is read again. Nor does
        # it keep an account not entered (AssumeRole throttled, a trust or --external-id
        # fixed since): a resumed sweep tries it again.
        entered = f"account {shard.account}"
        keep = mask_value(doc) == doc and not any(
            g.get("scope") == entered and g.get("account") == shard.account
            for g in r.sink.gaps)
        self.read_again += not keep
        from dsscan.scanners.aws.shard_codec import encode

        self.journal.store.journal_shard(self.journal.run_id, shard.key,
                                         encode(r) if keep else None)

    def _merge(self, r: ShardResult) -> None:
        s, got = self.sink, r.sink
        s.assets.extend(got.assets)
        # The gaps merged so far, kept from one shard to the next (rebuilt at every shard it
        # was O(shards × gaps): 4,000 shards of one gap each took 36 s of the driver), and
        # those added since by anyone else (the sweep's own, the driver's _gap).
        seen = self._gap_keys
        seen.update(json.dumps(g, sort_keys=True) for g in s.gaps[self._gaps_seen:])
        for g in got.gaps:  # an account that could not be entered: one gap, however told
            k = json.dumps(g, sort_keys=True)
            if k not in seen:
                seen.add(k)
                s.gaps.append(g)
        self._gaps_seen = len(s.gaps)
        s.scanned |= got.scanned
        for k, c in got.skipped.items():
            s.skipped.setdefault(k, type(c)()).update(c)
        for k, why in got.skip_reasons.items():
            s.skip_reasons.setdefault(k, why)
        for topic, values in got.notes.items():
            s.notes.setdefault(topic, []).extend(values)
        self.log.counts.update(r.calls)
        self.log.calls.extend(r.call_details)

    def _failed(self, shard: Shard, payload: Any, exc: BaseException | None) -> None:
        """``exc`` None: cancelled on the cluster (an operator, the dashboard)."""
        self.failed += 1
        what = str(exc) if isinstance(exc, ShardFailed) else type(exc).__name__
        why = ("the shard was cancelled on the cluster" if exc is None else
               f"the shard failed on the cluster after {1 + self.co.retries} attempts "
               f"({what})")
        self._gap(shard, payload, why)

    def _gap(self, shard: Shard, payload: Any, why: str) -> None:
        """A gap on exactly the scope the shard was to read."""
        sink, acct = self.sink, shard.account
        if shard.kind == "account":
            sink.gap("account {account}", why, account=acct)
        elif shard.kind == "global":
            for service in ("iam", "s3"):
                if service in self.spec.services:
                    sink.gap("{collector} in {account}", why, account=acct, service=service,
                             collector=service)
        elif shard.kind == "region":
            sink.gap("every service in {account}/{region}", why, account=acct,
                     region=shard.region)
        elif shard.kind == "athena":
            sink.gap("{collector} in {account}/{region}", why, account=acct,
                     region=shard.region, service="athena",
                     collector="athena output locations")
        else:
            from dsscan.scanners.sampling import error_outcome

            error_outcome(why).apply(payload[0])

    # --- sampling ------------------------------------------------------------------------
    def sample(self) -> None:
        """--sample-data, once every store is known: the Athena output locations of each
        (account, region) read, then one shard per sampled store."""
        from dsscan.scanners.sampling.aws import bucket_outputs, sampled, unswept_outputs

        stage = "sampling data on the cluster"
        if any(a.get("type") == "AWS::S3::Bucket" for a in self.sink.assets):
            for account, region in sorted(self.sink.scanned):
                if account in self.entered:
                    self.add(Shard("athena", account, region, role=self._role(account)))
            self.run(stage)
        unswept_outputs(self.sink.assets, self.athena, self.sink.gap)
        for a in sampled(self.sink.assets, lambda a: a.get("account") in self.entered,
                         self.spec.sample):
            self.add(Shard("sample", a["account"], a["region"], role=self._role(a["account"]),
                           asset=a["id"]), (a, bucket_outputs(a, self.athena)))
        self.run(stage)

    def _role(self, account: str) -> str | None:
        return self.roles.get(account)


def _apply_sample(asset: dict[str, Any], got: dict[str, Any]) -> None:
    """What sampling sets on a store (its content, exports, content_sampling facts and
    content gaps), from the worker's copy onto the sweep's own; the rest of the store stays
    as its own shard read it -- on --resume a fresher read than a journaled sample's copy
    (a bucket made public since must not be judged on the copy sampled before)."""
    from dsscan.scanners.sampling import add_content_gap

    for k in ("content", "exports"):
        if k in got:
            asset[k] = got[k]
    facts = (got.get("attributes") or {}).get("content_sampling")
    if facts is not None:
        asset.setdefault("attributes", {})["content_sampling"] = facts
    for g in (got.get("assessment") or {}).get("gaps") or []:
        if g.get("aspect") == "content":
            add_content_gap(asset, g.get("reason") or "not sampled")
