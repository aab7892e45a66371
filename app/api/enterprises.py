"""Enterprises: one entity's detail with its risk class, reasons and credit records; the risk legend."""

from __future__ import annotations

import re

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api import Blueprint
from app.auth import PUBLIC_CREDIT_KINDS, current_viewer, enterprise_view
from app.db import get_session
from app.errors import ApiError, register_domain_error
from supervision.classify import today_in_china
from supervision.profile import EnterpriseNotFound, enterprise_profile
from supervision.risk import load_rules
from supervision.summary import risk_summary

blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises", description="市场主体 / market entities")

register_domain_error(EnterpriseNotFound, 404, "not_found")

_USCC = re.compile(r"^[0-9A-Z]{18}$")


class SummaryArgs(Schema):
    grid = fields.Str(validate=validate.Length(min=1, max=32), metadata={"description": "网格编码"})
    industry = fields.Str(validate=validate.Length(min=1, max=8), metadata={"description": "行业代码 GB/T 4754"})


@blp.route("/risk-summary")
class RiskSummary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    def get(self, args):
        """各风险类别、行业、网格的主体数 / entities per risk class, industry and grid (the map legend).

        Class counts cover only the grids the viewer may see (``classes_complete`` says whether that is all).
        """
        viewer = current_viewer()
        return risk_summary(get_session(), visible_grid=viewer.sees_grid, grid=args.get("grid"),
                            industry=args.get("industry"))


@blp.route("/<string:uscc>")
class EnterpriseDetail(MethodView):
    def get(self, uscc: str):
        """一个主体：风险类别、颜色、原因及其信用记录 / one entity with risk class, colour, reasons and records.

        Risk class, reasons and non-public records are supervision data: shown to staff who see the
        entity's grid; others get the public fields and public records only.
        """
        uscc = uscc.strip().upper()
        if not _USCC.match(uscc):
            raise ApiError("统一社会信用代码应为 18 位数字或大写字母 / a USCC has 18 digits or capital letters",
                           code="invalid_uscc")
        profile = enterprise_profile(get_session(), uscc, rules=load_rules(), today=today_in_china())
        return _visible(profile, current_viewer())


def _visible(profile: dict, viewer) -> dict:
    entity = profile["enterprise"]
    if viewer.sees_grid(entity.get("grid_code")):
        return profile
    records = [{k: v for k, v in r.items() if k != "rules"} for r in profile["records"]
               if r["is_public"] and r["kind"] in PUBLIC_CREDIT_KINDS]
    return {"enterprise": enterprise_view(entity, viewer), "risk": None, "records": records}
