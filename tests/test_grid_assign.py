"""Assignment of points to grids: shared edges and corners, outside points, near-boundary flags,
and activation of a new version reporting what moved from which grid to which."""

from __future__ import annotations

from sqlalchemy import text

from gridding.assign import OUTSIDE_LISTED
from tests.fixtures import grid_support
from tests.fixtures.grid_support import add_points, grid_of, load_version

session = grid_support.session  # rolled back, independent of the demo district

# The fixture: street S01 = [100.00, 100.02] × [30.00, 30.01], four base grids meeting at (100.01, 30.005).
POINTS = {
    "inside_a": (100.005, 30.0025),       # middle of S01C01G01, > 20 m from every edge
    "edge_ab": (100.005, 30.005),         # shared edge S01C01G01 | S01C01G02
    "edge_ac": (100.01, 30.0025),         # shared edge S01C01G01 | S01C02G01
    "corner": (100.01, 30.005),           # corner of all four grids
    "near_d": (100.015, 30.00985),        # 16.7 m south of the street's north edge, inside S01C02G02
    "outside": (100.05, 30.05),           # in no grid
    "outside_near": (100.02015, 30.0075),  # 14 m east of the street, in no grid
}


def test_shared_edges_and_corners_go_to_the_lowest_code(session):
    ids = add_points(session, "enterprise", POINTS)
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    got = grid_of(session, "enterprise", ids)
    assert got["inside_a"] == ("S01C01G01", False)
    assert got["edge_ab"] == ("S01C01G01", True)
    assert got["edge_ac"] == ("S01C01G01", True)
    assert got["corner"] == ("S01C01G01", True)
    assert got["near_d"] == ("S01C02G02", True)


def test_points_outside_every_grid_are_listed_not_dropped(session):
    ids = add_points(session, "enterprise", POINTS)
    report = load_version(session, "grid_shared_edge", "t-v1", active=True)
    got = grid_of(session, "enterprise", ids)
    assert got["outside"] == (None, False)
    assert got["outside_near"] == (None, True)
    enterprise = next(t for t in report.tables if t.table == "enterprise")
    # The report lists the first OUTSIDE_LISTED by id (the demo district, outside these fixture
    # grids, is in the same table); the count covers all of them and the rows keep a NULL grid.
    outside_ids = set(session.execute(text("SELECT id FROM enterprise WHERE grid_code IS NULL AND geom IS NOT NULL"))
                      .scalars())
    assert {ids["outside"], ids["outside_near"]} <= outside_ids
    assert enterprise.outside_count == len(outside_ids)
    assert [row["id"] for row in enterprise.outside] == sorted(outside_ids)[:OUTSIDE_LISTED]


def test_activation_moves_entities_and_reports_it(session):
    ids = add_points(session, "enterprise", {**POINTS, "north_d": (100.015, 30.008), "south_d": (100.015, 30.006)})
    add_points(session, "poi", {"school": (100.015, 30.008)})
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    report = load_version(session, "grid_moved_edge", "t-v2", active=True)
    assert report.mode == "incremental"
    got = grid_of(session, "enterprise", ids)
    assert got["north_d"][0] == "S01C02G03"
    assert got["south_d"][0] == "S01C02G01"
    assert got["inside_a"] == ("S01C01G01", False)  # unchanged grid keeps its entity
    moves = {(m["from_code"], m["to_code"]): m["n"] for m in report.tables[0].moves}
    assert moves[("S01C02G02", "S01C02G03")] >= 1
    assert moves[("S01C02G02", "S01C02G01")] >= 1
    poi = next(t for t in report.tables if t.table == "poi")
    assert {(m["from_code"], m["to_code"]) for m in poi.moves} == {("S01C02G02", "S01C02G03")}


def test_full_and_incremental_assignment_agree(session):
    from sqlalchemy import text

    from gridding.assign import assign_version

    ids = add_points(session, "enterprise", {**POINTS, "north_d": (100.015, 30.008), "edge_new": (100.015, 30.007)})
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    load_version(session, "grid_moved_edge", "t-v2", active=True)
    incremental = grid_of(session, "enterprise", ids)
    version_id = session.execute(text("SELECT id FROM grid_version WHERE name = 't-v2'")).scalar_one()
    again = assign_version(session, version_id=version_id, tables=("enterprise",))
    assert grid_of(session, "enterprise", ids) == incremental
    assert again.rows_changed == 0
    assert incremental["edge_new"][0] == "S01C02G01"  # on the moved edge: lowest code


def test_bulk_write_rebuilds_the_grid_code_index(session, monkeypatch):
    from sqlalchemy import text

    from gridding import assign

    monkeypatch.setattr(assign, "BULK_SHARE", 0.0)  # every write counts as bulk: drop, write, recreate
    ids = add_points(session, "enterprise", POINTS)
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    got = grid_of(session, "enterprise", ids)
    assert got["corner"] == ("S01C01G01", True) and got["outside_near"] == (None, True)
    indexes = session.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'enterprise'")).scalars().all()
    assert "ix_enterprise_grid_code" in indexes


def test_incremental_activation_retests_only_what_can_have_moved(session):
    from sqlalchemy import text

    ids = add_points(session, "enterprise", {**POINTS, "north_d": (100.015, 30.008)})
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    # A stale code in an unchanged grid is left alone by an incremental run (it is not re-tested) ...
    session.execute(text("UPDATE enterprise SET grid_code = 'S01C01G02' WHERE id = :id"), {"id": ids["inside_a"]})
    report = load_version(session, "grid_moved_edge", "t-v2", active=True)
    got = grid_of(session, "enterprise", ids)
    assert got["inside_a"][0] == "S01C01G02" and got["north_d"][0] == "S01C02G03"
    enterprise = report.tables[0]
    assert 0 < enterprise.rows_tested < session.execute(
        text("SELECT count(*) FROM enterprise WHERE geom IS NOT NULL")).scalar_one()
    # ... and put right by a full one.
    from gridding.assign import assign_version

    version_id = session.execute(text("SELECT id FROM grid_version WHERE name = 't-v2'")).scalar_one()
    assign_version(session, version_id=version_id, tables=("enterprise",))
    assert grid_of(session, "enterprise", ids)["inside_a"] == ("S01C01G01", False)
