"""Vector tiles ``/tiles/{layer}/{z}/{x}/{y}.pbf`` with ETags, and TileJSON ``/tiles/{layer}.json``."""

from __future__ import annotations

import gzip

from flask import Response, request, url_for

from app.api import Blueprint
from app.auth import Viewer, current_viewer, note_nonpublic_read
from app.db import get_reader, get_session
from app.errors import register_domain_error
from spatial.tile_layers import TileError, TileScope, get_layer
from spatial.tiles import TILE_CACHE, fetch_tile, tilejson

blp = Blueprint("tiles", __name__, url_prefix="/tiles", description="矢量瓦片 / vector tiles (Mapbox Vector Tile)")

register_domain_error(TileError, 404, "not_found")

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
GZIP_FROM_BYTES = 1024


def tile_scope(viewer: Viewer) -> TileScope:
    """Which grids' risk classes this viewer's tiles may carry (as ``viewer.sees_grid``)."""
    if viewer.role in ("official", "admin"):
        return TileScope(all_grids=True)
    if viewer.role == "supervisor":
        return TileScope(grid_codes=frozenset(viewer.grid_codes))
    return TileScope()


def _cache_headers(response: Response, etag: str, scoped: bool) -> Response:
    response.headers["ETag"] = etag
    # Revalidate every time: the ETag check is cheap and a class change must show at once.
    response.headers["Cache-Control"] = ("private" if scoped else "public") + ", no-cache"
    response.headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
    return response


@blp.route("/<string:layer>/<int:z>/<int:x>/<int:y>.pbf")
@blp.doc(summary="一个矢量瓦片 / one vector tile",
         description="XYZ tile in Web Mercator. Risk classes appear only where the viewer may see them. "
                     "Honours If-None-Match (304); empty (204) outside the layer's zoom range.")
def tile(layer: str, z: int, x: int, y: int):
    spec = get_layer(layer)
    scope = tile_scope(current_viewer())
    reader, shared = get_reader()  # committed data only: the process-wide tile cache may hold it
    fetched = fetch_tile(reader, layer=layer, z=z, x=x, y=y, scope=scope, if_none_match=request.if_none_match,
                         cache=TILE_CACHE if shared else None)
    if fetched.data is None:
        return _cache_headers(Response(status=304), fetched.etag, spec.scoped)
    if not fetched.data:
        return _cache_headers(Response(status=204), fetched.etag, spec.scoped)
    if spec.scoped and scope.key != "public":
        note_nonpublic_read("tile", f"{layer}/{z}/{x}/{y}")  # risk classes went out: one audit entry
    response = Response(fetched.data, mimetype=MVT_MEDIA_TYPE)
    if len(fetched.data) >= GZIP_FROM_BYTES and "gzip" in request.accept_encodings:
        response.set_data(gzip.compress(fetched.data, compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
    return _cache_headers(response, fetched.etag, spec.scoped)


@blp.route("/<string:layer>.json")
@blp.doc(summary="图层的 TileJSON / TileJSON for a layer")
def layer_tilejson(layer: str):
    get_layer(layer)
    template = url_for("tiles.tile", layer=layer, z=0, x=0, y=0, _external=True).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")
    return tilejson(get_session(), layer=layer, tiles_url=template)
