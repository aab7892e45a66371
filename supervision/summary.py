"""Counts of entities by risk class, industry and grid: the map legend and its filters."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from supervision.risk import CLASS_INFO, CLASSES

_SUMMARY = text("""
SELECT e.grid_code, e.industry_code, max(e.industry_label) AS industry_label, e.risk_class, count(*) AS n
FROM enterprise e
WHERE (CAST(:grid AS text) IS NULL OR e.grid_code = :grid)
  AND (CAST(:industry AS text) IS NULL OR e.industry_code = :industry)
GROUP BY 1, 2, 4""")
_GRID_NAMES = text("""
SELECT g.code, g.name, g.level FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
WHERE g.code = ANY(:codes)""")


def risk_summary(session: Session, *, visible_grid, grid: str | None = None, industry: str | None = None) -> dict:
    """Entities per class (only in grids ``visible_grid(code)`` allows), per industry and per grid.

    Class counts outside the visible grids are left out, not zeroed: ``classes_complete`` says so.
    """
    rows = session.execute(_SUMMARY, {"grid": grid, "industry": industry}).all()
    classes = dict.fromkeys(CLASSES, 0)
    industries: dict[str, dict] = {}
    grids: dict[str, int] = {}
    complete, total = True, 0
    for grid_code, code, label, risk_class, n in rows:
        total += n
        if code:
            industries.setdefault(code, {"code": code, "label": label, "n": 0})["n"] += n
        if grid_code:
            grids[grid_code] = grids.get(grid_code, 0) + n
        if risk_class in classes and visible_grid(grid_code):
            classes[risk_class] += n
        elif risk_class is not None:
            complete = False
    names = {c: (name, level) for c, name, level in session.execute(_GRID_NAMES, {"codes": list(grids)})}
    return {
        "total": total,
        "classes": [{"class": c, "label": CLASS_INFO[c][0], "hex": CLASS_INFO[c][2], "n": classes[c]} for c in CLASSES],
        "classes_complete": complete,
        "industries": sorted(industries.values(), key=lambda i: -i["n"]),
        "grids": [{"code": c, "name": names.get(c, (c, None))[0], "n": n} for c, n in sorted(grids.items())],
    }
