"""Radius search: enterprises or POIs within ``radius_m`` metres of a WGS84 point, nearest first.

Distances are metres on the WGS84 spheroid (PostGIS ``geography``), boundary included. The
queries use the GiST indexes on ``(geom::geography)`` (``ix_enterprise_geog``, ``ix_poi_geog``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from models.db import driver_execute
from spatial.errors import PlaceNotFound, RadiusOutOfRange, SpatialError
from spatial.rules import check_known, load_rules

MAX_RADIUS_M = 5000.0
MAX_LIMIT = 5000
RISK_CLASSES = ("A", "B", "C", "D")
LAYERS = ("enterprise", "poi")
OPERATING_STATUSES = ("存续", "在业")  # entities that still trade (not 吊销/注销/迁出)
# Points exactly on the circle must count as inside: PostGIS and pyproj may disagree in the last
# floating-point digits, so the search reaches one millimetre further.
BOUNDARY_TOLERANCE_M = 0.001

ENTERPRISE_COLUMNS = """e.id, e.uscc, e.name, e.short_name, e.entity_type, e.industry_code, e.industry_label,
       e.category, e.status, e.established_on, e.registered_address, e.grid_code, e.risk_class,
       ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat"""

# The properties of one result row, in the order of the SELECT lists below.
ENTERPRISE_FIELDS = ("id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label",
                     "category", "status", "established_on", "registered_address", "grid_code", "risk_class",
                     "lon", "lat", "distance_m")
POI_FIELDS = ("id", "kind", "name", "address_text", "grid_code", "lon", "lat", "distance_m")

_ENTERPRISES_SQL = f"""
SELECT {ENTERPRISE_COLUMNS}, ST_Distance(e.geom::geography, c.g) AS distance_m
FROM enterprise e,
     (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS g) c
WHERE ST_DWithin(e.geom::geography, c.g, :reach_m)
  AND (CAST(:categories AS text[]) IS NULL OR e.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:risk_classes AS text[]) IS NULL OR e.risk_class = ANY(CAST(:risk_classes AS text[])))
  AND (CAST(:statuses AS text[]) IS NULL OR e.status = ANY(CAST(:statuses AS text[])))
ORDER BY distance_m, e.id
LIMIT :limit
"""

_POIS_SQL = """
SELECT p.id, p.kind, p.name, p.address_text, p.grid_code, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       ST_Distance(p.geom::geography, c.g) AS distance_m
FROM poi p,
     (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS g) c
WHERE ST_DWithin(p.geom::geography, c.g, :reach_m)
  AND (CAST(:kinds AS text[]) IS NULL OR p.kind = ANY(CAST(:kinds AS text[])))
ORDER BY distance_m, p.id
LIMIT :limit
"""

_POI_LIST_SQL = """
SELECT id, kind, name, address_text, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM poi WHERE kind = :kind ORDER BY name, id
"""
_POI_SQL = "SELECT id, kind, name, address_text, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM poi WHERE id = :id"


def check_point(lon, lat) -> tuple[float, float]:
    """A valid WGS84 (lon, lat) as floats, or SpatialError saying what is wrong (e.g. swapped)."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise SpatialError("经纬度必须是数字 / lon and lat must be numbers") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise SpatialError("经纬度必须是有限数字 / lon and lat must be finite numbers")
    if not -90 <= lat <= 90:
        hint = "；经纬度是否颠倒？/ are lon and lat swapped?" if -90 <= lon <= 90 else ""
        raise SpatialError(f"纬度超出范围 [-90, 90] / lat out of range: {lat}{hint}")
    if not -180 <= lon <= 180:
        raise SpatialError(f"经度超出范围 [-180, 180] / lon out of range: {lon}")
    return lon, lat


def check_radius(radius_m, *, max_m: float = MAX_RADIUS_M) -> float:
    """A radius in metres in (0, max_m], or RadiusOutOfRange."""
    try:
        radius_m = float(radius_m)
    except (TypeError, ValueError):
        raise RadiusOutOfRange("半径必须是数字 / radius_m must be a number") from None
    if not math.isfinite(radius_m) or radius_m <= 0 or radius_m > max_m:
        raise RadiusOutOfRange(f"半径须大于0且不超过{max_m:g}米 / radius_m must be in (0, {max_m:g}]")
    return radius_m


