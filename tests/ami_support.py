"""The AMI-share parity estate's constants, shared by its live, Terraform and Pulumi tests
(tests/test_ami_live.py, tests/test_ami_iac.py, tests/fixtures/pulumi/amis).

* core-image: an AMI of the core database server's disk (its snapshot is core), launchable by
  a vendor's account (DS-SHR-001) and by every account of the institution's organization,
  which holds the insurance subsidiary (DS-SHR-002);
* public-image: an AMI of the same disk, public (DS-BAK-003);
* own-image: an AMI of it shared with no one (none).
"""

from __future__ import annotations

ACCOUNT = "123456789012"  # moto's default account: the bank
VENDOR, INSURER = "999999999999", "222222222222"
OUR_ORG = "o-bank000001"
ORG_ARN = f"arn:aws-cn:organizations::{ACCOUNT}:organization/{OUR_ORG}"
CONFIG = {"accounts": {ACCOUNT: {"entity": "Bank"}, INSURER: {"entity": "Insurance"}},
          "institution_organizations": [OUR_ORG]}
POLICIES = ("DS-SHR-001", "DS-SHR-002", "DS-BAK-003")

EXPECTED = {
    ("DS-SHR-001", "core-image", "read_outside"),
    ("DS-SHR-002", "core-image", "other_entity"),
    ("DS-BAK-003", "public-image", "open_access"),
}


REGION = "cn-north-1"


