"""Radius search, registration checks and "where is this" against PostGIS, through the API.

Fixtures are placed in Nanjing Jiangning, far from the demo district, inside the rolled-back session.
"""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import bindparam, text

from app.auth import PUBLIC_ENTERPRISE_FIELDS
from spatial import crs
from spatial.search import (
    ENTERPRISE_FIELDS,
    STORED_PUBLIC_FIELDS,
    Disclosure,
    local_metric,
    radius_features,
    radius_query,
    within_radius,
)

CENTRE = (118.8000, 31.9300)
_ids = itertools.count(1)


def add_enterprise(session, lon, lat, *, category=None, status="存续", risk_class=None, name=None,
                   grid_code=None) -> int:
    n = next(_ids)
    return session.execute(text("""
        INSERT INTO enterprise (uscc, name, short_name, category, status, risk_class, grid_code, geom)
        VALUES (:uscc, :name, :short, :category, :status, :risk, :grid, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        RETURNING id"""), {"uscc": f"TST{n:015d}", "name": name or f"测试{category or '商贸'}有限公司{n}",
                           "short": None, "category": category, "status": status, "risk": risk_class,
                           "grid": grid_code, "lon": lon, "lat": lat}).scalar_one()


def add_poi(session, lon, lat, *, kind="school", name="测试小学") -> int:
    return session.execute(text("""
        INSERT INTO poi (kind, name, geom) VALUES (:kind, :name, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        RETURNING id"""), {"kind": kind, "name": name, "lon": lon, "lat": lat}).scalar_one()


def add_zone(session, kind, code, name, ring) -> int:
    wkt = "MULTIPOLYGON(((" + ",".join(f"{x} {y}" for x, y in ring) + ")))"
    return session.execute(text("""
        INSERT INTO zone (kind, code, name, geom) VALUES (:kind, :code, :name, ST_GeomFromText(:wkt, 4326))
        RETURNING id"""), {"kind": kind, "code": code, "name": name, "wkt": wkt}).scalar_one()


@pytest.fixture
def registrar_headers(session):
    return registrar_auth(session)


def registrar_auth(session) -> dict:
    """Bearer headers of a registrar where accounts exist (app.accounts); none where every caller is public."""
    try:
        from app import accounts
    except ImportError:
        return {}
    user = accounts.create_user(session, username=f"search-registrar-{next(_ids)}", password="Perimeter-2024-test!",
                                role="registrar", actor="tests")
    return {"Authorization": f"Bearer {accounts.create_token(session, user, name='tests')[1]}"}


def at(distance_m, azimuth_deg=37.0, centre=CENTRE):
    return crs.destination(*centre, azimuth_deg=azimuth_deg, distance_m=distance_m)


def test_point_exactly_on_the_circle_is_inside(session):
    inside = add_enterprise(session, *at(200.0), category="网吧")
    outside = add_enterprise(session, *at(200.05, azimuth_deg=200), category="网吧")
    ids = [r["id"] for r in within_radius(session, lon=CENTRE[0], lat=CENTRE[1], radius_m=200)]
    assert inside in ids and outside not in ids


def test_results_are_sorted_and_distances_agree_with_pyproj(session):
    placed = {add_enterprise(session, *at(d, azimuth_deg=a)): d
              for d, a in [(5, 0), (50, 90), (120.5, 180), (199, 270), (350, 10), (1999, 300)]}
    rows = within_radius(session, lon=CENTRE[0], lat=CENTRE[1], radius_m=2000)
    ours = [r for r in rows if r["id"] in placed]
    assert [r["id"] for r in ours] == sorted(placed, key=placed.get)
    for r in ours:
        geod_m = crs.geodesic_distance_m(*CENTRE, r["lon"], r["lat"])
        assert r["distance_m"] == pytest.approx(geod_m, rel=1e-3)
        assert r["distance_m"] == pytest.approx(placed[r["id"]], rel=1e-3)


def test_filters_by_category_and_risk_class(session):
    bar_c = add_enterprise(session, *at(30), category="酒吧", risk_class="C")
    add_enterprise(session, *at(40), category="酒吧", risk_class="A")
    add_enterprise(session, *at(50), category="网吧", risk_class="C")
    rows = within_radius(session, lon=CENTRE[0], lat=CENTRE[1], radius_m=100, categories=["酒吧"], risk_classes=["C"])
    assert [r["id"] for r in rows] == [bar_c]


