"""Grid files and versions: validation rejects overlaps, gaps and bad files with clear errors."""

from __future__ import annotations

import io

import pytest

from gridding.errors import GridError
from gridding.gridfile import read_grid_file
from gridding.validate import validate_version
from gridding.versions import activate, get_version, import_version
from tests.fixtures import grid_support
from tests.fixtures.grid_support import FIXTURES, as_viewer, load_version

session = grid_support.session  # rolled back, independent of the demo district


def _problems(session, fixture):
    load_version(session, fixture, f"t-{fixture}")
    version_id = get_version(session, f"t-{fixture}")["id"]
    return validate_version(session, version_id=version_id).problems


def test_clean_version_validates_and_activates(session):
    load_version(session, "grid_shared_edge", "t-ok")
    assert validate_version(session, version_id=get_version(session, "t-ok")["id"]).ok
    activate(session, "t-ok")
    assert get_version(session, "t-ok")["status"] == "active"


def test_overlapping_version_is_rejected_with_area_and_place(session):
    problems = _problems(session, "grid_overlap")
    overlap = [p for p in problems if p.kind == "overlap"]
    assert len(overlap) == 1 and overlap[0].code == "S01C02G01 / S01C02G02"
    assert overlap[0].area_m2 == pytest.approx(964 * 111, rel=0.05)  # 0.01° × 0.001° at 30°N
    assert 100.01 < overlap[0].lon < 100.02 and 30.004 < overlap[0].lat < 30.005
    with pytest.raises(GridError, match="overlap"):
        activate(session, "t-grid_overlap")


def test_gapped_version_is_rejected(session):
    gaps = [p for p in _problems(session, "grid_gap") if p.kind == "gap"]
    assert [g.level for g in gaps] == ["grid"]
    assert gaps[0].area_m2 == pytest.approx(964 * 111, rel=0.05)
    with pytest.raises(GridError, match="gap"):
        activate(session, "t-grid_gap")


def test_bad_files_say_what_is_wrong():
    with pytest.raises(GridError, match="cannot read"):
        read_grid_file(FIXTURES / "grid_malformed.geojson")
    with pytest.raises(GridError, match="wrong CRS"):
        read_grid_file(FIXTURES / "grid_wrong_crs.geojson")
    with pytest.raises(GridError, match="convert GCJ-02"):
        read_grid_file(FIXTURES / "grid_shared_edge.geojson", crs="gcj02")


def test_projected_file_is_transformed(tmp_path):
    frame = read_grid_file(FIXTURES / "grid_shared_edge.geojson").set_crs(4326).to_crs(32647)
    path = tmp_path / "grid_utm.gpkg"
    frame.to_file(path, engine="pyogrio")
    back = read_grid_file(path)
    assert back.crs.to_epsg() == 4326
    assert back.total_bounds[0] == pytest.approx(100.0, abs=1e-7)


def test_duplicate_version_name_is_refused(session):
    load_version(session, "grid_shared_edge", "t-dup")
    with pytest.raises(GridError, match="already exists"):
        import_version(session, read_grid_file(FIXTURES / "grid_shared_edge.geojson"), name="t-dup")


def test_api_upload_and_errors(app, client):
    from app.auth import Viewer

    data = (FIXTURES / "grid_shared_edge.geojson").read_bytes()
    r = client.post("/api/v1/grid-versions", data={"name": "t-api", "file": (io.BytesIO(data), "g.geojson")})
    assert r.status_code == 401
    with as_viewer(app, Viewer(role="admin", username="t")):
        _admin_requests(client, data)


def _admin_requests(client, data):
    bad = (FIXTURES / "grid_malformed.geojson").read_bytes()
    r = client.post("/api/v1/grid-versions", data={"name": "t-bad", "file": (io.BytesIO(bad), "g.geojson")})
    assert r.status_code == 400 and r.get_json()["error"] == "grid_error"
    wrong = (FIXTURES / "grid_wrong_crs.geojson").read_bytes()
    r = client.post("/api/v1/grid-versions", data={"name": "t-crs", "file": (io.BytesIO(wrong), "g.geojson")})
    assert r.status_code == 400 and "CRS" in r.get_json()["message"]
    r = client.post("/api/v1/grid-versions", data={"name": "t-api", "file": (io.BytesIO(data), "g.geojson")})
    assert r.status_code == 201
    r = client.post("/api/v1/grid-versions/t-api/activation")
    assert r.status_code == 200 and r.get_json()["mode"] in ("full", "incremental")
    assert client.get("/api/v1/grids/NO-SUCH-GRID").status_code == 404
    assert client.get("/api/v1/grids/lookup?lon=100.01&lat=30.005").get_json()["code"] == "S01C01G01"
    assert client.get("/api/v1/grids/lookup?lon=500&lat=30").status_code == 400
    detail = client.get("/api/v1/grids/S01C02").get_json()
    assert detail["level"] == "community" and {c["code"] for c in detail["children"]} == {"S01C02G01", "S01C02G02"}
    assert detail["geometry"]["type"] == "MultiPolygon"
