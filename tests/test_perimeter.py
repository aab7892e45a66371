"""School perimeters: one POI and the whole-district report, checked against pyproj by brute force
on the real Nanjing Jiangning POIs (GCJ-02 in the file, converted to WGS84 on load)."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from sqlalchemy import text

from spatial import crs
from spatial.perimeter import perimeter, perimeter_report
from tests.conftest import shared_data
from tests.test_search import registrar_auth

RADIUS_M = 200.0
SCHOOL_NAME = re.compile(r"(小学|中学|学校|幼儿园|育儿园)$")
SCHOOL_CATEGORIES = {"教育培训 小学", "教育培训 初中", "教育培训 国际学校", "亲子 幼儿园", "亲子 公办幼儿园",
                     "亲子 国际幼儿园"}
# Dianping/Meituan categories → our restricted-trade categories.
RESTRICTED = {"休闲娱乐 网吧/电竞": "网吧", "休闲娱乐 量贩式KTV": "KTV", "休闲娱乐 KTV": "KTV",
              "休闲娱乐 迷你KTV": "KTV", "休闲娱乐 夜店": "酒吧", "休闲娱乐 清吧": "酒吧"}


def _load_jiangning():
    with open(shared_data("poi/nanjing_jiangning_dianping_meituan.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lon, lat = crs.gcj02_to_wgs84(np.array([float(r["lon"]) for r in rows]), np.array([float(r["lat"]) for r in rows]))
    schools, firms = [], []
    for r, x, y in zip(rows, lon, lat, strict=True):
        if SCHOOL_NAME.search(r["name"]) or r["category"] in SCHOOL_CATEGORIES:
            kind = "kindergarten" if "园" in r["name"] or "幼儿园" in r["category"] else "school"
            schools.append((kind, r["name"], float(x), float(y)))
        else:
            firms.append((r["name"], RESTRICTED.get(r["category"]), float(x), float(y)))
    return schools, firms


@pytest.fixture
def registrar_headers(session):
    return registrar_auth(session)


@pytest.fixture(scope="module")
def jiangning():
    return _load_jiangning()


@pytest.fixture
def jiangning_loaded(session, jiangning):
    """The Jiangning schools as POIs and every other POI as an operating enterprise (ids returned)."""
    schools, firms = jiangning
    poi_ids = session.execute(text("""
        INSERT INTO poi (kind, name, source, geom)
        SELECT k, n, 'test-jiangning', ST_SetSRID(ST_MakePoint(x, y), 4326)
        FROM unnest(CAST(:k AS text[]), CAST(:n AS text[]), CAST(:x AS float8[]), CAST(:y AS float8[])) AS t(k, n, x, y)
        RETURNING id"""), {"k": [s[0] for s in schools], "n": [s[1] for s in schools],
                          "x": [s[2] for s in schools], "y": [s[3] for s in schools]}).scalars().all()
    firm_ids = session.execute(text("""
        INSERT INTO enterprise (uscc, name, category, status, geom)
        SELECT 'JN' || lpad(i::text, 16, '0'), n, c, '存续', ST_SetSRID(ST_MakePoint(x, y), 4326)
        FROM unnest(CAST(:n AS text[]), CAST(:c AS text[]), CAST(:x AS float8[]), CAST(:y AS float8[]))
             WITH ORDINALITY AS t(n, c, x, y, i)
        RETURNING id"""), {"n": [f[0] for f in firms], "c": [f[1] for f in firms],
                          "x": [f[2] for f in firms], "y": [f[3] for f in firms]}).scalars().all()
    return poi_ids, firm_ids


def _brute_force(schools, firms, poi_ids, firm_ids, kind, radius_m):
    """For each school of ``kind``: {enterprise id: metres} of restricted firms within radius, by pyproj."""
    restricted = [(fid, f) for fid, f in zip(firm_ids, firms, strict=True) if f[1]]
    flon = np.array([f[2] for _, f in restricted])
    flat = np.array([f[3] for _, f in restricted])
    expected = {}
    for pid, s in zip(poi_ids, schools, strict=True):
        if s[0] != kind:
            continue
        dist = crs.geodesic_distance_m(np.full_like(flon, s[2]), np.full_like(flat, s[3]), flon, flat)
        expected[pid] = {restricted[i][0]: dist[i] for i in np.flatnonzero(dist <= radius_m)}
    return expected


def test_jiangning_has_schools_and_restricted_trades(jiangning):
    schools, firms = jiangning
    assert len(schools) >= 30
    assert sum(1 for f in firms if f[1] == "网吧") == 43


@pytest.mark.parametrize("kind, radius_m", [("school", RADIUS_M), ("kindergarten", RADIUS_M), ("school", 500.0)])
def test_report_matches_pyproj_brute_force_for_every_school(session, jiangning, jiangning_loaded, kind, radius_m):
    poi_ids, firm_ids = jiangning_loaded
    expected = _brute_force(*jiangning, poi_ids, firm_ids, kind, radius_m)
    report = {item["poi"]["id"]: item for item in perimeter_report(session, poi_kind=kind, radius_m=radius_m)}
    assert set(expected) <= set(report)
    assert sum(len(v) for v in expected.values()) > 0  # the check must test something
    for pid, want in expected.items():
        got = {e["id"]: e["distance_m"] for e in report[pid]["entities"]}
        assert set(got) == set(want), report[pid]["poi"]["name"]
        for eid, metres in got.items():
            assert metres == pytest.approx(want[eid], rel=1e-3)
        assert list(got.values()) == sorted(got.values())


def test_report_lists_schools_with_nothing_around(session, jiangning_loaded):
    report = perimeter_report(session, poi_kind="school", radius_m=1.0)
    mine = [item for item in report if item["poi"]["id"] in set(jiangning_loaded[0])]
    assert mine and all(item["entities"] == [] for item in mine)


def test_one_perimeter_equals_its_report_row(session, jiangning_loaded):
    report = perimeter_report(session, poi_kind="school", radius_m=RADIUS_M, categories=["网吧", "KTV"])
    busiest = max(report, key=lambda item: len(item["entities"]))
    one = perimeter(session, poi_id=busiest["poi"]["id"], radius_m=RADIUS_M, categories=["网吧", "KTV"])
    assert [e["id"] for e in one["entities"]] == [e["id"] for e in busiest["entities"]]
    assert all(e["category"] in ("网吧", "KTV") for e in one["entities"])


def test_closed_entities_do_not_count(session):
    poi_id = session.execute(text("""INSERT INTO poi (kind, name, geom)
        VALUES ('school', '测试小学', ST_SetSRID(ST_MakePoint(118.7, 31.8), 4326)) RETURNING id""")).scalar_one()
    lon, lat = crs.destination(118.7, 31.8, azimuth_deg=10, distance_m=100)
    for n, status in enumerate(["存续", "注销", "吊销"]):
        session.execute(text("""INSERT INTO enterprise (uscc, name, category, status, geom)
            VALUES (:u, '测试网吧', '网吧', :s, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"""),
            {"u": f"CLOSED{n:012d}", "s": status, "x": lon, "y": lat})
    found = perimeter(session, poi_id=poi_id, radius_m=200)
    assert [e["status"] for e in found["entities"]] == ["存续"]


def test_perimeter_api_and_report_api(client, session, jiangning_loaded, registrar_headers):
    poi_ids, _ = jiangning_loaded
    body = client.get("/api/v1/perimeter-report?poi_kind=school&radius_m=200&categories=网吧,KTV,酒吧",
                      headers=registrar_headers).get_json()
    assert body["poi_count"] >= len([p for p in poi_ids]) // 2
    row = next(p for p in body["pois"] if p["count"])
    one = client.get(f"/api/v1/pois/{row['poi']['id']}/perimeter?radius_m=200&categories=网吧,KTV,酒吧").get_json()
    assert [f["id"] for f in one["features"]] == [e["id"] for e in row["entities"]]
    assert one["centre"]["name"] == row["poi"]["name"]


@pytest.mark.parametrize("query", ["poi_kind=school&radius_m=-1", "poi_kind=school&radius_m=9999999",
                                   "poi_kind=casino", "poi_kind=school&categories=赌场",
                                   "poi_kind=school&radius_m=abc"])
def test_bad_report_input_is_400(client, registrar_headers, query):
    resp = client.get("/api/v1/perimeter-report?" + query, headers=registrar_headers)
    assert resp.status_code == 400 and resp.get_json()["message"]
