"""Assignment of entities, buildings, POIs, addresses and complaints to the grids of a version.

Set-based, grid-outer (PERFORMANCE-NOTES): each grid scans the points it covers through a GiST
index. A point on a shared edge or corner is covered by several grids; the lowest code wins.
Points within ``NEAR_M`` metres of their grid's boundary are flagged ``near_boundary``: they
are the ones *not* covered by the grid shrunk inwards by that distance (a negative buffer on the
spheroid). Only rows whose grid or flag changes are written.

The points to re-test are first copied, narrow and in spatial order, into a temporary table with
its own GiST index: probing the table's own index costs one random heap page per point (the
table is in load order, and bloated right after a bulk write), the copy costs one sequential scan.
A full run re-tests every point. On activation with a previous version only what can have moved
is re-tested: points in no grid or in a grid whose code or geometry changed, and points covered
by a changed grid.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridding.errors import GridError
from models.db import run_script

TABLES = ("enterprise", "building", "poi", "address_entry", "complaint")  # constants, never user input
FLAGGED = ("enterprise",)  # tables with a near_boundary column (the schema has it for entities only)
NEAR_M = 20.0
OUTSIDE_LISTED = 1000  # rows of "outside every grid" kept in a report, per table
BULK_SHARE = 0.2  # writing more than this share of a table: rebuild its grid_code index after the write

_SETTINGS = """
    SET LOCAL synchronous_commit = off;
    SET LOCAL jit = off;
    SET LOCAL work_mem = '256MB'
"""
_POINT_SETTINGS = "SET LOCAL jit = off; SET LOCAL work_mem = '256MB'"
_BASE_LEVEL = text("""
    SELECT level FROM grid WHERE version_id = :v
    ORDER BY array_position(ARRAY['grid', 'community', 'street'], level::text) LIMIT 1
""")
# reach: the grid grown by more than NEAR_M, a bounding-box filter for "a grid within NEAR_M".
_GRIDS = """
    DROP TABLE IF EXISTS _ga_grids;
    CREATE TEMP TABLE _ga_grids AS
    SELECT code, geom, ST_Buffer(geom::geography, -{near})::geometry AS inner_geom,
           ST_Buffer(geom::geography, {reach})::geometry AS reach
    FROM grid WHERE version_id = :v AND level = :level;
    CREATE INDEX ON _ga_grids USING gist (reach);
    ANALYZE _ga_grids
"""
# Grids of the new version whose code is new or whose geometry differs from the previous version.
_CHANGED = """
    DROP TABLE IF EXISTS _ga_changed; DROP TABLE IF EXISTS _ga_same;
    CREATE TEMP TABLE _ga_same AS
    SELECT n.code FROM _ga_grids n JOIN grid o ON o.version_id = :prev AND o.level = :level AND o.code = n.code
    WHERE ST_Equals(o.geom, n.geom);
    CREATE TEMP TABLE _ga_changed AS
    SELECT n.* FROM _ga_grids n WHERE NOT EXISTS (SELECT 1 FROM _ga_same s WHERE s.code = n.code);
    ANALYZE _ga_same; ANALYZE _ga_changed
"""
# The points to re-test with what is stored for them now, in spatial (Hilbert) order.
_POINTS = """
    DROP TABLE IF EXISTS _ga_pts;
    CREATE TEMP TABLE _ga_pts AS SELECT * FROM ({select}) s ORDER BY geom;
    CREATE INDEX ON _ga_pts USING gist (geom);
    ANALYZE _ga_pts
"""
_ALL = "SELECT t.id, t.geom, t.grid_code, {near} AS near_boundary FROM {table} t WHERE t.geom IS NOT NULL"
_MAYBE_MOVED = _ALL + """ AND NOT EXISTS (SELECT 1 FROM _ga_same s WHERE s.code = t.grid_code)
    UNION ALL
    SELECT DISTINCT ON (p.id) p.* FROM _ga_changed g CROSS JOIN LATERAL (
        SELECT t.id, t.geom, t.grid_code, {near} AS near_boundary FROM {table} t
        WHERE ST_Covers(g.geom, t.geom) AND EXISTS (SELECT 1 FROM _ga_same s WHERE s.code = t.grid_code) OFFSET 0) p
