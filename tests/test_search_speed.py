"""The fast radius path: GeoJSON serialised by PostgreSQL, fields projected per viewer in SQL, and the
server settings that keep per-request overhead down. It must answer exactly what the Python path did.

Fixtures are placed in Nanjing Jiangning, far from the demo district, inside the rolled-back session.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import text

from app import accounts
from app.auth import PUBLIC_ENTERPRISE_FIELDS, Viewer, enterprise_view
from app.wsgi_server import access_log
from spatial.search import Disclosure, radius_features, within_radius
from tests.test_search import CENTRE, add_enterprise, add_poi, at

ARGS = {"lon": CENTRE[0], "lat": CENTRE[1], "radius_m": 300}


@pytest.fixture
def two_grids(session):
    """Three entities near the centre: two in grid TG-A, one in TG-B, with risk classes (non-public)."""
    return {"a_near": add_enterprise(session, *at(20), category="网吧", risk_class="C", grid_code="TG-A"),
            "b_mid": add_enterprise(session, *at(90, azimuth_deg=120), risk_class="B", grid_code="TG-B"),
            "a_far": add_enterprise(session, *at(250, azimuth_deg=300), risk_class="D", grid_code="TG-A")}


def signed_in(app, session, role, grids=()):
    user = accounts.create_user(session, username=f"speed_{role}", password="speed password 1", role=role,
                                grid_codes=grids, actor="test")
    session.flush()
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["uid"], sess["csrf"] = user.id, "speed-csrf"
    return c, Viewer(role=role, username=user.username, grid_codes=frozenset(grids), user_id=user.id)


def _expected(session, viewer):
    """What the Python path gave: within_radius rows through enterprise_view, distances to the centimetre."""
    rows = within_radius(session, lon=ARGS["lon"], lat=ARGS["lat"], radius_m=ARGS["radius_m"])
    out = []
    for row in rows:
        row = {**row, "established_on": row["established_on"] and row["established_on"].isoformat(),
               "distance_m": round(row["distance_m"], 2)}
        out.append(enterprise_view(row, viewer))
    return out


@pytest.mark.parametrize("role, grids", [("public", ()), ("registrar", ()), ("supervisor", ("TG-A",)),
                                         ("official", ()), ("admin", ())])
def test_sql_projection_matches_enterprise_view_for_every_role(app, client, session, two_grids, role, grids):
    if role == "public":
        c, viewer = app.test_client(), Viewer()
    else:
        c, viewer = signed_in(app, session, role, grids)
    body = c.get("/api/v1/search/radius", query_string=ARGS).get_json()
    expected = _expected(session, viewer)
    assert body["count"] == len(body["features"]) == len(expected)
    assert [f["id"] for f in body["features"]] == [e["id"] for e in expected]
    for feature, want in zip(body["features"], expected, strict=True):
        assert feature["properties"] == pytest.approx(want)
        assert feature["geometry"] == {"type": "Point", "coordinates": [want["lon"], want["lat"]]}


def test_supervisor_sees_risk_in_own_grid_only_and_reads_are_audited(app, client, session, two_grids):
    c, _ = signed_in(app, session, "supervisor", ("TG-A",))
    body = c.get("/api/v1/search/radius", query_string=ARGS).get_json()
    props = {f["id"]: f["properties"] for f in body["features"]}
    assert props[two_grids["a_near"]]["risk_class"] == "C" and props[two_grids["a_far"]]["risk_class"] == "D"
    assert "risk_class" not in props[two_grids["b_mid"]]
    detail = session.execute(text("SELECT detail FROM audit_log WHERE action = 'read_nonpublic' "
                                  "ORDER BY id DESC LIMIT 1")).scalar_one()
    usccs = session.execute(text("SELECT id, uscc FROM enterprise WHERE id = ANY(:ids)"),
                            {"ids": list(two_grids.values())}).all()
    uscc = dict(usccs)
    assert detail["objects"] == ["grid:TG-A", f"enterprise:{uscc[two_grids['a_near']]}",
                                 f"enterprise:{uscc[two_grids['a_far']]}"]


def test_public_callers_leave_no_audit_entry(client, session, two_grids):
    before = session.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    assert client.get("/api/v1/search/radius", query_string=ARGS).status_code == 200
    assert session.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == before


def test_radius_features_equal_within_radius_rows(session, two_grids):
    rows = within_radius(session, **ARGS)
    found = radius_features(session, **ARGS)
    features = json.loads(found.features_json)
    assert found.count == len(features) == len(rows) >= 3
    for feature, row in zip(features, rows, strict=True):
        assert feature["id"] == row["id"] and feature["type"] == "Feature"
        assert feature["properties"]["distance_m"] == pytest.approx(row["distance_m"], abs=0.006)
        assert feature["properties"]["risk_class"] == row["risk_class"]
    assert found.disclosed == []


def test_radius_features_disclose_by_grid(session, two_grids):
    found = radius_features(session, **ARGS, disclosure=Disclosure(public_fields=PUBLIC_ENTERPRISE_FIELDS,
                                                                    grid_codes=frozenset({"TG-B"})))
    by_id = {f["id"]: f["properties"] for f in json.loads(found.features_json)}
    assert "risk_class" in by_id[two_grids["b_mid"]] and "risk_class" not in by_id[two_grids["a_near"]]
    assert [(g, i) for g, _, i in found.disclosed] == [("TG-B", two_grids["b_mid"])]


def test_empty_circle_is_an_empty_collection(client):
    body = client.get("/api/v1/search/radius", query_string={"lon": 100.0, "lat": 10.0, "radius_m": 50}).get_json()
    assert body["type"] == "FeatureCollection" and body["count"] == 0 and body["features"] == []
    assert body["centre"] == {"source": "point", "lon": 100.0, "lat": 10.0} and body["radius_m"] == 50


def test_pois_layer_features(client, session):
    school = add_poi(session, *CENTRE, name="江宁速度小学")
    body = client.get("/api/v1/search/radius", query_string={**ARGS, "layer": "poi", "category": "school"})
    feature = next(f for f in body.get_json()["features"] if f["id"] == school)
    assert body.mimetype == "application/json"
    assert feature["properties"]["name"] == "江宁速度小学" and feature["properties"]["distance_m"] == 0


def test_perimeter_api_projects_fields_for_the_public(client, session):
    school = add_poi(session, *CENTRE, name="江宁周边测试小学")
    bar = add_enterprise(session, *at(60), category="酒吧", risk_class="A", grid_code="TG-A")
    add_enterprise(session, *at(70), category="酒吧", status="注销")
    body = client.get(f"/api/v1/pois/{school}/perimeter?radius_m=200").get_json()
    assert [f["id"] for f in body["features"]] == [bar]
    assert set(body["features"][0]["properties"]) <= PUBLIC_ENTERPRISE_FIELDS
    assert body["centre"]["id"] == school and body["radius_m"] == 200.0 and body["count"] == 1


def test_database_pool_does_not_ping_per_request(app):
    pool = app.extensions["marketmap.db"].engine.pool
    assert pool._pre_ping is False and 0 < pool._recycle <= 3600


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), ("0", None), ("1", "-"), ("-", "-"),
                                             ("/var/log/marketmap/access.log", "/var/log/marketmap/access.log")])
def test_access_log_is_off_unless_asked_for(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("MARKETMAP_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("MARKETMAP_ACCESS_LOG", value)
    assert access_log() == expected


def test_rate_limit_counters_start_no_thread_per_hit(monkeypatch):
    import limits.storage.memory as memory
    from limits.storage import storage_from_string

    storage = storage_from_string("marketmap-memory://")
    started = []
    monkeypatch.setattr(memory.threading.Timer, "start", lambda self: started.append(self))
    for _ in range(50):
        storage.incr("203.0.113.7", 60)
    assert storage.get("203.0.113.7") == 50 and started == []
    storage.incr("198.51.100.1", 0.001)
    time.sleep(0.01)
    assert storage.get("198.51.100.1") == 0  # counters still expire


def test_text_fields_are_escaped_and_dates_iso_whatever_the_datestyle(session):
    tricky = 'He said "hi" : \\ back\nslash\t<script>, "x" : "y"'
    entity = add_enterprise(session, *at(10), name=tricky)
    session.execute(text("UPDATE enterprise SET established_on = DATE '2024-02-29', short_name = NULL WHERE id = :id"),
                    {"id": entity})
    session.execute(text("SET LOCAL DateStyle = 'SQL, DMY'"))
    found = radius_features(session, **ARGS)
    props = {f["id"]: f["properties"] for f in json.loads(found.features_json)}[entity]
    assert props["name"] == tricky and props["short_name"] is None
    assert props["established_on"] == "2024-02-29"
