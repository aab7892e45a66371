"""OGC API – Features at /ogc (QGIS, GDAL/OGR, OWSLib read layers here): thin views over :mod:`ogc`.

JSON or GeoJSON by default, HTML for ``f=html`` or a browser's Accept header. These responses are
OGC's own documents, so the blueprint is a plain Flask one outside our OpenAPI document; /ogc/api
describes it. Everything is public at the route level (app.auth.ROUTE_POLICY); what each viewer reads
is decided by the registry: public fields for the public, staff fields in a supervisor's grids or
everywhere for officials, complaints for staff only.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, render_template, request, url_for

from app.auth import current_viewer, note_nonpublic_read
from app.db import get_session
from app.errors import error_response
from ogc import collections as registry
from ogc import documents
from ogc.collections import Access, Collection
from ogc.cql2 import parse_text
from ogc.cql2_json import parse_json
from ogc.crs import parse_crs
from ogc.errors import Cql2Error, OgcError
from ogc.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ItemsQuery,
    extent,
    item,
    items,
    parse_bbox,
    parse_datetime,
    parse_sortby,
)

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

RESERVED = frozenset({"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "filter", "filter-lang",
                      "filter-crs", "sortby"})


@bp.errorhandler(OgcError)
def _ogc_error(exc: OgcError):
    extra = {"position": exc.position} if isinstance(exc, Cql2Error) else {}
    return error_response(exc.status, exc.code, str(exc), **extra)


@bp.get("/", strict_slashes=False)
def landing():
    return _answer(documents.landing(_base()), "ogc/landing.html", title="MarketMap OGC API – Features")


@bp.get("/conformance")
def conformance():
    return _answer({"conformsTo": list(documents.CONFORMANCE)}, "ogc/landing.html", title="Conformance",
                   conformance=documents.CONFORMANCE)


@bp.get("/api")
def api():
    access = _access()
    doc = documents.openapi(_base(), registry.visible(access), access)
    response = Response(json.dumps(doc, ensure_ascii=False))
    response.headers["Content-Type"] = documents.OPENAPI  # with version=3.0: GDAL ignores the document without it
    return response


@bp.get("/collections")
def collections():
    session, base = get_session(), _base()
    docs = [documents.collection(c, base, extent(session, c)) for c in registry.visible(_access())]
    body = {"links": [documents.link(f"{base}/collections", "self", "application/json", "图层 / collections")],
            "collections": docs}
    return _answer(body, "ogc/collections.html", title="图层 / Collections", collections=docs)


@bp.get("/collections/<cid>")
def collection(cid: str):
    found = _collection(cid)
    doc = documents.collection(found, _base(), extent(get_session(), found))
    return _answer(doc, "ogc/collections.html", title=doc["title"], collections=[doc])


@bp.get("/collections/<cid>/queryables")
def queryables(cid: str):
    doc = documents.queryables(_collection(cid), _access(), _base())
    if _wants_html():
        return render_template("ogc/landing.html", title=doc["title"], doc=doc, queryables=doc["properties"])
    return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/schema+json")


@bp.get("/collections/<cid>/items")
def features(cid: str):
    access = _access()
    found = _collection(cid)
    query = _items_query(found, access)
    page = items(get_session(), found, access=access, query=query)
    _note_reads(found, access)
    links = _page_links(query, page.number_returned)
    head = {"type": "FeatureCollection", "numberReturned": page.number_returned,
            "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "links": links}
    if page.number_matched is not None:
        head["numberMatched"] = page.number_matched
    if _wants_html():
        rows = json.loads(f"[{page.features}]")
        return render_template("ogc/items.html", title=found.title_zh, collection=found, features=rows,
                               head=head, columns=found.fields_for(access))
    text = json.dumps(head, ensure_ascii=False)[:-1] + f',"features":[{page.features}]}}'
    return Response(text, mimetype=documents.GEOJSON, headers={"Content-Crs": f"<{query.crs.uri}>"})


@bp.get("/collections/<cid>/items/<int:fid>")
def feature(cid: str, fid: int):
    access = _access()
    found = _collection(cid)
    crs = parse_crs(request.args.get("crs"))
    text = item(get_session(), found, fid, access=access, crs=crs)
    _note_reads(found, access)
    if _wants_html():
        return render_template("ogc/items.html", title=f"{found.title_zh} {fid}", collection=found,
                               features=[json.loads(text)], head={"links": []}, columns=found.fields_for(access))
    self_link = documents.link(request.base_url, "self", documents.GEOJSON, "本要素 / this feature")
    collection_link = documents.link(f"{_base()}/collections/{cid}", "collection", "application/json", cid)
    body = text[:-1] + f',"links":{json.dumps([self_link, collection_link], ensure_ascii=False)}}}'
    return Response(body, mimetype=documents.GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})


# --- helpers -----------------------------------------------------------------------------------------------

def _collection(cid: str) -> Collection:
    found = registry.get(cid)
    if found.staff_only:
        current_viewer().require("supervisor", "official", "admin")  # 401 for the public, 403 for registrars
    return found


def _access() -> Access:
    viewer = current_viewer()
    return Access(role=viewer.role, grid_codes=frozenset(viewer.grid_codes))


def _base() -> str:
    return url_for("ogc.landing", _external=True).rstrip("/")


def _wants_html() -> bool:
    f = request.args.get("f")
    if f:
        return f.lower() == "html"
    best = request.accept_mimetypes.best_match(["application/json", documents.GEOJSON, "text/html"])
    return best == "text/html"


def _answer(document: dict, template: str, **context):
    if _wants_html():
        return render_template(template, doc=document, **context)
    return Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")


def _note_reads(found: Collection, access: Access) -> None:
    if access.is_staff and found.staff_fields:
        note_nonpublic_read(f"ogc:{found.id}", None)


def _items_query(found: Collection, access: Access) -> ItemsQuery:
    args = request.args
    return ItemsQuery(
        bbox=parse_bbox(args["bbox"]) if args.get("bbox") else None,
        bbox_crs=parse_crs(args.get("bbox-crs"), parameter="bbox-crs"),
        datetime=parse_datetime(args["datetime"]) if args.get("datetime") else None,
        equals=_property_filters(found, access),
        filter=_filter(args.get("filter"), args.get("filter-lang")),
        filter_crs=parse_crs(args.get("filter-crs"), parameter="filter-crs"),
        sortby=parse_sortby(args.get("sortby", "")),
        limit=min(_integer("limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT),
        offset=_integer("offset", 0, minimum=0),
        crs=parse_crs(args.get("crs")))


def _property_filters(found: Collection, access: Access) -> dict[str, str]:
    queryable = found.queryables_for(access)
    equals = {}
    for name, value in request.args.items():
        if name in RESERVED:
            continue
        if name in queryable:
            equals[name] = value
        elif name in found.table.c:
            raise OgcError(f"不可查询的属性 / not a queryable: {name}")
    return equals


def _filter(text: str | None, lang: str | None):
    if not text:
        return None
    lang = (lang or "cql2-text").lower()
    if lang in ("cql2-text", "cql-text"):  # GDAL's OAPIF driver still names it cql-text
        return parse_text(text)
    if lang == "cql2-json":
        return parse_json(text)
    raise OgcError(f"filter-lang 应为 cql2-text 或 cql2-json / unsupported filter-lang: {lang}")


def _integer(name: str, default: int, *, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OgcError(f"{name} 应为整数 / {name} must be an integer: {raw}") from None
    if value < minimum:
        raise OgcError(f"{name} 不能小于 {minimum} / {name} must be ≥ {minimum}")
    return value


def _page_links(query: ItemsQuery, returned: int) -> list[dict]:
    def page(offset: int, **extra) -> str:
        args = {**request.args.to_dict(), "offset": str(offset), "limit": str(query.limit), **extra}
        return url_for("ogc.features", cid=request.view_args["cid"], _external=True, **args)

    links = [documents.link(page(query.offset), "self", documents.GEOJSON, "本页 / this page"),
             documents.link(page(query.offset, f="html"), "alternate", "text/html", "HTML")]
    if returned == query.limit:
        links.append(documents.link(page(query.offset + query.limit), "next", documents.GEOJSON, "下一页 / next"))
    if query.offset > 0:
        links.append(documents.link(page(max(0, query.offset - query.limit)), "prev", documents.GEOJSON,
                                    "上一页 / previous"))
    return links
