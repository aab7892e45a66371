"""The supervisor's risk map (/map): entities coloured by risk class over our own base-map tiles."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import text

from app.auth import current_viewer
from app.db import get_session
from spatial.tile_layers import LAYERS
from spatial.tiles import data_bounds
from supervision.risk import CLASS_INFO

bp = Blueprint("map_page", __name__)

_GRID_BOUNDS = text("""
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (
  SELECT ST_Extent(g.geom) AS b FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
  WHERE g.code = ANY(:codes)) q""")


@bp.get("/map")
def risk_map():
    """风险分类地图. ``?lon=&lat=&z=`` opens at a point; a supervisor's default view fits their grids."""
    viewer = current_viewer()
    session = get_session()
    config = {
        "bounds": _default_bounds(session, viewer),
        "centre": _requested_centre(),
        "layers": {name: [layer.minzoom, layer.maxzoom] for name, layer in LAYERS.items()},
        "classes": {c: {"label": label, "hex": hex_colour} for c, (label, _, hex_colour) in CLASS_INFO.items()},
        "seesClasses": viewer.is_staff,
        "role": viewer.role,
    }
    return render_template("map.html", config=config)


def _default_bounds(session, viewer) -> list[float]:
    if viewer.role == "supervisor" and viewer.grid_codes:
        row = session.execute(_GRID_BOUNDS, {"codes": sorted(viewer.grid_codes)}).one()
        if row[0] is not None:
            return [float(v) for v in row]
    return data_bounds(session)


def _requested_centre() -> list[float] | None:
    try:
        lon, lat, z = (float(request.args[k]) for k in ("lon", "lat", "z"))
    except (KeyError, ValueError):
        return None
    if -180 <= lon <= 180 and -85 <= lat <= 85 and 0 <= z <= 22:
        return [lon, lat, z]
    return None
