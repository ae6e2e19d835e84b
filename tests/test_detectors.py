"""Content detectors: validation, masked/tokenized forms, hints, scoring, never leaking."""

from __future__ import annotations

import json
import random

import pytest

from dsscan.config import DEFAULT_CONTENT_LEVELS
from dsscan.detection import DETECTORS, ContentScanner, bulk, content_block
from dsscan.detection import synthetic as syn
from dsscan.detection.checksums import (
    luhn_flags,
    luhn_ok,
    mod11_2_check_char,
    mod11_2_flags,
    mod11_2_ok,
    uscc_check_char,
    uscc_flags,
    uscc_ok,
)
from dsscan.detection.detectors import evaluate
from dsscan.detection.tally import DetectionTally
from dsscan.inventory import parse_inventory

SCANNER = ContentScanner()


def _id(body17: str) -> str:
    return body17 + mod11_2_check_char(body17)


def _by(records: list[dict]) -> dict[str, dict]:
    return {r["detector"]: r for r in records}


def _col(values: list[str | None], name: str | None = None) -> dict[str, dict]:
    return _by(SCANNER.scan_column("t.c", values, name=name))


# ---------------------------------------------------------------- checksums


def test_check_characters_match_the_standards_examples():
    assert mod11_2_ok("11010519491231002X")  # GB 11643-1999's own example
    assert not mod11_2_ok("110105194912310021")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert uscc_ok("91350100M000100Y43") and uscc_check_char("91350100M000100Y4") == "3"


def test_list_checksums_equal_the_single_value_ones():
    rng = random.Random(3)
    for n in (16, 17, 18, 19):
        vals = ["".join(rng.choice("0123456789") for _ in range(n)) for _ in range(500)]
        assert luhn_flags(vals) == [luhn_ok(v) for v in vals]
    ids = [_id("".join(rng.choice("0123456789") for _ in range(17))) for _ in range(300)]
    ids += ["".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X")
            for _ in range(300)]
    assert mod11_2_flags(ids) == [mod11_2_ok(v) for v in ids]
    codes = [syn.uscc(rng) for _ in range(200)] + [syn.uscc(rng)[:17] + "0" for _ in range(200)]
    assert uscc_flags(codes) == [uscc_ok(c) for c in codes]


def test_bulk_path_counts_what_the_one_by_one_reference_counts():
    rng = random.Random(9)
    toks: list[str] = []
    for _ in range(400):
        gen = rng.choice([syn.resident_id, syn.random_digits18, syn.mobile, syn.bank_card,
                          syn.luhn_order_number, syn.wrong_segment_phone, syn.uscc,
                          syn.hmt_residence_permit, syn.foreign_permanent_resident_id])
        toks.append(gen(rng))
    toks += [_id("1101019900230777"[:6] + f"{y}0229" + "123") for y in (1996, 1997, 2000, 1900)]
    for hints in (frozenset(), frozenset({"bank_card"}), frozenset({"prc_resident_id"})):
        fast, ref = DetectionTally(collect=True), DetectionTally(collect=True)
        rows = list(range(len(toks)))
        bulk.classify(toks, rows, fast, hints, False)
        bulk._one_by_one(toks, rows, ref, hints, False)
        got = {d: {c: sorted(r) for c, r in s.rows.items()} for d, s in fast.stats.items()}
        want = {d: {c: sorted(r) for c, r in s.rows.items()} for d, s in ref.stats.items()}
        assert got == want


# ---------------------------------------------------------------- resident IDs and permits


def test_resident_id_needs_province_real_past_date_and_check_char():
    assert evaluate(_id("11010519491231002"))[0] == ("prc_resident_id", 0)
    assert evaluate(_id("99010519491231002"))[0][1] != 0   # no such province
    # A province-level address code (GB/T 2260 lists 110000): an ID, as python-stdnum says.
    assert evaluate(_id("11000019491231002"))[0] == ("prc_resident_id", 0)
    assert evaluate(_id("11010518991231002"))[0][1] != 0   # before 1900
    assert evaluate(_id("11010520990101002"))[0][1] != 0   # in the future
    assert evaluate(_id("11010519490230002"))[0][1] != 0   # 30 February
    assert evaluate("110105194912310021")[0][1] != 0       # wrong check char


def test_permits_and_foreign_ids_are_their_own_detectors():
    rng = random.Random(1)
    hmt = syn.hmt_residence_permit(rng)
    foreign = syn.foreign_permanent_resident_id(rng)
    assert _col([hmt])["hmt_residence_permit"]["unmasked"] == 1
    assert _col([foreign])["foreign_permanent_resident_id"]["unmasked"] == 1
    assert "prc_resident_id" not in _col([hmt, foreign])


def test_a_single_valid_id_in_an_unhinted_column_is_a_detection():
    values = ["备注"] * 50 + [_id("31010419850612443")]
    rec = _col(values, "notes")["prc_resident_id"]
    assert rec["unmasked"] == 1 and rec["sampled"] == 51


