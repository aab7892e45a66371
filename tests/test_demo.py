"""The demo district's invariants, checked in SQL on the small demo built by ``demo_district``."""

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from app.demo.addresses import normalize_all, normalize_entries
from app.demo.generate import digest, generate
from app.demo.load import COLUMNS, to_text
from app.demo.uscc import is_valid_uscc

SMALL = 1500


def scalar(session, sql: str, **params):
    return session.execute(text(sql), params).scalar_one()


def test_build_reports_counts_per_table(demo_district):
    assert demo_district["enterprise"] == 3000
    assert demo_district["grid_version"] == 1
    for table in ("zone", "grid", "road", "building", "address_entry", "poi", "credit_record",
                  "building_economy", "staff", "complaint", "data_version"):
        assert demo_district[table] > 0, table


def test_every_uscc_is_valid_and_unique(session):
    codes = session.execute(text("SELECT uscc FROM enterprise")).scalars().all()
    assert len(codes) == len(set(codes)) == 3000
    assert all(is_valid_uscc(c, check_org_code=True) for c in codes)


def test_every_enterprise_lies_in_the_district(session):
    outside = scalar(session, "SELECT count(*) FROM enterprise e, zone z WHERE z.code = '500112' "
                              "AND e.geom IS NOT NULL AND NOT ST_Covers(z.geom, e.geom)")
    assert outside == 0
    # without a point: only those the build's geocoder could not place, and it says so
    assert scalar(session, "SELECT count(*) FROM enterprise WHERE geom IS NULL "
                           "AND geocode_level IS DISTINCT FROM 'none'") == 0


def test_the_build_geocodes_and_grids_what_was_registered_without_a_point(session):
    """About UNLOCATED_SHARE of the entities come with their address text only; the build places them
    through the address library, and every entity has the grid and near-boundary flag that the grid
    assignment gives."""
    from gridding.assign import assign_version
    from gridding.versions import active_version

    rows = session.execute(text("SELECT geocode_level, count(*), count(geom), count(grid_code), count(building_id) "
                                "FROM enterprise WHERE geocode_source = 'address_library' GROUP BY 1")).all()
    by_level = {level: (n, points, grids, buildings) for level, n, points, grids, buildings in rows}
    total = sum(n for n, *_ in by_level.values())
    assert 0.03 * 3000 < total < 0.07 * 3000
    placed = [by_level.get(level, (0, 0, 0, 0)) for level in ("exact", "partial")]
    assert sum(n for n, *_ in placed) >= 0.95 * total
    assert all(n == points == grids == buildings for n, points, grids, buildings in placed)
    assert by_level.get("none", (0, 0, 0, 0))[1:] == (0, 0, 0)
    report = assign_version(session, version_id=active_version(session)["id"], tables=("enterprise",))
    assert report.rows_changed == 0


def test_buildings_and_addresses_point_at_each_other(session):
    assert scalar(session, "SELECT count(*) FROM building b WHERE NOT EXISTS "
                           "(SELECT 1 FROM address_entry a WHERE a.building_id = b.id)") == 0
    assert scalar(session, "SELECT count(*) FROM address_entry WHERE building_id IS NULL") == 0


def test_grids_nest_in_their_parents(session):
    sql = ("SELECT count(*) FROM grid c JOIN grid p ON p.code = c.parent_code AND p.version_id = c.version_id "
           "WHERE NOT ST_Covers(ST_Buffer(p.geom, 1e-7), c.geom)")
    assert scalar(session, sql) == 0
    orphans = "SELECT count(*) FROM grid c WHERE c.level <> 'street' AND NOT EXISTS " \
              "(SELECT 1 FROM grid p WHERE p.code = c.parent_code)"
    assert scalar(session, orphans) == 0


@pytest.mark.parametrize("level", ["street", "community", "grid"])
def test_a_level_neither_overlaps_nor_leaves_gaps(session, level):
    overlap_m2 = scalar(session, "SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) "
                                 "FROM grid a JOIN grid b ON a.level = b.level AND a.id < b.id "
                                 "AND ST_Intersects(a.geom, b.geom) WHERE a.level = :level", level=level)
    assert overlap_m2 < 1.0
    gap = scalar(session, "SELECT ST_Area(ST_Difference(z.geom, (SELECT ST_Union(geom) FROM grid "
                          "WHERE level = :level))::geography) FROM zone z WHERE z.code = '500112'", level=level)
    assert gap < 1000.0  # m² of a 1,450 km² district: floating-point slivers only


def test_one_active_grid_version_and_base_grid_codes(session):
    assert session.execute(text("SELECT name FROM grid_version WHERE status = 'active'")).scalars().all() == ["demo-v1"]
    bad = scalar(session, "SELECT count(*) FROM grid WHERE level = 'grid' AND code NOT LIKE parent_code || '-__'")
    assert bad == 0


