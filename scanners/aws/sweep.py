"""A sweep: accounts × regions × services, read concurrently, linked into one inventory.

1. Authenticate (boto3's credential chain, ``--profile``), learn the caller's account and
   partition; list the accounts to scan (the caller's, an accounts file, or AWS Organizations)
   and enter each with sts:AssumeRole.
2. Per account: the regions to read (given, or every enabled region of the partition).
3. One task per (account, region, service) and per S3 bucket, on a bounded thread pool.
   A listing that fails becomes a gap for its scope; a detail call that fails, a gap on the
   asset's facet (scanners/aws/failures.py). Nothing unread is silently skipped.
4. Link what only the whole estate tells: replication targets, backup-plan coverage.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)

from dsscan import __version__
from dsscan.errors import InputError
from dsscan.inventory import Inventory
from dsscan.progress import report as report_progress
from dsscan.scanners.aws import NOT_READ, SERVICES, dms, iam, ram, restores, s3
from dsscan.scanners.aws.backup import PlanCoverage
from dsscan.scanners.aws.base import Asset, Keys, Scope, Sink, call, pages
from dsscan.scanners.aws.clients import (
    CONFIG_ERRORS,
    AccountSession,
    CallLog,
    assumed_session,
    client_config,
    config_error,
    new_session,
)
from dsscan.scanners.aws.failures import (
    READ_ERRORS,
    THROTTLED,
    MalformedReply,
    ReadFailure,
    add_asset_gap,
)
from dsscan.scanners.aws.operations import Calls
from dsscan.scanners.aws.regions import (
    addressable,
    check_regions,
    enabled_regions,
    partition_of,
    shown,
    unaddressable,
)
from dsscan.scanners.aws.selections import covers

# Regional collectors, by the service name users pass to --services: every declared one but
# S3 (read per account, each bucket in its own region: _s3_account).
COLLECTORS: dict[str, Callable[[Scope], None]] = {
    name: m.collect for name in SERVICES
    if (m := importlib.import_module(f"dsscan.scanners.aws.{name}")).INFO.regional}

# The sweep's own calls: who the caller is, the organization's accounts, entering each.
SWEEP_CALLS = (Calls("sts", ("GetCallerIdentity", "AssumeRole")),
               Calls("organizations", ("ListAccounts",)),
               # --organization: each account's OUs, mapped to legal entities (DS-SHR-002)
               Calls("organizations", ("ListParents", "DescribeOrganizationalUnit")))

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_STORE_KINDS = {"object_store", "database", "table", "file_system", "cache", "warehouse",
                "volume"}


@dataclass
class SweepOptions:
    profile: str | None = None
    regions: list[str] = field(default_factory=list)  # empty: every enabled region
    accounts: list[str] = field(default_factory=list)  # empty: the caller's account
    accounts_file: str | None = None
    organization: bool = False
    role_name: str | None = None
    external_id: str | None = None
    services: list[str] = field(default_factory=list)  # empty: all
    max_workers: int = 16
    max_attempts: int = 8
    # --timeout: seconds an API call may take in all (connect, reads, retries; guard.py).
    timeout: float = 60.0
    # (done, total) of the reads; None: reported to the run's UI (dsscan.progress).
    progress: Callable[[int, int], None] | None = None
    # Tests only: a client to use instead of boto3's for a service (botocore Stubber).
    client_overrides: dict[str, Any] = field(default_factory=dict)
    # --sample-data: a dsscan.scanners.sampling.aws.SampleOptions; None reads no data.
    sample: Any = None


@dataclass
class Account:
    id: str
    name: str | None = None
    role_name: str | None = None
    entity: str | None = None  # its legal entity, from the accounts file (DS-SHR-002)


def sweep(opts: SweepOptions, log: CallLog | None = None) -> Inventory:
    log = log or CallLog()
    _check_services(opts.services)
    requested = _requested_accounts(opts)
    base, default_region = _base_session(opts.profile)
    home = (opts.regions[0] if opts.regions else default_region) or _no_region()
    _check_region_names(opts.regions, home, bool(opts.regions))
    # Connecting is bounded by the call's deadline too; never wait longer than 10 s for it.
    config = client_config(opts.max_attempts, max(10, opts.max_workers),
                           min(10.0, opts.timeout), opts.timeout)
    caller = AccountSession("caller", base, config, log, opts.client_overrides,
                            call_timeout=opts.timeout)
    sink = Sink()
    try:
        own, partition = _identity(caller, home)
    except ReadFailure as e:
        # Throttled, failing or too slow: nothing could be read, and the run says so
        # (incomplete, exit 3) for each account it was asked to read.
        for acct in requested:
            sink.gap("account {account}", e, account=acct.id)
        if not requested:  # which account the credentials are of is what failed
            sink.gap("the caller's account", e, account=None)
        return _inventory(sink, opts.services)
    check_regions(base, partition, opts.regions)
    accounts = _accounts(opts, requested, caller, home, own, sink)
    services = opts.services or list(SERVICES)

    runner = _Runner(opts.max_workers, opts.progress or _reporter("reading AWS", sink))
    sessions: dict[str, AccountSession] = {}

    def enter(acct: Account) -> None:
        try:
            session = _account_session(acct, own, caller, opts, home, partition, config, log)
        except ReadFailure as e:
            sink.gap("account {account}", e, account=acct.id)
            return
        sessions[acct.id] = session
        keys = Keys(session)
        regions = opts.regions or enabled_regions(session, home, partition, sink)
        for region in regions:
            sink.scanned.add((acct.id, region))
            scope = Scope(acct.id, region, partition, session, keys, sink)
            for name in services:
                if name in COLLECTORS:
                    runner.submit(_run_collector, scope, name)
        if "iam" in services:  # global: roles, users and groups read once per account
            runner.submit(iam.collect_account,
                          Scope(acct.id, home, partition, session, keys, sink))
        if "s3" in services:
            # --regions chooses what is read; otherwise a bucket is read wherever it is.
            runner.submit(_s3_account, Scope(acct.id, home, partition, session, keys, sink),
                          set(regions), bool(opts.regions), runner)

    for acct in accounts:
        runner.submit(enter, acct)
    runner.run()
    if opts.sample is not None:
        _sample(sink, sessions, opts, runner)
    _link(sink)
    return _inventory(sink, opts.services)


def _inventory(sink: Sink, services: list[str]) -> Inventory:
    """The inventory, with each (account, region) read as a source saying what was not looked
    at: the data services dsscan does not read, those --services left out, and resources
    seen but not mapped (``skipped``, by type: every report counts them)."""
    # What was not read, said where it is: restore testing and restore jobs (the stores they
    # concern are not assessed by DS-BAK-004) and AWS Backup's service opt-in (a store whose
    # coverage needed it has a backup gap).
    notes: dict[tuple[str, str], list[str]] = {}
    for c in sink.notes.get("backup", []):
        if c.restore_testing_error:
            notes.setdefault((c.account, c.region), []).append(
                f"restore testing not read: {c.restore_testing_error}")
        if c.restore_jobs_error:
            notes.setdefault((c.account, c.region), []).append(
                f"restore jobs not read: {c.restore_jobs_error}")
        if c.opt_in_error:
            notes.setdefault((c.account, c.region), []).append(
                f"AWS Backup service opt-in not read: {c.opt_in_error}")
    left_out = [s for s in SERVICES if services and s not in services]
    not_read = "not read: " + ", ".join(
        ([f"{', '.join(left_out)} (left out by --services)"] if left_out else [])
        + [f"{', '.join(NOT_READ)} (not read by dsscan)"])
    scanned = []
    ous = dict(sink.notes.get("organizational_units", []))
    entities: dict[str, str] = {}
    for acct_id, entity in sink.notes.get("account_entities", []):
        entities.setdefault(acct_id, entity)
    for acct_id, region in sorted(sink.scanned | set(sink.skipped)):
        src: dict[str, Any] = {"type": "aws", "account": acct_id, "region": region}
        # The services read here (DS-RET-002: a copy's source is gone only where read).
        src["services"] = [s for s in SERVICES if not services or s in services]
        if acct_id in ous:  # DS-SHR-002: legal_entities maps them (dsscan/entities.py)
            src["organizational_units"] = ous[acct_id]
        if acct_id in entities:  # DS-SHR-002: the accounts file's entity
            src["entity"] = entities[acct_id]
        details = list(notes.get((acct_id, region), ()))
        skipped = sink.skipped.get((acct_id, region))
        if skipped:
            src["skipped"] = dict(sorted(skipped.items()))
            details.append(f"{sum(skipped.values())} resources left out (" + ", ".join(
                f"{t} x{n}: {sink.skip_reasons[(acct_id, region, t)]}"
                for t, n in sorted(skipped.items())) + ")")
        src["detail"] = "; ".join([*details, not_read])
        scanned.append(src)
    return Inventory(
        assets=sorted(sink.assets, key=lambda a: a["id"]),
        gaps=sorted(sink.gaps, key=lambda g: (g["scope"], g["reason"])),
        sources=scanned,
        generator={"tool": "dsscan", "version": __version__, "scanner": "aws"},
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


# --- tasks -----------------------------------------------------------------------------------

class _Runner:
    """A bounded pool whose tasks may add tasks (S3: a listing, then one task per bucket)."""

    def __init__(self, workers: int, progress: Callable[[int, int], None] | None) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                       thread_name_prefix="dsscan-aws")
        self.pending: set[Future[Any]] = set()
        self.done = self.total = 0
        self.progress = progress

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self.pending.add(self.pool.submit(fn, *args))
        self.total += 1

    def run(self) -> None:
        try:
            while self.pending:
                finished, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
                for f in finished:
                    self.pending.discard(f)
                    self.done += 1
                    f.result()  # a bug in a collector propagates
                if self.progress:
                    self.progress(self.done, self.total)
        finally:
            for f in self.pending:
                f.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)


def _sample(sink: Sink, sessions: dict[str, AccountSession], opts: SweepOptions,
            swept: _Runner) -> None:
    """--sample-data: the content of the buckets and tables found, once all are known (a
    stage of its own in the run's progress; a ``progress`` callback goes on counting)."""
    from dsscan.scanners.sampling.aws import sampling_tasks

    progress = opts.progress
    offset = (lambda d, t: progress(swept.done + d, swept.total + t)) if progress else \
        _reporter("sampling data", sink)
    # DS-PII-001: where the Athena workgroups write query results, before the buckets are
    # sampled (each bucket's task samples those prefixes too).
    from dsscan.scanners.sampling.aws import AthenaOutputs, athena_tasks, unswept_outputs

    athena: AthenaOutputs = {}
    finder = _Runner(opts.max_workers, offset)
    buckets = any(a.get("type") == "AWS::S3::Bucket" for a in sink.assets)
    for task in athena_tasks(sink.scanned if buckets else (), sessions, athena, sink.gap):
        finder.submit(task)
    finder.run()
    unswept_outputs(sink.assets, athena, sink.gap)
    sampler = _Runner(opts.max_workers, offset)
    for task in sampling_tasks(sink.assets, sessions, opts.sample, athena=athena):
        sampler.submit(task)
    sampler.run()


def _reporter(stage: str, sink: Sink) -> Callable[[int, int], None]:
    # Counts only: no account, region or bucket names in progress lines.
    return lambda done, total: report_progress(stage, done, total, "reads",
                                               assets=len(sink.assets))


def _run_collector(scope: Scope, name: str) -> None:
    try:
        COLLECTORS[name](scope)
    except ReadFailure as e:
        scope.gap("{collector} in {account}/{region}", e, collector=name)


def _s3_account(scope: Scope, regions: set[str], chosen: bool, runner: _Runner) -> None:
    try:
        buckets = s3.list_buckets(scope)
    except ReadFailure as e:
        scope.sink.gap("s3 in {account}", e, account=scope.account)
        return
    if not buckets:
        return
    account_pab = s3.account_public_access_block(scope)
    for b in buckets:
        runner.submit(_s3_bucket, scope, b, regions, chosen, account_pab)


def _s3_bucket(scope: Scope, bucket: dict[str, Any], regions: set[str], chosen: bool,
               account_pab: dict[str, Any] | None) -> None:
    """One bucket, read in its own region: a region --regions left out is not read (and
    counted as not looked at); any other region is read if the partition can address it,
    else the bucket is a gap naming its region — never silently dropped."""
    try:
        region = s3.bucket_region(scope, bucket)
    except ReadFailure as e:
        # Where the bucket is could not be read: any region of the account.
        scope.sink.gap("s3 bucket {bucket} in {account}", e, account=scope.account,
                       bucket=bucket["Name"])
        return
    if region not in regions:
        if chosen:
            scope.sink.skip(scope.account, scope.region, "AWS::S3::Bucket",
                            "in a region --regions left out")
            return
        if not addressable(region, scope.partition):
            scope.sink.gap("s3 bucket {bucket} in {account} (region {shown})",
                           unaddressable(region, scope.partition), account=scope.account,
                           region=region, service="s3", bucket=bucket["Name"],
                           shown=shown(region))
            return
        scope.sink.scanned.add((scope.account, region))
    scope.sink.add(s3.read_bucket(scope, bucket["Name"], region, account_pab))


# --- accounts, regions, credentials ----------------------------------------------------------

def _base_session(profile: str | None) -> tuple[boto3.Session, str | None]:
    """The caller's session and its default region. A configuration botocore refuses (a
    malformed config file, a profile that does not exist, ...) is a usage error, exit 2."""
    try:
        base = new_session(profile=profile)
        return base, base.region_name
    except ProfileNotFound as e:
        if profile is None:  # named by AWS_PROFILE / AWS_DEFAULT_PROFILE
            raise config_error(e, "the AWS session") from None
        raise InputError(f"--profile {profile}: no such AWS profile in the AWS config "
                         "files") from None
    except CONFIG_ERRORS as e:
        raise config_error(e, "the AWS session") from None


def _check_region_names(regions: list[str], home: str, from_option: bool) -> None:
    """Region names no partition can address (a typo, 'xx-nowhere-9', a name with a space)
    are refused before any call: AWS would only say that it cannot be reached."""
    for r in regions if from_option else [home]:
        if partition_of(r) is None:
            where = "--regions" if from_option else \
                "the AWS region (AWS_REGION / AWS_DEFAULT_REGION or the profile's region)"
            raise InputError(f"{where}: {shown(r)} is not a region of any AWS partition "
                             "this botocore knows (e.g. cn-north-1, us-east-1)")


def _no_region() -> str:
    raise InputError("no AWS region: pass --regions or set AWS_REGION / AWS_DEFAULT_REGION "
                     "(or a region in your AWS profile)")


def _identity(caller: AccountSession, region: str) -> tuple[str, str]:
    """(the caller's account, its partition). Credentials that are missing or that AWS
    refuses are a usage error (exit 2); an STS that throttles, fails on its side, answers too
    slowly or garbles its reply raises ReadFailure: the run is incomplete, not refused."""
    sts = caller.client("sts", region)
    try:
        ident = call(sts, "get_caller_identity")
        account, arn = ident["Account"], ident["Arn"]
        parts = arn.split(":")
        if not _ACCOUNT_ID.match(account) or len(parts) < 6 or parts[0] != "arn":
            raise ReadFailure("sts", "GetCallerIdentity", MalformedReply(
                detail="Account or Arn is not an AWS account id or ARN"))
    except ReadFailure as e:
        if isinstance(e.cause, NoCredentialsError):
            raise InputError("no AWS credentials found: configure a profile (--profile), "
                             "environment variables or an instance role") from None
        if isinstance(e.cause, EndpointConnectionError):  # refused or unknown host
            raise InputError(f"cannot reach AWS STS in {region}: "
                             f"{type(e.cause).__name__}") from None
        if refused(e):
            raise InputError(f"AWS rejected the credentials (sts:GetCallerIdentity "
                             f"{e.code})") from None
        raise
    return account, parts[1]


def refused(e: ReadFailure) -> bool:
    """AWS answered and said no (a 4xx other than throttling): not a transient fault."""
    if not isinstance(e.cause, ClientError):
        return False
    status = e.cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400
    return status < 500 and status != 429 and e.code not in THROTTLED


def _check_services(services: list[str]) -> None:
    for s in services:
        if s not in SERVICES:
            raise InputError(f"--services: unknown service '{s}' (known: {', '.join(SERVICES)})")


def read_accounts_file(path: str) -> list[Account]:
    """Accounts to scan: a YAML/JSON list of ids or {id, name, role_name}, or one id a line."""
    from dsscan.inputs import read_text
    from dsscan.strict_yaml import parse_yaml

    p = Path(path)
    text = read_text(p, "accounts file")
    raw = parse_yaml(text, str(p))[0]
    if isinstance(raw, dict) and "accounts" in raw:
        raw = raw["accounts"]
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        raw = text.split()
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{p}: expected a list of account ids (or 'accounts: [...]')")
    out: list[Account] = []
    for i, item in enumerate(raw):
        entry = item if isinstance(item, dict) else {"id": item}
        given = entry.get("id")
        acct = str(given).strip() if isinstance(given, str | int) and \
            not isinstance(given, bool) else ""
        if not _ACCOUNT_ID.match(acct):
            hint = " (quote account ids in YAML: unquoted numbers lose leading zeros)" \
                if isinstance(given, int) and not isinstance(given, bool) else ""
            raise InputError(f"{p}: entry {i + 1}: {shown(given)} is not a 12-digit AWS "
                             f"account id{hint}")
        for key in ("name", "role_name", "entity"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise InputError(f"{p}: entry {i + 1}: {key} must be a string")
        entity = (entry.get("entity") or "").strip() or None
        out.append(Account(acct, entry.get("name"), entry.get("role_name"), entity))
    return out


def _requested_accounts(opts: SweepOptions) -> list[Account]:
    """The accounts named on the command line and in --accounts-file (checked before any
    call: a typo is a usage error, whatever AWS says)."""
    for a in opts.accounts:
        if not _ACCOUNT_ID.match(a):
            raise InputError(f"--account: '{a}' is not a 12-digit AWS account id")
    accounts = [Account(a) for a in opts.accounts]
    if opts.accounts_file:
        accounts += read_accounts_file(opts.accounts_file)
    return accounts


def _accounts(opts: SweepOptions, requested: list[Account], caller: AccountSession,
              home: str, own: str, sink: Sink) -> list[Account]:
    accounts = list(requested)
    if opts.organization:
        org = caller.client("organizations", home)
        try:
            accounts += [Account(a["Id"], a.get("Name")) for a in
                         pages(org, "list_accounts", "Accounts") if a.get("Status") == "ACTIVE"]
        except ReadFailure as e:
            if refused(e):  # not a management or delegated administrator account
                raise InputError(f"--organization: cannot list the organization's accounts "
                                 f"({e.reason})") from None
            # Throttled, failing or garbled: the accounts it would have named are not read.
            # Which accounts it would have named is not known: any account (the one listed
            # from is prose, never the gap's place).
            sink.gap("accounts of the organization (listed from {own})", e, account=None,
                     own=own)
        _organizational_units(org, [a for a in accounts if a not in requested], sink)
    if not accounts:
        accounts = [Account(own)]
    seen: dict[str, Account] = {}
    for a in accounts:
        seen.setdefault(a.id, a)
        if a.entity:  # the accounts file's legal entity, kept on the account's sources
            sink.note("account_entities", (a.id, a.entity))
    if any(a.id != own for a in seen.values()) and not (
            opts.role_name or all(a.role_name for a in seen.values() if a.id != own)):
        raise InputError("--role-name is needed to enter accounts other than the caller's "
                         f"({own}) with sts:AssumeRole")
    return list(seen.values())


def _organizational_units(org: Any, accounts: list[Account], sink: Sink) -> None:
    """The OUs of each account of the organization, nearest first (``ListParents`` up to the
    root, ``DescribeOrganizationalUnit`` for each OU's name, once per OU), left in the sink's
    notes for the account's sources: ``legal_entities`` maps them to a legal entity
    (dsscan/entities.py). A failed read is a gap of that account, and its OUs stay unsaid (its
    entity is then not known: DS-SHR-002 does not assess what needs it)."""
    names: dict[str, str | None] = {}
    for acct in accounts:
        ous: list[dict[str, Any]] = []
        child = acct.id
        try:
            for _ in range(6):  # AWS nests OUs five deep under the root
                # One parent per child, but the API pages like any listing (a token with
                # an empty first page is legal): followed, never dropped.
                parents = list(pages(org, "list_parents", "Parents", ChildId=child))
                if not parents or parents[0].get("Type") != "ORGANIZATIONAL_UNIT":
                    break
                ou = parents[0]["Id"]
                if ou not in names:
                    got = call(org, "describe_organizational_unit", OrganizationalUnitId=ou)
                    names[ou] = got["OrganizationalUnit"].get("Name")
                ous.append({"id": ou, "name": names[ou]})
                child = ou
        except ReadFailure as e:
            sink.gap("the organizational units of account {account}", e, account=acct.id)
            continue
        except (KeyError, TypeError, IndexError):
            sink.gap("the organizational units of account {account}",
                     "the answer was malformed", account=acct.id, service="organizations")
            continue
        sink.note("organizational_units", (acct.id, ous))


def _account_session(acct: Account, own: str, caller: AccountSession, opts: SweepOptions,
                     home: str, partition: str, config: Any, log: CallLog) -> AccountSession:
    if acct.id == own and not acct.role_name:
        return AccountSession(acct.id, caller.session, config, log, opts.client_overrides,
                              lock=caller.lock, call_timeout=opts.timeout)
    role = acct.role_name or opts.role_name
    arn = role if role and role.startswith("arn:") else \
        f"arn:{partition}:iam::{acct.id}:role/{role}"
    try:
        session = assumed_session(caller.client("sts", home), arn, opts.external_id, home)
    except READ_ERRORS as e:
        raise ReadFailure("sts", "AssumeRole", e) from None
    return AccountSession(acct.id, session, config, log, opts.client_overrides,
                          call_timeout=opts.timeout)


# --- linking ---------------------------------------------------------------------------------

def _link(sink: Sink) -> None:
    """Relations that need the whole estate: replicas, and which stores backup plans cover."""
    buckets = {a["name"]: a for a in sink.assets if a["kind"] == "object_store"}
    for a in list(buckets.values()):
        for target in (a.get("attributes") or {}).get("replication_targets") or []:
            dest = buckets.get(target.rsplit(":", 1)[-1])
            if dest is not None and a["id"] not in dest.setdefault("replica_of", []):
                dest["replica_of"].append(a["id"])

    # A snapshot whose source ARN is not in the estate (a copy whose origin the API did not
    # name) is matched to its database by the resource id that snapshots carry along.
    # Both the resource id and the database name must match (moto gives every database
    # the same resource id).
    ids = {a["id"] for a in sink.assets}
    by_resource: dict[tuple[str, str], list[str]] = {}
    for a in sink.assets:
        rid = (a.get("attributes") or {}).get("resource_id")
        if a["kind"] == "database" and rid:
            by_resource.setdefault((rid, a["name"]), []).append(a["id"])
    for a in sink.assets:
        rid = (a.get("attributes") or {}).get("source_resource_id")
        b = a.get("backup") or {}
        src = b.get("backup_of") or []
        if not rid or len(src) != 1 or src[0] in ids:
            continue
        found = by_resource.get((rid, src[0].rsplit(":", 1)[-1]), [])
        if len(found) == 1:
            b["backup_of"] = found

    # AWS RAM shares: their principals read the shared stores (DS-SHR-001/002).
    ram.link(sink.assets, sink.notes.get("ram", []))

    coverage = {(c.account, c.region): c for c in sink.notes.get("backup", [])}
    for a in sink.assets:
        if a["kind"] not in _STORE_KINDS:
            continue
        c = coverage.get((a["account"], a["region"]))
        if c is None:
            continue  # AWS Backup was not read here (not in --services)
        backup_block = a.get("backup")
        if not isinstance(backup_block, dict):
            backup_block = a["backup"] = {}
        if c.error:
            backup_block["plans"] = None
            a["copy_to"] = None  # DS-TST-004: the plans' copy rules are unknown too
            add_asset_gap(a, "backup", f"AWS Backup plans could not be read: {c.error}")
            continue
        maybe = _plans_of(a, c, backup_block)
        _copy_rules_of(a, c, backup_block, maybe)
    # Restore verification (DS-BAK-004): restore jobs may run in any region of the estate.
    restores.link(sink.assets, sink.notes.get("backup", []), _STORE_KINDS)
    # DMS tasks (DS-TST-004): a copy_to entry on the store each task reads.
    dms.link(sink.assets, sink.notes.get("dms", []))


def _copy_rules_of(a: Asset, c: PlanCoverage, backup_block: dict[str, Any],
                   maybe: dict[str, str] | None = None) -> None:
    """DS-TST-004: where the copy rules of the plans covering a store copy its recovery
    points (``copy_to`` entries ``via: backup copy``); null when the plans covering it, or
    one of their rules, could not be read, or when a plan that may cover it (``maybe``: one
    plan surely covering the store settles "is it backed up", not where every plan copies
    it) has copy rules or unread ones."""
    plans = backup_block.get("plans")
    if plans is None:
        a["copy_to"] = None
        return
    for plan, why in sorted((maybe or {}).items()):
        if c.copy_rules.get(plan, []) != []:
            a["copy_to"] = None
            add_asset_gap(a, "backup", f"AWS Backup plan {plan} has copy rules and whether it "
                                       f"covers the store could not be told: {why}")
            return
    out: list[dict[str, Any]] = []
    for plan in plans:
        dests = c.copy_rules.get(plan, [])
        if dests is None:
            a["copy_to"] = None
            add_asset_gap(a, "backup", f"the copy rules of AWS Backup plan {plan} could not be "
                                       f"read: {c.copy_rules_error.get(plan, 'unknown')}")
            return
        for d in dests:
            parts = d.split(":", 6)
            out.append({"via": "backup copy", "target": d, "name": parts[-1],
                        "account": parts[4] if len(parts) > 5 and parts[4] else None,
                        "region": parts[3] if len(parts) > 5 and parts[3] else None,
                        "target_tags": None, "by": plan, "tags": None})
    a["copy_to"] = out


def _plans_of(a: Asset, c: PlanCoverage, backup_block: dict[str, Any]) -> dict[str, str]:
    """The plans covering a store (AWS Backup's selection semantics, selections.covers). A
    plan that may cover it, where that cannot be told, makes its plans unknown (null and a
    gap) unless another plan surely covers it. Returns those plans that may cover it (plan ->
    why unknown): how long they keep recovery points and where they copy them stay unknown
    (``plan_lifecycle`` null; ``_copy_rules_of``) even when another plan surely covers it."""
    tags_known = not any(g.get("aspect") == "tags"
                         for g in (a.get("assessment") or {}).get("gaps") or [])
    plans: set[str] = set()
    unknown: dict[str, str] = {}
    for s in c.selections:
        got, why = covers(s, a, c.opt_in, tags_known)
        if got:
            plans.add(s.plan)
        elif got is None:
            if why == "service opt-in settings could not be read" and c.opt_in_error:
                why = f"service opt-in settings could not be read: {c.opt_in_error}"
            unknown.setdefault(s.plan, why or "unknown")
    if plans or not unknown:
        backup_block["plans"] = sorted(plans)
        # DS-RET-001: how long the covering plans keep what they make (None: a plan unread).
        maybe = {p: w for p, w in unknown.items() if p not in plans}
        rules = [c.plan_rules.get(p) for p in sorted(plans)]
        backup_block["plan_lifecycle"] = (None if maybe or any(r is None for r in rules)
                                          else [x for r in rules for x in r or []])
        return maybe
    backup_block["plans"] = None
    for plan, why in sorted(unknown.items()):
        add_asset_gap(a, "backup", f"whether AWS Backup plan {plan} covers the store could not "
                                   f"be told: {why}")
    return {}

