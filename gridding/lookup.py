"""Reading grids of the active version: point → grid, lists, one grid with its people and counts."""

from __future__ import annotations

import json

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridding.assign import NEAR_M
from gridding.errors import GridError, GridNotFound
from models.db import driver_execute

# The finest level covering the point, lowest code on shared edges: one index probe, ≤ 3 rows per
# version; the distance to the edge is measured for the chosen grid only.
_AT = f"""
    SELECT g.code, g.name, g.level, g.parent_code,
           ST_DWithin(ST_Boundary(g.geom)::geography, g.pt::geography, {NEAR_M}) AS near_boundary
    FROM (SELECT g.*, p.pt
          FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS pt) p
          JOIN grid g ON ST_Covers(g.geom, p.pt)
          JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
          ORDER BY array_position(ARRAY['grid', 'community', 'street'], g.level::text), g.code LIMIT 1) g
"""
_AT_FIELDS = ("code", "name", "level", "parent_code", "near_boundary")
_LIST = text("""
    SELECT g.code, g.name, g.level, g.parent_code, g.area_m2::float AS area_m2, v.name AS version
    FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
    WHERE (CAST(:level AS text) IS NULL OR g.level = :level)
      AND (CAST(:parent AS text) IS NULL OR g.parent_code = :parent)
    ORDER BY g.code
""")
_ONE = text("""
    SELECT g.code, g.name, g.level, g.parent_code, g.area_m2::float AS area_m2, v.name AS version,
           ST_AsGeoJSON(g.geom, 7) AS geometry, ST_AsGeoJSON(ST_Envelope(g.geom), 7) AS bbox
    FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active' WHERE g.code = :code
""")
# The grid itself and every grid below it, so a street or community counts what its grids hold.
_DESCENDANTS = """
    WITH RECURSIVE active AS (
        SELECT g.code, g.parent_code FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'),
    tree(code) AS (SELECT CAST(:code AS varchar) UNION SELECT a.code FROM active a JOIN tree t ON a.parent_code = t.code)
"""
_RISK = text(_DESCENDANTS + """
    SELECT coalesce(e.risk_class, '未分级') AS risk_class, count(*) AS n
    FROM enterprise e WHERE e.grid_code IN (SELECT code FROM tree) GROUP BY 1 ORDER BY 1
""")
_COMPLAINTS = text(_DESCENDANTS + """
    SELECT count(*) FILTER (WHERE c.status <> 'resolved') AS open,
           count(*) FILTER (WHERE c.status = 'escalated'
                              OR (c.status <> 'resolved' AND c.due_on < CAST(:today AS date))) AS overdue,
           count(*) AS total
    FROM complaint c WHERE c.grid_code IN (SELECT code FROM tree)
""")
_PEOPLE = text("""
    SELECT s.id, s.staff_no, s.name, s.department, s.role, s.phone FROM staff s
    WHERE s.active AND s.grid_codes && ARRAY[CAST(:code AS varchar(32))] ORDER BY s.role DESC, s.staff_no
""")
_ENTERPRISES = text(_DESCENDANTS + """
    SELECT e.id, e.uscc, e.name, e.short_name, e.industry_label, e.category, e.status, e.registered_address,
           e.risk_class, e.grid_code, e.near_boundary, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat,
           count(*) OVER () AS total
    FROM enterprise e WHERE e.grid_code IN (SELECT code FROM tree)
      AND (CAST(:risk AS text) IS NULL OR e.risk_class = :risk)
    ORDER BY e.risk_class DESC NULLS LAST, e.id LIMIT :limit OFFSET :offset
""")


def grid_at(session: Session | Connection, *, lon: float, lat: float) -> dict | None:
    """The finest grid of the active version covering WGS84 ``lon``/``lat`` (lowest code on shared
    edges), with ``near_boundary`` (within 20 m of its edge); None outside every grid."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GridError(f"经纬度超出范围 / lon/lat out of range: {lon}, {lat}")
    rows = driver_execute(session, _AT, {"lon": lon, "lat": lat})  # a hot path: no SQLAlchemy result set-up
    return dict(zip(_AT_FIELDS, rows[0], strict=True)) if rows else None


def list_grids(session: Session, *, level: str | None = None, parent_code: str | None = None) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(_LIST, {"level": level, "parent": parent_code})]


def grid_detail(session: Session, code: str, *, today) -> dict:
    """One grid of the active version: GeoJSON geometry, people, entities by risk class, complaints."""
    row = session.execute(_ONE, {"code": code}).first()
    if row is None:
        raise GridNotFound(f"当前网格版本中没有该网格 / no grid {code!r} in the active version")
    grid = dict(row._mapping)
    grid["geometry"], grid["bbox"] = json.loads(grid["geometry"]), json.loads(grid["bbox"])
    grid["people"] = [dict(r._mapping) for r in session.execute(_PEOPLE, {"code": code})]
    grid["enterprises_by_risk"] = {r.risk_class: r.n for r in session.execute(_RISK, {"code": code})}
    grid["complaints"] = dict(session.execute(_COMPLAINTS, {"code": code, "today": today}).one()._mapping)
    grid["children"] = list_grids(session, parent_code=code)
    return grid


def grid_enterprises(session: Session, code: str, *, page: int = 1, per_page: int = 50,
                     risk_class: str | None = None) -> dict:
    """Entities in a grid (and the grids below it), riskiest first, one page at a time."""
    if session.execute(_ONE, {"code": code}).first() is None:
        raise GridNotFound(f"当前网格版本中没有该网格 / no grid {code!r} in the active version")
    rows = [dict(r._mapping) for r in session.execute(_ENTERPRISES, {
        "code": code, "risk": risk_class, "limit": per_page, "offset": (page - 1) * per_page})]
    total = rows[0].pop("total") if rows else 0
    for r in rows[1:]:
        r.pop("total")
    return {"code": code, "page": page, "per_page": per_page, "total": total, "items": rows}
