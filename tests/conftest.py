"""Shared fixtures: a throw-away PostGIS database built by the migrations, the demo district in it,
the Flask app, and a session rolled back after each test.

The suite never skips database tests: if PostGIS cannot be reached it fails and says how to fix it.
"""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import accounts, create_app
from app.auth import Viewer
from models import migrate
from models.db import make_engine, normalize_url

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEMO_ENTERPRISES = 3000
DEMO_SEED = 7

HOW_TO_FIX = (
    "PostGIS is not reachable at {url} ({error}). Run `make test` (it installs and starts PostgreSQL 15 + "
    "PostGIS via scripts/ensure_postgis.sh), or set MARKETMAP_DATABASE_URL to a PostgreSQL server whose "
    "role may CREATE DATABASE and whose cluster has the postgis extension available."
)


def shared_data(relative: str) -> Path:
    """A file of ../shared/data; fails (never skips) with its name when it is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.fail(f"test data missing: {path} (the tests read ../shared/data beside the checkout)")
    return path


def _base_url() -> str:
    return normalize_url(os.environ.get("MARKETMAP_TEST_DATABASE_URL")
                         or os.environ.get("MARKETMAP_DATABASE_URL")
                         or "postgresql://marketmap:marketmap@127.0.0.1:5432/marketmap")


def create_scratch_database(prefix: str = "marketmap_test") -> str:
    """CREATE DATABASE with a unique name on the configured server; returns its URL."""
    base = make_url(_base_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server is the same advice
        pytest.fail(HOW_TO_FIX.format(url=base.render_as_string(hide_password=True), error=exc), pytrace=False)
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url():
    url = create_scratch_database()
    migrate.upgrade(url)
    yield url
    drop_scratch_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_district(engine):
    """The demo district, built once per run with a few thousand entities (committed)."""
    from app.cli import after_demo_build
    from app.demo import build_demo

    counts = build_demo(engine, enterprises=DEMO_ENTERPRISES, seed=DEMO_SEED, progress=False)
    # Unclassified on purpose: the risk tests classify (and count what moves) themselves.
    after_demo_build(engine, classify=False)
    return counts


@pytest.fixture(scope="session")
def app(database_url):
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@contextmanager
def rolled_back_session(engine):
    """A session inside a transaction that is rolled back at the end (commits become savepoints)."""
    conn = engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def session(engine, demo_district):
    """A session rolled back after the test, with the demo district loaded."""
    with rolled_back_session(engine) as sess:
        yield sess


@contextmanager
def sharing_session(app, session):
    """The app's requests and commands use the rolled-back test session while inside."""
    db = app.extensions["marketmap.db"]
    saved = db.sessionmaker, db.owns_sessions
    db.sessionmaker, db.owns_sessions = (lambda: session), False
    try:
        yield
    finally:
        db.sessionmaker, db.owns_sessions = saved


@pytest.fixture
def client(app, session):
    """A test client whose requests share the rolled-back test session."""
    with sharing_session(app, session):
        yield app.test_client()


@pytest.fixture
def runner(app, session):
    """A CLI runner whose commands share the rolled-back test session."""
    with sharing_session(app, session):
        yield app.test_cli_runner()


@pytest.fixture
def act_as(app):
    """``with act_as("official"):`` — test-client requests inside run as that viewer (no login needed)."""

    @contextmanager
    def _act_as(role: str, grid_codes=()):
        with app.app_context():
            g.viewer = Viewer(role=role, username=f"test-{role}", grid_codes=frozenset(grid_codes))
            yield

    return _act_as


SIGN_IN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def sign_in(engine, demo_district):
    """``sign_in(page, live_server, role, next_path)``: log a browser in through /login as a committed user."""
    usernames: dict[str, str] = {}

    def _sign_in(page, live_server: str, role: str, next_path: str) -> None:
        if role not in usernames:
            usernames[role] = f"browser-{role}-{uuid.uuid4().hex[:6]}"
            with Session(engine) as session:
                accounts.create_user(session, username=usernames[role], password=SIGN_IN_PASSWORD, role=role,
                                     actor="tests")
                session.commit()
        page.goto(f"{live_server}/login?next={next_path}")
        page.fill("input[name=username]", usernames[role])
        page.fill("input[name=password]", SIGN_IN_PASSWORD)
        page.locator("form button[type=submit], form input[type=submit]").first.click()
        page.wait_for_url(f"{live_server}{next_path}")

    return _sign_in


@pytest.fixture(scope="session")
def live_server(app, demo_district):
    """The app served over real HTTP on 127.0.0.1 (committed data only), for browsers and clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through Playwright; nothing downloads a browser."""
    from playwright.sync_api import sync_playwright

    exe = "/usr/bin/chromium"
    if not Path(exe).exists():
        pytest.fail("/usr/bin/chromium is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=[
            "--no-sandbox", "--disable-gpu-sandbox", "--use-gl=angle", "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh page that records every request leaving 127.0.0.1 in ``page.offsite_requests``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    pg = context.new_page()
    pg.offsite_requests = []
    pg.on("request", lambda req: _note_offsite(pg, req.url))
    yield pg
    context.close()


def _note_offsite(page, url: str) -> None:
    if not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
        page.offsite_requests.append(url)
