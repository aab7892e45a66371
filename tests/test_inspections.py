"""Double-random inspections on PostGIS: plans, draws, verification, re-draws, results → credit → risk, disclosure."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import g, request
from sqlalchemy import text

from app import create_app
from app.auth import Viewer
from supervision import inspections as insp

MARKET = "重庆市渝北区市场监督管理局"
HEALTH = "重庆市渝北区卫生健康委员会"
FIRE = "重庆市渝北区消防救援支队"
OFFICIAL = {"X-Test-Role": "official"}


@pytest.fixture
def client(database_url, session):
    """Requests share the rolled-back session and act as the role in ``X-Test-Role`` (public without it)."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})

    def as_test_viewer():
        role = request.headers.get("X-Test-Role")
        if role:
            g.viewer = Viewer(role=role, username=f"test-{role}", user_id=1)

    app.before_request_funcs.setdefault(None, []).insert(0, as_test_viewer)
    db = app.extensions["marketmap.db"]
    db.sessionmaker, db.owns_sessions = (lambda: session), False
    return app.test_client()


@pytest.fixture
def classified(session):
    """Risk classes set by id (about 5 % D, 10 % C, 20 % B, the rest A) for every entity of the demo."""
    session.execute(text("UPDATE enterprise SET risk_class = CASE WHEN id % 20 = 0 THEN 'D' WHEN id % 20 < 3 THEN 'C' "
                         "WHEN id % 20 < 7 THEN 'B' ELSE 'A' END"))
    return session