def test_id_next_to_chinese_text_is_found_and_digit_runs_inside_longer_runs_are_not():
    pid = _id("11010119900307777")
    rec = _by(SCANNER.scan_text("doc", f"身份证号{pid}已核验"))
    assert rec["prc_resident_id"]["unmasked"] == 1
    assert "prc_resident_id" not in _by(SCANNER.scan_text("doc", f"1{pid}2 a{pid} {pid}b"))


def test_full_width_digits_are_normalised():
    pid = _id("44030519900101123")
    wide = pid.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert _col([wide], "id_number")["prc_resident_id"]["unmasked"] == 1
    assert _by(SCANNER.scan_text("t", f"证件：{wide}"))["prc_resident_id"]["unmasked"] == 1


def test_values_must_be_text_and_the_error_does_not_quote_them():
    with pytest.raises(TypeError) as e:
        SCANNER.scan_column("t.c", ["13812345678", 11010519491231002], name="id_number")
    assert "11010519491231002" not in str(e.value) and "#2" in str(e.value)
    with pytest.raises(TypeError):
        SCANNER.scan_column("t.c", ["a", 0.0])


# ---------------------------------------------------------------- cards, mobiles, others


def test_luhn_alone_is_not_enough_without_a_hint_or_a_high_pass_ratio():
    rng = random.Random(4)
    few = [syn.bank_card(rng) for _ in range(3)]
    assert "bank_card" not in _col(few, "ref")
    assert _col(few, "card_no")["bank_card"]["unmasked"] == 3
    assert _col(few, "银行卡号")["bank_card"]["unmasked"] == 3
    many = [syn.bank_card(rng) for _ in range(40)]
    assert _col(many, "c7")["bank_card"]["unmasked"] == 40  # nearly all pass: cards
    orders = [syn.luhn_order_number(rng) for _ in range(40)]
    assert "bank_card" not in _col(orders, "order_no")
    assert "bank_card" not in _col(orders, "ref")  # no issuer prefix


def test_random_18_digit_references_in_text_are_not_cards():
    rng = random.Random(12)
    text = "\n".join(f"GET /orders ref={syn.random_digits18(rng)}" for _ in range(300))
    assert _by(SCANNER.scan_text("t", text)).get("bank_card", {}).get("unmasked", 0) == 0


def test_mobile_segments_and_country_code():
    found = _by(SCANNER.scan_text("t", "tel 13812345678, +86 139 1234 5678, +8619912345678"))
    assert found["mobile_phone"]["unmasked"] == 3
    wrong = " ".join(["12012345678", "14012345678", "15412345678", "19412345678"])
    assert "mobile_phone" not in _by(SCANNER.scan_text("t", wrong))


def test_uscc_and_email_and_passport_and_permit():
    rng = random.Random(2)
    recs = _col([syn.uscc(rng) for _ in range(10)], "统一社会信用代码")
    assert recs["unified_social_credit_code"]["unmasked"] == 10
    bad = _col(["91350100M000100Y44"], "uscc")["unified_social_credit_code"]
    assert bad["unmasked"] == 0 and bad["tokenized"] == 1
    assert _col(["zhang.san@qq.com"], "email")["email"]["unmasked"] == 1
    assert _col(["E12345678", "EA1234567"], "passport")["passport"]["unmasked"] == 2
    assert "passport" not in _col(["E12345678"], "code")
    assert _col(["C12345678", "H1234567801"], "通行证号")["hmt_travel_permit"]["unmasked"] == 2
    assert _col(["张三", "欧阳娜娜"], "姓名")["person_name"]["unmasked"] == 2


# ---------------------------------------------------------------- masked and tokenized


@pytest.mark.parametrize(("value", "name", "detector"), [
    ("110101********1234", "id_number", "prc_resident_id"),
    ("110101xxxxxxxx1234", "id_number", "prc_resident_id"),
    ("6222 **** **** 1234", "card_no", "bank_card"),
    ("622202######1234", "card_no", "bank_card"),
    ("138****5678", "mobile", "mobile_phone"),
    ("138••••5678", "mobile", "mobile_phone"),
    ("z***@qq.com", "email", "email"),
    ("张*", "姓名", "person_name"),
])
def test_masked_forms_count_as_masked(value: str, name: str, detector: str):
    rec = _col([value], name)[detector]
    assert (rec["unmasked"], rec["masked"]) == (0, 1)


def test_reversible_masking_counts_as_unmasked():
    pid = _id("11010519491231002")
    one_digit = pid[:10] + "*" + pid[11:]
    check_char = pid[:17] + "*"
    rec = _col([one_digit, check_char], "id_number")["prc_resident_id"]
    assert (rec["unmasked"], rec["masked"]) == (2, 0)
    card = syn.bank_card(random.Random(1))
    one = card[:7] + "*" + card[8:]
    two = card[:7] + "**" + card[9:]  # Luhn leaves 10 completions
    rec = _col([one, two], "card_no")["bank_card"]
    assert (rec["unmasked"], rec["masked"]) == (1, 1)


