"""Imports from the departments (数据导入): files → validated rows → database, every rejected row reported.

Domain code without Flask, used by ``marketmap import`` and ``POST /api/v1/imports``::

    result = run_import(session, kind="enterprises", path=Path("企业.csv"), crs="gcj02", commit=True)
    session.commit()
    result.counts  # rows_total = rows_inserted + rows_updated + rows_unchanged + rows_rejected

Modules: ``readers`` (files → strings), ``mapping`` (headers → fields), ``validate`` and
``coords`` (per-row reasons), ``load`` (COPY + upsert), ``reports`` (reject reports),
``pipeline`` (geocode, grids, risk, tile versions), ``batch`` (one batch end to end).
"""

from importer.batch import ImportResult, run_import
from importer.errors import ImportRejected
from importer.kinds import KINDS

__all__ = ["KINDS", "ImportRejected", "ImportResult", "run_import"]
