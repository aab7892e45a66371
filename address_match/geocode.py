"""Geocode entities from their registered address through the address library (批量地理编码).

Matches each text in Python (the library is in memory), then writes the results set-based:
COPY into a temporary table and one UPDATE that touches only rows whose result changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import cached_library
from .errors import AddressError
from .library import AddressLibrary

SOURCE = "address_library"

_PENDING_SQL = """
    SELECT id, coalesce(operating_address, registered_address) FROM enterprise
    WHERE coalesce(operating_address, registered_address) IS NOT NULL {where} ORDER BY id
"""
_APPLY_SQL = text("""
    UPDATE enterprise e
    SET address_id = g.address_id, building_id = g.building_id, geocode_level = g.level,
        geocode_score = g.score, geocode_source = :source, updated_at = now(),
        geom = CASE WHEN g.lon IS NULL THEN e.geom ELSE ST_SetSRID(ST_MakePoint(g.lon, g.lat), 4326) END
    FROM _geocode g
    WHERE e.id = g.id AND (e.address_id IS DISTINCT FROM g.address_id OR e.geocode_level IS DISTINCT FROM g.level
                           OR e.geocode_source IS DISTINCT FROM :source)
""")


def geocode_enterprises(session: Session, *, every: bool = False, ids: Iterable[int] | None = None,
                        library: AddressLibrary | None = None,
                        progress: Callable[[int], None] | None = None) -> dict:
    """Geocode entities without a point (``every`` for all, ``ids`` for some); counts by match level.

    Unmatched rows are marked ``geocode_level = 'none'`` so they can be listed, never silently left.
    """
    library = library or cached_library(session)
    pending = _pending(session, every=every, ids=ids)
    results, levels = [], Counter()
    for entity_id, address in pending:
        row = _match_one(library, entity_id, address)
        levels[row[5]] += 1
        results.append(row)
        if progress and len(results) % 1000 == 0:
            progress(1000)
    changed = _apply(session, results)
    return {"geocoded": len(results), "changed": changed, **{f"level_{k}": v for k, v in sorted(levels.items())}}


def _pending(session: Session, *, every: bool, ids: Iterable[int] | None) -> list[tuple[int, str]]:
    if ids is not None:
        return session.execute(text(_PENDING_SQL.format(where="AND id = ANY(:ids)")), {"ids": list(ids)}).all()
    where = "" if every else "AND (geom IS NULL OR address_id IS NULL)"
    return session.execute(text(_PENDING_SQL.format(where=where))).all()


def _match_one(library: AddressLibrary, entity_id: int, address: str) -> tuple:
    try:
        candidates = library.match(address, k=1)
    except AddressError:
        candidates = []
    if not candidates or candidates[0].level == "none":
        return (entity_id, None, None, None, None, "none", 0.0)
    best = candidates[0]
    entry = library.get(best.address_id)
    return (entity_id, best.address_id, entry.building_id, entry.lon, entry.lat, best.level, best.score)


def _apply(session: Session, rows: list[tuple]) -> int:
    session.execute(text("""
        CREATE TEMP TABLE IF NOT EXISTS _geocode (id bigint, address_id bigint, building_id bigint,
            lon float8, lat float8, level text, score numeric) ON COMMIT DROP
    """))
    session.execute(text("TRUNCATE _geocode"))
    cursor = session.connection().connection.cursor()
    with cursor.copy("COPY _geocode FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return session.execute(_APPLY_SQL, {"source": SOURCE}).rowcount
