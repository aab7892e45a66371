"""Place-name search like a web map (地名搜索): roads, buildings and estates, POIs, enterprises
(full and short names), library addresses, streets/communities and zones, fuzzy and ranked.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from address_match import normalize
from spatial.errors import SpatialError

MAX_QUERY_CHARS = 64
PER_LAYER = 10
FUZZY_CANDIDATES = 100  # per layer: typo matching ranks at most this many trigram candidates
# Trigrams need three characters: shorter queries search names by prefix (btree), not by substring.
SUBSTRING_MIN_CHARS = 3
_PART = re.compile(r"^-- part: (\w+)\n(.*?)(?=^-- part: |\Z)", re.S | re.M)
_LAST_CHAR = "\U0010ffff"  # sorts after every character: q + it bounds the names that start with q


# A substring common to tens of thousands of names (餐饮管, 信息咨) made each trigram index scan read its
# whole posting list into a bitmap, 5–8 ms per layer, to return ten rows. Past this many entries the
# index returns a random sample of about this size instead (gin_fuzzy_search_limit): the ten rows kept
# per layer were already arbitrary among so many (exact names and prefixes come from btree scans), and
# the statement fell from about 24 ms to 4 ms for such queries at 10^6 enterprises.
GIN_SAMPLE = 2000

_PREFER_INDEXES = text("SELECT current_setting('enable_seqscan'), current_setting('gin_fuzzy_search_limit'), "
                       "set_config('enable_seqscan', 'off', true), set_config('gin_fuzzy_search_limit', :cap, true)")
_RESTORE = text("SELECT set_config('enable_seqscan', :seqscan, true), set_config('gin_fuzzy_search_limit', :cap, true)")


@lru_cache(maxsize=1)
def _statements() -> tuple[TextClause, TextClause]:
    """The search and, for when it finds nothing, the typo search: sql/places.sql's parts joined."""
    source = resources.files("spatial").joinpath("sql/places.sql").read_text(encoding="utf-8")
    parts = dict(_PART.findall(source))
    return text(parts["found"] + parts["rank"]), text(parts["typos"] + parts["rank"])


def search_places(session: Session, *, q: str, limit: int = 10) -> list[dict]:
    """Named places matching ``q``, best first: dicts with ``source`` (poi, road, building,
    enterprise, address, grid_street, grid_community, zone), ``id``, ``name``, ``detail``, WGS84
    ``lon``/``lat`` and ``score`` in [0, 1] (1 = exact name, 0.9 = prefix, then substring, then
    trigram similarity for typos).

    Every length is answered from indexes with a cap per source: 1–2 characters by exact name and
    prefix (names that start with ``q``; small layers also by substring), 3 or more also by substring
    (trigram GIN) and, when that finds nothing, by trigram similarity (typos; enterprises by short name).
    """
    q = _check_query(q)
    if not 1 <= limit <= 50:
        raise SpatialError("limit 须在 1 到 50 之间 / limit must be in [1, 50]")
    like = "%" + _escape_like(q) + "%"
    params = {"q": q, "q_end": q + _LAST_CHAR, "like": like, "prefix": _escape_like(q) + "%",
              "substring": len(q) >= SUBSTRING_MIN_CHARS, "k": max(PER_LAYER, limit), "fuzzy_cap": FUZZY_CANDIDATES,
              "norm_like": "%" + _escape_like(_normalized(q)) + "%", "limit": limit}
    # The planner takes 1 % of rows to match any LIKE '%q%' and so expects LIMIT :k to stop a sequential
    # scan early; a road name matching 0.1 % of 10^6 addresses made that scan 25–40 ms where the trigram
    # index answers in 0.2 ms. Index scans are preferred for this statement only (the small tables
    # have no such index and are still scanned), and very common substrings are sampled (GIN_SAMPLE).
    # If the statement fails, the transaction is aborted and its rollback restores the setting.
    seqscan, cap = session.execute(_PREFER_INDEXES, {"cap": str(GIN_SAMPLE)}).one()[:2]
    found, typos = _statements()
    rows = session.execute(found, params).mappings().all()
    if not rows and params["substring"]:
        rows = session.execute(typos, params).mappings().all()
    session.execute(_RESTORE, {"seqscan": seqscan, "cap": cap})
    return [dict(r) for r in rows]


def _check_query(q) -> str:
    q = (q or "").strip()
    if not q:
        raise SpatialError("请输入地名 / q is required")
    if len(q) > MAX_QUERY_CHARS:
        raise SpatialError(f"查询过长（最多{MAX_QUERY_CHARS}字）/ q is longer than {MAX_QUERY_CHARS} characters")
    if any(ord(ch) < 32 for ch in q):
        raise SpatialError("查询含控制字符 / q contains control characters")
    return q


def _normalized(q: str) -> str:
    try:
        return normalize(q)
    except ValueError:
        return q


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
