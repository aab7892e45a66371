"""The road network: arterial 大道 across the city and a local grid of 路/街/巷 in each street.

Roads are generated as *lines* in local metres (one line per named road, used to place buildings
and number doors), and stored as *rows* split at street boundaries (``road`` table, EPSG:4326).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from app.demo.names import ARTERIALS, place_roots
from app.demo.projection import geoms_to_lonlat, lonlat_to_xy

DOOR_GAP_M = {True: 45.0, False: 70.0}  # wanted distance between doors on one side, urban / rural
SPACING_M = {True: (180.0, 900.0), False: (600.0, 3000.0)}
MIN_ROAD_M = 120.0
_ARTERIAL_ENDS = [((106.515, 29.615), (106.690, 29.770)), ((106.500, 29.672), (106.700, 29.690)),
                  ((106.540, 29.600), (106.575, 29.780)), ((106.600, 29.605), (106.640, 29.780)),
                  ((106.505, 29.735), (106.700, 29.742)), ((106.660, 29.600), (106.700, 29.780)),
                  ((106.505, 29.640), (106.700, 29.625)), ((106.505, 29.710), (106.620, 29.600))]


def _grid_lines(poly, spacing: float, rng: np.random.Generator) -> list[tuple[LineString, int]]:
    """Two families of parallel lines ``spacing`` m apart, at a random angle, clipped to ``poly``."""
    cx, cy = poly.centroid.x, poly.centroid.y
    x0, y0, x1, y1 = poly.bounds
    reach = float(np.hypot(x1 - x0, y1 - y0)) / 2 + spacing
    theta = rng.uniform(0, np.pi / 2)
    lines = []
    for family in (0, 1):
        u = np.array([np.cos(theta + family * np.pi / 2), np.sin(theta + family * np.pi / 2)])
        v = np.array([-u[1], u[0]])
        ks = np.arange(-reach, reach, spacing) + rng.uniform(-0.2, 0.2, int(np.ceil(2 * reach / spacing))) * spacing
        starts = np.array([cx, cy]) + ks[:, None] * v - reach * u
        ends = np.array([cx, cy]) + ks[:, None] * v + reach * u
        segs = shapely.linestrings(np.stack([starts, ends], axis=1))
        clipped = shapely.intersection(segs, poly)
        for part in shapely.get_parts(clipped):
            if part.geom_type == "LineString" and part.length >= MIN_ROAD_M:
                lines.append((part, family))
    return lines


def _arterials(urban) -> list[LineString]:
    out = []
    for (a, b) in _ARTERIAL_ENDS[: len(ARTERIALS)]:
        x, y = lonlat_to_xy(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
        clipped = shapely.intersection(LineString(np.column_stack([x, y])), urban)
        parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
        out.append(max(parts, key=lambda p: p.length))
    return out


def _street_spacing(street, n_buildings: int) -> float:
    wanted_m = street.weight * n_buildings * DOOR_GAP_M[street.urban] / 2
    lo, hi = SPACING_M[street.urban]
    return float(np.clip(2 * street.geom_xy.area / max(wanted_m, 1.0), lo, hi))


def _local_names(community_names: pd.Series, families: list[int], lengths: list[float],
                 roots: list[str], used: set[str]) -> list[tuple[str, str]]:
    """Names for one street's lines: real community road names first, then fresh roots."""
    real = [n[:-2] for n in community_names if n.endswith(("路社区", "街社区"))]
    out = []
    for fam, length in zip(families, lengths, strict=True):
        name = next((r for r in real if r not in used), None)
        if name is None:
            kind = "巷" if length < 500 else ("路" if fam == 0 else "街")
            while (name := roots.pop() + kind) in used:
                pass
        used.add(name)
        real = [r for r in real if r != name]
        out.append((name, name[-1]))
    return out


def road_lines(streets: pd.DataFrame, communities: pd.DataFrame, urban, n_buildings: int,
               rng: np.random.Generator) -> pd.DataFrame:
    """One row per named road: name, kind, geom_xy (metres), street_code (of its middle), urban."""
    arterial = _arterials(urban)
    rows = [(name, "大道" if name.endswith("大道") else "路", geom) for name, geom in zip(ARTERIALS, arterial, strict=True)]
    used = {r[0] for r in rows}
    roots = list(place_roots(rng, 6000))
    for street in streets.itertuples():
        lines = _grid_lines(street.geom_xy, _street_spacing(street, n_buildings), rng)
        comm = communities.loc[communities.parent_code == street.code, "name"]
        names = _local_names(comm, [f for _, f in lines], [g.length for g, _ in lines], roots, used)
        rows += [(n, k, g) for (n, k), (g, _) in zip(names, lines, strict=True)]
    frame = pd.DataFrame(rows, columns=["name", "kind", "geom_xy"])
    mids = shapely.line_interpolate_point(frame.geom_xy.to_numpy(), 0.5, normalized=True)
    tree = shapely.STRtree(streets.geom_xy.to_numpy())
    idx = tree.query_nearest(mids, all_matches=False)[1]
    frame["street_code"] = streets.code.to_numpy()[idx]
    frame["urban"] = streets.urban.to_numpy()[idx]
    frame["length_m"] = shapely.length(frame.geom_xy.to_numpy())
    return frame


def road_rows(lines: pd.DataFrame, streets: pd.DataFrame) -> pd.DataFrame:
    """The ``road`` table: each line split at street boundaries (EPSG:4326 LineStrings)."""
    tree = shapely.STRtree(streets.geom_xy.to_numpy())
    li, si = tree.query(lines.geom_xy.to_numpy(), predicate="intersects")
    pieces = shapely.intersection(lines.geom_xy.to_numpy()[li], streets.geom_xy.to_numpy()[si])
    frame = pd.DataFrame({"name": lines.name.to_numpy()[li], "kind": lines.kind.to_numpy()[li],
                          "street_code": streets.code.to_numpy()[si], "geom": pieces})
    frame = _explode_lines(frame)
    frame["geom"] = geoms_to_lonlat(frame.geom.to_numpy())
    return frame.reset_index(drop=True)


def _explode_lines(frame: pd.DataFrame) -> pd.DataFrame:
    parts, index = shapely.get_parts(frame.geom.to_numpy(), return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= 1.0)
    out = frame.iloc[index[keep]].copy()
    out["geom"] = parts[keep]
    return out
