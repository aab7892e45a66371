"""Validation of a grid version before activation: invalid polygons, overlaps, gaps, hierarchy.

Areas are square metres on the spheroid; locations are WGS84 lon/lat of a point inside each
problem. Overlaps and gaps smaller than ``tolerance_m2`` are digitising noise and not reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

_INVALID = text("""
    SELECT code, level, (d).reason AS detail, ST_X((d).location) AS lon, ST_Y((d).location) AS lat
    FROM (SELECT code, level, ST_IsValidDetail(geom) AS d FROM grid WHERE version_id = :v) s
    WHERE NOT (d).valid ORDER BY code
""")
_OVERLAPS = text("""
    SELECT a.code || ' / ' || b.code AS code, a.level, ST_Area(x::geography) AS area_m2,
           ST_X(ST_PointOnSurface(x)) AS lon, ST_Y(ST_PointOnSurface(x)) AS lat
    FROM grid a
    JOIN grid b ON b.version_id = a.version_id AND b.level = a.level AND a.code < b.code AND a.geom && b.geom
    CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS x) i
    WHERE a.version_id = :v AND ST_IsValid(a.geom) AND ST_IsValid(b.geom)
      AND ST_Relate(a.geom, b.geom, '2********') AND ST_Area(x::geography) > :tol
    ORDER BY 1
""")
# The district: the 'district' zone(s) the version touches, else its streets with holes filled.
_GAPS = text("""
    WITH levels AS (SELECT level, ST_Union(ST_MakeValid(geom)) AS cover FROM grid WHERE version_id = :v GROUP BY level),
    district_zone AS (
        SELECT ST_Union(z.geom) AS g FROM zone z
        WHERE z.kind = 'district' AND z.geom && (SELECT ST_Extent(geom) FROM grid WHERE version_id = :v)),
    streets AS (
        SELECT ST_Union(ST_MakePolygon(ST_ExteriorRing(p.geom))) AS g
        FROM levels l CROSS JOIN LATERAL ST_Dump(l.cover) p WHERE l.level = 'street'),
    district AS (SELECT coalesce((SELECT g FROM district_zone), (SELECT g FROM streets)) AS g)
    SELECT NULL AS code, l.level, ST_Area(d.geom::geography) AS area_m2,
           ST_X(ST_PointOnSurface(d.geom)) AS lon, ST_Y(ST_PointOnSurface(d.geom)) AS lat
    FROM levels l, district
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(district.g, l.cover), 3)) d
    WHERE district.g IS NOT NULL AND ST_Area(d.geom::geography) > :tol
    ORDER BY area_m2 DESC
""")
_HIERARCHY = text("""
    SELECT c.code, c.level,
           CASE WHEN c.level = 'street' AND c.parent_code IS NOT NULL AND p.code IS NOT NULL
                     THEN '街道不应有上级网格 / a street has no parent grid'
                WHEN c.level <> 'street' AND c.parent_code IS NULL THEN '缺少上级编码 / parent_code missing'
                WHEN c.level <> 'street' AND p.code IS NULL THEN '上级编码不存在 / parent ' || c.parent_code || ' not in version'
                ELSE '上级层级不符 / parent ' || c.parent_code || ' is a ' || p.level END AS detail,
           ST_X(ST_PointOnSurface(ST_MakeValid(c.geom))) AS lon, ST_Y(ST_PointOnSurface(ST_MakeValid(c.geom))) AS lat
    FROM grid c LEFT JOIN grid p ON p.version_id = c.version_id AND p.code = c.parent_code
    WHERE c.version_id = :v AND (
          (c.level = 'street' AND c.parent_code IS NOT NULL AND p.code IS NOT NULL)
       OR (c.level <> 'street' AND (p.code IS NULL
           OR p.level <> CASE c.level WHEN 'community' THEN 'street' ELSE 'community' END)))
    ORDER BY c.code
""")


@dataclass
class Problem:
    kind: str  # invalid / overlap / gap / hierarchy
    level: str | None
    code: str | None
    detail: str
    area_m2: float | None
    lon: float | None
    lat: float | None


@dataclass
class ValidationReport:
    version_id: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return "通过 / ok"
        counts: dict[str, int] = {}
        for p in self.problems:
            counts[p.kind] = counts.get(p.kind, 0) + 1
        first = "; ".join(_describe(p) for p in self.problems[:5])
        return ", ".join(f"{k}: {n}" for k, n in counts.items()) + f" — {first}"

    def to_dict(self) -> dict:
        return {"version_id": self.version_id, "ok": self.ok, "problems": [asdict(p) for p in self.problems]}


def _describe(p: Problem) -> str:
    where = f" at ({p.lon:.6f}, {p.lat:.6f})" if p.lon is not None else ""
    area = f" {p.area_m2:,.0f} m²" if p.area_m2 is not None else ""
    return f"{p.kind} {p.level or ''} {p.code or ''}{area}{where}: {p.detail}".replace("  ", " ")


def validate_version(session: Session, *, version_id: int, tolerance_m2: float = 1.0) -> ValidationReport:
    """Every problem of a version that would stop activation, with its area and location."""
    report = ValidationReport(version_id)
    params = {"v": version_id, "tol": tolerance_m2}
    for r in session.execute(_INVALID, params):
        report.problems.append(Problem("invalid", r.level, r.code, r.detail, None, r.lon, r.lat))
    for r in session.execute(_HIERARCHY, params):
        report.problems.append(Problem("hierarchy", r.level, r.code, r.detail, None, r.lon, r.lat))
    if any(p.kind == "invalid" for p in report.problems):
        return report  # overlay operations on invalid polygons would only add noise
    for r in session.execute(_OVERLAPS, params):
        report.problems.append(Problem("overlap", r.level, r.code, "同层网格重叠 / grids of one level overlap",
                                       round(r.area_m2, 1), r.lon, r.lat))
    for r in session.execute(_GAPS, params):
        report.problems.append(Problem("gap", r.level, None, "辖区内有未覆盖区域 / part of the district is in no grid",
                                       round(r.area_m2, 1), r.lon, r.lat))
    return report
