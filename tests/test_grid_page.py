"""The grid page in headless Chromium: loads with nothing leaving localhost, draws the grid, lists entities."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.fixtures.grid_support import add_points, load_version

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(app, engine):
    """The app over HTTP with a committed active grid version: the demo's if loaded, else the
    shared-edge fixture (removed afterwards)."""
    created = []
    with Session(engine) as session:
        if session.execute(text("SELECT 1 FROM grid_version WHERE status = 'active'")).first() is None:
            created = list(add_points(session, "enterprise", {"a": (100.005, 30.0025), "b": (100.006, 30.003)}).values())
            load_version(session, "grid_shared_edge", "t-page", active=True)
            session.commit()
        code = session.execute(text("""
            SELECT e.grid_code FROM enterprise e JOIN grid g ON g.code = e.grid_code AND g.level = 'grid'
            JOIN grid_version v ON v.id = g.version_id AND v.status = 'active' LIMIT 1""")).scalar_one()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", code
    server.shutdown()
    if created:
        with Session(engine) as session:
            session.execute(text("DELETE FROM enterprise WHERE id = ANY(:ids)"), {"ids": created})
            session.execute(text("DELETE FROM grid_assignment_run WHERE version_id IN "
                                 "(SELECT id FROM grid_version WHERE name = 't-page')"))
            session.execute(text("DELETE FROM grid_version WHERE name = 't-page'"))
            session.commit()


def test_grid_page_renders_map_and_list(page, live_server):
    base, code = live_server
    page.goto(f"{base}/grids/{code}")
    page.wait_for_selector("body[data-loaded='true']", timeout=20000)
    assert page.offsite_requests == []
    assert page.locator("#enterprises tr").count() >= 1
    assert page.locator("#grid-name").text_content() != "网格"
    drawn = 0
    for _ in range(60):  # MapLibre tiles the GeoJSON in a worker: give a loaded machine time
        drawn = page.evaluate("window.gridMap.querySourceFeatures('grid').length")
        if drawn:
            break
        page.wait_for_timeout(500)
    assert drawn >= 1
    assert page.evaluate("window.gridMap.getSource('entities')._data.features.length") >= 1
