"""Reference data of the identifier formats: codes, segments, IIN ranges, alphabets, surnames.

Sources: GB 11643-1999 (citizen identity number: 6-digit address code, 8-digit birth date,
3-digit sequence, ISO 7064 MOD 11-2 check); GB/T 2260 (province-level codes); the Ministry of
Public Security rule for HK/Macau/Taiwan residence permits (address codes 810000/820000/830000);
the National Immigration Administration's 2023 foreign permanent resident ID (18 digits, first
digit 9, MOD 11-2; the earlier card: 3 letters + 12 digits); GB 32100-2015 (unified social
credit code); MIIT number segments; the card schemes' IIN ranges; NIA passport / exit-entry
permit numbering notices; the HK, Macau and Taiwan identity card formats.
"""

from __future__ import annotations

# GB/T 2260 province-level codes of mainland residents (first two digits of a resident ID).
# 71 (Taiwan) is in GB/T 2260 but no ID is issued under it; 81/82/83 are the residence-permit
# address codes, validated as their own detector.
PROVINCES: frozenset[str] = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65"])

# Address codes of the HK / Macau / Taiwan residents' residence permits (2018).
HMT_PERMIT_PREFIXES: frozenset[str] = frozenset({"810000", "820000", "830000"})

# Mainland public mobile segments of 11-digit numbers, per the MIIT allocation (工业和信息化部
# 电信网码号资源: the national numbering plan and its later allocations — 166/198/199 in 2017,
# 190/192/196/197 in December 2019, 192 to China Broadnet; 162/165/167/170/171 to virtual
# operators; 1740x to Tiantong satellite), cross-checked with the CN mobile pattern of Google's
# libphonenumber (phonenumbers 9.0.43: 1610 and 1740[0-5] blocks). A segment counts as soon as
# a block of it is allocated to numbers people carry:
#   13x; 145-149 (data cards and 11-digit IoT numbers; 140-144 hold 13-digit IoT numbers);
#   15x but 154; 161 (1610 block), 162, 165, 166, 167; 170-178 (174: satellite); 18x;
#   19x but 194.
# Not allocated: 10x-12x, 140-144 (at 11 digits), 154, 160, 163, 164, 168, 169, 179, 194.
MOBILE_SEGMENTS: frozenset[str] = frozenset(
    [f"13{d}" for d in range(10)] + ["145", "146", "147", "148", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)] + ["161", "162", "165", "166", "167"]
    + [f"17{d}" for d in range(9)] + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)])

# Payment card issuer identification numbers (ISO/IEC 7812) by scheme: (first and last
# 4-digit prefix, the lengths the scheme issues). From the schemes' published ranges: Visa 4
# (13-19), Mastercard 51-55 and the 2-series 2221-2720 (16), American Express 34/37 (15),
# UnionPay 62 and 81 (16-19), JCB 35 (16-19: 3528-3589, with the neighbouring LankaPay 357111
# and unassigned blocks, as card BIN tables list it; the legacy 2131/1800 at 16), Diners Club
# 300-305, 3095, 36, 38-39 (14-19), Discover 6011, 644-659 (16-19), Mir 2200-2204 (16-19),
# Maestro 50, 56-69 (12-19), enRoute 2014/2149 (15), China T-Union 31 (19), RuPay 81-82 (16),
# Borica 2205 and UzCard 8600 (16), and the 9 of national schemes (the legacy mainland
# domestic cards and passbook accounts such as 9558/9559, Troy 9792, Napas 9704; 16-19).
# UATP (1, 15 digits: airline accounts) is left out: its numbers read like pre-1999 IDs.
_ALL = tuple(range(12, 20))
CARD_IIN_RANGES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4000, 4999, (13, 14, 15, 16, 17, 18, 19)),
    (5100, 5599, (16,)), (2221, 2720, (16,)),
    (3400, 3499, (15,)), (3700, 3799, (15,)),
    (6200, 6299, (16, 17, 18, 19)), (8100, 8199, (16, 17, 18, 19)),
    (3500, 3599, (16, 17, 18, 19)), (2131, 2131, (16,)), (1800, 1800, (16,)),
    (3000, 3059, (14, 15, 16, 17, 18, 19)), (3095, 3095, (14, 15, 16, 17, 18, 19)),
    (3600, 3699, (14, 15, 16, 17, 18, 19)), (3800, 3999, (14, 15, 16, 17, 18, 19)),
    (6011, 6011, (16, 17, 18, 19)), (6440, 6599, (16, 17, 18, 19)),
    (2200, 2204, (16, 17, 18, 19)),
    (5000, 5099, _ALL), (5600, 6999, _ALL),
    (2014, 2014, (15,)), (2149, 2149, (15,)),
    (3100, 3199, (19,)), (8200, 8299, (16,)), (2205, 2205, (16,)), (8600, 8600, (16,)),
    (9000, 9999, (16, 17, 18, 19)),
)


