"""Supervision grids (网格): the active version's grids, one grid with its people and counts, its
entities, point → grid, and grid versions (import, validation, activation)."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api import Blueprint
from app.auth import current_viewer, enterprise_view
from app.db import get_reader, get_session
from app.errors import ApiError, NotFound, register_domain_error
from gridding.complaints import LOCAL_TZ
from gridding.errors import GridError, GridNotFound
from gridding.gridfile import LEVELS, read_grid_file
from gridding.lookup import grid_at, grid_detail, grid_enterprises, list_grids
from gridding.validate import validate_version
from gridding.versions import activate, get_version, import_version, list_versions

register_domain_error(GridError, 400, "grid_error")
register_domain_error(GridNotFound, 404, "not_found")

blp = Blueprint("grids", __name__, url_prefix="/api/v1", description="监管网格 / supervision grids")
ADMIN_ROLES = ("official", "admin")


class GridListArgs(Schema):
    level = fields.String(load_default=None, validate=validate.OneOf(LEVELS))
    parent_code = fields.String(load_default=None, validate=validate.Length(max=32))


class PointArgs(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), metadata={"description": "WGS84"})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), metadata={"description": "WGS84"})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    risk_class = fields.String(load_default=None, validate=validate.OneOf(("A", "B", "C", "D")))


class VersionUpload(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    crs = fields.String(load_default=None, validate=validate.Length(max=64))
    note = fields.String(load_default=None)


@blp.route("/grids")
class Grids(MethodView):
    @blp.arguments(GridListArgs, location="query")
    def get(self, args):
        """Grids of the active version (code, name, level, parent), optionally one level or one parent's."""
        return {"items": list_grids(get_session(), level=args["level"], parent_code=args["parent_code"])}


@blp.route("/grids/lookup")
class GridLookup(MethodView):
    @blp.arguments(PointArgs, location="query")
    def get(self, args):
        """The base grid covering a WGS84 point (lowest code on shared edges)."""
        grid = grid_at(get_reader()[0], lon=args["lon"], lat=args["lat"])
        if grid is None:
            raise NotFound("该位置不在任何网格内 / the point is outside every grid")
        return grid


@blp.route("/grids/<code>")
class GridOne(MethodView):
    def get(self, code):
        """One grid: GeoJSON geometry, people, entities by risk class, open and overdue complaints."""
        grid = grid_detail(get_session(), code, today=dt.datetime.now(LOCAL_TZ).date())
        if not current_viewer().sees_grid(code):
            for person in grid["people"]:
                person.pop("phone", None)  # phone numbers are not public
        return grid


@blp.route("/grids/<code>/enterprises")
class GridEnterprises(MethodView):
    @blp.arguments(PageArgs, location="query")
    def get(self, args, code):
        """Entities in the grid and the grids below it, riskiest first, paged."""
        result = grid_enterprises(get_session(), code, **args)
        viewer = current_viewer()
        result["items"] = [enterprise_view(row, viewer) for row in result["items"]]
        return result


@blp.route("/grid-versions")
class GridVersions(MethodView):
    def get(self):
        """Every grid version with its status and counts per level."""
        return {"items": list_versions(get_session())}

    @blp.arguments(VersionUpload, location="form")
    def post(self, args):
        """Import a grid file (GeoJSON, zipped Shapefile or GeoPackage, field ``file``) as an inactive version."""
        current_viewer().require(*ADMIN_ROLES)
        upload = request.files.get("file")
        if upload is None:
            raise ApiError("缺少文件 / multipart field 'file' is required")
        frame = read_grid_file(upload.read(), crs=args["crs"])
        session = get_session()
        result = import_version(session, frame, name=args["name"], note=args["note"])
        session.commit()
        return result, 201


@blp.route("/grid-versions/<name>/validation")
class GridVersionValidation(MethodView):
    def get(self, name):
        """Invalid polygons, overlaps, gaps in the district and hierarchy errors, with areas and places."""
        session = get_session()
        return validate_version(session, version_id=get_version(session, name)["id"]).to_dict()


@blp.route("/grid-versions/<name>/activation")
class GridVersionActivation(MethodView):
    def post(self, name):
        """Validate, activate and reassign everything atomically; returns what moved where."""
        current_viewer().require(*ADMIN_ROLES)
        session = get_session()
        report = activate(session, name)
        session.commit()
        return report.to_dict()
