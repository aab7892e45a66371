"""Routing rules (grid, category) → responsible person, and finding that person for a complaint.

Staff themselves (supervisors and inspectors, their departments and grids) are imported by the
importer's ``staff`` kind (``marketmap import staff`` / ``marketmap staff import``).

Routing follows FixMyStreet (a report goes to the contact of the body covering the place, by
category), most specific first: the category beats the place, then grid → community → street →
anywhere; without any rule, the supervisor whose grids include the grid (lowest staff number).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridding.categories import CATEGORIES
from gridding.errors import GridError

RULE_COLUMNS = {"工号": "staff_no", "网格": "grid_code", "网格编码": "grid_code", "类别": "category"}

_KNOWN_CODES = text("""
    SELECT code FROM grid g JOIN grid_version v ON v.id = g.version_id
    WHERE v.status IN ('active', 'inactive') AND g.code = ANY(:codes)
""")
_UPSERT_RULE = text("""
    INSERT INTO routing_rule (grid_code, category, staff_id)
    SELECT :grid_code, :category, id FROM staff WHERE staff_no = :staff_no
    ON CONFLICT (grid_code, category) DO UPDATE SET staff_id = EXCLUDED.staff_id
    RETURNING id
""")
_CHAIN = text("""
    WITH RECURSIVE up(code, parent_code, depth) AS (
        SELECT g.code, g.parent_code, 1 FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
        WHERE g.code = :code
        UNION ALL
        SELECT g.code, g.parent_code, up.depth + 1 FROM up
        JOIN grid g ON g.code = up.parent_code JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
        WHERE up.depth < 5)
    SELECT code FROM up ORDER BY depth
""")
_ROUTE = text("""
    SELECT s.id, s.staff_no, s.name, s.department FROM routing_rule r JOIN staff s ON s.id = r.staff_id AND s.active
    WHERE (r.grid_code = ANY(CAST(:chain AS text[])) OR r.grid_code IS NULL)
      AND (r.category = :category OR r.category IS NULL)
    ORDER BY (r.category IS NULL), array_position(CAST(:chain AS text[]), r.grid_code::text) NULLS LAST, r.id
    LIMIT 1
""")
_SUPERVISOR = text("""
    SELECT s.id, s.staff_no, s.name, s.department FROM staff s
    WHERE s.active AND s.role = 'supervisor' AND s.grid_codes && CAST(:chain AS varchar(32)[])
    ORDER BY (SELECT min(array_position(CAST(:chain AS text[]), c::text)) FROM unnest(s.grid_codes) c), s.staff_no
    LIMIT 1
""")


def read_table(path: str | Path) -> pd.DataFrame:
    """A routing-rule CSV or XLSX file as text columns, Chinese headers mapped to English names."""
    path = Path(path)
    try:
        frame = pd.read_excel(path, dtype=str) if path.suffix.lower() in (".xlsx", ".xls") else \
            pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except Exception as exc:  # pandas raises many parser errors
        raise GridError(f"无法读取文件 / cannot read {path.name}: {exc}") from exc
    frame = frame.rename(columns=lambda c: RULE_COLUMNS.get(c.strip(), c.strip().lower()))
    return frame.fillna("")


def import_rules(session: Session, rows: list[dict]) -> dict:
    """Routing rules from rows of ``grid_code`` (blank = any), ``category`` (blank = any), ``staff_no``."""
    rules = []
    for i, row in enumerate(rows, start=1):
        grid_code = (row.get("grid_code") or "").strip() or None
        category = (row.get("category") or "").strip() or None
        if category is not None and category not in CATEGORIES:
            raise GridError(f"第{i}行类别未知 / row {i}: unknown category {category!r}")
        rules.append({"grid_code": grid_code, "category": category, "staff_no": str(row.get("staff_no", "")).strip()})
    _require_codes(session, {r["grid_code"] for r in rules if r["grid_code"]})
    for i, rule in enumerate(rules, start=1):
        if session.execute(_UPSERT_RULE, rule).scalar() is None:
            raise GridError(f"第{i}行工号不存在 / row {i}: unknown staff_no {rule['staff_no']!r}")
    return {"rules": len(rules)}


def responsible_for(session: Session, *, grid_code: str, category: str | None) -> dict | None:
    """The person a complaint of ``category`` in ``grid_code`` goes to, or None if nobody is set."""
    chain = list(session.execute(_CHAIN, {"code": grid_code}).scalars()) or [grid_code]
    for query in (_ROUTE, _SUPERVISOR):
        row = session.execute(query, {"chain": chain, "category": category}).first()
        if row is not None:
            return dict(row._mapping)
    return None


def _require_codes(session: Session, codes: set[str]) -> None:
    if not codes:
        return
    known = set(session.execute(_KNOWN_CODES, {"codes": sorted(codes)}).scalars())
    unknown = sorted(codes - known)
    if unknown:
        raise GridError(f"网格编码不存在 / unknown grid codes: {', '.join(unknown[:20])}")
