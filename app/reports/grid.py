"""``marketmap report grid CODE -o grid.html``: one grid's risk report (map plus table), offline HTML.

The map is folium with the vendored Leaflet inlined (no CDN, no tile server), the grid outline
and every entity coloured by its risk class; the table lists class, reasons and status. The
report is for staff: it contains non-public supervision data (risk classes and reasons).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import click
import folium
from branca.element import Element
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import get_session
from app.reports.cli import report_group
from app.reports.perimeter import offline_map
from supervision.risk import CLASS_INFO, CLASSES

UNRATED = "#8c8c8c"

_GRID = text("""
SELECT g.code, g.name, g.level, ST_AsGeoJSON(g.geom, 6) AS geojson
FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active' WHERE g.code = :code""")
_ENTITIES = text("""
SELECT uscc, name, industry_label, status, risk_class, risk_reasons, ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM enterprise WHERE grid_code = :code AND geom IS NOT NULL
ORDER BY CASE risk_class WHEN 'D' THEN 0 WHEN 'C' THEN 1 WHEN 'B' THEN 2 WHEN 'A' THEN 3 ELSE 4 END, name""")


class GridNotFound(LookupError):
    """No grid of the active version has this code."""


def grid_report_html(session: Session, *, code: str) -> str:
    """The HTML of the risk report for grid ``code`` of the active version."""
    grid = session.execute(_GRID, {"code": code}).mappings().first()
    if grid is None:
        raise GridNotFound(f"启用版本中没有网格 {code} / no grid {code} in the active version")
    entities = [dict(r) for r in session.execute(_ENTITIES, {"code": code}).mappings()]
    fmap = _map(json.loads(grid["geojson"]), entities)
    fmap.get_root().html.add_child(Element(_table(grid, entities)))
    return fmap.get_root().render()


def _map(outline: dict, entities: list[dict]) -> folium.Map:
    fmap = offline_map(height="60%")
    shape = folium.GeoJson(outline, style_function=lambda _: {"color": "#4a6fa5", "weight": 2, "fillOpacity": 0.04})
    shape.add_to(fmap)
    for e in entities:
        colour = CLASS_INFO[e["risk_class"]][2] if e["risk_class"] in CLASS_INFO else UNRATED
        folium.CircleMarker([e["lat"], e["lon"]], radius=5, color=colour, fill=True, fill_opacity=0.9, weight=1,
                            tooltip=html.escape(f"{e['name']}（{e['risk_class'] or '未分级'}）")).add_to(fmap)
    fmap.fit_bounds(shape.get_bounds())
    return fmap


def _table(grid: dict, entities: list[dict]) -> str:
    esc = html.escape
    counts = {c: sum(1 for e in entities if e["risk_class"] == c) for c in CLASSES}
    legend = " ".join(f'<span style="color:{CLASS_INFO[c][2]}">●</span> {c} {esc(CLASS_INFO[c][0])}：{counts[c]}'
                      for c in CLASSES)
    rows = "".join(
        f"<tr><td>{esc(e['risk_class'] or '')}</td><td>{esc(e['name'])}</td><td>{esc(e['uscc'])}</td>"
        f"<td>{esc(e['industry_label'] or '')}</td><td>{esc(e['status'])}</td>"
        f"<td>{esc('；'.join(r['text'] for r in e['risk_reasons'] or []))}</td></tr>" for e in entities)
    title = f"网格风险报告：{grid['name']}（{grid['code']}），共 {len(entities)} 户"
    return (f'<section class="report"><h1>{esc(title)}</h1><p class="legend">{legend}</p>'
            "<table><thead><tr><th>类别</th><th>名称</th><th>统一社会信用代码</th><th>行业</th><th>状态</th>"
            f"<th>原因</th></tr></thead><tbody>{rows}</tbody></table>"
            "<p>含非公开监管信息，仅供监管人员使用。</p></section>")


@report_group.command("grid")
@click.argument("code")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def grid_command(code: str, output: Path) -> None:
    """Risk report for one grid: map and table in one offline HTML file."""
    try:
        page = grid_report_html(get_session(), code=code)
    except GridNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_text(page, encoding="utf-8")
    click.echo(f"wrote {output} ({len(page) // 1024} KiB)")


commands: list = []  # importing this module adds ``grid`` to ``report_group`` (registered by app.reports.cli)
