"""Loading the generated frames into PostGIS with ``COPY`` (psycopg 3), in one transaction.

The previous demo data is truncated (never ``audit_log``, which refuses it); secondary indexes of
the big tables are dropped before the copy and rebuilt from their ``pg_indexes`` definitions after
it, since building an index once is far cheaper than updating it row by row. Any error rolls
everything back, indexes included.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import shapely
from sqlalchemy import Engine

SRID = 4326
COPY_CHUNK = 8 << 20
DEMO_TABLES = ["zone", "grid_version", "grid", "road", "building", "address_entry", "poi", "enterprise",
               "credit_record", "building_economy", "staff", "complaint", "data_version"]
BIG_TABLES = ["enterprise", "credit_record", "address_entry", "building", "building_economy"]
LAYERS = ["enterprises", "grids", "buildings", "pois", "roads", "streets"]
GRID_VERSION = ("demo-v1", "演示网格（渝北区，生成数据）")
COLUMNS = {
    "zone": ["kind", "code", "name", "geom"],
    "grid": ["code", "name", "level", "parent_code", "area_m2", "geom"],
    "road": ["name", "kind", "street_code", "geom"],
    "building": ["id", "name", "address_text", "use", "floors", "height_m", "floor_area_m2", "street_code",
                 "community_code", "grid_code", "footprint", "geom"],
    "address_entry": ["id", "standard_text", "normalized_text", "district", "town", "community", "road",
                      "road_no", "poi_name", "building_no", "unit_no", "floor_no", "room_no", "street_code",
                      "community_code", "grid_code", "building_id", "geom"],
    "poi": ["id", "kind", "name", "address_text", "source", "source_id", "street_code", "grid_code", "geom"],
    "enterprise": ["id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label",
                   "category", "status", "established_on", "registered_capital_10k", "legal_rep",
                   "registered_address", "address_id", "building_id", "grid_code", "geom", "geocode_level",
                   "geocode_source", "geocode_score"],
    "credit_record": ["id", "enterprise_id", "kind", "decided_on", "removed_on", "amount_yuan", "department",
                      "severity", "document_no", "description", "is_public"],
    "building_economy": ["building_id", "year", "output_value_10k", "employment", "tax_10k", "entity_count"],
    "staff": ["id", "staff_no", "name", "department", "role", "phone", "grid_codes"],
    "complaint": ["id", "hotline", "received_at", "category", "text", "address_text", "complainant_name",
                  "complainant_phone", "enterprise_id", "address_id", "grid_code", "assignee_staff_id", "status",
                  "due_on", "resolved_at", "geom"],
}
DATE_COLUMNS = {"established_on", "decided_on", "removed_on", "due_on"}
TIMESTAMP_COLUMNS = {"received_at", "resolved_at"}
INT_COLUMNS = {"address_id", "building_id", "enterprise_id", "assignee_staff_id", "floors", "employment",
               "entity_count", "year", "id"}


def _csv_column(values: pd.Series, name: str) -> pd.Series:
    """One column formatted for ``COPY … (FORMAT csv)``; None/NaN become empty (NULL)."""
    if len(values) and isinstance(values.dropna().iloc[0] if values.notna().any() else None, shapely.Geometry):
        return pd.Series(shapely.to_wkb(shapely.set_srid(values.to_numpy(), SRID), hex=True, include_srid=True),
                         index=values.index)
    if name in DATE_COLUMNS:
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    if name in TIMESTAMP_COLUMNS:
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d %H:%M:%S+08")
    if name in INT_COLUMNS:
        return values.astype("Int64")
    if name == "grid_codes":
        return values.map(lambda codes: "{" + ",".join(codes) + "}")
    return values


def to_csv(frame: pd.DataFrame, columns: list[str]) -> str:
    """CSV text (no header) of ``columns`` of ``frame``, geometry as hex EWKB."""
    out = pd.DataFrame({c: _csv_column(frame[c], c) for c in columns})
    return out.to_csv(index=False, header=False)


def copy_frame(cursor, table: str, frame: pd.DataFrame, columns: list[str]) -> int:
    """``COPY table (columns) FROM STDIN`` the rows of ``frame``; returns the row count."""
    text = to_csv(frame, columns)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(text), COPY_CHUNK):
            copy.write(text[start:start + COPY_CHUNK])
    return len(frame)


def _secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) ORDER BY i.indexname",
        (tables,))
    return cursor.fetchall()


def _reset(cursor) -> None:
    cursor.execute(f"TRUNCATE {', '.join(DEMO_TABLES)} RESTART IDENTITY CASCADE")
    cursor.execute("INSERT INTO grid_version (name, status, note, activated_at) VALUES (%s, 'active', %s, now()) "
                   "RETURNING id", GRID_VERSION)


def _finish(cursor) -> None:
    for table in COLUMNS:
        if "id" in COLUMNS[table] or table in ("zone", "grid", "road"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT max(id) FROM {table}), 1))")
    cursor.executemany("INSERT INTO data_version (layer, version) VALUES (%s, 1)", [(layer,) for layer in LAYERS])


def load_frames(engine: Engine, frames: dict[str, pd.DataFrame], *,
                step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Replace the demo tables' contents with ``frames``; returns rows per table."""
    tick = step or (lambda _label: None)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            _reset(cur)
            version_id = cur.fetchone()[0]
            indexes = _secondary_indexes(cur, BIG_TABLES)
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            counts = _copy_all(cur, frames, version_id, tick)
            for _name, definition in indexes:
                cur.execute(definition)
            tick("indexes")
            _finish(cur)
        conn.commit()
    except BaseException:
        raw.driver_connection.rollback()
        raise
    finally:
        raw.close()
    _analyze(engine)
    tick("analyze")
    return counts


def _copy_all(cur, frames, version_id: int, tick) -> dict[str, int]:
    counts = {"grid_version": 1}
    for table, columns in COLUMNS.items():
        frame = frames[table]
        if table == "grid":
            frame = frame.assign(version_id=version_id)
            columns = ["version_id", *columns]
        counts[table] = copy_frame(cur, table, frame, columns)
        tick(table)
    counts["data_version"] = len(LAYERS)
    return counts


def _analyze(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute(f"ANALYZE {', '.join(DEMO_TABLES)}")
    finally:
        raw.driver_connection.autocommit = False
        raw.close()

