"""Spatial search API: radius and school-perimeter searches, registration checks, place search,
"where is this", and the small outline layer the perimeter page draws."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from address_match import AddressError
from app.api import Blueprint
from app.auth import PUBLIC_ENTERPRISE_FIELDS, Viewer, current_viewer, enterprise_view, note_nonpublic_read
from app.db import get_reader, get_session
from app.errors import ApiError, register_domain_error
from spatial import errors as spatial_errors
from spatial.crs import CrsError
from spatial.geocode import resolve_centre
from spatial.locate import locate
from spatial.outline import outline
from spatial.perimeter import DEFAULT_RADIUS_M, perimeter_features, perimeter_report
from spatial.places import search_places
from spatial.registration import registration_check
from spatial.search import LAYERS, MAX_LIMIT, RISK_CLASSES, Disclosure, RadiusFeatures, list_pois, radius_features

blp = Blueprint("search", __name__, url_prefix="/api/v1", description="空间检索 / spatial search")

for _cls in (spatial_errors.UnknownCategory, spatial_errors.RadiusOutOfRange, spatial_errors.AddressNotMatched,
             spatial_errors.SpatialError):
    register_domain_error(_cls, 400, _cls.code)
register_domain_error(spatial_errors.PlaceNotFound, 404, "not_found")
register_domain_error(CrsError, 400, "invalid_crs")
register_domain_error(AddressError, 400, "invalid_address")

_Names = DelimitedList(fields.Str(validate=validate.Length(min=1, max=32)), validate=validate.Length(max=20))


class CentreArgs(Schema):
    lon = fields.Float(metadata={"description": "WGS84 经度 / longitude"})
    lat = fields.Float(metadata={"description": "WGS84 纬度 / latitude"})
    address = fields.Str(validate=validate.Length(min=1, max=200), metadata={"description": "按地址库匹配的地址"})
    poi_id = fields.Int(strict=False, validate=validate.Range(min=1))


class RadiusArgs(CentreArgs):
    radius_m = fields.Float(required=True, metadata={"description": "半径（米，椭球面距离）, ≤ 5000"})
    category = DelimitedList(fields.Str(validate=validate.Length(min=1, max=32)), validate=validate.Length(max=20),
                             metadata={"description": "限制行业类别，逗号分隔（layer=poi 时为场所类型）"})
    risk_class = DelimitedList(fields.Str(validate=validate.OneOf(RISK_CLASSES)), validate=validate.Length(max=4),
                               metadata={"description": "风险等级 A–D（需监管人员账号；监管员限本人网格）"})
    layer = fields.Str(load_default="enterprise", validate=validate.OneOf(LAYERS))
    limit = fields.Int(load_default=500, validate=validate.Range(min=1, max=MAX_LIMIT))


class PerimeterArgs(Schema):
    radius_m = fields.Float(load_default=DEFAULT_RADIUS_M)
    categories = _Names


class ReportArgs(PerimeterArgs):
    poi_kind = fields.Str(load_default="school", validate=validate.Length(min=1, max=32))


class RegistrationArgs(CentreArgs):
    industry = fields.Str(required=True, validate=validate.Length(min=1, max=32),
                          metadata={"description": "限制类别（网吧、KTV…）或 GB/T 4754 行业代码"})


class PlacesArgs(Schema):
    q = fields.Str(required=True, metadata={"description": "地名、道路、楼宇、场所或企业名称/简称"})
    limit = fields.Int(load_default=10, validate=validate.Range(min=1, max=50))


class PointArgs(Schema):
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)


class PoiListArgs(Schema):
    kind = fields.Str(load_default="school", validate=validate.Length(min=1, max=32))


def _centre(args: dict) -> dict:
    return resolve_centre(get_session(), lon=args.get("lon"), lat=args.get("lat"),
                          address=args.get("address"), poi_id=args.get("poi_id"))


@blp.route("/search/radius")
class RadiusSearch(MethodView):
    @blp.arguments(RadiusArgs, location="query")
    def get(self, args):
        """Enterprises (or POIs with layer=poi) within radius_m metres of a centre, nearest first (GeoJSON)."""
        viewer = current_viewer()
        risk_classes = args.get("risk_class")
        centre = _centre(args)
        found = radius_features(get_reader()[0], lon=centre["lon"], lat=centre["lat"], radius_m=args["radius_m"],
                                layer=args["layer"], categories=args.get("category"), risk_classes=risk_classes,
                                risk_grids=_risk_filter_grids(viewer, risk_classes), limit=args["limit"],
                                disclosure=disclosure_for(viewer))
        return _collection(found, centre=centre, radius_m=args["radius_m"], layer=args["layer"])


@blp.route("/pois/<int:poi_id>/perimeter")
class PoiPerimeter(MethodView):
    @blp.arguments(PerimeterArgs, location="query")
    def get(self, args, poi_id):
        """Operating restricted-trade entities within radius_m metres of one POI (GeoJSON)."""
        poi, found = perimeter_features(get_session(), poi_id=poi_id, radius_m=args["radius_m"],
                                        categories=args.get("categories"), disclosure=disclosure_for(current_viewer()))
        return _collection(found, centre=poi, radius_m=float(args["radius_m"]), layer="enterprise")


@blp.route("/perimeter-report")
class PerimeterReport(MethodView):
    @blp.arguments(ReportArgs, location="query")
    def get(self, args):
        """Every POI of a kind with the restricted-trade entities inside its perimeter (whole district)."""
        report = perimeter_report(get_session(), poi_kind=args["poi_kind"], radius_m=args["radius_m"],
                                  categories=args.get("categories"))
        pois = [{"poi": item["poi"], "count": len(item["entities"]), "entities": _enterprises(item["entities"])}
                for item in report]
        return {"poi_kind": args["poi_kind"], "radius_m": args["radius_m"], "poi_count": len(pois),
                "pois_with_entities": sum(1 for p in pois if p["count"]), "pois": pois}


@blp.route("/registration-checks")
class RegistrationCheck(MethodView):
    @blp.arguments(RegistrationArgs, location="query")
    def get(self, args):
        """May an entity of this industry be registered here? Rules, nearest sensitive places, zones."""
        centre = _centre(args)
        result = registration_check(get_session(), lon=centre["lon"], lat=centre["lat"], industry=args["industry"])
        return {"centre": centre, **result}


@blp.route("/places")
class Places(MethodView):
    @blp.arguments(PlacesArgs, location="query")
    def get(self, args):
        """Place-name search: roads, buildings, POIs, enterprises, addresses, streets, zones; ranked."""
        places = search_places(get_session(), q=args["q"], limit=args["limit"])
        return {"q": args["q"], "places": places}


@blp.route("/locate")
class Locate(MethodView):
    @blp.arguments(PointArgs, location="query")
    def get(self, args):
        """Street, community, grid, zones and nearest library address at a WGS84 point."""
        return locate(get_session(), lon=args["lon"], lat=args["lat"])


@blp.route("/search/pois")
class PoiList(MethodView):
    @blp.arguments(PoiListArgs, location="query")
    def get(self, args):
        """Sensitive places of a kind (for pickers), by name."""
        return {"kind": args["kind"], "pois": list_pois(get_session(), kind=args["kind"])}


@blp.route("/search/outline")
class Outline(MethodView):
    def get(self):
        """District, free-trade zone and street outlines as GeoJSON (simplified, for map backgrounds)."""
        return outline(get_session())


def _enterprises(rows: list[dict]) -> list[dict]:
    viewer = current_viewer()
    return [enterprise_view(_plain(row), viewer) for row in rows]


def _plain(row: dict) -> dict:
    row = dict(row)
    if isinstance(row.get("established_on"), dt.date):
        row["established_on"] = row["established_on"].isoformat()
    if row.get("distance_m") is not None:
        row["distance_m"] = round(row["distance_m"], 2)
    return row


def disclosure_for(viewer: Viewer) -> Disclosure:
    """The rows whose non-public fields this viewer may read, as ``Viewer.sees_grid`` decides it (officials
    and admins: all; supervisors: their grids; everyone else: none), for the projection done in SQL."""
    return Disclosure(public_fields=PUBLIC_ENTERPRISE_FIELDS, all_grids=viewer.role in ("official", "admin"),
                      grid_codes=viewer.grid_codes if viewer.role == "supervisor" else frozenset())


def _risk_filter_grids(viewer: Viewer, risk_classes: list[str] | None) -> frozenset[str] | None:
    """Where a risk-class filter may look: risk classes are not public, and a filter on them tells which
    entities have a class as surely as showing it. Officials and admins: everywhere (None); supervisors:
    their own grids; anyone else may not filter by risk class."""
    if not risk_classes or viewer.role in ("official", "admin"):
        return None
    if viewer.role == "supervisor":
        return viewer.grid_codes
    raise ApiError("按风险等级筛选需要监管人员账号 / filtering by risk class needs a supervisor, official or "
                   "admin account", status=401 if viewer.role == "public" else 403,
                   code="unauthorized" if viewer.role == "public" else "forbidden")


def _collection(found: RadiusFeatures, *, centre: dict, radius_m: float, layer: str) -> Response:
    for grid_code, uscc, entity_id in found.disclosed:  # the audit trail enterprise_view would have noted
        note_nonpublic_read("grid", grid_code)
        note_nonpublic_read("enterprise", uscc or entity_id)
    body = collection_body(current_app.json.dumps, found, centre=centre, radius_m=radius_m, layer=layer)
    return current_app.response_class(body, mimetype="application/json")


def collection_body(dumps, found: RadiusFeatures, *, centre: dict, radius_m: float, layer: str) -> bytes:
    """The FeatureCollection around features PostgreSQL already serialised: only the small head goes
    through the app's JSON encoder ``dumps`` (it cost more than the query itself at a few hundred rows)."""
    head = dumps({"type": "FeatureCollection", "layer": layer, "centre": centre, "radius_m": radius_m,
                  "count": found.count})
    return b"".join((head[:-1].encode(), b', "features": ', found.features_json, b"}"))
