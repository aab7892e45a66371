"""/inspections and /inspections/public in headless Chromium: the draw on the map, nothing off 127.0.0.1."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import accounts
from supervision import inspections as insp

pytestmark = pytest.mark.browser
PASSWORD = "inspections page test"


@pytest.fixture
def committed_draw(engine, demo_district):
    """An official, a plan over the busiest street and its draw, committed (the live server reads
    committed data), removed afterwards."""
    username = f"insp-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        street = session.execute(text("SELECT left(grid_code, 9) FROM enterprise WHERE grid_code IS NOT NULL "
                                      "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()
        accounts.create_user(session, username=username, password=PASSWORD, role="official", actor="test")
        plan = insp.create_plan(session, name="页面测试计划<b>", scope={"streets": [street]}, items=["SC-01"],
                                departments=["重庆市渝北区市场监督管理局"], ratios={"A": 10, "B": 20, "C": 50})
        row = insp.draw_plan(session, plan.id)
        session.commit()
        ids = {"plan": plan.id, "draw": row.id, "username": username,
               "drawn": sum(row.result["drawn"].values()) - len(row.result["unassigned"])}
    yield ids
    with Session(engine) as session:
        session.execute(text("DELETE FROM inspection_draw WHERE plan_id = :p"), {"p": ids["plan"]})
        session.execute(text("DELETE FROM inspection_plan WHERE id = :p"), {"p": ids["plan"]})
        session.execute(text("UPDATE app_user SET disabled = true WHERE username = :u"), {"u": username})
        session.commit()


def test_the_draw_shows_on_the_map(page, live_server, committed_draw):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next=/inspections")
    page.fill("input[name=username]", committed_draw["username"])
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(f"{live_server}/inspections")
    page.select_option("#plan-select", str(committed_draw["plan"]))
    page.wait_for_selector("body[data-features]", state="attached", timeout=30000)  # CSP: no eval-based waits
    assert int(page.evaluate("document.body.dataset.features")) > 0
    assert page.locator("#teams li").count() >= 1
    assert page.locator("#plan-select option", has_text="页面测试计划<b>").count() == 1  # text, not markup
    page.wait_for_selector("body[data-rendered]", state="attached", timeout=30000)
    assert int(page.get_attribute("body", "data-rendered")) > 0  # points drawn by MapLibre, not just fetched
    page.locator("#verify-btn").click()
    page.locator("#status", has_text="bit for bit").wait_for(timeout=30000)
    assert errors == [] and page.offsite_requests == []


def test_public_disclosure_page_loads_for_everyone(page, live_server):
    page.goto(f"{live_server}/inspections/public")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=30000)
    assert "共" in page.locator("#summary").text_content()
    assert page.offsite_requests == []
