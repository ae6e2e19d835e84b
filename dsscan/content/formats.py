"""Reference data of the identifier formats (no logic): codes, segments, alphabets, surnames.

Sources: GB 11643-1999 (citizen identity number: 6-digit address code, 8-digit birth date,
3-digit sequence, ISO 7064 MOD 11-2 check); GB/T 2260 (province-level codes); the Ministry of
Public Security rule for HK/Macau/Taiwan residence permits (address codes 810000/820000/830000);
the National Immigration Administration's 2023 foreign permanent resident ID (18 digits, first
digit 9, MOD 11-2; the earlier card: 3 letters + 12 digits); GB 32100-2015 (unified social
credit code); MIIT number segments; NIA passport / exit-entry permit numbering notices.
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

# MIIT public mobile segments of 11-digit numbers: 13x, 14[5-9] (data plans; 140-144 are
# 13-digit IoT numbers), 15x but 154, 162/165/166/167, 170-178 (170/171 MVNO, 174 satellite and
# emergency), 18x, 19x but 194 (190-193, 195-199 were assigned from 2019 on).
MOBILE_SEGMENTS: frozenset[str] = frozenset(
    [f"13{d}" for d in range(10)] + ["145", "146", "147", "148", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)] + ["162", "165", "166", "167"]
    + [f"17{d}" for d in range(9)] + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)])

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
