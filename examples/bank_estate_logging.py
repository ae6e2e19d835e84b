"""Operation logs of the example estate (Art. 43: DS-LOG-001, DS-LOG-002).

An organization trail records data events of every DynamoDB table and of two buckets into
bank-audit-logs (kept 400 days) and the org-trail log group (kept 1096 days); audit logs of
the databases go to their log groups. Twins: bank-statements (sensitive, nothing logs it:
DS-LOG-001) beside loan-documents (selected by the trail); core-ledger (audit log kept 90
days: DS-LOG-002, core needs 1095) beside customer-profile (kept forever); card-transactions
(important, outsourced: 3 years) passes through the 1096-day log group; risk-warehouse
(core) logs to bank-audit-logs only: 400 days (DS-LOG-002); legacy-reports is selected for
writes only and bank-statements-replica (DR) is not logged (DS-LOG-001). The live twin:
examples/aws_estate_resources.py::_logging.
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import R1, P, asset, bucket


def log_group(acct, name, days) -> dict[str, Any]:
    return asset(id=f"arn:aws-cn:logs:{R1}:{acct}:log-group:{name}", kind="log_sink", name=name,
                 type="AWS::Logs::LogGroup", account=acct, region=R1, network=None,
                 log={"service": "cloudwatch_logs"},
                 expiry={"expires": days is not None, "days": days})


def log_sinks() -> list[dict[str, Any]]:
    """The trail, its log groups and bucket, and the databases' log groups."""
    return [
        asset(id=f"arn:aws-cn:cloudtrail:{R1}:{P}:trail/org-data-events", kind="log_sink",
              name="org-data-events", type="AWS::CloudTrail::Trail", account=P, region=R1,
              network=None,
              log={"service": "cloudtrail", "logging": True, "multi_region": True,
                   "organization": False,
                   "data_events": [
                       {"type": "AWS::DynamoDB::Table", "arns": None, "exclude": [],
                        "partial": False},
                       {"type": "AWS::S3::Object", "arns": ["arn:aws-cn:s3:::loan-documents/",
                                                            "arn:aws-cn:s3:::kyc-archive/"],
                        "exclude": [], "partial": False},
                       # Writes only: not an operation log of legacy-reports (reads go
                       # unrecorded).
                       {"type": "AWS::S3::Object", "arns": ["arn:aws-cn:s3:::legacy-reports/"],
                        "exclude": [], "partial": True}],
                   "bucket": "bank-audit-logs",
                   "log_group": f"arn:aws-cn:logs:{R1}:{P}:log-group:org-trail:*"}),
        log_group(P, "org-trail", 1096),
        log_group(P, "/aws/rds/instance/core-ledger/postgresql", 90),
        log_group(P, "/aws/rds/instance/customer-profile/postgresql", None),
        bucket("bank-audit-logs", P, {"dsscan:level": "general", "environment": "production"},
               {"public": False, "wildcard_principal": False, "public_access_block": True},
               logging={"access_log": {"enabled": False}},
               expiry={"expires": True, "days": 400}),
    ]


_OFF = {"access_log": {"enabled": False, "target_bucket": None, "target_prefix": None}}
_LOGS = {
    "core-ledger": {"audit": {"enabled": True, "destinations": [
        {"type": "cloudwatch_logs",
         "log_group": "/aws/rds/instance/core-ledger/postgresql"}]}},
    "customer-profile": {"audit": {"enabled": True, "destinations": [
        {"type": "cloudwatch_logs",
         "log_group": "/aws/rds/instance/customer-profile/postgresql"}]}},
    "risk-warehouse": {"audit": {"enabled": True, "destinations": [
        {"type": "s3", "bucket": "bank-audit-logs"}]}},
    "test-customer-db": {"audit": {"enabled": False, "destinations": []}},
    "test-masked-db": {"audit": {"enabled": False, "destinations": []}},
}


def add_logging(assets: list[dict[str, Any]]) -> None:
    """Set each store's logging (audit exports, or no access log) and each bucket's expiry
    where not set; card-transactions is outsourced (its logs are kept 3 years)."""
    for a in assets:
        if a["kind"] in ("object_store", "database", "warehouse") and "logging" not in a:
            a["logging"] = _LOGS.get(a["name"], _OFF)
        if a["kind"] == "object_store" and "expiry" not in a:
            a["expiry"] = {"expires": False, "days": None}
        if a["name"] == "card-transactions":
            a["tags"] = {**a["tags"], "outsourced": "true"}
