"""/economy in headless Chromium: extruded buildings, legend and rankings, nothing off 127.0.0.1."""

import pytest

pytestmark = pytest.mark.browser


def test_economy_page_renders_3d_buildings_and_legend(page, live_server, sign_in):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "official", "/economy")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
    assert page.locator("#legend li").count() >= 2
    assert page.locator("#ranking li").count() >= 5
    assert int(page.get_attribute("body", "data-buildings")) > 0
    page.wait_for_timeout(1500)  # let MapLibre draw the extrusions
    shot = page.locator("#map").screenshot(path="/tmp/economy.png")
    assert _distinct_colours(shot) > 3, "the map shows no coloured buildings"
    page.locator("#ranking li").first.click()
    page.wait_for_selector("#detail:not([hidden])")
    assert page.locator("#detail-years tbody tr").count() >= 1
    assert errors == [] and page.offsite_requests == []


def _distinct_colours(png: bytes) -> int:
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB").resize((160, 100))
    return len({image.getpixel((x, y)) for x in range(image.width) for y in range(image.height)
                if max(image.getpixel((x, y))) - min(image.getpixel((x, y))) > 40})
