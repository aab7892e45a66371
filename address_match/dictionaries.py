"""Build the shipped dictionaries from the shared data folder (used by ``train``).

Only the *ship* division sets are read (modood/Administrative-divisions-of-China, WTFPL).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

_MUNICIPAL = {"市辖区", "县"}
_DIRECT = "直辖县级行政区划"
_COMMUNITY_TAILS = (("社区居民委员会", "社区"), ("村民委员会", "村"), ("居民委员会", "社区"),
                    ("社区工作站", "社区"))


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FileNotFoundError(f"missing shared data file: {path}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def division_rows(admin_dir: Path) -> list[tuple[str, str, str, str]]:
    """(code, level, name, parent) rows for provinces → communities (Chongqing only)."""
    provs = {r["code"]: r["name"] for r in _read(admin_dir / "provinces.csv")}
    rows = [(code, "prov", name, "") for code, name in provs.items()]
    skipped = set()
    for r in _read(admin_dir / "cities.csv"):
        if _DIRECT in r["name"]:
            skipped.add(r["code"])
            continue
        name = provs[r["provinceCode"]] if r["name"] in _MUNICIPAL else r["name"]
        rows.append((r["code"], "city", name, r["provinceCode"]))
    for r in _read(admin_dir / "areas.csv"):
        parent = r["provinceCode"] if r["cityCode"] in skipped else r["cityCode"]
        rows.append((r["code"], "district", r["name"], parent))
    rows += _town_rows(admin_dir)
    rows += _community_rows(admin_dir)
    return rows


def _town_rows(admin_dir: Path) -> list[tuple[str, str, str, str]]:
    seen, rows = set(), []
    for r in _read(admin_dir / "streets.csv"):
        seen.add(r["code"])
        rows.append((r["code"], "town", r["name"], r["areaCode"]))
    for r in _read(admin_dir / "chongqing_streets.csv"):
        if r["street_code"] not in seen:
            rows.append((r["street_code"], "town", r["street_name"], r["area_code"]))
    return rows


def _community_rows(admin_dir: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for r in _read(admin_dir / "chongqing_villages.csv"):
        rows.append((r["village_code"], "community", community_name(r["village_name"]), r["street_code"]))
    return rows


def community_name(name: str) -> str:
    """乌龙池社区居民委员会 → 乌龙池社区, 何家坝村村民委员会 → 何家坝村."""
    for tail, short in _COMMUNITY_TAILS:
        if name.endswith(tail):
            base = name[: -len(tail)]
            return base if base.endswith(short) else base + short
    return name


def write_divisions(admin_dir: Path, out: Path) -> int:
    """Write ``divisions.tsv.gz`` (deterministic: no timestamp in the gzip header)."""
    rows = division_rows(admin_dir)
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write("".join("\t".join(r) + "\n" for r in rows).encode("utf-8"))
    return len(rows)
