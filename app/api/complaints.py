"""Complaints (投诉举报): anyone may file one and read counts; details only for staff of its grid."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api import Blueprint
from app.auth import current_viewer
from app.db import get_session
from app.errors import ApiError, register_domain_error
from gridding.categories import CATEGORIES, HOTLINES
from gridding.complaints import TRANSITIONS, change_status, create_complaint, get_complaint, list_complaints
from gridding.errors import ComplaintError, ComplaintNotFound

register_domain_error(ComplaintError, 400, "complaint_error")
register_domain_error(ComplaintNotFound, 404, "not_found")

blp = Blueprint("complaints", __name__, url_prefix="/api/v1", description="投诉举报 / complaints")
PUBLIC_FIELDS = ("id", "hotline", "received_at", "category", "status", "grid_code", "due_on")


class ComplaintIn(Schema):
    hotline = fields.String(required=True, validate=validate.OneOf(HOTLINES))
    text = fields.String(required=True, validate=validate.Length(1, 4000))
    category = fields.String(load_default=None, validate=validate.OneOf(tuple(CATEGORIES)))
    address = fields.String(load_default=None, validate=validate.Length(max=500))
    lon = fields.Float(load_default=None, validate=validate.Range(-180, 180), metadata={"description": "WGS84"})
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90), metadata={"description": "WGS84"})
    complainant_name = fields.String(load_default=None, validate=validate.Length(max=64))
    complainant_phone = fields.String(load_default=None, validate=validate.Length(max=32))

    @validates_schema
    def _place(self, data, **_kwargs):
        if (data.get("lon") is None) != (data.get("lat") is None):
            raise ValidationError("经度和纬度须同时提供 / give both lon and lat", "lon")
        if data.get("lon") is None and not (data.get("address") or "").strip():
            raise ValidationError("须提供地址或位置 / give an address or a point", "address")


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(tuple(TRANSITIONS)))
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class ListArgs(Schema):
    grid_code = fields.String(load_default=None, validate=validate.Length(max=32))
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(TRANSITIONS)))


def public_view(complaint: dict) -> dict:
    return {k: complaint.get(k) for k in PUBLIC_FIELDS}


def visible_complaint(complaint_id: int) -> dict:
    """The complaint if the viewer is staff of its grid; 401/403 otherwise."""
    complaint = get_complaint(get_session(), complaint_id, with_events=True)
    viewer = current_viewer()
    if viewer.sees_grid(complaint["grid_code"]):
        return complaint
    if viewer.is_staff:
        raise ApiError("该投诉不在您的网格 / this complaint is not in your grids", status=403, code="forbidden")
    viewer.require("official", "admin")  # 401 for the public, 403 for other roles
    return complaint


@blp.route("/complaints")
class Complaints(MethodView):
    @blp.arguments(ComplaintIn)
    def post(self, payload):
        """File a complaint; it is placed in its grid and assigned, due in 10 working days."""
        session = get_session()
        complaint = create_complaint(session, hotline=payload["hotline"], text_zh=payload["text"],
                                     category=payload["category"], address=payload["address"], lon=payload["lon"],
                                     lat=payload["lat"], complainant_name=payload["complainant_name"],
                                     complainant_phone=payload["complainant_phone"], actor=current_viewer().username)
        session.commit()
        return public_view(complaint), 201

    @blp.arguments(ListArgs, location="query")
    def get(self, args):
        """Complaints of a grid (staff of that grid) or of the whole district (officials)."""
        viewer = current_viewer()
        if not viewer.sees_grid(args["grid_code"]):
            viewer.require("official", "admin")
        return {"items": list_complaints(get_session(), grid_code=args["grid_code"], status=args["status"])}


@blp.route("/complaints/<int:complaint_id>")
class ComplaintOne(MethodView):
    def get(self, complaint_id):
        """One complaint with its history (staff of its grid only)."""
        return visible_complaint(complaint_id)


@blp.route("/complaints/<int:complaint_id>/status")
class ComplaintStatus(MethodView):
    @blp.arguments(StatusIn)
    def post(self, payload, complaint_id):
        """Move a complaint along received → assigned → in_progress → resolved."""
        visible_complaint(complaint_id)
        session = get_session()
        complaint = change_status(session, complaint_id, status=payload["status"], note=payload["note"],
                                  actor=current_viewer().username)
        session.commit()
        return complaint
