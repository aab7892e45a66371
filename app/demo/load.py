"""Loading the generated frames into PostGIS with ``COPY`` (psycopg 3), in one transaction.

The previous demo data is truncated (never ``audit_log``, which refuses it); secondary indexes and
unique constraints of the big tables are dropped before the copy and rebuilt from their catalogue
definitions after it, since building an index once is far cheaper than updating it row by row, and
foreign keys are dropped and added back at the end (one join each instead of a check per row).
Rows are copied frozen in text format; the next table's buffer is formatted in a thread while the
server copies and indexes the current one. Any error rolls everything back, indexes and
constraints included.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely
from psycopg import sql
from sqlalchemy import Engine

from models.entities import FILLED_BY_TRIGGERS

SRID = 4326
COPY_CHUNK = 8 << 20
CHUNK_ROWS = 100_000  # rows formatted at a time
MAINTENANCE_WORK_MEM = "256MB"  # index builds (trigram GIN at 10^6); this transaction only
WORK_MEM = "64MB"  # the hash joins that check the foreign keys
DEMO_TABLES = ["zone", "grid_version", "grid", "road", "building", "address_entry", "poi", "enterprise",
               "credit_record", "building_economy", "staff", "complaint", "data_version"]
SPATIALLY_ORDERED = ("enterprise", "poi")  # searched by radius and served as point tiles
# Tables triggers fill while another is copied: their indexes and foreign keys are dropped and rebuilt
# with the copied table's, so the trigger's one INSERT … SELECT adds no per-row checks.
TRIGGER_FILLED = [t for tables in FILLED_BY_TRIGGERS.values() for t in tables]
BIG_TABLES = ["enterprise", "credit_record", "address_entry", "building", "building_economy", *TRIGGER_FILLED]
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


NULL = "\\N"
_HEX = np.frombuffer(bytes.hex(bytes(range(256))).upper().encode("ascii"), dtype=np.uint8).reshape(256, 2)
_POINT_HEADER = np.frombuffer(b"0101000020" + SRID.to_bytes(4, "little").hex().upper().encode("ascii"), dtype=np.uint8)
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _first_valid(values: pd.Series):
    valid = values.dropna()
    return valid.iloc[0] if len(valid) else None


def _hex_ewkb(geoms: np.ndarray) -> np.ndarray:
    """Hex EWKB (SRID 4326) of shapely geometries; None stays None. Plain 2-D points, the bulk of
    the demo's rows, are encoded with numpy (same bytes as shapely's writer, ~50× faster)."""
    present = ~shapely.is_missing(geoms)
    kinds = shapely.get_type_id(geoms[present])
    if len(kinds) and (kinds == 0).all() and not shapely.has_z(geoms[present]).any() \
            and not shapely.is_empty(geoms[present]).any():
        xy = shapely.get_coordinates(geoms[present]).astype("<f8")
        body = _HEX[xy.view(np.uint8).reshape(len(xy), 16)].reshape(len(xy), 32)
        rows = np.concatenate([np.broadcast_to(_POINT_HEADER, (len(xy), len(_POINT_HEADER))), body], axis=1)
        text = rows.tobytes().decode("ascii")
        width = rows.shape[1]
        out = np.full(len(geoms), None, dtype=object)
        out[present] = [text[i:i + width] for i in range(0, len(text), width)]
        return out
    return shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)


def _text_column(values: pd.Series, name: str) -> np.ndarray:
    """One column as ``COPY … (FORMAT text)`` field strings, not yet escaped; None where NULL.

    Empty strings are NULL too, as they were when the buffer was CSV."""
    kind = values.dtype.kind
    if kind == "O" and isinstance(_first_valid(values), shapely.Geometry):
        out = _hex_ewkb(values.to_numpy())
    elif name in DATE_COLUMNS or name in TIMESTAMP_COLUMNS:
        stamps = pd.to_datetime(values)
        unit = "D" if name in DATE_COLUMNS else "s"
        out = np.datetime_as_string(stamps.to_numpy().astype(f"datetime64[{unit}]"), unit=unit)
        if unit == "s":
            out = np.char.add(np.char.replace(out, "T", " "), "+08")
        out = out.astype(object)
        out[stamps.isna().to_numpy()] = None
    elif name in INT_COLUMNS or kind in "iu":
        ints = values.astype("Int64")
        out = np.full(len(ints), None, dtype=object)
        present = ints.notna().to_numpy()
        out[present] = list(map(str, ints[present].to_numpy(dtype=np.int64).tolist()))
    elif name == "grid_codes":
        out = values.map(lambda codes: "{" + ",".join(codes) + "}").to_numpy(dtype=object)
    elif kind in "fb":
        out = np.array(list(map(str, values.to_numpy().tolist())), dtype=object)
        out[values.isna().to_numpy()] = None
    else:
        out = values.to_numpy(dtype=object, na_value=None)
        if not all(type(v) is str or v is None for v in out):
            out = np.array([None if v is None or pd.isna(v) else str(v) for v in out], dtype=object)
    out = np.array(out, dtype=object)
    out[out == ""] = None
    return out


def _fields(column: np.ndarray, escape: bool) -> tuple[list[str], int]:
    """Field strings with NULLs as ``\\N`` (escaped first when asked); and how many are NULL."""
    missing = pd.isna(column)
    out = column.copy()
    if escape:
        out[~missing] = [v.translate(_ESCAPES) for v in out[~missing]]
    out[missing] = NULL
    return out.tolist(), int(missing.sum())


def to_text(frame: pd.DataFrame, columns: list[str]) -> str:
    """``COPY … (FORMAT text)`` rows of ``columns`` of ``frame``, geometry as hex EWKB."""
    return "".join(text_chunks(frame, columns))


def text_chunks(frame: pd.DataFrame, columns: list[str], rows: int = CHUNK_ROWS) -> list[str]:
    """:func:`to_text` in pieces of ``rows`` rows: a field is a Python string while its piece is
    built, so whole tables at a time held ~1.5 GB more at 10^6 enterprises."""
    return [_rows_text(frame.iloc[start:start + rows], columns) for start in range(0, len(frame), rows)]


def _rows_text(frame: pd.DataFrame, columns: list[str]) -> str:
    """Rows joined in one pass over Python strings (pandas ``to_csv`` was several times slower).
    Fields only need escaping when they hold a backslash, tab, newline or carriage return: the
    text's counts of those tell, and only then is every field escaped."""
    raw = [_text_column(frame[c], c) for c in columns]
    for escape in (False, True):
        fields, nulls = zip(*(_fields(col, escape) for col in raw), strict=True)
        text = "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"
        if escape or (text.count("\\") == sum(nulls) and "\r" not in text and text.count("\n") == len(frame)
                      and text.count("\t") == len(frame) * (len(columns) - 1)):
            return text
    raise AssertionError("unreachable")