def test_radius_api_returns_geojson_with_distances(client, session):
    near = add_enterprise(session, *at(80), category="KTV", risk_class="B")
    add_enterprise(session, *at(150), category="网吧")
    body = client.get(f"/api/v1/search/radius?lon={CENTRE[0]}&lat={CENTRE[1]}&radius_m=100&category=KTV").get_json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [near]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["distance_m"] == pytest.approx(80, rel=1e-3)
    assert "risk_class" not in feature["properties"]  # the public sees public fields only


def test_radius_api_pois_layer_and_poi_centre(client, session):
    school = add_poi(session, *CENTRE, name="江宁测试小学")
    kg = add_poi(session, *at(60), kind="kindergarten", name="测试幼儿园")
    bar = add_enterprise(session, *at(90), category="酒吧")
    body = client.get(f"/api/v1/search/radius?poi_id={school}&radius_m=100&layer=poi").get_json()
    assert [f["id"] for f in body["features"]] == [school, kg]
    body = client.get(f"/api/v1/search/radius?poi_id={school}&radius_m=100").get_json()
    assert body["centre"]["name"] == "江宁测试小学"
    assert bar in [f["id"] for f in body["features"]]


def test_radius_api_address_centre(client, session):
    address_id = session.execute(text("""
        INSERT INTO address_entry (standard_text, normalized_text, road, road_no, geom)
        VALUES ('江苏省南京市江宁区测试大道88号', '江苏省南京市江宁区测试大道88号', '测试大道', '88',
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"""),
        {"lon": CENTRE[0], "lat": CENTRE[1]}).scalar_one()
    shop = add_enterprise(session, *at(40), category="网吧")
    body = client.get("/api/v1/search/radius", query_string={"address": "测试大道88号", "radius_m": 50}).get_json()
    assert body["centre"]["address_id"] == address_id
    assert shop in [f["id"] for f in body["features"]]
    resp = client.get("/api/v1/search/radius", query_string={"address": "完全不存在的某某路999号", "radius_m": 50})
    assert resp.status_code == 400 and resp.get_json()["error"] == "address_not_matched"


@pytest.mark.parametrize("query, code", [
    ("lat=31.93&radius_m=200", "invalid_input"),                       # lon missing
    ("lon=abc&lat=31.93&radius_m=200", "invalid_input"),               # not a number
    ("lon=118.8&lat=31.93&radius_m=ten", "invalid_input"),
    ("lon=nan&lat=31.93&radius_m=200", "invalid_input"),
    ("lon=31.93&lat=118.8&radius_m=200", "invalid_input"),             # swapped
    ("lon=200&lat=31.93&radius_m=200", "invalid_input"),
    ("lon=118.8&lat=31.93&radius_m=-5", "radius_out_of_range"),
    ("lon=118.8&lat=31.93&radius_m=0", "radius_out_of_range"),
    ("lon=118.8&lat=31.93&radius_m=50000", "radius_out_of_range"),
    ("lon=118.8&lat=31.93&radius_m=1e308", "radius_out_of_range"),
    ("lon=118.8&lat=31.93&radius_m=200&category=桑拿", "unknown_category"),
    ("lon=118.8&lat=31.93&radius_m=200&category=' OR 1=1 --", "unknown_category"),
    ("lon=118.8&lat=31.93&radius_m=200&category=网吧');DROP TABLE enterprise;--", "unknown_category"),
    ("lon=118.8&lat=31.93&radius_m=200&risk_class=Z", "invalid_input"),
    ("lon=118.8&lat=31.93&radius_m=200&layer=secret", "invalid_input"),
    ("lon=118.8&lat=31.93&radius_m=200&limit=0", "invalid_input"),
    ("lon=118.8&lat=31.93&radius_m=200&poi_id=3", "invalid_input"),    # two centres
    ("radius_m=200", "invalid_input"),                                 # no centre
])
def test_bad_radius_input_is_a_clear_400(client, query, code):
    resp = client.get("/api/v1/search/radius?" + query)
    assert resp.status_code == 400, resp.get_json()
    body = resp.get_json()
    assert body["error"] == code and body["message"]


