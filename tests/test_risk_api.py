"""GET /api/v1/enterprises/{uscc}, the risk legend, and `marketmap risk classify`, per viewer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text

from spatial.tile_counts import GRID_COUNTS
from tests.test_tiles import build_area, staff_client  # noqa: F401  (fixture)


@pytest.fixture
def area(session):
    GRID_COUNTS.clear()
    ids = build_area(session)
    session.execute(text("INSERT INTO credit_record (enterprise_id, kind, decided_on, is_public) "
                         "VALUES (:e, 'complaint', :d, false)"), {"e": ids[3], "d": dt.date.today()})
    return ids


def uscc_of(session, eid: int) -> str:
    return session.execute(text("SELECT uscc FROM enterprise WHERE id = :i"), {"i": eid}).scalar()


def test_official_sees_class_colour_reasons_and_records(session, area, staff_client):  # noqa: F811
    body = staff_client.get(f"/api/v1/enterprises/{uscc_of(session, area[3])}", headers={"X-Test-Role": "official"}).get_json()
    assert body["risk"]["class"] == "D" and body["risk"]["colour"] == "red" and body["risk"]["hex"].startswith("#")
    assert body["risk"]["reasons"][0]["text"].startswith("列入严重违法失信名单")
    assert {r["kind"] for r in body["records"]} == {"blacklist", "complaint"}
    assert next(r for r in body["records"] if r["kind"] == "blacklist")["rules"] == ["blacklist"]
    assert body["enterprise"]["name"] == "瓦片<测试>企业3"


def test_public_and_other_grids_see_public_parts_only(session, area, staff_client):  # noqa: F811
    url = f"/api/v1/enterprises/{uscc_of(session, area[3])}"
    for headers in ({}, {"X-Test-Role": "supervisor", "X-Test-Grids": "TT0101-02"}):
        body = staff_client.get(url, headers=headers).get_json()
        assert body["risk"] is None and [r["kind"] for r in body["records"]] == ["blacklist"]
        assert "rules" not in body["records"][0] and "operating_address" not in body["enterprise"]
    own = staff_client.get(url, headers={"X-Test-Role": "supervisor", "X-Test-Grids": "TT0101-01"}).get_json()
    assert own["risk"]["class"] == "D"


def test_unknown_and_malformed_uscc(staff_client):  # noqa: F811
    assert staff_client.get("/api/v1/enterprises/91500000000000000X").status_code == 404
    bad = staff_client.get("/api/v1/enterprises/not-a-code")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_uscc"


def test_legend_counts_respect_the_viewer(session, area, staff_client):  # noqa: F811
    official = staff_client.get("/api/v1/enterprises/risk-summary?grid=TT0101-01",
                                headers={"X-Test-Role": "official"}).get_json()
    assert official["total"] == 20 and sum(c["n"] for c in official["classes"]) == 20 and official["classes_complete"]
    public = staff_client.get("/api/v1/enterprises/risk-summary?grid=TT0101-01").get_json()
    assert all(c["n"] == 0 for c in public["classes"]) and not public["classes_complete"]


def test_classify_command_reports_moves(session, runner):
    eid = session.execute(text("INSERT INTO enterprise (uscc, name, status) VALUES ('91CLITEST000000001', 'x', '吊销') "
                               "RETURNING id")).scalar()
    result = runner.invoke(args=["risk", "classify"])
    assert result.exit_code == 0, result.output
    assert "recomputed" in result.output and "→ D" in result.output
    assert session.execute(text("SELECT risk_class FROM enterprise WHERE id = :i"), {"i": eid}).scalar() == "D"
    again = runner.invoke(args=["risk", "classify"])
    assert " 0 recomputed" in again.output
    assert "version" in runner.invoke(args=["risk", "rules"]).output


def test_grid_report_is_offline_html_with_map_and_table(session, area, runner, tmp_path):
    out = tmp_path / "grid.html"
    result = runner.invoke(args=["report", "grid", "TT0101-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "瓦片&lt;测试&gt;企业0" in page and "<测试>" not in page
    assert "L.circleMarker" in page and page.count("<tr>") == 21
    fetched = r"""(src\s*=|<link[^>]*href\s*=|url\()\s*["']?(https?:)?//"""
    assert not re.search(fetched, page)  # nothing is fetched: it opens offline
    assert runner.invoke(args=["report", "grid", "NOPE", "-o", str(out)]).exit_code != 0
