"""Read a grid file (GeoJSON, Shapefile, GeoPackage) into a clean WGS84 frame, refusing to guess.

Columns: ``code``, ``name``, ``level`` (street/community/grid or 街道/社区/网格), ``parent_code``
(Chinese headers 编码/名称/层级/上级编码 accepted). Polygons become MultiPolygons in EPSG:4326;
a projected CRS is transformed, GCJ-02/BD-09 must be converted before import.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gridding.errors import GridError

LEVELS = ("street", "community", "grid")
LEVEL_ALIASES = {"街道": "street", "镇街": "street", "社区": "community", "村居": "community", "网格": "grid"}
COLUMN_ALIASES = {"编码": "code", "代码": "code", "网格编码": "code", "名称": "name", "网格名称": "name",
                  "层级": "level", "级别": "level", "上级编码": "parent_code", "parent": "parent_code"}
GEOGRAPHIC_OK = (4326, 4490)  # WGS84 and CGCS2000 geographic: centimetres apart at city scale
CHINA_LON, CHINA_LAT = (73.0, 136.0), (3.0, 54.0)


def read_grid_file(source: str | Path | bytes, *, crs: str | None = None) -> gpd.GeoDataFrame:
    """The grids of a file as a frame (code, name, level, parent_code, geometry) in EPSG:4326.

    ``crs`` overrides a missing or wrong declaration (e.g. ``"EPSG:4544"``). Raises GridError.
    """
    frame = _read(source)
    frame = _rename(frame)
    frame = _to_wgs84(frame, crs)
    _check_rows(frame)
    frame["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in frame.geometry]
    return frame[["code", "name", "level", "parent_code", "geometry"]]


def _read(source) -> gpd.GeoDataFrame:
    try:
        data = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        frame = gpd.read_file(data, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSource/field errors for unreadable files
        raise GridError(f"无法读取网格文件 / cannot read the grid file: {exc}") from exc
    if frame.empty:
        raise GridError("网格文件没有要素 / the grid file has no features")
    return frame


def _rename(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.rename(columns={c: COLUMN_ALIASES.get(c, c.lower()) for c in frame.columns if c != "geometry"})
    missing = [c for c in ("code", "name", "level") if c not in frame.columns]
    if missing:
        raise GridError(f"网格文件缺少字段 / missing columns: {', '.join(missing)}")
    if "parent_code" not in frame.columns:
        frame["parent_code"] = None
    for column in ("code", "name", "level", "parent_code"):
        frame[column] = [None if _blank(v) else str(v).strip() for v in frame[column]]
    frame["level"] = [LEVEL_ALIASES.get(v, v) for v in frame.level]
    return frame


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def _to_wgs84(frame: gpd.GeoDataFrame, crs: str | None) -> gpd.GeoDataFrame:
    if crs:
        declared = _parse_crs(crs)
        frame = frame.set_crs(declared, allow_override=True)
    if frame.crs is None:
        raise GridError("网格文件未声明坐标系，请用 --crs 指定 / the file declares no CRS: pass crs (e.g. EPSG:4326)")
    if frame.crs.is_projected:
        frame = frame.to_crs(4326)
    elif frame.crs.to_epsg() not in GEOGRAPHIC_OK:
        raise GridError(f"不支持的坐标系 / unsupported CRS {frame.crs.to_string()}: use WGS84, CGCS2000 or a "
                        "projected EPSG CRS (convert GCJ-02/BD-09 first)")
    _check_bounds(frame)
    return frame.set_crs(4326, allow_override=True)


def _parse_crs(value: str) -> CRS:
    if value.strip().lower() in ("gcj02", "gcj-02", "bd09", "bd-09"):
        raise GridError("GCJ-02/BD-09 网格须先转换为 WGS84 / convert GCJ-02/BD-09 grids to WGS84 before import")
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj.CRSError and friends
        raise GridError(f"无法识别的坐标系 / unknown CRS {value!r}") from exc


def _check_bounds(frame: gpd.GeoDataFrame) -> None:
    if frame.geometry.isna().all():
        return
    minx, miny, maxx, maxy = frame.total_bounds
    inside = CHINA_LON[0] <= minx and maxx <= CHINA_LON[1] and CHINA_LAT[0] <= miny and maxy <= CHINA_LAT[1]
    if not inside:
        raise GridError(f"坐标超出中国范围，坐标系可能有误 / coordinates ({minx:.4g}, {miny:.4g}, {maxx:.4g}, "
                        f"{maxy:.4g}) are not lon/lat in China: wrong CRS declared?")


def _check_rows(frame: gpd.GeoDataFrame) -> None:
    problems = []
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        if not row.code or not row.name:
            problems.append(f"第{i}行缺少编码或名称 / row {i}: code and name are required")
        if row.level not in LEVELS:
            problems.append(f"第{i}行层级无效 / row {i}: level {row.level!r} is not street/community/grid")
        geom = row.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            problems.append(f"第{i}行几何不是面 / row {i} ({row.code}): geometry is {kind}, not a polygon")
    duplicated = frame.code[frame.code.duplicated()].dropna().unique()
    if len(duplicated):
        problems.append(f"编码重复 / duplicate codes: {', '.join(map(str, duplicated[:20]))}")
    if problems:
        raise GridError("; ".join(problems[:50]))