"""
# Covered points get the lowest covering code; the others none, flagged if a grid is within NEAR_M.
_ASSIGN = """
    DROP TABLE IF EXISTS _ga_new;
    CREATE TEMP TABLE _ga_new AS
    SELECT DISTINCT ON (p.id) p.id, g.code, NOT ST_Covers(g.inner_geom, p.geom) AS near, p.grid_code AS from_code,
           p.near_boundary AS from_near
    FROM _ga_grids g CROSS JOIN LATERAL (
        SELECT p.* FROM _ga_pts p WHERE ST_Covers(g.geom, p.geom) OFFSET 0) p
    ORDER BY p.id, g.code;
    ANALYZE _ga_new;
    INSERT INTO _ga_new
    SELECT p.id, NULL, EXISTS (SELECT 1 FROM _ga_grids g WHERE g.reach && p.geom
                                 AND ST_DWithin(g.geom::geography, p.geom::geography, {near})),
           p.grid_code, p.near_boundary
    FROM _ga_pts p WHERE NOT EXISTS (SELECT 1 FROM _ga_new a WHERE a.id = p.id);
    DROP TABLE IF EXISTS _ga_diff;
    CREATE TEMP TABLE _ga_diff AS
    SELECT id, from_code, code, near FROM _ga_new
    WHERE from_code IS DISTINCT FROM code OR from_near IS DISTINCT FROM near;
    ANALYZE _ga_diff
"""
_MOVES = text("""
    SELECT from_code, code AS to_code, count(*) AS n FROM _ga_diff
    WHERE from_code IS DISTINCT FROM code GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
""")
_WRITE = """
    UPDATE {table} t SET grid_code = d.code{set_near} FROM _ga_diff d
    WHERE t.id = d.id AND (t.grid_code IS DISTINCT FROM d.code{or_near})
"""
_OUTSIDE = """
    SELECT t.id, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat FROM {table} t
    WHERE t.geom IS NOT NULL AND t.grid_code IS NULL ORDER BY t.id LIMIT :limit
"""
_OUTSIDE_COUNT = "SELECT count(*) FROM {table} t WHERE t.geom IS NOT NULL AND t.grid_code IS NULL"
_GRID_CODE_INDEX = text("""
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = CAST(:table AS regclass) AND a.attname = 'grid_code' AND i.indnatts = 1
""")
_RECORD = text("""
    INSERT INTO grid_assignment_run (version_id, mode, finished_at, rows_changed, rows_outside, report)
    VALUES (:v, :mode, now(), :changed, :outside, CAST(:report AS jsonb)) RETURNING id
