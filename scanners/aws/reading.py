"""What one account is read for, the same whoever runs it: the thread pool of one process
(sweep.py) or a cluster's workers, one shard at a time (shards.py).

- :func:`enter` gives the account's session (sts:AssumeRole with the account's role, or the
  caller's own credentials for the caller's account);
- :func:`read_global` reads what is global to the account: its organizational units (for an
  account listed from AWS Organizations), IAM, and S3 (each bucket in its own region);
- :func:`read_region` runs the regional collectors of one (account, region).

Work is handed to ``submit`` (a :class:`Runner`'s, or a shard's own): S3 adds one task per
bucket once the listing is read.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from dsscan.scanners.aws import SERVICES, iam, s3
from dsscan.scanners.aws.base import Scope, Sink, call, pages
from dsscan.scanners.aws.clients import AccountSession, CallLog, assumed_session
from dsscan.scanners.aws.failures import READ_ERRORS, ReadFailure
from dsscan.scanners.aws.regions import addressable, shown, unaddressable

# Regional collectors, by the service name users pass to --services: every declared one but
# S3 (read per account, each bucket in its own region: s3_account).
COLLECTORS: dict[str, Callable[[Scope], None]] = {
    name: m.collect for name in SERVICES
    if (m := importlib.import_module(f"dsscan.scanners.aws.{name}")).INFO.regional}

Submit = Callable[..., None]


class Runner:
    """A bounded pool whose tasks may add tasks (S3: a listing, then one task per bucket)."""

    def __init__(self, workers: int, progress: Callable[[int, int], None] | None) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                       thread_name_prefix="dsscan-aws")
        self.pending: set[Future[Any]] = set()
        self.done = self.total = 0
        self.progress = progress
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self.pending.add(self.pool.submit(fn, *args))
            self.total += 1

    def run(self) -> None:
        try:
            while True:
                with self._lock:
                    pending = list(self.pending)
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    with self._lock:
                        self.pending.discard(f)
                        self.done += 1
                    f.result()  # a bug in a collector propagates
                if self.progress:
                    self.progress(self.done, self.total)
        finally:
            for f in self.pending:
                f.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)


def role_arn(account: str, own: str, account_role: str | None, role_name: str | None,
             partition: str) -> str | None:
    """The role entered in ``account``: None for the caller's own account (unless the
    accounts file names a role for it), else the account's role or --role-name, as an ARN."""
    if account == own and not account_role:
        return None
    role = account_role or role_name
    if role and role.startswith("arn:"):
        return role
    return f"arn:{partition}:iam::{account}:role/{role}"


def enter(account: str, arn: str | None, caller: AccountSession, external_id: str | None,
          home: str, config: Any, log: CallLog, overrides: dict[str, Any] | None = None,
          call_timeout: float = 60.0) -> AccountSession:
    """The session of ``account``: the caller's own (``arn`` None), else assumed. Raises
    ReadFailure when sts:AssumeRole fails (a gap of the account, for the caller)."""
    if arn is None:
        return AccountSession(account, caller.session, config, log, overrides,
                              lock=caller.lock, call_timeout=call_timeout)
    try:
        session = assumed_session(caller.client("sts", home), arn, external_id, home)
    except READ_ERRORS as e:
        raise ReadFailure("sts", "AssumeRole", e) from None
    return AccountSession(account, session, config, log, overrides, call_timeout=call_timeout)


def read_region(scope: Scope, services: list[str], submit: Submit) -> None:
    """The regional collectors of the scope's (account, region)."""
    scope.sink.scanned.add((scope.account, scope.region))
    for name in services:
        if name in COLLECTORS:
            submit(run_collector, scope, name)


def read_global(scope: Scope, services: list[str], regions: list[str], chosen: bool,
                submit: Submit) -> None:
    """What is global to the scope's account (``scope.region`` is the home region): IAM
    roles, users and groups, and S3 (``regions``: those read; ``chosen``: given by
    --regions, so a bucket elsewhere is left out rather than read where it is)."""
    if "iam" in services:
        submit(iam.collect_account, scope)
    if "s3" in services:
        submit(s3_account, scope, set(regions), chosen, submit)


def run_collector(scope: Scope, name: str) -> None:
    try:
        COLLECTORS[name](scope)
    except ReadFailure as e:
        scope.gap("{collector} in {account}/{region}", e, collector=name)


def s3_account(scope: Scope, regions: set[str], chosen: bool, submit: Submit) -> None:
    try:
        buckets = s3.list_buckets(scope)
    except ReadFailure as e:
        scope.sink.gap("s3 in {account}", e, account=scope.account)
        return
    if not buckets:
        return
    account_pab = s3.account_public_access_block(scope)
    for b in buckets:
        submit(s3_bucket, scope, b, regions, chosen, account_pab)


def s3_bucket(scope: Scope, bucket: dict[str, Any], regions: set[str], chosen: bool,
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


class OUNames:
    """OU id -> name, read once per OU (DescribeOrganizationalUnit) however many accounts
    sit under it; shared by the threads of one process."""

    def __init__(self) -> None:
        self.names: dict[str, str | None] = {}
        self.lock = threading.Lock()

    def name(self, org: Any, ou: str) -> str | None:
        with self.lock:
            if ou in self.names:
                return self.names[ou]
        got = call(org, "describe_organizational_unit", OrganizationalUnitId=ou)
        with self.lock:
            self.names[ou] = got["OrganizationalUnit"].get("Name")
            return self.names[ou]


def organizational_units(org: Any, account: str, sink: Sink, names: OUNames) -> None:
    """The OUs of an account of the organization, nearest first (``ListParents`` up to the
    root, ``DescribeOrganizationalUnit`` for each OU's name), left in the sink's notes for the
    account's sources: ``legal_entities`` maps them to a legal entity (dsscan/entities.py). A
    failed read is a gap of that account, and its OUs stay unsaid (its entity is then not
    known: DS-SHR-002 does not assess what needs it)."""
    ous: list[dict[str, Any]] = []
    child = account
    try:
        for _ in range(6):  # AWS nests OUs five deep under the root
            # One parent per child, but the API pages like any listing (a token with an empty
            # first page is legal): followed, never dropped.
            parents = list(pages(org, "list_parents", "Parents", ChildId=child))
            if not parents or parents[0].get("Type") != "ORGANIZATIONAL_UNIT":
                break
            ou = parents[0]["Id"]
            ous.append({"id": ou, "name": names.name(org, ou)})
            child = ou
    except ReadFailure as e:
        sink.gap("the organizational units of account {account}", e, account=account)
        return
    except (KeyError, TypeError, IndexError):
        sink.gap("the organizational units of account {account}",
                 "the answer was malformed", account=account, service="organizations")
        return
    sink.note("organizational_units", (account, ous))
