"""Building economy (楼宇经济) for 2023–2025: output value and tax in 万元, employment, entities.

Output scales with floor area and use (offices highest per m²), grows a few per cent a year and
varies by building; employment follows floor area per worker; tax is a share of output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YEARS = (2023, 2024, 2025)
OUTPUT_PER_M2_10K = {"office": 0.9, "commercial": 0.5, "industrial": 0.7, "residential": 0.05}
M2_PER_WORKER = {"office": 15.0, "commercial": 35.0, "industrial": 50.0, "residential": 300.0}
TAX_RATE = {"office": 0.07, "commercial": 0.04, "industrial": 0.05, "residential": 0.03}


def build_economy(buildings: pd.DataFrame, enterprises: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per building with entities and year."""
    ent = enterprises[["building_id", "established_on"]]
    with_entities = buildings[buildings.id.isin(ent.building_id.unique())].reset_index(drop=True)
    use = with_entities.use.to_numpy()
    area = with_entities.floor_area_m2.to_numpy(dtype=float)
    level = rng.lognormal(0, 0.5, len(use))
    growth = rng.normal(0.05, 0.06, len(use))
    occupancy = rng.uniform(0.5, 0.95, len(use))
    frames = []
    for k, year in enumerate(YEARS):
        factor = level * (1 + growth) ** k
        output = area * np.vectorize(OUTPUT_PER_M2_10K.get)(use) * factor
        alive = ent[ent.established_on <= np.datetime64(f"{year}-12-31")]
        counts = alive.building_id.value_counts().reindex(with_entities.id).fillna(0).astype(int).to_numpy()
        frames.append(pd.DataFrame({
            "building_id": with_entities.id.to_numpy(), "year": year, "output_value_10k": np.round(output, 2),
            "employment": np.round(area / np.vectorize(M2_PER_WORKER.get)(use) * occupancy * (1 + growth) ** k)
            .astype(int),
            "tax_10k": np.round(output * np.vectorize(TAX_RATE.get)(use) * rng.uniform(0.8, 1.2, len(use)), 2),
            "entity_count": counts}))
    return pd.concat(frames, ignore_index=True).sort_values(["building_id", "year"], ignore_index=True)
