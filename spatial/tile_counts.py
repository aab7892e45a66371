"""Entities per risk class of every grid, for the per-grid tiles (aggregated enterprises, grids).

Cached per process and database, and recomputed when the grids' data versions change; each tile
statement gets the counts of the grids near it as one JSON parameter.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from spatial.tile_layers import BUFFER, EXTENT, LAYERS, TileScope, layer_versions


@dataclass(frozen=True)
class _Counts:
    """Entities per class of every grid code (rolled up to parents) and each grid's bounding box."""

    versions: dict[str, int]
    by_code: dict[str, tuple[int, int, int, int, int]]
    codes: np.ndarray  # grid codes with a box, in the order of ``boxes``
    boxes: np.ndarray  # (n, 4) lon/lat [xmin, ymin, xmax, ymax]

    def near(self, box: tuple[float, float, float, float]) -> list[str]:
        """Codes of the grids whose box meets ``box`` (lon/lat): the only ones a tile there can show."""
        b = self.boxes
        hit = (b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])
        return self.codes[hit].tolist()


class _GridCounts:
    """Entities per class for every grid code, rolled up to parents; cached per database and data version.

    A tile statement carries, as one JSON parameter, the counts of the grids near the tile only: all
    3,000 grids' counts made a 128 KB parameter that every tile request sent and PostgreSQL parsed.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: dict[str, _Counts] = {}  # url → counts

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def get(self, session: Session | Connection) -> _Counts:
        """The counts at the current data versions (one small query to check them)."""
        return self._current(session)

    def cached(self, session: Session | Connection, *, refresh: bool) -> _Counts:
        """The counts last computed for this database; checks the data versions only if ``refresh``."""
        if not refresh:
            with self._lock:
                found = self._cache.get(database_key(session))
            if found is not None:
                return found
        return self._current(session)

    def _current(self, session) -> _Counts:
        url = database_key(session)
        deps = LAYERS["grids"].depends_on
        versions = dict(zip(deps, layer_versions(session, LAYERS["grids"]), strict=True))
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and cached.versions == versions:
                return cached
        computed = self._compute(session, versions)
        with self._lock:
            self._cache[url] = computed
        return computed

    @staticmethod
    def _compute(session, versions: dict[str, int]) -> _Counts:
        rows = session.execute(text(
            "SELECT grid_code, count(*), count(*) FILTER (WHERE risk_class = 'A'), count(*) FILTER (WHERE risk_class = 'B'), "
            "count(*) FILTER (WHERE risk_class = 'C'), count(*) FILTER (WHERE risk_class = 'D') "
            "FROM enterprise WHERE grid_code IS NOT NULL GROUP BY grid_code")).all()
        grids = session.execute(text(
            "SELECT g.code, g.parent_code, ST_XMin(g.geom), ST_YMin(g.geom), ST_XMax(g.geom), ST_YMax(g.geom) "
            "FROM grid g JOIN grid_version v ON v.id = g.version_id WHERE v.status = 'active'")).all()
        parents = {code: parent for code, parent, *_ in grids}
        totals: dict[str, list[int]] = {}
        for code, *counts in rows:
            seen = set()
            while code is not None and code not in seen:
                seen.add(code)
                acc = totals.setdefault(code, [0] * 5)
                for i, n in enumerate(counts):
                    acc[i] += n
                code = parents.get(code)
        return _Counts(versions, {code: tuple(v) for code, v in totals.items()},
                       np.array([g[0] for g in grids], dtype=object),
                       np.array([g[2:] for g in grids], dtype=float).reshape(len(grids), 4))


GRID_COUNTS = _GridCounts()


def database_key(session: Session | Connection) -> str:
    """What keys per-database caches: the engine URL (password hidden)."""
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.engine.url.render_as_string()


def count_params(counts: _Counts, scope: TileScope, z: int, x: int, y: int) -> dict:
    """The ``counts`` parameter of tile z/x/y: {code: [n, n_a, n_b, n_c, n_d]} of the grids near it,
    classes only where ``scope`` sees them."""
    visible = {}
    for code in counts.near(_tile_box(z, x, y)):
        n = counts.by_code.get(code)
        if n is not None:
            visible[code] = [n[0], *(n[1:] if _sees(scope, code) else (None,) * 4)]
    return {"counts": json.dumps(visible, separators=(",", ":"))}


def _tile_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Lon/lat bounds of tile z/x/y with its buffer (and a little more, for rounding)."""
    pad = (BUFFER / EXTENT) * 1.01
    n = 2 ** z

    def lon(tx):
        return tx / n * 360.0 - 180.0

    def lat(ty):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    return lon(x - pad), lat(y + 1 + pad), lon(x + 1 + pad), lat(y - pad)


def _sees(scope: TileScope, grid_code: str) -> bool:
    return scope.all_grids or grid_code in scope.grid_codes
