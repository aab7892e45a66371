"""Vector tiles: decoded with mapbox_vector_tile and checked against SQL; viewer scopes; ETags and 304s."""

from __future__ import annotations

import datetime as dt
import gzip
import math

import mapbox_vector_tile
import pytest
from flask import g, request
from sqlalchemy import text

from app import create_app
from app.auth import Viewer
from spatial.tile_counts import GRID_COUNTS
from spatial.tile_layers import PUBLIC_SCOPE, TileScope
from spatial.tiles import TileCache, fetch_tile, render_tile
from supervision.classify import bump_data_versions, classify_entities

TODAY = dt.date(2026, 6, 15)
Z15 = (15, 8 * 2842 + 3, 8 * 1690 + 3)  # a z15 tile well inside z12 tile 2842/1690 (near 69.8°E, 30.0°N)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    def lon(xx):
        return xx / 2 ** z * 360 - 180

    def lat(yy):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / 2 ** z))))
    return lon(x), lat(y + 1), lon(x + 1), lat(y)


W, S, E, N = tile_bounds(*Z15)
CX, CY = (W + E) / 2, (S + N) / 2


def box(x0, y0, x1, y1) -> str:
    return f"SRID=4326;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


@pytest.fixture
def area(session):
    GRID_COUNTS.clear()
    return build_area(session)


def build_area(session) -> list[int]:
    """A street → community → two grids far from the demo district, 40 entities of all four classes."""
    vid = session.execute(text("INSERT INTO grid_version (name, status) VALUES ('tiles-test', 'active') RETURNING id")).scalar()
    grids = [("TT01", "测试街道", "street", None, box(CX - 0.01, CY - 0.01, CX + 0.01, CY + 0.01)),
             ("TT0101", "测试社区", "community", "TT01", box(CX - 0.01, CY - 0.01, CX + 0.01, CY + 0.01)),
             ("TT0101-01", "西网格", "grid", "TT0101", box(CX - 0.01, CY - 0.01, CX, CY + 0.01)),
             ("TT0101-02", "东网格", "grid", "TT0101", box(CX, CY - 0.01, CX + 0.01, CY + 0.01))]
    for code, name, level, parent, geom in grids:
        session.execute(text("INSERT INTO grid (version_id, code, name, level, parent_code, geom) "
                             "VALUES (:v, :c, :n, :l, :p, ST_GeomFromEWKT(:g))"),
                        {"v": vid, "c": code, "n": name, "l": level, "p": parent, "g": geom})
    ids = []
    for i in range(40):
        lon, lat = CX + (i % 8 - 3.5) * 0.0006, CY + (i // 8 - 2) * 0.0006
        grid = "TT0101-01" if lon < CX else "TT0101-02"
        ids.append(session.execute(text(
            "INSERT INTO enterprise (uscc, name, status, industry_code, industry_label, grid_code, geom) VALUES "
            "(:u, :n, '存续', '6513', '应用软件开发', :g, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
            {"u": f"91TILETEST{i:08d}", "n": f"瓦片<测试>企业{i}", "g": grid, "x": lon, "y": lat}).scalar())
    for i, eid in enumerate(ids):
        kind = {1: "penalty", 2: "court_dishonest", 3: "blacklist"}.get(i % 4)
        if kind:
            session.execute(text("INSERT INTO credit_record (enterprise_id, kind, decided_on, amount_yuan) "
                                 "VALUES (:e, :k, :d, 1000)"), {"e": eid, "k": kind, "d": TODAY - dt.timedelta(days=9)})
    session.execute(text("INSERT INTO building (name, floors, height_m, use, footprint, geom) VALUES "
                         "('测试大厦', 20, 66.0, 'office', ST_Envelope(ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 0.0002)), "
                         "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"x": CX + 0.001, "y": CY})
    session.execute(text("INSERT INTO poi (kind, name, geom) VALUES ('school', '测试小学', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                    {"x": CX - 0.001, "y": CY + 0.001})
    session.execute(text("INSERT INTO road (name, kind, geom) VALUES ('测试路', '路', ST_SetSRID(ST_MakeLine("
                         "ST_MakePoint(:x0, :y), ST_MakePoint(:x1, :y)), 4326))"), {"x0": W, "x1": E, "y": CY})
    classify_entities(session, today=TODAY, enterprise_ids=ids)
    return ids


def decode(data: bytes, layer: str) -> list[dict]:
    return [f["properties"] for f in mapbox_vector_tile.decode(data).get(layer, {}).get("features", [])]


def sql_classes(session, grid_code: str | None = None) -> dict[str, str]:
    rows = session.execute(text("SELECT uscc, risk_class FROM enterprise WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) "
                                "AND (CAST(:g AS text) IS NULL OR grid_code = :g)"),
                           {"w": W, "s": S, "e": E, "n": N, "g": grid_code}).all()
    return dict(rows)


def test_points_carry_classes_for_officials_only(session, area):
    official = decode(render_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2],
                                  scope=TileScope(all_grids=True)), "enterprises")
    assert {p["uscc"]: p["risk_class"] for p in official} == sql_classes(session)
    assert {p["risk_class"] for p in official} == {"A", "B", "C", "D"}
    public = decode(render_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], scope=PUBLIC_SCOPE), "enterprises")
    assert len(public) == len(official) and not any("risk_class" in p for p in public)
    assert {"name", "uscc", "industry", "status", "grid"} <= set(public[0])
    west = decode(render_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2],
                              scope=TileScope(grid_codes=frozenset({"TT0101-01"}))), "enterprises")
    assert {p["uscc"]: p["risk_class"] for p in west if "risk_class" in p} == sql_classes(session, "TT0101-01")


