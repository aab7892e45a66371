"""Queries over the building-economy views: refresh, ranked summaries, one building's detail."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

LEVELS = ("building", "grid", "community", "street", "district")
MEASURES = ("output_value_10k", "employment", "tax_10k", "entity_count", "floor_area_m2", "tax_per_m2_yuan")
VIEWS = ("economy_building", "economy_area", "economy_entities")
MAX_LIMIT = 1000


class EconomyError(ValueError):
    """A summary that cannot be asked for (unknown level, measure or year)."""


def refresh(session: Session) -> None:
    """Recompute every view (after imports of buildings, economy or entities, and grid activation)."""
    for view in VIEWS:
        session.execute(text(f"REFRESH MATERIALIZED VIEW {view}"))


def summary(session: Session, *, by: str, year: int | None = None, industry: str | None = None,
            sort: str = "tax_10k", limit: int = 50, offset: int = 0) -> dict:
    """Ranked rows for one level and year, with year-on-year growth (None where the year before is missing).

    ``industry`` keeps buildings (or areas) that host entities of that industry and counts them.
    """
    _check(by, sort, limit)
    year = year or _latest_year(session)
    rows = (_building_rows if by == "building" else _area_rows)(session, by=by, year=year, industry=industry,
                                                                 sort=sort, limit=limit, offset=offset)
    for row in rows:
        _add_growth(row)
    return {"by": by, "year": year, "industry": industry, "sort": sort, "rows": rows}


def _check(by: str, sort: str, limit: int) -> None:
    if by not in LEVELS:
        raise EconomyError(f"by 应为 {'/'.join(LEVELS)} 之一 / by must be one of {', '.join(LEVELS)}")
    if sort not in MEASURES:
        raise EconomyError(f"sort 应为 {'/'.join(MEASURES)} 之一 / sort must be one of {', '.join(MEASURES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise EconomyError(f"limit 应在 1–{MAX_LIMIT} 之间 / limit must be between 1 and {MAX_LIMIT}")


def _latest_year(session: Session) -> int:
    year = session.execute(text("SELECT max(year) FROM economy_building")).scalar()
    if year is None:
        raise EconomyError("尚无楼宇经济数据 / no building economy figures loaded")
    return year


def _building_rows(session: Session, *, by, year, industry, sort, limit, offset) -> list[dict]:
    industry_join = ("JOIN (SELECT building_id, sum(entities) AS industry_entities FROM economy_entities "
                     "WHERE industry = :industry GROUP BY building_id) i USING (building_id)") if industry else ""
    sql = f"""
        SELECT eb.building_id AS code, eb.name, eb.use, eb.floors, eb.grid_code, eb.community_code, eb.street_code,
               {", ".join("eb." + m for m in MEASURES)}, eb.prev_output_value_10k, eb.prev_employment,
               eb.prev_tax_10k {", i.industry_entities" if industry else ""}
        FROM economy_building eb {industry_join}
        WHERE eb.year = :year
        ORDER BY eb.{sort} DESC NULLS LAST, eb.building_id LIMIT :limit OFFSET :offset
    """
    params = {"year": year, "industry": industry, "limit": limit, "offset": offset}
    return [dict(r) for r in session.execute(text(sql), params).mappings()]


def _area_rows(session: Session, *, by, year, industry, sort, limit, offset) -> list[dict]:
    key = {"grid": "grid_code", "community": "community_code", "street": "street_code", "district": None}[by]
    industry_join = ""
    if industry:
        group = f"eb.{key}" if key else "''"
        industry_join = f"""JOIN (SELECT {group} AS code, sum(en.entities) AS industry_entities
                                  FROM economy_entities en JOIN economy_building eb
                                    ON eb.building_id = en.building_id AND eb.year = :year
                                  WHERE en.industry = :industry GROUP BY 1) i ON i.code = ea.code"""
    sql = f"""
        SELECT ea.code, ea.building_count, {", ".join("ea." + m for m in MEASURES)},
               ea.prev_output_value_10k, ea.prev_employment, ea.prev_tax_10k
               {", i.industry_entities" if industry else ""}
        FROM economy_area ea {industry_join}
        WHERE ea.level = :level AND ea.year = :year
        ORDER BY ea.{sort} DESC NULLS LAST, ea.code LIMIT :limit OFFSET :offset
    """
    params = {"level": by, "year": year, "industry": industry, "limit": limit, "offset": offset}
    rows = [dict(r) for r in session.execute(text(sql), params).mappings()]
    _add_names(session, rows)
    return rows


def _add_names(session: Session, rows: list[dict]) -> None:
    codes = [r["code"] for r in rows if r["code"]]
    names = dict(session.execute(text("""
        SELECT g.code, g.name FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
        WHERE g.code = ANY(:codes)"""), {"codes": codes}).all()) if codes else {}
    for row in rows:
        row["name"] = names.get(row["code"], "未分配网格" if row["code"] == "" else row["code"])


def _add_growth(row: dict) -> None:
    for measure in ("output_value_10k", "employment", "tax_10k"):
        prev, now = row.pop(f"prev_{measure}", None), row.get(measure)
        row[f"{measure}_growth"] = (round(float(now - prev) / float(prev), 4)
                                    if prev not in (None, 0) and now is not None else None)


def building_detail(session: Session, building_id: int) -> dict | None:
    """Figures over the years, entities inside (by floor where known) and counts by industry and class."""
    head = session.execute(text("""
        SELECT id, name, address_text, use, floors, height_m, floor_area_m2, grid_code, street_code,
               ST_X(geom) AS lon, ST_Y(geom) AS lat, ST_AsGeoJSON(footprint, 7)::json AS footprint
        FROM building WHERE id = :id"""), {"id": building_id}).mappings().first()
    if head is None:
        return None
    years = [dict(r) for r in session.execute(text("""
        SELECT year, output_value_10k, employment, tax_10k, entity_count, tax_per_m2_yuan,
               prev_output_value_10k, prev_employment, prev_tax_10k
        FROM economy_building WHERE building_id = :id ORDER BY year"""), {"id": building_id}).mappings()]
    for row in years:
        _add_growth(row)
    return {**dict(head), "years": years, "entities": _entities_in(session, building_id),
            "by_industry": _counts(session, building_id, "industry"),
            "by_risk_class": _counts(session, building_id, "risk_class")}


def _entities_in(session: Session, building_id: int) -> list[dict]:
    return [dict(r) for r in session.execute(text("""
        SELECT e.id, e.uscc, e.name, e.industry_label, e.status, e.risk_class, e.grid_code, a.floor_no, a.room_no
        FROM enterprise e LEFT JOIN address_entry a ON a.id = e.address_id
        WHERE e.building_id = :id ORDER BY a.floor_no NULLS LAST, a.room_no NULLS LAST, e.name"""),
        {"id": building_id}).mappings()]


def _counts(session: Session, building_id: int, column: str) -> dict:
    return dict(session.execute(text(f"""
        SELECT {column}, sum(entities) FROM economy_entities WHERE building_id = :id GROUP BY 1 ORDER BY 1"""),
        {"id": building_id}).all())
