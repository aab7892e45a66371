"""Market entities: USCC, name, industry, type, status, dates, capital, legal rep and address.

Each entity sits at an entry of the address library (many small firms share an office floor, a
few addresses hold dozens of registrations). Its ``registered_address`` is written the way people
write it (:mod:`app.demo.variants`); the true ``address_id``/``building_id``/point/grid are kept
with ``geocode_source='demo-truth'`` so a geocoder can be scored against them, except for a share
registered before coordinates were kept (``forget_locations``): those have only their address text,
and the build geocodes them (``app.cli.after_demo_build``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from app.demo.industries import industries
from app.demo.names import BRAND_CHARS, brand_words, person_names
from app.demo.uscc import make_usccs, random_org_bodies
from app.demo.variants import messy_addresses

AREA_CODE = "500112"
REFERENCE_DATE = dt.date(2026, 11, 1)
EARLIEST = dt.date(1993, 1, 1)
CLUSTER_SHARE = 0.03  # office firms registered at a cluster address (集群注册)
NEAR_SCHOOL_SHARE = 0.3  # restricted venues placed within 200 m of a school
UNLOCATED_SHARE = 0.05  # registered before coordinates were kept: the address text only
LOCATION_COLUMNS = ("address_id", "building_id", "grid_code", "geom", "geocode_level", "geocode_source",
                    "geocode_score")


def _pick_words(words: pd.Series, rng) -> np.ndarray:
    """One of the '|'-separated alternatives of each row (split once per distinct text)."""
    codes, uniques = pd.factorize(words)
    options = [u.split("|") for u in uniques]
    sizes = np.array([len(o) for o in options])
    k = (rng.random(len(words)) * sizes[codes]).astype(int)
    flat = np.array([w for o in options for w in o], dtype=object)
    return flat[(np.cumsum(sizes) - sizes)[codes] + k]


def _names(ind: pd.DataFrame, individual: np.ndarray, reps: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    n = len(ind)
    brand = brand_words(rng, n)
    firm = _pick_words(ind.firm_words, rng)
    shop = _pick_words(ind.shop_words, rng)
    prefix = rng.choice(["重庆", "重庆市", "重庆市渝北区", "重庆两江新区"], n, p=[0.7, 0.1, 0.15, 0.05])
    form = rng.choice(["有限公司", "有限责任公司", "股份有限公司"], n, p=[0.9, 0.07, 0.03])
    shop_prefix = rng.choice(["重庆市渝北区", "渝北区"], n, p=[0.7, 0.3])
    owner = np.where(rng.random(n) < 0.25, reps, brand)
    token = np.where(individual, owner, brand)
    head, tail = np.where(individual, shop_prefix, prefix), np.where(individual, shop, firm + form)
    token = _distinct(head, token, tail, rng)
    return head + token + tail, token + np.where(individual, shop, firm)


def _distinct(head: np.ndarray, token: np.ndarray, tail: np.ndarray, rng) -> np.ndarray:
    """Lengthen trade names (字号) until every full name is unique, as a registry would insist."""
    token = token.astype(object)
    dup = pd.Series(head + token + tail).duplicated().to_numpy()
    while dup.any():
        token[dup] = token[dup] + rng.choice(BRAND_CHARS, int(dup.sum()))
        dup = pd.Series(head + token + tail).duplicated().to_numpy()
    return token


def _dates(status: np.ndarray, rng) -> np.ndarray:
    span = (REFERENCE_DATE - EARLIEST).days
    age = np.minimum(rng.exponential(5.5 * 365, len(status)) + 30, span)
    age = np.where(status == "存续", age, np.minimum(age + 3 * 365, span))
    return np.datetime64(REFERENCE_DATE) - age.astype("timedelta64[D]")


def _capital(ind: pd.DataFrame, individual: np.ndarray, rng) -> np.ndarray:
    median = ind.capital_10k.to_numpy(dtype=float) * np.where(individual, 0.3, 1.0)
    cap = np.round(median * rng.lognormal(0, 0.9, len(ind)), 0)
    cap = np.maximum(cap, 1.0)
    return np.where(individual & (rng.random(len(ind)) < 0.3), np.nan, cap)


def _pools(addresses: pd.DataFrame, near_school: np.ndarray) -> dict[str, np.ndarray]:
    """Address row positions by the kind of place a firm occupies."""
    use, kind = addresses.use.to_numpy(), addresses.kind.to_numpy()
    shop = ((kind == "door") & np.isin(use, ["commercial", "residential"])) | ((kind == "fine") & (use == "commercial"))
    office = use == "office"
    industrial = (kind == "door") & (use == "industrial")
    pools = {"shop": np.flatnonzero(shop), "office": np.flatnonzero(office), "industrial": np.flatnonzero(industrial)}
    pools["near_school"] = np.flatnonzero(shop & np.isin(addresses.building_id.to_numpy(), near_school))
    return {k: (v if len(v) else pools["shop"]) for k, v in pools.items()}


def _place(ind: pd.DataFrame, individual: np.ndarray, addresses: pd.DataFrame, near_school: np.ndarray,
           rng) -> np.ndarray:
    """Row position in ``addresses`` of each entity."""
    pools = _pools(addresses, near_school)
    place = ind.place.to_numpy().copy()
    place[ind.category.notna().to_numpy() & (rng.random(len(ind)) < NEAR_SCHOOL_SHARE)] = "near_school"
    pos = np.empty(len(ind), dtype=np.int64)
    for key, pool in pools.items():
        mask = place == key
        pos[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
    clusters = rng.choice(pools["office"], max(2, len(ind) // 4000), replace=False)
    clustered = (place == "office") & ~individual & (rng.random(len(ind)) < CLUSTER_SHARE)
    pos[clustered] = clusters[rng.integers(0, len(clusters), int(clustered.sum()))]
    return pos


def build_enterprises(n: int, addresses: pd.DataFrame, near_school: np.ndarray,
                      rng: np.random.Generator) -> pd.DataFrame:
    """``n`` entities; ``near_school`` holds ids of buildings within 200 m of a school."""
    table = industries()
    ind = table.iloc[rng.choice(len(table), n, p=table.share.to_numpy())].reset_index(drop=True)
    individual = rng.random(n) < ind.individual.to_numpy()
    status = rng.choice(["存续", "吊销", "注销"], n, p=[0.88, 0.045, 0.075])
    reps = person_names(rng, n)
    name, short = _names(ind, individual, reps, rng)
    prefixes = np.where(individual, "92", "91")
    addr = addresses.iloc[_place(ind, individual, addresses, near_school, rng)].reset_index(drop=True)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "uscc": make_usccs(prefixes, AREA_CODE, random_org_bodies(rng, n)),
        "name": name, "short_name": short, "entity_type": np.where(individual, "个体工商户", "企业"),
        "industry_code": ind.code.to_numpy(), "industry_label": ind.label.to_numpy(),
        "category": ind.category.to_numpy(), "status": status, "established_on": _dates(status, rng),
        "registered_capital_10k": _capital(ind, individual, rng), "legal_rep": reps,
        "address_id": addr.id.to_numpy(), "building_id": addr.building_id.to_numpy(),
        "grid_code": addr.grid_code.to_numpy(), "geom": addr.geom.to_numpy(),
        "geocode_level": "exact", "geocode_source": "demo-truth", "geocode_score": 1.0,
        "standard_text": addr.standard_text.to_numpy(),
    })
    frame["registered_address"] = messy_addresses(addr.standard_text, addr.town, addr.poi_name, rng).to_numpy()
    return frame


def forget_locations(ents: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``ents`` with ``UNLOCATED_SHARE`` of them reduced to their address text: no point, library entry,
    building, grid or geocode, as a register's older records come."""
    out = ents.copy()
    lost = rng.random(len(out)) < UNLOCATED_SHARE
    for column in LOCATION_COLUMNS:
        out[column] = out[column].astype(object).where(~lost, None)
    return out
