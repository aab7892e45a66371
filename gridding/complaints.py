"""Complaints (投诉举报): intake, placement in a grid, routing to a person, due dates, status flow.

received → assigned → in_progress → resolved; any open complaint past its due date (10 working
days after receipt, Asia/Shanghai) becomes escalated. Every change is kept in ``complaint_event``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridding.categories import CATEGORIES, HOTLINES
from gridding.errors import ComplaintError, ComplaintNotFound
from gridding.lookup import grid_at
from gridding.staff import responsible_for
from gridding.workdays import add_working_days

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DUE_WORKING_DAYS = 10
OPEN_STATUSES = ("received", "assigned", "in_progress", "escalated")
TRANSITIONS = {
    "received": {"assigned", "escalated"},
    "assigned": {"in_progress", "resolved", "escalated"},
    "in_progress": {"resolved", "escalated"},
    "escalated": {"assigned", "in_progress", "resolved"},
    "resolved": set(),
}

_INSERT = text("""
    INSERT INTO complaint (hotline, received_at, category, text, address_text, complainant_name, complainant_phone,
                           address_id, grid_code, assignee_staff_id, status, due_on, geom)
    VALUES (:hotline, :received_at, :category, :text, :address_text, :complainant_name, :complainant_phone,
            :address_id, :grid_code, :assignee_staff_id, :status, :due_on,
            CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END)
    RETURNING id
""")
_EVENT = text("""
    INSERT INTO complaint_event (complaint_id, from_status, to_status, actor, note)
    VALUES (:id, :from_status, :to_status, :actor, :note)
""")
_GET = text("""
    SELECT c.id, c.hotline, c.received_at, c.category, c.text, c.address_text, c.complainant_name,
           c.complainant_phone, c.address_id, c.grid_code, c.status, c.due_on, c.resolved_at,
           ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, s.id AS assignee_id, s.staff_no AS assignee_staff_no,
           s.name AS assignee_name, s.department AS assignee_department,
           (SELECT max(at) FROM complaint_event ev WHERE ev.complaint_id = c.id) AS updated_at
    FROM complaint c LEFT JOIN staff s ON s.id = c.assignee_staff_id WHERE c.id = :id
""")
_EVENTS = text("""
    SELECT at, from_status, to_status, actor, note FROM complaint_event WHERE complaint_id = :id ORDER BY at, id
""")
_ESCALATE = text("""
    WITH overdue AS (
        UPDATE complaint SET status = 'escalated'
        WHERE status IN ('received', 'assigned', 'in_progress') AND due_on < :today
        RETURNING id, grid_code, due_on, (SELECT status FROM complaint o WHERE o.id = complaint.id) AS old_status)
    SELECT id, grid_code, due_on, old_status FROM overdue ORDER BY id
""")
_LIST = text("""
    SELECT c.id, c.hotline, c.received_at, c.category, c.status, c.due_on, c.grid_code
    FROM complaint c
    WHERE (CAST(:grid AS text) IS NULL OR c.grid_code = :grid) AND (CAST(:status AS text) IS NULL OR c.status = :status)
      AND (CAST(:ids AS bigint[]) IS NULL OR c.id = ANY(CAST(:ids AS bigint[])))
    ORDER BY c.received_at DESC, c.id DESC LIMIT :limit
