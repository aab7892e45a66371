"""Generate the whole demo district in memory: one pandas frame per table, no database.

Every step draws from its own ``numpy`` generator seeded by ``(seed, step)``, so one seed gives
the same district byte for byte and a change in one step leaves the others' draws alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

from app.demo.addresses import build_addresses
from app.demo.buildings import build_buildings
from app.demo.credit import build_credit
from app.demo.economy import build_economy
from app.demo.enterprises import build_enterprises, forget_locations
from app.demo.geography import build_geography
from app.demo.people import build_complaints, build_staff
from app.demo.pois import SCHOOL_RADIUS_M, build_pois, buildings_near
from app.demo.projection import geoms_to_xy
from app.demo.roads import road_lines, road_rows

BUILDINGS_PER_ENTITY = 0.15
MIN_BUILDINGS = 1500
# metres: the local frame is within 0.3 % of true distance, so this stays inside 200 m
NEAR_SCHOOL_M = SCHOOL_RADIUS_M * 0.9


def generate(enterprises: int = 20000, seed: int = 7, step: Callable[[str], None] | None = None,
             normalize: bool = True) -> dict[str, pd.DataFrame]:
    """Frames keyed by table name (zone, grid, road, building, address_entry, poi, enterprise,
    credit_record, building_economy, staff, complaint). Geometry columns hold shapely objects in
    EPSG:4326. ``step`` is called with a label after each stage (for progress bars)."""
    tick = step or (lambda _label: None)
    rng = lambda k: np.random.default_rng([seed, k])  # noqa: E731 - one stream per stage
    n_buildings = max(MIN_BUILDINGS, round(enterprises * BUILDINGS_PER_ENTITY))
    geo = build_geography(enterprises, rng(1))
    tick("grids")
    levels = {lv: geo.grids[geo.grids.level == lv] for lv in ("street", "community")}
    lines = road_lines(levels["street"], levels["community"], geo.urban_xy, n_buildings, rng(2))
    roads = road_rows(lines, levels["street"])
    tick("roads")
    ftz_xy = geoms_to_xy(geo.zones.geom.iloc[1])
    buildings = build_buildings(lines, geo.grids, geo.outline_xy, ftz_xy, n_buildings, rng(3))
    tick("buildings")
    addresses = build_addresses(buildings, geo.grids, enterprises, normalize=normalize)
    tick("addresses")
    pois = build_pois(buildings, addresses[addresses.kind == "door"], geo.grids, enterprises, rng(4))
    schools = pois.loc[pois.kind == "school", ["x", "y"]].to_numpy()
    ents = build_enterprises(enterprises, addresses, buildings_near(schools, buildings, NEAR_SCHOOL_M), rng(5))
    tick("enterprises")
    credit = build_credit(ents, rng(6))
    economy = build_economy(buildings, ents, rng(7))
    staff = build_staff(geo.grids, enterprises, rng(8))
    complaints = build_complaints(ents, staff, rng(9))
    ents = forget_locations(ents, rng(10))  # after the frames drawn from where entities really are
    tick("credit, economy, staff")
    buildings["address_text"] = addresses[addresses.kind == "door"].set_index("building_id").standard_text \
        .reindex(buildings.id).to_numpy()
    return {"zone": geo.zones, "grid": geo.grids, "road": roads, "building": buildings,
            "address_entry": addresses, "poi": pois, "enterprise": ents, "credit_record": credit,
            "building_economy": economy, "staff": staff, "complaint": complaints}


def digest(frames: dict[str, pd.DataFrame], columns: dict[str, list[str]]) -> str:
    """SHA-256 over the table columns of every frame (geometries as WKB), for determinism checks."""
    h = hashlib.sha256()
    for table, cols in columns.items():
        frame = frames[table][cols].copy()
        for col in cols:
            if frame[col].dtype == object and len(frame) and isinstance(_first(frame[col]), shapely.Geometry):
                frame[col] = shapely.to_wkb(frame[col].to_numpy(), hex=True)
            elif frame[col].dtype == object:
                frame[col] = frame[col].astype(str)
        h.update(table.encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _first(series: pd.Series):
    valid = series.dropna()
    return valid.iloc[0] if len(valid) else None
