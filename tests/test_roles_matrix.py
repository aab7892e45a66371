"""Every route of app.url_map, requested as every role: allowed or denied exactly as app.auth.ROUTE_POLICY
says, never a 5xx, and mixed public/non-public resources return only the fields the role may read.

New routes are covered automatically; a route missing from ROUTE_POLICY fails this test.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import accounts
from app.auth import PUBLIC_ENTERPRISE_FIELDS, RANK, ROLES, policy_for

PASSWORD = "matrix password 1"
SKIP_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def samples(session):
    """Real identifiers from the demo district, so allowed requests reach the views' own code."""
    row = session.execute(text("SELECT uscc, grid_code FROM enterprise WHERE grid_code IS NOT NULL "
                               "ORDER BY id LIMIT 1")).one()
    other = session.execute(text("SELECT uscc FROM enterprise WHERE grid_code IS NOT NULL AND grid_code <> :g "
                                 "ORDER BY id LIMIT 1"), {"g": row.grid_code}).scalar_one()
    building = session.execute(text("SELECT id FROM building ORDER BY id LIMIT 1")).scalar_one()
    poi = session.execute(text("SELECT id FROM poi ORDER BY id LIMIT 1")).scalar_one()
    return {"uscc": row.uscc, "grid": row.grid_code, "other_uscc": other, "building": building, "poi": poi}


@pytest.fixture
def clients(app, client, session, samples):
    """One signed-in test client per role (the supervisor looks after the sample grid only)."""
    out = {"public": app.test_client()}
    for role in ROLES[1:]:
        grids = (samples["grid"],) if role == "supervisor" else ()
        user = accounts.create_user(session, username=f"m_{role}", password=PASSWORD, role=role, grid_codes=grids,
                                    actor="test")
        session.flush()
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["uid"], sess["csrf"] = user.id, "matrix-csrf"
        out[role] = c
    return out


def _url(rule, samples) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if name == "uscc":
            values[name] = samples["uscc"]
        elif name == "code":
            values[name] = samples["grid"]
        elif name == "building_id":
            values[name] = samples["building"]
        elif name == "poi_id":
            values[name] = samples["poi"]
        elif name == "filename":
            values[name] = "auth/login.css"
        elif name == "layer":
            values[name] = "enterprise"
        elif name in ("z", "x", "y"):
            values[name] = {"z": 14, "x": 13_387, "y": 6_864}[name]
        elif kind == "IntegerConverter":
            values[name] = 1
        elif name == "fmt":
            values[name] = "csv"
        else:
            values[name] = "v1"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - SKIP_METHODS):
            yield rule, method


def test_every_route_has_a_policy(app):
    missing = sorted({rule.endpoint for rule, method in _routes(app) if policy_for(rule.endpoint, method) is None})
    assert not missing, f"add these endpoints to app.auth.ROUTE_POLICY: {missing}"


def test_every_route_as_every_role(app, clients, samples):
    failures = []
    for rule, method in _routes(app):
        level = policy_for(rule.endpoint, method)
        url = _url(rule, samples)
        for role in ROLES:
            kwargs = {"headers": {"X-CSRF-Token": "matrix-csrf"}}
            if method != "GET":
                kwargs["json"] = {}
            resp = clients[role].open(url, method=method, **kwargs)
            body = resp.get_json(silent=True) or {}
            denied_by_policy = (resp.status_code in (401, 403) and isinstance(body, dict) and "needs_role" in body) \
                or (resp.status_code == 302 and resp.headers["Location"].startswith("/login?next="))
            should_allow = RANK[role] >= RANK[level]
            if resp.status_code >= 500:
                failures.append(f"{role} {method} {url}: {resp.status_code}")
            elif should_allow == denied_by_policy:
                failures.append(f"{role} {method} {url}: {resp.status_code}, policy {level}")
    assert not failures, "\n".join(failures)


def _enterprise_keys(body: dict) -> set[str]:
    return set(body["enterprise"])


