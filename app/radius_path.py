"""A WSGI fast path for the public's radius search: ``GET /api/v1/search/radius`` with a lon/lat centre.

At 10^6 entities a dense 200 m search spends about 2 ms in PostgreSQL, and Flask's routing, hooks and
argument parsing added 0.5–0.75 ms to it: HTTP took 1.47–1.58 times the raw SQL, about 1.3 with this
path (bench/RESULTS.md). An anonymous request (no cookie, no ``Authorization``) with a plain lon/lat
centre is answered here by the pieces the app uses: the view's schema (``RadiusArgs``) reads the
arguments, the app's public rate limit counts the request, the view's ``collection_body`` wraps what
``radius_features`` returns for the public, and the headers are those the app's hooks add
(``tests/test_radius_path.py`` compares both paths' bodies and headers, so a header added to the hooks
and not here fails it).

Anything else goes to the app unchanged: another path or method, credentials, an address or POI
centre, a risk-class filter (the app refuses it to the public), arguments the schema or the search
refuses (the app says why), a client over its rate (the app answers 429), any error. A request counted
here and then refused by the search (an unknown category, a radius over the cap) is counted again by
the app: a client sending bad requests meets its limit sooner, nobody else does.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from flask import Flask
from marshmallow import ValidationError

from app.api.search import RadiusArgs, collection_body, disclosure_for
from app.auth import PUBLIC, policy_for
from app.security import CSP, security_headers
from spatial.geocode import resolve_centre
from spatial.search import radius_features

log = logging.getLogger(__name__)

PATH = "/api/v1/search/radius"
ENDPOINT = "search.RadiusSearch"
_NOT_HERE = frozenset(("address", "poi_id", "risk_class"))  # centres needing the database, staff-only filters


class RadiusSearchPath:
    """Wraps ``wsgi_app`` of ``app`` (after its security is set up: the rate limit is the app's)."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.db = app.extensions["marketmap.db"]
        self.limit = app.extensions["marketmap.limiter"]
        self.dumps = app.json.dumps
        self.https = bool(app.config["HTTPS"])
        self.schema = RadiusArgs()
        self.disclosure = disclosure_for(PUBLIC)
        if policy_for(ENDPOINT) != "public":
            raise RuntimeError(f"{ENDPOINT} is no longer public: the radius fast path must not serve it")

    def __call__(self, environ, start_response):
        try:
            answer = self._answer(environ)
        except Exception:  # the database went away, a value the search refuses…: the app answers instead
            log.debug("radius fast path skipped", exc_info=True)
            answer = None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        headers, body = answer
        start_response("200 OK", headers)
        return [body]

    def _answer(self, environ) -> tuple[list[tuple[str, str]], bytes] | None:
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ
                or "HTTP_AUTHORIZATION" in environ or not self.db.owns_sessions):
            return None
        # Percent-encoded UTF-8 as clients send it; raw non-ASCII bytes or invalid UTF-8: the app decides.
        pairs = parse_qsl(environ.get("QUERY_STRING", "").encode("latin-1").decode("ascii"), keep_blank_values=True,
                          errors="strict")
        query = dict(pairs)
        if len(query) != len(pairs) or _NOT_HERE & query.keys() or any("\x00" in v for v in query.values()):
            return None  # repeated or staff-only arguments, NUL: the app decides
        try:
            args = self.schema.load(query)
        except ValidationError:
            return None
        centre = resolve_centre(None, lon=args.get("lon"), lat=args.get("lat"))
        rate_headers = []
        if self.limit.enabled:
            allowed, _, rate_headers = self.limit.count(environ.get("REMOTE_ADDR"), ENDPOINT)
            if not allowed:
                return None
        with self.db.reader_connection() as conn:
            found = radius_features(conn, lon=centre["lon"], lat=centre["lat"], radius_m=args["radius_m"],
                                    layer=args["layer"], categories=args.get("category"), limit=args["limit"],
                                    disclosure=self.disclosure)
        body = collection_body(self.dumps, found, centre=centre, radius_m=args["radius_m"], layer=args["layer"])
        secure = self.https or environ.get("wsgi.url_scheme") == "https"
        return [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                *security_headers(secure), ("Content-Security-Policy", CSP), *rate_headers,
                ("Vary", "Cookie")], body
