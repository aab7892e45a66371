"""The public radius search's WSGI fast path (app/radius_path.py): the same answer as the app's view,
the same rate limit, and the app for everything it does not serve."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app
from app.radius_path import RadiusSearchPath

RATE_HEADERS = {"X-RateLimit-Remaining", "X-RateLimit-Reset"}


@pytest.fixture(scope="module")
def site(engine, demo_district):
    """A committed demo entity's position."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise WHERE geom IS NOT NULL "
                                 "ORDER BY id LIMIT 1")).one()


def with_cookie(app):
    """A client that sends a (meaningless) cookie: its requests are the app's view's to answer."""
    client = app.test_client()
    client.set_cookie("x", "1")
    return client


def counted_app(database_url, **config):
    """An app owning its sessions (as in production) and a list that grows by one for each request the
    fast path hands to Flask."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **config})
    fast = app.wsgi_app.app if hasattr(app.wsgi_app, "x_for") else app.wsgi_app  # inside ProxyFix
    assert isinstance(fast, RadiusSearchPath)
    to_flask, inner = [], fast.wsgi_app

    def counting(environ, start_response):
        to_flask.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    fast.wsgi_app = counting
    return app, to_flask


@pytest.mark.parametrize("query", ["radius_m=300", "radius_m=500&category=%E7%BD%91%E5%90%A7,KTV&limit=5",
                                   "radius_m=5000&layer=poi"])
@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
def test_the_fast_path_answers_as_the_view_does(database_url, site, query, base_url):
    app, to_flask = counted_app(database_url, RATELIMIT_ENABLED=True)
    client = app.test_client()
    url = f"/api/v1/search/radius?lon={site[0]}&lat={site[1]}&{query}"
    fast = client.get(url, base_url=base_url)
    assert to_flask == []
    view = with_cookie(app).get(url, base_url=base_url)
    assert to_flask == ["/api/v1/search/radius"]
    assert fast.status_code == view.status_code == 200 and fast.data == view.data
    assert [h for h in fast.headers.items() if h[0] not in RATE_HEADERS] == \
        [h for h in view.headers.items() if h[0] not in RATE_HEADERS]
    assert ("Strict-Transport-Security" in fast.headers) == base_url.startswith("https")
    assert int(view.headers["X-RateLimit-Remaining"]) == int(fast.headers["X-RateLimit-Remaining"]) - 1
    assert fast.get_json()["count"] >= 1


@pytest.mark.parametrize("query, headers, status", [
    ("radius_m=300", {"Authorization": "Bearer nope"}, 401),
    ("radius_m=300&risk_class=D", {}, 401),  # staff-only filter: the app refuses it to the public
    ("radius_m=300&lat=1", {}, 200),  # a repeated argument: the app takes the first
    ("radius_m=99999", {}, 400),
    ("radius_m=300&category=%E8%B5%8C%E5%9C%BA", {}, 400),
    ("radius_m=300&category=网吧", {}, 200),  # raw UTF-8, not percent-encoded: the app decodes it
    ("radius_m=300&category=%FF", {}, 400),  # not UTF-8
    ("radius_m=abc", {}, 400),
    ("radius_m=300&poi_id=1&lon=", {}, 400),
    ("radius_m=300&limit=0", {}, 400),
])
def test_everything_else_goes_to_the_app(database_url, site, query, headers, status):
    app, to_flask = counted_app(database_url)
    resp = app.test_client().get(f"/api/v1/search/radius?lon={site[0]}&lat={site[1]}&{query}", headers=headers)
    assert resp.status_code == status and (status == 200 or resp.get_json()["error"])
    assert to_flask == ["/api/v1/search/radius"]


def test_address_centres_and_other_paths_go_to_the_app(database_url, site):
    app, to_flask = counted_app(database_url)
    client = app.test_client()
    client.get("/api/v1/search/radius?address=重庆市渝北区&radius_m=200")
    client.post(f"/api/v1/search/radius?lon={site[0]}&lat={site[1]}&radius_m=200")
    client.get("/healthz")
    assert to_flask == ["/api/v1/search/radius", "/api/v1/search/radius", "/healthz"]


def test_one_rate_limit_for_both_paths(database_url, site):
    app, to_flask = counted_app(database_url, RATELIMIT_ENABLED=True, RATE_LIMIT="3 per minute")
    client = app.test_client()
    url = f"/api/v1/search/radius?lon={site[0]}&lat={site[1]}&radius_m=200"
    answers = [client.get(url), with_cookie(app).get(url), client.get(url), client.get(url)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].get_json()["error"] == "too_many_requests" and "Retry-After" in answers[3].headers
    assert to_flask == ["/api/v1/search/radius"] * 2  # the cookie's request, and the refusal


def test_behind_a_proxy_the_forwarded_address_is_counted(database_url, site):
    app, _ = counted_app(database_url, RATELIMIT_ENABLED=True, RATE_LIMIT="2 per minute", BEHIND_PROXY=True)
    client = app.test_client()
    url = f"/api/v1/search/radius?lon={site[0]}&lat={site[1]}&radius_m=200"
    statuses = [client.get(url, headers={"X-Forwarded-For": ip}).status_code
                for ip in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2")]
    assert statuses == [200, 200, 429, 200]
