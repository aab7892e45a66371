"""Radius search: enterprises or POIs within ``radius_m`` metres of a WGS84 point, nearest first.

Distances are metres on the WGS84 ellipsoid, boundary included: from a local expansion of the
ellipsoid about the centre over the geometry GiST index (``idx_enterprise_geom``, ``idx_poi_geom``),
or from PostGIS ``geography`` near the poles and the antimeridian (see ``local_metric``).
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
WGS84_A = 6378137.0  # semi-major axis, metres
WGS84_E2 = 0.0066943799901413165  # first eccentricity squared (f = 1/298.257223563)
BOX_MARGIN = 1.01  # the degree box is 1 % wider than the circle it must hold

ENTERPRISE_COLUMNS = """e.id, e.uscc, e.name, e.short_name, e.entity_type, e.industry_code, e.industry_label,
       e.category, e.status, e.established_on, e.registered_address, e.grid_code, e.risk_class,
       ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat"""

# The properties of one result row, in the order of the SELECT lists below.
ENTERPRISE_FIELDS = ("id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label",
                     "category", "status", "established_on", "registered_address", "grid_code", "risk_class",
                     "lon", "lat", "distance_m")
POI_FIELDS = ("id", "kind", "name", "address_text", "grid_code", "lon", "lat", "distance_m")

# Distances. Within a search radius (<= 5 km) the WGS84 ellipsoid is expanded about the centre: metres
# per degree of latitude and of longitude to first order in the latitude offset, with the cosine taken at
# the mid-latitude. Against pyproj.Geod (GeographicLib) this is within 0.3 mm at 5 km and 2e-8 m at
# 200 m for latitudes up to 54 degrees (tests/test_search.py checks it), and it lets the search use the
# plain geometry index with a degree box: a spheroidal ST_DWithin/ST_Distance on geography cost 0.9 ms
# of a dense 200 m search. Near the poles or across the antimeridian the geography statements are used.
LOCAL_METRIC_MAX_LAT = 80.0

_LOCAL_DISTANCE = """sqrt(power((ST_X({t}.geom) - :lon) * cos(radians(:lat + (ST_Y({t}.geom) - :lat) / 2))
                     * (:n0 + :n1 * (ST_Y({t}.geom) - :lat)), 2)
           + power((ST_Y({t}.geom) - :lat) * (:m0 + :m1 * (ST_Y({t}.geom) - :lat)), 2))"""
_LOCAL_FILTER = "{t}.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326) AND {distance} <= :reach_m"
_GEOGRAPHY_DISTANCE = "ST_Distance({t}.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"
_GEOGRAPHY_FILTER = "ST_DWithin({t}.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :reach_m)"

_ENTERPRISES_SQL = f"""
SELECT {ENTERPRISE_COLUMNS}, {{distance}} AS distance_m
FROM enterprise e
WHERE {{filter}}
  AND (CAST(:categories AS text[]) IS NULL OR e.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:risk_classes AS text[]) IS NULL OR e.risk_class = ANY(CAST(:risk_classes AS text[])))
  AND (CAST(:risk_grids AS text[]) IS NULL OR e.grid_code = ANY(CAST(:risk_grids AS text[])))
  AND (CAST(:statuses AS text[]) IS NULL OR e.status = ANY(CAST(:statuses AS text[])))
ORDER BY distance_m, e.id
LIMIT :limit
"""

# The public's radius search reads each entity's Feature ready-made from enterprise_public_feature, which
# triggers keep (migration 0013): building the JSON per request was two thirds of a dense search. The
# stored properties, in order; the statement appends distance_m. If the public fields change, this no
# longer equals them and the search builds the JSON per request again (tests/test_search.py notices).
STORED_PUBLIC_FIELDS = ("id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label",
                        "category", "status", "established_on", "registered_address", "grid_code", "lon", "lat")

_STORED_SQL = """
SELECT e.id, e.feature, {distance} AS distance_m
FROM enterprise_public_feature e
WHERE {filter}
  AND (CAST(:categories AS text[]) IS NULL OR e.category = ANY(CAST(:categories AS text[])))
  AND (CAST(:statuses AS text[]) IS NULL OR e.status = ANY(CAST(:statuses AS text[])))
