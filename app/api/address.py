"""Address checks for registrars (地址比对): one address, or a whole CSV/XLSX file."""

from __future__ import annotations

import io

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from address_match import AddressError
from address_match.batch import check_row, read_addresses, write_results
from address_match.checks import check_address
from address_match.db import cached_library
from app.api import Blueprint
from app.auth import current_viewer, enterprise_view
from app.db import get_session
from app.errors import ApiError, register_domain_error

register_domain_error(AddressError, 400, "invalid_address")

blp = Blueprint("address", __name__, url_prefix="/api/v1", description="地址比对 / address checks")


class AddressCheckIn(Schema):
    address = fields.String(required=True, validate=validate.Length(min=1, max=500),
                            metadata={"description": "submitted address, as written", "example": "渝北区金开大道88号"})
    industry = fields.String(load_default=None, validate=validate.Length(max=64),
                             metadata={"description": "industry of the entity to register (e.g. 网吧)"})


@blp.route("/address-checks")
class AddressChecks(MethodView):
    @blp.arguments(AddressCheckIn)
    def post(self, payload):
        """Match one address: verdict (matched / doubtful / not_found), standard address, components,
        building, entities registered there, free-trade zone, warnings."""
        result = check_address(get_session(), payload["address"], industry=payload["industry"]).to_dict()
        return _for_viewer(result)


@blp.route("/address-checks/batch")
class AddressChecksBatch(MethodView):
    def post(self):
        """Upload a CSV or XLSX (multipart field ``file``) with an address column; one verdict per row.

        Answers CSV unless ``?format=json``. Rows whose address is empty or invalid get the verdict
        ``invalid`` with the reason, never dropped."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError("请上传文件（字段名 file） / upload a CSV or XLSX file in the field 'file'")
        rows = read_addresses(upload.filename, upload.read())
        session = get_session()
        library = cached_library(session)
        results = [check_row(session, row, library=library) for row in rows]
        if request.args.get("format") == "json":
            return {"rows": results, "count": len(results)}
        buffer = io.StringIO()
        write_results(buffer, results)
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=address-checks.csv"})


def _for_viewer(result: dict) -> dict:
    viewer = current_viewer()
    here = result["entities_registered_here"]
    here["entities"] = [enterprise_view(e, viewer) for e in here["entities"]]
    return result
