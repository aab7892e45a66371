"""Geocode entities from their registered address through the address library (批量地理编码).

Matching happens in Python against the in-memory library, in bulk: each distinct text is matched
once, and large batches are split over forked worker processes that share the library
copy-on-write. Results are written set-based: one COPY into a temporary table and one
``UPDATE … FROM`` that touches only rows whose result changed.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import cached_library
from .errors import AddressError
from .library import AddressLibrary

SOURCE = "address_library"
# This transaction's results, one row per entity geocoded (id, address_id, building_id, lon, lat, level,
# score), until it commits: for callers that go on with the rows just placed (their grids).
RESULTS_TABLE = "_geocode"
RESULT_COLUMNS = ("address_id", "building_id", "lon", "lat", "level", "score")
PARALLEL_FROM = 20_000  # distinct texts; below this, forking workers costs more than it saves
CHUNK = 5_000  # texts per work unit (and per progress tick)

_PENDING_SQL = """
    SELECT id, coalesce(operating_address, registered_address) FROM enterprise
    WHERE coalesce(operating_address, registered_address) IS NOT NULL {where} ORDER BY id
"""
_APPLY_SQL = text(f"""
    UPDATE enterprise e
    SET address_id = g.address_id, building_id = g.building_id, geocode_level = g.level,
        geocode_score = g.score, geocode_source = :source, updated_at = now(),
        geom = CASE WHEN g.lon IS NULL THEN e.geom ELSE ST_SetSRID(ST_MakePoint(g.lon, g.lat), 4326) END
    FROM {RESULTS_TABLE} g
    WHERE e.id = g.id AND (e.address_id IS DISTINCT FROM g.address_id OR e.geocode_level IS DISTINCT FROM g.level
                           OR e.geocode_source IS DISTINCT FROM :source)
""")
_UNMATCHED = (None, None, None, None, "none", 0.0)


def geocode_enterprises(session: Session, *, every: bool = False, ids: Iterable[int] | None = None,
                        library: AddressLibrary | None = None,
                        progress: Callable[[int], None] | None = None) -> dict:
    """Geocode entities without a point (``every`` for all, ``ids`` for some); counts by match level.

    Unmatched rows are marked ``geocode_level = 'none'`` so they can be listed, never silently left.
    """
    library = library or cached_library(session)
    pending = _pending(session, every=every, ids=ids)
    ids_found = np.array([r[0] for r in pending], dtype=np.int64)
    results = match_addresses(library, [r[1] for r in pending], progress=progress)
    results.insert(0, "id", ids_found)
    changed = _apply(session, results)
    levels = results["level"].value_counts().sort_index()
    return {"geocoded": len(results), "changed": changed, **{f"level_{k}": int(v) for k, v in levels.items()}}


def match_addresses(library: AddressLibrary, addresses: Sequence[str | None], *,
                    progress: Callable[[int], None] | None = None, workers: int | None = None) -> pd.DataFrame:
    """Best library entry for each address, in input order: a frame of ``RESULT_COLUMNS``
    (WGS84 lon/lat; ``level`` exact/partial/none; unmatched rows have ``level = 'none'`` and nulls).

    Each distinct text is matched once. From ``PARALLEL_FROM`` distinct texts on, the work is
    split over ``workers`` forked processes (default: the CPU count, at most 4) when called from a
    process's main thread.
    """
    codes, uniques = pd.factorize(pd.Series(addresses, dtype=object), use_na_sentinel=True)
    texts = [str(t) for t in uniques]
    workers = workers or min(os.cpu_count() or 1, 4)
    # Only a main thread forks (the command line): a web upload runs in a server thread, and forking a
    # multi-threaded process copies locks other threads may hold at that moment.
    if workers > 1 and len(texts) >= PARALLEL_FROM and threading.current_thread() is threading.main_thread():
        matched = _match_parallel(library, texts, workers, progress)
    else:
        matched = []
        for start in range(0, len(texts), CHUNK):
            matched += _match_texts(library, texts[start:start + CHUNK])
            if progress:
                progress(min(CHUNK, len(texts) - start))
    table = pd.DataFrame(matched + [_UNMATCHED], columns=RESULT_COLUMNS)  # the last row: no text at all
    rows = table.iloc[np.where(codes < 0, len(matched), codes)].reset_index(drop=True)
    return rows.astype({"address_id": "Int64", "building_id": "Int64", "lon": float, "lat": float, "score": float})


def _match_texts(library: AddressLibrary, texts: list[str]) -> list[tuple]:
    return [_match_one(library, t) for t in texts]


def _match_one(library: AddressLibrary, address: str) -> tuple:
    try:
        candidates = library.match(address, k=1)
    except AddressError:
        candidates = []
    if not candidates or candidates[0].level == "none":
        return _UNMATCHED
    best = candidates[0]
    entry = library.get(best.address_id)
    return (best.address_id, entry.building_id, entry.lon, entry.lat, best.level, best.score)


# The forked workers read the parent's library through this global (copy-on-write, never pickled).
_worker_library: AddressLibrary | None = None


def _worker_chunk(texts: list[str]) -> list[tuple]:
    return _match_texts(_worker_library, texts)


def _match_parallel(library: AddressLibrary, texts: list[str], workers: int,
                    progress: Callable[[int], None] | None) -> list[tuple]:
    global _worker_library
    chunks = [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]
    _worker_library = library
    gc.freeze()  # the children's collector would otherwise walk, and so copy, every page of the library
    try:
        # Workers exit with os._exit, so the parent's open database connection is never touched.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            matched = []
            for part in pool.imap(_worker_chunk, chunks):
                matched += part
                if progress:
                    progress(len(part))
    finally:
        _worker_library = None
        gc.unfreeze()
    return matched


def _pending(session: Session, *, every: bool, ids: Iterable[int] | None) -> list[tuple[int, str]]:
    if ids is not None:
        return session.execute(text(_PENDING_SQL.format(where="AND id = ANY(:ids)")), {"ids": list(ids)}).all()
    where = "" if every else "AND (geom IS NULL OR address_id IS NULL)"
    return session.execute(text(_PENDING_SQL.format(where=where))).all()


def _apply(session: Session, results: pd.DataFrame) -> int:
    session.execute(text(f"""
        CREATE TEMP TABLE IF NOT EXISTS {RESULTS_TABLE} (id bigint, address_id bigint, building_id bigint,
            lon float8, lat float8, level text, score numeric) ON COMMIT DROP
    """))
    session.execute(text(f"TRUNCATE {RESULTS_TABLE}"))
    copy_frame(session, RESULTS_TABLE, results[["id", *RESULT_COLUMNS]])
    session.execute(text(f"ANALYZE {RESULTS_TABLE}"))
    return session.execute(_APPLY_SQL, {"source": SOURCE}).rowcount


def copy_frame(session: Session, table: str, frame: pd.DataFrame, chunk: int = 200_000) -> None:
    """COPY ``frame`` (columns named as in ``table``) into ``table``, as CSV built by pandas."""
    cursor = session.connection().connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(frame), chunk):
            buffer = io.StringIO()
            frame.iloc[start:start + chunk].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())
