"""A sweep: accounts × regions × services, read concurrently, linked into one inventory.

1. Authenticate (boto3's credential chain, ``--profile``), learn the caller's account and
   partition; list the accounts to scan (the caller's, an accounts file, or AWS Organizations)
   and enter each with sts:AssumeRole.
2. Per account: the regions to read (given, or every enabled region of the partition).
3. One task per (account, region, service) and per S3 bucket, on a bounded thread pool
   (reading.py) -- or, with ``--cluster``, one shard per (account, region) and per account on
   Dask workers (cluster.py, shards.py). A listing that fails becomes a gap for its scope; a
   detail call that fails, a gap on the asset's facet (scanners/aws/failures.py). Nothing
   unread is silently skipped.
4. Link what only the whole estate tells (linking.py): replication targets, backup-plan
   coverage, shares.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
from dsscan.scanners.aws import NOT_READ, SERVICES
from dsscan.scanners.aws.base import Keys, Scope, Sink, call, pages
from dsscan.scanners.aws.clients import (
    CONFIG_ERRORS,
    AccountSession,
    CallLog,
    client_config,
    config_error,
    new_session,
)
from dsscan.scanners.aws.failures import THROTTLED, MalformedReply, ReadFailure
from dsscan.scanners.aws.linking import link
from dsscan.scanners.aws.operations import Calls
from dsscan.scanners.aws.reading import (
    COLLECTORS,
    OUNames,
    Runner,
    enter,
    organizational_units,
    read_global,
    read_region,
    role_arn,
)
from dsscan.scanners.aws.regions import check_regions, enabled_regions, partition_of, shown

__all__ = ["COLLECTORS", "SWEEP_CALLS", "Account", "SweepOptions", "read_accounts_file",
           "sweep"]

# The sweep's own calls: who the caller is, the organization's accounts, entering each.
SWEEP_CALLS = (Calls("sts", ("GetCallerIdentity", "AssumeRole")),
               Calls("organizations", ("ListAccounts",)),
               # --organization: each account's OUs, mapped to legal entities (DS-SHR-002)
               Calls("organizations", ("ListParents", "DescribeOrganizationalUnit")))

_ACCOUNT_ID = re.compile(r"^\d{12}$")


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
    # --cluster: a dsscan.scanners.aws.cluster.ClusterOptions; None: the thread pool above.
    cluster: Any = None


@dataclass
class Account:
    id: str
    name: str | None = None
    role_name: str | None = None
    entity: str | None = None  # its legal entity, from the accounts file (DS-SHR-002)
    from_organization: bool = False  # listed by --organization: its OUs are read


def sweep(opts: SweepOptions, log: CallLog | None = None) -> Inventory:
    log = log or CallLog()
    plan = prepare(opts, log)
    if plan.caller is None:  # who the caller is could not be read: nothing was
        return inventory_of(plan.sink, opts.services)
    if opts.cluster is not None:  # shards on Dask workers (cluster.py)
        from dsscan.scanners.aws.cluster import sweep_on_cluster

        sweep_on_cluster(plan, opts, log)
    else:
        _sweep_threads(plan, opts, log)
    link(plan.sink)
    return inventory_of(plan.sink, opts.services)


@dataclass
class SweepPlan:
    """What the sweep knows before any account is read: who the caller is, the accounts to
    enter and the regions given. ``caller`` None: GetCallerIdentity failed (``sink`` has the
    gaps)."""

    sink: Sink
    caller: AccountSession | None = None
    own: str = ""
    partition: str = ""
    home: str = ""
    accounts: list[Account] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    config: Any = None


def prepare(opts: SweepOptions, log: CallLog) -> SweepPlan:
    """Check the options (usage errors before any call), learn the caller's account and
    partition, and list the accounts to read."""
    _check_services(opts.services)
    requested = _requested_accounts(opts)
    base, default_region = base_session(opts.profile)
    home = (opts.regions[0] if opts.regions else default_region) or _no_region()
    _check_region_names(opts.regions, home, bool(opts.regions))
    # Connecting is bounded by the call's deadline too; never wait longer than 10 s for it.
    config = client_config(opts.max_attempts, max(10, opts.max_workers),
                           min(10.0, opts.timeout), opts.timeout)
    caller = AccountSession("caller", base, config, log, opts.client_overrides,
                            call_timeout=opts.timeout)
    sink = Sink()
    try:
        own, partition = identity(caller, home)
    except ReadFailure as e:
        # Throttled, failing or too slow: nothing could be read, and the run says so
        # (incomplete, exit 3) for each account it was asked to read.
        for acct in requested:
            sink.gap("account {account}", e, account=acct.id)
        if not requested:  # which account the credentials are of is what failed
            sink.gap("the caller's account", e, account=None)
        return SweepPlan(sink)
    check_regions(base, partition, opts.regions)
    accounts = _accounts(opts, requested, caller, home, own, sink)
    return SweepPlan(sink, caller, own, partition, home, accounts,
                     opts.services or list(SERVICES), config)


def _sweep_threads(plan: SweepPlan, opts: SweepOptions, log: CallLog) -> None:
    """Every account on one bounded thread pool: one task per (account, region, service),
    per account for its global services, and per bucket."""
    sink, caller = plan.sink, plan.caller
    assert caller is not None
    runner = Runner(opts.max_workers, opts.progress or _reporter("reading AWS", sink))
    sessions: dict[str, AccountSession] = {}
    ou_names = OUNames()

    def enter_account(acct: Account) -> None:
        if acct.from_organization:
            organizational_units(caller.client("organizations", plan.home), acct.id, sink,
                                 ou_names)
        arn = role_arn(acct.id, plan.own, acct.role_name, opts.role_name, plan.partition)
        try:
            session = enter(acct.id, arn, caller, opts.external_id, plan.home, plan.config,
                            log, opts.client_overrides, opts.timeout)
        except ReadFailure as e:
            sink.gap("account {account}", e, account=acct.id)
            return
        sessions[acct.id] = session
        keys = Keys(session)
        regions = opts.regions or enabled_regions(session, plan.home, plan.partition, sink)
        for region in regions:
            read_region(Scope(acct.id, region, plan.partition, session, keys, sink),
                        plan.services, runner.submit)
        read_global(Scope(acct.id, plan.home, plan.partition, session, keys, sink),
                    plan.services, regions, bool(opts.regions), runner.submit)

    for acct in plan.accounts:
        runner.submit(enter_account, acct)
    runner.run()
    if opts.sample is not None:
        _sample(sink, sessions, opts, runner)


def inventory_of(sink: Sink, services: list[str]) -> Inventory:
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

def _sample(sink: Sink, sessions: dict[str, AccountSession], opts: SweepOptions,
            swept: Runner) -> None:
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
    finder = Runner(opts.max_workers, offset)
    buckets = any(a.get("type") == "AWS::S3::Bucket" for a in sink.assets)
    for task in athena_tasks(sink.scanned if buckets else (), sessions, athena, sink.gap):
        finder.submit(task)
    finder.run()
    unswept_outputs(sink.assets, athena, sink.gap)
    sampler = Runner(opts.max_workers, offset)
    for task in sampling_tasks(sink.assets, sessions, opts.sample, athena=athena):
        sampler.submit(task)
    sampler.run()


def _reporter(stage: str, sink: Sink) -> Callable[[int, int], None]:
    # Counts only: no account, region or bucket names in progress lines.
    return lambda done, total: report_progress(stage, done, total, "reads",
                                               assets=len(sink.assets))


# --- accounts, regions, credentials ----------------------------------------------------------

def base_session(profile: str | None) -> tuple[boto3.Session, str | None]:
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


def identity(caller: AccountSession, region: str) -> tuple[str, str]:
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
            # Their OUs are read when each is entered (legal_entities: DS-SHR-002).
            accounts += [Account(a["Id"], a.get("Name"), from_organization=True) for a in
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
    if not accounts:
        accounts = [Account(own)]
    seen: dict[str, Account] = {}
    for a in accounts:
        kept = seen.setdefault(a.id, a)
        # Named and listed by the organization: its OUs are read all the same.
        kept.from_organization = kept.from_organization or a.from_organization
        if a.entity:  # the accounts file's legal entity, kept on the account's sources
            sink.note("account_entities", (a.id, a.entity))
    if any(a.id != own for a in seen.values()) and not (
            opts.role_name or all(a.role_name for a in seen.values() if a.id != own)):
        raise InputError("--role-name is needed to enter accounts other than the caller's "
                         f"({own}) with sts:AssumeRole")
    return list(seen.values())
