"""One import batch from file to database: read → map → validate → load → pipeline, with its record.

Everything happens in the caller's transaction: the batch row, the upserted rows, the rejects
and the pipeline's writes commit together or not at all (a killed import leaves the database as
before). A dry run does the same work inside a savepoint it rolls back, and keeps only the batch
record (status ``dry_run``) with its counts and rejects. The caller commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from importer import coords, load
from importer.errors import ImportRejected
from importer.kinds import KINDS, Kind
from importer.mapping import header_scorer, load_mapping_file, resolve
from importer.pipeline import run_pipeline
from importer.readers import EXTRA, RawTable, read_file
from importer.reports import top_reasons
from importer.stage import stage_enterprises
from importer.validate import Problems, reject_duplicates, validate_frame

# Test-only hook (tests/test_import_kill.py): with MARKETMAP_IMPORT_TEST_PAUSE=<step> the import prints
# "paused after <step>" and sleeps after that step, so a test can SIGKILL it at a known point.
PAUSE_ENV = "MARKETMAP_IMPORT_TEST_PAUSE"


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(name: str, total: int | None) -> _NoBar:
    return _NoBar()


@dataclass
class ImportResult:
    batch_id: int
    status: str  # dry_run / committed
    counts: dict
    report: dict
    rejects: list[dict] = field(default_factory=list)  # row_no, values, reason_zh, reason_en


@dataclass
class _Prepared:
    rows: pd.DataFrame  # valid rows, typed, with row_no (and WGS84 lon/lat, footprint_hex)
    rejects: pd.DataFrame  # row_no, reason_zh, reason_en
    report: dict


def run_import(session: Session, *, kind: str, path: Path, filename: str | None = None, crs: str | None = None,
               sheet: str | None = None, mapping_path: Path | None = None, commit: bool = False,
               created_by: str | None = None, step: Callable = no_progress) -> ImportResult:
    """Import ``path`` as ``kind``; ``commit=False`` is a dry run. Raises ImportRejected for a file that
    cannot be read at all; every row of a readable file ends inserted, updated, unchanged or rejected."""
    spec = _kind(kind)
    session.execute(text("SET LOCAL statement_timeout = 0"))  # a batch is long by nature; it is one transaction
    steps: list[dict] = []
    overrides = load_mapping_file(mapping_path, spec) if mapping_path else {}
    with _step(steps, step, "读取 read", None) as s:
        raw = read_file(path, header_score=header_scorer(spec, overrides), sheet=sheet)
        s["rows"] = len(raw.frame)
    with _step(steps, step, "校验 validate", None) as s:
        prepared = _prepare(session, spec, raw, overrides, crs)
        s["rows"] = len(raw.frame)
    batch_id = _open_batch(session, spec, filename or path.name, _sha256(path), prepared.report.get("crs"),
                           created_by)
    if commit:
        counts, db_rejects, pipeline = _load(session, spec, prepared, batch_id, steps, step, with_pipeline=True)
    else:
        with session.begin_nested() as savepoint:
            counts, db_rejects, _ = _load(session, spec, prepared, batch_id, steps, step, with_pipeline=False)
            savepoint.rollback()
        pipeline = []
    rejects = _reject_records(raw, pd.concat([prepared.rejects, db_rejects], ignore_index=True))
    counts["rows_total"], counts["rows_rejected"] = len(raw.frame), len(rejects)
    _check_counts(counts)
    report = {**prepared.report, "steps": steps + pipeline, "top_reasons": top_reasons(r["reason_zh"] for r in rejects)}
    status = "committed" if commit else "dry_run"
    _close_batch(session, batch_id, status, counts, report, rejects)
    return ImportResult(batch_id, status, counts, report, rejects)


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ImportRejected(f"未知的导入类型 {kind}", f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    return KINDS[kind]


@contextmanager
def _step(steps: list[dict], step: Callable, name: str, total: int | None):
    record = {"name": name, "rows": 0}
    bar = step(name, total)
    started = time.perf_counter()
    yield record
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["rows_per_s"] = round(record["rows"] / record["seconds"], 1) if record["seconds"] and record["rows"] else None
    bar.update(record["rows"])
    bar.close()
    steps.append(record)
    _test_pause(name)


def _test_pause(name: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and name.endswith(wanted):
        print(f"paused after {wanted}", flush=True, file=sys.stdout)
        time.sleep(120)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- validation


def _prepare(session: Session, spec: Kind, raw: RawTable, overrides: dict, crs: str | None) -> _Prepared:
    headers = [c for c in raw.frame.columns if c != EXTRA]
    mapping = resolve(headers, spec, overrides)
    problems = Problems(len(raw.frame))
    missing = mapping.missing(spec) if len(raw.frame) else []
    if raw.geometry is not None:
        missing = [m for m in missing if m not in ("lon", "lat")]
    for name in missing:
        problems.add(np.ones(problems.n, dtype=bool), f"文件缺少必填列“{_label(spec, name)}”",
                     f"the file has no column for required field '{name}'")
    clean = validate_frame(raw.frame, mapping.columns, spec, problems,
                           known_grid_codes=_grid_codes(session) if "grid_codes" in mapping.columns else None)
    system = _geometry(session, spec, raw, clean, crs, problems)
    _derived(spec, clean, problems)
    reject_duplicates(clean, spec.key, raw.row_no, problems, mapping.columns)
    ok = ~problems.mask()
    rows = clean.loc[ok].drop(columns=[c for c in ("wkt",) if c in clean])
    rows.insert(0, "row_no", raw.row_no[ok])
    report = {"kind": spec.name, "file": raw.source, "crs": system, "mapping": mapping.columns,
              "ignored_columns": mapping.ignored, "duplicate_columns": mapping.duplicates,
              "missing_columns": missing}
    return _Prepared(rows.reset_index(drop=True), problems.frame(raw.row_no).drop(columns="position"), report)


def _derived(spec: Kind, clean: pd.DataFrame, problems: Problems) -> None:
    """Points the table cannot do without, and the address library's normalised text."""
    if spec.name in ("addresses", "pois"):
        no_point = clean["lon"].isna().to_numpy() if "lon" in clean else np.ones(problems.n, dtype=bool)
        problems.add(no_point, "缺少坐标（经度、纬度）", "no coordinates (longitude, latitude)")
    if spec.name == "addresses" and "standard_text" in clean:
        from address_match.normalize import normalize

        def normalized(text):
            try:
                return normalize(text) if text else None
            except ValueError:  # AddressError: too long; the length check already says so
                return None
        clean["normalized_text"] = clean["standard_text"].map(normalized)


