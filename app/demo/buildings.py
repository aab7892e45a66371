"""Buildings along the roads: rotated rectangles set back from the road, numbered door by door.

Positions are in local metres (:mod:`app.demo.projection`); the frame returned carries both the
metric geometry (``point_xy``) and EPSG:4326 ``footprint``/``geom``. Odd door numbers are on the
left of a road's direction, even ones on the right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from app.demo.names import building_names
from app.demo.projection import geoms_to_lonlat

USES = np.array(["office", "residential", "commercial", "industrial"])
USE_P = {"urban": [0.18, 0.47, 0.25, 0.10], "ftz": [0.40, 0.25, 0.25, 0.10], "rural": [0.03, 0.60, 0.22, 0.15]}
FLOORS = {"office": (8, 42), "residential": (6, 34), "commercial": (1, 7), "industrial": (1, 5)}
SIZE_M = {"office": (25, 45), "residential": (16, 32), "commercial": (15, 40), "industrial": (35, 90)}
STOREY_M = {"office": 3.9, "residential": 3.0, "commercial": 4.5, "industrial": 6.0}
MIN_DOOR_GAP_M = 14.0


def _counts_per_line(lines: pd.DataFrame, streets: pd.DataFrame, n_buildings: int, rng) -> np.ndarray:
    per_street = streets.set_index("code").weight * n_buildings
    length_per_street = lines.groupby("street_code").length_m.sum()
    density = (per_street / length_per_street).reindex(lines.street_code).fillna(0).to_numpy()
    cap = np.floor(2 * lines.length_m.to_numpy() / MIN_DOOR_GAP_M)
    return np.minimum(rng.poisson(density * lines.length_m.to_numpy()), cap).astype(int)


def _places(lines: pd.DataFrame, counts: np.ndarray, rng) -> pd.DataFrame:
    """Line index, side (0 left/odd, 1 right/even), distance along (m) and door number per building."""
    line = np.repeat(np.arange(len(lines)), counts)
    frame = pd.DataFrame({"line": line, "side": rng.integers(0, 2, len(line))})
    groups = frame.groupby(["line", "side"])
    rank, size = groups.cumcount().to_numpy(), groups.line.transform("size").to_numpy()
    length = lines.length_m.to_numpy()[line]
    frame["along_m"] = (rank + 0.5 + rng.uniform(-0.2, 0.2, len(line))) / size * length
    frame["gap_m"] = length / size
    skips = pd.Series(rng.choice([0, 0, 0, 0, 1, 2], len(line))).groupby([frame.line, frame.side]).cumsum()
    frame["door_no"] = 2 * (rank + skips.to_numpy()) + 1 + frame.side.to_numpy()
    return frame


def _attributes(places: pd.DataFrame, zone: np.ndarray, rng) -> pd.DataFrame:
    n = len(places)
    use = np.empty(n, dtype=object)
    for key, p in USE_P.items():
        mask = zone == key
        use[mask] = rng.choice(USES, int(mask.sum()), p=p)
    lo = np.array([FLOORS[u][0] for u in use])
    hi = np.array([FLOORS[u][1] for u in use])
    hi = np.where(zone == "rural", np.minimum(hi, lo + 6), hi)
    floors = np.floor(lo + (hi - lo + 1) * rng.beta(1.3, 2.5, n)).astype(int)
    smin, smax = np.array([SIZE_M[u] for u in use]).T
    width = np.minimum(rng.uniform(smin, smax), 0.75 * places.gap_m.to_numpy())
    depth = rng.uniform(smin, smax) * 0.7
    places = places.assign(use=use, floors=floors, width_m=width, depth_m=depth)
    places["height_m"] = np.round(floors * np.array([STOREY_M[u] for u in use]) + rng.uniform(0, 3, n), 1)
    places["floor_area_m2"] = np.round(width * depth * floors * 0.85, 1)
    return places


def _footprints(lines: pd.DataFrame, places: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
    """Rotated rectangles beside the road and their centres (metres)."""
    geoms = lines.geom_xy.to_numpy()[places.line.to_numpy()]
    along = places.along_m.to_numpy()
    a = shapely.get_coordinates(shapely.line_interpolate_point(geoms, np.maximum(along - 3, 0)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(geoms, along + 3))
    u = (b - a) / np.linalg.norm(b - a, axis=1)[:, None]
    normal = np.column_stack([-u[:, 1], u[:, 0]]) * np.where(places.side.to_numpy() == 0, 1, -1)[:, None]
    half_w, half_d = places.width_m.to_numpy() / 2, places.depth_m.to_numpy() / 2
    setback = rng.uniform(8, 25, len(places)) + half_d
    centre = (a + b) / 2 + normal * setback[:, None]
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = np.stack([centre + u * (sx * half_w)[:, None] + normal * (sy * half_d)[:, None] for sx, sy in corners],
                    axis=1)
    return shapely.polygons(ring), centre


def _keep(footprints, lines: pd.DataFrame, outline_xy) -> np.ndarray:
    """Inside the district and clear of every road."""
    shapely.prepare(outline_xy)
    inside = shapely.contains(outline_xy, footprints)
    tree = shapely.STRtree(lines.geom_xy.to_numpy())
    hit = np.zeros(len(footprints), dtype=bool)
    hit[np.unique(tree.query(footprints, predicate="intersects")[0])] = True
    return inside & ~hit


def _clear_of_each_other(footprints) -> np.ndarray:
    """Drop the later of two overlapping footprints (near crossings)."""
    tree = shapely.STRtree(footprints)
    i, j = tree.query(footprints, predicate="intersects")
    later = j[j > i]
    keep = np.ones(len(footprints), dtype=bool)
    keep[np.unique(later)] = False
    return keep


def _distinct(names: np.ndarray) -> np.ndarray:
    """Repeated names become phases, as estates do: 金科花园, 金科花园二期, 金科花园三期 …"""
    nth = pd.Series(names).groupby(names).cumcount().to_numpy()
    phase = np.array(["", "二期", "三期", "四期", "五期", "六期", "七期", "八期", "九期"])
    suffix = np.where(nth < len(phase), phase[np.minimum(nth, len(phase) - 1)], np.char.add(nth.astype(str), "期"))
    return np.char.add(names.astype(str), suffix).astype(object)


def assign_grids(points_xy: np.ndarray, grids: pd.DataFrame) -> pd.DataFrame:
    """Street, community and grid code of each point (x, y metres); ties go to the lowest code."""
    base = grids[grids.level == "grid"].reset_index(drop=True)
    tree = shapely.STRtree(base.geom_xy.to_numpy())
    pts = shapely.points(points_xy)
    pi, gi = tree.query(pts, predicate="intersects")
    first = pd.Series(gi).groupby(pi).min()
    idx = np.full(len(pts), -1)
    idx[first.index.to_numpy()] = first.to_numpy()
    missing = idx < 0
    if missing.any():
        idx[missing] = tree.query_nearest(pts[missing], all_matches=False)[1]
    parent = grids.set_index("code").parent_code
    grid_code = base.code.to_numpy()[idx]
    community = parent.reindex(grid_code).to_numpy()
    return pd.DataFrame({"grid_code": grid_code, "community_code": community,
                         "street_code": parent.reindex(community).to_numpy()})


def build_buildings(lines: pd.DataFrame, grids: pd.DataFrame, outline_xy, ftz_xy, n_buildings: int,
                    rng: np.random.Generator) -> pd.DataFrame:
    """About ``n_buildings`` buildings with use, floors, height, area, footprint and codes."""
    streets = grids[grids.level == "street"]
    places = _places(lines, _counts_per_line(lines, streets, n_buildings, rng), rng)
    urban = lines.urban.to_numpy()[places.line.to_numpy()]
    footprints, centre = _footprints(lines, places.assign(width_m=30.0, depth_m=30.0), rng)
    zone = np.where(shapely.contains_xy(ftz_xy, centre[:, 0], centre[:, 1]), "ftz", np.where(urban, "urban", "rural"))
    places = _attributes(places, zone, rng)
    footprints, centre = _footprints(lines, places, rng)
    keep = _keep(footprints, lines, outline_xy)
    places, footprints, centre = places[keep].reset_index(drop=True), footprints[keep], centre[keep]
    keep = _clear_of_each_other(footprints)
    places, footprints, centre = places[keep].reset_index(drop=True), footprints[keep], centre[keep]
    named = (places.use.isin(["office", "industrial"]) | (places.floors >= 10)
             | (places.floor_area_m2 > 8000)).to_numpy()
    places["name"] = np.where(named, _distinct(building_names(rng, places.use.to_numpy())), None)
    places["road"] = lines.name.to_numpy()[places.line.to_numpy()]
    places = pd.concat([places, assign_grids(centre, grids)], axis=1)
    places["x"], places["y"] = centre[:, 0], centre[:, 1]
    places["footprint"] = geoms_to_lonlat(footprints)
    places["geom"] = geoms_to_lonlat(shapely.points(centre))
    places.insert(0, "id", np.arange(1, len(places) + 1))
    return places
