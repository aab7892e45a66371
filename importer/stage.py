"""Enterprise rows completed in the staging table before their one write: geocode, grid, risk class.

Geocoding, grid assignment and the upsert used to write each fresh row three times (plus once
more for its risk class); at 10^6 rows the rewrites were what cost. Here the staged rows
(``_imp``) get their library match, their grid and their risk class first, and ``importer.load.upsert`` writes
each row once with everything in it.

- Geocode: rows without coordinates whose stored row is absent, or would change and was not
  placed by an earlier file, are matched in bulk against the in-memory address library
  (``address_match.geocode.match_addresses``) on their operating address, else their registered
  address (the file's, else the stored one), as the post-import geocoder did.
- Grid: the staged points (the file's or the library's) are joined to the active grid version
  by ``gridding.assign``'s own statements, so the lowest covering code wins and
  ``near_boundary`` means the same as for a full assignment.
- Risk: new and changed rows are classified by ``supervision.classify.classify_staged`` (the same
  rules, inputs hash and "write only what differs" as ``classify_entities``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridding.assign import assign_points
from gridding.versions import active_version
from importer import load
from importer.kinds import Kind
from models.db import run_script

_GEO_TABLE = """
    DROP TABLE IF EXISTS _imp_geo;
    CREATE TEMP TABLE _imp_geo (row_no int, address_id bigint, building_id bigint, lon float8, lat float8,
                                level text, score numeric) ON COMMIT DROP
"""
# What the post-import geocoder would have picked: the merged row's operating address, else registered.
_TO_GEOCODE = """
    SELECT s.row_no, {address} AS address FROM _imp s LEFT JOIN enterprise t ON t.uscc = s.uscc
    WHERE s.lon IS NULL AND {address} IS NOT NULL
      AND (t.id IS NULL OR (t.geocode_source IS DISTINCT FROM 'import' AND {changed}))
    ORDER BY s.row_no
"""
_STAGED_POINTS = """
    SELECT s.row_no AS id, ST_SetSRID(ST_MakePoint(coalesce(s.lon, g.lon), coalesce(s.lat, g.lat)), 4326) AS geom,
           NULL::text AS grid_code, NULL::boolean AS near_boundary
    FROM _imp s LEFT JOIN _imp_geo g ON g.row_no = s.row_no WHERE coalesce(s.lon, g.lon) IS NOT NULL
"""


def stage_enterprises(session: Session, kind: Kind, *, step: Callable) -> list[dict]:
    """Fill ``_imp`` with each row's geocode and grid; one report dict per step (geocode, grids)."""
    if not session.execute(text("SELECT EXISTS (SELECT 1 FROM _imp)")).scalar():
        return []
    if "lon" not in load._columns(session):  # a file without coordinates: every row is to be geocoded
        session.execute(text("ALTER TABLE _imp ADD COLUMN lon float8, ADD COLUMN lat float8"))
    values = load._value_expressions(kind, load._columns(session))
    done = [_geocode(session, values, step)]
    active = active_version(session)
    version = active["id"] if active else None
    done.append(_grids(session, version, step))
    done.append(_classify(session, values, step))
    _merge(session, gridded=version is not None)
    return done


