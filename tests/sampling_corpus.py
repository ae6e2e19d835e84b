"""Generated customer data for the sampler tests: seeded, so every run loads the same rows.

Identifiers are made to validate the way real ones do (resident IDs: real region codes and
birth dates, the ISO 7064 MOD 11-2 check; cards: UnionPay 62 prefix and Luhn), next to their
masked, tokenized and hashed forms. ``RAW`` collects every clear value generated, for the
never-leak tests: none of them may appear in any output.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

# Real county-level codes (GB/T 2260): Beijing Dongcheng, Shanghai Huangpu, Guangzhou Tianhe,
# Hangzhou Xihu, Chengdu Jinjiang, Wuhan Jiang'an, Nanjing Xuanwu, Shenzhen Futian.
REGIONS = ("110101", "310101", "440106", "330106", "510104", "420102", "320102", "440304")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "177", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")
DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "icbc.com.cn")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚"


def id_check(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit."""
    total = 0
    for i, c in enumerate(reversed(prefix)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


@dataclass
class Corpus:
    seed: int = 20240601
    rng: random.Random = field(init=False)
    raw: set[str] = field(default_factory=set)  # every clear value handed out

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _keep(self, v: str) -> str:
        self.raw.add(v)
        return v

    def resident_id(self, digits_only: bool = False) -> str:
        while True:
            born = date(1950, 1, 1) + timedelta(days=self.rng.randrange(20000))
            first = f"{self.rng.choice(REGIONS)}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            check = id_check(first)
            if not digits_only or check != "X":
                return self._keep(first + check)

    def mobile(self) -> str:
        return self._keep(self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}")

    def card(self) -> str:
        length = self.rng.choice((16, 19))
        body = "62" + self.rng.choice(("2202", "2848", "1700", "2588")) + "".join(
            str(self.rng.randrange(10)) for _ in range(length - 7))
        return self._keep(luhn_complete(body))

    def email(self) -> str:
        user = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        return self._keep(f"{user}{self.rng.randrange(100, 999)}@{self.rng.choice(DOMAINS)}")

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN)
                                                   for _ in range(self.rng.choice((1, 2))))

    def token(self, length: int = 18) -> str:
        """A format-preserving token: random digits of the same length (fails the checks)."""
        return "".join(str(self.rng.randrange(10)) for _ in range(length))

    def customers(self, n: int) -> list[dict[str, str]]:
        rows = []
        for i in range(n):
            rid, num_id, mob, card, mail = (self.resident_id(), self.resident_id(True),
                                            self.mobile(), self.card(), self.email())
            rows.append({
                "customer_no": f"C{100000 + i}",
                "full_name": self.name(),
                "id_number": rid,  # unmasked
                "id_number_num": num_id,  # unmasked, stored as NUMERIC(18,0) in databases
                "id_masked": f"{rid[:6]}********{rid[-4:]}",
                "id_token": self.token(),
                "id_hash": hashlib.sha256(rid.encode()).hexdigest(),
                "mobile": mob,
                "mobile_masked": f"{mob[:3]}****{mob[-4:]}",
                "card_no": card,
                "card_masked": f"{card[:4]} **** **** {card[-4:]}",
                "email": mail,
                "email_masked": f"{mail[0]}***@{mail.split('@')[1]}",
                "note": self.rng.choice(("VIP", "retail", "payroll", "", "closed")),
            })
        return rows


COLUMNS = ("customer_no", "full_name", "id_number", "id_number_num", "id_masked", "id_token",
           "id_hash", "mobile", "mobile_masked", "card_no", "card_masked", "email",
           "email_masked", "note")


def csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    lines = [delimiter.join(COLUMNS)]
    lines += [delimiter.join(r[c] for c in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def masked_only(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The desensitized twin: only the masked, tokenized and hashed columns."""
    keep = ("customer_no", "id_masked", "id_token", "id_hash", "mobile_masked", "card_masked",
            "email_masked", "note")
    return [{k: r[k] for k in keep} for r in rows]
