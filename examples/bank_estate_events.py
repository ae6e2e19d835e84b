"""The example bank estate a week later: one of each regulatory event (dsscan/events.py).

    dsscan demo --saved --store demo-history.sqlite                  # the estate today
    python -m dsscan.examples.bank_estate_events later-estate.json   # a week later
    dsscan scan inventory later-estate.json --catalogue examples/catalogue.yaml \\
        --store demo-history.sqlite -f html -o later.html
    dsscan diff --store demo-history.sqlite                          # the events

Changes to examples/bank-estate.json (derived from it, so it follows that file):

* Art. 19 -- ``bank-statements`` retagged from sensitive to general with no approval record
  (an event), ``loan-documents`` likewise but with a ``level-change-approval`` tag (none; its
  replica, which inherits its level, is covered by the same record);
* Art. 71 -- a new core bucket ``core-ledger-archive``;
* Art. 73 -- a new manual copy of the customer-profile export snapshot shared with an account
  outside the institution (``999999999999``).
"""

from __future__ import annotations

import copy
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

LOWERED = "arn:aws-cn:s3:::bank-statements"
APPROVED = "arn:aws-cn:s3:::loan-documents"
APPROVAL_RECORD = "LCA-2026-014"
NEW_CORE = "arn:aws-cn:s3:::core-ledger-archive"
SNAPSHOT = "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:customer-profile-export"
SHARED = SNAPSHOT + "-vendor"
VENDOR = "999999999999"
TEMPLATE_BUCKET = "arn:aws-cn:s3:::bank-marketing-site"


def later(estate: dict[str, Any]) -> dict[str, Any]:
    """The estate ``estate`` (bank-estate.json's document) a week later; a new document."""
    doc = copy.deepcopy(estate)
    by_id = {a["id"]: a for a in doc["assets"]}
    by_id[LOWERED]["tags"]["dsscan:level"] = "general"
    by_id[APPROVED]["tags"]["dsscan:level"] = "general"
    by_id[APPROVED]["tags"]["level-change-approval"] = APPROVAL_RECORD
    snap = copy.deepcopy(by_id[SNAPSHOT])
    snap["id"], snap["name"] = SHARED, snap["name"] + "-vendor"
    snap["access"] = {"public": False, "shared_with": [VENDOR]}
    bucket = copy.deepcopy(by_id[TEMPLATE_BUCKET])
    bucket["id"], bucket["name"] = NEW_CORE, NEW_CORE.rsplit(":", 1)[1]
    bucket["tags"]["dsscan:level"] = "core"
    doc["assets"] += [snap, bucket]
    return doc


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m dsscan.examples.bank_estate_events OUT.json", file=sys.stderr)
        return 2
    estate = json.loads(resources.files("dsscan.examples").joinpath("bank-estate.json")
                        .read_text("utf-8"))
    Path(argv[0]).write_text(json.dumps(later(estate), indent=2, ensure_ascii=False) + "\n",
                             "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
