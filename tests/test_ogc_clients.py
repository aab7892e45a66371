"""Real clients against the app on a real port: GDAL's OAPIF driver (through pyogrio) and OWSLib.

GDAL runs in a child process: pyogrio holds the GIL while GDAL fetches pages, which would stall the
in-process server thread of ``live_server``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import text

import app.ogc as ogc_views

BBOX = (106.5, 29.6, 106.6, 29.7)
ENVELOPE = "ST_MakeEnvelope(106.5, 29.6, 106.6, 29.7, 4326)"
# collection → (OGR attribute filter, the same in SQL over the bbox)
READS = {
    "enterprises": ("status = '存续' AND established_on > '2015-01-01'",
                    f"SELECT count(*) FROM enterprise WHERE status = '存续' AND established_on > '2015-01-01' "
                    f"AND ST_Intersects(geom, {ENVELOPE})"),
    "grids": ("level = 'grid'",
              "SELECT count(*) FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active' "
              f"WHERE level = 'grid' AND ST_Intersects(g.geom, {ENVELOPE})"),
    "buildings": ("floors > 10", f"SELECT count(*) FROM building WHERE floors > 10 AND ST_Intersects(footprint, {ENVELOPE})"),
    "pois": ("kind = 'school'", "SELECT count(*) FROM poi WHERE kind = 'school'"),  # bbox: the whole district
    "zones": ("kind = 'district'", "SELECT count(*) FROM zone WHERE kind = 'district'"),
}
WHOLE = (100.0, 20.0, 110.0, 35.0)

GDAL_SCRIPT = """
import json, sys, pyogrio
base, reads = sys.argv[1], json.loads(sys.argv[2])
out = {}
for layer, (where, bbox) in reads.items():
    df = pyogrio.read_dataframe("OAPIF:" + base, layer=layer, where=where, bbox=tuple(bbox))
    out[layer] = len(df)
print(json.dumps(out))
"""


@pytest.fixture
def served_queries(monkeypatch):
    """The ItemsQuery of every items request the live server answers."""
    seen = []
    real = ogc_views.items

    def spy(session, collection, *, access, query):
        seen.append((collection.id, query))
        return real(session, collection, access=access, query=query)

    monkeypatch.setattr(ogc_views, "items", spy)
    return seen


def test_gdal_oapif_reads_each_collection_with_bbox_and_filter(live_server, engine, served_queries):
    reads = {name: (where, WHOLE if name in ("pois", "zones") else BBOX) for name, (where, _) in READS.items()}
    done = subprocess.run([sys.executable, "-c", GDAL_SCRIPT, f"{live_server}/ogc", json.dumps(reads)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    with engine.connect() as conn:
        expected = {name: conn.execute(text(sql)).scalar() for name, (_, sql) in READS.items()}
    assert counts == expected
    assert all(expected.values())
    # GDAL pushed both the bbox and the attribute filter to the server (CQL text or property=value)
    filtered = {name for name, query in served_queries if query.bbox and (query.filter or query.equals)}
    assert filtered == set(READS)


def test_owslib_lists_collections_and_pages_through_all_items(live_server, engine):
    from owslib.ogcapi.features import Features

    service = Features(f"{live_server}/ogc")
    ids = [c["id"] for c in service.collections()["collections"]]
    assert ids == ["enterprises", "grids", "buildings", "pois", "zones"]
    assert any(uri.endswith("/conf/features-filter") for uri in service.conformance()["conformsTo"])
    seen, offset = [], 0
    while True:
        page = service.collection_items("enterprises", limit=700, offset=offset)
        seen += [f["id"] for f in page["features"]]
        if page["numberReturned"] < 700:
            break
        offset += 700
    with engine.connect() as conn:
        expected = conn.execute(text("SELECT array_agg(id ORDER BY id) FROM enterprise")).scalar()
    assert len(seen) == len(set(seen)) == len(expected)
    assert sorted(seen) == expected