""")


@dataclass
class TableReport:
    table: str
    rows_changed: int = 0
    moves: list[dict] = field(default_factory=list)  # {from_code, to_code, n}; None means outside every grid
    outside_count: int = 0
    outside: list[dict] = field(default_factory=list)  # {id, lon, lat}, first OUTSIDE_LISTED
    seconds: float = 0.0
    rows_tested: int = 0


@dataclass
class AssignmentReport:
    version_id: int
    mode: str
    tables: list[TableReport] = field(default_factory=list)
    run_id: int | None = None

    @property
    def rows_changed(self) -> int:
        return sum(t.rows_changed for t in self.tables)

    @property
    def rows_outside(self) -> int:
        return sum(t.outside_count for t in self.tables)

    def to_dict(self) -> dict:
        return {"version_id": self.version_id, "mode": self.mode, "run_id": self.run_id,
                "rows_changed": self.rows_changed, "rows_outside": self.rows_outside,
                "tables": [asdict(t) for t in self.tables]}


def assign_version(session: Session, *, version_id: int, previous_version_id: int | None = None,
                   tables: tuple[str, ...] = TABLES) -> AssignmentReport:
    """Assign every point of ``tables`` to the finest level of version ``version_id``.

    With ``previous_version_id`` only what can have moved since that version is re-tested.
    Returns what moved from which grid to which, and what lies outside every grid (listed,
    never dropped). Records the run in ``grid_assignment_run``. The caller commits; until then
    the transaction runs with ``synchronous_commit`` and JIT off.
    """
    level = session.execute(_BASE_LEVEL, {"v": version_id}).scalar()
    if level is None:
        raise GridError(f"网格版本没有网格 / grid version {version_id} has no grids")
    run_script(session, _SETTINGS, {})
    run_script(session, _GRIDS.format(near=NEAR_M, reach=2 * NEAR_M), {"v": version_id, "level": level})
    mode = "full"
    if previous_version_id is not None:
        run_script(session, _CHANGED, {"prev": previous_version_id, "level": level})
        mode = "incremental"
    report = AssignmentReport(version_id, mode)
    for table in tables:
        report.tables.append(_assign_table(session, table, mode))
    report.run_id = _record(session, report)
    return report


def assign_points(session: Session, *, version_id: int, points_sql: str) -> int:
    """Grid the points that ``points_sql`` selects, without writing them anywhere; returns their number.

    ``points_sql`` is a SELECT of ``id, geom, grid_code, near_boundary`` (the last two as stored now,
    or NULL). Afterwards the temporary table ``_ga_new (id, code, near, from_code, from_near)`` holds
    each point's grid at the finest level of version ``version_id`` (lowest covering code on shared
    edges, NULL outside every grid; ``near``: within NEAR_M metres of a boundary), exactly as
    ``assign_version`` decides it, for the caller to read in the same transaction (imports grid their
    staged rows so). ``points_sql`` must come from code, never from input.
    """
    level = session.execute(_BASE_LEVEL, {"v": version_id}).scalar()
    if level is None:
        raise GridError(f"网格版本没有网格 / grid version {version_id} has no grids")
    run_script(session, _POINT_SETTINGS, {})
    run_script(session, _GRIDS.format(near=NEAR_M, reach=2 * NEAR_M), {"v": version_id, "level": level})
    run_script(session, _POINTS.format(select=points_sql), {})
    run_script(session, _ASSIGN.format(near=NEAR_M), {})
    return session.execute(text("SELECT count(*) FROM _ga_pts")).scalar_one()


def assign_rows(session: Session, *, version_id: int, table: str, ids_sql: str) -> int:
    """Grid the rows of ``table`` whose ids ``ids_sql`` selects (one column; from code, never input)
    as ``assign_version`` would, and write those whose grid or boundary flag changed (rows without a
    point are left alone); returns how many were written. Callers that just placed a few points
    (the geocoder) use it instead of re-testing the whole table."""
    assert table in TABLES
    points = _ALL.format(table=table, near="t.near_boundary" if table in FLAGGED else "false")
    assign_points(session, version_id=version_id, points_sql=f"{points} AND t.id IN ({ids_sql})")
    return _write(session, table, bulk=False)  # from the _ga_diff that assign_points left


def _assign_table(session: Session, table: str, mode: str) -> TableReport:
    assert table in TABLES
    started = time.perf_counter()
    select = (_ALL if mode == "full" else _MAYBE_MOVED).format(
        table=table, near="t.near_boundary" if table in FLAGGED else "false")
    run_script(session, _POINTS.format(select=select), {})
    run_script(session, _ASSIGN.format(near=NEAR_M), {})
    report = TableReport(table, moves=[dict(r._mapping) for r in session.execute(_MOVES)])
    report.rows_tested = session.execute(text("SELECT count(*) FROM _ga_pts")).scalar_one()
    report.rows_changed = _write(session, table, bulk=_is_bulk(session, table, tested=report.rows_tested))
    report.outside_count = session.execute(text(_OUTSIDE_COUNT.format(table=table))).scalar_one()
    report.outside = [dict(r._mapping) for r in session.execute(text(_OUTSIDE.format(table=table)),
                                                                {"limit": OUTSIDE_LISTED})]
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _is_bulk(session: Session, table: str, *, tested: int) -> bool:
    changes = session.execute(text("SELECT count(*) FROM _ga_diff")).scalar_one()
    rows = session.execute(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                           {"t": table}).scalar_one()
    return changes > 0 and changes >= BULK_SHARE * max(rows, tested)


def _write(session: Session, table: str, *, bulk: bool) -> int:
    """Write the rows whose grid or flag changed. For a bulk write (the first assignment, most
    rows) the table's grid_code index is dropped first and rebuilt once after: maintaining it row
    by row costs more than rebuilding it. Readers of ``table`` wait for the commit meanwhile."""
    parts = {"table": table, "set_near": "", "or_near": ""}
    if table in FLAGGED:
        parts.update(set_near=", near_boundary = d.near", or_near=" OR t.near_boundary IS DISTINCT FROM d.near")
    indexes = session.execute(_GRID_CODE_INDEX, {"table": table}).all() if bulk else []
    for index in indexes:
        session.execute(text(f"DROP INDEX {index.name}"))
    written = session.execute(text(_WRITE.format(**parts))).rowcount
    for index in indexes:
        session.execute(text(index.definition))
    return written


def _record(session: Session, report: AssignmentReport) -> int:
    summary = report.to_dict()
    for t in summary["tables"]:
        t["outside"] = t["outside"][:100]
    return session.execute(_RECORD, {"v": report.version_id, "mode": report.mode, "changed": report.rows_changed,
                                     "outside": report.rows_outside,
                                     "report": json.dumps(summary, ensure_ascii=False, default=str)}).scalar_one()
