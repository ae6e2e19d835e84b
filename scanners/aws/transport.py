"""Whether a store *refuses* plaintext connections (DS-TRN-001): one set of rules for live
AWS, Terraform and Pulumi (no AWS calls here, but for :class:`ParameterGroups`).

Offering TLS is not enough: the store must turn a plaintext client away. Where that is
decided, per service:

* S3, EFS, DynamoDB — a resource policy (bucket policy, file-system policy, table resource
  policy) with a statement that denies *every* request made without TLS
  (:func:`denies_plaintext`);
* RDS and Aurora — a parameter of the DB (instance) or DB cluster parameter group, chosen by
  the engine (:func:`db_parameter`): ``rds.force_ssl`` (PostgreSQL, Aurora PostgreSQL,
  SQL Server), ``require_secure_transport`` (MySQL, MariaDB, Aurora MySQL);
* Redshift — ``require_ssl`` of the cluster parameter group;
* ElastiCache — transit encryption in mode ``required`` (``preferred`` still accepts
  plaintext clients);
* OpenSearch/Elasticsearch (IaC) — ``domain_endpoint_options.enforce_https``.

The fact (``encryption.in_transit``) is ``{enforced, mechanism, source, setting, value,
detail}``: ``enforced`` true/false, or null when it could not be read or this engine's
enforcement is not read (Oracle, Db2, Neptune, DocumentDB): not assessed, never a pass.
``detail`` is the part of a finding's message that names what is missing.
"""

from __future__ import annotations

import re
from typing import Any

from dsscan.scanners.aws.policydoc import NotAPolicy, statements

Fact = dict[str, Any]

# The services whose actions a "<service>:*" wildcard covers, by the policy's service.
_PREFIX = {"s3": "s3", "efs": "elasticfilesystem", "dynamodb": "dynamodb"}
_S3_OBJECTS = re.compile(r"^arn:[^:]+:s3:::[^/*?]+/\*$")

LABELS = {"bucket_policy": "bucket policy", "file_system_policy": "file system policy",
          "resource_policy": "table resource policy",
          "parameter_group": "parameter group", "cluster_parameter_group":
          "cluster parameter group"}


def fact(enforced: bool | None, mechanism: str | None, detail: str, *,
         source: str | None = None, setting: str | None = None,
         value: str | None = None) -> Fact:
    return {"enforced": enforced, "mechanism": mechanism, "source": source,
            "setting": setting, "value": value, "detail": detail}


def unread(mechanism: str | None, detail: str, **kw: Any) -> Fact:
    """Could not be read: not assessed."""
    return fact(None, mechanism, detail, **kw)


# -- resource policies -------------------------------------------------------------------------

def denies_plaintext(policy: Any, service: str) -> bool | None:
    """Whether a resource policy denies every request made without TLS: a ``Deny``
    statement to everyone (``Principal: "*"``, no ``NotPrincipal``), on every action of the
    service (``*`` or ``<service>:*``, no ``NotAction``), on the whole resource (for S3 the
    objects: ``arn:…:s3:::bucket/*`` or ``*``), whose one condition is
    ``Bool``/``BoolIfExists`` ``aws:SecureTransport: false``. A statement narrowed by any
    other condition, principal, action or resource refuses plaintext only to some: it does
    not count. None: the document is not a policy (fail closed)."""
    if policy is None:
        return False
    try:
        sts = statements(policy)
    except NotAPolicy:
        return None
    return any(_refuses_plaintext(s, service) for s in sts)