def test_swapped_coordinates_say_so(client):
    body = client.get("/api/v1/search/radius?lon=31.93&lat=118.8&radius_m=200").get_json()
    assert "swapped" in body["message"]


def test_unknown_poi_is_404(client):
    assert client.get("/api/v1/search/radius?poi_id=999999999&radius_m=200").status_code == 404
    assert client.get("/api/v1/pois/999999999/perimeter").status_code == 404


def _plan(session, **search) -> str:
    sql, params, arrays = radius_query(layer="enterprise", categories=None, risk_classes=None, operating_only=False,
                                       limit=500, **search)
    stmt = text("EXPLAIN " + sql).bindparams(*(bindparam(name) for name in arrays))
    return "\n".join(r[0] for r in session.execute(stmt, params))


def testradius_query_uses_the_geometry_index_and_geography_near_the_antimeridian(session):
    assert "idx_enterprise_geom" in _plan(session, lon=CENTRE[0], lat=CENTRE[1], radius_m=200)
    assert "ix_enterprise_geog" in _plan(session, lon=179.9999, lat=-16.5, radius_m=200)


@pytest.mark.parametrize("centre", [CENTRE, (122.35, 53.47), (110.35, 18.25)])  # Jiangning, Mohe, Sanya
def test_local_distances_agree_with_pyproj_to_the_millimetre_out_to_5_km(session, centre):
    placed = {add_enterprise(session, *at(d, azimuth_deg=a, centre=centre)): d
              for d, a in itertools.product([0.5, 199.999, 1000, 3333.3, 4999.9], [0, 45, 90, 135, 180, 250, 300])}
    rows = within_radius(session, lon=centre[0], lat=centre[1], radius_m=5000, limit=5000)
    ours = {r["id"]: r["distance_m"] for r in rows if r["id"] in placed}
    assert set(ours) == set(placed)
    for entity_id, distance_m in ours.items():
        assert distance_m == pytest.approx(placed[entity_id], abs=1e-3)


def test_local_metric_gives_way_to_geography_at_the_poles_and_antimeridian(session):
    assert local_metric(118.8, 31.93, 5000) is not None
    assert local_metric(118.8, 80.5, 200) is None and local_metric(-179.9999, -16.5, 200) is None
    east = add_enterprise(session, *crs.destination(179.9999, -16.5, azimuth_deg=90, distance_m=150))  # past 180
    assert east in [r["id"] for r in within_radius(session, lon=179.9999, lat=-16.5, radius_m=200)]
    polar = add_enterprise(session, *crs.destination(20.0, 85.0, azimuth_deg=10, distance_m=199.99))
    assert polar in [r["id"] for r in within_radius(session, lon=20.0, lat=85.0, radius_m=200)]
    public = Disclosure(public_fields=PUBLIC_ENTERPRISE_FIELDS)
    for (lon, lat), entity in (((179.9999, -16.5), east), ((20.0, 85.0), polar)):
        found = radius_features(session.connection(), lon=lon, lat=lat, radius_m=200, disclosure=public)
        assert entity in [f["id"] for f in json.loads(found.features_json)]


def test_registration_check_refuses_an_internet_cafe_near_a_school(client, session, registrar_headers):
    school = add_poi(session, *CENTRE, name="江宁测试中学")
    add_zone(session, "free_trade_zone", "TEST-FTZ", "测试自贸区",
             [(118.79, 31.92), (118.81, 31.92), (118.81, 31.94), (118.79, 31.94), (118.79, 31.92)])
    lon, lat = at(150)
    body = client.get(f"/api/v1/registration-checks?lon={lon}&lat={lat}&industry=网吧", headers=registrar_headers).get_json()
    assert body["decision"] == "refuse"
    assert body["rules"][0]["places"][0]["id"] == school
    assert body["rules"][0]["places"][0]["distance_m"] == pytest.approx(150, rel=1e-3)
    assert body["in_free_trade_zone"] is True
    by_code = client.get(f"/api/v1/registration-checks?lon={lon}&lat={lat}&industry=9013", headers=registrar_headers).get_json()
    assert by_code["decision"] == "refuse" and by_code["category"] == "网吧"


