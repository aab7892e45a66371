"""Place-name search (地名搜索): every named layer, fuzzy and ranked, with coordinates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from spatial.places import search_places


@pytest.fixture
def named_places(session):
    p = {"lon": 118.81, "lat": 31.95}
    session.execute(text("""INSERT INTO road (name, kind, geom) VALUES
        ('翠屏山大道', '大道', ST_GeomFromText('LINESTRING(118.80 31.95, 118.82 31.95)', 4326))"""))
    session.execute(text("""INSERT INTO building (name, use, footprint, geom) VALUES
        ('翠屏山国际大厦', 'office', ST_Buffer(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 0.0002, 4),
         ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""), p)
    session.execute(text("""INSERT INTO poi (kind, name, geom) VALUES
        ('school', '南京市翠屏山小学', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""), p)
    session.execute(text("""INSERT INTO enterprise (uscc, name, short_name, status, geom) VALUES
        ('PLACE0000000000001', '南京翠屏山星空网络科技有限公司', '星空网络', '存续',
         ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""), p)


def test_finds_each_layer_with_coordinates(session, named_places):
    places = search_places(session, q="翠屏山", limit=20)
    sources = {p["source"] for p in places}
    assert {"road", "building", "poi", "enterprise"} <= sources
    road = next(p for p in places if p["source"] == "road")
    assert road["lon"] == pytest.approx(118.81) and road["lat"] == pytest.approx(31.95)


def test_exact_name_ranks_first(session, named_places):
    assert search_places(session, q="翠屏山大道")[0]["name"] == "翠屏山大道"
    assert search_places(session, q="翠屏山国际大厦")[0]["source"] == "building"


def test_enterprise_by_short_name(session, named_places):
    best = search_places(session, q="星空网络")[0]
    assert best["source"] == "enterprise" and best["detail"] == "星空网络"


def test_tolerates_a_typo(session, named_places):
    names = [p["name"] for p in search_places(session, q="翠平山大道")]
    assert "翠屏山大道" in names


def test_api_and_bad_input(client, session, named_places):
    body = client.get("/api/v1/places", query_string={"q": "翠屏山小学"}).get_json()
    assert body["places"][0]["name"] == "南京市翠屏山小学"
    for bad in ({"q": ""}, {"q": "x" * 100}, {}, {"q": "翠屏山", "limit": 0}, {"q": "a\x00b"}):
        resp = client.get("/api/v1/places", query_string=bad)
        assert resp.status_code == 400, bad
    for nasty in ("%", "_", "\\", "' OR 1=1 --", "翠屏山'; DROP TABLE road; --"):
        assert client.get("/api/v1/places", query_string={"q": nasty}).status_code == 200
    assert search_places(session, q="翠屏山大道")  # the road table is still there
