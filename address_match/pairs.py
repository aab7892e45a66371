"""Pairwise features of two addresses, for the learned relation scorer (``scorer``).

Every feature is a short categorical token ("road=eq", "name_pr=9", "finer=b"…): per-field
agreement (equal / one inside the other / same head number / edit-similarity bucket / only one
side has it), which side is finer, name and whole-text overlaps, length ratio, and a few
conjunctions. (The rule verdict ``compare.judge`` added nothing once these were in.)
Tokens keep inference a handful of dict look-ups (see ``scorer``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from .fields import Fields

FIELDS = Fields._fields
_PREFIXES = tuple(f"{name}=" for name in FIELDS)
_ROAD, _ROADNO, _BUILDING, _UNIT, _FLOOR = map(FIELDS.index, ("road", "roadno", "building", "unit", "floor"))
_NUMBERS = frozenset(("roadno", "building", "unit", "floor", "room"))
_GENERIC = re.compile(r"有限责任公司|有限公司|分公司|公司|小区|家园|花园|社区|大厦|广场|商场|中心|[省市区县镇乡村]$")
_POI_HINT = re.compile("交叉口|交汇|米|附近|门|旁|对面")  # AMap-style "near X" descriptions
_SHOP_HINT = re.compile(r"店|公司|超市|餐|馆|厂|行|部|所|室$")


def field_relation(name: str, x: str, y: str) -> str:
    """Relation of one field on both sides: nn / a / b / eq / in / head / ne / r0..r3."""
    if not x or not y:
        return "nn" if not x and not y else ("a" if x else "b")
    if x == y:
        return "eq"
    if name in _NUMBERS:
        return "head" if x.split("-")[0] == y.split("-")[0] else "ne"
    if x in y or y in x:
        return "in"
    return f"r{int(fuzz.ratio(x, y, processor=None) // 25.01)}"


def _bucket(value: float, step: float = 0.2) -> int:
    return int(value / step + 1e-9)


@lru_cache(maxsize=65536)
def _strip_generic(name: str) -> str:
    return _GENERIC.sub("", name) or name


def name_tokens(x: str, y: str) -> list[str]:
    """Similarity of the name parts (estate, building or shop names) with generic words removed."""
    if len(x) < 2 or len(y) < 2:
        return ["nm=short"]
    sx, sy = _strip_generic(x), _strip_generic(y)
    pr = fuzz.partial_ratio(sx, sy, processor=None)
    return [f"name_pr={int(pr // 10)}", f"name_r={int(fuzz.ratio(sx, sy, processor=None) // 20)}"]


def overlap_tokens(na: str, nb: str) -> list[str]:
    """How much of each whole normalised text the other covers (longest common subsequence)
    and their length ratio."""
    common = LCSseq.similarity(na, nb)
    ratio = len(nb) / max(len(na), 1)
    lr = "lr=" + ("<.5" if ratio < 0.5 else "<1" if ratio < 0.9 else "~1" if ratio <= 1.1 else "<2" if ratio < 2 else ">2")
    return [f"a_in_b={_bucket(common / max(len(na), 1), 0.1)}", f"b_in_a={_bucket(common / max(len(nb), 1), 0.1)}", lr]


def shared_run_tokens(fa: Fields, fb: Fields, na: str, nb: str) -> list[str]:
    """How much of one side's name the other text holds (all of it, or a share in fifths),
    and how the two sides' numbers (door, building, unit, floor, room) overlap as sets."""
    out = [f"a_run={_shared_run(_strip_generic(fa.name), nb)}", f"b_run={_shared_run(_strip_generic(fb.name), na)}"]
    da, db = _numbers(fa), _numbers(fb)
    num = "nn" if not da and not db else "a0" if not da else "b0" if not db else (
        "eq" if da == db else "a<b" if da < db else "b<a" if db < da else "x" if da & db else "ne")
    out.append(f"nums={num}")
    return out


def _numbers(f: Fields) -> set[str]:
    return {f.roadno, f.building, f.unit, f.floor, f.room} - {""}


def _shared_run(name: str, other: str) -> str:
    """"all" if ``name`` is inside ``other``, else the covered share of ``name`` in fifths."""
    if len(name) < 2:
        return "-"
    if name in other:
        return "all"
    return str(_bucket(LCSseq.similarity(name, other) / len(name)))


def _fine_count(f: Fields) -> int:
    return bool(f.roadno) + bool(f.building) + bool(f.unit) + bool(f.floor) + bool(f.room)


def _poi_hint(norm: str) -> bool:
    return _POI_HINT.search(norm) is not None


def pair_tokens(fa: Fields, fb: Fields, na: str, nb: str) -> list[str]:
    """All feature tokens of one pair: fields ``fa``/``fb`` and normalised texts ``na``/``nb``."""
    rel = list(map(field_relation, FIELDS, fa, fb))
    road, no, bld = rel[_ROAD], rel[_ROADNO], rel[_BUILDING]
    names = name_tokens(fa.name, fb.name)
    ca, cb = _fine_count(fa), _fine_count(fb)
    finer = "a" if ca > cb else ("b" if cb > ca else "eq")
    runs = shared_run_tokens(fa, fb, na, nb)
    tokens = [prefix + value for prefix, value in zip(_PREFIXES, rel, strict=True)]
    tokens += names + overlap_tokens(na, nb) + runs
    tokens += [f"{runs[0]}|{runs[1]}", f"{runs[2]}|finer={finer}", "finer=" + finer, f"road={road}|no={no}",
               f"no={no}|bld={bld}", f"{names[0]}|bld={bld}", f"{names[0]}|road={road}",
               f"bld={bld}|unit={rel[_UNIT]}|fl={rel[_FLOOR]}"]
    if _poi_hint(nb):
        tokens.append("b_poi_hint")
    if _poi_hint(na):
        tokens.append("a_poi_hint")
    if _SHOP_HINT.search(fb.name):
        tokens.append(f"b_shop|{names[0]}")
    return tokens
