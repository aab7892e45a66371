"""The start page links every page and works for the public."""

import re


def test_start_page_links_every_page(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "市场监管空间监管平台" in html
    links = set(re.findall(r'href="(/[^"]*)"', html))
    assert {"/map", "/perimeter", "/address-check", "/inspections", "/economy", "/api/docs"} <= links
    for link in links - {"/logout"}:
        assert client.get(link).status_code in (200, 302, 308), link