def within_radius(session: Session, *, lon: float, lat: float, radius_m: float, layer: str = "enterprise",
                  categories: list[str] | None = None, risk_classes: list[str] | None = None,
                  operating_only: bool = False, limit: int = 500) -> list[dict]:
    """Enterprises (or POIs with ``layer="poi"``) within ``radius_m`` metres of WGS84 (lon, lat).

    Rows are dicts with ``lon``, ``lat`` and ``distance_m`` (ellipsoidal metres), nearest first,
    ties by id. ``categories`` filters enterprise restricted-trade categories (网吧, KTV…), or POI
    kinds for ``layer="poi"``; ``risk_classes`` filters A–D.

    >>> within_radius(session, lon=106.52, lat=29.61, radius_m=200, categories=["网吧"])  # doctest: +SKIP
    """
    sql, params, arrays = _radius_query(lon=lon, lat=lat, radius_m=radius_m, layer=layer, categories=categories,
                                        risk_classes=risk_classes, operating_only=operating_only, limit=limit)
    return _rows(session, sql, params, arrays)


@dataclass(frozen=True)
class Disclosure:
    """Which result rows may show their non-public fields: every row (``all_grids``), rows whose
    ``grid_code`` is in ``grid_codes``, or none; other rows carry only ``public_fields``."""

    public_fields: frozenset[str]
    all_grids: bool = False
    grid_codes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RadiusFeatures:
    """A radius search already serialised by PostgreSQL: ``features_json`` is a JSON array of GeoJSON
    Point features (WGS84, nearest first, ``distance_m`` rounded to centimetres); ``disclosed`` lists
    ``(grid_code, uscc, id)`` of the rows given with their non-public fields."""

    features_json: str
    count: int
    disclosed: list[tuple[str | None, str | None, int]]


def radius_features(session: Session | Connection, *, lon: float, lat: float, radius_m: float, layer: str = "enterprise",
                    categories: list[str] | None = None, risk_classes: list[str] | None = None,
                    operating_only: bool = False, limit: int = 500,
                    disclosure: Disclosure | None = None) -> RadiusFeatures:
    """``within_radius`` as GeoJSON features serialised by PostgreSQL, for APIs that pass them on as they are.

    With a ``disclosure`` the enterprise properties are projected per row in SQL: rows it does not open
    carry only its ``public_fields``. Without one every field is returned (as ``within_radius``).
    """
    sql, params, arrays = _radius_query(lon=lon, lat=lat, radius_m=radius_m, layer=layer, categories=categories,
                                        risk_classes=risk_classes, operating_only=operating_only, limit=limit)
    fields = POI_FIELDS if layer == "poi" else ENTERPRISE_FIELDS
    public = fields if disclosure is None or layer == "poi" else \
        tuple(f for f in fields if f in disclosure.public_fields)
    if public == fields:  # nothing to hide, nothing to note
        wrapped = _features_sql(sql, fields)
    elif disclosure.all_grids:
        wrapped = _features_sql(sql, fields, opened="true")
    elif not disclosure.grid_codes:  # the public's case: one projection, no per-row test
        wrapped = _features_sql(sql, public)
    else:
        wrapped = _features_sql(sql, fields, public=public, opened=_IN_GRIDS)
        params["grid_codes"] = sorted(disclosure.grid_codes)
        arrays += ("grid_codes",)
    count, features, disclosed = driver_execute(session, wrapped, params)[0]
    return RadiusFeatures(features_json=features, count=count, disclosed=[tuple(item) for item in disclosed or ()])


def poi_by_id(session: Session, poi_id: int) -> dict:
    """One POI as a dict with lon/lat, or PlaceNotFound."""
    row = session.execute(text(_POI_SQL), {"id": int(poi_id)}).mappings().first()
    if row is None:
        raise PlaceNotFound(f"没有编号为 {poi_id} 的场所 / no POI with id {poi_id}")
    return dict(row)