def _values(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _refuses_plaintext(s: dict[str, Any], service: str) -> bool:
    if str(s.get("Effect", "")).lower() != "deny":
        return False
    if any(k in s for k in ("NotPrincipal", "NotAction", "NotResource")):
        return False
    principal = s.get("Principal")
    if isinstance(principal, dict) and set(principal) == {"AWS"}:
        principal = principal["AWS"]
    if "*" not in _values(principal):
        return False
    actions = {str(a).lower() for a in _values(s.get("Action"))}
    if not actions & {"*", f"{_PREFIX.get(service, service)}:*"}:
        return False
    if not _whole_resource(s.get("Resource"), service):
        return False
    cond = s.get("Condition")
    if not isinstance(cond, dict) or len(cond) != 1:
        return False
    (op, body), = cond.items()
    if str(op).lower() not in ("bool", "boolifexists") or not isinstance(body, dict) \
            or len(body) != 1:
        return False
    (key, value), = body.items()
    vals = _values(value)
    return str(key).lower() == "aws:securetransport" and bool(vals) and all(
        str(v).lower() == "false" for v in vals)


def _whole_resource(resource: Any, service: str) -> bool:
    values = [v for v in _values(resource) if isinstance(v, str)]
    if "*" in values:
        return True
    if service == "s3":
        return any(_S3_OBJECTS.match(v) for v in values)
    if service == "dynamodb":  # the table itself, not one of its indexes or streams
        return any(":table/" in v and "/index/" not in v and "/stream/" not in v
                   for v in values)
    return bool(values) or resource is None  # a file system's policy is about itself


def from_policy(doc: Any, mechanism: str, service: str, *, source: str | None = None,
                judged: bool | None = None) -> Fact:
    """The fact from the resource policy ``doc`` (None: the resource has none).
    ``judged``: a verdict already reached (several candidate documents, IaC)."""
    noun = LABELS[mechanism]
    verdict = denies_plaintext(doc, service) if judged is None else judged
    setting = "aws:SecureTransport"
    if verdict is None:
        return unread(mechanism, f"the {noun} could not be judged", source=source,
                      setting=setting)
    if verdict:
        return fact(True, mechanism, f"its {noun} denies requests without TLS", source=source,
                    setting=setting, value="false")
    if doc is None and judged is None:
        return fact(False, mechanism, f"it has no {noun} denying requests with "
                    "aws:SecureTransport=false", source=source, setting=setting)
    return fact(False, mechanism, f"no statement of its {noun} denies every request with "
                "aws:SecureTransport=false", source=source, setting=setting)


# -- RDS and Aurora parameter groups -----------------------------------------------------------

_MYSQL = "require_secure_transport"
_FORCE_SSL = "rds.force_ssl"


def db_parameter(engine: str | None) -> str | None:
    """The parameter that makes an engine refuse plaintext, None when dsscan does not read
    one for it (Oracle needs an SSL option *and* the plaintext listener removed; Db2,
    Neptune and DocumentDB are not read): not assessed."""
    e = (engine or "").lower()
    if e.startswith(("postgres", "aurora-postgresql", "sqlserver")):
        return _FORCE_SSL
    if e.startswith(("mysql", "mariadb", "aurora-mysql")) or e == "aurora":
        return _MYSQL
    return None


def parameter_enforces(param: str, value: Any) -> bool | None:
    """What a parameter's value says. No value: MySQL's and MariaDB's own default for
    require_secure_transport is OFF, so not enforced; rds.force_ssl's default depends on the
    engine version (1 from RDS for PostgreSQL 15): unknown."""
    if value is None:
        return False if param == _MYSQL else None
    v = str(value).strip().lower()
    if v in ("1", "on", "true"):
        return True
    if v in ("0", "off", "false"):
        return False
    return None  # a formula or something else: not judged


def from_parameters(params: dict[str, Any] | None, param: str | None, mechanism: str,
                    group: str | None, engine: str | None, *,
                    present: bool = True) -> Fact:
    """The fact from a parameter group's values (``params``: name -> value, a parameter
    listed without a value maps to None; ``present`` False when the group does not list
    ``param`` at all)."""
    noun = LABELS[mechanism]
    if param is None:
        return unread(None, f"whether {engine or 'this engine'} refuses plaintext is not read")
    if params is None:
        return unread(mechanism, f"{noun} {group} could not be read", source=group,
                      setting=param)
    value = params.get(param)
    enforced = parameter_enforces(param, value)
    if enforced is None:
        what = f"does not state {param}" if value is None else f"has {param}={value}"
        return unread(mechanism, f"{noun} {group} {what}", source=group, setting=param,
                      value=None if value is None else str(value))
    shown = str(value) if value is not None else None
    detail = (f"{noun} {group} has {param}={shown}" if shown is not None
              else f"{noun} {group} does not set {param} (off by default)")
    return fact(enforced, mechanism, detail, source=group, setting=param, value=shown)


def redshift_fact(params: dict[str, Any] | None, group: str | None) -> Fact:
    """``require_ssl`` of a Redshift cluster parameter group (default false)."""
    noun = LABELS["parameter_group"]
    if params is None:
        return unread("parameter_group", f"{noun} {group} could not be read" if group
                      else "its parameter group is not known", source=group,
                      setting="require_ssl")
    value = params.get("require_ssl")
    v = "false" if value is None else str(value).strip().lower()
    if v not in ("true", "false"):
        return unread("parameter_group", f"{noun} {group} has require_ssl={value}",
                      source=group, setting="require_ssl", value=str(value))
    return fact(v == "true", "parameter_group", f"{noun} {group} has require_ssl={v}",
                source=group, setting="require_ssl", value=v)


# -- ElastiCache, OpenSearch -------------------------------------------------------------------

def cache_fact(enabled: bool | None, mode: str | None) -> Fact:
    """ElastiCache transit encryption: only mode ``required`` refuses plaintext. Enabled
    without a mode is required (AWS's default mode, and the only one before modes
    existed)."""
    if enabled is None:
        return unread("transit_encryption", "whether transit encryption is on could not be "
                                            "read", setting="TransitEncryptionMode")
    if not enabled:
        return fact(False, "transit_encryption", "in-transit encryption is off",
                    setting="TransitEncryptionMode", value="disabled")
    m = (mode or "required").lower()
    if m == "required":
        return fact(True, "transit_encryption", "transit encryption mode is required",
                    setting="TransitEncryptionMode", value="required")
    if m == "preferred":
        return fact(False, "transit_encryption", "transit encryption mode is preferred (TLS "
                    "offered, plaintext still accepted), not required",
                    setting="TransitEncryptionMode", value="preferred")
    return unread("transit_encryption", f"transit encryption mode {mode} is not known",
                  setting="TransitEncryptionMode", value=str(mode))


def https_fact(enforce: bool | None) -> Fact:
    """An OpenSearch/Elasticsearch domain's EnforceHTTPS."""
    if enforce is None:
        return unread("endpoint_options", "whether the domain enforces HTTPS could not be read",
                      setting="EnforceHTTPS")
    return fact(enforce, "endpoint_options", "the domain endpoint enforces HTTPS" if enforce
                else "the domain endpoint does not enforce HTTPS (EnforceHTTPS is off)",
                setting="EnforceHTTPS", value=str(enforce).lower())