def _card_prefixes() -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = {}
    for lo, hi, lengths in CARD_IIN_RANGES:
        for n in lengths:
            out.setdefault(n, set()).update(f"{p:04d}" for p in range(lo, hi + 1))
    return {n: frozenset(v) for n, v in out.items()}


# Card length -> the 4-digit prefixes a card of that length can start with.
CARD_PREFIXES: dict[int, frozenset[str]] = _card_prefixes()

# GB 32100-2015: the 31-character code alphabet (no I, O, Z, S, V); each character's value is
# its index. Check character = (31 - sum(value_i * 3^(i-1) mod 31) mod 31) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Registration authority codes (position 1): 1 organisation staffing, 2 foreign affairs,
# 3 justice, 4 culture, 5 civil affairs, 6 tourism, 7 religion, 8 trade unions, 9 market
# regulation, A military staffing, N agriculture, Y others.
USCC_AUTHORITIES: frozenset[str] = frozenset("123456789ANY")
# Organisation type (position 2) is a digit 1-9 for every authority.
USCC_TYPES: frozenset[str] = frozenset("123456789")
# Region code (positions 3-8): a GB/T 2260 code; 10xxxx is used for central-level bodies.
USCC_REGION_PROVINCES: frozenset[str] = PROVINCES | {"10", "71", "81", "82", "83"}

# Passport numbers (no checksum): ordinary e-passport E + 8 digits, then E + letter (not I/O)
# + 7 digits since 2017; pre-2012 ordinary G + 8 digits; official PE/SE/DE + 7 digits; HKSAR
# K + 8 digits; MSAR MA + 7 digits.
PASSPORT_PATTERN = r"(?:[EGK][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[DPS]E[0-9]{7}|MA[0-9]{7})"
# Exit-entry permits (no checksum): mainland residents to HK/Macau C + 8 digits, then
# C + letter (not I/O) + 7 digits (NIA, 2018); HK/Macau residents' home-return permit
# H/M + 8 digits, + 2 renewal digits on the 1999 card; mainland residents to Taiwan L + 8.
# The Taiwan residents' permit (8 digits) is recognised under a field hint only.
PERMIT_PATTERN = r"(?:[CHML][0-9]{8}|[HM][0-9]{10}|C[A-HJ-NP-Z][0-9]{7})"

# Common Chinese surnames (single and compound): a name detector without them would flag
# every two-character word of a hinted column.
SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
     "司徒", "夏侯", "轩辕", "令狐", "端木", "西门", "南宫", "独孤", "万俟", "呼延", "申屠",
     "钟离", "闻人", "赫连", "澹台"])

# Identity cards of Hong Kong, Macau and Taiwan (detector ``hmt_identity_card``):
# - Hong Kong: one or two letters, six digits and a check character (0-9 or A) usually written
#   in brackets, A123456(3): values A=10 .. Z=35, a space (one-letter prefix) 36, weights 9..1,
#   sum ≡ 0 (mod 11) with A = 10;
# - Macau resident identity card: 1, 5 or 7, six digits and a bracketed digit, 1234567(8)
#   (the check algorithm is not published: shape only);
# - Taiwan national identification number: a letter (the registration area), 1 or 2 (sex;
#   8 or 9 on the 2021 residents' UI numbers), 7 digits and a check digit: the letter's
#   two-digit value (A=10 .. H=17, J=18 .. N=22, P=23 .. V=29, X=30, Y=31, W=32, Z=33, I=34,
#   O=35) weighted 1 and 9, the digits 8..1, the check 1, sum ≡ 0 (mod 10).
HK_ID_PATTERN = r"[A-Z]{1,2}[0-9]{6}[0-9A]"
MACAU_ID_PATTERN = r"[157][0-9]{6}\([0-9]\)"
TAIWAN_ID_PATTERN = r"[A-Z][1289][0-9]{8}"
TAIWAN_LETTER_VALUES: dict[str, int] = {
    c: v for v, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}
