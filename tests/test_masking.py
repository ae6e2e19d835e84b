"""Evidence masking: the second line of defence against leaking sampled values."""

from __future__ import annotations

import random

from dsscan import masking
from dsscan.masking import mask_evidence, mask_text, mask_text_full


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


# --- the fast path (pre-check and cache of clean texts) is the full masking -----------------

_FULLWIDTH = "０１２３４５６７８９"
_ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
_DEVANAGARI = "०१२३४५६७८९"


def _digits(rnd: random.Random, n: int) -> str:
    """n digits, some of them non-ASCII (\\d matches every Unicode decimal digit)."""
    alphabet = rnd.choice(["0123456789"] * 3 + [_FULLWIDTH, _ARABIC_INDIC, _DEVANAGARI])
    out = [rnd.choice(alphabet) for _ in range(n)]
    if rnd.random() < 0.2:  # a mixed run
        out[rnd.randrange(n)] = rnd.choice(_FULLWIDTH)
    return "".join(out)


def _piece(rnd: random.Random) -> str:
    """One adversarial fragment: near-misses on both sides of every pattern's boundaries."""
    kind = rnd.randrange(12)
    if kind == 0:  # digit runs around the 14..19 limits, split by spaces/dashes
        n = rnd.randint(10, 21)
        run = _digits(rnd, n)
        if rnd.random() < 0.5:
            run = "".join(c + rnd.choice(["", "", " ", "-", "  ", "--", " -"]) for c in run)
        return run + rnd.choice(["", "X", "x", "Y", "0"])
    if kind == 1:  # mobile numbers and their neighbours
        head = rnd.choice(["1", "2", "１"]) + rnd.choice("0123456789")
        return head + _digits(rnd, rnd.randint(8, 10))
    if kind == 2:  # e-mail addresses, valid and broken
        local = rnd.choice(["zhang.san", "a", "x+y", "-", ".", "张三", "_"])
        domain = rnd.choice(["qq.com", "bank.cn", "a.b.c", "localhost", "", ".com", "例子.中国"])
        return f"{local}{rnd.choice(['@', '@@', ' @', '＠'])}{domain}"
    if kind == 3:
        return rnd.choice(["客户身份证号", "手机号码", "数据", "核心账本", "ＡＢＣ", "é", "\u3000"])
    if kind == 4:  # cloud identifiers that must stay readable
        return rnd.choice(["111111111111", "arn:aws-cn:rds:cn-north-1:222222222222:db:x",
                           "sg-0abc", "vpc-000021", "snapshot-11526", "2026-01-02"])
    if kind == 5:
        return "".join(rnd.choice(" -Xx@.+_") for _ in range(rnd.randint(1, 4)))
    if kind == 6:  # already masked values
        return rnd.choice(["110101********123X", "138****5678", "z***@qq.com",
                           "622***********8901"])
    if kind == 7:
        return _digits(rnd, rnd.randint(1, 13))
    return "".join(rnd.choice("abcXYZ 0123456789-:/@._中文") for _ in range(rnd.randint(1, 8)))


def _adversarial_texts(n: int, seed: int = 20260101) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(_piece(rnd) for _ in range(rnd.randint(1, 6))) for _ in range(n)]


def test_fast_path_equals_full_masking_on_adversarial_texts():
    masking._CLEAN.clear()
    texts = _adversarial_texts(20000)
    changed = 0
    for text in texts:
        expected = mask_text_full(text)
        changed += expected != text
        assert mask_text(text) == expected, text
        assert mask_text(text) == expected, text  # a second time: from the cache, if clean
    # The generator does reach both sides: many texts are masked, many are left as they are.
    assert 2000 < changed < 18000


def test_texts_the_pre_check_passes_are_left_unchanged_by_the_full_masking():
    # The reason the fast path is exact: every digit chain contains a match of the pre-check
    # and every e-mail an "@", so a text with neither cannot be changed by the masking.
    # (The patterns run on the text with its digits in ASCII, as the pre-check does.)
    for raw in _adversarial_texts(20000, seed=7):
        text = masking._ascii_digits(raw)
        if masking._SUSPECT.search(text) is None and "@" not in text:
            assert mask_text_full(raw) == raw, raw
        for m in masking._CHAIN.finditer(text):
            assert masking._SUSPECT.search(m.group(0)), m.group(0)
        for m in masking._EMAIL.finditer(text):
            assert "@" in m.group(0)


def test_values_that_need_masking_are_never_cached():
    masking._CLEAN.clear()
    sensitive = ["11010119900307123X", "card 6222 0200 1234 5678 901", "138１２３４５６７８",
                 "13812345678", "zhang.san@qq.com", "客户张三 手机13812345678 邮箱 a@b.cn",
                 "身份证 ١١٠١٠١١٩٩٠٠٣٠٧١٢٣٤"]
    for text in sensitive:
        assert mask_text(text) == mask_text_full(text) != text
        assert mask_text(text) == mask_text_full(text)
    assert not any(t in masking._CLEAN for t in sensitive)


def test_full_width_mobile_numbers_are_masked():
    assert mask_text("手机１３８１２３４５６７８") == "手机138****5678"


def test_full_width_and_other_unicode_digits_are_masked_like_ascii_ones():
    for digits in (_FULLWIDTH, _ARABIC_INDIC):
        run = (digits * 2)[:18]
        out = mask_text(f"ID {run}")
        assert out == mask_text_full(f"ID {run}") and run not in out


def test_str_subclasses_bypass_the_cache():
    class Sneaky(str):
        def __hash__(self) -> int:
            return hash("harmless")

        def __eq__(self, other: object) -> bool:
            return True

    masking._CLEAN.clear()
    assert mask_text("harmless") == "harmless"  # now cached as clean
    assert mask_text(Sneaky("13812345678")) == "138****5678"


def test_the_cache_is_bounded(monkeypatch):
    masking._CLEAN.clear()
    monkeypatch.setattr(masking, "_CLEAN_MAX", 10)
    for i in range(25):
        assert mask_text(f"clean text {i}") == f"clean text {i}"
    assert len(masking._CLEAN) <= 10


def test_mask_evidence_matches_masking_every_string_of_a_copy():
    texts = _adversarial_texts(500, seed=3)
    ev = {"a": texts[:100], "b": {"c": texts[100:200], "d": [{"e": t} for t in texts[200:300]]},
          "n": 3, "t": tuple(texts[300:400]), "none": None, "flag": True}
    out = mask_evidence(ev)
    assert out == {"a": [mask_text_full(t) for t in texts[:100]],
                   "b": {"c": [mask_text_full(t) for t in texts[100:200]],
                         "d": [{"e": mask_text_full(t)} for t in texts[200:300]]},
                   "n": 3, "t": [mask_text_full(t) for t in texts[300:400]], "none": None,
                   "flag": True}
    assert out is not ev and out["a"] is not ev["a"]