def copy_frame(cursor, table: str, frame: pd.DataFrame, columns: list[str], *, freeze: bool = False,
               chunks: list[str] | None = None) -> int:
    """``COPY table (columns) FROM STDIN`` the rows of ``frame`` (or ``chunks``, already made by
    :func:`text_chunks`); returns the row count.

    ``freeze`` writes the rows frozen: only allowed when ``table`` was created or truncated in
    this transaction, and it spares the first reader (index builds, ANALYZE) setting hint bits on
    every page.
    """
    if chunks is None:
        chunks = text_chunks(frame, columns)
    options = "FORMAT text, FREEZE" if freeze else "FORMAT text"
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})") as copy:
        for text in chunks:
            for start in range(0, len(text), COPY_CHUNK):
                copy.write(text[start:start + COPY_CHUNK])
    return len(frame)


def _secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the indexes of ``tables`` that no constraint owns."""
    cursor.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) ORDER BY i.indexname",
        (tables,))
    return cursor.fetchall()


def _unique_constraints(cursor, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the UNIQUE constraints of ``tables`` that no foreign key
    references (those could not be dropped without it)."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid) ORDER BY 1, 2",
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


def _foreign_keys(cursor, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of every foreign key held by ``tables``, as ``pg_constraint`` has it
    (``pg_get_constraintdef`` keeps actions, deferrability and NOT VALID)."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2", (tables,))
    return cursor.fetchall()


def _tune(cursor) -> None:
    """Settings for this transaction only: memory for index builds and FK checks, and no wait for
    the WAL flush at commit (a crash before it loses the new demo data, never consistency)."""
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL synchronous_commit = off")


def load_frames(engine: Engine, frames: dict[str, pd.DataFrame], *,
                step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Replace the demo tables' contents with ``frames``; returns rows per table.

    Foreign keys of the copied tables are dropped before the copy and added back after it: adding
    one checks all rows in one join, where a live key checks each copied row on its own (a third
    of the load at 10^6). Names and definitions come from ``pg_constraint``, and the transaction
    keeps it all-or-nothing.
    """
    tick = step or (lambda _label: None)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            _tune(cur)
            _reset(cur)
            version_id = cur.fetchone()[0]
            indexes = _secondary_indexes(cur, BIG_TABLES)
            uniques = _unique_constraints(cur, BIG_TABLES)
            keys = _foreign_keys(cur, [*COLUMNS, *TRIGGER_FILLED])
            for table, name, _definition in keys + uniques:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
            for _table, name, _definition in indexes:
                cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            counts = _copy_all(cur, frames, version_id, tick, indexes, uniques)
            for table, name, definition in keys:
                cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))
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


