"""The risk map page in headless Chromium: nothing leaves 127.0.0.1, four class colours render, a click
opens an escaped popup, a supervisor's map opens on their grids."""

from __future__ import annotations

import io
import threading

import pytest
from flask import g, request
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app
from app.auth import Viewer
from models import migrate
from models.db import make_engine
from supervision.risk import CLASS_INFO
from tests.conftest import create_scratch_database, drop_scratch_database
from tests.test_tiles import CX, CY, build_area

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def map_server():
    """A server on its own scratch database holding the small test area (committed, so the browser sees it)."""
    url = create_scratch_database("marketmap_maptest")
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        build_area(session)
        session.commit()
    app = create_app({"DATABASE_URL": url, "TESTING": True})

    @app.before_request
    def _viewer():  # stands in for login until the roles issue lands
        role = request.headers.get("X-Test-Role")
        if role:
            g.viewer = Viewer(role=role, grid_codes=frozenset(request.headers.get("X-Test-Grids", "").split(",")))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["marketmap.db"].engine.dispose()
    engine.dispose()
    drop_scratch_database(url)


def open_map(browser, base: str, path: str, headers: dict):
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="zh-CN", extra_http_headers=headers)
    page = context.new_page()
    page.offsite = []
    page.errors = []
    page.on("request", lambda req: None if req.url.startswith((base, "data:", "blob:")) else page.offsite.append(req.url))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(base + path)
    page.wait_for_function("() => window.riskMap && window.riskMap.loaded() && !window.riskMap.isMoving()", timeout=60000)
    return context, page


def wait_for_entities(page, n: int) -> None:
    page.wait_for_function(f"() => window.riskMap.areTilesLoaded() && "
                           f"window.riskMap.queryRenderedFeatures({{layers: ['entities']}}).length >= {n}", timeout=60000)
    page.wait_for_timeout(300)  # one more frame painted


def colour_pixels(png: bytes, hex_colour: str, tolerance: int = 6) -> int:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(n for n, px in image.getcolors(1 << 24) if all(abs(a - b) <= tolerance for a, b in zip(px, target, strict=True)))


def test_official_map_is_offline_shows_four_colours_and_opens_a_popup(browser, map_server):
    context, page = open_map(browser, map_server, f"/map?lon={CX}&lat={CY}&z=17", {"X-Test-Role": "official"})
    try:
        wait_for_entities(page, 40)
        png = page.locator("#map").screenshot()
        counts = {c: colour_pixels(png, hex_colour) for c, (_, _, hex_colour) in CLASS_INFO.items()}
        assert all(n >= 20 for n in counts.values()), counts
        page.wait_for_function("() => document.querySelectorAll('#classes li').length === 4")
        assert "10" in page.locator("#classes").inner_text()  # ten entities of each class in the legend
        point = page.evaluate("""() => { const f = window.riskMap.queryRenderedFeatures({layers: ['entities']})
            .find(f => f.properties.risk_class === 'D'); const p = window.riskMap.project(f.geometry.coordinates);
            return {x: p.x, y: p.y, name: f.properties.name}; }""")
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        popup = page.locator(".maplibregl-popup .popup")
        popup.wait_for(timeout=30000)
        text = popup.inner_text()
        assert point["name"] in text and "<测试>" in point["name"]  # shown as text, not parsed as HTML
        assert "D 类" in text and "黑名单" in text
        assert page.offsite == [] and page.errors == []
    finally:
        context.close()


def test_public_map_has_no_class_colours(browser, map_server):
    context, page = open_map(browser, map_server, f"/map?lon={CX}&lat={CY}&z=17", {})
    try:
        wait_for_entities(page, 40)
        png = page.locator("#map").screenshot()
        assert all(colour_pixels(png, hex_colour) < 20 for _, _, hex_colour in CLASS_INFO.values())
        assert "非公开" in page.locator("#legend-note").inner_text()
        assert page.offsite == []
    finally:
        context.close()


def test_supervisor_map_opens_on_their_grids(browser, map_server):
    context, page = open_map(browser, map_server, "/map", {"X-Test-Role": "supervisor", "X-Test-Grids": "TT0101-02"})
    try:
        centre = page.evaluate("() => { const c = window.riskMap.getCenter(); return [c.lng, c.lat, window.riskMap.getZoom()]; }")
        assert CX < centre[0] < CX + 0.01 and abs(centre[1] - CY) < 0.005 and centre[2] > 13
        page.fill("#q", "测试")
        page.click("#search button")
        page.wait_for_function("() => document.getElementById('search-note').textContent !== '搜索中…'")
        assert page.offsite == [] and page.errors == []
    finally:
        context.close()
