"""Official administrative divisions: loading, short forms, look-up and resolution.

The dictionary ships as ``data/divisions.tsv.gz`` (code, level, name, parent code), built
by ``python -m address_match.train`` from the National Bureau of Statistics division list
(see ``data/README.md``). Levels: prov, city, district, town, community.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

LEVELS = ("prov", "city", "district", "town", "community")
_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}
_ETHNIC = re.compile(r"^(.{2,}?)(?:[^族]{1,4}族)+自治(?:区|州|县|旗)$")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "街道", "新区", "林区",
             "省", "市", "区", "县", "镇", "乡", "盟", "旗")
# Short forms that collide with common words or road names are never used.
_BAD_SHORT = {"城区", "郊区", "矿区", "市中", "中山", "人民", "解放", "新华", "和平", "长安",
              "建设", "胜利", "东风", "红旗", "前进", "光明", "团结", "文化", "工业", "开发"}


class Division(NamedTuple):
    """One official division: 6/9/12-digit code, level, full name, parent code."""

    code: str
    level: str
    name: str
    parent: str


class Hit(NamedTuple):
    """A dictionary match in a text: span, candidates and whether a short form matched."""

    start: int
    end: int
    divisions: tuple[Division, ...]
    short: bool


@dataclass
class Gazetteer:
    """Name → divisions index over full names and unambiguous short forms."""

    by_code: dict[str, Division] = field(default_factory=dict)
    full: dict[str, list[Division]] = field(default_factory=dict)
    short: dict[str, list[Division]] = field(default_factory=dict)
    max_len: int = 0

    def lookup(self, name: str) -> tuple[list[Division], bool]:
        """Divisions called ``name`` (full names first, else short forms)."""
        if name in self.full:
            return self.full[name], False
        return self.short.get(name, []), True

    def ancestors(self, div: Division) -> list[Division]:
        """Parents of ``div`` from the nearest up to the province."""
        chain, code = [], div.parent
        while code and code in self.by_code:
            chain.append(self.by_code[code])
            code = self.by_code[code].parent
        return chain


def short_form(name: str) -> str | None:
    """Name without its administrative suffix: 重庆市 → 重庆, 恩施土家族苗族自治州 → 恩施."""
    m = _ETHNIC.match(name)
    if m:
        return m.group(1)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            short = name[: -len(suffix)]
            return None if short in _BAD_SHORT else short
    return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped division dictionary, loaded once."""
    gaz = Gazetteer()
    for div in _read_rows():
        gaz.by_code[div.code] = div
        gaz.full.setdefault(div.name, []).append(div)
        short = short_form(div.name) if div.level != "community" else None
        if short:
            gaz.short.setdefault(short, []).append(div)
    for name in list(gaz.short):
        if name in gaz.full:
            del gaz.short[name]
    gaz.max_len = max(len(n) for n in gaz.full)
    return gaz


def _read_rows() -> list[Division]:
    path = resources.files("address_match") / "data" / "divisions.tsv.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return [Division(*row) for row in csv.reader(fh, delimiter="\t")]


def find_all(text: str, levels: tuple[str, ...] = LEVELS) -> list[Hit]:
    """Greedy longest, left-to-right division names in ``text`` (full names or short forms)."""
    gaz, hits, i = gazetteer(), [], 0
    while i < len(text):
        hit = _longest_at(gaz, text, i, levels)
        if hit:
            hits.append(hit)
            i = hit.end
        else:
            i += 1
    return hits


def _longest_at(gaz: Gazetteer, text: str, i: int, levels: tuple[str, ...]) -> Hit | None:
    for j in range(min(len(text), i + gaz.max_len), i + 1, -1):
        divs, short = gaz.lookup(text[i:j])
        divs = [d for d in divs if d.level in levels]
        if divs:
            return Hit(i, j, tuple(divs), short)
    return None


@dataclass
class Resolution:
    """The most specific consistent division chain found for a list of names."""

    chain: dict[str, Division]
    ambiguous: bool

    def name(self, level: str) -> str | None:
        div = self.chain.get(level)
        return div.name if div else None


def resolve(names: list[str]) -> Resolution:
    """Resolve division names (full or short) to one consistent chain.

    >>> resolve(["重庆", "渝北"]).name("district")
    '渝北区'

    Names shared by several places (朝阳区, 鼓楼区) are settled by the other names given;
    when they cannot be, the first candidate is kept and ``ambiguous`` is True.
    """
    gaz = gazetteer()
    options = [gaz.lookup(n)[0] for n in names]
    options = [o for o in options if o]
    if not options:
        return Resolution({}, False)
    best = max((d for o in options for d in o), key=lambda d: (_support(gaz, d, options), _RANK[d.level]))
    ties = [d for o in options for d in o if d.level == best.level and d.name == best.name and d != best
            and _support(gaz, d, options) == _support(gaz, best, options)]
    chain = {best.level: best} | {a.level: a for a in gaz.ancestors(best)}
    return Resolution(chain, bool(ties))


def _support(gaz: Gazetteer, div: Division, options: list[list[Division]]) -> int:
    lineage = {div.code} | {a.code for a in gaz.ancestors(div)}
    return sum(any(d.code in lineage for d in opts) for opts in options)
