"""The address library (地址库): a door address per building, then unit/floor/room entries.

Standard text reads 重庆市渝北区 + 街道/镇 + road + 门牌号 [+ building name] [+ 单元/层/室], e.g.
重庆市渝北区龙溪街道金开大道88号汇融大厦12层1203室. Each entry carries its building's id, codes
and point (EPSG:4326).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

CITY, DISTRICT = "重庆市", "渝北区"
OFFICE_ROOMS_PER_FLOOR = 20
RESIDENTIAL_ROOMS_PER_UNIT_FLOOR = 4
CHECK_EVERY = 997  # entries between whole-text checks of the normalisation shortcut
_PUNCT = re.compile(r"[\s,，。、;；:：()（）\-—#]")


def _normalizer():
    """``address_match.normalize`` when it is importable, else a punctuation-stripping fallback."""
    try:
        from address_match.normalize import normalize
        normalize("重庆市渝北区金开大道1号")
        return normalize
    except Exception:  # the matcher is optional for the demo: any failure means "use the fallback"
        return lambda text: _PUNCT.sub("", text)


def normalize_all(texts: pd.Series) -> pd.Series:
    """Normalised text for every standard address (one call per distinct text; "" stays "")."""
    fn = _normalizer()
    codes, uniques = pd.factorize(texts)
    return pd.Series(np.array([fn(t) if t else t for t in uniques], dtype=object)[codes], index=texts.index)


def normalize_entries(doors: pd.Series, suffixes: pd.Series, *, check_every: int = CHECK_EVERY) -> pd.Series:
    """Normalised ``doors + suffixes`` (door text of the building, then unit/floor/room).

    Normalising each distinct door text and each distinct suffix once and joining them gives what
    normalising every whole text gives: a suffix is digits with 单元/层/室 after them and a door
    text ends in a building name or 号, so no rule of :func:`address_match.normalize.normalize`
    reaches across the join. At 10^6 entries this is ~7× fewer calls. Every ``check_every``-th
    entry is normalised whole as well; if any differs (the rules changed), every text is.
    """
    fn = _normalizer()
    joined = normalize_all(doors).to_numpy(dtype=object) + normalize_all(suffixes).to_numpy(dtype=object)
    whole = doors.to_numpy(dtype=object) + suffixes.to_numpy(dtype=object)
    sample = np.arange(0, len(whole), max(check_every, 1))
    if any(fn(whole[i]) != joined[i] for i in sample):
        return normalize_all(pd.Series(whole, index=doors.index))
    return pd.Series(joined, index=doors.index)


def _fine_counts(buildings: pd.DataFrame, n_fine: int) -> np.ndarray:
    """Unit/floor/room entries per building: spread by floor area, capped by what the floors hold."""
    use, floors = buildings.use.to_numpy(), buildings.floors.to_numpy()
    units = 1 + (floors >= 10) + (floors >= 25)
    cap = np.select([use == "office", use == "residential", use == "commercial"],
                    [floors * OFFICE_ROOMS_PER_FLOOR, floors * units * RESIDENTIAL_ROOMS_PER_UNIT_FLOOR,
                     np.where(floors >= 2, floors, 0)], 0)
    area = np.where(cap > 0, buildings.floor_area_m2.to_numpy(), 0.0)
    want = np.floor(n_fine * area / max(area.sum(), 1.0) * 1.15)
    return np.minimum(want, cap).astype(int)


def _fine_parts(b: pd.DataFrame, k: np.ndarray) -> pd.DataFrame:
    """Unit, floor and room of the k-th entry of each (repeated) building row."""
    floors = b.floors.to_numpy()
    floor = k % floors + 1
    j = k // floors
    units = 1 + (floors >= 10) + (floors >= 25)
    residential, office = (b.use == "residential").to_numpy(), (b.use == "office").to_numpy()
    unit = np.where(residential, j % units + 1, 0)
    room = np.where(residential, j // units + 1, j + 1)
    return pd.DataFrame({
        "unit_no": np.where(residential, unit.astype(str), None),
        "floor_no": floor.astype(str),
        "room_no": np.where(residential | office, (floor * 100 + room).astype(str), None),
    }, index=b.index)


def _door_text(frame: pd.DataFrame) -> pd.Series:
    return CITY + DISTRICT + frame.town + frame.road + frame.road_no + "号" + frame.poi_name.fillna("")


def _suffix(frame: pd.DataFrame) -> pd.Series:
    """单元/层/室 of fine entries ("" for door addresses)."""
    text = pd.Series(np.where(frame.unit_no.notna(), frame.unit_no.fillna("") + "单元", ""), index=frame.index)
    text = text + np.where(frame.floor_no.notna(), frame.floor_no.fillna("") + "层", "")
    return text + np.where(frame.room_no.notna(), frame.room_no.fillna("") + "室", "")


def build_addresses(buildings: pd.DataFrame, grids: pd.DataFrame, n_total: int, *,
                    normalize: bool = True) -> pd.DataFrame:
    """About ``n_total`` library entries: one door address per building plus finer entries.

    Columns follow ``address_entry``; ``kind`` (door / fine) and the building's ``use`` are kept for
    the generator. Ids run from 1 with the door addresses first.
    """
    names = grids.set_index("code").name
    base = pd.DataFrame({
        "building_id": buildings.id.to_numpy(), "town": names.reindex(buildings.street_code).to_numpy(),
        "community": names.reindex(buildings.community_code).to_numpy(), "road": buildings.road.to_numpy(),
        "road_no": buildings.door_no.astype(str).to_numpy(), "poi_name": buildings.name.to_numpy(),
        "street_code": buildings.street_code.to_numpy(), "community_code": buildings.community_code.to_numpy(),
        "grid_code": buildings.grid_code.to_numpy(), "geom": buildings.geom.to_numpy(),
        "use": buildings.use.to_numpy(), "floors": buildings.floors.to_numpy(),
    })
    door = base.assign(kind="door", unit_no=None, floor_no=None, room_no=None)
    counts = _fine_counts(buildings, max(n_total - len(buildings), 0))
    fine = base.loc[np.repeat(base.index.to_numpy(), counts)]
    k = fine.groupby(level=0).cumcount().to_numpy()
    fine = pd.concat([fine, _fine_parts(fine, k)], axis=1).assign(kind="fine")
    frame = pd.concat([door, fine], ignore_index=True)
    frame["district"] = DISTRICT
    frame["building_no"] = None
    door_text, suffix = _door_text(frame), _suffix(frame)
    frame["standard_text"] = door_text + suffix
    frame["normalized_text"] = normalize_entries(door_text, suffix) if normalize else frame.standard_text
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame
