"""A light background layer for maps without tiles: district, free-trade zone and street outlines."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

SIMPLIFY_M = 15.0  # outlines are drawn, not measured: ~15 m of simplification is invisible at street zoom

_OUTLINE_SQL = """
SELECT 'zone' AS layer, z.kind, z.code, z.name,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(z.geom, 3857), :tol), 4326), 6) AS geojson
FROM zone z WHERE z.kind IN ('district', 'free_trade_zone')
UNION ALL
SELECT 'grid', g.level, g.code, g.name,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(g.geom, 3857), :tol), 4326), 6)
FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
WHERE g.level = 'street'
"""


def outline(session: Session) -> dict:
    """A GeoJSON FeatureCollection of the district and free-trade-zone outlines and the streets of the
    active grid version (properties: layer, kind, code, name), WGS84."""
    features = [{"type": "Feature", "geometry": json.loads(r["geojson"]),
                 "properties": {"layer": r["layer"], "kind": r["kind"], "code": r["code"], "name": r["name"]}}
                for r in session.execute(text(_OUTLINE_SQL), {"tol": SIMPLIFY_M}).mappings()]
    return {"type": "FeatureCollection", "features": features}
