"""Mapbox vector tiles (``ST_AsMVT``) for the map layers: the statements, one tile with its ETag
in one round trip, the per-process tile cache, and TileJSON.

Layers and what their features carry:

- ``enterprises``: points from z15 (id, uscc, name, industry, status, grid, risk_class); below
  z15 one point per base grid (grid, name, n and n_a…n_d), since raw points cost up to 1.25 MB
  and 200 ms per z14 tile at 10^6 entities (PERFORMANCE-NOTES.md).
- ``grids``: polygons of the active grid version (code, name, level, parent, counts by class,
  rolled up street ← community ← grid).
- ``buildings`` (floors, height, use, latest economy year), ``pois``, ``roads``, ``streets``.

The layer registry, viewer scopes and ETags are in ``spatial.tile_layers``; the per-grid counts
in ``spatial.tile_counts``. Risk classes are non-public: a ``TileScope`` says whose grids' classes
a tile may carry, and the ETag includes it.
"""


import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from models.db import driver_execute, pyformat
from spatial.tile_counts import GRID_COUNTS, count_params, database_key
from spatial.tile_layers import (
    BUFFER,
    EXTENT,
    POINTS_FROM_ZOOM,
    PUBLIC_SCOPE,
    Layer,
    TileScope,
    check_tile,
    etag_for,
    get_layer,
    layer_versions,
    versions_in_etags,
)

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
        params.update(count_params(GRID_COUNTS.get(session), scope, z, x, y))
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
    key = (database_key(session), spec.name, z, x, y, scope.key if spec.scoped else "-")
    cached = cache.versions(key) if cache is not None and in_range else {}
    params = {"depends_on": list(spec.depends_on), "client_versions": client + list(cached), "counts_at": None}
    if in_range:
        params.update(_tile_params(spec, z, x, y, scope))
    for refresh in (False, True):
        if in_range and _needs_counts(spec, z):
            counts = GRID_COUNTS.cached(session, refresh=refresh)
            params.update(count_params(counts, scope, z, x, y),
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
