"""Vector tile layers: which exist and what they carry, who may see their risk data, and their ETags.

ETags come from ``data_version`` rows, which imports, classification and grid activation bump, so
a changed class always yields a new ETag and never a stale colour (``spatial.tiles`` builds tiles).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

TILE_FORMAT = "1"  # bump when a layer's attributes change, so old ETags stop matching
EXTENT = 4096
BUFFER = 64
POINTS_FROM_ZOOM = 15  # below this, ``enterprises`` is aggregated per grid
MAX_ZOOM = 22


class TileError(ValueError):
    """A tile request the caller got wrong (unknown layer, impossible coordinates)."""


@dataclass(frozen=True)
class TileScope:
    """Whose risk data a tile may carry: everything, some grids, or nothing (the public)."""

    all_grids: bool = False
    grid_codes: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        if self.all_grids:
            return "all"
        if not self.grid_codes:
            return "public"
        return "g" + hashlib.sha1("|".join(sorted(self.grid_codes)).encode()).hexdigest()[:12]


PUBLIC_SCOPE = TileScope()


@dataclass(frozen=True)
class Layer:
    name: str
    minzoom: int
    maxzoom: int
    max_features: int
    depends_on: tuple[str, ...]  # data_version layers
    fields: dict[str, str]
    description: str
    scoped: bool = False  # carries risk data that depends on the viewer


_COUNT_FIELDS = {"n": "Number", "n_a": "Number", "n_b": "Number", "n_c": "Number", "n_d": "Number"}
LAYERS = {layer.name: layer for layer in (
    Layer("enterprises", 8, 16, 20000, ("enterprises", "grids"),
          {"uscc": "String", "name": "String", "industry": "String", "industry_label": "String", "status": "String",
           "grid": "String", "risk_class": "String", "aggregate": "Boolean", **_COUNT_FIELDS},
          "市场主体（z15 起为点，低缩放级别按网格汇总）", scoped=True),
    Layer("grids", 8, 16, 6000, ("grids", "enterprises"),
          {"code": "String", "name": "String", "level": "String", "parent": "String", **_COUNT_FIELDS},
          "监管网格（启用版本）及各风险类别主体数", scoped=True),
    Layer("buildings", 14, 16, 10000, ("buildings",),
          {"name": "String", "use": "String", "floors": "Number", "height_m": "Number", "year": "Number",
           "output_value_10k": "Number", "employment": "Number", "tax_10k": "Number", "entity_count": "Number"},
          "建筑物轮廓及楼宇经济概况"),
    Layer("pois", 12, 16, 5000, ("pois",), {"kind": "String", "name": "String"}, "学校、医院等敏感场所"),
    Layer("roads", 10, 16, 10000, ("roads",), {"name": "String", "kind": "String"}, "道路"),
    Layer("streets", 6, 16, 500, ("streets", "grids"), {"code": "String", "name": "String"}, "街道/镇界"),
)}


def get_layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        raise TileError(f"未知图层 / unknown layer {name!r}; layers: {', '.join(LAYERS)}") from None


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise TileError(f"瓦片坐标无效 / no tile {z}/{x}/{y}")


# ---------------------------------------------------------------- versions and ETags


def layer_versions(session: Session | Connection, layer: Layer) -> tuple[int, ...]:
    rows = dict(session.execute(text("SELECT layer, version FROM data_version WHERE layer = ANY(:layers)"),
                                {"layers": list(layer.depends_on)}).all())
    return tuple(int(rows.get(name, 0)) for name in layer.depends_on)


def etag_for(layer: Layer, scope: TileScope, versions: str) -> str:
    """The ETag of every tile of ``layer`` at ``versions`` ("3.7", one number per ``depends_on``), as ``scope`` sees it."""
    scope_key = scope.key if layer.scoped else "-"
    return f'"{layer.name}-{TILE_FORMAT}-{versions}-{scope_key}"'


def tile_etag(session: Session | Connection, layer: Layer, scope: TileScope) -> str:
    """An ETag for every tile of ``layer`` at the current data versions, as this scope sees them."""
    return etag_for(layer, scope, ".".join(map(str, layer_versions(session, layer))))


def versions_in_etags(layer: Layer, scope: TileScope, etags) -> list[str]:
    """The data versions named by those of ``etags`` (an If-None-Match) that this layer and scope would send."""
    head, tail = f"{layer.name}-{TILE_FORMAT}-", "-" + (scope.key if layer.scoped else "-")
    return [tag[len(head):-len(tail)] for tag in etags
            if tag.startswith(head) and tag.endswith(tail) and len(tag) > len(head) + len(tail)]
