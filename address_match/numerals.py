"""Chinese numerals → Arabic digits, only where they count something.

"一百二十三号" → "123号", "三楼" → "3楼", "十二栋" → "12栋", "第三期" → "第3期", but names
such as 三里屯, 五里店, 一品, 二郎 are left alone: a numeral run is converted only when a
unit word follows it, or it follows 第, or it sits next to a digit/hyphen run.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM_CHARS = "零〇一二两三四五六七八九十百千"
_NUM_CHAR = re.compile(f"[{_NUM_CHARS}]")  # faster on CJK text than a set's isdisjoint

# Unit words after which a numeral run is a number, not part of a name.
UNIT_WORDS = ("号楼", "号", "號", "栋", "棟", "幢", "座", "单元", "單元", "层", "層", "楼", "樓",
              "室", "房", "户", "戶", "弄", "组", "組", "社", "期", "排", "队", "隊", "区", "區", "楼层")
_UNIT_ALT = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))

_RUN = f"[{_NUM_CHARS}]+"
_BEFORE_UNIT = re.compile(f"(?<![{_NUM_CHARS}])({_RUN})(?=(?:{_UNIT_ALT}))")
_AFTER_DI = re.compile(f"(?<=第)({_RUN})")
_NEXT_TO_DIGIT = re.compile(f"(?<=[0-9]-)({_RUN})|({_RUN})(?=-[0-9])")
# Where any of the three could match: one scan, which rules out most text with numeral characters.
_NUMBER_AT = re.compile(f"[{_NUM_CHARS}](?:{_UNIT_ALT})|第[{_NUM_CHARS}]|[0-9]-[{_NUM_CHARS}]|[{_NUM_CHARS}]-[0-9]")


def chinese_to_int(run: str) -> int | None:
    """Value of a numeral run: "一百二十三" → 123, "十二" → 12, "一零二" → 102.

    Returns None for runs that do not spell a number (e.g. "十十").
    """
    if not run or any(ch not in _DIGITS and ch not in _UNITS for ch in run):
        return None
    if not any(ch in _UNITS for ch in run):
        return int("".join(str(_DIGITS[ch]) for ch in run))
    return _positional(run)


def _positional(run: str) -> int | None:
    total, digit, last_unit = 0, None, 10_000
    for ch in run:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0:
                return None
            digit = _DIGITS[ch]
            continue
        unit = _UNITS[ch]
        if unit >= last_unit:
            return None
        total += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    return total + (digit or 0)


def _convert(match: re.Match) -> str:
    run = next(g for g in match.groups() if g)
    value = chinese_to_int(run)
    return match.group(0) if value is None else match.group(0).replace(run, str(value))


def convert_numerals(text: str) -> str:
    """Replace numeral runs that are numbers (see module doc) by Arabic digits."""
    if not _NUM_CHAR.search(text) or not _NUMBER_AT.search(text):
        return text
    for pattern in (_BEFORE_UNIT, _AFTER_DI, _NEXT_TO_DIGIT):
        text = pattern.sub(_convert, text)
    return text


_ROAD_WORDS = "路|街|巷|大道|支路|横路|马路"
_ROAD_ORDINAL = re.compile(rf"(?<=[\u4e00-\u9fff])([1-9][0-9]?)(?=(?:{_ROAD_WORDS}))")
_ROAD_ORDINAL_AT = re.compile(f"[0-9](?:{_ROAD_WORDS})")  # where it could match: a cheaper scan
_CN = "零一二三四五六七八九"


def int_to_chinese(value: int) -> str:
    """1..99 in Chinese numerals: 2 → 二, 12 → 十二, 40 → 四十."""
    tens, ones = divmod(value, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")
    return head + (_CN[ones] if ones or not tens else "")


def road_ordinals_to_chinese(text: str) -> str:
    """Ordinals inside road names are written in Chinese: 新牌坊2路 → 新牌坊二路."""
    if not _ROAD_ORDINAL_AT.search(text):
        return text
    return _ROAD_ORDINAL.sub(lambda m: int_to_chinese(int(m.group(1))), text)