""")


def create_complaint(session: Session, *, hotline: str, text_zh: str, category: str | None = None,
                     address: str | None = None, lon: float | None = None, lat: float | None = None,
                     complainant_name: str | None = None, complainant_phone: str | None = None,
                     received_at: dt.datetime | None = None, actor: str | None = None) -> dict:
    """Record a complaint, place it in its grid (from the point, else the matched address) and
    assign it to the responsible person, due ``DUE_WORKING_DAYS`` working days after receipt.

    A complaint whose place cannot be found is kept (status received, no grid) for manual routing.
    """
    _check_intake(hotline, text_zh, category, address, lon, lat)
    received_at = received_at or dt.datetime.now(LOCAL_TZ)
    address_id = None
    if lon is None and address:
        address_id, lon, lat = _match_address(session, address)
    grid = grid_at(session, lon=lon, lat=lat) if lon is not None else None
    person = responsible_for(session, grid_code=grid["code"], category=category) if grid else None
    row = {"hotline": hotline, "received_at": received_at, "category": category or "other", "text": text_zh,
           "address_text": address, "complainant_name": complainant_name, "complainant_phone": complainant_phone,
           "address_id": address_id, "grid_code": grid["code"] if grid else None,
           "assignee_staff_id": person["id"] if person else None,
           "status": "assigned" if person else "received", "lon": lon, "lat": lat,
           "due_on": add_working_days(received_at.astimezone(LOCAL_TZ).date(), DUE_WORKING_DAYS)}
    complaint_id = session.execute(_INSERT, row).scalar_one()
    _event(session, complaint_id, None, "received", actor, f"{hotline} 受理")
    if person:
        _event(session, complaint_id, "received", "assigned", "routing", f"派发至 {person['name']}（{person['department']}）")
    return get_complaint(session, complaint_id)


def get_complaint(session: Session, complaint_id: int, *, with_events: bool = False) -> dict:
    row = session.execute(_GET, {"id": complaint_id}).first()
    if row is None:
        raise ComplaintNotFound(f"没有该投诉 / no complaint {complaint_id}")
    complaint = dict(row._mapping)
    if with_events:
        complaint["events"] = [dict(r._mapping) for r in session.execute(_EVENTS, {"id": complaint_id})]
    return complaint


def list_complaints(session: Session, *, grid_code: str | None = None, status: str | None = None,
                    ids: list[int] | None = None, limit: int = 200) -> list[dict]:
    params = {"grid": grid_code, "status": status, "ids": ids, "limit": limit}
    return [dict(r._mapping) for r in session.execute(_LIST, params)]


def change_status(session: Session, complaint_id: int, *, status: str, actor: str | None = None,
                  note: str | None = None) -> dict:
    """Move a complaint along its status flow; refuses jumps the flow does not allow."""
    current = get_complaint(session, complaint_id)["status"]
    if status not in TRANSITIONS.get(current, set()):
        raise ComplaintError(f"状态不能从 {current} 变为 {status} / cannot go from {current} to {status}")
    resolved = ", resolved_at = now()" if status == "resolved" else ""
    session.execute(text(f"UPDATE complaint SET status = :status{resolved} WHERE id = :id"),
                    {"status": status, "id": complaint_id})
    _event(session, complaint_id, current, status, actor, note)
    return get_complaint(session, complaint_id)


def escalate_overdue(session: Session, *, today: dt.date | None = None) -> list[dict]:
    """Escalate every open complaint whose due date has passed; running it again changes nothing."""
    today = today or dt.datetime.now(LOCAL_TZ).date()
    rows = [dict(r._mapping) for r in session.execute(_ESCALATE, {"today": today})]
    for r in rows:
        _event(session, r["id"], r["old_status"], "escalated", "escalation", f"超过办理期限 {r['due_on']}")
    return rows


def _check_intake(hotline, text_zh, category, address, lon, lat) -> None:
    if hotline not in HOTLINES:
        raise ComplaintError(f"未知热线 / unknown hot-line {hotline!r}: one of {', '.join(HOTLINES)}")
    if not text_zh or not text_zh.strip():
        raise ComplaintError("投诉内容不能为空 / the complaint text is empty")
    if category is not None and category not in CATEGORIES:
        raise ComplaintError(f"未知类别 / unknown category {category!r}: one of {', '.join(CATEGORIES)}")
    if (lon is None) != (lat is None):
        raise ComplaintError("经度和纬度须同时提供 / give both lon and lat")
    if lon is None and not (address and address.strip()):
        raise ComplaintError("须提供地址或位置 / give an address or a point (lon, lat)")


def _match_address(session: Session, address: str) -> tuple[int | None, float | None, float | None]:
    """The address library's best exact/partial match as (address_id, lon, lat); Nones if none.

    The one place complaints touch the library (address_match.db's cached loader).
    """
    from address_match import AddressError
    from address_match.db import cached_library

    library = cached_library(session)
    try:
        candidates = [c for c in library.match(address, k=1) if c.level in ("exact", "partial")]
    except AddressError as exc:
        raise ComplaintError(f"地址无效 / invalid address: {exc}") from exc
    if not candidates:
        return None, None, None
    entry = library.get(candidates[0].address_id)
    return candidates[0].address_id, entry.lon, entry.lat


def _event(session: Session, complaint_id: int, from_status, to_status, actor, note) -> None:
    session.execute(_EVENT, {"id": complaint_id, "from_status": from_status, "to_status": to_status,
                             "actor": actor, "note": note})
