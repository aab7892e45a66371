"""Imports into PostGIS (rolled back per test): counts add up, re-imports change nothing, rejects say why."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from flask import g, request
from sqlalchemy import text

from app import create_app
from app.auth import Viewer
from app.demo.uscc import make_uscc
from importer import ImportRejected, run_import
from spatial.crs import geodesic_distance_m, wgs84_to_gcj02

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
COUNTS = ("rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected")


def uscc(i: int) -> str:
    return make_uscc("9", "1", "500112", f"MB{i:06d}")


def assert_adds_up(session, result) -> None:
    c = result.counts
    assert c["rows_total"] == sum(c[k] for k in COUNTS), c
    row = session.execute(text("SELECT rows_total, rows_inserted, rows_updated, rows_unchanged, rows_rejected, "
                               "(SELECT count(*) FROM import_reject WHERE batch_id = b.id) FROM import_batch b "
                               "WHERE id = :id"), {"id": result.batch_id}).one()
    assert row[0] == sum(row[1:5]) and row[4] == row[5] == len(result.rejects)


def points(session, n: int) -> np.ndarray:
    """WGS84 lon/lat of ``n`` address-library entries (inside the demo district)."""
    rows = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM address_entry ORDER BY id LIMIT :n"),
                           {"n": n}).all()
    return np.array(rows, dtype=float)


def enterprise_frame(ids, lonlat=None) -> pd.DataFrame:
    frame = pd.DataFrame({"统一社会信用代码": [uscc(i) for i in ids], "企业名称": [f"重庆测试{i}号商贸有限公司" for i in ids],
                          "登记状态": "存续", "住所": "重庆市渝北区龙溪街道新牌坊二路123号", "成立日期": "2021-06-01"})
    if lonlat is not None:
        frame["经度"], frame["纬度"] = lonlat[:, 0], lonlat[:, 1]
    return frame


def reasons(result) -> dict[int, str]:
    return {r["row_no"]: r["reason_zh"] for r in result.rejects}


def test_gbk_merged_header_file_counts_add_up_and_a_reimport_changes_nothing(session):
    path = FIXTURES / "enterprises_gbk_merged_header.csv"
    first = run_import(session, kind="enterprises", path=path, commit=True)
    assert_adds_up(session, first)
    assert first.counts["rows_total"] == 7 and first.counts["rows_inserted"] == 2
    why = reasons(first)
    assert sorted(why) == [5, 6, 8, 9, 10]
    assert "校验位错误" in why[5] and "2025/13/01" in why[6] and "完全重复" in why[8]
    assert "内容不一致" in why[9] and "内容不一致" in why[10]
    assert first.rejects[0]["values"]["企业名称"] == "重庆渝北区两路便利店"  # original values go back
    stored = session.execute(text("SELECT status, registered_capital_10k, import_batch_id, geocode_level "
                                  "FROM enterprise WHERE uscc = '92500112MA5U000462'")).one()
    assert stored[:3] == ("吊销", 50, first.batch_id) and stored[3] is not None  # geocoded by the pipeline
    assert {s["name"] for s in first.report["steps"]} >= {"geocode", "risk", "data_version"}
    again = run_import(session, kind="enterprises", path=path, commit=True)
    assert_adds_up(session, again)
    assert (again.counts["rows_inserted"], again.counts["rows_updated"], again.counts["rows_unchanged"]) == (0, 0, 2)


def test_gcj02_coordinates_are_converted_and_must_be_declared(session, tmp_path):
    wgs = points(session, 20)
    gcj = np.column_stack(wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]))
    path = tmp_path / "enterprises_gcj02.csv"
    enterprise_frame(range(20), gcj).to_csv(path, index=False)
    with pytest.raises(ImportRejected, match="--crs"):
        run_import(session, kind="enterprises", path=path, commit=True)
    result = run_import(session, kind="enterprises", path=path, crs="gcj02", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 20 and result.report["crs"] == "gcj02"
    got = np.array(session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM enterprise WHERE uscc = ANY(:u) "
                                        "ORDER BY uscc"), {"u": [uscc(i) for i in range(20)]}).all())
    order = np.argsort([uscc(i) for i in range(20)])
    assert np.max(geodesic_distance_m(got[:, 0], got[:, 1], wgs[order, 0], wgs[order, 1])) < 0.5
    stored, current = session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE s.feature = enterprise_public_feature_text(e)) FROM enterprise e "
        "JOIN enterprise_public_feature s USING (id) WHERE e.uscc = ANY(:u)"), {"u": [uscc(i) for i in range(20)]}).one()
    assert stored == current == 20  # the public search's copy came with the import's one write


def test_swapped_and_outside_coordinates_are_reported(session, tmp_path):
    wgs = points(session, 4)
    frame = enterprise_frame(range(100, 104), wgs)
    frame.loc[1, ["经度", "纬度"]] = wgs[1, 1], wgs[1, 0]  # swapped
    frame.loc[2, ["经度", "纬度"]] = 116.397, 39.909  # Beijing
    frame.loc[3, "纬度"] = np.nan  # written as an empty cell
    path = tmp_path / "enterprises_swapped.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    result = run_import(session, kind="enterprises", path=path, crs="wgs84", commit=True)
    assert_adds_up(session, result)
    why = reasons(result)
    assert result.counts["rows_inserted"] == 1 and sorted(why) == [3, 4, 5]
    assert "颠倒" in why[3] and "不在辖区" in why[4] and "只填了一个" in why[5]


def test_empty_and_header_only_files(session, tmp_path):
    for name, content in (("empty.csv", b""), ("header_only.csv", "统一社会信用代码,企业名称,登记状态\n".encode())):
        path = tmp_path / name
        path.write_bytes(content)
        result = run_import(session, kind="enterprises", path=path, commit=True)
        assert_adds_up(session, result)
        assert result.counts["rows_total"] == 0 and result.status == "committed"


def test_dry_run_reports_and_writes_only_the_batch(session, tmp_path):
    path = tmp_path / "enterprises.csv"
    enterprise_frame(range(200, 230)).to_csv(path, index=False)
    before = session.execute(text("SELECT count(*) FROM enterprise")).scalar_one()
    result = run_import(session, kind="enterprises", path=path, commit=False)
    assert_adds_up(session, result)
    assert result.status == "dry_run" and result.counts["rows_inserted"] == 30
    assert session.execute(text("SELECT count(*) FROM enterprise")).scalar_one() == before


def test_missing_required_column_rejects_every_row_with_the_reason(session, tmp_path):
    path = tmp_path / "no_status.csv"
    enterprise_frame(range(5)).drop(columns="登记状态").to_csv(path, index=False)
    result = run_import(session, kind="enterprises", path=path, commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_rejected"] == 5 and "缺少必填列" in result.rejects[0]["reason_zh"]


def test_mapping_file_names_unknown_headers(session, tmp_path):
    path = tmp_path / "odd_headers.csv"
    enterprise_frame(range(300, 303)).rename(columns={"统一社会信用代码": "纳税人识别号", "企业名称": "户名"}).to_csv(
        path, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"纳税人识别号" = "uscc"\n"户名" = "name"\n"住所" = "-"\n', encoding="utf-8")
    result = run_import(session, kind="enterprises", path=path, mapping_path=mapping, commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 3 and "住所" in result.report["ignored_columns"]


def test_credit_records_resolve_entities_and_reclassify(session, tmp_path):
    usccs = session.execute(text("SELECT uscc FROM enterprise WHERE status = '存续' ORDER BY id LIMIT 3")).scalars().all()
    frame = pd.DataFrame({
        "统一社会信用代码": usccs + [uscc(999), usccs[0]],
        "类型": ["行政处罚", "经营异常名录", "行政处罚", "行政处罚", "行政处罚"],
        "处罚决定日期": ["2025-03-01", "2024年5月6日", "2025/13/01", "2025-01-01", "2025-02-01"],
        "罚款金额（元）": ["5,000", "", "100", "200", "-3"],
        "处罚决定书文号": ["渝北市监罚〔2025〕1号", "", "渝北市监罚〔2025〕3号", "x", "y"]})
    path = tmp_path / "credit_records.xlsx"
    frame.to_excel(path, index=False)
    result = run_import(session, kind="credit-records", path=path, commit=True)
    assert_adds_up(session, result)
    why = reasons(result)
    assert result.counts["rows_inserted"] == 2 and sorted(why) == [4, 5, 6]
    assert "主体库中不存在" in why[5] and "负数" in why[6]
    amount = session.execute(text("SELECT amount_yuan FROM credit_record WHERE import_batch_id = :b AND kind = "
                                  "'penalty'"), {"b": result.batch_id}).scalar_one()
    assert amount == 5000
    assert any(s["name"] == "risk" for s in result.report["steps"])
    again = run_import(session, kind="credit-records", path=path, commit=True)
    assert again.counts["rows_unchanged"] == 2 and again.counts["rows_inserted"] == 0


def test_pois_from_geojson_and_buildings_from_a_geopackage(session, tmp_path):
    wgs = points(session, 3)
    pois = gpd.GeoDataFrame({"名称": ["渝北区测试小学", "渝北区测试幼儿园", "渝北区测试医院"],
                             "类型": ["学校", "幼儿园", "诊所"]},
                            geometry=gpd.points_from_xy(wgs[:, 0], wgs[:, 1]), crs=4326)
    pois.to_file(tmp_path / "pois.geojson", driver="GeoJSON")
    result = run_import(session, kind="pois", path=tmp_path / "pois.geojson", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 2 and "诊所" in result.rejects[0]["reason_zh"]
    rows = session.execute(text("SELECT ST_AsBinary(footprint), address_text FROM building ORDER BY id LIMIT 2")).all()
    shapes = [shapely.from_wkb(bytes(r[0])) for r in rows]
    buildings = gpd.GeoDataFrame({"建筑地址": ["测试地址1号", "测试地址2号"], "层数": ["12", "十二"]},
                                 geometry=shapes, crs=4490)
    buildings.to_file(tmp_path / "buildings.gpkg", driver="GPKG")
    result = run_import(session, kind="buildings", path=tmp_path / "buildings.gpkg", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 1 and result.report["crs"] == "cgcs2000"


def test_staff_and_economy(session, tmp_path):
    grid = session.execute(text("SELECT code FROM grid LIMIT 1")).scalar()
    staff = pd.DataFrame({"工号": ["T001", "T002"], "姓名": ["张三", "李四"], "部门": ["龙溪所", "龙溪所"],
                          "角色": ["网格监管员", "执法人员"], "负责网格": [grid, "NOPE-1"]})
    staff.to_csv(tmp_path / "staff.csv", index=False)
    result = run_import(session, kind="staff", path=tmp_path / "staff.csv", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 1 and "NOPE-1" in result.rejects[0]["reason_zh"]
    building_id = session.execute(text("SELECT min(id) FROM building")).scalar()
    economy = pd.DataFrame({"楼宇编号": [building_id, 999_999_999], "年度": ["2024", "2024"], "产值（万元）": ["1200.5", "1"],
                            "从业人员": ["30", "2"]})
    economy.to_csv(tmp_path / "economy.csv", index=False)
    result = run_import(session, kind="economy", path=tmp_path / "economy.csv", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] + result.counts["rows_updated"] == 1
    assert "不存在" in result.rejects[0]["reason_zh"]


def test_addresses_bump_the_library_version(session, tmp_path):
    wgs = points(session, 2)
    frame = pd.DataFrame({"标准地址": ["重庆市渝北区测试路1号", "重庆市渝北区测试路2号"], "道路": "测试路",
                          "门牌号": ["1号", "2号"], "经度": wgs[:, 0], "纬度": wgs[:, 1]})
    frame.to_csv(tmp_path / "addresses.csv", index=False)
    before = session.execute(text("SELECT version FROM data_version WHERE layer = 'addresses'")).scalar() or 0
    result = run_import(session, kind="addresses", path=tmp_path / "addresses.csv", crs="wgs84", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 2
    assert session.execute(text("SELECT version FROM data_version WHERE layer = 'addresses'")).scalar() > before


def test_cli_writes_summary_and_reject_reports(runner, tmp_path):
    out = tmp_path / "back"
    res = runner.invoke(args=["import", "enterprises", str(FIXTURES / "enterprises_gbk_merged_header.csv"),
                              "--commit", "--rejects", str(out)])
    assert res.exit_code == 0, res.output
    assert "退回 / rejected" in res.output and "5" in res.output
    report = pd.read_csv(out.with_suffix(".csv"), dtype=str, encoding="utf-8-sig")
    assert list(report["原行号 / row"]) == ["5", "6", "8", "9", "10"] and "企业名称" in report
    assert len(pd.read_excel(out.with_suffix(".xlsx"))) == 5
    res = runner.invoke(args=["import", "enterprises", str(FIXTURES / "enterprises_gbk_merged_header.csv"),
                              "--rejects", str(tmp_path / "dry")])
    assert res.exit_code == 0 and "dry run" in res.output


@pytest.fixture
def official_client(database_url, session):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})

    def viewer():
        if request.headers.get("X-Test-Role"):
            g.viewer = Viewer(role=request.headers["X-Test-Role"], username="tester")

    app.before_request_funcs.setdefault(None, []).insert(0, viewer)
    app.extensions["marketmap.db"].sessionmaker = lambda: session
    app.extensions["marketmap.db"].owns_sessions = False
    return app.test_client()


def test_api_upload_for_officials_only(official_client, session):
    data = (FIXTURES / "enterprises_gbk_merged_header.csv").read_bytes()
    form = lambda: {"kind": "enterprises", "commit": "true", "file": (io.BytesIO(data), "登记.csv")}  # noqa: E731
    assert official_client.post("/api/v1/imports", data=form()).status_code in (401, 403)
    res = official_client.post("/api/v1/imports", data=form(), headers={"X-Test-Role": "official"})
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["rows_total"] == sum(body[k] for k in COUNTS) and body["rows_rejected"] == 5
    batch = official_client.get(f"/api/v1/imports/{body['batch_id']}", headers={"X-Test-Role": "official"})
    assert batch.get_json()["filename"] == "登记.csv"
    csv = official_client.get(f"/api/v1/imports/{body['batch_id']}/rejects.csv", headers={"X-Test-Role": "official"})
    assert csv.status_code == 200 and "校验位错误" in csv.get_data(as_text=True)
    xlsx = official_client.get(f"/api/v1/imports/{body['batch_id']}/rejects.xlsx", headers={"X-Test-Role": "official"})
    assert len(pd.read_excel(io.BytesIO(xlsx.data))) == 5
    bad = official_client.post("/api/v1/imports", headers={"X-Test-Role": "official"},
                               data={"kind": "enterprises", "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")})
    assert bad.status_code == 400 and bad.get_json()["error"] == "import_rejected"
    json.dumps(body)  # the report is plain JSON


def _placed(session, batch_id: int) -> list[tuple]:
    return session.execute(text("SELECT uscc, address_id, geocode_source, grid_code, near_boundary FROM enterprise "
                                "WHERE import_batch_id = :b ORDER BY uscc"), {"b": batch_id}).all()


def _updates_so_far(session) -> int:
    return session.execute(text("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'enterprise'")).scalar()


def test_rows_are_geocoded_and_gridded_before_their_one_write(session, tmp_path):
    from gridding.assign import assign_version

    version = session.execute(text("SELECT id FROM grid_version WHERE status = 'active'")).scalar()
    assert version is not None
    entries = session.execute(text("SELECT id, standard_text, ST_X(geom), ST_Y(geom) FROM address_entry "
                                   "ORDER BY id LIMIT 30")).all()
    frame = enterprise_frame(range(400, 430))
    frame["住所"] = [e[1] for e in entries]
    frame["经度"], frame["纬度"] = [e[2] for e in entries], [e[3] for e in entries]
    frame.loc[10:, ["经度", "纬度"]] = np.nan  # 20 rows to geocode through the library
    path = tmp_path / "enterprises_to_place.csv"
    frame.to_csv(path, index=False)
    updates = _updates_so_far(session)
    result = run_import(session, kind="enterprises", path=path, crs="wgs84", commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 30
    assert _updates_so_far(session) == updates  # point, grid and risk class came with the insert
    assert session.execute(text("SELECT count(risk_class) FROM enterprise WHERE import_batch_id = :b"),
                           {"b": result.batch_id}).scalar_one() == 30
    steps = {s["name"]: s for s in result.report["steps"]}
    assert steps["geocode"]["rows"] == 20 and steps["grids"]["rows"] >= 10
    placed = _placed(session, result.batch_id)
    assert [p.geocode_source for p in placed].count("import") == 10
    geocoded = session.execute(text(
        "SELECT count(*) FROM enterprise e JOIN address_entry a ON a.id = e.address_id "
        "WHERE e.import_batch_id = :b AND e.geocode_source = 'address_library' AND ST_Equals(e.geom, a.geom)"),
        {"b": result.batch_id}).scalar_one()
    assert geocoded == 20
    assign_version(session, version_id=version, tables=("enterprise",))
    assert _placed(session, result.batch_id) == placed  # the same grids and flags as a full assignment

    frame.loc[15, "住所"] = entries[0][1]  # one address edited: that row alone is geocoded again
    frame.to_csv(path, index=False)
    again = run_import(session, kind="enterprises", path=path, crs="wgs84", commit=True)
    assert_adds_up(session, again)
    assert (again.counts["rows_updated"], again.counts["rows_unchanged"]) == (1, 29)
    assert {s["name"]: s["rows"] for s in again.report["steps"]}["geocode"] == 1


def test_a_bulk_import_rebuilds_the_indexes_it_dropped(session, tmp_path, monkeypatch):
    from importer import load

    monkeypatch.setattr(load, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(load, "BULK_SHARE", 0.0)
    indexes = ("SELECT indexdef FROM pg_indexes WHERE tablename IN ('enterprise', 'enterprise_public_feature') "
               "ORDER BY indexname")
    before = session.execute(text(indexes)).scalars().all()
    rebuilt = []
    restore = load.restore_indexes
    monkeypatch.setattr(load, "restore_indexes", lambda s, definitions: (rebuilt.extend(definitions),
                                                                          restore(s, definitions)))
    path = tmp_path / "enterprises_bulk.csv"
    enterprise_frame(range(500, 520)).to_csv(path, index=False)
    result = run_import(session, kind="enterprises", path=path, commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 20
    assert session.execute(text(indexes)).scalars().all() == before
    assert any("idx_enterprise_public_feature_geom" in d for d in rebuilt)  # the triggers' table too
    steps = [s["name"] for s in result.report["steps"]]
    assert steps.index("risk") < steps.index("索引 indexes")  # built once, after the last write


def test_staged_risk_classes_are_what_classification_gives(session, tmp_path):
    from supervision.classify import classify_entities

    classify_entities(session)
    known = session.execute(text("SELECT e.uscc, e.name FROM enterprise e WHERE e.status = '存续' AND EXISTS "
                                 "(SELECT 1 FROM credit_record c WHERE c.enterprise_id = e.id) ORDER BY e.id "
                                 "LIMIT 5")).all()
    frame = enterprise_frame(range(600, 605))
    frame = pd.concat([frame, pd.DataFrame({"统一社会信用代码": [k.uscc for k in known], "企业名称": [k.name for k in known],
                                            "登记状态": ["吊销"] + ["存续"] * (len(known) - 1)})], ignore_index=True)
    path = tmp_path / "enterprises_reclassified.csv"
    frame.to_csv(path, index=False)
    result = run_import(session, kind="enterprises", path=path, commit=True)
    assert_adds_up(session, result)
    assert result.counts["rows_inserted"] == 5 and result.counts["rows_updated"] == 1
    assert session.execute(text("SELECT risk_class FROM enterprise WHERE uscc = :u"),
                           {"u": known[0].uscc}).scalar_one() == "D"
    ids = session.execute(text("SELECT id FROM enterprise WHERE uscc = ANY(:u)"),
                          {"u": list(frame["统一社会信用代码"])}).scalars().all()
    assert classify_entities(session, enterprise_ids=ids).written == 0  # nothing left to correct
