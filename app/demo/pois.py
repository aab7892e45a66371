"""Sensitive places on buildings: schools (小学/中学), kindergartens and hospitals.

About one school per 40 ha of built-up urban land: the demo counts 2,000 entities per school,
so 10^6 entities bring ~500 schools. Points are the building's (EPSG:4326).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from app.demo.names import brand_words

ENTITIES_PER_SCHOOL = 2000
MIN_SCHOOLS = 16
SCHOOL_RADIUS_M = 200.0


def _roots(communities: pd.Series, rng) -> list[str]:
    roots = communities.str.replace(r"(社区|村)$", "", regex=True).drop_duplicates().tolist()
    rng.shuffle(roots)
    return roots + [str(b) for b in brand_words(rng, 4000)]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else name.replace("渝北区", f"渝北区第{k + 1}", 1) if "渝北区" in name
                   else f"{name}（{k + 1}）")
    return out


def _school_names(n: int, roots: list[str], rng) -> tuple[list[str], list[str]]:
    middle = rng.random(n) < 0.3
    names = [f"重庆市渝北区{r}中学" if m else f"重庆市渝北区{r}{'实验' if rng.random() < 0.15 else ''}小学"
             for r, m in zip(roots[:n], middle, strict=True)]
    return names, ["school"] * n


def _poi_names(n_school: int, n_kg: int, n_hosp: int, streets: pd.Series, communities: pd.Series, rng):
    roots = _roots(communities, rng)
    names, kinds = _school_names(n_school, roots, rng)
    kg_roots = roots[n_school:n_school + n_kg]
    names += [f"重庆市渝北区{r}{rng.choice(['', '艺术', '双语', '第一'])}幼儿园" for r in kg_roots]
    kinds += ["kindergarten"] * n_kg
    fixed = ["重庆市渝北区人民医院", "重庆市渝北区中医院", "重庆市渝北区妇幼保健院"]
    health = [f"重庆市渝北区{s}社区卫生服务中心" for s in streets]
    brand = [f"重庆{b}{rng.choice(['医院', '口腔医院', '眼科医院', '中西医结合医院'])}" for b in brand_words(rng, n_hosp)]
    hosp = (fixed + health + brand)[:n_hosp]
    return _unique(names + hosp), kinds + ["hospital"] * len(hosp)


def build_pois(buildings: pd.DataFrame, doors: pd.DataFrame, grids: pd.DataFrame, enterprises: int,
               rng: np.random.Generator) -> pd.DataFrame:
    """Schools, kindergartens and hospitals placed on distinct buildings, mostly urban ones."""
    n_school = max(MIN_SCHOOLS, round(enterprises / ENTITIES_PER_SCHOOL))
    n_kg, n_hosp = round(n_school * 1.2), max(4, round(n_school * 0.12))
    levels = grids.set_index("level")
    names, kinds = _poi_names(n_school, n_kg, n_hosp, levels.loc["street", "name"],
                              levels.loc["community", "name"], rng)
    weight = np.where(buildings.use.isin(["residential", "commercial"]), 1.0, 0.05)
    weight *= np.where(buildings.street_code.map(grids.set_index("code").urban).astype(bool), 4.0, 1.0)
    pick = rng.choice(len(buildings), size=len(names), replace=False, p=weight / weight.sum())
    b = buildings.iloc[pick]
    door_text = doors.set_index("building_id").standard_text
    return pd.DataFrame({
        "id": np.arange(1, len(names) + 1), "kind": kinds, "name": names,
        "address_text": door_text.reindex(b.id).to_numpy(), "source": "demo",
        "source_id": [f"DEMO-POI-{i + 1:06d}" for i in range(len(names))],
        "street_code": b.street_code.to_numpy(), "grid_code": b.grid_code.to_numpy(),
        "geom": b.geom.to_numpy(), "building_id": b.id.to_numpy(), "x": b.x.to_numpy(), "y": b.y.to_numpy(),
    })


def buildings_near(points_xy: np.ndarray, buildings: pd.DataFrame, radius_m: float) -> np.ndarray:
    """Ids of buildings whose point lies within ``radius_m`` metres of any of ``points_xy``."""
    tree = shapely.STRtree(shapely.points(buildings[["x", "y"]].to_numpy()))
    _, hit = tree.query(shapely.points(points_xy), predicate="dwithin", distance=radius_m)
    return buildings.id.to_numpy()[np.unique(hit)]
