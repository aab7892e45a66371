"""The demo district's invariants, checked in SQL on the small demo built by ``demo_district``."""

import pytest
from sqlalchemy import text

from app.demo.generate import digest, generate
from app.demo.load import COLUMNS
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
                              "AND (e.geom IS NULL OR NOT ST_Covers(z.geom, e.geom))")
    assert outside == 0


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
    truth = scalar(session, "SELECT count(*) FROM enterprise WHERE geocode_source <> 'demo-truth'")
    assert truth == 0


def test_some_restricted_venues_are_within_200_m_of_a_school(session):
    near = scalar(session, "SELECT count(DISTINCT e.id) FROM enterprise e JOIN poi p ON p.kind = 'school' "
                           "AND ST_DWithin(e.geom::geography, p.geom::geography, 200) WHERE e.category IS NOT NULL")
    assert near >= 5


def test_same_seed_gives_the_same_frames():
    tables = dict(COLUMNS)
    first = digest(generate(SMALL, seed=11, normalize=False), tables)
    assert first == digest(generate(SMALL, seed=11, normalize=False), tables)
    assert first != digest(generate(SMALL, seed=12, normalize=False), tables)
