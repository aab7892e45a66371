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
_INSERT_DEFAULTS = {"active": "COALESCE(s.active, true)", "grid_codes": "COALESCE(s.grid_codes, '{}')"}


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
    point = "CASE WHEN s.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END"
    if "footprint_hex" in present:
        values["footprint"] = "ST_GeomFromEWKB(decode(s.footprint_hex, 'hex'))"
        values["geom"] = point
    elif "lon" in present:
        values["geom"] = point
        if kind.table == "enterprise":
            values["geocode_level"] = "CASE WHEN s.lon IS NULL THEN NULL ELSE 'source' END"
            values["geocode_source"] = "CASE WHEN s.lon IS NULL THEN NULL ELSE 'import' END"
    return values


def _compared(values: dict[str, str], new: str) -> tuple[str, str]:
    cols = [c for c in values if c != "import_batch_id"]
    old_side = ", ".join(f"t.{c}" for c in cols)
    new_side = ", ".join(f"COALESCE({new.format(c=c)}, t.{c})" for c in cols)
    return f"ROW({old_side})", f"ROW({new_side})"


def _upsert_on_conflict(session: Session, table: str, values: dict[str, str], batch_id: int) -> None:
    old, new = _compared(values, "EXCLUDED.{c}")
    sets = [f"{c} = COALESCE(EXCLUDED.{c}, t.{c})" for c in values if c != "import_batch_id"]
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


def affected_ids(session: Session) -> np.ndarray:
    return np.array(session.execute(text("SELECT DISTINCT id FROM _imp_affected ORDER BY id")).scalars().all(),
                    dtype=np.int64)
