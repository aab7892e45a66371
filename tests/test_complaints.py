"""Complaints: routing by category, due dates across weekends and holidays, escalation, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from gridding.complaints import LOCAL_TZ, change_status, create_complaint, escalate_overdue
from gridding.errors import ComplaintError
from gridding.staff import import_rules
from gridding.workdays import add_working_days
from importer import run_import
from tests.fixtures import grid_support
from tests.fixtures.grid_support import as_viewer, load_version

session = grid_support.session  # rolled back, independent of the demo district
IN_D = {"lon": 100.015, "lat": 30.0075}  # inside S01C02G02


@pytest.fixture
def staffed(session, tmp_path):
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,部门,角色,电话,网格\n"
                      "T001,张网格,两路所,supervisor,13800000001,S01C02G02;S01C02G01\n"
                      "T002,李食安,食品科,inspector,,\n"
                      "T003,王特设,特设科,inspector,,\n", encoding="utf-8")
    assert run_import(session, kind="staff", path=roster, commit=True).counts["rows_inserted"] == 3
    import_rules(session, [{"grid_code": "S01", "category": "food_safety", "staff_no": "T002"},
                           {"grid_code": "", "category": "special_equipment", "staff_no": "T003"}])
    return session


def _new(session, **kw):
    args = {"hotline": "12315", "text_zh": "测试投诉", **IN_D, **kw}
    return create_complaint(session, **args)


@pytest.mark.parametrize("received, due", [
    (dt.date(2025, 3, 7), dt.date(2025, 3, 21)),    # Friday: two weekends
    (dt.date(2025, 3, 8), dt.date(2025, 3, 21)),    # Saturday: counting starts Monday
    (dt.date(2025, 9, 30), dt.date(2025, 10, 21)),  # National Day, and Saturday 11 Oct is a working day
    (dt.date(2026, 2, 12), dt.date(2026, 3, 4)),    # Spring Festival 2026, 14 and 28 Feb worked
])
def test_due_dates_count_working_days(received, due):
    assert add_working_days(received, 10) == due


def test_routing_by_category(staffed):
    assert _new(staffed, category="food_safety")["assignee_staff_no"] == "T002"        # street rule
    assert _new(staffed, category="special_equipment")["assignee_staff_no"] == "T003"  # district-wide rule
    fallback = _new(staffed, category="price")
    assert fallback["assignee_staff_no"] == "T001" and fallback["status"] == "assigned"  # the grid's supervisor
    nobody = _new(staffed, category="price", lon=100.005, lat=30.0025)  # S01C01G01 has no supervisor
    assert nobody["assignee_id"] is None and nobody["status"] == "received"
    outside = _new(staffed, lon=100.5, lat=30.5)
    assert outside["grid_code"] is None


def test_escalation_is_idempotent(staffed):
    received = dt.datetime(2025, 3, 7, 10, tzinfo=LOCAL_TZ)
    c = _new(staffed, category="price", received_at=received)
    assert c["due_on"] == dt.date(2025, 3, 21)
    assert escalate_overdue(staffed, today=dt.date(2025, 3, 21)) == []
    first = escalate_overdue(staffed, today=dt.date(2025, 3, 24))
    assert [r["id"] for r in first if r["id"] == c["id"]] == [c["id"]]
    assert [r for r in escalate_overdue(staffed, today=dt.date(2025, 3, 24)) if r["id"] == c["id"]] == []
    statuses = staffed.execute(text("SELECT to_status FROM complaint_event WHERE complaint_id = :id ORDER BY id"),
                               {"id": c["id"]}).scalars().all()
    assert statuses == ["received", "assigned", "escalated"]


def test_status_flow(staffed):
    c = _new(staffed, category="price")
    assert change_status(staffed, c["id"], status="in_progress")["status"] == "in_progress"
    assert change_status(staffed, c["id"], status="resolved")["resolved_at"] is not None
    with pytest.raises(ComplaintError, match="cannot go from resolved"):
        change_status(staffed, c["id"], status="in_progress")


def test_api_intake_privacy_and_bad_input(app, client, staffed):
    from app.auth import Viewer

    r = client.post("/api/v1/complaints", json={"hotline": "12315", "text": "过期食品", "category": "food_safety",
                                                "complainant_phone": "13900000000", **IN_D})
    assert r.status_code == 201
    body = r.get_json()
    assert body["grid_code"] == "S01C02G02" and "complainant_phone" not in body and "text" not in body
    assert client.get(f"/api/v1/complaints/{body['id']}").status_code == 401
    with as_viewer(app, Viewer(role="supervisor", username="T009", grid_codes=frozenset({"S01C01G01"}))):
        assert client.get(f"/api/v1/complaints/{body['id']}").status_code == 403
    with as_viewer(app, Viewer(role="supervisor", username="T001", grid_codes=frozenset({"S01C02G02"}))):
        detail = client.get(f"/api/v1/complaints/{body['id']}").get_json()
    assert detail["complainant_phone"] == "13900000000" and len(detail["events"]) == 2
    for bad in ({"hotline": "110", "text": "x", **IN_D}, {"hotline": "12315", "text": "x"},
                {"hotline": "12315", "text": "x", "lon": 100.0}, {"hotline": "12315", "text": "x", "category": "?",
                                                                  **IN_D}):
        r = client.post("/api/v1/complaints", json=bad)
        assert r.status_code == 400, bad
        assert r.get_json()["message"]
    counts = client.get("/api/v1/grids/S01C02G02").get_json()
    assert counts["complaints"]["open"] == 1
    assert "phone" not in counts["people"][0]


def test_cli_escalate_and_staff_import(runner, staffed, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("工号,姓名,部门,角色,网格\nT010,赵六,两路所,网格监管员,S01C01G01\n", encoding="utf-8")
    result = runner.invoke(args=["staff", "import", str(path)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名,部门,角色,网格\nT011,钱七,两路所,网格监管员,NOPE\n", encoding="utf-8")
    result = runner.invoke(args=["staff", "import", str(bad)])
    assert result.exit_code != 0 and "unknown grid codes: NOPE" in result.output
    result = runner.invoke(args=["complaints", "escalate", "--today", "2099-01-01"])
    assert result.exit_code == 0 and "escalated" in result.output


def test_cli_routing_rules_read_chinese_headers(runner, staffed, tmp_path):
    rules = tmp_path / "rules.csv"
    rules.write_text("网格,类别,工号\nS01C02G01,food_safety,T001\n", encoding="utf-8")
    result = runner.invoke(args=["staff", "rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert staffed.execute(text("SELECT s.staff_no FROM routing_rule r JOIN staff s ON s.id = r.staff_id "
                                "WHERE r.grid_code = 'S01C02G01' AND r.category = 'food_safety'")).scalar() == "T001"