def test_low_zoom_aggregates_per_grid_match_sql(session, area):
    z, x, y = 12, Z15[1] // 8, Z15[2] // 8
    features = {p["grid"]: p for p in decode(render_tile(session, layer="enterprises", z=z, x=x, y=y,
                                                          scope=TileScope(all_grids=True)), "enterprises")}
    rows = session.execute(text("SELECT grid_code, count(*), count(*) FILTER (WHERE risk_class = 'D') FROM enterprise "
                                "WHERE grid_code LIKE 'TT%' GROUP BY 1")).all()
    assert {code: (features[code]["n"], features[code]["n_d"]) for code, _, _ in rows} == {c: (n, d) for c, n, d in rows}
    public = decode(render_tile(session, layer="enterprises", z=z, x=x, y=y), "enterprises")
    assert all("n_d" not in p for p in public) and sum(p["n"] for p in public if p["grid"].startswith("TT")) == 40


def test_grid_layer_rolls_counts_up(session, area):
    feats = decode(render_tile(session, layer="grids", z=13, x=Z15[1] // 4, y=Z15[2] // 4,
                               scope=TileScope(all_grids=True)), "grids")
    by_code = {p["code"]: p for p in feats if p["code"].startswith("TT")}
    assert by_code["TT01"]["level"] == "street" and by_code["TT01"]["n"] == 40
    assert by_code["TT0101"]["n_a"] + by_code["TT0101"]["n_b"] + by_code["TT0101"]["n_c"] + by_code["TT0101"]["n_d"] == 40
    assert by_code["TT0101-01"]["n"] + by_code["TT0101-02"]["n"] == 40


@pytest.mark.parametrize("layer,z,expected", [
    ("buildings", 15, {"name": "测试大厦", "floors": 20, "height_m": 66.0}),
    ("pois", 15, {"kind": "school", "name": "测试小学"}),
    ("roads", 15, {"name": "测试路", "kind": "路"}),
    ("streets", 12, {"code": "TT01", "name": "测试街道"}),
])
def test_base_layers(session, area, layer, z, expected):
    shift = 15 - z
    feats = decode(render_tile(session, layer=layer, z=z, x=Z15[1] >> shift, y=Z15[2] >> shift), layer)
    assert any(expected.items() <= p.items() for p in feats), feats[:3]


def test_zoom_outside_a_layer_is_empty(session, area):
    assert render_tile(session, layer="buildings", z=10, x=Z15[1] >> 5, y=Z15[2] >> 5) == b""


