"""Imports for officials: upload a department's file, get the batch id, its report and the rejects."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from app.api import Blueprint
from app.auth import current_viewer
from app.db import get_session
from app.errors import ApiError, NotFound, register_domain_error
from importer import KINDS, ImportRejected, run_import
from importer.readers import GEO_SUFFIXES, TABLE_SUFFIXES
from importer.reports import csv_text, xlsx_bytes
from spatial.crs import SYSTEMS

register_domain_error(ImportRejected, 400, "import_rejected")

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="数据导入 / imports")

_BATCH_SQL = text("""SELECT id, kind, filename, file_sha256, crs, status, rows_total, rows_inserted, rows_updated,
                            rows_unchanged, rows_rejected, report, created_by, started_at, finished_at
                     FROM import_batch WHERE id = :id""")
_REJECTS_SQL = text("SELECT row_no, values, reason_zh, reason_en FROM import_reject WHERE batch_id = :id ORDER BY row_no")


class ImportForm(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    crs = fields.String(load_default=None, validate=validate.OneOf(SYSTEMS),
                        metadata={"description": "coordinate system of the file (required when it has coordinates)"})
    sheet = fields.String(load_default=None, validate=validate.Length(max=100))
    commit = fields.Boolean(load_default=False, metadata={"description": "false: dry run that only reports"})


@blp.route("")
class Imports(MethodView):
    @blp.arguments(ImportForm, location="form")
    def post(self, form):
        """Import a file (multipart field ``file``: .xlsx .csv .geojson .gpkg or a zipped shapefile).

        Answers the batch id, counts (total = inserted + updated + unchanged + rejected) and report;
        the rejected rows are at ``/api/v1/imports/{id}/rejects.xlsx`` and ``.csv``."""
        viewer = current_viewer()
        viewer.require("official", "admin")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ApiError("请上传文件（字段名 file） / upload the file in the field 'file'")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in TABLE_SUFFIXES + GEO_SUFFIXES:
            raise ApiError(f"不支持的文件类型 / unsupported file type {suffix!r}")
        session = get_session()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            upload.save(path)
            result = run_import(session, kind=form["kind"], path=path, filename=upload.filename, crs=form["crs"],
                                sheet=form["sheet"], commit=form["commit"], created_by=viewer.username)
        _audit(session, result)
        session.commit()
        return {"batch_id": result.batch_id, "status": result.status, **result.counts, "report": result.report}, 201


@blp.route("/<int:batch_id>")
class ImportBatch(MethodView):
    def get(self, batch_id: int):
        """One batch: counts, report, who and when."""
        current_viewer().require("official", "admin")
        row = get_session().execute(_BATCH_SQL, {"id": batch_id}).first()
        if row is None:
            raise NotFound(f"没有该导入批次 / no import batch {batch_id}")
        return dict(row._mapping)


@blp.route("/<int:batch_id>/rejects.<string:fmt>")
class ImportRejects(MethodView):
    def get(self, batch_id: int, fmt: str):
        """The reject report to send back to the department: ``xlsx`` or ``csv``."""
        current_viewer().require("official", "admin")
        if fmt not in ("xlsx", "csv"):
            raise NotFound("报告格式为 xlsx 或 csv / use rejects.xlsx or rejects.csv")
        rows = [dict(r._mapping) for r in get_session().execute(_REJECTS_SQL, {"id": batch_id})]
        name = f"import-{batch_id}-rejects.{fmt}"
        headers = {"Content-Disposition": f"attachment; filename={name}"}
        if fmt == "csv":
            return Response(csv_text(rows), mimetype="text/csv; charset=utf-8", headers=headers)
        return Response(xlsx_bytes(rows), headers=headers,
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _audit(session, result) -> None:
    from app import auth

    if result.status == "committed" and hasattr(auth, "audit"):
        auth.audit("import", object_type="import_batch", object_id=str(result.batch_id),
                   detail={"kind": result.report["kind"], **result.counts}, session=session)