def list_pois(session: Session, *, kind: str) -> list[dict]:
    """Every POI of a kind (school, kindergarten, hospital) with lon/lat, by name."""
    load_rules().check_place_kinds([kind])
    return [dict(r) for r in session.execute(text(_POI_LIST_SQL), {"kind": kind}).mappings()]


def _radius_query(*, lon, lat, radius_m, layer, categories, risk_classes, operating_only,
                  limit) -> tuple[str, dict, tuple[str, ...]]:
    """The checked statement, parameters and array parameter names of one radius search."""
    lon, lat = check_point(lon, lat)
    params = {"lon": lon, "lat": lat, "reach_m": check_radius(radius_m) + BOUNDARY_TOLERANCE_M,
              "limit": _check_limit(limit)}
    rules = load_rules()
    if layer == "poi":
        params["kinds"] = rules.check_place_kinds(categories)
        return _POIS_SQL, params, ("kinds",)
    if layer != "enterprise":
        raise SpatialError(f"未知图层 / unknown layer {layer!r}; use one of {', '.join(LAYERS)}")
    params.update(categories=rules.check_categories(categories),
                  risk_classes=check_known(risk_classes, RISK_CLASSES, "风险等级 / risk class", error=SpatialError),
                  statuses=list(OPERATING_STATUSES) if operating_only else None)
    return _ENTERPRISES_SQL, params, ("categories", "risk_classes", "statuses")


# One GeoJSON Feature as text. Concatenation around row_to_json of a named row was 2x faster than
# json_build_object per feature (which re-inspects the types of its arguments on every call).
_FEATURE = ("""'{"type":"Feature","id":' || h.id || ',"geometry":{"type":"Point","coordinates":[' """
            """|| h.lon || ',' || h.lat || ']},"properties":' || %s || '}'""")
_IN_GRIDS = "h.grid_code = ANY(CAST(:grid_codes AS text[]))"


@lru_cache(maxsize=16)
def _features_sql(rows_sql: str, shown: tuple[str, ...], *, public: tuple[str, ...] | None = None,
                  opened: str | None = None) -> str:
    """Wrap a radius statement so PostgreSQL returns its rows as one JSON array of GeoJSON features with
    the ``shown`` fields; with ``public``, rows not ``opened`` (an SQL condition on row ``h``) carry only
    those. ``disclosed`` lists the opened rows. Names come from the constants above, never from input.
    """
    def record(alias, names):  # the properties as a named row, so row_to_json keeps the field names
        # centimetres; rounding the float8 was a fifth of the statement cheaper than through numeric
        columns = ("round(h.distance_m * 100) / 100 AS distance_m" if n == "distance_m" else f"h.{n}" for n in names)
        return f"LATERAL (SELECT {', '.join(columns)}) {alias}"

    properties, rows = "row_to_json(f)::text", record("f", shown)
    if public is not None:
        properties = f"CASE WHEN {opened} THEN {properties} ELSE row_to_json(p)::text END"
        rows += f", {record('p', public)}"
    disclosed = "NULL::json" if opened is None else \
        f"json_agg(json_build_array(h.grid_code, h.uscc, h.id) ORDER BY h.distance_m, h.id) FILTER (WHERE {opened})"
    return f"""
SELECT count(*) AS n,
       coalesce('[' || string_agg({_FEATURE % properties}, ',' ORDER BY h.distance_m, h.id) || ']', '[]') AS features,
       {disclosed} AS disclosed
FROM ({rows_sql}) h, {rows}"""


def _rows(session: Session, sql: str, params: dict, array_params: tuple[str, ...]) -> list[dict]:
    stmt = text(sql).bindparams(*(bindparam(name) for name in array_params))
    return [dict(r) for r in session.execute(stmt, params).mappings()]


def _check_limit(limit) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise SpatialError(f"limit 须在 1 到 {MAX_LIMIT} 之间 / limit must be in [1, {MAX_LIMIT}]")
    return limit
