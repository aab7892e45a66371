"""The school-perimeter report: one stand-alone HTML file with the circle, the entities and a table.

folium loads Leaflet, jQuery and Bootstrap from CDNs by default; government intranets have no
internet, so the report drops those and inlines the vendored Leaflet (``static/vendor/leaflet``)
instead. Nothing in the file is fetched from anywhere: it opens from a USB stick.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import folium
from branca.element import Element
from sqlalchemy.orm import Session

from app.auth import Viewer, enterprise_view
from spatial.outline import outline
from spatial.perimeter import perimeter

LEAFLET_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "leaflet"
RISK_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#ef6c00", "D": "#c62828"}
UNRATED_COLOUR = "#607d8b"
COLUMNS = (("name", "名称"), ("category", "类别"), ("risk_class", "风险等级"), ("status", "状态"),
           ("distance_m", "距离（米）"), ("registered_address", "登记地址"), ("uscc", "统一社会信用代码"))


def perimeter_report_html(session: Session, *, poi_id: int, radius_m: float = 200.0,
                          categories: list[str] | None = None, viewer: Viewer | None = None) -> str:
    """The HTML of the perimeter report for one POI (radius in metres, WGS84 map, no tiles)."""
    found = perimeter(session, poi_id=poi_id, radius_m=radius_m, categories=categories)
    viewer = viewer or Viewer(role="official")
    entities = [enterprise_view(e, viewer) for e in found["entities"]]
    poi = found["poi"]
    fmap = _map(poi, radius_m, entities, outline(session))
    fmap.get_root().html.add_child(Element(_table(poi, radius_m, entities)))
    return fmap.get_root().render()


def _map(poi: dict, radius_m: float, entities: list[dict], background: dict) -> folium.Map:
    fmap = offline_map(location=[poi["lat"], poi["lon"]], zoom_start=17, height="62%")
    folium.GeoJson(background, name="区界", style_function=lambda _: {"color": "#90a4ae", "weight": 1,
                                                                     "fillOpacity": 0.03}).add_to(fmap)
    folium.Circle([poi["lat"], poi["lon"]], radius=radius_m, color="#1565c0", weight=2,
                  fill=True, fill_opacity=0.08, tooltip=html.escape(f"半径 {radius_m:g} 米")).add_to(fmap)
    folium.CircleMarker([poi["lat"], poi["lon"]], radius=9, color="#0d47a1", fill=True, fill_opacity=1,
                        tooltip=html.escape(poi["name"])).add_to(fmap)
    for e in entities:
        colour = RISK_COLOURS.get(e.get("risk_class") or "", UNRATED_COLOUR)
        label = f"{e['name']}（{e.get('category') or ''}，{e['distance_m']:.0f} 米）"
        folium.CircleMarker([e["lat"], e["lon"]], radius=6, color=colour, fill=True, fill_opacity=0.9,
                            tooltip=html.escape(label)).add_to(fmap)
    return fmap


def offline_map(**kwargs) -> folium.Map:
    """A folium map with no tile server and no CDN: the vendored Leaflet is inlined in the page."""
    fmap = folium.Map(tiles=None, control_scale=True, **kwargs)
    fmap.default_js, fmap.default_css = [], []
    fmap.get_root().header.add_child(Element(_inline_leaflet()), name="leaflet_inline", index=0)
    return fmap


def _inline_leaflet() -> str:
    script = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = re.sub(r"url\((images/[\w.-]+\.png)\)", _data_uri, (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8"))
    return f"<style>{css}</style>\n<script>{script}</script>\n<style>{_PAGE_CSS}</style>"


def _data_uri(match: re.Match) -> str:
    data = base64.b64encode((LEAFLET_DIR / match.group(1)).read_bytes()).decode("ascii")
    return f"url(data:image/png;base64,{data})"


def _table(poi: dict, radius_m: float, entities: list[dict]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(label)}</th>" for _, label in COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td>{esc(_cell(e.get(key)))}</td>" for key, _ in COLUMNS) + "</tr>"
                   for e in entities)
    title = f"{poi['name']} 周边 {radius_m:g} 米限制类经营主体：{len(entities)} 家"
    legend = " ".join(f'<span style="color:{c}">●</span> {k}类' for k, c in RISK_COLOURS.items())
    return (f'<section class="report"><h1>{esc(title)}</h1><p>{esc(poi.get("address_text") or "")}</p>'
            f'<p class="legend">{legend} <span style="color:{UNRATED_COLOUR}">●</span> 未分级</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>")


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


_PAGE_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0; }
.report { padding: 8px 16px; } .report h1 { font-size: 18px; margin: 8px 0; }
.report table { border-collapse: collapse; font-size: 13px; width: 100%; }
.report th, .report td { border: 1px solid #cfd8dc; padding: 3px 6px; text-align: left; }
.report th { background: #eceff1; } .legend span { font-size: 16px; }
"""
