"""A WSGI fast path for anonymous tile requests that the tile cache can answer.

A public map asks for the same district tiles again and again. When a request carries no
credentials (no cookie, no ``Authorization``), this layer looks the tile up in the process's
``spatial.tiles.TILE_CACHE`` and reads the layer's current data versions in one statement on
a connection of its own; if the cached tile was built at those versions it answers (200 or 304)
without entering Flask. Anything else — a miss, stale versions, a signed-in viewer, a query
string, another path, an error — goes to the app unchanged, which builds the tile, refreshes the
cache and applies rate limits. Only tiles the public scope sees are ever served here, so there is
nothing to authorise or audit; cached tiles are cheap to serve, so they are not rate-limited.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading

import psycopg

from spatial.tile_layers import LAYERS, PUBLIC_SCOPE, etag_for
from spatial.tiles import TILE_CACHE, layer_versions_sql

log = logging.getLogger(__name__)

_TILE_PATH = re.compile(r"/tiles/([a-z_]+)/(\d{1,2})/(\d{1,7})/(\d{1,7})\.pbf")
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
GZIP_FROM_BYTES = 1024
_HEADERS = [("Cache-Control", "public, no-cache"), ("Vary", "Accept-Encoding, Cookie, Authorization"),
            ("X-Content-Type-Options", "nosniff"), ("X-Tile-Cache", "hit")]


class CachedTilePath:
    """Wraps ``wsgi_app``; ``db`` is the app's ``Database`` (its engine's URL keys the cache).

    Off while the app runs on sessions handed in from outside (tests): those may hold uncommitted
    changes that a tile cached from committed data would hide.
    """

    def __init__(self, wsgi_app, db):
        self.wsgi_app = wsgi_app
        self.db = db
        self.cache_url = db.engine.url.render_as_string()  # as spatial.tiles keys its cache
        self.dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._idle: list[psycopg.Connection] = []  # autocommit connections, shared by the server's threads
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        try:
            answer = self._answer(environ)
        except Exception:  # the database went away, a bad header…: the app answers instead
            log.debug("tile fast path skipped", exc_info=True)
            answer = None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _answer(self, environ):
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or "HTTP_COOKIE" in environ
                or "HTTP_AUTHORIZATION" in environ or TILE_CACHE.max_bytes <= 0 or not self.db.owns_sessions):
            return None
        match = _TILE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        spec = LAYERS.get(match.group(1)) if match else None
        if spec is None:
            return None
        z, x, y = (int(v) for v in match.groups()[1:])
        cached = TILE_CACHE.versions((self.cache_url, spec.name, z, x, y, PUBLIC_SCOPE.key if spec.scoped else "-"))
        if not cached:
            return None
        versions = self._versions(spec)
        data = cached.get(versions)
        if data is None:
            return None
        TILE_CACHE.hits += 1
        etag = etag_for(spec, PUBLIC_SCOPE, versions)
        headers = [("ETag", etag), *_HEADERS]
        client = {t.strip().removeprefix("W/").strip('"') for t in environ.get("HTTP_IF_NONE_MATCH", "").split(",")}
        if etag.strip('"') in client:
            return "304 Not Modified", headers, b""
        if len(data) >= GZIP_FROM_BYTES and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            data = gzip.compress(data, compresslevel=5)
            headers.append(("Content-Encoding", "gzip"))
        return "200 OK", [("Content-Type", MVT_MEDIA_TYPE), ("Content-Length", str(len(data))), *headers], data

    def _versions(self, spec) -> str:
        """The layer's current data versions, on an idle connection of this layer's own (opened when none is:
        a connection per server thread would make the first request of every thread pay a connect)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True, options="-c jit=off")
        versions = conn.execute(layer_versions_sql(), {"depends_on": list(spec.depends_on)}, prepare=True).fetchone()[0]
        with self._lock:  # only a connection that answered goes back
            self._idle.append(conn)
        return versions
