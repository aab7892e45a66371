"""The JSON documents of the service itself: conformance, landing page, collection metadata,
queryables (JSON Schema) and the OpenAPI 3.0 description of /ogc. Pure: URLs come in as ``base``."""

from __future__ import annotations

from ogc.collections import Access, Collection
from ogc.crs import STORAGE, SUPPORTED
from ogc.query import DEFAULT_LIMIT, MAX_LIMIT

_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_F2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/"
_F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
CONFORMANCE = (
    _F1 + "core", _F1 + "oas30", _F1 + "html", _F1 + "geojson",
    _F2 + "crs",
    _F3 + "queryables", _F3 + "queryables-query-parameters", _F3 + "filter", _F3 + "features-filter",
    _CQL2 + "cql2-text", _CQL2 + "cql2-json", _CQL2 + "basic-cql2", _CQL2 + "advanced-comparison-operators",
    _CQL2 + "basic-spatial-functions", _CQL2 + "basic-spatial-functions-plus", _CQL2 + "spatial-functions",
)
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
_GEOMETRY_FORMAT = {"point": "geometry-point", "polygon": "geometry-polygon", "multipolygon": "geometry-multipolygon"}


def link(href: str, rel: str, type_: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def landing(base: str) -> dict:
    return {
        "title": "MarketMap 市场监管空间数据 OGC API – Features",
        "description": "市场主体、监管网格、楼宇、敏感场所、特殊区域（及仅限监管人员的投诉）图层 / "
                       "market entities, grids, buildings, POIs, zones (and staff-only complaints)",
        "links": [
            link(f"{base}/", "self", "application/json", "本页 / this document"),
            link(f"{base}/?f=html", "alternate", "text/html", "本页 HTML / this document as HTML"),
            link(f"{base}/api", "service-desc", OPENAPI, "OpenAPI 3.0 定义 / API definition"),
            link(f"{base}/conformance", "conformance", "application/json", "符合的标准类 / conformance classes"),
            link(f"{base}/collections", "data", "application/json", "图层 / collections"),
        ],
    }


def collection(c: Collection, base: str, bbox: list[float] | None) -> dict:
    href = f"{base}/collections/{c.id}"
    doc = {
        "id": c.id, "title": f"{c.title_zh} / {c.title_en}", "itemType": "feature",
        "links": [
            link(href, "self", "application/json", "本图层 / this collection"),
            link(f"{href}?f=html", "alternate", "text/html", "HTML"),
            link(f"{href}/items", "items", GEOJSON, "要素 / items"),
            link(f"{href}/items?f=html", "items", "text/html", "要素 HTML / items as HTML"),
            link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                 "可查询属性 / queryables"),
        ],
        "crs": [crs.uri for crs in SUPPORTED], "storageCrs": STORAGE.uri,
    }
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": STORAGE.uri}}
    return doc


def queryables(c: Collection, access: Access, base: str) -> dict:
    properties = {"geometry": {"format": _GEOMETRY_FORMAT[c.geometry_type], "x-ogc-role": "primary-geometry"}}
    for name, kind in c.queryables_for(access).items():
        properties[name] = ({"type": "string", "format": kind} if kind in ("date", "date-time")
                            else {"type": kind})
        properties[name]["title"] = name
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{base}/collections/{c.id}/queryables",
            "type": "object", "title": f"{c.title_zh} / {c.title_en}", "properties": properties,
            "additionalProperties": False}


def openapi(base: str, collections: list[Collection], access: Access) -> dict:
    """A hand-written OpenAPI 3.0 document: these responses are OGC's, not our JSON API's.

    Each collection's items path also lists its queryables as query parameters and ``cql-text`` among
    the filter languages: GDAL's OAPIF driver (3.12) reads exactly these to decide which parts of an
    OGR attribute filter it sends to the server (property=value, or filter=…&filter-lang=cql-text, which
    we read as CQL2 text); without them it filters on the client after downloading everything."""
    collection_ids = [c.id for c in collections]
    def param(name, description, schema, where="query", required=False):
        return {"name": name, "in": where, "required": required, "description": description, "schema": schema}

    items_params = [
        param("collectionId", "图层 / collection", {"type": "string", "enum": collection_ids}, "path", True),
        param("bbox", "minx,miny,maxx,maxy (bbox-crs)", {"type": "array", "items": {"type": "number"},
                                                          "minItems": 4, "maxItems": 6}),
        param("bbox-crs", "CRS of bbox", {"type": "string", "enum": [c.uri for c in SUPPORTED]}),
        param("crs", "CRS of the response", {"type": "string", "enum": [c.uri for c in SUPPORTED]}),
        param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        param("offset", "first item (0-based)", {"type": "integer", "minimum": 0, "default": 0}),
        param("datetime", "RFC 3339 instant or interval", {"type": "string"}),
        param("filter", "CQL2 filter", {"type": "string"}),
        param("filter-lang", "cql2-text (default) or cql2-json; cql-text is read as cql2-text",
              {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"]}),
        param("filter-crs", "CRS of geometries in filter", {"type": "string", "enum": [c.uri for c in SUPPORTED]}),
        param("sortby", "name,-other", {"type": "string"}),
    ]
    ok = {"200": {"description": "OK"}, "400": {"description": "bad request"}, "404": {"description": "not found"}}
    paths = {
        "/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "responses": ok}},
        "/conformance": {"get": {"summary": "conformance classes", "operationId": "getConformance", "responses": ok}},
        "/collections": {"get": {"summary": "collections", "operationId": "getCollections", "responses": ok}},
        "/collections/{collectionId}": {"get": {"summary": "one collection", "operationId": "describeCollection",
                                                "parameters": items_params[:1], "responses": ok}},
        "/collections/{collectionId}/queryables": {"get": {"summary": "queryables", "operationId": "getQueryables",
                                                           "parameters": items_params[:1], "responses": ok}},
        "/collections/{collectionId}/items": {"get": {"summary": "features", "operationId": "getFeatures",
                                                      "parameters": items_params, "responses": ok}},
        "/collections/{collectionId}/items/{featureId}": {"get": {
            "summary": "one feature", "operationId": "getFeature", "responses": ok,
            "parameters": [items_params[0], param("featureId", "id", {"type": "integer"}, "path", True),
                           items_params[3]]}},
    }
    for c in collections:
        own = [param(name, f"{name} = value", {"type": "string"} if kind in ("date", "date-time") else
                     {"type": kind}) for name, kind in c.queryables_for(access).items()]
        paths[f"/collections/{c.id}/items"] = {"get": {
            "summary": f"{c.title_zh} / {c.title_en}", "operationId": f"getFeatures_{c.id}", "responses": ok,
            "parameters": items_params[1:] + own}}
    return {"openapi": "3.0.3", "info": {"title": "MarketMap OGC API – Features", "version": "1.0"},
            "servers": [{"url": base}], "paths": paths}