def test_registration_check_allows_other_trades_and_far_places(client, session, registrar_headers):
    add_poi(session, *CENTRE, name="江宁测试中学")
    lon, lat = at(150)
    body = client.get(f"/api/v1/registration-checks?lon={lon}&lat={lat}&industry=5212", headers=registrar_headers).get_json()
    assert body["decision"] == "allow" and body["rules"] == []
    assert body["nearest"]["school"][0]["distance_m"] == pytest.approx(150, rel=1e-3)
    far = at(260)
    body = client.get(f"/api/v1/registration-checks?lon={far[0]}&lat={far[1]}&industry=KTV", headers=registrar_headers).get_json()
    assert body["decision"] == "allow" and body["rules"][0]["places"] == []
    edge = at(200)
    body = client.get(f"/api/v1/registration-checks?lon={edge[0]}&lat={edge[1]}&industry=KTV", headers=registrar_headers).get_json()
    assert body["decision"] == "refuse"  # the boundary is inside


@pytest.mark.parametrize("query", ["lon=118.8&lat=31.93", "lon=118.8&lat=31.93&industry=", "lon=x&lat=1&industry=网吧",
                                   "lon=118.8&lat=31.93&industry=12345678"])
def test_bad_registration_input_is_400(client, registrar_headers, query):
    assert client.get("/api/v1/registration-checks?" + query, headers=registrar_headers).status_code == 400


def test_locate_gives_zones_grids_and_nearest_address(client, session):
    add_zone(session, "free_trade_zone", "TEST-FTZ2", "测试自贸片区",
             [(118.79, 31.92), (118.81, 31.92), (118.81, 31.94), (118.79, 31.94), (118.79, 31.92)])
    version = session.execute(text("INSERT INTO grid_version (name, status) VALUES ('t-locate', 'inactive') "
                                   "RETURNING id")).scalar_one()
    session.execute(text("UPDATE grid_version SET status = 'inactive' WHERE status = 'active'"))
    session.execute(text("UPDATE grid_version SET status = 'active' WHERE id = :v"), {"v": version})
    for level, code, x0, x1 in [("street", "S1", 118.79, 118.81), ("grid", "G1", 118.79, 118.80),
                                ("grid", "G2", 118.80, 118.81)]:
        session.execute(text("""INSERT INTO grid (version_id, code, name, level, geom)
            VALUES (:v, :code, :name, :level, ST_Multi(ST_MakeEnvelope(:x0, 31.92, :x1, 31.94, 4326)))"""),
            {"v": version, "code": code, "name": f"测试{code}", "level": level, "x0": x0, "x1": x1})
    session.execute(text("""INSERT INTO address_entry (standard_text, normalized_text, geom)
        VALUES ('测试路1号', '测试路1号', ST_SetSRID(ST_MakePoint(118.8001, 31.9301), 4326))"""))
    body = client.get(f"/api/v1/locate?lon={CENTRE[0]}&lat={CENTRE[1]}").get_json()
    assert body["street"]["code"] == "S1"
    assert body["grid"]["code"] == "G1"  # on the shared edge of G1 and G2: the lowest code
    assert body["in_free_trade_zone"] is True
    assert body["nearest_address"]["standard_text"] == "测试路1号"
    assert body["nearest_address"]["distance_m"] == pytest.approx(
        crs.geodesic_distance_m(*CENTRE, 118.8001, 31.9301), rel=1e-3)
    assert client.get("/api/v1/locate?lon=118.8").status_code == 400


# --- the public's stored features (enterprise_public_feature, migration 0013) ----------------------

def _stored(session, entity_id):
    return session.execute(text("SELECT xmin::text AS version, category, status, feature, ST_AsText(geom) AS wkt "
                                "FROM enterprise_public_feature WHERE id = :id"), {"id": entity_id}).mappings().first()


def test_public_search_reads_the_stored_features_with_the_public_fields():
    # Were the public fields to change, the stored features would no longer hold them: the public search
    # would fall back to building JSON per request. Change migration 0013's list (in a new migration) too.
    assert (*STORED_PUBLIC_FIELDS, "distance_m") == tuple(f for f in ENTERPRISE_FIELDS if f in PUBLIC_ENTERPRISE_FIELDS)


