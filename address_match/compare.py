"""Comparing two addresses: same place, one inside the other, or different places."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from .errors import AddressError
from .fields import Fields, extract_normalized
from .normalize import normalize_uncached
from .pairs import Side, pair_tokens, side
from .scorer import Scorer, load_scorer

# Rule thresholds (``judge``) set on half of the CCKS 2021 dev queries (see bench/bench_address.py).
NAME_SAME = 90.0
NAME_MIN_LEN = 2
SAME_FIELDS_SCORE = 0.9
_GENERIC = re.compile(r"有限责任公司|有限公司|公司|小区|家园|花园|社区|大厦|广场|商场|中心|[省市区县镇乡村]$")


class Verdict(NamedTuple):
    """``level`` is "exact", "partial" or "none"; ``score`` in [0, 1]; ``reasons`` are short notes."""

    level: str
    score: float
    reasons: list[str]


def compare(a: str, b: str) -> Verdict:
    """Relation between two addresses.

    exact: the same place at the finest level both give (door and building numbers agree);
    partial: one contains the other, or they agree above some level and differ below;
    none: different places.

    The level comes from the learned scorer (``scorer``) over pair features (``pairs``);
    "exact" further needs the door and building numbers not to contradict each other. ``score`` is P(partial)/2 + P(exact).

    >>> compare("重庆市渝北区新牌坊二路12号3栋", "新牌坊二路十二号3号楼").level
    'exact'

    Raises AddressError for empty or over-long input.
    """
    return relate_sides(prepared(a), prepared(b))


@lru_cache(maxsize=65536)
def prepared(text: str) -> Side:
    """Fields, normalised text and the per-text features of ``text``, cached: a query is usually
    compared with many candidates, so each text is normalised, split and measured once."""
    norm = normalize_uncached(text)
    if not norm:  # only punctuation or spaces: nothing to compare
        raise AddressError(f"address has no content once punctuation is removed: {text[:40]!r}")
    return side(extract_normalized(norm), norm, load_scorer().letter_filter)


def relate(fa: Fields, fb: Fields, na: str, nb: str) -> Verdict:
    """The learned verdict for extracted fields ``fa``/``fb`` and normalised texts ``na``/``nb``."""
    letters = load_scorer().letter_filter
    return relate_sides(side(fa, na, letters), side(fb, nb, letters))


def relate_sides(a: Side, b: Side, scorer: Scorer | None = None) -> Verdict:
    """``compare`` of two prepared sides (``pairs.side``), by ``scorer`` (the shipped one when None;
    the sides must be made with its ``letter_filter``)."""
    p_none, p_partial, p_exact = (scorer or load_scorer()).probabilities(pair_tokens(a, b))
    score = round(p_partial / 2 + p_exact, 4)
    reasons = _reasons(a, b)
    if _same_fields(a, b):
        reasons.append("道路、门牌、名称、楼栋至室号全部一致")
        return Verdict("exact", max(score, SAME_FIELDS_SCORE), reasons)
    level, p_level = ("none", p_none) if p_none >= p_partial and p_none >= p_exact else (
        ("partial", p_partial) if p_partial >= p_exact else ("exact", p_exact))
    if level == "exact" and _numbers_contradict(a, b):
        level = "partial"
        reasons.append("门牌或楼栋号不一致，不判完全匹配")
    reasons.append(f"模型判定{level}({p_level:.2f})")
    return Verdict(level, score, reasons)


_N_FIELDS = len(Fields._fields)
_REASON_FIELDS = tuple((Fields._fields.index(name), (word + "不同", word + "相同")) for name, word in
                       (("district", "区县"), ("road", "道路"), ("roadno", "门牌"), ("name", "名称"), ("building", "楼栋")))


def _reasons(a: Side, b: Side) -> list[str]:
    """Short notes on the fields both sides give: 道路相同, 门牌不同, 楼栋相同…"""
    return [words[a[i] == b[i]] for i, words in _REASON_FIELDS if a[i] and b[i]]


def _same_fields(a: Side, b: Side) -> bool:
    """Every field below the divisions equal, with a door number or a name to anchor them
    (CCKS pairs like this are exact twice as often as not; the model alone under-calls them)."""
    return a.name == b.name and a[2:_N_FIELDS] == b[2:_N_FIELDS] and bool(a.roadno or a.name)


def _numbers_contradict(a: Side, b: Side) -> bool:
    """Door numbers or building numbers given on both sides and different."""
    door = a.roadno and b.roadno and not _same_number(a.roadno, b.roadno)
    return bool(door or _differs_exactly(a.building, b.building))


def _differs_exactly(x: str, y: str) -> bool:
    return bool(x and y and x != y)


def judge(fa: Fields, fb: Fields) -> Verdict:
    """The rule verdict for two already-extracted field sets: the library's fast relation
    (``compare`` uses the learned scorer instead)."""
    reasons: list[str] = []
    if _differs(fa.district, fb.district) or _differs(fa.town, fb.town):
        return Verdict("none", 0.0, ["行政区划不同"])
    road = _road_relation(fa, fb, reasons)
    name = _name_similarity(fa.name, fb.name, reasons)
    if road == "different" and name < 95:
        return Verdict("none", 0.1, reasons)
    if _only_divisions(fa) or _only_divisions(fb):
        return Verdict("partial", 0.4, reasons + ["一方只到行政区划"])
    same_place = name >= NAME_SAME or (road == "same_no" and (name < 0 or _one_empty(fa.name, fb.name)))
    if not same_place:
        return _unplaced(road, name, reasons)
    return _placed(fa, fb, road, name, reasons)


def _differs(x: str, y: str) -> bool:
    return bool(x and y and x not in y and y not in x)


def _only_divisions(f: Fields) -> bool:
    return bool(f.district or f.town) and not (f.road or f.name or f.roadno or f.building)


def _one_empty(x: str, y: str) -> bool:
    return not x or not y


def _road_relation(fa: Fields, fb: Fields, reasons: list[str]) -> str:
    if not fa.road or not fb.road:
        return "unknown"
    if not (fa.road.endswith(fb.road) or fb.road.endswith(fa.road)) and not _near_road(fa.road, fb.road):
        reasons.append("道路不同")
        return "different"
    if fa.roadno and fb.roadno:
        same = _same_number(fa.roadno, fb.roadno)
        reasons.append("道路门牌相同" if same else "门牌号不同")
        return "same_no" if same else "other_no"
    reasons.append("道路相同")
    return "same_road"


def _near_road(x: str, y: str) -> bool:
    """One-character slips in a road name of four characters or more (新牌芳二路 ≈ 新牌坊二路)."""
    return min(len(x), len(y)) >= 4 and fuzz.ratio(x, y, processor=None, score_cutoff=80) > 0


def _same_number(x: str, y: str) -> bool:
    return x == y or x.split("-")[0] == y.split("-")[0]


def _name_similarity(x: str, y: str, reasons: list[str]) -> float:
    """Partial similarity of the name parts, -1 when either is missing."""
    if len(x) < NAME_MIN_LEN or len(y) < NAME_MIN_LEN:
        return -1.0
    x, y = _core_name(x), _core_name(y)
    if min(len(x), len(y)) < NAME_MIN_LEN:
        return 100.0 if (x in y or y in x) else 0.0
    score = fuzz.partial_ratio(x, y, processor=None, score_cutoff=0)
    reasons.append(f"名称相似度{score:.0f}")
    return score


@lru_cache(maxsize=65536)
def _core_name(name: str) -> str:
    """The name without generic words (小区, 大厦, 有限公司…), unless nothing would be left."""
    return _GENERIC.sub("", name) or name


def _unplaced(road: str, name: float, reasons: list[str]) -> Verdict:
    if road in ("same_no", "other_no") or (road == "same_road" and name < 0):
        return Verdict("partial", 0.5, reasons + ["仅道路一致"])
    return Verdict("none", max(name, 0) / 200, reasons)


def _placed(fa: Fields, fb: Fields, road: str, name: float, reasons: list[str]) -> Verdict:
    score = 0.6 + 0.4 * max(name, 80) / 100 * (0.5 if road == "other_no" else 1)
    if road == "other_no":
        return Verdict("partial", score * 0.7, reasons)
    if fa.building and fb.building:
        if fa.building != fb.building:
            return Verdict("partial", score * 0.7, reasons + ["楼栋不同"])
        reasons.append("楼栋相同")
    elif fa.building or fb.building:
        return Verdict("partial", score * 0.8, reasons + ["一方更具体(楼栋)"])
    return Verdict("exact", min(score, 1.0), reasons)