@pytest.fixture
def staff_client(database_url, session):
    """A client whose requests share the rolled-back session and act as the viewer in ``X-Test-Role``."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})

    @app.before_request
    def _viewer():
        role = request.headers.get("X-Test-Role")
        if role:
            g.viewer = Viewer(role=role, grid_codes=frozenset(request.headers.get("X-Test-Grids", "").split(",")))
    app.extensions["marketmap.db"].sessionmaker = lambda: session
    app.extensions["marketmap.db"].owns_sessions = False
    return app.test_client()


def test_etag_304_and_a_new_etag_after_a_class_change(session, area, staff_client):
    url = f"/tiles/enterprises/{Z15[0]}/{Z15[1]}/{Z15[2]}.pbf"
    headers = {"X-Test-Role": "official"}
    first = staff_client.get(url, headers=headers)
    assert first.status_code == 200 and first.mimetype == "application/vnd.mapbox-vector-tile"
    etag = first.headers["ETag"]
    assert staff_client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
    assert staff_client.get(url, headers={"If-None-Match": etag}).status_code == 200  # public: different ETag
    clean = next(p for p in decode(first.data, "enterprises") if p["risk_class"] == "A")
    eid = session.execute(text("SELECT id FROM enterprise WHERE uscc = :u"), {"u": clean["uscc"]}).scalar()
    session.execute(text("INSERT INTO credit_record (enterprise_id, kind, decided_on) VALUES (:e, 'blacklist', :d)"),
                    {"e": eid, "d": TODAY})
    classify_entities(session, today=TODAY, enterprise_ids=[eid])
    second = staff_client.get(url, headers={**headers, "If-None-Match": etag})
    assert second.status_code == 200 and second.headers["ETag"] != etag
    assert {p["uscc"]: p["risk_class"] for p in decode(second.data, "enterprises")}[clean["uscc"]] == "D"


def test_gzip_tiles_tilejson_and_errors(session, area, staff_client):
    bump_data_versions(session, ("roads",))
    big = staff_client.get(f"/tiles/enterprises/{Z15[0]}/{Z15[1]}/{Z15[2]}.pbf", headers={"Accept-Encoding": "gzip"})
    body = gzip.decompress(big.data) if big.headers.get("Content-Encoding") == "gzip" else big.data
    assert len(decode(body, "enterprises")) == 40
    doc = staff_client.get("/tiles/enterprises.json").get_json()
    assert doc["tiles"][0].endswith("/tiles/enterprises/{z}/{x}/{y}.pbf") and doc["vector_layers"][0]["id"] == "enterprises"
    assert (doc["minzoom"], doc["maxzoom"]) == (8, 16)
    assert staff_client.get("/tiles/nope/1/0/0.pbf").get_json()["error"] == "not_found"
    assert staff_client.get("/tiles/roads/3/9/0.pbf").status_code == 404
    assert staff_client.get("/tiles/buildings/5/0/0.pbf").status_code == 204


def test_fetch_tile_answers_304_from_the_same_statement(session, area):
    official = TileScope(all_grids=True)
    first = fetch_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], scope=official)
    assert len(decode(first.data, "enterprises")) == 40
    tag = first.etag.strip('"')
    again = fetch_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], scope=official, if_none_match=[tag])
    assert again.data is None and again.etag == first.etag
    public = fetch_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], if_none_match=[tag])
    assert public.data and public.etag != first.etag and not any("risk_class" in p for p in decode(public.data, "enterprises"))
    out_of_range = fetch_tile(session, layer="buildings", z=10, x=Z15[1] >> 5, y=Z15[2] >> 5)
    assert out_of_range.data == b"" and out_of_range.etag.startswith('"buildings-')


def test_tile_cache_serves_a_tile_only_while_its_data_versions_are_current(session, area):
    cache, official = TileCache(8 * 1024 * 1024), TileScope(all_grids=True)

    def fetch(**kw):
        return fetch_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], scope=official, cache=cache, **kw)

    built = fetch()
    assert (cache.hits, cache.misses) == (0, 1) and len(decode(built.data, "enterprises")) == 40
    again = fetch()
    assert (cache.hits, cache.misses) == (1, 1) and again.data == built.data and again.etag == built.etag
    public = fetch_tile(session, layer="enterprises", z=Z15[0], x=Z15[1], y=Z15[2], cache=cache)
    assert cache.misses == 2 and not any("risk_class" in p for p in decode(public.data, "enterprises"))
    assert fetch(if_none_match=[built.etag.strip('"')]).data is None  # 304 still wins over the cache
    session.execute(text("UPDATE enterprise SET name = '缓存测试' WHERE id = (SELECT min(id) FROM enterprise "
                         "WHERE grid_code LIKE 'TT%')"))
    session.execute(text("UPDATE data_version SET version = version + 1 WHERE layer = 'enterprises'"))
    changed = fetch()
    assert cache.misses == 3 and changed.etag != built.etag
    assert "缓存测试" in {p["name"] for p in decode(changed.data, "enterprises")}


def test_cached_grid_counts_are_refreshed_when_classes_change(session, area):
    z, x, y = 12, Z15[1] // 8, Z15[2] // 8
    official = TileScope(all_grids=True)

    def n_d() -> tuple[int, str]:
        fetched = fetch_tile(session, layer="enterprises", z=z, x=x, y=y, scope=official)
        return sum(p["n_d"] for p in decode(fetched.data, "enterprises") if p["grid"].startswith("TT")), fetched.etag

    before, etag = n_d()
    clean = session.execute(text("SELECT id FROM enterprise WHERE grid_code LIKE 'TT%' AND risk_class = 'A' LIMIT 1")).scalar()
    session.execute(text("INSERT INTO credit_record (enterprise_id, kind, decided_on) VALUES (:e, 'blacklist', :d)"),
                    {"e": clean, "d": TODAY})
    classify_entities(session, today=TODAY, enterprise_ids=[clean])
    after, new_etag = n_d()  # the counts cached before the change are not used
    assert after == before + 1 and new_etag != etag


def test_staff_tiles_with_risk_classes_are_audited(client, session, area):
    """A signed-in official's tile carries risk classes: that read goes into the audit trail; the public's doesn't."""
    from app import accounts

    user = accounts.create_user(session, username="tile-reader", password="tile reader pw 1", role="official",
                                actor="test")
    _, secret = accounts.create_token(session, user, name="tiles")
    before = session.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
    path = f"/tiles/enterprises/{Z15[0]}/{Z15[1]}/{Z15[2]}.pbf"
    assert client.get(path).status_code == 200  # the public: no risk data, nothing to log
    assert client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    reads = session.execute(text("SELECT actor, detail FROM audit_log WHERE action = 'read_nonpublic' AND id > :b"),
                            {"b": before}).all()
    assert [r.actor for r in reads] == ["tile-reader"]
    assert f"tile:enterprises/{Z15[0]}/{Z15[1]}/{Z15[2]}" in reads[0].detail["objects"]


