"""Double-random inspections (双随机一公开): items, plans, draws, verification, routes, results, disclosure.

Plans, draws, routes and results are for officials (and admins); the item catalogue and the
disclosure of results (公示, public fields only) are for everyone.
"""

from __future__ import annotations

import csv
import io

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app import auth
from app.api import Blueprint
from app.auth import current_viewer
from app.db import get_session
from app.errors import register_domain_error
from supervision import inspection_results as results
from supervision import inspections as insp
from supervision import routes

register_domain_error(insp.InspectionNotFound, 404, "not_found")
register_domain_error(insp.InspectionConflict, 409, "draw_conflict")
register_domain_error(insp.InspectionError, 400, "invalid_inspection")

blp = Blueprint("inspections", __name__, url_prefix="/api/v1", description="双随机一公开 / double-random inspections")


class ScopeIn(Schema):
    district = fields.Boolean(load_default=False)
    streets = fields.List(fields.String(), load_default=list)
    grids = fields.List(fields.String(), load_default=list)
    industries = fields.List(fields.String(), load_default=list)
    enterprise_ids = fields.List(fields.Integer(strict=True), load_default=list)


class PlanIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scope = fields.Nested(ScopeIn, required=True)
    items = fields.List(fields.String(), required=True)
    departments = fields.List(fields.String(), required=True)
    ratios = fields.Dict(keys=fields.String(validate=validate.OneOf(("A", "B", "C", "D"))),
                         values=fields.Decimal(as_string=False), load_default=None,
                         metadata={"description": "percent per risk class; default A 2, B 5, C 20, D 100"})
    team_size = fields.Integer(load_default=2, validate=validate.Range(2, 20))
    period_start = fields.Date(load_default=None)
    period_end = fields.Date(load_default=None)


class DrawIn(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=1000),
                           metadata={"description": "required to re-draw a plan that was drawn"})


class RouteArgs(Schema):
    team = fields.Integer(load_default=None, validate=validate.Range(1, 100000))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "geojson", "csv")))


class ResultIn(Schema):
    enterprise_id = fields.Integer(required=True, strict=True)
    items_checked = fields.List(fields.String(), load_default=list)
    outcome = fields.String(required=True, validate=validate.OneOf(tuple(results.OUTCOMES)))
    notes = fields.String(load_default=None, validate=validate.Length(max=4000))
    inspected_on = fields.Date(required=True)