def test_enterprise_detail_fields_by_role(clients, samples, session):
    own, other = samples["uscc"], samples["other_uscc"]
    # browser tests on the live server commit audit rows too: look only at this test's own
    before = session.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    get = lambda role, uscc: clients[role].get(f"/api/v1/enterprises/{uscc}").get_json()  # noqa: E731
    for role in ("public", "registrar"):
        body = get(role, own)
        assert _enterprise_keys(body) <= PUBLIC_ENTERPRISE_FIELDS and body["risk"] is None
    assert get("supervisor", own)["risk"] is not None  # their grid: everything
    body = get("supervisor", other)  # another grid: public fields only
    assert _enterprise_keys(body) <= PUBLIC_ENTERPRISE_FIELDS and body["risk"] is None
    assert get("official", other)["risk"] is not None
    reads = session.execute(text("SELECT actor, detail FROM audit_log WHERE action = 'read_nonpublic' "
                                 "AND id > :before ORDER BY id"), {"before": before}).all()
    assert [r.actor for r in reads] == ["m_supervisor", "m_official"]
    assert f"grid:{samples['grid']}" in reads[0].detail["objects"] and own in reads[0].detail["path"]


def test_radius_search_fields_by_role(clients, session):
    lon, lat = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise WHERE geom IS NOT NULL "
                                    "ORDER BY id LIMIT 1")).one()
    args = {"lon": lon, "lat": lat, "radius_m": 500}
    public = clients["public"].get("/api/v1/search/radius", query_string=args).get_json()
    for feature in public["features"]:
        assert set(feature["properties"]) <= PUBLIC_ENTERPRISE_FIELDS
    official = clients["official"].get("/api/v1/search/radius", query_string=args).get_json()
    assert len(official["features"]) == len(public["features"]) > 0


def test_risk_class_filter_reveals_no_class_the_viewer_may_not_see(clients, session, samples):
    # Filtering by a non-public field answers "which entities have it" as surely as showing it.
    session.execute(text("UPDATE enterprise SET risk_class = (ARRAY['A','B','C','D'])[1 + id % 4] "
                         "WHERE risk_class IS NULL"))
    lon, lat, own_class = session.execute(text(
        "SELECT ST_X(geom), ST_Y(geom), risk_class FROM enterprise WHERE grid_code = :g AND geom IS NOT NULL "
        "AND risk_class IS NOT NULL ORDER BY id LIMIT 1"), {"g": samples["grid"]}).one()
    args = {"lon": lon, "lat": lat, "radius_m": 5000, "risk_class": "A,B,C,D", "limit": 5000}
    for role, status in (("public", 401), ("registrar", 403)):
        resp = clients[role].get("/api/v1/search/radius", query_string=args)
        assert resp.status_code == status and "risk" in resp.get_json()["message"]
    official = clients["official"].get("/api/v1/search/radius", query_string=args).get_json()
    supervisor = clients["supervisor"].get("/api/v1/search/radius", query_string=args).get_json()
    assert {f["properties"]["grid_code"] for f in supervisor["features"]} == {samples["grid"]}
    assert {f["properties"]["grid_code"] for f in official["features"]} > {samples["grid"]}
    assert own_class in {f["properties"]["risk_class"] for f in supervisor["features"]}
    unfiltered = clients["supervisor"].get("/api/v1/search/radius",
                                           query_string={**args, "risk_class": None}).get_json()
    assert len({f["properties"]["grid_code"] for f in unfiltered["features"]}) > 1  # only the filter is scoped


def test_denials_of_signed_in_users_are_audited(clients, session):
    assert clients["registrar"].get("/api/v1/economy/summary").status_code == 403
    row = session.execute(text("SELECT actor, role, object_id, detail FROM audit_log "
                               "WHERE action = 'access_denied' ORDER BY id DESC LIMIT 1")).one()
    assert (row.actor, row.role, row.object_id) == ("m_registrar", "registrar", "economy.Summary")