@pytest.fixture
def street(session):
    """The street with the most open entities."""
    return session.execute(text(
        "SELECT left(grid_code, 9) FROM enterprise WHERE grid_code IS NOT NULL AND status = '存续' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()


def plan_body(street, **overrides):
    body = {"name": "2026年第一批双随机抽查", "scope": {"streets": [street]}, "items": ["SC-01", "SC-02"],
            "departments": [MARKET], "ratios": {"A": 2, "B": 5, "C": 20, "D": 100}, "team_size": 2,
            "period_start": "2026-01-01", "period_end": "2026-12-31"}
    return {**body, **overrides}


def make_draw(client, street, **overrides):
    plan = client.post("/api/v1/inspection-plans", json=plan_body(street, **overrides), headers=OFFICIAL)
    assert plan.status_code == 201, plan.get_json()
    drawn = client.post(f"/api/v1/inspection-plans/{plan.get_json()['id']}/draws", json={}, headers=OFFICIAL)
    assert drawn.status_code == 201, drawn.get_json()
    return plan.get_json(), drawn.get_json()


def population(session, street) -> dict:
    return dict(session.execute(text(
        "SELECT coalesce(risk_class, 'A'), count(*) FROM enterprise WHERE grid_code LIKE :p "
        "AND status NOT IN ('注销', '迁出') GROUP BY 1"), {"p": street + "%"}).all())


def test_a_draw_honours_the_ratios_and_verifies(client, classified, street, runner):
    _, drawn = make_draw(client, street)
    counts = population(classified, street)
    for cls, pct in {"A": 2, "B": 5, "C": 20, "D": 100}.items():
        n = counts.get(cls, 0)
        assert drawn["population"][cls] == n
        assert drawn["drawn"][cls] == -(-n * pct // 100)  # ceiling
    assert all(len(t["inspectors"]) == 2 for t in drawn["teams"])
    check = client.get(f"/api/v1/inspection-draws/{drawn['id']}/verify", headers=OFFICIAL).get_json()
    assert check["ok"] and all(check["checks"].values())
    cli = runner.invoke(args=["inspections", "verify", str(drawn["id"])])
    assert cli.exit_code == 0 and "bit for bit" in cli.output
    actions = classified.execute(text("SELECT action FROM audit_log WHERE object_id = :i"),
                                 {"i": str(drawn["id"])}).scalars().all()
    assert actions == ["inspection_draw"]


def test_a_tampered_draw_fails_verification(client, classified, street, runner):
    _, drawn = make_draw(client, street)
    classified.execute(text("UPDATE inspection_draw SET result = jsonb_set(result, '{unassigned}', '[1]') WHERE id = :i"),
                       {"i": drawn["id"]})
    check = client.get(f"/api/v1/inspection-draws/{drawn['id']}/verify", headers=OFFICIAL).get_json()
    assert not check["ok"] and check["checks"]["result_sha256"] is False
    assert runner.invoke(args=["inspections", "verify", str(drawn["id"])]).exit_code == 1


def test_no_inspector_works_in_their_own_grid(client, classified, street):
    _, drawn = make_draw(client, street, ratios={"A": 50, "B": 50, "C": 50})
    clashes = classified.execute(text(
        "SELECT count(*) FROM inspection_draw d, jsonb_array_elements(d.result->'teams') t, "
        "jsonb_array_elements_text(t->'inspectors') i, jsonb_array_elements_text(t->'entities') e, staff s, enterprise x "
        "WHERE d.id = :d AND s.id = i::bigint AND x.id = e::bigint AND x.grid_code = ANY(s.grid_codes)"),
        {"d": drawn["id"]}).scalar()
    assert clashes == 0


def test_no_inspector_visits_the_same_entity_twice_in_a_year(client, classified, street):
    ids = classified.execute(text("SELECT id FROM enterprise WHERE grid_code LIKE :p AND status = '存续' "
                                  "ORDER BY id LIMIT 40"), {"p": street + "%"}).scalars().all()
    scope = {"enterprise_ids": ids}
    full = {"A": 100, "B": 100, "C": 100}
    _, first = make_draw(client, street, scope=scope, ratios=full)
    _, second = make_draw(client, street, scope=scope, ratios=full)
    pairs = [text("SELECT i::bigint, e::bigint FROM inspection_draw d, jsonb_array_elements(d.result->'teams') t, "
                  "jsonb_array_elements_text(t->'inspectors') i, jsonb_array_elements_text(t->'entities') e "
                  "WHERE d.id = :d")]
    a = set(classified.execute(pairs[0], {"d": first["id"]}).all())
    b = set(classified.execute(pairs[0], {"d": second["id"]}).all())
    assert a and b and not a & b


def test_a_draw_is_final_and_a_redraw_needs_a_reason(client, classified, street):
    plan, drawn = make_draw(client, street)
    url = f"/api/v1/inspection-plans/{plan['id']}/draws"
    refused = client.post(url, json={}, headers=OFFICIAL)
    assert refused.status_code == 409 and refused.get_json()["error"] == "draw_conflict"
    again = client.post(url, json={"reason": "抽取时执法人员名录未更新，重新抽取"}, headers=OFFICIAL)
    assert again.status_code == 201
    body = again.get_json()
    assert body["supersedes_id"] == drawn["id"] and body["redraw_reason"].startswith("抽取时")
    entity = drawn["teams"] and next(iter(insp.entity_classes(_stored_result(classified, drawn["id"]))))
    late = client.post(f"/api/v1/inspection-draws/{drawn['id']}/results", headers=OFFICIAL,
                       json={"enterprise_id": entity, "outcome": "no_problem", "inspected_on": "2026-03-01"})
    assert late.status_code == 409
    assert client.get(f"/api/v1/inspection-plans/{plan['id']}", headers=OFFICIAL).get_json()["current_draw_id"] == body["id"]


def _stored_result(session, draw_id):
    return session.execute(text("SELECT result FROM inspection_draw WHERE id = :i"), {"i": draw_id}).scalar()


def test_results_become_credit_records_and_move_the_risk_class(client, classified, street):
    _, drawn = make_draw(client, street)
    classes = insp.entity_classes(_stored_result(classified, drawn["id"]))
    # open, ordinary entities: a revoked (吊销) one is class D whatever its records say
    rated_a = [e for e, c in classes.items() if c == "A"]
    clean = sorted(classified.execute(text(
        "SELECT id FROM enterprise WHERE id = ANY(:ids) AND status = '存续' AND category IS NULL"),
        {"ids": rated_a}).scalars())[:2]
    classified.execute(text("DELETE FROM credit_record WHERE enterprise_id = ANY(:ids)"), {"ids": clean})
    url = f"/api/v1/inspection-draws/{drawn['id']}/results"
    gone = client.post(url, headers=OFFICIAL, json={"enterprise_id": clean[0], "outcome": "not_found",
                                                     "items_checked": ["SC-01"], "inspected_on": "2026-03-02",
                                                     "notes": "门店已搬离，电话无人接听"})
    assert gone.status_code == 201, gone.get_json()
    problem = client.post(url, headers=OFFICIAL, json={"enterprise_id": clean[1], "outcome": "problem_found",
                                                        "items_checked": ["SC-02"], "inspected_on": "2026-03-02"})
    assert problem.status_code == 201
    kinds = dict(classified.execute(text("SELECT enterprise_id, kind FROM credit_record WHERE enterprise_id = ANY(:i)"),
                                    {"i": clean}).all())
    assert kinds == {clean[0]: "abnormal_list", clean[1]: "inspection_problem"}
    assert gone.get_json()["reclassified"] is True
    new_class = classified.execute(text("SELECT risk_class FROM enterprise WHERE id = :i"), {"i": clean[0]}).scalar()
    assert new_class == "B"  # listed as abnormal (经营异常名录) by the risk rules
    duplicate = client.post(url, headers=OFFICIAL, json={"enterprise_id": clean[0], "outcome": "no_problem",
                                                          "inspected_on": "2026-03-03"})
    assert duplicate.status_code == 409
    summary = client.get(f"/api/v1/inspection-draws/{drawn['id']}", headers=OFFICIAL).get_json()
    assert summary["progress"]["done"] == 2


def test_public_disclosure_shows_only_public_fields(client, classified, street):
    _, drawn = make_draw(client, street)
    eid = next(iter(insp.entity_classes(_stored_result(classified, drawn["id"]))))
    client.post(f"/api/v1/inspection-draws/{drawn['id']}/results", headers=OFFICIAL,
                json={"enterprise_id": eid, "outcome": "no_problem", "items_checked": ["SC-01"],
                      "inspected_on": "2026-03-02", "notes": "内部备注：老板电话 13800000000"})
    body = client.get("/api/v1/inspection-results/public").get_json()
    row = next(r for r in body["results"] if r["uscc"])
    assert set(row) == {"id", "plan_id", "plan_name", "departments", "enterprise_name", "uscc", "inspected_on",
                        "outcome", "outcome_label", "items_checked"}
    assert "13800000000" not in str(body) and row["items_checked"] == ["营业执照与登记事项"]
    assert client.get(f"/api/v1/inspection-draws/{drawn['id']}/results").status_code == 401
    assert client.get("/inspections/public").status_code == 200


def test_routes_and_map_features(client, classified, street):
    _, drawn = make_draw(client, street, ratios={"A": 10})
    base = f"/api/v1/inspection-draws/{drawn['id']}"
    features = client.get(f"{base}/features", headers=OFFICIAL).get_json()["features"]
    assert features and {f["properties"]["risk_class"] for f in features} <= set("ABCD")
    routes = client.get(f"{base}/routes", headers=OFFICIAL).get_json()
    result = _stored_result(classified, drawn["id"])
    for route, team in zip(routes["teams"], result["teams"], strict=True):
        assert sorted(route["order"] + route["unlocated"]) == sorted(team["entities"])
    geo = client.get(f"{base}/routes?format=geojson", headers=OFFICIAL).get_json()
    assert all(f["geometry"]["type"] == "LineString" for f in geo["features"])
    csv = client.get(f"{base}/routes?format=csv&team=1", headers=OFFICIAL)
    assert csv.status_code == 200 and csv.data.decode("utf-8-sig").startswith("team,stop,enterprise_id")


@pytest.mark.parametrize(("change", "message"), [
    ({"ratios": {"A": 120}}, "0–100"),
    ({"ratios": {"D": 50}}, "100 %"),
    ({"scope": {}}, "scope is empty"),
    ({"scope": {"streets": ["'; drop"]}}, "malformed"),
    ({"items": ["XX-99"]}, "unknown items"),
    ({"departments": ["某某局"]}, "unknown departments"),
    ({"team_size": 1}, "team_size"),
    ({"departments": [MARKET, HEALTH, FIRE], "items": ["SC-01"], "team_size": 2}, "one per department"),
])
def test_bad_plans_are_clear_400s(client, session, street, change, message):
    response = client.post("/api/v1/inspection-plans", json=plan_body(street, **change), headers=OFFICIAL)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["message"]


def test_a_plan_without_inspectors_is_refused(client, session, street):
    session.execute(text("UPDATE staff SET active = false WHERE department = :d"), {"d": HEALTH})
    response = client.post("/api/v1/inspection-plans", headers=OFFICIAL,
                           json=plan_body(street, departments=[HEALTH], items=["WJ-01"]))
    assert response.status_code == 400 and "no inspectors" in response.get_json()["message"]


def test_a_scope_with_no_entities_is_refused_at_draw(client, session):
    plan = client.post("/api/v1/inspection-plans", json=plan_body("999999999"), headers=OFFICIAL).get_json()
    response = client.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={}, headers=OFFICIAL)
    assert response.status_code == 400 and "no entities" in response.get_json()["message"]


def test_plans_are_for_officials(client, session, street):
    assert client.post("/api/v1/inspection-plans", json=plan_body(street)).status_code == 401
    assert client.get("/api/v1/inspection-plans", headers={"X-Test-Role": "supervisor"}).status_code == 403
    assert client.get("/api/v1/inspection-items").status_code == 200


def test_recording_a_result_checks_the_entity_and_date(session, classified, street, client):
    _, drawn = make_draw(client, street)
    url = f"/api/v1/inspection-draws/{drawn['id']}/results"
    stranger = session.execute(text("SELECT max(id) + 1 FROM enterprise")).scalar()
    tomorrow = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert client.post(url, headers=OFFICIAL, json={"enterprise_id": stranger, "outcome": "no_problem",
                                                     "inspected_on": "2026-03-01"}).status_code == 400
    eid = next(iter(insp.entity_classes(_stored_result(session, drawn["id"]))))
    assert client.post(url, headers=OFFICIAL, json={"enterprise_id": eid, "outcome": "no_problem",
                                                     "inspected_on": tomorrow}).status_code == 400
    assert client.post(url, headers=OFFICIAL, json={"enterprise_id": eid, "outcome": "maybe",
                                                     "inspected_on": "2026-03-01"}).status_code == 400
