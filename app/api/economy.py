"""Building economy (楼宇经济): ranked summaries (JSON/CSV/XLSX), building detail, choropleth layers."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates

import economy
from app.api import Blueprint
from app.auth import current_viewer, enterprise_view
from app.db import get_session
from app.errors import NotFound, register_domain_error

register_domain_error(economy.EconomyError, 400, "invalid_economy_query")

blp = Blueprint("economy", __name__, url_prefix="/api/v1", description="楼宇经济 / building economy")


class SummaryArgs(Schema):
    by = fields.String(load_default="building", validate=validate.OneOf(economy.LEVELS))
    year = fields.Integer(load_default=None, validate=validate.Range(1990, 2100))
    industry = fields.String(load_default=None, validate=validate.Length(max=64))
    sort = fields.String(load_default="tax_10k", validate=validate.OneOf(economy.MEASURES))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class ChoroplethArgs(Schema):
    by = fields.String(load_default="building", validate=validate.OneOf(("building", "grid", "street")))
    measure = fields.String(load_default="tax_10k", validate=validate.OneOf(economy.MEASURES))
    year = fields.Integer(load_default=None, validate=validate.Range(1990, 2100))
    classes = fields.Integer(load_default=5, validate=validate.Range(2, 5))
    bbox = fields.String(load_default=None, metadata={"description": "minLon,minLat,maxLon,maxLat (WGS84)"})

    @validates("bbox")
    def _bbox(self, value, **_):
        if value is not None:
            parse_bbox(value)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.split(","))
    except ValueError as exc:
        raise ValidationError("bbox 应为 minLon,minLat,maxLon,maxLat / bbox must be four numbers") from exc
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise ValidationError("bbox 超出经纬度范围或顺序错误 / bbox out of range or not min,min,max,max")
    return x0, y0, x1, y1


@blp.route("/economy/summary")
class Summary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    def get(self, args):
        """Top-N ranking per building, grid, community, street or district for a year, with growth."""
        fmt = args.pop("format")
        result = economy.summary(get_session(), **args)
        if fmt == "json":
            return result
        return _export(result, fmt)


@blp.route("/economy/choropleth")
class Choropleth(MethodView):
    @blp.arguments(ChoroplethArgs, location="query")
    def get(self, args):
        """GeoJSON coloured by a measure in quantile classes, with its legend (buildings carry height_m)."""
        args["bbox"] = parse_bbox(args["bbox"])
        return economy.choropleth(get_session(), **args)


@blp.route("/buildings/<int:building_id>")
class BuildingDetail(MethodView):
    def get(self, building_id: int):
        """A building: figures over the years, entities inside (floor by floor where known)."""
        detail = economy.building_detail(get_session(), building_id)
        if detail is None:
            raise NotFound(f"没有编号为 {building_id} 的楼宇 / no building {building_id}")
        viewer = current_viewer()
        detail["entities"] = [enterprise_view(e, viewer) for e in detail["entities"]]
        if not viewer.is_staff:
            detail.pop("by_risk_class")
        return detail


def _export(result: dict, fmt: str) -> Response:
    rows = result["rows"]
    columns = list(rows[0]) if rows else ["code"]
    name = f"economy-{result['by']}-{result['year']}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) if not isinstance(row.get(c), (dict, list)) else str(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
