"""/address-check in headless Chromium: verdict, components and entities shown, nothing off 127.0.0.1."""

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.browser


def test_address_check_page_shows_a_verdict(page, live_server, engine, sign_in):
    with engine.connect() as conn:
        address = conn.execute(text("""
            SELECT a.standard_text FROM address_entry a JOIN enterprise e ON e.address_id = a.id
            GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1""")).scalar_one()
    sign_in(page, live_server, "registrar", "/address-check")
    assert "地址比对" in page.title()
    page.fill("#address", address)
    page.click("button[type=submit]")
    page.wait_for_selector("#result:not([hidden])")
    assert "比对通过" in page.text_content("#verdict")
    assert page.locator("#components tbody tr").count() >= 3
    assert page.locator("#entities tbody tr").count() >= 1
    page.wait_for_selector("#map canvas", state="attached")
    page.screenshot(path="/tmp/address-check.png")
    assert page.offsite_requests == []


def test_hostile_input_is_shown_as_text(page, live_server, sign_in):
    sign_in(page, live_server, "registrar", "/address-check")
    page.fill("#address", "<img src=x onerror=window.__pwned=1>渝北区")
    page.click("button[type=submit]")
    page.wait_for_selector("#result:not([hidden]), #error:not([hidden])")
    assert page.locator("#result img, #error img").count() == 0
    assert page.offsite_requests == []
