"""Liveness and facts about the database: /healthz."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import text

from app.api import Blueprint
from app.db import get_session

blp = Blueprint("health", __name__, description="服务状态 / service health")

COUNTED_TABLES = ("enterprise", "credit_record", "address_entry", "building", "building_economy", "grid",
                  "grid_version", "staff", "poi", "zone", "road", "complaint", "inspection_draw", "audit_log",
                  "import_batch")


@blp.route("/healthz")
class Health(MethodView):
    def get(self):
        """Database reachable, PostGIS version, migration head and row counts."""
        session = get_session()
        postgis = session.execute(text("SELECT postgis_lib_version()")).scalar_one()
        head = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED_TABLES}
        return {"status": "ok", "database": "reachable", "postgis": postgis, "migration": head, "counts": counts}
