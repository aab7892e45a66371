"""MarketMap's Flask application factory (``flask --app app`` or the ``marketmap`` command)."""

from __future__ import annotations

import os
from pathlib import Path

# OpenBLAS (under numpy) runs one thread per process unless the environment says otherwise. The
# server runs several workers and threads of its own, and the address parser's small matrices gain
# nothing from a second thread but spend twice the CPU: a parse took 3.1 ms of wall time for 6.2 ms
# of CPU with two threads, 3.3 ms for 3.3 ms with one. OpenBLAS reads this once, when numpy is first
# imported, so it is set here, before anything of the app imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask

from app.config import load_config
from app.db import Database
from app.errors import register_error_handlers
from app.jsonio import JSONProvider
from app.security import init_security, wrap_proxy

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(config: dict | None = None) -> Flask:
    """Build the app; nothing touches the database until a request or command does."""
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.config.update(load_config(config))
    Database(app)
    from app.api import init_api
    from app.cli import register_commands
    from app.pages import init_pages

    init_api(app)
    init_pages(app)
    register_error_handlers(app)  # after flask-smorest's, so ours answer
    init_security(app)
    register_commands(app)
    from app.radius_path import RadiusSearchPath
    from app.tile_cache_path import CachedTilePath

    # Fast paths for the public's hottest requests, each falling back to the app; a proxy's headers first.
    app.wsgi_app = CachedTilePath(app.wsgi_app, app.extensions["marketmap.db"])  # cached public tiles
    app.wsgi_app = RadiusSearchPath(app.wsgi_app, app)
    wrap_proxy(app)
    return app
