"""Detector precision/recall per type, labelled by third-party validators (issue 11 §6).

    pip install -e '.[bench]'      # Faker, python-stdnum, phonenumbers, creditcard-identifier
    python bench/bench_detect_accuracy.py                  # 1,000 values per cell, ~70k values
    python bench/bench_detect_accuracy.py --per-cell 4000 --seed 3

The corpus is generated here: Faker ``zh_CN`` (resident IDs, mobiles), Faker's card numbers
(Visa 13/16/19, Mastercard with the 2-series, AmEx, Discover, Diners, JCB, Maestro) and
UnionPay numbers, Faker ``zh_TW`` Taiwan IDs, credit codes, Hong Kong and Macau IDs — and
hand-made look-alikes: IMEIs, order numbers with a Luhn digit, timestamps, masked forms,
hashes and format-preserving tokens, numbers failing their check, impossible or future birth
dates, unknown region codes, unallocated mobile segments, landlines.

**Labels never come from dsscan.** A value (separators removed) is a resident ID if
``stdnum.cn.ric`` validates it, a credit code if ``stdnum.cn.uscc`` does, a mobile if
libphonenumber (``phonenumbers``) parses ``+86`` + its 11 national digits as a valid mobile
number, a card if ``stdnum.luhn`` validates it and bin-cc's brand table
(``creditcard-identifier``) names its scheme at that length — in that order of precedence (a
resident ID starting with 4 is also a Luhn-valid "Visa" one time in ten). Formats no third-party
validator covers are labelled by construction: Hong Kong (check digit computed here, from the
published algorithm), Macau (shape), pre-1999 15-digit IDs (placed only where a column name or
keyword says "ID"), and every look-alike that no validator accepts.

Each type is scanned in four contexts: a column with a hinting name, a column without one,
free-text lines with a keyword before the value and lines without. A cell holds ~70 % values of
the type in various written forms and ~30 % of its look-alikes; columns and lines of
look-alikes alone (``imei``, ``order_no``, ``created_ts``, ``ref``) measure false positives.
A value counts as found when dsscan counts its row (line) unmasked for that detector
(``ContentScanner.column_detail`` / ``text_detail``). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    import creditcard_identifier
    import phonenumbers
    from faker import Faker
    from stdnum import exceptions as std_exceptions
    from stdnum import imei as std_imei
    from stdnum import luhn as std_luhn
    from stdnum import numdb
    from stdnum.cn import ric as std_ric
    from stdnum.cn import uscc as std_uscc
except ImportError as e:  # pragma: no cover - a bench dependency is missing
    sys.exit(f"bench_detect_accuracy needs the bench extra: pip install -e '.[bench]' ({e})")

from dsscan.detection import ContentScanner

RESIDENT, CARD, MOBILE, USCC, HMT = ("prc_resident_id", "bank_card", "mobile_phone",
                                     "unified_social_credit_code", "hmt_identity_card")
TYPES = (RESIDENT, CARD, MOBILE, USCC, HMT)
CONTEXTS = ("column, hint", "column, no hint", "text, keyword", "text, no keyword")
HINT_NAMES = {RESIDENT: "id_number", CARD: "card_no", MOBILE: "mobile", USCC: "credit_code",
              HMT: "证件号码"}
KEYWORDS = {RESIDENT: "身份证号 ", CARD: "card_no=", MOBILE: "联系电话 ",
            USCC: "统一社会信用代码:", HMT: "证件号码 "}

# ---------------------------------------------------------------- the oracles


def _compact(v: str) -> str:
    return v.replace(" ", "").replace("-", "")


def card_oracle(c: str) -> bool:
    if not (c.isdigit() and 12 <= len(c) <= 19 and std_luhn.is_valid(c)):
        return False
    brand = creditcard_identifier.find_brand(c)
    # UATP (1 + 14 digits, airline accounts) is no bank card; dsscan leaves it out on purpose.
    return brand is not None and brand["name"] != "uatp"


def mobile_oracle(c: str) -> bool:
    for prefix in ("+86", "0086", "86", ""):
        if c.startswith(prefix) and len(c) - len(prefix) == 11 and c[len(prefix):].isdigit():
            n = phonenumbers.parse("+86" + c[len(prefix):])
            return phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return False


_LOC = numdb.get("cn/loc")


def ric_oracle(c: str) -> bool:
    """``stdnum.cn.ric`` — check character, birth date, a county in its GB/T 2260 history —
    without one rule of it: that the county code existed in the holder's birth year. IDs get
    the code in force when they are issued (at 16, or on moving), so a person born in 1990
    with a code created in 1998 is normal, and Faker's 2015 codes would fail by the thousand.
    (python-stdnum 2.2 also raises KeyError for a province or prefecture code: no county.)"""
    if len(c) != 18 or not c[:17].isdigit() or c[17] != std_ric.calc_check_digit(c):
        return False
    try:
        std_ric.get_birth_date(c)
    except std_exceptions.ValidationError:
        return False
    info = {k: v for _, props in _LOC.info(c[:6]) for k, v in props.items()}
    return "county" in info


ORACLES: dict[str, Callable[[str], bool]] = {
    RESIDENT: ric_oracle, USCC: lambda c: len(c) == 18 and std_uscc.is_valid(c),
    MOBILE: mobile_oracle, CARD: card_oracle}


def oracle(family: str, value: str) -> bool:
    """Whether third-party validators accept ``value`` as a ``family`` identifier."""
    return ORACLES[family](_compact(value).upper() if family != MOBILE else _compact(value))


# ---------------------------------------------------------------- HK / Macau / Taiwan (own)


def hk_check(prefix: str, digits6: str) -> str:
    """Hong Kong identity card check character (published algorithm, written here)."""
    letters = prefix.rjust(2)
    vals = [36 if ch == " " else ord(ch) - 55 for ch in letters] + [int(d) for d in digits6]
    s = sum(v * w for v, w in zip(vals, range(9, 1, -1), strict=True))
    c = (11 - s % 11) % 11
    return "A" if c == 10 else str(c)


# ---------------------------------------------------------------- generators


@dataclass
class Case:
    value: str
    kind: str
    label: str | None  # by construction (HMT, 15-digit IDs); else the family's oracle
    family: str = ""   # the type the generator imitates (set by ``Gen``)
    lookalike: bool = False  # made not to be one: negative by construction


# Look-alikes whose verdict is the validators' (random numbers that may be real, and the two
# kinds where dsscan applies a rule python-stdnum does not: shown as disagreements).
ORACLE_JUDGED = frozenset({"random 1xx segment", "uscc organisation code unchecked",
                           "uscc letter authority"})


def _of(family: str, *, lookalike: bool = False
        ) -> Callable[[Callable[..., Case]], Callable[..., Case]]:
    """Marks the cases a generator method returns with the type they imitate."""
    def wrap(fn: Callable[..., Case]) -> Callable[..., Case]:
        def inner(*a: object) -> Case:
            c = fn(*a)
            c.family = family
            c.lookalike = lookalike and c.kind not in ORACLE_JUDGED
            return c
        return inner
    return wrap


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cn = Faker("zh_CN")
        self.cn.seed_instance(seed)
        self.tw = Faker("zh_TW")
        self.tw.seed_instance(seed + 1)
        self.en = Faker("en_US")
        self.en.seed_instance(seed + 2)

    def moment(self) -> datetime.datetime:
        return datetime.datetime(2015, 1, 1) + datetime.timedelta(
            seconds=self.rng.randrange(11 * 365 * 86400))

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def luhn(self, body: str) -> str:
        return body + std_luhn.calc_check_digit(body)

    def bad_last(self, v: str, alphabet: str = "0123456789") -> str:
        return v[:-1] + self.rng.choice([c for c in alphabet if c != v[-1]])

    # resident IDs
    def ric(self) -> str:
        return self.cn.ssn()

    def ric_with(self, region: str, date: str) -> str:
        body = region + date + self.digits(3)
        return body + std_ric.calc_check_digit(body + "0")

    @_of(RESIDENT)
    def resident(self) -> Case:
        r = self.rng.random()
        v = self.ric()
        if r < 0.5:
            return Case(v, "ric", None)
        if r < 0.75:
            sep = self.rng.choice(" -")
            return Case(f"{v[:6]}{sep}{v[6:14]}{sep}{v[14:]}", "ric grouped 6-8-4", None)
        if r < 0.85 and v[-1] == "X":
            return Case(v[:-1] + "x", "ric lower-case x", None)
        return Case(v, "ric", None)

    @_of(RESIDENT)
    def old15(self) -> Case:
        region = self.cn.ssn()[:6]
        d = f"{self.rng.randrange(30, 99):02d}{self.rng.randrange(1, 13):02d}" \
            f"{self.rng.randrange(1, 29):02d}"
        return Case(region + d + self.digits(3), "ric 15-digit (1989)", RESIDENT)

    @_of(RESIDENT, lookalike=True)
    def resident_lookalike(self) -> Case:
        v = self.ric()
        k = self.rng.randrange(9)
        if k == 0:
            return Case(self.bad_last(v, "0123456789X"), "ric check fails", None)
        if k == 1:
            return Case(self.ric_with(v[:6], f"{self.rng.randrange(1950, 2000)}0230"),
                        "ric 30 February", None)
        if k == 2:
            return Case(self.ric_with(v[:6], f"{self.rng.randrange(1950, 2000)}1301"),
                        "ric month 13", None)
        if k == 3:
            return Case(self.ric_with(self.rng.choice(("00", "99", "19", "72")) + v[2:6],
                                      v[6:14]), "ric unknown province", None)
        if k == 4:
            return Case(self.ric_with(v[:6], f"{self.rng.randrange(2030, 2099)}0101"),
                        "ric future birth date", None)
        if k == 5:
            return Case(f"{v[:6]}********{v[-4:]}", "ric masked", None)
        if k == 6:
            return Case(hashlib.sha256(v.encode()).hexdigest(), "hash", None)
        if k == 7:
            return Case(v[:6] + self.digits(12), "ric format-preserving token", None)
        return Case(self.moment().strftime("%Y%m%d%H%M%S") + self.digits(4),
                    "timestamp 18 digits", None)

    # cards
    @_of(CARD)
    def card(self) -> Case:
        r = self.rng.random()
        if r < 0.25:
            bin_ = self.rng.choice(("622202", "622848", "621700", "622588", "625965", "628288"))
            v = self.luhn(bin_ + self.digits(self.rng.choice((9, 12))))
            kind = "unionpay"
        else:
            t = self.rng.choice(("visa16", "visa13", "visa19", "mastercard", "mastercard",
                                 "amex", "discover", "diners", "jcb16", "maestro"))
            v = self.en.credit_card_number(card_type=t)
            kind = t
        if self.rng.random() < 0.25:
            v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
            kind += " grouped"
        return Case(v, kind, None)

    @_of(CARD, lookalike=True)
    def card_lookalike(self) -> Case:
        k = self.rng.randrange(7)
        if k == 0:
            return Case(self.bad_last(_compact(self.card().value)), "card check fails", None)
        if k == 1:
            v = _compact(self.card().value)
            return Case(f"{v[:4]} **** **** {v[-4:]}", "card masked", None)
        if k == 2:
            v = _compact(self.card().value)
            return Case(v[:6] + self.digits(len(v) - 6), "card format-preserving token", None)
        if k == 3:
            return Case(self.imei(), "IMEI", None)
        if k == 4:
            return Case(self.order_no(), "order number with Luhn digit", None)
        if k == 5:
            return Case(str(self.rng.randrange(1_500_000_000_000, 1_800_000_000_000)),
                        "timestamp 13 digits (ms)", None)
        return Case(self.luhn(self.rng.choice("17") + self.digits(14)), "Luhn, no scheme", None)

    def imei(self) -> str:
        return self._imei(self.rng.choice(("35", "86", "01", "99")))

    def _imei(self, tac: str) -> str:
        body = tac + self.digits(14 - len(tac))
        v = body + std_luhn.calc_check_digit(body)  # the IMEI check digit is Luhn's
        assert std_imei.is_valid(v)
        return v

    def order_no(self) -> str:
        body = self.moment().strftime("%Y%m%d") + self.digits(self.rng.choice((7, 10)))
        return self.luhn(body)

    # mobiles
    @_of(MOBILE)
    def mobile(self) -> Case:
        v = self.cn.phone_number()
        k = self.rng.randrange(8)
        forms = (v, f"+86 {v[:3]} {v[3:7]} {v[7:]}", f"+86-{v[:3]}-{v[3:7]}-{v[7:]}",
                 f"0086 {v[:3]} {v[3:7]} {v[7:]}", f"0086{v}", f"86{v}",
                 f"{v[:3]}-{v[3:7]}-{v[7:]}", f"+86{v}")
        names = ("mobile", "+86 grouped", "+86 dashes", "0086 grouped", "0086 compact",
                 "86 compact", "mobile dashes", "+86 compact")
        return Case(forms[k], names[k], None)

    @_of(MOBILE, lookalike=True)
    def mobile_lookalike(self) -> Case:
        k = self.rng.randrange(5)
        if k == 0:
            return Case("1" + self.digits(10), "random 1xx segment", None)
        if k == 1:
            area = self.rng.choice(("010", "021", "0755", "0571", "028"))
            return Case(f"{area}-{self.digits(8)}", "landline", None)
        if k == 2:
            v = self.cn.phone_number()
            return Case(f"{v[:3]}****{v[-4:]}", "mobile masked", None)
        if k == 3:
            return Case(self.rng.choice(("154", "194", "140", "144", "179", "160", "120"))
                        + self.digits(8), "unallocated segment", None)
        return Case(self.cn.phone_number() + self.digits(1), "12 digits", None)

    # credit codes
    def org(self, alphabet: str) -> str:
        body = "".join(self.rng.choice(alphabet) for _ in range(8))
        total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2),
                                                   strict=True))
        c = 11 - total % 11
        return body + ("X" if c == 10 else "0" if c == 11 else str(c))

    def uscc_with(self, auth: str, org: str) -> str:
        body = auth + self.rng.choice("123") + self.cn.ssn()[:6] + org
        return body + std_uscc.calc_check_digit(body)

    @_of(USCC)
    def uscc(self) -> Case:
        r = self.rng.random()
        if r < 0.5:
            return Case(self.uscc_with(self.rng.choice("91595"), self.org("0123456789")),
                        "uscc legacy organisation code", None)
        alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        org = self.org(alpha)
        kind = "uscc with X inside" if "X" in org else "uscc"
        return Case(self.uscc_with("9", org), kind, None)

    @_of(USCC, lookalike=True)
    def uscc_lookalike(self) -> Case:
        k = self.rng.randrange(5)
        v = self.uscc().value
        if k == 0:
            return Case(self.bad_last(v, "0123456789ABCDEFGHJKLMNPQRTUWXY"), "uscc check fails",
                        None)
        if k == 1:
            return Case(v[:8] + "******" + v[14:], "uscc masked", None)
        if k == 2:
            return Case(v[:8] + "XXXXXXXXX" + v[17:], "uscc x-masked", None)
        if k == 3:  # no GB 11714 check in an all-digit organisation code (stdnum: valid)
            org = self.digits(9)
            return Case(self.uscc_with("9", org), "uscc organisation code unchecked", None)
        # registration authority Y/A/N (GB 32100 and later notices; stdnum wants a digit)
        return Case(self.uscc_with(self.rng.choice("YAN"), self.org("0123456789")),
                    "uscc letter authority", None)

    # Hong Kong / Macau / Taiwan
    @_of(HMT)
    def hmt(self) -> Case:
        k = self.rng.randrange(5)
        if k <= 1:
            p = self.rng.choice("ABCDEGHKMPRVWYZ") if self.rng.random() < 0.8 else \
                self.rng.choice(("XA", "WX", "XG"))
            d = self.digits(6)
            c = hk_check(p, d)
            if k == 0:
                return Case(f"{p}{d}({c})", "HK bracketed", HMT)
            return Case(f"{p}{d}{c}", "HK compact", HMT)
        if k <= 3:
            return Case(self.tw.ssn(), "Taiwan (Faker zh_TW)", HMT)
        return Case(f"{self.rng.choice('157')}{self.digits(6)}({self.digits(1)})", "Macau", HMT)

    @_of(HMT, lookalike=True)
    def hmt_lookalike(self) -> Case:
        k = self.rng.randrange(4)
        if k == 0:
            p, d = self.rng.choice("ABCDEGHKMPRVWYZ"), self.digits(6)
            c = hk_check(p, d)
            bad = self.rng.choice([x for x in "0123456789A" if x != c])
            return Case(f"{p}{d}({bad})", "HK check fails", None)
        if k == 1:
            v = self.tw.ssn()
            return Case(self.bad_last(v), "Taiwan check fails", None)
        if k == 2:
            return Case(self.rng.choice("ABCDEFGH") + self.rng.choice("034567")
                        + self.digits(8), "letter + 9 digits (product code)", None)
        return Case(f"{self.rng.choice('234689')}{self.digits(6)}({self.digits(1)})",
                    "bracketed 7+1 digits, not Macau", None)

    def negative(self) -> Case:
        return self.rng.choice((self.resident_lookalike, self.card_lookalike,
                                self.mobile_lookalike, self.uscc_lookalike,
                                self.hmt_lookalike))()


def labelled(c: Case) -> str | None:
    """Construction where no validator exists; else the validator of the type the value
    imitates (so a resident ID that is also a Luhn-valid number in Visa's range is judged as a
    resident ID, and a timestamp passing GB 32100's mod-31 check by chance is no credit code)."""
    if c.label is not None or c.family == HMT or c.lookalike:
        return c.label
    return c.family if oracle(c.family, c.value) else None


# ---------------------------------------------------------------- corpus and scoring


@dataclass
class Cell:
    family: str  # a type, or "look-alikes"
    context: str
    name: str | None
    cases: list[Case]


def corpus(seed: int, per_cell: int) -> list[Cell]:
    g = Gen(seed)
    pos: dict[str, Callable[[], Case]] = {RESIDENT: g.resident, CARD: g.card, MOBILE: g.mobile,
                                          USCC: g.uscc, HMT: g.hmt}
    neg: dict[str, Callable[[], Case]] = {
        RESIDENT: g.resident_lookalike, CARD: g.card_lookalike, MOBILE: g.mobile_lookalike,
        USCC: g.uscc_lookalike, HMT: g.hmt_lookalike}
    cells = []
    for t in TYPES:
        for ctx in CONTEXTS:
            hinted = ctx in ("column, hint", "text, keyword")
            cases = []
            for _ in range(per_cell):
                r = g.rng.random()
                if r < 0.7:
                    # 15-digit IDs only where the name or a keyword says "ID".
                    cases.append(g.old15() if t == RESIDENT and hinted and r < 0.07
                                 else pos[t]())
                else:
                    cases.append(neg[t]())
            name = HINT_NAMES[t] if ctx == "column, hint" else "c1"
            cells.append(Cell(t, ctx, name, cases))
    # Look-alikes alone, in the columns and lines they come in.
    for name, gen in (("imei", lambda: Case(g._imei(g.rng.choice(("35", "86"))), "IMEI",
                                            None, CARD, True)),
                      ("order_no", lambda: Case(g.order_no(), "order number with Luhn digit",
                                                None, CARD, True)),
                      ("created_ts", g.card_lookalike), ("ref", g.negative)):
        cells.append(Cell("look-alikes", "column", name, [gen() for _ in range(per_cell)]))
    cells.append(Cell("look-alikes", "text", None, [g.negative() for _ in range(per_cell)]))
    return cells


# stdnum.cn.ric validates every GB 11643-format number; dsscan names two of them apart.
_GB11643 = {"hmt_residence_permit": RESIDENT, "foreign_permanent_resident_id": RESIDENT}


def run_cell(scanner: ContentScanner, cell: Cell) -> dict[str, set[int]]:
    if cell.context.startswith("column"):
        found = scanner.column_detail(f"t.{cell.name}", [c.value for c in cell.cases],
                                      name=cell.name)
    else:
        kw = KEYWORDS.get(cell.family, "") if cell.context == "text, keyword" else "value "
        lines = [f"line {i:05d} INFO {kw}{c.value} 已处理" for i, c in enumerate(cell.cases)]
        found = scanner.text_detail("t.log", "\n".join(lines))
    out: dict[str, set[int]] = {}
    for d, rows in found.items():
        out.setdefault(_GB11643.get(d, d), set()).update(rows)
    return out


def score(cells: list[Cell], scanner: ContentScanner) -> tuple[dict, dict, dict]:
    table: dict[tuple[str, str], dict[str, int]] = {}
    by_kind_fp: dict[str, list[int]] = {}   # look-alike kind -> [n, FP]
    by_kind_fn: dict[str, list[int]] = {}   # positive kind -> [n, FN]
    for cell in cells:
        found = run_cell(scanner, cell)
        for row, c in enumerate(cell.cases):
            truth = labelled(c)
            got = {d for d, rows in found.items() if row in rows}
            for t in TYPES:
                if truth != t and t not in got:
                    continue
                key = (t, cell.context if cell.family != "look-alikes"
                       else f"look-alikes ({cell.context})")
                cnt = table.setdefault(key, {"n": 0, "tp": 0, "fp": 0, "fn": 0})
                if truth == t:
                    cnt["n"] += 1
                    cnt["tp" if t in got else "fn"] += 1
                    fn = by_kind_fn.setdefault(f"{t}: {c.kind}", [0, 0])
                    fn[0] += 1
                    fn[1] += t not in got
                else:
                    cnt["fp"] += 1
            if truth is None:
                fp = by_kind_fp.setdefault(c.kind, [0, 0])
                fp[0] += 1
                fp[1] += bool(got)
    return table, by_kind_fp, by_kind_fn


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.4f}" if b else "—"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-cell", type=int, default=1000, help="values per (type, context)")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    t0 = time.perf_counter()
    cells = corpus(args.seed, args.per_cell)
    n_values = sum(len(c.cases) for c in cells)
    table, fp_kinds, fn_kinds = score(cells, ContentScanner())
    print(f"{n_values:,} values, seed {args.seed}, {time.perf_counter() - t0:.1f} s; "
          f"labels: stdnum {std_ric.__name__.split('.')[0]}, phonenumbers "
          f"{phonenumbers.__version__}, creditcard-identifier, Faker")
    print(f"\n{'type':<28} {'context':<26} {'n':>6} {'TP':>6} {'FP':>5} {'FN':>5} "
          f"{'precision':>9} {'recall':>7}")
    totals: dict[str, dict[str, int]] = {}
    for (t, ctx), c in sorted(table.items()):
        print(f"{t:<28} {ctx:<26} {c['n']:>6} {c['tp']:>6} {c['fp']:>5} {c['fn']:>5} "
              f"{_ratio(c['tp'], c['tp'] + c['fp']):>9} {_ratio(c['tp'], c['tp'] + c['fn']):>7}")
        tot = totals.setdefault(t, {"n": 0, "tp": 0, "fp": 0, "fn": 0})
        for k in tot:
            tot[k] += c[k]
    print()
    for t, c in sorted(totals.items()):
        print(f"{t:<28} {'all':<26} {c['n']:>6} {c['tp']:>6} {c['fp']:>5} {c['fn']:>5} "
              f"{_ratio(c['tp'], c['tp'] + c['fp']):>9} {_ratio(c['tp'], c['tp'] + c['fn']):>7}")
    print(f"\n{'look-alike (no validator accepts it)':<44} {'n':>6} {'counted':>8}")
    for kind, (n, fp) in sorted(fp_kinds.items()):
        print(f"{kind:<44} {n:>6} {fp:>8}")
    print(f"\n{'positive kind':<60} {'n':>6} {'missed':>7}")
    for kind, (n, fn) in sorted(fn_kinds.items()):
        print(f"{kind:<60} {n:>6} {fn:>7}")


if __name__ == "__main__":
    main()