def _label(spec: Kind, name: str) -> str:
    synonyms = spec.field(name).synonyms
    return synonyms[0] if synonyms else name


def _grid_codes(session: Session) -> set[str]:
    return set(session.execute(text("SELECT DISTINCT code FROM grid")).scalars())


def _geometry(session: Session, spec: Kind, raw: RawTable, clean: pd.DataFrame, crs: str | None,
              problems: Problems) -> str | None:
    """Converts points / footprints to WGS84 in ``clean``; returns the system the file declared."""
    if spec.geometry is None or problems.n == 0:
        return coords.check_system(crs, has_coordinates=False)
    geoms = raw.geometry
    if geoms is not None:
        system, projected = coords.system_of_geofile(raw.file_crs, coords.check_system(crs, has_coordinates=False))
        if projected is not None:
            geoms = geoms.to_crs(4326)
        geoms = geoms.to_numpy()
    else:
        has = "wkt" in clean or any(c in clean and clean[c].notna().any() for c in ("lon", "lat"))
        system = coords.check_system(crs, has_coordinates=bool(has))
        if spec.geometry == "polygon":
            import shapely

            geoms = shapely.from_wkt(clean["wkt"].to_numpy(dtype=object), on_invalid="ignore") \
                if "wkt" in clean else np.full(problems.n, None, dtype=object)
    area = coords.service_area(session)
    if spec.geometry == "polygon":
        _footprints(clean, geoms, system, area, problems)
    elif geoms is not None:
        _point_features(clean, geoms, system, area, problems)
    elif "lon" in clean or "lat" in clean:
        lon = clean["lon"] if "lon" in clean else pd.Series(np.nan, index=clean.index)
        lat = clean["lat"] if "lat" in clean else pd.Series(np.nan, index=clean.index)
        points = coords.points_from_columns(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float), system, area,
                                            problems)
        clean["lon"], clean["lat"] = points.lon, points.lat
    return system


def _point_features(clean: pd.DataFrame, geoms: np.ndarray, system: str, area, problems: Problems) -> None:
    import shapely

    is_point = np.array([g is not None and g.geom_type == "Point" and not g.is_empty for g in geoms], dtype=bool)
    missing = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    problems.add(~is_point & ~missing, "几何应为点（Point）", "geometry must be a point")
    xy = np.full((len(geoms), 2), np.nan)
    if is_point.any():
        xy[is_point] = shapely.get_coordinates(geoms[is_point])
    points = coords.points_from_columns(xy[:, 0], xy[:, 1], system, area, problems)
    clean["lon"], clean["lat"] = points.lon, points.lat


