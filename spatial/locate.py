""""Where is this?" (这是哪里): the street, community, grid, zones and nearest address at a point."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.search import check_point

NEAREST_CANDIDATES = 16  # planar KNN candidates re-ranked by ellipsoidal distance

# On a shared edge a point is covered by two grids of a level: the lowest code wins (deterministic).
_GRIDS_SQL = """
SELECT DISTINCT ON (g.level) g.level, g.code, g.name, g.parent_code
FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
ORDER BY g.level, g.code
"""

_ZONES_SQL = """
SELECT z.kind, z.code, z.name FROM zone z
WHERE ST_Covers(z.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
ORDER BY z.kind, z.code
"""

_NEAREST_ADDRESS_SQL = """
SELECT a.id, a.standard_text, a.grid_code, a.building_id, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat,
       ST_Distance(a.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
FROM (SELECT * FROM address_entry
      ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :k) a
ORDER BY distance_m, a.id
LIMIT 1
"""

GRID_LEVELS = ("street", "community", "grid")


def locate(session: Session, *, lon: float, lat: float) -> dict:
    """What lies at WGS84 (lon, lat): ``street``/``community``/``grid`` of the active grid version
    (None outside), ``zones`` covering the point (with ``in_free_trade_zone``), and the
    ``nearest_address`` of the library with its distance in metres.
    """
    lon, lat = check_point(lon, lat)
    params = {"lon": lon, "lat": lat}
    grids = {r["level"]: dict(r) for r in session.execute(text(_GRIDS_SQL), params).mappings()}
    zones = zones_at(session, lon=lon, lat=lat)
    nearest = session.execute(text(_NEAREST_ADDRESS_SQL), {**params, "k": NEAREST_CANDIDATES}).mappings().first()
    result = {"lon": lon, "lat": lat, **{level: grids.get(level) for level in GRID_LEVELS}}
    result.update(zones=zones, in_free_trade_zone=any(z["kind"] == "free_trade_zone" for z in zones),
                  nearest_address=dict(nearest) if nearest else None)
    return result


def zones_at(session: Session, *, lon: float, lat: float) -> list[dict]:
    """The zones (district, free-trade zone, …) covering WGS84 (lon, lat), boundary included."""
    return [dict(r) for r in session.execute(text(_ZONES_SQL), {"lon": lon, "lat": lat}).mappings()]
