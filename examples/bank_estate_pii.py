"""Identifiers in clear outside the governed stores (Art. 45: DS-PII-001) in the example estate.

Content sampling read the last week of three application log groups and the export prefixes
of two buckets. Twins: /app/payments-api logs resident ID numbers and card numbers in clear
(DS-PII-001 at sensitive) beside /app/payments-gateway, whose formatter masks them;
/app/batch-export could not be read (FilterLogEvents throttled: not assessed, never passed).
kyc-archive's athena-results/ prefix (the output location of the kyc-analysts Athena
workgroup) holds query results with resident IDs in clear (DS-PII-001), loan-documents'
exports/ only masked ones. Evidence is masked. The live twin:
examples/aws_estate_resources.py::_pii (moto cannot serve Athena to current botocore: there
the prefix is found by its name, exports/, and the workgroups are a gap).
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import P
from bank_estate_logging import log_group


def _sampled(*detections: dict[str, Any], rows: int) -> dict[str, Any]:
    return {"status": "sampled", "sample": {"rows": rows, "bytes": rows * 120},
            "detections": list(detections)}


def _det(detector: str, location: str, unmasked: int, masked: int,
         evidence: list[str]) -> dict[str, Any]:
    return {"detector": detector, "location": location, "unmasked": unmasked,
            "masked": masked, "tokenized": 0, "sampled": unmasked + masked,
            "evidence": evidence}


def pii_log_groups() -> list[dict[str, Any]]:
    leaky = log_group(P, "/app/payments-api", 30)
    leaky["content"] = _sampled(
        _det("prc_resident_id", "events", 412, 0,
             ["110101********1233 (line 3)", "440305********002X (line 9)"]),
        _det("bank_card", "events", 96, 0, ["6222 **** **** 4421 (line 3)"]),
        rows=1000)
    masked = log_group(P, "/app/payments-gateway", 30)
    masked["content"] = _sampled(
        _det("prc_resident_id", "events", 0, 388, ["110101********1233 (line 1)"]),
        _det("mobile_phone", "events", 0, 120, ["138****5678 (line 4)"]), rows=1000)
    failed = log_group(P, "/app/batch-export", 30)
    failed["content"] = {"status": "error",
                         "reason": "logs:FilterLogEvents throttled past retries "
                                   "(ThrottlingException)",
                         "sample": {"rows": 0, "bytes": 0}, "detections": []}
    failed["assessment"] = {"status": "partial", "gaps": [
        {"aspect": "content",
         "reason": "logs:FilterLogEvents throttled past retries (ThrottlingException)"}]}
    return [leaky, masked, failed]


def add_exports(assets: list[dict[str, Any]]) -> None:
    """The export and query-result prefixes sampled in kyc-archive and loan-documents."""
    by_name = {a["name"]: a for a in assets if a["kind"] == "object_store"}
    by_name["kyc-archive"]["exports"] = [{
        "prefix": "athena-results/", "origin": "athena_workgroup", "workgroup": "kyc-analysts",
        "content": _sampled(_det("prc_resident_id", "athena-results/q-7f3a.csv#id_number",
                                 150, 0, ["110101********1233 (row 1)"]), rows=150)}]
    by_name["loan-documents"]["exports"] = [{
        "prefix": "exports/", "origin": "prefix_pattern", "workgroup": None,
        "content": _sampled(_det("prc_resident_id", "exports/loans.csv#id_number", 0, 200,
                                 ["110101********1233 (row 1)"]), rows=200)}]