def _timed(name: str, rows: int, started: float, **detail) -> dict:
    seconds = time.perf_counter() - started
    return {"name": name, "rows": rows, "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1) if seconds > 0 and rows else None, **detail}


def _address_sql(present: set[str]) -> str:
    parts = [f"{side}.{column}" for column in ("operating_address", "registered_address")
             for side in (("s", "t") if column in present else ("t",))]
    return f"coalesce({', '.join(parts)})"


def _geocode(session: Session, values: dict[str, str], step: Callable) -> dict:
    from address_match.db import cached_library
    from address_match.geocode import copy_frame, match_addresses

    started = time.perf_counter()
    run_script(session, _GEO_TABLE, {})
    present = load._columns(session)
    sql = _TO_GEOCODE.format(address=_address_sql(present), changed=load.changed_condition(values))
    pending = session.execute(text(sql)).all()
    bar = step("地理编码 geocode", len(pending))
    levels: dict[str, int] = {}
    library_s = None
    if pending:
        loading = time.perf_counter()
        library = cached_library(session)
        library_s = round(time.perf_counter() - loading, 3)
        results = match_addresses(library, [r[1] for r in pending], progress=bar.update)
        results.insert(0, "row_no", np.array([r[0] for r in pending], dtype=np.int64))
        copy_frame(session, "_imp_geo", results)
        session.execute(text("ANALYZE _imp_geo"))
        levels = {str(k): int(v) for k, v in results["level"].value_counts().sort_index().items()}
    bar.close()
    return _timed("geocode", len(pending), started, result={"geocoded": len(pending), "library_s": library_s,
                                                            **{f"level_{k}": v for k, v in levels.items()}})


def _grids(session: Session, version_id: int | None, step: Callable) -> dict:
    started = time.perf_counter()
    bar = step("网格分配 grids", None)
    if version_id is None:
        bar.close()
        return _timed("grids", 0, started, result="no active grid version")
    tested = assign_points(session, version_id=version_id, points_sql=_STAGED_POINTS)
    inside, near = session.execute(text("SELECT count(code), count(*) FILTER (WHERE near) FROM _ga_new")).one()
    bar.update(tested)
    bar.close()
    return _timed("grids", tested, started, result={"version_id": version_id, "rows_tested": tested,
                                                    "rows_inside": inside, "rows_outside": tested - inside,
                                                    "rows_near_boundary": near, "mode": "staged points"})


def _classify(session: Session, values: dict[str, str], step: Callable) -> dict:
    """Risk classes of the new and changed rows, from their merged status and industry and the stored
    entity's credit records (supervision.classify, same rules and inputs hash)."""
    from supervision.classify import LAYERS_SHOWING_CLASSES, STAGED_FACTS, bump_data_versions, classify_staged

    started = time.perf_counter()
    present = load._columns(session)
    merged = {c: f"coalesce(s.{c}, t.{c})" if c in present else f"t.{c}"
              for c in ("status", "category", "industry_code", "industry_label")}
    run_script(session, f"""
        DROP TABLE IF EXISTS _risk_in; DROP TABLE IF EXISTS _risk_out;
        CREATE TEMP TABLE _risk_in ({STAGED_FACTS}) ON COMMIT DROP;
        CREATE TEMP TABLE _risk_out (id bigint, risk_class text, risk_reasons jsonb, risk_rules_version text,
                                     risk_inputs_hash text) ON COMMIT DROP""", {})
    session.execute(text(f"""
        INSERT INTO _risk_in
        SELECT s.row_no, t.id, t.risk_class, t.risk_reasons, t.risk_rules_version, t.risk_inputs_hash,
               {', '.join(merged.values())}
        FROM _imp s LEFT JOIN enterprise t ON t.uscc = s.uscc
        WHERE t.id IS NULL OR {load.changed_condition(values)}"""))
    session.execute(text("ANALYZE _risk_in"))
    rows = session.execute(text("SELECT count(*) FROM _risk_in")).scalar_one()
    bar = step("风险分类 risk", rows)
    report = classify_staged(session, facts_table="_risk_in", results_table="_risk_out")
    if report.moved:
        bump_data_versions(session, LAYERS_SHOWING_CLASSES)
    bar.update(rows)
    bar.close()
    return _timed("risk", rows, started, result={"examined": report.examined, "written": report.written,
                                                 "changed": report.changed, "rules_version": report.rules_version,
                                                 "mode": "staged rows"})


def _merge(session: Session, *, gridded: bool) -> None:
    """Replace ``_imp`` by itself joined with the staged results (one pass, temporary: no WAL)."""
    extra = ["g.address_id AS geo_address_id", "g.building_id AS geo_building_id", "g.lon AS geo_lon",
              "g.lat AS geo_lat", "g.level AS geo_level", "g.score AS geo_score"]
    extra += ["r.risk_class", "r.risk_reasons", "r.risk_rules_version", "r.risk_inputs_hash"]
    joins = "LEFT JOIN _imp_geo g ON g.row_no = s.row_no LEFT JOIN _risk_out r ON r.id = s.row_no"
    if gridded:
        extra += ["n.code AS grid_code", "n.near AS near_boundary"]
        joins += " LEFT JOIN _ga_new n ON n.id = s.row_no"
    run_script(session, f"""
        CREATE TEMP TABLE _imp_staged ON COMMIT DROP AS SELECT s.*, {', '.join(extra)} FROM _imp s {joins};
        DROP TABLE _imp;
        ALTER TABLE _imp_staged RENAME TO _imp;
        ANALYZE _imp""", {})