def test_registered_addresses_mostly_differ_from_the_library(session):
    share = scalar(session, "SELECT avg((e.registered_address <> a.standard_text)::int) FROM enterprise e "
                            "JOIN address_entry a ON a.id = e.address_id")
    assert share > 0.8
    sources = session.execute(text("SELECT DISTINCT geocode_source FROM enterprise")).scalars().all()
    assert sorted(sources) == ["address_library", "demo-truth"]


def test_some_restricted_venues_are_within_200_m_of_a_school(session):
    near = scalar(session, "SELECT count(DISTINCT e.id) FROM enterprise e JOIN poi p ON p.kind = 'school' "
                           "AND ST_DWithin(e.geom::geography, p.geom::geography, 200) WHERE e.category IS NOT NULL")
    assert near >= 5


def test_same_seed_gives_the_same_frames():
    tables = dict(COLUMNS)
    first = digest(generate(SMALL, seed=11, normalize=False), tables)
    assert first == digest(generate(SMALL, seed=11, normalize=False), tables)
    assert first != digest(generate(SMALL, seed=12, normalize=False), tables)


def test_normalising_doors_and_suffixes_apart_matches_whole_texts():
    """The generator normalises each building's door text and each 单元/层/室 suffix once; the
    joined result must equal normalising every whole text."""
    entries = generate(12000, seed=11)["address_entry"]
    assert (entries.kind == "fine").sum() > 0
    whole = normalize_all(entries.standard_text)
    assert entries.normalized_text.tolist() == whole.tolist()


def test_the_normalisation_shortcut_falls_back_when_a_join_changes_the_text():
    doors = pd.Series(["重庆市渝北区金开大道88号", "重庆市渝北区金开大道9"])
    suffixes = pd.Series(["12层", "楼3层"])  # 9楼 → 9层: a rule that crosses the join
    out = normalize_entries(doors, suffixes, check_every=1)
    assert out.tolist() == normalize_all(doors + suffixes).tolist()


def test_copy_text_escapes_nulls_and_special_characters():
    frame = pd.DataFrame({"a": ["x\ty", None, "c\\N", "", "line\nbreak"], "b": [1, 2, 3, 4, 5],
                          "c": [1.5, np.nan, 2.0, 3.25, 0.1]})
    assert to_text(frame, ["a", "b", "c"]) == (
        "x\\ty\t1\t1.5\n\\N\t2\t\\N\nc\\\\N\t3\t2.0\n\\N\t4\t3.25\nline\\nbreak\t5\t0.1\n")
    assert to_text(frame.iloc[[1, 3]], ["a", "b"]) == "\\N\t2\n\\N\t4\n"


def test_copy_text_writes_points_as_shapely_does():
    points = shapely.points(np.array([[106.5, 29.6], [106.61234567891, 29.7], [0.0, -1e-9]]))
    geoms = pd.Series([points[0], None, points[1], points[2]], dtype=object)
    lines = to_text(pd.DataFrame({"geom": geoms}), ["geom"]).splitlines()
    expected = shapely.to_wkb(shapely.set_srid(points, 4326), hex=True, include_srid=True)
    assert lines == [expected[0], "\\N", expected[1], expected[2]]


def test_credit_records_are_dated_before_the_reference_date(session):
    """Records lie in the three years before the demo's reference date (2026-11-01), never in the future."""
    low, high = session.execute(text("SELECT min(decided_on), max(decided_on) FROM credit_record")).one()
    assert str(low) >= "2023-11-01" and str(high) <= "2026-11-01"
    lifted_early = session.execute(text("SELECT count(*) FROM credit_record WHERE removed_on < decided_on")).scalar()
    assert lifted_early == 0


def test_enterprises_near_each_other_share_table_pages(session):
    """The loader writes enterprises in Z-order of their points, so a radius search reads few pages."""
    rows, pages = session.execute(text(
        "SELECT sum(n), sum(p) FROM (SELECT c.id, count(*) AS n, count(DISTINCT (e.ctid::text::point)[0]) AS p "
        "FROM (SELECT id, geom FROM enterprise ORDER BY id LIMIT 40) c "
        "JOIN enterprise e ON ST_DWithin(e.geom::geography, c.geom::geography, 200) GROUP BY c.id) s")).one()
    assert rows >= 200  # the sampled circles hold enough rows to tell
    assert pages / rows < 0.35, (rows, pages)


def test_spatial_order_puts_neighbours_together_and_missing_points_last():
    from app.demo.load import spatial_order

    points = [shapely.Point(0, 0), shapely.Point(10, 10), None, shapely.Point(0.1, 0.1), shapely.Point(10, 9.9)]
    ordered = spatial_order(pd.DataFrame({"geom": points, "k": range(5)}))
    assert ordered["k"].tolist() == [0, 3, 4, 1, 2]
