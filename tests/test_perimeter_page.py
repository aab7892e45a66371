"""The /perimeter page in headless Chromium, and the stand-alone folium report (offline, no CDN)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from spatial import crs

SCHOOL = (118.7500, 31.9000)  # Nanjing Jiangning: far from the demo district
PLACED = [("测试网吧<script>alert(1)</script>", "网吧", "C", 60, 10), ("测试KTV", "KTV", "A", 120, 100),
          ("测试酒吧", "酒吧", None, 190, 250), ("远处网吧", "网吧", "D", 400, 300)]


@pytest.fixture(scope="module")
def committed_school(engine):
    """A school with restricted entities around it, committed (the live server sees committed data only)."""
    with engine.begin() as conn:
        poi_id = conn.execute(text("""INSERT INTO poi (kind, name, source, geom)
            VALUES ('school', '页面测试小学', 'test-page', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"""),
            {"x": SCHOOL[0], "y": SCHOOL[1]}).scalar_one()
        for n, (name, category, risk, distance_m, azimuth) in enumerate(PLACED):
            lon, lat = crs.destination(*SCHOOL, azimuth_deg=azimuth, distance_m=distance_m)
            conn.execute(text("""INSERT INTO enterprise (uscc, name, category, status, risk_class, geom)
                VALUES (:u, :n, :c, '存续', :r, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"""),
                {"u": f"PAGE{n:014d}", "n": name, "c": category, "r": risk, "x": lon, "y": lat})
    yield poi_id
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM enterprise WHERE uscc LIKE 'PAGE%'"))
        conn.execute(text("DELETE FROM poi WHERE id = :id"), {"id": poi_id})


@pytest.mark.browser
def test_perimeter_page_renders_circle_and_entities_offline(page, live_server, committed_school, tmp_path):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/perimeter?poi={committed_school}")
    page.wait_for_selector("body[data-state=ready]", timeout=20000)
    items = page.locator("#results li")
    assert items.count() == 3  # 60, 120 and 190 m; 400 m is outside
    assert "<script>" in items.first.inner_text()  # shown as text, never run as HTML
    rendered = page.evaluate("""() => ({
        entities: window.perimeterMap.queryRenderedFeatures({layers: ['entities']}).length,
        circle: window.perimeterMap.queryRenderedFeatures({layers: ['circle-line']}).length})""")
    assert rendered["entities"] == 3 and rendered["circle"] >= 1
    assert "3 家" in page.locator("#status").inner_text()
    assert page.locator("#error").is_hidden()
    page.screenshot(path=str(tmp_path / "perimeter.png"))
    assert page.offsite_requests == []
    assert not [e for e in errors if "WebGL" not in e], errors


@pytest.mark.browser
def test_perimeter_page_wider_radius_and_csv_export(page, live_server, committed_school):
    page.goto(f"{live_server}/perimeter?poi={committed_school}")
    page.wait_for_selector("body[data-state=ready]", timeout=20000)
    page.fill("#radius", "500")
    page.evaluate("() => { document.body.dataset.state = 'loading'; }")
    page.locator("#search-form button[type=submit]").click()
    page.wait_for_selector("body[data-state=ready]", timeout=20000)
    assert page.locator("#results li").count() == 4
    with page.expect_download() as download:
        page.click("#export")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as fh:
        csv_text = fh.read()
    assert "测试KTV" in csv_text and csv_text.count("\r\n") == 4
    assert page.offsite_requests == []


def test_report_cli_writes_a_standalone_offline_file(runner, session, tmp_path):
    poi_id = session.execute(text("""INSERT INTO poi (kind, name, geom)
        VALUES ('school', '报告测试小学', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"""),
        {"x": SCHOOL[0] + 0.1, "y": SCHOOL[1]}).scalar_one()
    lon, lat = crs.destination(SCHOOL[0] + 0.1, SCHOOL[1], azimuth_deg=45, distance_m=150)
    session.execute(text("""INSERT INTO enterprise (uscc, name, category, status, risk_class, geom)
        VALUES ('REPORT000000000001', '报告<b>网吧</b>', '网吧', '存续', 'D', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"""),
        {"x": lon, "y": lat})
    out = tmp_path / "report.html"
    result = runner.invoke(args=["report", "perimeter", "--poi", str(poi_id), "--radius", "200", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page_html = out.read_text(encoding="utf-8")
    assert "报告测试小学" in page_html and "报告&lt;b&gt;网吧&lt;/b&gt;" in page_html
    assert "150.0" in page_html  # the distance column
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=[\"']?https?:", page_html)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", page_html)
    assert "L.map(" in page_html or "L.map (" in page_html


def test_report_cli_refuses_bad_input(runner):
    result = runner.invoke(args=["report", "perimeter", "--poi", "999999999", "-o", "/tmp/never.html"])
    assert result.exit_code != 0 and "999999999" in result.output
    result = runner.invoke(args=["report", "perimeter", "--poi", "1", "--radius", "99999", "-o", "/tmp/never.html"])
    assert result.exit_code != 0


@pytest.mark.browser
def test_report_opens_offline_in_chromium(browser, runner, session, tmp_path):
    poi_id = session.execute(text("""INSERT INTO poi (kind, name, geom)
        VALUES ('school', '离线测试小学', ST_SetSRID(ST_MakePoint(118.6, 31.8), 4326)) RETURNING id""")).scalar_one()
    out = tmp_path / "offline.html"
    assert runner.invoke(args=["report", "perimeter", "--poi", str(poi_id), "-o", str(out)]).exit_code == 0
    context = browser.new_context()
    requests = []
    context.on("request", lambda req: requests.append(req.url))
    pg = context.new_page()
    pg.goto(out.as_uri())
    pg.wait_for_selector(".leaflet-interactive", state="attached", timeout=10000)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    context.close()
