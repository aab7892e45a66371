"""An in-memory address library (地址库) with indexed fuzzy matching.

Candidates come from blocks, never from a scan: the exact (road, door number) block, the
top few fuzzy roads from a character-bigram index, and the entries sharing a building or
estate name (exact or top fuzzy names). Inside the blocks each entry is scored field by
field and the best ``k`` are returned.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from rapidfuzz import fuzz

from .compare import judge
from .fields import Fields, extract, extract_normalized
from .normalize import _normalize_cached, check_text

FUZZY_ROADS = 5
FUZZY_NAMES = 5
MAX_BLOCK = 400
NAME_CAP_WITH_ROAD = 40  # names only re-rank when the road block already answered
_COMMON_GRAM = 3000


class Entry(NamedTuple):
    """One library row as given: id, original text, WGS84 lon/lat, building id."""

    address_id: object
    text: str
    lon: float
    lat: float
    building_id: object


class Candidate(NamedTuple):
    """A match: library id, relation level (exact/partial/none), score in [0, 1], entry fields."""

    address_id: object
    level: str
    score: float
    components: Fields


class _GramIndex:
    """Character-bigram index over a set of strings, for top-n fuzzy look-ups. With ``gapped``, the
    pairs of characters one apart are indexed too, so that a short key with its middle character
    mistyped (太光臺 for 太白臺: no bigram in common) still shares one (太_臺)."""

    def __init__(self, gapped: bool = False) -> None:
        self.keys: list[str] = []
        self.ids: dict[str, int] = {}
        self.grams: dict[str, list[int]] = defaultdict(list)
        self.gapped = gapped

    def add(self, key: str) -> int:
        kid = self.ids.get(key)
        if kid is None:
            kid = self.ids[key] = len(self.keys)
            self.keys.append(key)
            for gram in self._grams(key):
                self.grams[gram].append(kid)
        return kid

    def _grams(self, key: str) -> set[str]:
        grams = {key[i : i + 2] for i in range(max(len(key) - 1, 1))}
        if self.gapped:
            grams.update(key[i] + "_" + key[i + 2] for i in range(len(key) - 2))
        return grams

    def top(self, query: str, n: int, cutoff: float) -> list[tuple[int, float]]:
        """Up to ``n`` keys sharing bigrams with ``query``, re-scored with RapidFuzz. A bigram votes
        for its keys by its rarity, so a key sharing a rare pair (普_道) outranks the many that share a
        common one (安道)."""
        votes: Counter[int] = Counter()
        for gram in self._grams(query):
            posting = self.grams.get(gram, ())
            if len(posting) <= _COMMON_GRAM:
                weight = 1 / len(posting) if posting else 0
                for kid in posting:
                    votes[kid] += weight
        scored = []
        for kid, _ in votes.most_common(n * 4):
            score = fuzz.ratio(query, self.keys[kid], processor=None, score_cutoff=cutoff)
            if score:
                scored.append((kid, score))
        return sorted(scored, key=lambda x: -x[1])[:n]


class AddressLibrary:
    """Address library built from ``(address_id, text, lon, lat, building_id)`` rows.

    >>> lib = AddressLibrary([(1, "重庆市渝北区新牌坊二路12号3栋", 106.5, 29.6, "B1")])
    >>> lib.match("新牌坊2路十二号3号楼")[0].address_id
    1
    """

    def __init__(self, rows: Iterable[tuple]) -> None:
        self._entries: list[Entry] = []
        self._fields: list[Fields] = []
        self._by_id: dict[object, int] = {}
        self._roads = _GramIndex(gapped=True)
        self._names = _GramIndex()
        self._door: dict[tuple[int, str], list[int]] = defaultdict(list)
        self._named: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            self._add(Entry(*row))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, address_id: object) -> Entry | None:
        """The entry with this id, or None."""
        idx = self._by_id.get(address_id)
        return None if idx is None else self._entries[idx]

    def _add(self, entry: Entry) -> None:
        idx = len(self._entries)
        fields = Fields(*map(sys.intern, extract_normalized(_normalize_cached.__wrapped__(check_text(entry.text)))))
        self._entries.append(entry)
        self._fields.append(fields)
        self._by_id[entry.address_id] = idx
        if fields.road:
            rid = self._roads.add(fields.road)
            for number in _door_keys(fields.roadno):
                self._door[(rid, number)].append(idx)
        if fields.name:
            self._named[self._names.add(fields.name)].append(idx)

    def match(self, text: str, k: int = 5) -> list[Candidate]:
        """Best ``k`` library entries for ``text``, best first (empty if nothing is close).

        Raises AddressError for empty or over-long input.
        """
        query = extract(text)
        scored = self._ranked(query, self._block(query))
        return [self._candidate(query, i, s) for s, i in scored[:k]]

    def _ranked(self, q: Fields, block: Iterable[int]) -> list[tuple[float, int]]:
        """(score, index) best first; field contributions are memoised per distinct value,
        since the entries of one block share most of their road, name and number strings."""
        memo: list[dict[str, float]] = [{} for _ in _PARTS]
        fields, scored = self._fields, []
        for idx in block:
            entry, total = fields[idx], 0.0
            for part, (slot, weight, fn) in zip(memo, _PARTS, strict=True):
                value = entry[slot]
                contrib = part.get(value)
                if contrib is None:
                    contrib = part[value] = weight * fn(q[slot], value)
                total += contrib
            scored.append((max(0.0, min(total, 1.0)), idx))
        scored.sort(key=lambda x: -x[0])
        return scored

    def _candidate(self, query: Fields, idx: int, score: float) -> Candidate:
        fields = self._fields[idx]
        return Candidate(self._entries[idx].address_id, judge(query, fields).level, round(score, 4), fields)

    def _block(self, q: Fields) -> set[int]:
        found: set[int] = set()
        exact_road = False
        if q.road:
            rids, exact_road = self._road_ids(q.road)
            for rid in rids:
                found.update(self._door.get((rid, _door_keys(q.roadno)[0]), ())[:MAX_BLOCK])
        if q.name and not (exact_road and self._answered(q, found)):
            cap = MAX_BLOCK if not found else NAME_CAP_WITH_ROAD
            for nid in self._name_ids(q.name):
                found.update(self._named[nid][:cap])
        return found

    def _answered(self, q: Fields, found: set[int]) -> bool:
        """The exact (road, door) block already holds an entry with the query's building and
        name, so the name block could only add worse candidates (the early exit of ``match``)."""
        if not q.roadno:
            return False
        return any(self._fields[i].building == q.building and self._fields[i].name == q.name for i in found)

    def _road_ids(self, road: str) -> tuple[list[int], bool]:
        """Road ids for ``road``: the road itself (exact), else the longest known suffix and the top
        fuzzy roads (福油街 is 豉油街 mistyped more likely than 油街 with a stray character)."""
        rid = self._roads.ids.get(road)
        if rid is not None:
            return [rid], True
        fuzzy = [rid for rid, _ in self._roads.top(road, FUZZY_ROADS, cutoff=60)]
        for i in range(1, len(road) - 1):
            rid = self._roads.ids.get(road[i:])
            if rid is not None:
                return [rid, *(f for f in fuzzy if f != rid)], False
        return fuzzy, False

    def _name_ids(self, name: str) -> list[int]:
        nid = self._names.ids.get(name)
        if nid is not None:
            return [nid]
        return [nid for nid, _ in self._names.top(name, FUZZY_NAMES, cutoff=50)]


def _door_keys(roadno: str) -> list[str]:
    """Block keys of a door number: the whole and each end of a range (25-27 → 25-27, 25, 27)."""
    if not roadno:
        return [""]
    parts = roadno.split("-")
    return [roadno] if len(parts) == 1 else [roadno, *parts]


def _sim(x: str, y: str) -> float:
    if not x and not y:
        return 0.5
    if not x or not y:
        return 0.3
    return fuzz.ratio(x, y, processor=None, score_cutoff=0) / 100


def _eq(x: str, y: str) -> float:
    if not x and not y:
        return 0.6
    if not x or not y:
        return 0.3
    return 1.0 if x == y else (0.5 if x.split("-")[0] == y.split("-")[0] else -0.5)


# Weighted field agreement (sums to a score in [0, 1]): (field index in Fields, weight, similarity).
_PARTS = ((2, 0.25, _sim), (4, 0.3, _sim), (3, 0.15, _eq), (5, 0.12, _eq), (6, 0.05, _eq), (7, 0.05, _eq),
          (8, 0.05, _eq), (0, 0.03, _eq))
