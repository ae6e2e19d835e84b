"""Evidence masking: the second line of defence against leaking sampled values."""

from __future__ import annotations

from dsscan.masking import mask_evidence, mask_text


def test_resident_id_keeps_region_prefix_and_last_four():
    assert mask_text("id 11010119900307123X") == "id 110101********123X"


def test_card_numbers_with_spaces_are_masked():
    out = mask_text("card 6222 0200 1234 5678 901")
    assert "1234 5678" not in out and out.endswith("8901")


def test_mobile_and_email_are_masked():
    assert mask_text("13812345678") == "138****5678"
    assert mask_text("zhang.san@qq.com") == "z***@qq.com"


def test_account_ids_and_arns_stay_readable():
    arn = "arn:aws-cn:rds:cn-north-1:111111111111:db:core-ledger"
    assert mask_text(arn) == arn


def test_already_masked_values_are_unchanged():
    assert mask_text("110101********1234") == "110101********1234"
    assert mask_text("138****5678") == "138****5678"


def test_evidence_structures_are_masked_recursively_and_keys_kept():
    ev = {"examples": ["11010119900307123X"], "nested": {"phone": "13812345678"}, "count": 3}
    out = mask_evidence(ev)
    assert out == {"examples": ["110101********123X"], "nested": {"phone": "138****5678"},
                   "count": 3}
