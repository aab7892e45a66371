"""Write an address the way people write it: the variants used to measure library matching.

Each generator takes a canonical address text and a ``random.Random`` and returns a
variant: prefixes dropped, Chinese numerals, 号楼/栋 swaps, a one-character road typo,
a missing 号, extra spaces, full-width digits.
"""

from __future__ import annotations

import random
import re

_CN = "零一二三四五六七八九"
_TYPO_CHARS = "东西南北中新华明光安平和兴福龙凤山水林德仁"
_PREFIX = re.compile(r"^(?:重庆市|香港|九龙|新界)?(?:[\u4e00-\u9fff]{1,4}?区)?")
_DOOR = re.compile(r"(\d+)(?=号)")


def chinese_number(value: int) -> str:
    """0..9999 in Chinese numerals (positional): 123 → 一百二十三."""
    if value == 0:
        return "零"
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, value = divmod(value, unit)
        if digit:
            out += ("零" if zero and out else "") + _CN[digit] + name
            zero = False
        else:
            zero = bool(out)
    return out[1:] if out.startswith("一十") else out


def drop_prefix(text: str, rng: random.Random) -> str:
    return _PREFIX.sub("", text, count=1) or text


def chinese_numerals(text: str, rng: random.Random) -> str:
    return _DOOR.sub(lambda m: chinese_number(int(m.group(1))), text, count=1)


def building_words(text: str, rng: random.Random) -> str:
    if "号楼" in text:
        return text.replace("号楼", "栋", 1)
    return re.sub(r"(?<=[0-9A-Z])(栋|座)", "号楼", text, count=1)


def road_typo(text: str, rng: random.Random, road: str = "") -> str:
    if len(road) < 3 or road not in text:
        return text
    pos = rng.randrange(len(road) - 1)
    choices = [c for c in _TYPO_CHARS if c != road[pos]]
    return text.replace(road, road[:pos] + rng.choice(choices) + road[pos + 1 :], 1)


def missing_hao(text: str, rng: random.Random) -> str:
    return re.sub(r"(?<=\d)号(?=[^\d楼])", "", text, count=1)


def extra_spaces(text: str, rng: random.Random) -> str:
    cut = sorted(rng.sample(range(1, len(text)), k=min(2, len(text) - 1)))
    return "".join(text[a:b] + " " for a, b in zip([0, *cut], [*cut, len(text)], strict=True)).strip()


def full_width(text: str, rng: random.Random) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


GENERATORS = (drop_prefix, chinese_numerals, building_words, missing_hao, extra_spaces, full_width)


def variant(text: str, rng: random.Random, road: str = "") -> str:
    """One variant with two or three random alterations (a road typo with probability 1/4)."""
    for gen in rng.sample(GENERATORS, k=rng.choice((2, 3))):
        text = gen(text, rng)
    if road and rng.random() < 0.25:
        text = road_typo(text, rng, road)
    return text