def test_triggers_keep_the_stored_features_current(session):
    entity = add_enterprise(session, *at(10), category="网吧", name='引号"反斜杠\\换行\n网吧')
    stored = _stored(session, entity)
    props = json.loads(stored["feature"] + ',"distance_m":0}}')["properties"]
    assert props["name"] == '引号"反斜杠\\换行\n网吧' and props["category"] == "网吧" and props["lon"] == at(10)[0]

    session.execute(text("UPDATE enterprise SET risk_class = 'D', risk_reasons = '[]' WHERE id = :id"), {"id": entity})
    assert _stored(session, entity)["version"] == stored["version"]  # risk columns do not touch it

    session.execute(text("UPDATE enterprise SET name = '新名称', status = '注销' WHERE id = :id"), {"id": entity})
    changed = _stored(session, entity)
    assert '"name":"新名称"' in changed["feature"] and changed["status"] == "注销"

    session.execute(text("UPDATE enterprise SET geom = NULL WHERE id = :id"), {"id": entity})
    assert _stored(session, entity) is None  # unlocated: not on the map
    session.execute(text("UPDATE enterprise SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326) WHERE id = :id"),
                    {"id": entity, "x": at(20)[0], "y": at(20)[1]})
    assert _stored(session, entity)["wkt"] == f"POINT({at(20)[0]} {at(20)[1]})"

    session.execute(text("DELETE FROM enterprise WHERE id = :id"), {"id": entity})
    assert _stored(session, entity) is None


def test_public_and_staff_searches_agree_on_rows_after_changes(session):
    kept, moved, closed = (add_enterprise(session, *at(d), category="KTV") for d in (30, 60, 90))
    session.execute(text("UPDATE enterprise SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326) WHERE id = :id"),
                    {"id": moved, "x": at(400)[0], "y": at(400)[1]})
    session.execute(text("UPDATE enterprise SET status = '注销' WHERE id = :id"), {"id": closed})
    args = dict(lon=CENTRE[0], lat=CENTRE[1], radius_m=150, categories=["KTV"], operating_only=True)
    public = radius_features(session.connection(), **args, disclosure=Disclosure(public_fields=PUBLIC_ENTERPRISE_FIELDS))
    staff = radius_features(session.connection(), **args)
    assert [f["id"] for f in json.loads(public.features_json)] == [f["id"] for f in json.loads(staff.features_json)] \
        == [kept]


def test_demo_build_leaves_every_located_entity_stored_with_index_and_key(session):
    # The demo loader drops the table's index and foreign key while it copies (app.demo.load) and puts them back.
    located, stored, stale = session.execute(text("""
        SELECT (SELECT count(*) FROM enterprise WHERE geom IS NOT NULL),
               (SELECT count(*) FROM enterprise_public_feature),
               (SELECT count(*) FROM enterprise e JOIN enterprise_public_feature s USING (id)
                WHERE s.feature <> enterprise_public_feature_text(e) OR NOT s.geom ~= e.geom)""")).one()
    assert located == stored > 0 and stale == 0
    assert session.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname = "
                                "'idx_enterprise_public_feature_geom'")).scalar_one() == 1
    assert session.execute(text("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                                "AND conrelid = 'enterprise_public_feature'::regclass")).scalar_one() == 1


def test_a_read_runs_on_a_connection_of_its_own_that_goes_back_to_the_pool_transactional(database_url, engine,
                                                                                          demo_district):
    from flask import g

    from app import create_app
    from app.db import get_reader, get_session

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})  # owns its sessions, as in production
    db = app.extensions["marketmap.db"]
    with engine.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise WHERE geom IS NOT NULL "
                                     "ORDER BY id LIMIT 1")).one()
    client = app.test_client()
    client.set_cookie("x", "1")  # not the anonymous fast path (app/radius_path.py): the view, with get_reader
    body = client.get(f"/api/v1/search/radius?lon={lon}&lat={lat}&radius_m=300").get_json()
    assert body["count"] >= 1 and body["features"][0]["properties"]["distance_m"] < 0.01
    assert db.engine.pool.checkedout() == 0
    with db.sessionmaker() as later:  # the pooled connection is back out of autocommit
        assert later.connection().connection.driver_connection.autocommit is False
    with app.test_request_context():
        reader, committed_only = get_reader()
        assert committed_only and reader is g.db_reader and reader.connection.driver_connection.autocommit
        get_session().execute(text("SELECT 1"))  # the request's session now has a transaction open
        assert get_reader() == (get_session(), False)
    assert db.engine.pool.checkedout() == 0
