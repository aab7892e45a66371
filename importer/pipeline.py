"""After a committed import, on the affected rows only: assign grids, reclassify risk, bump tiles.

Enterprises are geocoded, assigned to their grid and classified in staging, before their one
write (importer.stage); for them only the tile data version remains.

Runs inside the batch's transaction, so a batch is applied with its consequences or not at all.
Each step reports rows and seconds; a step whose package has nothing to run on says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

# kind → map layer whose tiles change with it (data_version.layer)
LAYERS = {"enterprises": "enterprises", "addresses": "addresses", "buildings": "buildings",
          "economy": "buildings", "pois": "pois", "staff": "staff", "credit-records": "enterprises"}
# kind → table that grid assignment covers
ASSIGNED_TABLES = {"enterprises": "enterprise", "addresses": "address_entry", "buildings": "building",
                   "pois": "poi"}

# kinds whose rows were geocoded, assigned to grids and classified before their upsert (importer.stage)
STAGED = ("enterprises",)

Step = Callable[[str, int | None], object]  # name, total → progress bar with update(n) and close()


def run_pipeline(session: Session, kind: str, ids: np.ndarray, *, step: Step) -> list[dict]:
    """The post-import steps for ``kind`` on entity ids ``ids``; one report dict per step run."""
    if len(ids) == 0:
        return []
    done = []
    enterprise_ids = _enterprise_ids(session, kind, ids)
    if kind in ASSIGNED_TABLES and kind not in STAGED:
        done.append(_assign(session, ASSIGNED_TABLES[kind], step))
    if enterprise_ids is not None and kind not in STAGED:
        done.append(_classify(session, enterprise_ids, step))
    done.append(_bump(session, LAYERS[kind], step))
    return done


def _enterprise_ids(session: Session, kind: str, ids: np.ndarray) -> list[int] | None:
    if kind == "enterprises":
        return ids.tolist()
    if kind == "credit-records":
        return session.execute(text("SELECT DISTINCT enterprise_id FROM credit_record WHERE id = ANY(:ids)"),
                               {"ids": ids.tolist()}).scalars().all()
    return None


def _timed(name: str, rows: int, started: float, **detail) -> dict:
    seconds = time.perf_counter() - started
    return {"name": name, "rows": rows, "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1) if seconds > 0 and rows else None, **detail}


def _assign(session: Session, table: str, step: Step) -> dict:
    from gridding.assign import assign_version
    from gridding.versions import active_version

    started = time.perf_counter()
    version = active_version(session)
    bar = step("网格分配 grids", None)
    if version is None:
        bar.close()
        return _timed("grids", 0, started, result="no active grid version")
    report = assign_version(session, version_id=version["id"], tables=(table,))
    bar.update(report.rows_changed)
    bar.close()
    return _timed("grids", report.rows_changed, started,
                  result={"rows_changed": report.rows_changed, "rows_outside": report.rows_outside,
                          "run_id": report.run_id, "mode": "whole table (no ids-based assignment available)"})


def _classify(session: Session, enterprise_ids: list[int], step: Step) -> dict:
    from supervision.classify import classify_entities

    started = time.perf_counter()
    bar = step("风险分类 risk", len(enterprise_ids))
    report = classify_entities(session, enterprise_ids=enterprise_ids)
    bar.update(len(enterprise_ids))
    bar.close()
    return _timed("risk", len(enterprise_ids), started,
                  result={"examined": report.examined, "written": report.written, "changed": report.changed,
                          "rules_version": report.rules_version})


def _bump(session: Session, layer: str, step: Step) -> dict:
    started = time.perf_counter()
    bar = step("瓦片版本 tiles", 1)
    from supervision.classify import bump_data_versions

    bump_data_versions(session, (layer,))
    version = session.execute(text("SELECT version FROM data_version WHERE layer = :layer"),
                              {"layer": layer}).scalar_one()
    bar.update(1)
    bar.close()
    return _timed("data_version", 1, started, result={"layer": layer, "version": version})