ORDER BY distance_m, e.id
LIMIT :limit
"""

_STORED_FEATURES_SQL = """
SELECT count(*) AS n,
       coalesce('[' || string_agg(h.feature || ',"distance_m":' || round(h.distance_m * 100) / 100 || '}}', ','
                                  ORDER BY h.distance_m, h.id) || ']', '[]') AS features,
       NULL::json AS disclosed
FROM ({rows}) h"""

_POIS_SQL = """
SELECT p.id, p.kind, p.name, p.address_text, p.grid_code, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       {distance} AS distance_m
FROM poi p
WHERE {filter}
  AND (CAST(:kinds AS text[]) IS NULL OR p.kind = ANY(CAST(:kinds AS text[])))
ORDER BY distance_m, p.id
LIMIT :limit
"""


def radius_statement(template: str, alias: str, *, local: bool) -> str:
    """A radius statement ``template`` (with ``{distance}`` and ``{filter}``) for table alias ``alias``:
    with the local expansion (``local``, parameters from ``local_metric``) or on geography."""
    if local:
        distance = _LOCAL_DISTANCE.format(t=alias)
        return template.format(distance=distance, filter=_LOCAL_FILTER.format(t=alias, distance=distance))
    return template.format(distance=_GEOGRAPHY_DISTANCE.format(t=alias), filter=_GEOGRAPHY_FILTER.format(t=alias))


def local_metric(lon: float, lat: float, reach_m: float) -> dict | None:
    """The parameters of the local expansion about (lon, lat) and the degree box holding the circle of
    ``reach_m`` metres; None where it does not apply (near a pole, or the box crosses the antimeridian)."""
    if abs(lat) > LOCAL_METRIC_MAX_LAT:
        return None
    phi, deg = math.radians(lat), math.pi / 180
    s, c = math.sin(phi), math.cos(phi)
    w = 1 - WGS84_E2 * s * s
    prime = WGS84_A / math.sqrt(w)  # N, the prime vertical radius of curvature
    meridian = WGS84_A * (1 - WGS84_E2) / w ** 1.5  # M
    # metres per degree at the centre, and their change per degree of latitude (halved: mid-latitude)
    n0, m0 = prime * deg, meridian * deg
    n1, m1 = prime * WGS84_E2 * s * c / w * deg * deg / 2, 3 * meridian * WGS84_E2 * s * c / w * deg * deg / 2
    half_lat = BOX_MARGIN * reach_m / m0
    half_lon = BOX_MARGIN * reach_m / (n0 * math.cos(math.radians(min(abs(lat) + half_lat, 90.0))))
    if lon - half_lon < -180 or lon + half_lon > 180:
        return None
    return {"n0": n0, "n1": n1, "m0": m0, "m1": m1, "west": lon - half_lon, "east": lon + half_lon,
            "south": lat - half_lat, "north": lat + half_lat}


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
                  operating_only: bool = False, limit: int = 500,
                  risk_grids: frozenset[str] | None = None) -> list[dict]:
    """Enterprises (or POIs with ``layer="poi"``) within ``radius_m`` metres of WGS84 (lon, lat).

    Rows are dicts with ``lon``, ``lat`` and ``distance_m`` (ellipsoidal metres), nearest first,
    ties by id. ``categories`` filters enterprise restricted-trade categories (网吧, KTV…), or POI
    kinds for ``layer="poi"``; ``risk_classes`` filters A–D, among the rows of the grids
    ``risk_grids`` only when that is given (a supervisor may not learn other grids' classes).

    >>> within_radius(session, lon=106.52, lat=29.61, radius_m=200, categories=["网吧"])  # doctest: +SKIP
    """
    sql, params, arrays = radius_query(lon=lon, lat=lat, radius_m=radius_m, layer=layer, categories=categories,
                                       risk_classes=risk_classes, operating_only=operating_only, limit=limit,
                                       risk_grids=risk_grids)
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
    """A radius search already serialised by PostgreSQL: ``features_json`` is a JSON array (UTF-8) of GeoJSON
    Point features (WGS84, nearest first, ``distance_m`` rounded to centimetres); ``disclosed`` lists
    ``(grid_code, uscc, id)`` of the rows given with their non-public fields."""

    features_json: bytes
    count: int
    disclosed: list[tuple[str | None, str | None, int]]


def radius_features(session: Session | Connection, *, lon: float, lat: float, radius_m: float, layer: str = "enterprise",
                    categories: list[str] | None = None, risk_classes: list[str] | None = None,
                    operating_only: bool = False, limit: int = 500, risk_grids: frozenset[str] | None = None,
                    disclosure: Disclosure | None = None) -> RadiusFeatures:
    """``within_radius`` as GeoJSON features serialised by PostgreSQL, for APIs that pass them on as they are.

    With a ``disclosure`` the enterprise properties are projected per row in SQL: rows it does not open
    carry only its ``public_fields``. Without one every field is returned (as ``within_radius``).
    """
    sql, params, arrays = radius_query(lon=lon, lat=lat, radius_m=radius_m, layer=layer, categories=categories,
                                       risk_classes=risk_classes, operating_only=operating_only, limit=limit,
                                       risk_grids=risk_grids)
    fields = POI_FIELDS if layer == "poi" else ENTERPRISE_FIELDS
    public = fields if disclosure is None or layer == "poi" else \
        tuple(f for f in fields if f in disclosure.public_fields)
    if _reads_stored_features(public, disclosure, params):
        wrapped = _stored_features_sql()
    elif public == fields:  # nothing to hide, nothing to note
        wrapped = _features_sql(sql, fields)
    elif disclosure.all_grids:
        wrapped = _features_sql(sql, fields, opened="true")
    elif not disclosure.grid_codes:  # one projection, no per-row test
        wrapped = _features_sql(sql, public)
    else:
        wrapped = _features_sql(sql, fields, public=public, opened=_IN_GRIDS)
        params["grid_codes"] = sorted(disclosure.grid_codes)
        arrays += ("grid_codes",)
    count, features, disclosed = driver_execute(session, wrapped, params, text_as_bytes=True)[0]
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


def radius_query(*, lon, lat, radius_m, layer, categories, risk_classes, operating_only,
                 limit, risk_grids=None) -> tuple[str, dict, tuple[str, ...]]:
    """The checked statement (``:name`` parameters), its parameters and the names of its array
    parameters for one radius search; ``within_radius`` runs it, benchmarks time it as raw SQL."""
    lon, lat = check_point(lon, lat)
    reach_m = check_radius(radius_m) + BOUNDARY_TOLERANCE_M
    params = {"lon": lon, "lat": lat, "reach_m": reach_m, "limit": _check_limit(limit)}
    metric = local_metric(lon, lat, reach_m)
    params.update(metric or {})
    rules = load_rules()
    if layer == "poi":
        params["kinds"] = rules.check_place_kinds(categories)
        return _statement(_POIS_SQL, "p", metric is not None), params, ("kinds",)
    if layer != "enterprise":
        raise SpatialError(f"未知图层 / unknown layer {layer!r}; use one of {', '.join(LAYERS)}")
    params.update(categories=rules.check_categories(categories),
                  risk_classes=check_known(risk_classes, RISK_CLASSES, "风险等级 / risk class", error=SpatialError),
                  statuses=list(OPERATING_STATUSES) if operating_only else None)
    params["risk_grids"] = sorted(risk_grids) if params["risk_classes"] and risk_grids is not None else None
    return (_statement(_ENTERPRISES_SQL, "e", metric is not None), params,
            ("categories", "risk_classes", "statuses", "risk_grids"))


@lru_cache(maxsize=8)
def _statement(template: str, alias: str, local: bool) -> str:
    return radius_statement(template, alias, local=local)


def _reads_stored_features(public: tuple[str, ...], disclosure: Disclosure | None, params: dict) -> bool:
    """The public's case: every row shows the stored public fields and no filter needs more. Near the poles
    and the antimeridian (no local metric in ``params``) geography needs enterprise's geography index."""
    return (public == (*STORED_PUBLIC_FIELDS, "distance_m") and not disclosure.all_grids
            and not disclosure.grid_codes and not params["risk_classes"] and "n0" in params)


@lru_cache(maxsize=1)
def _stored_features_sql() -> str:
    return _STORED_FEATURES_SQL.replace("{rows}", _statement(_STORED_SQL, "e", True))


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