def test_hashes_and_format_preserving_tokens_are_tokenized():
    rng = random.Random(6)
    hashed = [syn.tokenized(syn.resident_id(rng), rng, fpe=False) for _ in range(50)]
    rec = _col(hashed, "id_number")["prc_resident_id"]
    assert (rec["unmasked"], rec["tokenized"]) == (0, 50)
    fpe = [syn.tokenized(syn.bank_card(rng), rng, fpe=True) for _ in range(200)]
    rec = _col(fpe, "card_no")["bank_card"]
    # Format-preserving tokens that fail the check (as token vaults make them).
    assert (rec["unmasked"], rec["tokenized"]) == (0, 200)
    real = [syn.bank_card(rng) for _ in range(200)]
    assert _col(real, "card_no")["bank_card"]["unmasked"] == 200


def test_tokens_passing_the_check_by_chance_are_counted_with_a_lower_score():
    # Random digits behind a kept BIN: about one in ten passes Luhn. Nothing in such a value
    # tells it from a real card, so it is counted; the chance-level pass rate lowers the score.
    rng = random.Random(6)
    fpe = [c[:6] + "".join(rng.choice("0123456789") for _ in range(10))
           for c in (syn.bank_card(rng) for _ in range(300))]
    fpe = [v for v in fpe if len(v) == 16]
    passing = sum(luhn_ok(v) for v in fpe)
    rec = _col(fpe, "card_no")["bank_card"]
    assert 0 < passing < len(fpe) // 5
    assert (rec["unmasked"], rec["tokenized"]) == (passing, len(fpe) - passing)
    real = _col([syn.bank_card(rng) for _ in range(300)], "card_no")["bank_card"]
    assert rec["score"] < real["score"]


# ---------------------------------------------------------------- records, scores, schema


def test_records_carry_counts_sample_size_score_and_masked_evidence():
    rng = random.Random(8)
    vals = [syn.resident_id(rng) for _ in range(30)] + [None, ""] + ["110101********1234"] * 5
    rec = _col(vals, "sfzh")["prc_resident_id"]
    assert (rec["unmasked"], rec["masked"], rec["tokenized"], rec["sampled"]) == (30, 5, 0, 35)
    assert 0.9 <= rec["score"] <= 1.0
    assert len(rec["evidence"]) == 3 and all("********" in e for e in rec["evidence"])
    assert rec["evidence"][0].endswith("(row 1)")
    weak = _col(["13812345678"] + ["x"] * 99, "c")["mobile_phone"]["score"]
    assert weak < rec["score"]


def test_detector_names_are_the_configs():
    assert set(DETECTORS) == set(DEFAULT_CONTENT_LEVELS)


def test_content_block_merges_and_validates_against_the_inventory_schema():
    rng = random.Random(5)
    recs = []
    for _ in range(2):
        recs += SCANNER.scan_column("customers.id_number",
                                    [syn.resident_id(rng) for _ in range(20)], name="id_number")
    recs += SCANNER.scan_text("logs/a.log", f"mail {syn.email(rng)} tel {syn.mobile(rng)}")
    block = content_block(recs, {"rows": 40, "columns": 1, "objects": 1, "bytes": 900})
    ids = [d for d in block["detections"] if d["detector"] == "prc_resident_id"]
    assert len(ids) == 1 and ids[0]["unmasked"] == 40 and ids[0]["sampled"] == 40
    doc = {"format": "dsscan-inventory/1",
           "assets": [{"id": "db:customers", "kind": "table", "content": block},
                      {"id": "db:empty", "kind": "table",
                       "content": content_block([], {}, status="error", reason="timeout")}]}
    parse_inventory(doc, "test")
    with pytest.raises(ValueError):
        content_block([], {}, status="done")


# ---------------------------------------------------------------- accuracy and never leaking


def test_precision_and_recall_on_the_labelled_corpus():
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for col in syn.corpus(seed=21, rows=300):
        found = SCANNER.column_detail(col.name, col.values, name=col.name)
        for det in set(found) | set(col.truth):
            got, want = set(found.get(det, ())), col.truth.get(det, set())
            tp[det] = tp.get(det, 0) + len(got & want)
            fp[det] = fp.get(det, 0) + len(got - want)
            fn[det] = fn.get(det, 0) + len(want - got)
    for det in ("prc_resident_id", "unified_social_credit_code", "bank_card"):
        assert tp[det] / (tp[det] + fp[det]) >= 0.99, det
        assert tp[det] / (tp[det] + fn[det]) >= 0.99, det


def test_nothing_returned_holds_a_sampled_value_in_clear():
    raw: list[str] = []
    out: list[dict] = []
    for col in syn.corpus(seed=5, rows=200):
        raw += col.raw
        out += SCANNER.scan_column(f"t.{col.name}", col.values, name=col.name)
    text, _, text_raw = syn.text_corpus(seed=5, lines=1500)
    raw += text_raw
    out += SCANNER.scan_text("logs/app.log", text)
    blob = json.dumps(content_block(out, {"rows": 1}), ensure_ascii=False)
    assert out and raw
    leaked = [v for v in raw if v in blob]
    assert leaked == []