def _footprints(clean: pd.DataFrame, geoms, system: str, area, problems: Problems) -> None:
    import shapely

    polygons, inner = coords.polygons_to_wgs84(np.asarray(geoms, dtype=object), system, area, problems)
    have = np.array([p is not None for p in polygons], dtype=bool)
    hexes = np.full(len(polygons), None, dtype=object)
    if have.any():
        hexes[have] = shapely.to_wkb(shapely.set_srid(polygons[have], 4326), hex=True, include_srid=True)
    clean["footprint_hex"], clean["lon"], clean["lat"] = hexes, inner[:, 0], inner[:, 1]


# ---------------------------------------------------------------- loading and the record


def _load(session: Session, spec: Kind, prepared: _Prepared, batch_id: int, steps: list[dict], step: Callable,
          *, with_pipeline: bool) -> tuple[dict, pd.DataFrame, list[dict]]:
    rows = prepared.rows
    with _step(steps, step, "写入 copy", len(rows)) as s:
        load.copy_rows(session, spec, rows)
        db_rejects = load.resolve_references(session, spec)
        s["rows"] = len(rows)
    if with_pipeline and spec.name == "enterprises":
        steps += stage_enterprises(session, spec, step=step)
    with _step(steps, step, "合并 upsert", None) as s:
        dropped = load.drop_indexes_for_bulk(session, spec) if with_pipeline else []
        counts = load.upsert(session, spec, batch_id=batch_id)
        s["rows"] = len(rows) - len(db_rejects)
        s["indexes_rebuilt_after"] = len(dropped)
    pipeline = run_pipeline(session, spec.name, load.affected_ids(session), step=step) if with_pipeline else []
    if dropped:
        with _step(pipeline, step, "索引 indexes", len(dropped)) as s:
            load.restore_indexes(session, dropped)
            s["rows"] = counts.inserted + counts.updated
    return ({"rows_inserted": counts.inserted, "rows_updated": counts.updated, "rows_unchanged": counts.unchanged},
            db_rejects, pipeline)


def _reject_records(raw: RawTable, rejects: pd.DataFrame) -> list[dict]:
    if rejects.empty:
        return []
    position = pd.Series(np.arange(len(raw.row_no)), index=raw.row_no)
    wanted = position.loc[rejects["row_no"].to_numpy()].to_numpy()
    cells = raw.frame.iloc[wanted]
    geometry = raw.geometry.iloc[wanted].to_wkt().to_numpy() if raw.geometry is not None else None
    records = []
    for i, (row_no, zh, en) in enumerate(rejects[["row_no", "reason_zh", "reason_en"]].itertuples(index=False)):
        values = {k: v for k, v in cells.iloc[i].items() if k != EXTRA or v}
        if geometry is not None:
            values["geometry"] = geometry[i]
        records.append({"row_no": int(row_no), "values": values, "reason_zh": zh, "reason_en": en})
    return records


def _check_counts(counts: dict) -> None:
    accounted = sum(counts[k] for k in ("rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected"))
    if accounted != counts["rows_total"]:  # a bug, never a data problem: refuse to record a batch that loses rows
        raise RuntimeError(f"import counts do not add up: {counts}")


def _open_batch(session: Session, spec: Kind, filename: str, sha256: str, crs: str | None,
                created_by: str | None) -> int:
    return session.execute(text(
        "INSERT INTO import_batch (kind, filename, file_sha256, crs, status, created_by) "
        "VALUES (:kind, :filename, :sha, :crs, 'running', :by) RETURNING id"),
        {"kind": spec.name, "filename": filename, "sha": sha256, "crs": crs, "by": created_by}).scalar_one()


def _close_batch(session: Session, batch_id: int, status: str, counts: dict, report: dict,
                 rejects: list[dict]) -> None:
    session.execute(text(
        "UPDATE import_batch SET status = :status, rows_total = :rows_total, rows_inserted = :rows_inserted, "
        "rows_updated = :rows_updated, rows_unchanged = :rows_unchanged, rows_rejected = :rows_rejected, "
        "report = CAST(:report AS jsonb), finished_at = now() WHERE id = :id"),
        {"status": status, "id": batch_id, "report": json.dumps(report, ensure_ascii=False, default=str), **counts})
    if rejects:
        cursor = session.connection().connection.cursor()
        with cursor.copy("COPY import_reject (batch_id, row_no, values, reason_zh, reason_en) FROM STDIN") as copy:
            for r in rejects:
                copy.write_row((batch_id, r["row_no"], json.dumps(r["values"], ensure_ascii=False),
                                r["reason_zh"], r["reason_en"]))
