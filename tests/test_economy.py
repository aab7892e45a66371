"""Building economy: aggregates add up level by level, growth, exports, building detail."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

import economy
from economy.choropleth import classify, quantile_breaks

MEASURES = ("output_value_10k", "employment", "tax_10k", "entity_count")


@pytest.fixture(autouse=True)
def _as_official(act_as):
    """District statistics are officials' work (the public gets 401, tested in test_roles_matrix)."""
    with act_as("official"):
        yield


def _sums(session, level):
    return {(r.year, r.code): r for r in session.execute(text(f"""
        SELECT year, code, {", ".join(MEASURES)} FROM economy_area WHERE level = :level"""), {"level": level})}


def test_every_level_sums_to_its_parent_for_every_year(session):
    raw = session.execute(text(f"""
        SELECT year, {", ".join(f"sum({m}) AS {m}" for m in MEASURES)} FROM building_economy GROUP BY year
    """)).all()
    assert len(raw) >= 3
    district = _sums(session, "district")
    for level in ("grid", "community", "street"):
        per_year = {}
        for (year, _code), row in _sums(session, level).items():
            acc = per_year.setdefault(year, dict.fromkeys(MEASURES, 0))
            for m in MEASURES:
                acc[m] += getattr(row, m) or 0
        for r in raw:
            for m in MEASURES:
                assert float(per_year[r.year][m]) == pytest.approx(float(getattr(r, m)))
                assert float(getattr(district[(r.year, "")], m)) == pytest.approx(float(getattr(r, m)))


@pytest.mark.parametrize("child,parent,parent_key", [("grid", "community", "community_code"),
                                                    ("community", "street", "street_code")])
def test_children_sum_to_their_parent(session, child, parent, parent_key):
    child_key = {"grid": "grid_code", "community": "community_code"}[child]
    mismatches = session.execute(text(f"""
        WITH links AS (SELECT DISTINCT {child_key} AS child, {parent_key} AS parent FROM economy_building),
             summed AS (SELECT c.year, l.parent, sum(c.tax_10k) AS tax, sum(c.employment) AS jobs
                        FROM economy_area c JOIN links l ON l.child = c.code
                        WHERE c.level = :child GROUP BY c.year, l.parent)
        SELECT s.year, s.parent FROM summed s
        JOIN economy_area p ON p.level = :parent AND p.code = s.parent AND p.year = s.year
        WHERE abs(s.tax - p.tax_10k) > 0.01 OR s.jobs <> p.employment
    """), {"child": child, "parent": parent}).all()
    assert mismatches == []


def test_growth_is_none_when_the_year_before_is_missing(session):
    building_id, year = session.execute(text(
        "SELECT building_id, max(year) FROM building_economy GROUP BY building_id ORDER BY building_id LIMIT 1")).one()
    session.execute(text("DELETE FROM building_economy WHERE building_id = :b AND year = :y"),
                    {"b": building_id, "y": year - 1})
    economy.refresh(session)
    detail = economy.building_detail(session, building_id)
    latest = [y for y in detail["years"] if y["year"] == year][0]
    assert latest["tax_10k_growth"] is None
    other = session.execute(text("""
        SELECT building_id FROM economy_building WHERE year = :y AND prev_tax_10k > 0 LIMIT 1"""), {"y": year}).scalar()
    row = [y for y in economy.building_detail(session, other)["years"] if y["year"] == year][0]
    assert row["tax_10k_growth"] is not None


def test_an_entity_moving_building_moves_its_counts(session):
    entity_id, old, industry = session.execute(text("""
        SELECT id, building_id, industry_label FROM enterprise
        WHERE building_id IS NOT NULL AND status NOT IN ('注销', '迁出') ORDER BY id LIMIT 1""")).one()
    new = session.execute(text("SELECT id FROM building WHERE id <> :b ORDER BY id LIMIT 1"), {"b": old}).scalar()
    before_old = economy.building_detail(session, old)["by_industry"].get(industry, 0)
    before_new = economy.building_detail(session, new)["by_industry"].get(industry, 0)
    session.execute(text("UPDATE enterprise SET building_id = :n WHERE id = :e"), {"n": new, "e": entity_id})
    economy.refresh(session)
    assert economy.building_detail(session, old)["by_industry"].get(industry, 0) == before_old - 1
    assert economy.building_detail(session, new)["by_industry"].get(industry, 0) == before_new + 1


