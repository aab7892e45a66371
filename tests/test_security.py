"""Hardening: security headers, rate limits for the public, body size limits, statement timeouts, and
SQL-injection / XSS payloads in every parameter of every operation (escaped, never a 5xx)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import accounts, create_app
from tests.conftest import sharing_session

PAYLOADS = (
    "' OR '1'='1' --",
    "1; DROP TABLE enterprise; --",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "%' UNION SELECT password_hash FROM app_user --",
    "\x00\u202e\U0002a6a5",
)


@pytest.fixture
def official(app, session):
    user = accounts.create_user(session, username="sec_official", password="security test 1", role="official",
                                actor="test")
    session.flush()
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["uid"], sess["csrf"] = user.id, "sec-csrf"
    return c


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/api/v1/auth/me", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "worker-src 'self' blob:" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-eval'" not in csp and "script-src 'self';" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_swagger_ui_runs_its_one_inline_script_by_hash_only(client):
    resp = client.get("/api/docs")
    csp = resp.headers["Content-Security-Policy"]
    assert "'sha256-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://localhost").headers


def test_rate_limit_for_the_public_not_for_signed_in_users(database_url, session):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "RATELIMIT_ENABLED": True,
                      "RATE_LIMIT": "3 per minute"})
    public = app.test_client()
    answers = [public.get("/api/v1/auth/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[3].get_json()["error"] == "too_many_requests" and 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert public.get("/healthz").status_code == 200  # counted per endpoint
    assert public.get("/static/auth/login.css").status_code == 200  # assets are not counted
    user = accounts.create_user(session, username="sec_limited", password="security test 1", role="registrar",
                                actor="test")
    session.flush()
    with sharing_session(app, session):
        signed_in = app.test_client()
        with signed_in.session_transaction() as sess:
            sess["uid"] = user.id
        answers = [signed_in.get("/api/v1/auth/me") for _ in range(5)]
    assert {a.status_code for a in answers} == {200} and "X-RateLimit-Remaining" not in answers[0].headers
    assert answers[0].get_json()["username"] == "sec_limited"


def test_oversized_json_body_is_refused(client):
    resp = client.post("/open311/v2/requests.json", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"] == "request_too_large"


def test_statement_timeout_answers_503(app, client, session, monkeypatch):
    from app.api import health

    def slow(_view):
        session.execute(text("SET LOCAL statement_timeout = 50"))
        session.execute(text("SELECT pg_sleep(1)"))

    monkeypatch.setattr(health.Health, "get", slow)
    app.view_functions["health.Health"] = health.Health.as_view("health.Health")
    try:
        resp = client.get("/healthz")
    finally:
        monkeypatch.undo()
        app.view_functions["health.Health"] = health.Health.as_view("health.Health")
        session.rollback()  # back to the test's savepoint, out of the cancelled statement
    assert resp.status_code == 503 and resp.get_json()["error"] == "query_timeout"


def test_nul_bytes_are_refused_before_they_reach_postgresql(client):
    assert client.get("/api/v1/enterprises/risk-summary", query_string={"grid": "a\x00b"}).status_code == 400
    assert client.get("/api/v1/grids/a%00b").status_code == 400
    resp = client.post("/open311/v2/requests.json", json={"service_code": "x\u0000"})
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_input"


def test_no_debugger_in_production(database_url, monkeypatch):
    monkeypatch.setenv("MARKETMAP_ENV", "production")
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app({"DATABASE_URL": database_url, "DEBUG": True})


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                params = [p for p in op.get("parameters", []) + item.get("parameters", [])]
                yield path, method.upper(), params


def _request(c, path, method, params, payload):
    url = path
    query = {}
    for p in params:
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", payload.replace("/", "%2F").replace("?", "%3F"))
        elif p["in"] == "query":
            query[p["name"]] = payload
    body = {"address": payload, "name": payload, "text": payload, "q": payload}
    return c.open(url, method=method, query_string=query, headers={"X-CSRF-Token": "sec-csrf"},
                  json=body if method != "GET" else None)


def test_injection_and_xss_payloads_in_every_parameter(client, official):
    spec = client.get("/api/v1/openapi.json").get_json()
    failures = []
    for path, method, params in _operations(spec):
        if method == "DELETE":
            continue
        for who, c in (("public", client), ("official", official)):
            for payload in PAYLOADS:
                resp = _request(c, path, method, params, payload)
                if resp.status_code >= 500:
                    failures.append(f"{who} {method} {path} {payload!r}: {resp.status_code}")
                elif resp.mimetype == "text/html" and "<script>alert(1)" in resp.text:
                    failures.append(f"{who} {method} {path}: payload echoed into HTML")
    assert not failures, "\n".join(failures)
    assert client.get("/api/v1/enterprises/risk-summary").status_code == 200  # nothing was dropped


def test_hostile_entity_names_come_back_as_data(client, session):
    uscc, grid = session.execute(text("SELECT uscc, grid_code FROM enterprise ORDER BY id LIMIT 1")).one()
    name = '<img src=x onerror=alert(1)>"; DROP TABLE enterprise; --'
    session.execute(text("UPDATE enterprise SET name = :n WHERE uscc = :u"), {"n": name, "u": uscc})
    resp = client.get(f"/api/v1/enterprises/{uscc}")
    assert resp.mimetype == "application/json" and resp.get_json()["enterprise"]["name"] == name
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    hits = client.get("/api/v1/places", query_string={"q": name[:20]})
    assert hits.status_code < 500


def test_login_page_sets_no_inline_script(client):
    html = client.get("/login").text
    assert "<script" not in html and "style=" not in html


def test_ids_beyond_bigint_are_not_found(official):
    resp = official.get("/api/v1/inspection-draws/247114382733810868118618112")
    assert resp.status_code == 404
