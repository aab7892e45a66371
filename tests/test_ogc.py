"""OGC API – Features at /ogc through the Flask client: documents, items and their filters (counts equal
SQL counts on the demo district), CRS and axis order, paging, HTML, and who sees what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app import accounts
from ogc.documents import CONFORMANCE

BBOX = (106.5, 29.6, 106.6, 29.7)
ENVELOPE = "ST_MakeEnvelope(106.5, 29.6, 106.6, 29.7, 4326)"


def sql_count(session, sql: str, **params) -> int:
    return session.execute(text(sql), params).scalar()


def fetch_all(client, url: str, headers=None) -> list[dict]:
    """Follow next links to the end; returns every feature."""
    features = []
    while url:
        body = client.get(url, headers=headers).get_json()
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        url = url and url.replace("http://localhost", "")
    return features


@pytest.fixture
def bearer(session):
    """Authorization headers for a new user of this role (and grids)."""
    def make(role: str, grids=()):
        user = accounts.create_user(session, username=f"ogc_{role}", password="correct horse battery", role=role,
                                    grid_codes=list(grids), actor="test")
        session.flush()
        _, secret = accounts.create_token(session, user, name="qgis")
        session.flush()
        return {"Authorization": f"Bearer {secret}"}
    return make


def test_landing_conformance_and_api(client):
    landing = client.get("/ogc/").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conforms = client.get("/ogc/conformance").get_json()["conformsTo"]
    for needed in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                   "ogcapi-features-1/1.0/conf/html", "ogcapi-features-2/1.0/conf/crs",
                   "ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
                   "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2"):
        assert any(uri.endswith(needed) for uri in conforms), needed
    assert conforms == list(CONFORMANCE)
    api = client.get("/ogc/api")
    assert api.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert "/collections/enterprises/items" in api.get_json()["paths"]


def test_collections_hide_complaints_from_the_public(client, bearer, session):
    public = [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]]
    assert public == ["enterprises", "grids", "buildings", "pois", "zones"]
    staff = client.get("/ogc/collections", headers=bearer("official")).get_json()["collections"]
    assert "complaints" in [c["id"] for c in staff]
    one = client.get("/ogc/collections/enterprises").get_json()
    # the extent may be estimated from the planner's statistics: it must cover the data, not equal it
    true = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                                "FROM (SELECT ST_Extent(geom) AS e FROM enterprise) x")).one()
    x0, y0, x1, y1 = one["extent"]["spatial"]["bbox"][0]
    assert x0 <= true[0] + 1e-3 and y0 <= true[1] + 1e-3 and x1 >= true[2] - 1e-3 and y1 >= true[3] - 1e-3
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in one["crs"]
    assert client.get("/ogc/collections/nothing").status_code == 404
    assert client.get("/ogc/collections/complaints/items").status_code == 401


def test_bbox_and_property_filter_counts_equal_sql(client, session):
    bbox = ",".join(map(str, BBOX))
    features = fetch_all(client, f"/ogc/collections/enterprises/items?bbox={bbox}&status=存续&limit=500")
    expected = sql_count(session, f"SELECT count(*) FROM enterprise WHERE status = '存续' AND ST_Intersects(geom, {ENVELOPE})")
    assert expected > 0 and len(features) == expected
    assert len({f["id"] for f in features}) == expected
    first = client.get(f"/ogc/collections/enterprises/items?bbox={bbox}&status=存续&limit=5").get_json()
    assert first["numberMatched"] == expected and first["numberReturned"] == 5


@pytest.mark.parametrize("collection, cql, sql", [
    ("enterprises", "status = '存续' AND established_on >= DATE('2015-01-01')",
     "SELECT count(*) FROM enterprise WHERE status = '存续' AND established_on >= '2015-01-01'"),
    ("buildings", "floors > 10 AND S_INTERSECTS(geometry, BBOX(106.5, 29.6, 106.6, 29.7))",
     f"SELECT count(*) FROM building WHERE floors > 10 AND ST_Intersects(footprint, {ENVELOPE})"),
    ("pois", "kind IN ('school', 'kindergarten') AND name LIKE '%学%'",
     "SELECT count(*) FROM poi WHERE kind IN ('school', 'kindergarten') AND name LIKE '%学%'"),
    ("grids", "level = 'grid' AND NOT (area_m2 BETWEEN 0 AND 100000)",
     "SELECT count(*) FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active' "
     "WHERE level = 'grid' AND NOT (area_m2 BETWEEN 0 AND 100000)"),
])
def test_cql2_text_and_json_filters_equal_sql(client, session, collection, cql, sql):
    expected = sql_count(session, sql)
    body = client.get(f"/ogc/collections/{collection}/items", query_string={"filter": cql, "limit": 1}).get_json()
    assert body["numberMatched"] == expected


def test_cql2_json_and_dwithin_in_metres(client, session):
    # 1 km around a point on the ellipsoid, as the radius search measures it
    expected = sql_count(session, "SELECT count(*) FROM enterprise WHERE ST_DWithin(geom::geography, "
                                  "ST_SetSRID(ST_MakePoint(106.55, 29.65), 4326)::geography, 1000)")
    as_text = client.get("/ogc/collections/enterprises/items", query_string={
        "filter": "S_DWITHIN(geometry, POINT(106.55 29.65), 1000, meters)", "limit": 1}).get_json()
    as_json = client.get("/ogc/collections/enterprises/items", query_string={"filter-lang": "cql2-json", "limit": 1,
        "filter": json.dumps({"op": "s_dwithin", "args": [{"property": "geometry"},
                                                          {"type": "Point", "coordinates": [106.55, 29.65]}, 1000]})})
    assert expected > 0
    assert as_text["numberMatched"] == as_json.get_json()["numberMatched"] == expected


def test_cql2_errors_are_400_with_the_position(client):
    cut_short = "status = '存续' AND floors >"
    bad = client.get("/ogc/collections/enterprises/items", query_string={"filter": cut_short})
    assert bad.status_code == 400
    body = bad.get_json()
    assert body["error"] == "invalid_filter" and body["position"] == len(cut_short)  # where a value was due
    hidden = client.get("/ogc/collections/enterprises/items", query_string={"filter": "risk_class = 'A'"})
    assert hidden.status_code == 400 and hidden.get_json()["position"] == 0
    assert client.get("/ogc/collections/enterprises/items?risk_class=A").status_code == 400
    assert client.get("/ogc/collections/enterprises/items?sortby=risk_class").status_code == 400
    mixed = client.get("/ogc/collections/buildings/items", query_string={"filter": "floors = 'ten'"})
    assert mixed.status_code == 400 and mixed.get_json()["position"] == 9


def test_paging_neither_repeats_nor_loses(client, session):
    features = fetch_all(client, "/ogc/collections/pois/items?limit=7&sortby=-kind")
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == sql_count(session, "SELECT count(*) FROM poi")
    second = client.get("/ogc/collections/pois/items?limit=7&offset=7").get_json()
    assert {"next", "prev", "self", "alternate"} <= {link["rel"] for link in second["links"]}


def test_crs_axis_order_and_bbox_crs(client, session):
    crs84 = client.get("/ogc/collections/pois/items?limit=1").get_json()["features"][0]
    lon, lat = crs84["geometry"]["coordinates"]
    fid = crs84["id"]
    for uri in ("http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4490"):
        response = client.get(f"/ogc/collections/pois/items/{fid}?crs={uri}")
        assert response.headers["Content-Crs"] == f"<{uri}>"
        assert response.get_json()["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-6)
    x, y = client.get(f"/ogc/collections/pois/items/{fid}?crs=http://www.opengis.net/def/crs/EPSG/0/3857")\
        .get_json()["geometry"]["coordinates"]
    assert x == pytest.approx(lon * 20037508.34 / 180, abs=1) and y > 3e6
    lat_lon_bbox = f"{BBOX[1]},{BBOX[0]},{BBOX[3]},{BBOX[2]}"
    by_epsg = client.get(f"/ogc/collections/enterprises/items?limit=1&bbox={lat_lon_bbox}"
                         "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326").get_json()
    by_crs84 = client.get(f"/ogc/collections/enterprises/items?limit=1&bbox={','.join(map(str, BBOX))}").get_json()
    assert by_epsg["numberMatched"] == by_crs84["numberMatched"] > 0
    assert client.get("/ogc/collections/pois/items?crs=EPSG:9999").status_code == 400


def test_datetime_on_the_temporal_column(client, session):
    expected = sql_count(session, "SELECT count(*) FROM enterprise WHERE established_on BETWEEN '2010-01-01' AND '2015-12-31'")
    body = client.get("/ogc/collections/enterprises/items?limit=1&datetime=2010-01-01/2015-12-31").get_json()
    assert body["numberMatched"] == expected
    assert client.get("/ogc/collections/enterprises/items?datetime=yesterday").status_code == 400


def test_fields_per_viewer(client, session, bearer):
    grid = session.execute(text("SELECT grid_code FROM enterprise WHERE grid_code IS NOT NULL LIMIT 1")).scalar()
    public = client.get("/ogc/collections/enterprises/items?limit=50").get_json()["features"]
    assert all("risk_class" not in f["properties"] and "legal_rep" not in f["properties"] for f in public)
    official = client.get("/ogc/collections/enterprises/items?limit=5&filter=risk_class IS NOT NULL OR "
                          "risk_class IS NULL", headers=bearer("official")).get_json()["features"]
    assert all("risk_class" in f["properties"] for f in official)
    supervisor = bearer("supervisor", grids=[grid])
    mine = fetch_all(client, f"/ogc/collections/enterprises/items?limit=500&grid_code={grid}", supervisor)
    others = client.get("/ogc/collections/enterprises/items?limit=20", headers=supervisor).get_json()["features"]
    assert mine and all("risk_class" in f["properties"] for f in mine)
    assert all(("risk_class" in f["properties"]) == (f["properties"]["grid_code"] == grid) for f in others)
    complaints = fetch_all(client, "/ogc/collections/complaints/items?limit=1000", supervisor)
    assert len(complaints) == sql_count(session, "SELECT count(*) FROM complaint WHERE grid_code = :g", g=grid)
    assert all("complainant_phone" not in f["properties"] for f in complaints)


def test_html_is_escaped(client, session):
    fid = session.execute(text("UPDATE building SET name = '<script>alert(1)</script>' "
                               "WHERE id = (SELECT min(id) FROM building) RETURNING id")).scalar()
    page = client.get(f"/ogc/collections/buildings/items/{fid}", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    for path in ("/ogc/?f=html", "/ogc/collections?f=html", "/ogc/conformance?f=html",
                 "/ogc/collections/enterprises/queryables?f=html", "/ogc/collections/enterprises/items?f=html"):
        assert client.get(path).status_code == 200, path
    queryables = client.get("/ogc/collections/enterprises/queryables")
    assert queryables.mimetype == "application/schema+json"
    assert "risk_class" not in queryables.get_json()["properties"]
    assert client.get("/ogc/collections/buildings/items/999999999").status_code == 404
