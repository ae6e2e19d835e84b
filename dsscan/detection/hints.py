"""Column/field name hints and the keywords of free text, per detector.

A hint is what makes a weak format (a Luhn-valid number, a passport-shaped code) count: a
column named ``card_no`` holding 16-digit Luhn numbers holds cards, a column ``order_no``
does not. Short codes (``xm``, ``kh``, ``pan``) count as whole name parts only; longer ones
anywhere in the name.
"""

from __future__ import annotations

import re
from functools import cache

from dsscan.detection.normalize import normalize_name

# Generic identity-document names: any of the ID-document detectors.
_ID_DOCS = ("prc_resident_id", "foreign_permanent_resident_id", "hmt_residence_permit",
            "passport", "hmt_travel_permit", "hmt_identity_card")

# detector(s) → (substrings anywhere in the name, whole name parts)
_HINTS: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    # Identity card names say nothing of the issuer: HK/Macau/Taiwan cards have other shapes.
    (("prc_resident_id", "hmt_identity_card"),
     ("idnumber", "id_number", "id_no", "idno", "idcard", "id_card", "identity", "citizen",
      "national_id", "resident_id", "sfzh", "sfzhm", "sfz_", "身份证", "身份證", "身分證",
      "公民身份"), ("sfz",)),
    (("hmt_identity_card",),
     ("hkid", "hk_id", "hkic", "macau_id", "macao_id", "taiwan_id", "tw_id", "香港身份",
      "澳门身份", "澳門身份", "台湾身份", "臺灣身分", "台灣身分", "國民身分", "统一证号"),
     ("bir",)),
    (_ID_DOCS,
     ("cert_no", "certno", "cert_num", "certificate", "zjhm", "证件号", "证件号码", "证照"),
     ("zjh", "zj")),
    (("foreign_permanent_resident_id",),
     ("permanent_resident", "pr_card", "永居", "永久居留"), ()),
    (("hmt_residence_permit",), ("residence_permit", "居住证"), ()),
    (("passport",), ("passport", "护照"), ("hzh", "hzhm")),
    (("hmt_travel_permit",),
     ("travel_permit", "entry_permit", "home_return", "通行证", "回乡证", "台胞证"),
     ("txz", "txzh")),
    (("bank_card",),
     ("card_no", "cardno", "card_num", "bank_card", "bankcard", "acct_no", "acctno",
      "account_no", "account_number", "卡号", "银行卡", "账号", "帐号", "yhkh"),
     ("card", "pan", "kh", "acct")),
    (("mobile_phone",),
     ("mobile", "phone", "cellphone", "msisdn", "telephone", "手机", "电话", "联系方式", "sjhm",
      "lxdh"), ("tel", "cell", "sjh", "mob")),
    (("email",), ("email", "e_mail", "mail", "邮箱", "邮件", "电子邮"), ()),
    (("unified_social_credit_code",),
     ("uscc", "usci", "credit_code", "social_credit", "tyshxydm", "xydm", "统一社会信用",
      "信用代码", "营业执照"), ()),
    (("person_name",),
     ("full_name", "real_name", "cust_name", "customer_name", "client_name", "holder_name",
      "姓名", "户名", "联系人", "持卡人", "客户名"), ("name", "xm", "khmc")),
]

# Names that say "not personal data of that kind" even when a hint word appears in them.
_NEGATIVE = ("order", "txn", "trade", "serial", "trace", "flow", "batch", "invoice", "sku",
             "imei", "meid", "imsi", "iccid", "订单", "流水", "交易", "批次", "发票", "串号")
_NOT_PERSON = ("file", "table", "host", "user_name", "username", "product", "company",
               "org", "bank_name", "branch", "column", "field", "brand")

_PARTS = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


@cache
def column_hints(name: str | None) -> tuple[frozenset[str], bool]:
    """(detectors the name points to, whether it names a non-personal number such as orders)."""
    n = normalize_name(name)
    if not n:
        return frozenset(), False
    parts = set(_PARTS.split(n)) - {""}
    padded = f"_{'_'.join(sorted(parts))}_" if parts else ""
    out: set[str] = set()
    for dets, subs, whole in _HINTS:
        if any(s in n for s in subs) or any(w in parts for w in whole):
            out.update(dets)
    if "person_name" in out and any(s in padded or s in n for s in _NOT_PERSON):
        out.discard("person_name")
    negative = any(s in n for s in _NEGATIVE)
    if negative:
        out.discard("bank_card")
    return frozenset(out), negative


# Free text: a keyword shortly before a weak candidate plays the part of a column hint.
CONTEXT_WINDOW = 24
_CONTEXT_WORDS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("bank_card",), ("card", "卡号", "银行卡", "账号", "帐号", "acct", "pan")),
    (("passport",), ("passport", "护照")),
    (("hmt_travel_permit",), ("permit", "通行证", "回乡证", "台胞证")),
    (("prc_resident_id", "foreign_permanent_resident_id", "hmt_identity_card"),
     ("身份证", "身份證", "身分證", "证件", "證件", "idcard", "id_no", "id no", "id number",
      "idno", "永居", "永久居留")),
    (("hmt_identity_card",), ("hkid", "香港身份", "澳门身份", "澳門身份", "台湾身份")),
    (("person_name",), ("姓名", "户名", "联系人", "持卡人", "客户")),
]
_NEGATIVE_CONTEXT = ("order", "txn", "trade", "serial", "trace", "imei", "meid", "订单", "流水",
                     "交易号", "单号", "串号")


def context_hints(window: str) -> tuple[frozenset[str], bool]:
    """Detectors named by keywords in ``window`` (the text just before a candidate)."""
    window = window.lower()
    if not window:
        return frozenset(), False
    out: set[str] = set()
    for dets, words in _CONTEXT_WORDS:
        if any(w in window for w in words):
            out.update(dets)
    return frozenset(out), any(w in window for w in _NEGATIVE_CONTEXT)
