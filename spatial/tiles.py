"""Mapbox vector tiles (``ST_AsMVT``) for the map layers, their ETags and TileJSON.

Layers and what their features carry:

- ``enterprises``: points from z15 (id, uscc, name, industry, status, grid, risk_class); below
  z15 one point per base grid (grid, name, n and n_a…n_d), since raw points cost up to 1.25 MB
  and 200 ms per z14 tile at 10^6 entities (PERFORMANCE-NOTES.md).
- ``grids``: polygons of the active grid version (code, name, level, parent, counts by class,
  rolled up street ← community ← grid).
- ``buildings`` (floors, height, use, latest economy year), ``pois``, ``roads``, ``streets``.

Risk classes are non-public: a ``TileScope`` says whose grids' classes a tile may carry, and the
ETag includes it. ETags come from ``data_version`` rows, which imports, classification and grid
activation bump, so a changed class always yields a new ETag and never a stale colour.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from models.db import driver_execute, pyformat

TILE_FORMAT = "1"  # bump when a layer's attributes change, so old ETags stop matching
EXTENT = 4096
BUFFER = 64
POINTS_FROM_ZOOM = 15  # below this, ``enterprises`` is aggregated per grid
MAX_ZOOM = 22


class TileError(ValueError):
    """A tile request the caller got wrong (unknown layer, impossible coordinates)."""


@dataclass(frozen=True)
class TileScope:
    """Whose risk data a tile may carry: everything, some grids, or nothing (the public)."""

    all_grids: bool = False
    grid_codes: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        if self.all_grids:
            return "all"
        if not self.grid_codes:
            return "public"
        return "g" + hashlib.sha1("|".join(sorted(self.grid_codes)).encode()).hexdigest()[:12]


PUBLIC_SCOPE = TileScope()


@dataclass(frozen=True)
class Layer:
    name: str
    minzoom: int
    maxzoom: int
    max_features: int
    depends_on: tuple[str, ...]  # data_version layers
    fields: dict[str, str]
    description: str
    scoped: bool = False  # carries risk data that depends on the viewer


_COUNT_FIELDS = {"n": "Number", "n_a": "Number", "n_b": "Number", "n_c": "Number", "n_d": "Number"}
LAYERS = {layer.name: layer for layer in (
    Layer("enterprises", 8, 16, 20000, ("enterprises", "grids"),
          {"uscc": "String", "name": "String", "industry": "String", "industry_label": "String", "status": "String",
           "grid": "String", "risk_class": "String", "aggregate": "Boolean", **_COUNT_FIELDS},
          "市场主体（z15 起为点，低缩放级别按网格汇总）", scoped=True),
    Layer("grids", 8, 16, 6000, ("grids", "enterprises"),
          {"code": "String", "name": "String", "level": "String", "parent": "String", **_COUNT_FIELDS},
          "监管网格（启用版本）及各风险类别主体数", scoped=True),
    Layer("buildings", 14, 16, 10000, ("buildings",),
          {"name": "String", "use": "String", "floors": "Number", "height_m": "Number", "year": "Number",
           "output_value_10k": "Number", "employment": "Number", "tax_10k": "Number", "entity_count": "Number"},
          "建筑物轮廓及楼宇经济概况"),
    Layer("pois", 12, 16, 5000, ("pois",), {"kind": "String", "name": "String"}, "学校、医院等敏感场所"),
    Layer("roads", 10, 16, 10000, ("roads",), {"name": "String", "kind": "String"}, "道路"),
    Layer("streets", 6, 16, 500, ("streets", "grids"), {"code": "String", "name": "String"}, "街道/镇界"),
)}


def get_layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        raise TileError(f"未知图层 / unknown layer {name!r}; layers: {', '.join(LAYERS)}") from None


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise TileError(f"瓦片坐标无效 / no tile {z}/{x}/{y}")


# ---------------------------------------------------------------- versions and ETags


def layer_versions(session: Session | Connection, layer: Layer) -> tuple[int, ...]:
    rows = dict(session.execute(text("SELECT layer, version FROM data_version WHERE layer = ANY(:layers)"),
                                {"layers": list(layer.depends_on)}).all())
    return tuple(int(rows.get(name, 0)) for name in layer.depends_on)


def etag_for(layer: Layer, scope: TileScope, versions: str) -> str:
    """The ETag of every tile of ``layer`` at ``versions`` ("3.7", one number per ``depends_on``), as ``scope`` sees it."""
    scope_key = scope.key if layer.scoped else "-"
    return f'"{layer.name}-{TILE_FORMAT}-{versions}-{scope_key}"'


def tile_etag(session: Session | Connection, layer: Layer, scope: TileScope) -> str:
    """An ETag for every tile of ``layer`` at the current data versions, as this scope sees them."""
    return etag_for(layer, scope, ".".join(map(str, layer_versions(session, layer))))


def versions_in_etags(layer: Layer, scope: TileScope, etags) -> list[str]:
    """The data versions named by those of ``etags`` (an If-None-Match) that this layer and scope would send."""
    head, tail = f"{layer.name}-{TILE_FORMAT}-", "-" + (scope.key if layer.scoped else "-")
    return [tag[len(head):-len(tail)] for tag in etags
            if tag.startswith(head) and tag.endswith(tail) and len(tag) > len(head) + len(tail)]


# ---------------------------------------------------------------- counts per grid


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
                found = self._cache.get(_url(session))
            if found is not None:
                return found
        return self._current(session)

    def _current(self, session) -> _Counts:
        url = _url(session)
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


def _url(session: Session | Connection) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.engine.url.render_as_string()


def _count_params(counts: _Counts, scope: TileScope, z: int, x: int, y: int) -> dict:
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


# ---------------------------------------------------------------- SQL per layer

_BOUNDS = ("WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env, "
           "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS box) ")
_MVT_GEOM = "ST_AsMVTGeom(ST_Transform({col}, 3857), bounds.env, :extent, :buffer, true)"
_ACTIVE_GRID = "JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'"
# Counts come as one JSON object {grid code: [n, n_a, n_b, n_c, n_d]} and are looked up per grid: joining
# unnest()ed arrays let the planner (expecting one grid row) rescan 3,000 codes per grid, 1.5 s per z12 tile.
_COUNTS = ("LEFT JOIN LATERAL (SELECT (x->>0)::int AS n, (x->>1)::int AS n_a, (x->>2)::int AS n_b, (x->>3)::int AS n_c, "
           "(x->>4)::int AS n_d FROM (SELECT CAST(:counts AS jsonb) -> g.code::text AS x) j WHERE x IS NOT NULL) c ON true")

_SQL = {
    "enterprise_points": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'enterprises', :extent, 'geom', 'id') FROM (
  SELECT e.id, e.uscc, e.name, e.industry_code AS industry, e.industry_label, e.status, e.grid_code AS grid,
         CASE WHEN CAST(:all_grids AS boolean) OR e.grid_code = ANY(CAST(:grid_codes AS text[]))
              THEN e.risk_class END AS risk_class,
         {_MVT_GEOM.format(col='e.geom')} AS geom
  FROM enterprise e, bounds WHERE e.geom && bounds.box LIMIT :cap) t""",
    "enterprise_aggregates": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'enterprises', :extent, 'geom') FROM (
  SELECT g.code AS grid, g.name, true AS aggregate, c.n, c.n_a, c.n_b, c.n_c, c.n_d,
         {_MVT_GEOM.format(col='ST_PointOnSurface(g.geom)')} AS geom
  FROM grid g {_ACTIVE_GRID} {_COUNTS.replace('LEFT JOIN', 'JOIN')}, bounds
  WHERE g.level = 'grid' AND g.geom && bounds.box AND ST_Intersects(ST_PointOnSurface(g.geom), bounds.box)
  LIMIT :cap) t""",
    "grids": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'grids', :extent, 'geom') FROM (
  SELECT g.code, g.name, g.level, g.parent_code AS parent, c.n, c.n_a, c.n_b, c.n_c, c.n_d,
         {_MVT_GEOM.format(col='g.geom')} AS geom
  FROM grid g {_ACTIVE_GRID} {_COUNTS}, bounds
  WHERE g.geom && bounds.box LIMIT :cap) t""",
    "streets": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'streets', :extent, 'geom') FROM (
  SELECT g.code, g.name, {_MVT_GEOM.format(col='g.geom')} AS geom
  FROM grid g {_ACTIVE_GRID}, bounds WHERE g.level = 'street' AND g.geom && bounds.box LIMIT :cap) t""",
    "buildings": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'buildings', :extent, 'geom', 'id') FROM (
  SELECT b.id, b.name, b.use, b.floors, b.height_m::float8 AS height_m, ec.year, ec.output_value_10k::float8 AS output_value_10k,
         ec.employment, ec.tax_10k::float8 AS tax_10k, ec.entity_count,
         {_MVT_GEOM.format(col='b.footprint')} AS geom
  FROM building b CROSS JOIN bounds
  LEFT JOIN LATERAL (SELECT * FROM building_economy be WHERE be.building_id = b.id ORDER BY be.year DESC LIMIT 1) ec ON true
  WHERE b.footprint && bounds.box LIMIT :cap) t""",
    "pois": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'pois', :extent, 'geom', 'id') FROM (
  SELECT p.id, p.kind, p.name, {_MVT_GEOM.format(col='p.geom')} AS geom
  FROM poi p, bounds WHERE p.geom && bounds.box LIMIT :cap) t""",
    "roads": _BOUNDS + f"""
