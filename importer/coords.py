"""Coordinates of imported rows: the declared system → WGS84 (spatial.crs), then inside the service area.

The service area is the zone of kind 'district'. A file with coordinates must declare its system;
nothing is guessed. A point outside the area whose swapped (lat, lon) falls inside is reported as
swapped, not silently fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from importer.errors import ImportRejected
from importer.validate import Problems
from spatial.crs import SYSTEMS, to_wgs84

_AREA_SQL = text("SELECT ST_AsBinary(ST_Union(geom)) FROM zone WHERE kind = 'district'")
_EPSG_SYSTEMS = {4326: "wgs84", 4490: "cgcs2000"}


@dataclass
class Points:
    lon: np.ndarray  # WGS84, NaN where the row has no point
    lat: np.ndarray


def service_area(session: Session):
    """The district outline as a prepared shapely geometry, or None when no district is loaded."""
    wkb = session.execute(_AREA_SQL).scalar()
    if wkb is None:
        return None
    area = shapely.from_wkb(bytes(wkb))
    shapely.prepare(area)
    return area


def check_system(crs: str | None, *, has_coordinates: bool) -> str | None:
    """The declared system, lower-cased; refuses a file with coordinates and no declaration."""
    if crs is not None and crs.lower() not in SYSTEMS:
        raise ImportRejected(f"未知坐标系 {crs}", f"unknown coordinate system {crs!r}; use one of {', '.join(SYSTEMS)}")
    if has_coordinates and crs is None:
        raise ImportRejected("文件含坐标，必须声明坐标系（--crs wgs84|cgcs2000|gcj02|bd09），系统不做猜测",
                             "the file has coordinates: declare their system (--crs wgs84|cgcs2000|gcj02|bd09); "
                             "it is never guessed")
    return crs.lower() if crs else None


def system_of_geofile(file_crs, declared: str | None) -> tuple[str, object | None]:
    """(system, projected CRS to undo first or None) for a geo file's own CRS and the declared one."""
    epsg = file_crs.to_epsg() if file_crs is not None else None
    if file_crs is not None and file_crs.is_projected:
        if declared in ("gcj02", "bd09"):
            raise ImportRejected("投影坐标文件不能声明为 GCJ-02/BD-09", "a projected file cannot be GCJ-02 or BD-09")
        return "wgs84", file_crs
    if declared:
        return declared, None
    if epsg in _EPSG_SYSTEMS:
        return _EPSG_SYSTEMS[epsg], None
    return check_system(None, has_coordinates=True), None


def points_from_columns(lon_raw, lat_raw, system: str | None, area, problems: Problems) -> Points:
    """Declared-system lon/lat (NaN when empty) → WGS84 points, with reasons for the bad ones."""
    lon_raw = np.asarray(lon_raw, dtype=float)
    lat_raw = np.asarray(lat_raw, dtype=float)
    one_missing = np.isnan(lon_raw) ^ np.isnan(lat_raw)
    problems.add(one_missing, "经度、纬度只填了一个", "only one of longitude and latitude is given")
    have = ~np.isnan(lon_raw) & ~np.isnan(lat_raw)
    bad_range = have & ((np.abs(lon_raw) > 180) | (np.abs(lat_raw) > 90))
    swapped_range = bad_range & (np.abs(lat_raw) <= 180) & (np.abs(lon_raw) <= 90)
    problems.add(bad_range & ~swapped_range, "坐标超出经纬度范围：{v}", "coordinates out of range: {v}",
                 _pairs(lon_raw, lat_raw))
    usable = have & ~bad_range
    lon, lat = np.full(len(lon_raw), np.nan), np.full(len(lon_raw), np.nan)
    if usable.any():
        lon[usable], lat[usable] = to_wgs84(lon_raw[usable], lat_raw[usable], system=system)
    _check_area(lon, lat, lon_raw, lat_raw, usable | swapped_range, system, area, problems)
    lon[one_missing | bad_range], lat[one_missing | bad_range] = np.nan, np.nan
    return Points(lon, lat)


def _check_area(lon, lat, lon_raw, lat_raw, candidates, system, area, problems: Problems) -> None:
    if area is None:
        return
    inside = np.zeros(len(lon), dtype=bool)
    idx = np.flatnonzero(candidates & ~np.isnan(lon))
    inside[idx] = shapely.covers(area, shapely.points(lon[idx], lat[idx]))
    outside = np.flatnonzero(candidates & ~inside)
    swapped = np.zeros(len(lon), dtype=bool)
    if len(outside):
        s_lon, s_lat = to_wgs84(lat_raw[outside], lon_raw[outside], system=system)
        swapped[outside] = shapely.covers(area, shapely.points(s_lon, s_lat))
    pairs = _pairs(lon_raw, lat_raw)
    problems.add(swapped, "经纬度疑似颠倒（交换后位于辖区内），请核对：{v}",
                 "longitude and latitude look swapped (inside the district once swapped): {v}", pairs)
    far = np.zeros(len(lon), dtype=bool)
    far[outside] = ~swapped[outside]
    problems.add(far, f"坐标（{system}）换算后不在辖区范围内：{{v}}",
                 f"point ({system}) lies outside the service area (district) after conversion: {{v}}", pairs)


def _pairs(lon, lat) -> np.ndarray:
    return np.array([f"{x:.6f}, {y:.6f}" for x, y in zip(lon, lat, strict=True)], dtype=object) if len(lon) else np.array([])


def polygons_to_wgs84(geoms: np.ndarray, system: str, area, problems: Problems):
    """Footprints in the declared system → WGS84 polygons (None when unusable) and their inner points."""
    valid = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    problems.add(~valid, "缺少建筑轮廓（几何为空或无法解析）", "building footprint missing or unreadable")
    parts = np.array([_single_polygon(g) if ok else None for g, ok in zip(geoms, valid, strict=True)], dtype=object)
    not_polygon = valid & np.array([p is None for p in parts], dtype=bool)
    problems.add(not_polygon, "建筑轮廓应为单个面（Polygon）", "building footprint must be a single polygon")
    good = valid & ~not_polygon
    out = np.full(len(geoms), None, dtype=object)
    if good.any():
        convert = lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], system=system))  # noqa: E731
        out[good] = shapely.transform(parts[good], convert)
        invalid = good & ~np.array([g is not None and g.is_valid for g in out], dtype=bool)
        problems.add(invalid, "建筑轮廓自相交或无效", "building footprint is not a valid polygon (self-intersecting)")
        good &= ~invalid
    inner = np.full((len(geoms), 2), np.nan)
    if good.any():
        pts = shapely.point_on_surface(out[good])
        inner[good] = shapely.get_coordinates(pts)
    if area is not None and good.any():
        inside = np.ones(len(geoms), dtype=bool)
        inside[good] = shapely.covers(area, shapely.points(inner[good]))
        problems.add(~inside, f"建筑轮廓（{system}）换算后不在辖区范围内", f"footprint ({system}) outside the district")
    return out, inner


def _single_polygon(geom):
    if geom.geom_type == "Polygon":
        return geom
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        return geom.geoms[0]
    return None