def test_anonymous_cached_tiles_are_answered_before_flask_while_current(database_url, engine, demo_district):
    import math

    with engine.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise WHERE geom IS NOT NULL "
                                     "ORDER BY id LIMIT 1")).one()
    n = 2 ** 15
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    client = create_app({"DATABASE_URL": database_url, "TESTING": True}).test_client()
    path = f"/tiles/enterprises/15/{x}/{y}.pbf"
    built = client.get(path, headers={"Accept-Encoding": "identity"})
    assert built.status_code == 200 and "X-Tile-Cache" not in built.headers
    hit = client.get(path, headers={"Accept-Encoding": "identity"})
    assert hit.headers.get("X-Tile-Cache") == "hit" and hit.data == built.data
    assert hit.headers["ETag"] == built.headers["ETag"] and hit.mimetype == "application/vnd.mapbox-vector-tile"
    assert not any("risk_class" in p for p in decode(hit.data, "enterprises"))
    again = client.get(path, headers={"If-None-Match": built.headers["ETag"]})
    assert again.status_code == 304 and again.headers.get("X-Tile-Cache") == "hit"
    client.set_cookie("marketmap_session", "x")  # a viewer with credentials goes through Flask
    assert "X-Tile-Cache" not in client.get(path).headers
    client.delete_cookie("marketmap_session")
    with engine.begin() as conn:
        conn.execute(text("UPDATE data_version SET version = version + 1 WHERE layer = 'enterprises'"))
    changed = client.get(path)
    assert "X-Tile-Cache" not in changed.headers and changed.headers["ETag"] != built.headers["ETag"]
