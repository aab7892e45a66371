"""Fast rule-based extraction of the fields used for comparing and matching addresses.

Works on normalised text (see ``normalize``) in a few microseconds, which the neural parser
cannot: division chain, road phrase and door number, building/unit/floor/room numbers, and
the remaining name text (estate, building or shop name).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .divisions import gazetteer
from .normalize import normalize

_TOKEN = re.compile(r"((?:[0-9]+[A-Z]?|[A-Z])(?:-[0-9A-Z]+)*)(号|弄|栋|单元|层|室|组|期|队|社|排)?|([^0-9A-Z]+)")
# A direction after the road word belongs to the road only before 段/侧 or a number (大道北段, 路北5号;
# not 天河路中财管道).
_DIRECTION = r"(?:[东南西北中](?=段|侧|$))?"
_ROAD_IN = re.compile(rf"(?:大道|大街|路|街|道|巷|胡同|里|坊|径|台|围|村|组|线|桥){_DIRECTION}(?!口|路|街|道)")
# Up to the end of the last ``_ROAD_IN`` in a phrase: the greedy ``.*`` tries it from the right,
# and a road word found inside another (道 in 大道) ends where that one does.
_LAST_ROAD_IN = re.compile(f".*(?:{_ROAD_IN.pattern})", re.S)
_BARE_ROAD = re.compile(rf"^[^路街道巷]{{1,8}}?(?:大道|大街|路|街|道|巷){_DIRECTION}(?!口|路|街|道)")
_STOP = set("城园苑镇乡区厦场店院司心馆")
_HK_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,3}(?<!小|园|社|校|厂|景|新)区(?=..)")
# "西50米": where a map service places a POI from a road or crossing (路东50米, 交叉口西北150米); the
# distance is no door number.
_DISTANCE = re.compile(r"[东南西北]{1,2}[0-9]+米")
_NOISE = re.compile(r"附近|旁边|对面|门口|[东南西北]+[门侧]$|交叉口|交汇处?")
_TOWN_LEVELS = ("prov", "city", "district", "town")


class Fields(NamedTuple):
    """Matching fields of one address; empty strings where absent."""

    district: str
    town: str
    road: str
    roadno: str
    name: str
    building: str
    unit: str
    floor: str
    room: str


@lru_cache(maxsize=200_000)
def extract(text: str) -> Fields:
    """Fields of ``text`` (normalised first).

    >>> extract("重庆渝北区龙溪街道新牌坊二路12号金港国际3号楼2单元5楼502").road
    '新牌坊二路'
    """
    return extract_normalized(normalize(text))


def extract_normalized(norm: str) -> Fields:
    """Fields of already-normalised text (no caching, for bulk library builds)."""
    district, town, rest = _strip_divisions(norm)
    if "米" in rest:
        rest = _DISTANCE.sub("", rest)
    found = {"road": "", "roadno": "", "building": "", "unit": "", "floor": "", "room": ""}
    names: list[str] = []
    tokens = _TOKEN.findall(rest)
    for k, (num, unit, han) in enumerate(tokens):
        if han:
            names.append(han)
            continue
        _place_number(found, names, num, unit, is_last=k == len(tokens) - 1)
    if not found["road"] and names:
        _road_without_number(found, names)
    name = _NOISE.sub("", "".join(names))
    return Fields(district, town, found["road"], found["roadno"], name, found["building"], found["unit"],
                  found["floor"], found["room"])


_UNIT_SLOTS = {"栋": "building", "单元": "unit", "层": "floor", "室": "room"}


def _place_number(found: dict[str, str], names: list[str], num: str, unit: str, is_last: bool) -> None:
    slot = _UNIT_SLOTS.get(unit)
    if slot:
        found[slot] = found[slot] or num
    elif not unit and num.count("-") >= 2 or (unit == "" and "-" in num and found["roadno"]):
        _split_dashed(found, num)
    elif unit in ("号", "弄", "") and names and not found["roadno"] and _take_road(found, names):
        found["roadno"] = num
    elif unit in ("号", "") and "-" in num and not found["building"]:
        _split_dashed(found, num)
    elif unit == "号" and not found["building"]:
        found["building"] = num
    elif not unit and is_last and not found["room"]:
        found["room"] = num
    else:
        names.append(num + unit)


def _take_road(found: dict[str, str], names: list[str]) -> bool:
    """Move the road at the end of the last name phrase (or inside it) into ``found``."""
    phrase = names[-1]
    m = _LAST_ROAD_IN.match(phrase)
    if m is None:
        return False
    road = cut_road(phrase[: m.end()])
    found["road"] = road
    names[-1] = phrase[: m.end() - len(road)] + phrase[m.end() :]
    return True


def _road_without_number(found: dict[str, str], names: list[str]) -> None:
    m = _BARE_ROAD.search(names[0])
    if m and m.end() < len(names[0]):
        found["road"] = cut_road(m.group(0))
        names[0] = names[0][: m.end() - len(found["road"])] + names[0][m.end() :]


def cut_road(phrase: str) -> str:
    """Road name at the end of a phrase: 老天鑫商城石臼湖北路 → 石臼湖北路 (at most 10 chars)."""
    phrase = phrase[-10:]
    for i in range(len(phrase) - 4, -1, -1):
        if phrase[i] in _STOP:
            return phrase[i + 1 :]
    return phrase


def _split_dashed(found: dict[str, str], num: str) -> None:
    parts = num.split("-")
    slots = ("building", "unit", "room") if len(parts) >= 3 else ("building", "room")
    for slot, part in zip(slots, parts, strict=False):
        found[slot] = found[slot] or part


def _strip_divisions(norm: str) -> tuple[str, str, str]:
    (names, heads), i, district, town = _division_index(), 0, "", ""
    limit = len(norm) - 2  # a division name is followed by two characters at least
    while i < limit:
        name = _division_at(names, heads, norm, i, limit)
        if not name:
            break
        level, i = names[name], i + len(name)
        district = name if level == "district" else district
        town = name if level == "town" else town
    m = _HK_DISTRICT.match(norm, i) if not district else None
    if m:
        district, i = m.group(0), m.end()
    return district, town, norm[i:]


@lru_cache(maxsize=1)
def _division_index() -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """Full names of prov..town divisions → finest level, and for each 2-character head the
    lengths (2..12, longest first) of the names it starts, so a position that starts no
    name costs one dict look-up and one that does tries only the lengths that exist."""
    names = {}
    for name, divs in gazetteer().full.items():
        levels = [d.level for d in divs if d.level in _TOWN_LEVELS]
        if levels and 2 <= len(name) <= 12:
            names[name] = max(levels, key=_TOWN_LEVELS.index)
    lengths: dict[str, set[int]] = {}
    for name in names:
        lengths.setdefault(name[:2], set()).add(len(name))
    return names, {head: tuple(sorted(ns, reverse=True)) for head, ns in lengths.items()}


def _division_at(names: dict[str, str], heads: dict[str, tuple[int, ...]], text: str, i: int, limit: int) -> str:
    """The longest division name at ``i`` ending by ``limit``, or ""."""
    for n in heads.get(text[i : i + 2], ()):
        if i + n <= limit and (name := text[i : i + n]) in names:
            return name
    return ""
