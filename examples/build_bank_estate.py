"""Builds bank-estate.json, the example estate (run: python examples/build_bank_estate.py).

Kept as code so the estate stays consistent when edited; the JSON is what ships. Each family
has its module (examples/bank_estate_*.py) with its violating and compliant twins; this one
puts them together in the order the file lists them, then lets the families that set facts on
other families' stores (backup, transport, logging) do so.
"""

import json
from pathlib import Path

from bank_estate_backup import add_restore_verification, backups
from bank_estate_builders import DR, R1, R2, P, T
from bank_estate_iam import principals
from bank_estate_keys import keys
from bank_estate_logging import add_logging, log_sinks
from bank_estate_network import network_domains, security_groups
from bank_estate_pii import add_exports, pii_log_groups
from bank_estate_retention import add_sources, retention
from bank_estate_sharing import shared_stores
from bank_estate_stores import production_stores, stores_in_test
from bank_estate_testcopies import add_copy_paths, test_copies
from bank_estate_transport import add_transport

A = [*network_domains(), *security_groups(), *production_stores(), *backups(),
     *stores_in_test()]
A += retention()  # DS-RET-001/002 (examples/bank_estate_retention.py)
add_restore_verification(A)  # DS-BAK-001/002, DS-BAK-004 (examples/bank_estate_backup.py)
A += keys()  # DS-KMS-001 (examples/bank_estate_keys.py)
add_transport(A)  # DS-TRN-001 (examples/bank_estate_transport.py)
A += log_sinks()  # DS-LOG-001/002 (examples/bank_estate_logging.py)
add_logging(A)
A += test_copies()  # DS-TST-004 (examples/bank_estate_testcopies.py)
add_copy_paths(A)
A += principals()  # DS-IAM-001 (examples/bank_estate_iam.py)
A += pii_log_groups()  # DS-PII-001 (examples/bank_estate_pii.py)
add_exports(A)
A += shared_stores()  # DS-SHR-001/002 (examples/bank_estate_sharing.py)

doc = {
    "format": "dsscan-inventory/1",
    "generated_at": "2026-11-21T08:00:00Z",
    "generator": {"tool": "dsscan", "version": "0.1.0", "scanner": "hand-written example"},
    "sources": [
        {"type": "aws", "account": P, "region": R1},
        {"type": "aws", "account": T, "region": R1},
        {"type": "aws", "account": DR, "region": R2},
    ],
    "gaps": [
        {
            "scope": f"elasticache in {T}/{R1}",
            "reason": "elasticache:DescribeReplicationGroups AccessDenied",
            "account": T,
            "region": R1,
            "service": "elasticache",
            "operation": "DescribeReplicationGroups",
        }
    ],
    "assets": A,
}
add_sources(doc["sources"])  # DS-RET-002: what the sweep read
out = Path(__file__).with_name("bank-estate.json")
out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {out} ({len(A)} assets)")
