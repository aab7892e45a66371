"""Assignment of entities, buildings, POIs, addresses and complaints to the grids of a version.

Set-based, grid-outer (PERFORMANCE-NOTES): each grid scans the points it covers through the GiST
index. A point on a shared edge or corner is covered by several grids; the lowest code wins.
Points within ``NEAR_M`` metres of their grid's boundary are flagged ``near_boundary``: they
are the ones *not* covered by the grid shrunk inwards by that distance (a negative buffer on the
spheroid). Only rows whose grid or flag changes are written.

On activation with a previous version, only points that can have moved are re-tested: those in
grids whose code or geometry changed, those in no grid, and those covered by a changed grid.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

TABLES = ("enterprise", "building", "poi", "address_entry", "complaint")  # constants, never user input
FLAGGED = ("enterprise",)  # tables with a near_boundary column (the schema has it for entities only)
NEAR_M = 20.0
OUTSIDE_LISTED = 1000  # rows of "outside every grid" kept in a report, per table

_BASE_LEVEL = text("""
    SELECT level FROM grid WHERE version_id = :v
    ORDER BY array_position(ARRAY['grid', 'community', 'street'], level::text) LIMIT 1
""")
_GRIDS = """
    DROP TABLE IF EXISTS _ga_grids;
    CREATE TEMP TABLE _ga_grids AS
    SELECT code, geom, ST_Buffer(geom::geography, -{near})::geometry AS inner_geom
    FROM grid WHERE version_id = :v AND level = :level;
    CREATE INDEX ON _ga_grids USING gist (geom);
    CREATE INDEX ON _ga_grids USING gist ((geom::geography));
    ANALYZE _ga_grids;
"""
# Grids of the new version whose code is new or whose geometry differs from the previous version.
_CHANGED = """
    DROP TABLE IF EXISTS _ga_changed; DROP TABLE IF EXISTS _ga_same;
    CREATE TEMP TABLE _ga_same AS
    SELECT n.code FROM _ga_grids n JOIN grid o ON o.version_id = :prev AND o.level = :level AND o.code = n.code
    WHERE ST_Equals(o.geom, n.geom);
    CREATE TEMP TABLE _ga_changed AS
    SELECT n.* FROM _ga_grids n WHERE NOT EXISTS (SELECT 1 FROM _ga_same s WHERE s.code = n.code);
    ANALYZE _ga_same; ANALYZE _ga_changed;
"""
_FULL = """
    DROP TABLE IF EXISTS _ga_new;
    CREATE TEMP TABLE _ga_new AS
    SELECT DISTINCT ON (p.id) p.id, g.code, NOT ST_Covers(g.inner_geom, p.geom) AS near
    FROM _ga_grids g CROSS JOIN LATERAL (
        SELECT t.id, t.geom FROM {table} t WHERE ST_Covers(g.geom, t.geom) OFFSET 0) p
    ORDER BY p.id, g.code;
    CREATE UNIQUE INDEX ON _ga_new (id);
    ANALYZE _ga_new;
"""
_INCREMENTAL = """
    DROP TABLE IF EXISTS _ga_scope; DROP TABLE IF EXISTS _ga_new;
    CREATE TEMP TABLE _ga_scope AS
    SELECT t.id FROM {table} t
    WHERE t.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _ga_same s WHERE s.code = t.grid_code)
    UNION
    SELECT p.id FROM _ga_changed g CROSS JOIN LATERAL (
        SELECT t.id FROM {table} t WHERE ST_Covers(g.geom, t.geom) OFFSET 0) p;
    CREATE UNIQUE INDEX ON _ga_scope (id);
    ANALYZE _ga_scope;
    CREATE TEMP TABLE _ga_new AS
    SELECT s.id, g.code, NOT ST_Covers(g.inner_geom, t.geom) AS near
    FROM _ga_scope s JOIN {table} t ON t.id = s.id
    CROSS JOIN LATERAL (SELECT code, inner_geom FROM _ga_grids g WHERE ST_Covers(g.geom, t.geom)
                        ORDER BY code LIMIT 1) g;
    CREATE UNIQUE INDEX ON _ga_new (id);
    ANALYZE _ga_new;
