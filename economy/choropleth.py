"""Map layers coloured by an economy measure: quantile classes and a legend.

Buildings come with height (for 3D extrusion); grids and streets with their polygons.
"""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from economy.aggregates import MEASURES, EconomyError, _latest_year

PALETTE = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")  # light → dark: low → high
MAX_BUILDINGS = 5000


def choropleth(session: Session, *, by: str, measure: str, year: int | None = None,
               bbox: tuple[float, float, float, float] | None = None, classes: int = 5) -> dict:
    """A GeoJSON FeatureCollection with ``value`` and ``class`` (0 = lowest quantile) per feature,
    and ``legend``: the class breaks and colours. ``bbox`` (lon/lat, WGS84) limits buildings."""
    if measure not in MEASURES:
        raise EconomyError(f"measure 应为 {'/'.join(MEASURES)} 之一 / measure must be one of {', '.join(MEASURES)}")
    if not 2 <= classes <= len(PALETTE):
        raise EconomyError(f"classes 应在 2–{len(PALETTE)} 之间 / classes must be 2 to {len(PALETTE)}")
    year = year or _latest_year(session)
    if by == "building":
        rows = _building_features(session, measure=measure, year=year, bbox=bbox)
    elif by in ("grid", "street"):
        rows = _area_features(session, level=by, measure=measure, year=year)
    else:
        raise EconomyError("by 应为 building/grid/street 之一 / by must be building, grid or street")
    breaks = quantile_breaks([r["value"] for r in rows if r["value"] is not None], classes)
    features = [_feature(r, breaks) for r in rows]
    legend = [{"class": i, "color": PALETTE[_palette_index(i, classes)],
               "from": breaks[i], "to": breaks[i + 1]} for i in range(len(breaks) - 1)]
    return {"type": "FeatureCollection", "features": features, "measure": measure, "year": year, "legend": legend}


def quantile_breaks(values: list[float], classes: int) -> list[float]:
    """Class edges at equal-count quantiles (duplicates removed, so fewer classes when values tie)."""
    if not values:
        return []
    edges = np.quantile(np.asarray(values, dtype=float), np.linspace(0, 1, classes + 1))
    return [round(float(e), 2) for e in np.unique(edges)] if len(set(values)) > 1 else [float(values[0])] * 2


def classify(value: float | None, breaks: list[float]) -> int | None:
    if value is None or len(breaks) < 2:
        return None
    index = int(np.searchsorted(breaks, value, side="right")) - 1
    return min(max(index, 0), len(breaks) - 2)


def _palette_index(i: int, classes: int) -> int:
    return i if classes == len(PALETTE) else round(i * (len(PALETTE) - 1) / max(classes - 1, 1))


def _feature(row: dict, breaks: list[float]) -> dict:
    geometry = row.pop("geometry")
    value = row["value"]
    row["value"] = None if value is None else float(value)
    row["class"] = classify(row["value"], breaks)
    return {"type": "Feature", "id": row["id"], "geometry": json.loads(geometry), "properties": row}


def _building_features(session: Session, *, measure: str, year: int, bbox) -> list[dict]:
    where, params = "eb.year = :year", {"year": year, "limit": MAX_BUILDINGS}
    if bbox:
        where += " AND b.footprint && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
    return [dict(r) for r in session.execute(text(f"""
        SELECT b.id, b.name, coalesce(b.height_m, b.floors * 3.2, 10)::float AS height_m, b.floors,
               eb.{measure} AS value, ST_AsGeoJSON(b.footprint, 6) AS geometry
        FROM economy_building eb JOIN building b ON b.id = eb.building_id
        WHERE {where} ORDER BY eb.{measure} DESC NULLS LAST LIMIT :limit"""), params).mappings()]


def _area_features(session: Session, *, level: str, measure: str, year: int) -> list[dict]:
    return [dict(r) for r in session.execute(text(f"""
        SELECT g.code AS id, g.name, ea.{measure} AS value, ST_AsGeoJSON(g.geom, 6) AS geometry
        FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
        LEFT JOIN economy_area ea ON ea.level = :level AND ea.code = g.code AND ea.year = :year
        WHERE g.level = :level ORDER BY g.code"""), {"level": level, "year": year}).mappings()]