def test_summary_ranks_and_filters(client, session):
    body = client.get("/api/v1/economy/summary?by=building&sort=tax_10k&limit=5").get_json()
    taxes = [float(r["tax_10k"]) for r in body["rows"]]
    assert taxes == sorted(taxes, reverse=True) and len(taxes) == 5
    streets = client.get("/api/v1/economy/summary?by=street").get_json()["rows"]
    assert all(r["name"] for r in streets)
    industry = session.execute(text("SELECT industry FROM economy_entities GROUP BY 1 ORDER BY sum(entities) DESC "
                                    "LIMIT 1")).scalar()
    rows = client.get("/api/v1/economy/summary", query_string={"by": "grid", "industry": industry}).get_json()["rows"]
    assert rows and all(r["industry_entities"] > 0 for r in rows)


def test_exports_csv_and_xlsx(client):
    csv_body = client.get("/api/v1/economy/summary?by=street&format=csv").get_data(as_text=True)
    assert csv_body.lstrip("\ufeff").startswith("code,")
    xlsx = client.get("/api/v1/economy/summary?by=grid&format=xlsx&limit=7").get_data()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row == 8


def test_building_detail_and_unknown_building(client, session):
    building_id = session.execute(text("SELECT building_id FROM economy_entities LIMIT 1")).scalar()
    body = client.get(f"/api/v1/buildings/{building_id}").get_json()
    assert len(body["years"]) >= 1 and body["entities"]
    assert "risk_class" in body["entities"][0]  # officials see supervision grading
    assert client.get("/api/v1/buildings/999999999").status_code == 404


def test_bad_queries_are_400(client):
    for query in ("by=planet", "sort=happiness", "limit=0", "year=abc", "format=pdf"):
        assert client.get(f"/api/v1/economy/summary?{query}").status_code == 400, query
    for query in ("measure=x", "bbox=1,2,3", "bbox=200,0,201,1", "by=community", "classes=9"):
        assert client.get(f"/api/v1/economy/choropleth?{query}").status_code == 400, query


def test_choropleth_classes_follow_quantiles(client):
    body = client.get("/api/v1/economy/choropleth?by=grid&measure=tax_10k").get_json()
    assert len(body["legend"]) >= 2
    values = [f["properties"]["value"] for f in body["features"] if f["properties"]["value"] is not None]
    classes = [f["properties"]["class"] for f in body["features"] if f["properties"]["value"] is not None]
    top = max(values)
    assert classes[values.index(top)] == len(body["legend"]) - 1
    buildings = client.get("/api/v1/economy/choropleth?by=building").get_json()
    assert buildings["features"][0]["properties"]["height_m"] > 0


@pytest.mark.parametrize("values,value,expected", [
    ([1, 2, 3, 4, 5], 1, 0), ([1, 2, 3, 4, 5], 5, 4), ([1, 1, 1], 1, 0), ([], 3, None)])
def test_quantile_classes(values, value, expected):
    assert classify(value, quantile_breaks(values, 5)) == expected


def test_street_report_is_offline_html_with_buildings_and_ranking(runner, session, tmp_path):
    import re

    street, year, count = session.execute(text("""
        SELECT street_code, max(year), count(*) FILTER (WHERE year = (SELECT max(year) FROM economy_building))
        FROM economy_building GROUP BY street_code ORDER BY 3 DESC LIMIT 1""")).one()
    out = tmp_path / "street.html"
    result = runner.invoke(args=["report", "economy", "--street", street, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert f"{year} 年，{count} 栋楼宇" in page
    assert page.count("<tr>") == count + 1
    assert not re.search(r"""(src\s*=|<link[^>]*href\s*=|url\()\s*["']?(https?:)?//""", page)
    assert runner.invoke(args=["report", "economy", "--street", "NOPE", "-o", str(out)]).exit_code != 0