"""
_SCOPE = {"full": ("{table} t", "t.geom IS NOT NULL AND"),
          "incremental": ("_ga_scope s JOIN {table} t ON t.id = s.id", "")}
_MOVES = """
    SELECT t.grid_code AS from_code, a.code AS to_code, count(*) AS n
    FROM {scope} LEFT JOIN _ga_new a ON a.id = t.id
    WHERE {cond} t.grid_code IS DISTINCT FROM a.code GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
"""
_WRITE_ASSIGNED = """
    UPDATE {table} t SET grid_code = a.code{set_near} FROM _ga_new a
    WHERE t.id = a.id AND (t.grid_code IS DISTINCT FROM a.code{or_near})
"""
# Outside every grid: no grid code; flagged if a grid is within NEAR_M metres all the same.
_WRITE_OUTSIDE = """
    UPDATE {table} t SET grid_code = NULL{set_near_o}
    FROM (SELECT t.id, EXISTS (SELECT 1 FROM _ga_grids g
                               WHERE ST_DWithin(g.geom::geography, t.geom::geography, {near})) AS near
          FROM {scope} WHERE {cond} NOT EXISTS (SELECT 1 FROM _ga_new a WHERE a.id = t.id)) o
    WHERE t.id = o.id AND (t.grid_code IS NOT NULL{or_near_o})
"""
_OUTSIDE = """
    SELECT t.id, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat FROM {table} t
    WHERE t.geom IS NOT NULL AND t.grid_code IS NULL ORDER BY t.id LIMIT :limit
"""
_OUTSIDE_COUNT = "SELECT count(*) FROM {table} t WHERE t.geom IS NOT NULL AND t.grid_code IS NULL"
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
    never dropped). Records the run in ``grid_assignment_run``. The caller commits.
    """
    level = session.execute(_BASE_LEVEL, {"v": version_id}).scalar()
    if level is None:
        from gridding.errors import GridError
        raise GridError(f"网格版本没有网格 / grid version {version_id} has no grids")
    _run(session, _GRIDS.format(near=NEAR_M), {"v": version_id, "level": level})
    mode = "full"
    if previous_version_id is not None:
        _run(session, _CHANGED, {"prev": previous_version_id, "level": level})
        mode = "incremental"
    report = AssignmentReport(version_id, mode)
    for table in tables:
        report.tables.append(_assign_table(session, table, mode))
    report.run_id = _record(session, report)
    return report


def _assign_table(session: Session, table: str, mode: str) -> TableReport:
    assert table in TABLES
    started = time.perf_counter()
    _run(session, (_FULL if mode == "full" else _INCREMENTAL).format(table=table), {})
    scope, cond = _SCOPE[mode]
    parts = {"table": table, "scope": scope.format(table=table), "cond": cond, "near": NEAR_M,
             "set_near": "", "or_near": "", "set_near_o": "", "or_near_o": ""}
    if table in FLAGGED:
        parts.update(set_near=", near_boundary = a.near", or_near=" OR t.near_boundary IS DISTINCT FROM a.near",
                     set_near_o=", near_boundary = o.near", or_near_o=" OR t.near_boundary IS DISTINCT FROM o.near")
    moves = [dict(r._mapping) for r in session.execute(text(_MOVES.format(**parts)))]
    written = session.execute(text(_WRITE_ASSIGNED.format(**parts))).rowcount
    written += session.execute(text(_WRITE_OUTSIDE.format(**parts))).rowcount
    report = TableReport(table, rows_changed=written, moves=moves)
    report.outside_count = session.execute(text(_OUTSIDE_COUNT.format(table=table))).scalar_one()
    report.outside = [dict(r._mapping) for r in session.execute(text(_OUTSIDE.format(table=table)),
                                                                {"limit": OUTSIDE_LISTED})]
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _run(session: Session, script: str, params: dict) -> None:
    for statement in filter(None, (s.strip() for s in script.split(";"))):
        session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})


def _record(session: Session, report: AssignmentReport) -> int:
    import json

    summary = report.to_dict()
    for t in summary["tables"]:
        t["outside"] = t["outside"][:100]
    return session.execute(_RECORD, {"v": report.version_id, "mode": report.mode, "changed": report.rows_changed,
                                     "outside": report.rows_outside,
                                     "report": json.dumps(summary, ensure_ascii=False, default=str)}).scalar_one()
