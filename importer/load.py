"""Load validated rows: COPY into a temporary table, resolve references, upsert by natural key.

Upserts write a row only when something differs (``... IS DISTINCT FROM ...``), so a re-import
of the same file counts every row as unchanged and touches nothing. A blank cell never erases a
stored value (the SET keeps ``COALESCE(new, old)``). Every written row's id lands in the temporary
table ``_imp_affected`` (id, inserted) for the counts and for the post-import pipeline.
Identifiers in the SQL come from ``importer.kinds`` only, never from the file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from importer.kinds import Kind
from models.entities import FILLED_BY_TRIGGERS

COPY_CHUNK = 100_000
_SQL_TYPES = {
    "text": "text", "uscc": "text", "date": "date", "amount": "numeric", "amount_10k": "numeric", "int": "bigint",
    "year": "int", "lon": "float8", "lat": "float8", "status": "text", "industry_code": "text",
    "credit_kind": "text", "poi_kind": "text", "staff_role": "text", "grid_codes": "text[]", "bool": "boolean",
}
# Per table: the unique key ON CONFLICT can use (None: match by key columns, after a table lock).
_CONFLICT = {"enterprise": "uscc", "staff": "staff_no", "building_economy": "building_id, year"}
_HAS_BATCH_ID = {"enterprise", "credit_record"}
_RETURN_ID = {"building_economy": "building_id"}
# Insert expressions for NOT NULL columns with a default.
_INSERT_DEFAULTS = {"active": "COALESCE(s.active, true)", "grid_codes": "COALESCE(s.grid_codes, '{}')",
                    "near_boundary": "COALESCE(s.near_boundary, false)"}
_POINT = "ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326)"
# Enterprise columns derived in staging (importer.stage): geocoded rows take the library's answer as it
# is (an address that no longer matches clears the old address_id); a row with a point takes its grid.
_DERIVED_SETS = {
    "address_id": "CASE WHEN EXCLUDED.geocode_source = 'address_library' THEN EXCLUDED.address_id ELSE t.address_id END",
    "building_id": "CASE WHEN EXCLUDED.geocode_source = 'address_library' THEN EXCLUDED.building_id "
                   "ELSE t.building_id END",
    "grid_code": "CASE WHEN EXCLUDED.geom IS NOT NULL THEN EXCLUDED.grid_code ELSE t.grid_code END",
    "near_boundary": "CASE WHEN EXCLUDED.geom IS NOT NULL THEN EXCLUDED.near_boundary ELSE t.near_boundary END",
}
_NOT_COMPARED = ("import_batch_id", "risk_updated_at")  # written along, never a reason to write
BULK_SHARE = 0.2  # upserting at least this share of a table (and BULK_MIN_ROWS): rebuild its indexes after
BULK_MIN_ROWS = 10_000
_PLAIN_INDEXES = text("""
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i
    WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisunique
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1
""")


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def copy_rows(session: Session, kind: Kind, rows: pd.DataFrame, *, progress: Callable[[int], None] | None = None):
    """(Re)create ``_imp`` for ``kind`` and COPY ``rows`` (typed values, a ``row_no`` column) into it."""
    columns = list(rows.columns)
    types = {**{f.name: _SQL_TYPES[f.type] for f in kind.fields}, "row_no": "int", "footprint_hex": "text",
             "lon": "float8", "lat": "float8", "normalized_text": "text"}
    session.execute(text("DROP TABLE IF EXISTS _imp; DROP TABLE IF EXISTS _imp_affected"))
    session.execute(text(f"CREATE TEMP TABLE _imp ({', '.join(f'{c} {types[c]}' for c in columns)}) "
                         "ON COMMIT DROP"))
    session.execute(text("CREATE TEMP TABLE _imp_affected (id bigint, row_no int, inserted boolean) "
                         "ON COMMIT DROP"))
    cursor = session.connection().connection.cursor()
    with cursor.copy(f"COPY _imp ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows.iloc[start:start + COPY_CHUNK]
            copy.write(_csv(chunk))
            if progress:
                progress(len(chunk))
    session.execute(text("ANALYZE _imp"))


def _csv(chunk: pd.DataFrame) -> str:
    out = chunk.copy()
    for col in out.columns:
        if out[col].map(type).eq(list).any():
            out[col] = out[col].map(lambda v: "{" + ",".join(f'"{c}"' for c in v) + "}" if isinstance(v, list)
                                    else None)
    buffer = io.StringIO()
    out.to_csv(buffer, header=False, index=False)
    return buffer.getvalue()


def resolve_references(session: Session, kind: Kind) -> pd.DataFrame:
    """Rows whose reference is not in the database leave ``_imp``: (row_no, reason_zh, reason_en)."""
    found = []
    if kind.name == "credit-records":
        session.execute(text("ALTER TABLE _imp ADD COLUMN enterprise_id bigint"))
        session.execute(text("UPDATE _imp s SET enterprise_id = e.id FROM enterprise e WHERE e.uscc = s.uscc"))
        found.append(("enterprise_id IS NULL", "统一社会信用代码在主体库中不存在（请先导入该主体）",
                      "no enterprise with this USCC (import the entity first)"))
    if kind.name in ("economy", "addresses") and "building_id" in _columns(session):
        found.append(("building_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM building b WHERE b.id = s.building_id)",
                      "楼宇编号在建筑库中不存在", "no building with this id"))
    rejects = []
    for condition, zh, en in found:
        gone = session.execute(text(f"DELETE FROM _imp s WHERE {condition} RETURNING row_no")).scalars().all()
        rejects += [(int(r), zh, en) for r in gone]
    return pd.DataFrame(rejects, columns=["row_no", "reason_zh", "reason_en"])


def _columns(session: Session) -> set[str]:
    return set(session.execute(text("SELECT attname FROM pg_attribute WHERE attrelid = '_imp'::regclass "
                                    "AND attnum > 0 AND NOT attisdropped")).scalars())


def upsert(session: Session, kind: Kind, *, batch_id: int) -> LoadCounts:
    """Insert new rows, update changed ones, leave equal ones; counts per outcome."""
    values = _value_expressions(kind, _columns(session))
    if kind.table in _HAS_BATCH_ID:
        values["import_batch_id"] = ":batch"
    if _CONFLICT.get(kind.table):
        _upsert_on_conflict(session, kind.table, values, batch_id)
    else:
        _update_then_insert(session, kind, values, batch_id)
    inserted, updated = session.execute(text(
        "SELECT count(*) FILTER (WHERE inserted), count(DISTINCT coalesce(row_no, -id)) FILTER (WHERE NOT inserted) "
        "FROM _imp_affected")).one()
    total = session.execute(text("SELECT count(*) FROM _imp")).scalar_one()
    return LoadCounts(inserted, updated, total - inserted - updated)


def _value_expressions(kind: Kind, present: set[str]) -> dict[str, str]:
    """target column → expression over ``s`` (the _imp row)."""
    skip = {"lon", "lat", "wkt", "row_no", "footprint_hex"} | ({"uscc"} if kind.table == "credit_record" else set())
    names = [f.name for f in kind.fields] + ["normalized_text"]
    values = {c: _INSERT_DEFAULTS.get(c, f"s.{c}") for c in names if c in present and c not in skip}
    if "enterprise_id" in present:
        values["enterprise_id"] = "s.enterprise_id"
    point = f"CASE WHEN s.lon IS NULL THEN NULL ELSE {_POINT.format(lon='s.lon', lat='s.lat')} END"
    if kind.table == "enterprise" and "geo_level" in present:
        values.update(_staged_enterprise(present))
    elif "footprint_hex" in present:
        values["footprint"] = "ST_GeomFromEWKB(decode(s.footprint_hex, 'hex'))"
        values["geom"] = point
    elif "lon" in present:
        values["geom"] = point
        if kind.table == "enterprise":
            values["geocode_level"] = "CASE WHEN s.lon IS NULL THEN NULL ELSE 'source' END"
            values["geocode_source"] = "CASE WHEN s.lon IS NULL THEN NULL ELSE 'import' END"
    return values


def _staged_enterprise(present: set[str]) -> dict[str, str]:
    """Point, geocode and grid of an enterprise row whose staging (importer.stage) filled ``geo_*``
    (the library's answer for rows without coordinates) and, with an active grid version, ``grid_code``."""
    file_point = _POINT.format(lon="s.lon", lat="s.lat")
    values = {
        "geom": f"CASE WHEN s.lon IS NOT NULL THEN {file_point} WHEN s.geo_lon IS NOT NULL "
                f"THEN {_POINT.format(lon='s.geo_lon', lat='s.geo_lat')} END",
        "geocode_level": "CASE WHEN s.lon IS NOT NULL THEN 'source' ELSE s.geo_level END",
        "geocode_source": "CASE WHEN s.lon IS NOT NULL THEN 'import' WHEN s.geo_level IS NOT NULL "
                          "THEN 'address_library' END",
        "geocode_score": "s.geo_score", "address_id": "s.geo_address_id", "building_id": "s.geo_building_id"}
    if "grid_code" in present:
        values.update(grid_code="s.grid_code", near_boundary=_INSERT_DEFAULTS["near_boundary"])
    if "risk_class" in present:  # all four set together, only for rows whose class was (re)computed
        values.update({c: f"s.{c}" for c in ("risk_class", "risk_reasons", "risk_rules_version", "risk_inputs_hash")})
        values["risk_updated_at"] = "CASE WHEN s.risk_class IS NOT NULL THEN now() END"
    return values


def changed_condition(values: dict[str, str]) -> str:
    """SQL true when the ``_imp`` row ``s`` would change the stored row ``t`` (the upsert's own test)."""
    old, new = _compared(values, "{e}")
    return f"{old} IS DISTINCT FROM {new}"


def _compared(values: dict[str, str], new: str, sets: dict[str, str] | None = None) -> tuple[str, str]:
    cols = [c for c in values if c not in _NOT_COMPARED]
    old_side = ", ".join(f"t.{c}" for c in cols)
    new_side = ", ".join((sets or {}).get(c) or f"COALESCE({new.format(c=c, e=values[c])}, t.{c})" for c in cols)
    return f"ROW({old_side})", f"ROW({new_side})"


def _upsert_on_conflict(session: Session, table: str, values: dict[str, str], batch_id: int) -> None:
    special = {c: e for c, e in _DERIVED_SETS.items() if c in values} if table == "enterprise" else {}
    old, new = _compared(values, "EXCLUDED.{c}", special)
    sets = [f"{c} = {special.get(c) or f'COALESCE(EXCLUDED.{c}, t.{c})'}" for c in values if c != "import_batch_id"]
    if "import_batch_id" in values:
        sets.append("import_batch_id = EXCLUDED.import_batch_id")
    if table == "enterprise":
        sets.append("updated_at = now()")
    returned = _RETURN_ID.get(table, "id")
    session.execute(text(f"""
        WITH up AS (
            INSERT INTO {table} AS t ({', '.join(values)})
            SELECT {', '.join(values.values())} FROM _imp s
            ON CONFLICT ({_CONFLICT[table]}) DO UPDATE SET {', '.join(sets)}
            WHERE {old} IS DISTINCT FROM {new}
            RETURNING t.{returned} AS id, (t.xmax = 0) AS inserted)
        INSERT INTO _imp_affected SELECT id, NULL, inserted FROM up"""), {"batch": batch_id})


def _update_then_insert(session: Session, kind: Kind, values: dict[str, str], batch_id: int) -> None:
    session.execute(text(f"LOCK TABLE {kind.table} IN SHARE ROW EXCLUSIVE MODE"))
    key = [("enterprise_id" if k == "uscc" and kind.table == "credit_record" else k) for k in kind.key]
    match = " AND ".join(_equal(kind, k, f"t.{k}", f"s.{k}") for k in key)
    x_match = " AND ".join(_equal(kind, k, f"t.{k}", f"x.key_{k}") for k in key)
    old, new = _compared(values, "x.{c}")
    sets = [f"{c} = COALESCE(x.{c}, t.{c})" for c in values if c != "import_batch_id"]
    if "import_batch_id" in values:
        sets.append("import_batch_id = :batch")
    session.execute(text(f"""
        WITH x AS (SELECT s.row_no, {', '.join(f'{e} AS {c}' for c, e in values.items())},
                          {', '.join(f's.{k} AS key_{k}' for k in key)} FROM _imp s),
             up AS (UPDATE {kind.table} t SET {', '.join(sets)} FROM x
                    WHERE {x_match} AND {old} IS DISTINCT FROM {new}
                    RETURNING t.id, x.row_no)
        INSERT INTO _imp_affected SELECT id, row_no, false FROM up"""), {"batch": batch_id})
    session.execute(text(f"""
        WITH ins AS (INSERT INTO {kind.table} ({', '.join(values)})
                     SELECT {', '.join(values.values())} FROM _imp s
                     WHERE NOT EXISTS (SELECT 1 FROM {kind.table} t WHERE {match})
                     RETURNING id)
        INSERT INTO _imp_affected SELECT id, NULL, true FROM ins"""), {"batch": batch_id})


def _equal(kind: Kind, key: str, left: str, right: str) -> str:
    """Key equality that a hash join can use; optional (text) keys compare NULL as ''."""
    if key == "enterprise_id" or kind.field(key).required:
        return f"{left} = {right}"
    return f"coalesce({left}, '') = coalesce({right}, '')"


def drop_indexes_for_bulk(session: Session, kind: Kind) -> list[str]:
    """Before a bulk upsert (new rows at least ``BULK_SHARE`` of the table and ``BULK_MIN_ROWS``), drop the
    plain indexes of the table and of the tables its triggers fill, and return their definitions for
    ``restore_indexes``.

    Maintaining a GiST, GIN-trigram or B-tree index row by row costs more than building it once
    (PERFORMANCE-NOTES: load first, index after). Constraint indexes (primary key, natural key)
    stay: the upsert needs them. The drop is part of the batch's transaction, so a killed import
    gets them back with the rollback; readers of the table wait for the commit meanwhile.
    """
    rows = _new_rows(session, kind)
    stored = session.execute(text("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                             {"t": kind.table}).scalar_one()
    if rows < BULK_MIN_ROWS or rows < BULK_SHARE * stored:
        return []
    indexes = [index for table in (kind.table, *FILLED_BY_TRIGGERS.get(kind.table, ()))
               for index in session.execute(_PLAIN_INDEXES, {"table": table}).all()]
    for index in indexes:
        session.execute(text(f"DROP INDEX {index.name}"))
    return [index.definition for index in indexes]


def _new_rows(session: Session, kind: Kind) -> int:
    """Rows of ``_imp`` to be inserted (by the table's unique key); all of them for tables without one.
    A re-import of a big file that changes little is not a bulk load and keeps its indexes."""
    keys = [k.strip() for k in _CONFLICT.get(kind.table, "").split(",") if k.strip()]
    if not keys or not set(keys) <= _columns(session):
        return session.execute(text("SELECT count(*) FROM _imp")).scalar_one()
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    return session.execute(text(f"SELECT count(*) FROM _imp s WHERE NOT EXISTS "
                                f"(SELECT 1 FROM {kind.table} t WHERE {match})")).scalar_one()


def restore_indexes(session: Session, definitions: list[str]) -> None:
    """Build again the indexes ``drop_indexes_for_bulk`` dropped, with memory enough to sort in RAM."""
    if definitions:
        session.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
    for definition in definitions:
        session.execute(text(definition))


def affected_ids(session: Session) -> np.ndarray:
    return np.array(session.execute(text("SELECT DISTINCT id FROM _imp_affected ORDER BY id")).scalars().all(),
                    dtype=np.int64)
