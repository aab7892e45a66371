"""Open311 GeoReport v2 intake (/open311/v2/...), so existing hot-line systems can post complaints.

services.json lists the complaint categories; POST requests.json files one; GET requests.json and
requests/{id}.json answer status. Complaints are not public: the public sees status and dates, staff
of the complaint's grid also description, address and location. Hot-line: field ``hotline`` (an
extension; default 12345).
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from app.api import Blueprint
from app.auth import current_viewer
from app.db import get_session
from app.errors import ApiError
from gridding.categories import CATEGORIES
from gridding.complaints import create_complaint, get_complaint, list_complaints

blp = Blueprint("open311", __name__, url_prefix="/open311/v2", description="Open311 GeoReport v2")
DEFAULT_HOTLINE = "12345"


@blp.route("/services.json")
class Services(MethodView):
    def get(self):
        """Service list: one service per complaint category."""
        return [{"service_code": code, "service_name": name, "description": description, "metadata": False,
                 "type": "realtime", "keywords": "", "group": "市场监管"}
                for code, (name, description) in CATEGORIES.items()]


@blp.route("/requests.json")
class Requests(MethodView):
    def post(self):
        """Create a service request (form-encoded or JSON, GeoReport v2 field names)."""
        values = request.get_json(silent=True) or request.values
        code = values.get("service_code")
        if code not in CATEGORIES:
            raise ApiError(f"unknown service_code {code!r}", code="invalid_service_code")
        lon, lat = _coordinate(values.get("long")), _coordinate(values.get("lat"))
        name = " ".join(filter(None, (values.get("last_name"), values.get("first_name")))) or None
        session = get_session()
        complaint = create_complaint(session, hotline=values.get("hotline") or DEFAULT_HOTLINE,
                                     text_zh=values.get("description") or "", category=code,
                                     address=values.get("address_string"), lon=lon, lat=lat,
                                     complainant_name=name, complainant_phone=values.get("phone"), actor="open311")
        session.commit()
        return [{"service_request_id": str(complaint["id"]), "service_notice": f"预计办结 {complaint['due_on']}",
                 "account_id": None}], 201

    def get(self):
        """Requests by ``service_request_id`` (comma-separated), ``status`` (open/closed), ``service_code``."""
        ids = _ids(request.args.get("service_request_id"))
        rows = list_complaints(get_session(), ids=ids, limit=1000 if ids else 200)
        status, code = request.args.get("status"), request.args.get("service_code")
        out = [_request(get_complaint(get_session(), r["id"])) for r in rows]
        return [r for r in out if (not status or r["status"] == status) and (not code or r["service_code"] == code)]


@blp.route("/requests/<int:request_id>.json")
class RequestOne(MethodView):
    def get(self, request_id):
        """One service request."""
        return [_request(get_complaint(get_session(), request_id))]


def _request(c: dict) -> dict:
    out = {"service_request_id": str(c["id"]), "status": "closed" if c["status"] == "resolved" else "open",
           "status_notes": c["status"], "service_code": c["category"],
           "service_name": CATEGORIES.get(c["category"], ("",))[0], "agency_responsible": c["grid_code"],
           "requested_datetime": _iso(c["received_at"]), "updated_datetime": _iso(c["updated_at"]),
           "expected_datetime": c["due_on"].isoformat() if c["due_on"] else None}
    if current_viewer().sees_grid(c["grid_code"]):
        out.update(description=c["text"], address=c["address_text"], lat=c["lat"], long=c["lon"])
    return out


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _coordinate(raw) -> float | None:
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(f"lat/long must be numbers, got {raw!r}", code="invalid_input") from exc


def _ids(raw: str | None) -> list[int] | None:
    if not raw:
        return None
    try:
        return [int(x) for x in raw.split(",") if x.strip()]
    except ValueError as exc:
        raise ApiError("service_request_id must be comma-separated numbers", code="invalid_input") from exc
