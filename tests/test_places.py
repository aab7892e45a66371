"""Place-name search (地名搜索): every named layer, fuzzy and ranked, with coordinates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from spatial import places
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


def test_two_characters_search_by_prefix_and_small_layers_by_substring(session, named_places):
    places = search_places(session, q="翠屏", limit=20)
    by_source = {p["source"]: p for p in places}
    assert by_source["road"]["name"] == "翠屏山大道" and by_source["road"]["score"] == pytest.approx(0.9)
    assert by_source["building"]["name"] == "翠屏山国际大厦"
    assert by_source["poi"]["name"] == "南京市翠屏山小学"  # a few hundred POIs: substring at any length
    assert [p["score"] for p in places] == sorted((p["score"] for p in places), reverse=True)


def test_one_character_query(session, named_places):
    assert "翠屏山大道" in [p["name"] for p in search_places(session, q="翠", limit=50)]


def test_enterprise_short_name_prefix(session, named_places):
    best = search_places(session, q="星空")[0]
    assert (best["source"], best["detail"], best["score"]) == ("enterprise", "星空网络", pytest.approx(0.9))


def test_exact_name_survives_the_per_source_cap(session, named_places):
    session.execute(text("""INSERT INTO building (name, use, footprint, geom)
        SELECT '翠屏' || n, 'office', ST_Buffer(ST_SetSRID(ST_MakePoint(118.81, 31.95), 4326), 0.0002, 4),
               ST_SetSRID(ST_MakePoint(118.81, 31.95), 4326) FROM generate_series(1, 40) n"""))
    session.execute(text("""INSERT INTO building (name, use, footprint, geom) VALUES ('翠屏', 'office',
        ST_Buffer(ST_SetSRID(ST_MakePoint(118.81, 31.95), 4326), 0.0002, 4), ST_SetSRID(ST_MakePoint(118.81, 31.95), 4326))"""))
    places = search_places(session, q="翠屏", limit=5)
    assert len(places) == 5
    assert (places[0]["name"], places[0]["score"]) == ("翠屏", 1.0)


def test_common_fragment_answers_capped_and_ranked(session, named_places):
    session.execute(text("""INSERT INTO enterprise (uscc, name, short_name, status, geom)
        SELECT 'PLACEFRAG' || lpad(n::text, 9, '0'), '南京翠屏商贸有限公司' || repeat('甲', n), NULL, '存续',
               ST_SetSRID(ST_MakePoint(118.81, 31.95), 4326) FROM generate_series(1, 60) n"""))
    places = search_places(session, q="翠屏商贸", limit=8)
    assert len(places) == 8 and all("翠屏商贸" in p["name"] for p in places)
    assert [(p["score"], -len(p["name"])) for p in places] == sorted(
        ((p["score"], -len(p["name"])) for p in places), reverse=True)


@pytest.mark.parametrize("index, condition", [
    ("ix_enterprise_name_prefix", "name ~>=~ '翠屏' AND name ~<~ '翠屏\U0010ffff' ORDER BY name USING ~<~"),
    ("ix_enterprise_short_name_prefix", "short_name ~>=~ '翠屏' AND short_name ~<~ '翠屏\U0010ffff'"),
    ("ix_enterprise_short_name_trgm", "short_name LIKE '%翠屏山%'"),
    ("ix_address_entry_normalized_text_prefix", "normalized_text ~>=~ '重庆' AND normalized_text ~<~ '重庆\U0010ffff'"),
])
def test_place_search_conditions_have_indexes(session, index, condition):
    table = "address_entry" if index.startswith("ix_address") else "enterprise"
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN SELECT id FROM {table} WHERE {condition} LIMIT 10")))
    assert index in plan


def test_leaves_the_planner_settings_of_the_transaction_as_they_were(session, named_places):
    search_places(session, q="翠屏山国际")
    assert session.execute(text("SELECT current_setting('enable_seqscan')")).scalar() == "on"
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL gin_fuzzy_search_limit = 7"))
    search_places(session, q="翠屏山国际")
    assert session.execute(text("SELECT current_setting('enable_seqscan')")).scalar() == "off"
    assert session.execute(text("SELECT current_setting('gin_fuzzy_search_limit')")).scalar() == "7"


def test_the_statement_runs_on_indexes_with_common_substrings_sampled(session, monkeypatch):
    settings = text("SELECT current_setting('enable_seqscan') AS seqscan, "
                    "current_setting('gin_fuzzy_search_limit') AS gin_cap")
    monkeypatch.setattr(places, "_statements", lambda: (settings, settings))
    assert search_places(session, q="翠屏山") == [{"seqscan": "off", "gin_cap": str(places.GIN_SAMPLE)}]
    assert session.execute(text("SELECT current_setting('gin_fuzzy_search_limit')")).scalar() == "0"
