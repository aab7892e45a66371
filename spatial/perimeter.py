"""School perimeters (校园周边): restricted-trade entities within ``radius_m`` of sensitive places.

``perimeter`` answers for one POI, ``perimeter_report`` for every POI of a kind in the district in
one query (a LATERAL join over the geography index). Only operating entities count.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from spatial.rules import load_rules
from spatial.search import (
    BOUNDARY_TOLERANCE_M,
    ENTERPRISE_COLUMNS,
    OPERATING_STATUSES,
    Disclosure,
    RadiusFeatures,
    check_radius,
    poi_by_id,
    radius_features,
    within_radius,
)

DEFAULT_RADIUS_M = 200.0

_REPORT_SQL = f"""
SELECT p.id AS poi_id, p.kind AS poi_kind, p.name AS poi_name, p.address_text AS poi_address,
       p.grid_code AS poi_grid_code, ST_X(p.geom) AS poi_lon, ST_Y(p.geom) AS poi_lat, n.*
FROM poi p
LEFT JOIN LATERAL (
    SELECT {ENTERPRISE_COLUMNS}, ST_Distance(e.geom::geography, p.geom::geography) AS distance_m
    FROM enterprise e
    WHERE ST_DWithin(e.geom::geography, p.geom::geography, :reach_m)
      AND e.category = ANY(CAST(:categories AS text[]))
      AND e.status = ANY(CAST(:statuses AS text[]))
) n ON true
WHERE p.kind = :poi_kind
ORDER BY p.id, n.distance_m, n.id
"""

_POI_FIELDS = ("id", "kind", "name", "address_text", "grid_code", "lon", "lat")


def perimeter(session: Session, *, poi_id: int, radius_m: float = DEFAULT_RADIUS_M,
              categories: list[str] | None = None) -> dict:
    """One POI and the operating restricted-trade entities within ``radius_m`` metres of it.

    ``categories`` defaults to every restricted category of the rules file.
    Returns ``{"poi": {...}, "radius_m": r, "entities": [...]}``, entities nearest first.
    """
    poi = poi_by_id(session, poi_id)
    entities = within_radius(session, lon=poi["lon"], lat=poi["lat"], radius_m=radius_m,
                             categories=_categories(categories), operating_only=True, limit=5000)
    return {"poi": poi, "radius_m": float(radius_m), "entities": entities}


def perimeter_features(session: Session, *, poi_id: int, radius_m: float = DEFAULT_RADIUS_M,
                       categories: list[str] | None = None,
                       disclosure: Disclosure | None = None) -> tuple[dict, RadiusFeatures]:
    """``perimeter`` with the entities as GeoJSON features serialised in SQL: ``(poi, features)``."""
    poi = poi_by_id(session, poi_id)
    found = radius_features(session, lon=poi["lon"], lat=poi["lat"], radius_m=radius_m,
                            categories=_categories(categories), operating_only=True, limit=5000,
                            disclosure=disclosure)
    return poi, found


def perimeter_report(session: Session, *, poi_kind: str = "school", radius_m: float = DEFAULT_RADIUS_M,
                     categories: list[str] | None = None) -> list[dict]:
    """Every POI of ``poi_kind`` with its operating restricted-trade entities within ``radius_m`` metres.

    One query for the whole district; POIs with nothing around them are included with an empty list.
    """
    load_rules().check_place_kinds([poi_kind])
    params = {"poi_kind": poi_kind, "reach_m": check_radius(radius_m) + BOUNDARY_TOLERANCE_M,
              "categories": _categories(categories), "statuses": list(OPERATING_STATUSES)}
    stmt = text(_REPORT_SQL).bindparams(bindparam("categories"), bindparam("statuses"))
    return _group(session.execute(stmt, params).mappings())


def _categories(categories: list[str] | None) -> list[str]:
    rules = load_rules()
    return rules.check_categories(categories) if categories else list(rules.categories)


def _group(rows) -> list[dict]:
    report: list[dict] = []
    for row in rows:
        if not report or report[-1]["poi"]["id"] != row["poi_id"]:
            report.append({"poi": {f: row[f"poi_{f}" if f != "address_text" else "poi_address"] for f in _POI_FIELDS},
                           "entities": []})
        if row["id"] is not None:
            report[-1]["entities"].append({k: v for k, v in row.items() if not k.startswith("poi_")})
    return report
