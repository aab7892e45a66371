"""``marketmap report economy --street CODE -o street.html``: a street's building economy, offline HTML.

Buildings of the street coloured by tax in quantile classes (folium, Leaflet inlined, no tiles),
with the street outline and a ranking table for the latest year and its growth.
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

import economy
from app.db import get_session
from app.reports.cli import report_group
from app.reports.perimeter import offline_map
from economy.choropleth import PALETTE, classify, quantile_breaks

_STREET = text("""
SELECT g.code, g.name, ST_AsGeoJSON(g.geom, 6) AS geojson
FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
WHERE g.code = :code AND g.level = 'street'""")
_BUILDINGS = text("""
SELECT eb.building_id, eb.name, eb.floors, eb.output_value_10k, eb.tax_10k, eb.employment, eb.entity_count,
       eb.prev_tax_10k, ST_AsGeoJSON(b.footprint, 6) AS footprint, ST_Y(b.geom) AS lat, ST_X(b.geom) AS lon
FROM economy_building eb JOIN building b ON b.id = eb.building_id
WHERE eb.street_code = :code AND eb.year = :year ORDER BY eb.tax_10k DESC NULLS LAST, eb.building_id""")


class StreetNotFound(LookupError):
    """No street of the active grid version has this code."""


def economy_report_html(session: Session, *, street_code: str, year: int | None = None) -> str:
    """The HTML of the building-economy report of one street (amounts in 万元)."""
    street = session.execute(_STREET, {"code": street_code}).mappings().first()
    if street is None:
        raise StreetNotFound(f"启用版本中没有街道 {street_code} / no street {street_code} in the active version")
    year = year or economy.summary(session, by="street", limit=1)["year"]
    buildings = [dict(r) for r in session.execute(_BUILDINGS, {"code": street_code, "year": year}).mappings()]
    breaks = quantile_breaks([float(b["tax_10k"]) for b in buildings if b["tax_10k"] is not None], 5)
    fmap = _map(json.loads(street["geojson"]), buildings, breaks)
    fmap.get_root().html.add_child(Element(_table(street, year, buildings, breaks)))
    return fmap.get_root().render()


def _colour(value, breaks: list[float]) -> str:
    index = classify(None if value is None else float(value), breaks)
    return "#cccccc" if index is None else PALETTE[index]


def _map(outline: dict, buildings: list[dict], breaks: list[float]) -> folium.Map:
    fmap = offline_map(height="60%")
    shape = folium.GeoJson(outline, style_function=lambda _: {"color": "#6b5b3e", "weight": 2, "fillOpacity": 0.03})
    shape.add_to(fmap)
    for b in buildings:
        colour = _colour(b["tax_10k"], breaks)
        folium.GeoJson(json.loads(b["footprint"]), tooltip=html.escape(f"{b['name'] or '楼宇'}：税收 {b['tax_10k']} 万元"),
                       style_function=lambda _, c=colour: {"color": "#555", "weight": 0.5, "fillColor": c,
                                                           "fillOpacity": 0.9}).add_to(fmap)
    fmap.fit_bounds(shape.get_bounds())
    return fmap


def _table(street: dict, year: int, buildings: list[dict], breaks: list[float]) -> str:
    esc = html.escape
    legend = " ".join(f'<span style="background:{PALETTE[i]}">&nbsp;&nbsp;</span> {breaks[i]:g}–{breaks[i + 1]:g}'
                      for i in range(len(breaks) - 1))
    rows = "".join(
        f"<tr><td>{i}</td><td>{esc(b['name'] or '')}</td><td>{b['floors'] or ''}</td><td>{b['output_value_10k']}</td>"
        f"<td>{b['tax_10k']}</td><td>{_growth(b)}</td><td>{b['employment']}</td><td>{b['entity_count']}</td></tr>"
        for i, b in enumerate(buildings, start=1))
    total = sum(float(b["tax_10k"] or 0) for b in buildings)
    title = f"楼宇经济报告：{street['name']}（{street['code']}），{year} 年，{len(buildings)} 栋楼宇，税收合计 {total:,.1f} 万元"
    return (f'<section class="report"><h1>{esc(title)}</h1><p class="legend">税收（万元）：{legend}</p>'
            "<table><thead><tr><th>#</th><th>楼宇</th><th>层数</th><th>产值（万元）</th><th>税收（万元）</th>"
            f"<th>税收增长</th><th>从业人数</th><th>主体数</th></tr></thead><tbody>{rows}</tbody></table></section>")


def _growth(b: dict) -> str:
    if not b["prev_tax_10k"] or b["tax_10k"] is None:
        return "—"
    return f"{(float(b['tax_10k']) - float(b['prev_tax_10k'])) / float(b['prev_tax_10k']) * 100:.1f}%"


@report_group.command("economy")
@click.option("--street", "street_code", required=True, help="Street (街道/镇) code of the active grid version.")
@click.option("--year", type=int, default=None, help="Year (default: the latest with figures).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def economy_command(street_code: str, year: int | None, output: Path) -> None:
    """Building-economy report for one street: map and ranking in one offline HTML file."""
    try:
        page = economy_report_html(get_session(), street_code=street_code, year=year)
    except StreetNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_text(page, encoding="utf-8")
    click.echo(f"wrote {output} ({len(page) // 1024} KiB)")


commands: list = []  # importing this module adds ``economy`` to ``report_group`` (registered by app.cli)