def spatial_order(frame: pd.DataFrame, column: str = "geom") -> pd.DataFrame:
    """``frame``'s rows in Z-order (Morton) of their points, rows without one last.

    Rows near each other on the map then sit on the same table pages: a 200 m radius search or a
    z16 tile reads a few pages instead of one per row (PERFORMANCE-NOTES.md: 1.5–2× faster). Sorting
    before the copy costs a second at 10^6 rows, where ``CLUSTER`` afterwards took a minute.
    """
    geoms = frame[column].to_numpy()
    present = ~shapely.is_missing(geoms)
    key = np.full(len(frame), np.iinfo(np.uint64).max, dtype=np.uint64)
    if present.any():
        xy = shapely.get_coordinates(geoms[present])  # points: one coordinate per row
        low, high = xy.min(axis=0), xy.max(axis=0)
        cells = ((xy - low) / np.where(high > low, high - low, 1.0) * 65535).astype(np.uint64)
        key[present] = _spread_bits(cells[:, 0]) | (_spread_bits(cells[:, 1]) << np.uint64(1))
    return frame.iloc[np.argsort(key, kind="stable")]


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """The 16 low bits of ``v`` moved to the even bit positions (for interleaving two of them)."""
    v = v & np.uint64(0xFFFF)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _copy_all(cur, frames, version_id: int, tick, indexes, uniques) -> dict[str, int]:
    """Copy every table, then build its indexes and unique constraints, while a thread formats the
    next table's text (psycopg waits for the server without holding the GIL)."""
    jobs = []
    for table, columns in COLUMNS.items():
        frame = frames[table]
        if table in SPATIALLY_ORDERED:
            frame = spatial_order(frame)
        if table == "grid":
            frame = frame.assign(version_id=version_id)
            columns = ["version_id", *columns]
        jobs.append((table, frame, columns))
    counts = {"grid_version": 1}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-copy-text") as pool:
        pending = pool.submit(text_chunks, jobs[0][1], jobs[0][2])
        for i, (table, frame, columns) in enumerate(jobs):
            chunks = pending.result()
            if i + 1 < len(jobs):
                pending = pool.submit(text_chunks, jobs[i + 1][1], jobs[i + 1][2])
            counts[table] = copy_frame(cur, table, frame, columns, freeze=True, chunks=chunks)
            del chunks
            built = (table, *FILLED_BY_TRIGGERS.get(table, ()))
            for owner, name, definition in uniques:
                if owner in built:
                    cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.SQL(owner), sql.Identifier(name), sql.SQL(definition)))
            for owner, _name, definition in indexes:
                if owner in built:
                    cur.execute(definition)
            tick(table)
    counts["data_version"] = len(LAYERS)
    return counts


def _analyze(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute(f"ANALYZE {', '.join(DEMO_TABLES + TRIGGER_FILLED)}")
    finally:
        raw.driver_connection.autocommit = False
        raw.close()

