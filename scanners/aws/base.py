"""What every collector shares: the scope it reads, calls that fail closed, asset records,
and KMS key classification."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dsscan.scanners.aws.clients import AccountSession
from dsscan.scanners.aws.failures import (
    READ_ERRORS,
    MalformedReply,
    ReadFailure,
    TruncatedListing,
    add_asset_gap,
    facet,
)
from dsscan.scanners.aws.operations import Calls
from dsscan.scanners.aws.paging import PageConfig, page_config
from dsscan.scanners.aws.replies import wrap
from dsscan.scope_gaps import scope_gap

K = TypeVar("K")
V = TypeVar("V")

Asset = dict[str, Any]


def _service(client: Any) -> str:
    return client.meta.service_model.service_name


def _operation(client: Any, method: str) -> str:
    return client.meta.method_to_api_mapping.get(method, method)


def _call(client: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    service, op = _service(client), _operation(client, method)
    try:
        reply = getattr(client, method)(**params)
    except READ_ERRORS as e:
        raise ReadFailure(service, op, e) from None
    return wrap(reply, service, op)


def call(client: Any, method: str, **params: Any) -> dict[str, Any]:
    """One API call whose reply is not a listing; a read error becomes a
    :class:`ReadFailure` naming the action. Should the reply say there is more to read (a
    continuation token: the operation pages after all), that is a gap, never a silent first
    page: read it with :func:`pages`."""
    reply = _call(client, method, params)
    cfg = page_config(client.meta.service_model, _operation(client, method))
    if cfg is not None and cfg.more(reply):
        raise ReadFailure(_service(client), _operation(client, method),
                          TruncatedListing(f"{method}: more pages than were read"))
    return reply


def pages(client: Any, method: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item of a listing, page by page, following the continuation token named by
    botocore's paginator model or, for operations without one, by the service model's output
    shape (scanners/aws/paging.py). A list yields its items, a map its (key, value) pairs.

    A failed page fails the whole listing (a listing is never returned partially), as does a
    page that says it is truncated but gives no token to go on, or a token seen before."""
    service, op = _service(client), _operation(client, method)
    cfg = page_config(client.meta.service_model, op)
    items: list[Any] = []
    seen: set[tuple[Any, ...]] = set()
    params = dict(params)
    while True:
        page = _call(client, method, params)
        # AWS sends a listing's list even when it is empty: a page without one is malformed,
        # not "nothing here" (ReadFailure from Reply).
        got = page[key]
        items.extend(got.items() if isinstance(got, dict) else got)
        if cfg is None or not cfg.more(page):
            break
        tokens = _next_tokens(cfg, page, service, op, seen)
        if not cfg.input_tokens:  # a token the operation has no input member to take back
            raise ReadFailure(service, op, TruncatedListing(f"{op}: cannot ask for more"))
        params.update(zip(cfg.input_tokens, tokens, strict=True))
    yield from items


def read_once(cache: dict[K, V | ReadFailure], key: K, read: Callable[[], V]) -> V:
    """``read()`` the first time ``key`` is asked for, its value (or its ReadFailure, raised
    again) every later time: one call per account and Region however many assets need it.
    The caller holds the lock that guards ``cache``."""
    if key not in cache:
        try:
            cache[key] = read()
        except ReadFailure as e:
            cache[key] = e
    got = cache[key]
    if isinstance(got, ReadFailure):
        raise got
    return got


def _next_tokens(cfg: PageConfig, page: dict[str, Any], service: str, op: str,
                 seen: set[tuple[Any, ...]]) -> tuple[Any, ...]:
    tokens = cfg.tokens(page)
    if not any(tokens):
        raise ReadFailure(service, op, TruncatedListing(f"{op}: more results but no token"))
    if tokens in seen:
        raise ReadFailure(service, op, TruncatedListing(f"{op}: the same token twice"))
    seen.add(tokens)
    return tokens