class PublicArgs(Schema):
    plan_id = fields.Integer(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


def _official() -> None:
    current_viewer().require("official", "admin")


def _audit(action: str, object_type: str, object_id, detail: dict) -> None:
    auth.audit(action, object_type=object_type, object_id=object_id, detail=detail, session=get_session())


def plan_view(plan) -> dict:
    session = get_session()
    current = insp.current_draw(session, plan.id)
    return {"id": plan.id, "name": plan.name, "scope": plan.scope, "items": plan.items,
            "departments": plan.departments, "ratios": plan.ratios, "team_size": plan.team_size,
            "period_start": plan.period_start, "period_end": plan.period_end, "status": plan.status,
            "created_by": plan.created_by, "created_at": plan.created_at,
            "current_draw_id": current.id if current else None}


@blp.route("/inspection-items")
class Items(MethodView):
    def get(self):
        """The item catalogue (事项清单): departments, items and their legal basis."""
        return {"departments": insp.catalogue(), "outcomes": results.OUTCOMES}


@blp.route("/inspection-scope-options")
class ScopeOptions(MethodView):
    def get(self):
        """Streets and communities of the active grid version, to build a plan's scope."""
        _official()
        return {"areas": insp.scope_options(get_session())}


@blp.route("/inspection-plans")
class Plans(MethodView):
    @blp.arguments(PlanIn)
    def post(self, payload):
        """Create a plan (scope, items, departments, ratios per risk class, team size, period)."""
        _official()
        session = get_session()
        plan = insp.create_plan(session, **payload, created_by=current_viewer().username)
        session.commit()
        return plan_view(plan), 201

    def get(self):
        """The latest plans."""
        _official()
        return {"plans": [plan_view(p) for p in insp.list_plans(get_session())]}


@blp.route("/inspection-plans/<int:plan_id>")
class PlanOne(MethodView):
    def get(self, plan_id: int):
        _official()
        return plan_view(insp.get_plan(get_session(), plan_id))


@blp.route("/inspection-plans/<int:plan_id>/draws")
class PlanDraws(MethodView):
    @blp.arguments(DrawIn)
    def post(self, payload, plan_id: int):
        """Draw the plan; drawing again needs a reason and supersedes the earlier draw (kept)."""
        _official()
        session = get_session()
        row = insp.draw_plan(session, plan_id, reason=payload["reason"], created_by=current_viewer().username)
        _audit("inspection_redraw" if row.supersedes_id else "inspection_draw", "inspection_draw", row.id,
               {"plan_id": plan_id, "seed_hex": row.seed_hex, "algorithm_version": row.algorithm_version,
                "snapshot_sha256": row.snapshot_sha256, "result_sha256": row.result_sha256,
                "supersedes_id": row.supersedes_id, "reason": row.redraw_reason})
        session.commit()
        return routes.draw_summary(session, row.id), 201


@blp.route("/inspection-draws/<int:draw_id>")
class DrawOne(MethodView):
    def get(self, draw_id: int):
        """A draw: counts per class, teams with inspectors, progress, seed and hashes."""
        _official()
        return routes.draw_summary(get_session(), draw_id)


@blp.route("/inspection-draws/<int:draw_id>/verify")
class DrawVerify(MethodView):
    def get(self, draw_id: int):
        """Re-run the draw from its stored seed and snapshot and compare with the stored result."""
        _official()
        check = insp.verify_draw(get_session(), draw_id)
        return {"draw_id": draw_id, "ok": check.ok, "checks": check.checks, "message": check.message}


@blp.route("/inspection-draws/<int:draw_id>/features")
class DrawFeatures(MethodView):
    def get(self, draw_id: int):
        """GeoJSON points of the drawn entities (risk class at draw time, team, outcome)."""
        _official()
        return routes.draw_features(get_session(), draw_id)


@blp.route("/inspection-draws/<int:draw_id>/routes")
class DrawRoutes(MethodView):
    @blp.arguments(RouteArgs, location="query")
    def get(self, args, draw_id: int):
        """Visiting order per team (nearest neighbour + 2-opt, straight-line metres); JSON, GeoJSON or CSV."""
        _official()
        found = routes.team_routes(get_session(), draw_id, team=args["team"])
        if args["format"] == "geojson":
            return routes.routes_geojson(found)
        if args["format"] == "csv":
            return _routes_csv(draw_id, found)
        return {"draw_id": draw_id, "distance_method": routes.DISTANCE_METHOD, "teams": found}


@blp.route("/inspection-draws/<int:draw_id>/results")
class DrawResults(MethodView):
    @blp.arguments(ResultIn)
    def post(self, payload, draw_id: int):
        """Record one entity's result; problems and unreachable addresses become credit records."""
        _official()
        session = get_session()
        out = results.record_result(session, draw_id, **payload)
        _audit("inspection_result", "inspection_result", out["result"].id,
               {"draw_id": draw_id, "enterprise_id": payload["enterprise_id"], "outcome": payload["outcome"],
                "credit_record_id": out["credit_record_id"]})
        session.commit()
        return {**_result_view(out["result"]), "credit_record_id": out["credit_record_id"],
                "reclassified": out["reclassified"]}, 201

    def get(self, draw_id: int):
        """All results of a draw (with notes: staff only)."""
        _official()
        return {"results": [_result_view(r) for r in results.draw_results(get_session(), draw_id)]}


@blp.route("/inspection-results/public")
class PublicResults(MethodView):
    @blp.arguments(PublicArgs, location="query")
    def get(self, args):
        """Disclosure of results (公示): plan, entity name and USCC, items, outcome, date. Public."""
        return results.public_results(get_session(), **args)


def _result_view(r) -> dict:
    return {"id": r.id, "draw_id": r.draw_id, "enterprise_id": r.enterprise_id, "items_checked": r.items_checked,
            "outcome": r.outcome, "notes": r.notes, "inspected_on": r.inspected_on}


def _routes_csv(draw_id: int, found: list[dict]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["team", "stop", "enterprise_id", "name", "lon", "lat"])
    for route in found:
        for stop, (eid, name, (lon, lat)) in enumerate(zip(route["order"], route["names"], route["coordinates"], strict=True), 1):
            writer.writerow([route["no"], stop, eid, name, lon, lat])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=inspection-routes-{draw_id}.csv"})