SELECT ST_AsMVT(t, 'roads', :extent, 'geom', 'id') FROM (
  SELECT r.id, r.name, r.kind, {_MVT_GEOM.format(col='r.geom')} AS geom
  FROM road r, bounds WHERE r.geom && bounds.box LIMIT :cap) t""",
}


def tile_sql(layer: Layer, z: int) -> str:
    """The statement for ``layer`` at zoom ``z`` (also used by the benchmark for the raw-SQL baseline)."""
    if layer.name == "enterprises":
        return _SQL["enterprise_points" if z >= POINTS_FROM_ZOOM else "enterprise_aggregates"]
    return _SQL[layer.name]


def render_tile(session: Session | Connection, *, layer: str, z: int, x: int, y: int,
                scope: TileScope = PUBLIC_SCOPE) -> bytes:
    """The MVT bytes of one tile (empty for zooms outside the layer's range).

    Coordinates are XYZ in Web Mercator (EPSG:3857), as MapLibre requests them. This is the tile
    statement alone; ``fetch_tile`` is what the tile endpoint uses (ETag and tile in one round trip).
    """
    statement = tile_statement(session, layer=layer, z=z, x=x, y=y, scope=scope)
    if statement is None:
        return b""
    data = session.execute(text(statement[0]), statement[1]).scalar()
    return bytes(data or b"")


def tile_statement(session: Session | Connection, *, layer: str, z: int, x: int, y: int,
                   scope: TileScope = PUBLIC_SCOPE) -> tuple[str, dict] | None:
    """The SQL and parameters that build one tile (None outside the layer's zooms); the benchmark's baseline."""
    spec = get_layer(layer)
    check_tile(z, x, y)
    if not spec.minzoom <= z <= spec.maxzoom:
        return None
    params = _tile_params(spec, z, x, y, scope)
    if _needs_counts(spec, z):
        params.update(_count_params(GRID_COUNTS.get(session), scope, z, x, y))
    return tile_sql(spec, z), params


@dataclass(frozen=True)
class FetchedTile:
    etag: str
    data: bytes | None  # None: the caller's ETag is current (304); b"": no features or zoom out of range


class TileCache:
    """Built tiles kept in this process, least recently used out first, at most ``max_bytes`` in all.

    Keyed by database, layer, tile, viewer scope and the data versions the tile was built at: a
    request still reads the current versions (in the same statement that would build the tile), so a
    cached tile is served only while its versions are current and a changed class is never stale.
    Maps ask for the same district tiles again and again; this spares rebuilding them.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.hits = self.misses = 0
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()  # tile key → (versions, MVT)
        self._bytes = 0

    def versions(self, key: tuple) -> dict[str, bytes]:
        """{versions: tile} cached for ``key`` (one entry, or none)."""
        if self.max_bytes <= 0:
            return {}
        with self._lock:
            found = self._tiles.get(key)
            if found is None:
                return {}
            self._tiles.move_to_end(key)
            return {found[0]: found[1]}

    def put(self, key: tuple, versions: str, data: bytes) -> None:
        """Keep ``data`` as ``key``'s tile at ``versions`` (replacing an older one); tiles over a
        sixteenth of the cache are not kept."""
        if not 0 < len(data) <= self.max_bytes // 16:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._tiles[key] = (versions, data)
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                self._bytes -= len(self._tiles.popitem(last=False)[1][1])

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0
            self.hits = self.misses = 0


TILE_CACHE = TileCache(int(float(os.environ.get("MARKETMAP_TILE_CACHE_MB", "64")) * 1024 * 1024))


def fetch_tile(session: Session | Connection, *, layer: str, z: int, x: int, y: int,
               scope: TileScope = PUBLIC_SCOPE, if_none_match=(), cache: TileCache | None = None) -> FetchedTile:
    """ETag and MVT bytes of one tile in one statement; the tile is not built when an ETag in
    ``if_none_match`` is current, or when ``cache`` holds it at the current data versions.

    Data versions are read in the same statement as the tile (no second round trip, never a stale
    ETag). Per-grid counts come from a per-process cache; the statement checks they were computed at
    the versions it reads, and if not (a class changed meanwhile) they are refreshed and it runs again.
    """
    spec = get_layer(layer)
    check_tile(z, x, y)
    client = versions_in_etags(spec, scope, if_none_match)
    in_range = spec.minzoom <= z <= spec.maxzoom
    key = (_url(session), spec.name, z, x, y, scope.key if spec.scoped else "-")
    cached = cache.versions(key) if cache is not None and in_range else {}
    params = {"depends_on": list(spec.depends_on), "client_versions": client + list(cached), "counts_at": None}
    if in_range:
        params.update(_tile_params(spec, z, x, y, scope))
    for refresh in (False, True):
        if in_range and _needs_counts(spec, z):
            counts = GRID_COUNTS.cached(session, refresh=refresh)
            params.update(_count_params(counts, scope, z, x, y),
                          counts_at=".".join(str(counts.versions.get(n, 0)) for n in spec.depends_on))
        versions, data = driver_execute(session, _fetch_sql(spec, z, in_range), params)[0]
        if versions in client:
            return FetchedTile(etag_for(spec, scope, versions), None)
        if versions in cached:
            cache.hits += 1
            return FetchedTile(etag_for(spec, scope, versions), cached[versions])
        if params["counts_at"] in (None, versions):
            data = bytes(data or b"")
            if cache is not None and in_range:
                cache.misses += 1
                cache.put(key, versions, data)
            return FetchedTile(etag_for(spec, scope, versions), data)
    raise RuntimeError("grid counts kept changing while the tile was built")  # two versions in one request


def _tile_params(spec: Layer, z: int, x: int, y: int, scope: TileScope) -> dict:
    return {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER, "margin": BUFFER / EXTENT,
            "cap": spec.max_features, "all_grids": scope.all_grids, "grid_codes": sorted(scope.grid_codes)}


def _needs_counts(spec: Layer, z: int) -> bool:
    return spec.name == "grids" or (spec.name == "enterprises" and z < POINTS_FROM_ZOOM)


_VERSIONS = ("WITH v AS (SELECT string_agg(coalesce(d.version, 0)::text, '.' ORDER BY l.i) AS versions "
             "FROM unnest(CAST(:depends_on AS text[])) WITH ORDINALITY AS l(name, i) "
             "LEFT JOIN data_version d ON d.layer = l.name) ")


def layer_versions_sql() -> str:
    """A driver-ready statement (``%(depends_on)s``: a layer's ``depends_on``) giving the data versions
    as ETags carry them ("3.7"), as ``fetch_tile`` reads them."""
    return pyformat(_VERSIONS + "SELECT v.versions FROM v")


def _fetch_sql(spec: Layer, z: int, in_range: bool) -> str:
    # An uncorrelated sub-select is an InitPlan, run only when its CASE branch is reached: a 304 or
    # stale counts cost the version look-up alone.
    if not in_range:
        return _VERSIONS + "SELECT v.versions, NULL::bytea FROM v"
    return (_VERSIONS + "SELECT v.versions, CASE WHEN v.versions = ANY(CAST(:client_versions AS text[])) THEN NULL "
            "WHEN v.versions IS DISTINCT FROM coalesce(CAST(:counts_at AS text), v.versions) THEN NULL "
            f"ELSE ({tile_sql(spec, z)}) END FROM v")


# ---------------------------------------------------------------- TileJSON


def tilejson(session: Session, *, layer: str, tiles_url: str) -> dict:
    """A TileJSON 3.0 document for ``layer``; ``tiles_url`` holds {z}/{x}/{y}."""
    spec = get_layer(layer)
    bounds = data_bounds(session)
    return {
        "tilejson": "3.0.0", "name": spec.name, "description": spec.description, "scheme": "xyz",
        "tiles": [tiles_url], "minzoom": spec.minzoom, "maxzoom": spec.maxzoom, "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, max(spec.minzoom, 12)],
        "vector_layers": [{"id": spec.name, "description": spec.description, "fields": spec.fields,
                           "minzoom": spec.minzoom, "maxzoom": spec.maxzoom}],
        "version": ".".join(map(str, layer_versions(session, spec))),
    }


def data_bounds(session: Session) -> list[float]:
    """[west, south, east, north] in degrees: the active grids, else the entities, else the world."""
    row = session.execute(text(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT coalesce("
        "(SELECT ST_Extent(g.geom) FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'), "
        "(SELECT ST_Extent(geom) FROM (SELECT geom FROM enterprise WHERE geom IS NOT NULL LIMIT 100000) s)) AS b) q")).one()
    if row[0] is None:
        return [-180.0, -85.0511, 180.0, 85.0511]
    return [round(float(v), 6) for v in row]