def json_document(raw: Any, client: Any, method: str) -> Any:
    """A JSON document carried in a reply (a bucket or vault policy); None when there is
    none. Text that does not parse as JSON is a malformed reply of the operation (what the
    document says, once parsed, is policydoc's to judge)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        raise ReadFailure(_service(client), _operation(client, method),
                          MalformedReply(detail="the policy is not JSON")) from None


def resource_policy(client: Any, method: str, absent: AbstractSet[str], **params: Any) -> Any:
    """A resource policy (its reply's ``Policy``, parsed by :func:`json_document`); None when
    the call fails with one of the ``absent`` codes, the service's way of saying the resource
    has no policy. Any other failure, and a policy that is not JSON, is a ReadFailure: a gap,
    never "no policy"."""
    try:
        reply = call(client, method, **params)
    except ReadFailure as e:
        if e.code in absent:
            return None
        raise
    return json_document(reply["Policy"], client, method)


def tag_dict(tags: Any) -> dict[str, str]:
    """[{Key, Value}] (or {key: value}) as a plain mapping of strings."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for t in tags or []:
        k = t.get("Key", t.get("key"))
        if k is not None:
            out[str(k)] = str(t.get("Value", t.get("value", "")))
    return out


@dataclass
class Sink:
    """Where collectors put what they found; shared by the worker threads."""

    assets: list[Asset] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    notes: dict[str, list[Any]] = field(default_factory=dict)
    scanned: set[tuple[str, str]] = field(default_factory=set)  # (account, region) read
    # Resources seen but not mapped, per (account, region): type -> count, and why.
    skipped: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    skip_reasons: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def skip(self, account: str, region: str, type_: str, why: str) -> None:
        """A resource seen and left out (not mapped, never judged): counted in the source's
        ``skipped``, so every report says what was not looked at."""
        with self._lock:
            self.skipped.setdefault((account, region), Counter())[type_] += 1
            self.skip_reasons.setdefault((account, region, type_), why)

    def note(self, topic: str, value: Any) -> None:
        """Facts one collector leaves for the link pass (e.g. backup plan selections)."""
        with self._lock:
            self.notes.setdefault(topic, []).append(value)

    def add(self, asset: Asset) -> None:
        with self._lock:
            self.assets.append(asset)

    def gap(self, template: str, why: ReadFailure | str, *, account: str | None,
            region: str | None = None, service: str | None = None, **names: Any) -> None:
        """A scope not read: where (``account``/``region``: None when it may be any) and, for
        a failed call, which (from the ReadFailure); the scope sentence is rendered from them
        (dsscan.scope_gaps). ``service`` names the AWS service when no one call failed."""
        failed = why if isinstance(why, ReadFailure) else None
        gap = scope_gap(template, failed.reason if failed else str(why), account=account,
                        region=region, service=failed.service if failed else service,
                        operation=failed.operation if failed else None, **names)
        with self._lock:
            self.gaps.append(gap)


# Keys reads the KMS keys of every store's encryption, whichever collector found the store.
KEY_CALLS = (Calls("kms", ("ListAliases", "DescribeKey")),)


class Keys:
    """Classifies KMS keys of one account as provider- or customer-managed, once per key.

    Aliases under ``alias/aws/`` are reserved for AWS-managed keys, so a key behind one is
    provider-managed whatever else is said about it (moto reports such keys as CUSTOMER).
    """

    def __init__(self, session: AccountSession) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._known: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        # DescribeKey's KeyMetadata per (region, ref), kept for the key's own asset (its state
        # and deletion date: DS-KMS-001), so the key is described once.
        self._meta: dict[tuple[str, str], Any] = {}
        self._aws_aliased: dict[str, set[str] | ReadFailure] = {}

    def set_aws_aliased(self, region: str, key_ids: set[str]) -> None:
        with self._lock_for((region, "\0aliases")):
            self._aws_aliased.setdefault(region, key_ids)

    def _lock_for(self, k: tuple[str, str]) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(k, threading.Lock())

    def aws_aliased(self, region: str) -> set[str]:
        """Key ids with an alias/aws/* alias in the region (listed once)."""
        def read() -> set[str]:
            kms = self.session.client("kms", region)
            return {a["TargetKeyId"] for a in pages(kms, "list_aliases", "Aliases")
                    if a["AliasName"].startswith("alias/aws/") and a.get("TargetKeyId")}

        with self._lock_for((region, "\0aliases")):
            return read_once(self._aws_aliased, region, read)

    def key_type(self, region: str, ref: str) -> tuple[str | None, str | None]:
        """(key_type, gap reason): key_type is provider_managed / customer_managed, or None
        with the reason when the key could not be read."""
        if "alias/aws/" in ref:
            return "provider_managed", None
        region = _arn_region(ref) or region
        k = (region, ref)
        with self._lock_for(k):
            if k not in self._known:
                self._known[k] = self._describe(region, ref)
            return self._known[k]

    def metadata(self, region: str, ref: str) -> Any:
        """DescribeKey's KeyMetadata of a key :meth:`key_type` described; None if it failed."""
        return self._meta.get((_arn_region(ref) or region, ref))

    def _describe(self, region: str, ref: str) -> tuple[str | None, str | None]:
        kms = self.session.client("kms", region)
        try:
            meta = call(kms, "describe_key", KeyId=ref)["KeyMetadata"]
            self._meta[(region, ref)] = meta
        except ReadFailure as e:
            # A key of this account behind an alias/aws/* alias is AWS-managed even when it
            # cannot be described (ListAliases is another permission, and another answer).
            try:
                if _key_id(ref) in self.aws_aliased(region):
                    return "provider_managed", None
            except ReadFailure:
                pass
            return None, f"{e.reason} for key {ref}"
        if meta.get("KeyManager") == "AWS":
            return "provider_managed", None
        try:
            if meta.get("KeyId") in self.aws_aliased(region):
                return "provider_managed", None
        except ReadFailure:
            pass  # DescribeKey's answer stands
        if meta.get("KeyManager") == "CUSTOMER":
            return "customer_managed", None
        return None, f"kms:DescribeKey gave no KeyManager for key {ref}"


def _key_id(ref: str) -> str:
    """The key id of a key ARN (``arn:…:key/ID``), else the reference as it is."""
    return ref.rsplit(":key/", 1)[-1] if ":key/" in ref else ref


def required_bool(described: Any, member: str) -> bool:
    """A boolean member AWS always sends: missing (ReadFailure from the reply) or not a
    boolean is a malformed reply, never False."""
    value = described[member]
    if not isinstance(value, bool):
        raise malformed(described, f"{member} is not a boolean")
    return value


def _reply_op(described: Any) -> tuple[str, str]:
    """(service, operation) a reply (replies.Reply) came from, for a malformed-reply gap."""
    op = getattr(described, "_op", None)
    return op if isinstance(op, tuple) else ("unknown", "Unknown")


def malformed(described: Any, detail: str) -> ReadFailure:
    """A malformed-reply failure of the operation ``described`` came from (a member that is
    present but says nothing AWS can mean: detail names members, never values)."""
    return ReadFailure(*_reply_op(described), MalformedReply(detail=detail))


def _arn_region(ref: str) -> str | None:
    parts = ref.split(":")
    return parts[3] or None if ref.startswith("arn:") and len(parts) > 3 else None


@dataclass
class Scope:
    """One account in one region, as a collector sees it."""

    account: str
    region: str
    partition: str
    session: AccountSession
    keys: Keys
    sink: Sink

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region or self.region)

    def arn(self, service: str, resource: str, *, region: str | None = None,
            account: str | None = None) -> str:
        r = self.region if region is None else region
        a = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{r}:{a}:{resource}"

    def gap(self, template: str, why: ReadFailure | str, **names: Any) -> None:
        """Something of this account and region not read (the scope sentence ``template``
        is rendered from the fields: dsscan.scope_gaps)."""
        self.sink.gap(template, why, account=self.account, region=self.region, **names)

    def asset(self, *, id: str, kind: str, name: str, type: str,
              tags: dict[str, str] | None = None, region: str | None = None) -> Asset:
        return {
            "id": id, "kind": kind, "name": name, "type": type, "provider": "aws",
            "source": {"type": "aws"}, "account": self.account,
            "region": self.region if region is None else region,
            "tags": tags or {}, "assessment": {"status": "complete", "gaps": []},
        }

    def encryption(self, asset: Asset, enabled: bool | None, key_ref: str | None, *,
                   unkeyed: str = "provider_managed", region: str | None = None,
                   algorithm: str | None = None) -> dict[str, Any]:
        """The asset's ``encryption`` block. ``unkeyed`` is the key type when encryption is on
        and no key is named (SSE-S3, an AWS-owned key: provider-managed)."""
        state: dict[str, Any] = {"enabled": enabled, "key_type": None, "key_id": key_ref}
        if algorithm:
            state["algorithm"] = algorithm
        if enabled is False:
            state.update(key_type="none", key_id=None)
        elif enabled is True and not key_ref:
            state["key_type"] = unkeyed
        elif enabled is True and key_ref:
            kt, why = self.keys.key_type(region or self.region, key_ref)
            state["key_type"] = kt
            if why:
                add_asset_gap(asset, "encryption", why, key_id=key_ref)
        return {"at_rest": state}

    def stored_encryption(self, asset: Asset, described: Any, flag: str,
                          key: str = "KmsKeyId", *, key_always_sent: bool = True,
                          region: str | None = None) -> None:
        """Set ``asset["encryption"]`` from a described resource: ``described[flag]`` — a
        member AWS always sends — says whether storage is encrypted; when it is, ``described
        [key]`` names the key. ``key_always_sent``: AWS names the key of every encrypted
        resource of this kind, so a reply without it is malformed; otherwise (a default key
        AWS does not name) no key reads as provider-managed, the weaker of the two key
        types. A missing member is a gap on the asset's encryption, never "unencrypted" nor
        a guessed key."""
        asset["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
        with facet(asset, "encryption"):
            enabled = required_bool(described, flag)
            ref = None
            if enabled:
                ref = described[key] if key_always_sent else described.get(key)
            asset["encryption"] = self.encryption(asset, enabled, ref, region=region)


def when(value: Any) -> str | None:
    """An API time (botocore gives a datetime; a stub may give text) as ISO 8601 UTC; None
    when absent (e.g. a snapshot still being created) or not a time (DS-RET-001: unknown)."""
    from datetime import UTC, datetime

    if isinstance(value, datetime):
        t = value if value.tzinfo else value.replace(tzinfo=UTC)
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and value:
        from dsscan.restore import parse_when

        t2 = parse_when(value)
        return t2.astimezone(UTC).isoformat().replace("+00:00", "Z") if t2 else None
    return None
