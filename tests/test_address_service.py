"""The registrar's address check, batch checks and geocoding, against the demo district in PostGIS."""

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from address_match.checks import check_address
from address_match.db import load_library
from address_match.geocode import geocode_enterprises


@pytest.fixture(autouse=True)
def _as_registrar(act_as):
    """Address checks are registrars' work (the public gets 401, tested in test_roles_matrix)."""
    with act_as("registrar"):
        yield


def _busy_address(session):
    """An address of the demo library where entities are registered, with its entity count."""
    return session.execute(text("""
        SELECT a.id, a.standard_text, count(e.id) AS n FROM address_entry a JOIN enterprise e ON e.address_id = a.id
        GROUP BY a.id ORDER BY count(e.id) DESC, a.id LIMIT 1
    """)).mappings().one()


def test_standard_address_is_matched_with_its_entities(client, session):
    busy = _busy_address(session)
    body = client.post("/api/v1/address-checks", json={"address": busy["standard_text"]}).get_json()
    assert body["verdict"] == "matched"
    assert body["address_id"] == busy["id"]
    assert body["entities_registered_here"]["count"] == busy["n"]
    assert body["building"]["footprint"]["type"] == "Polygon"
    assert isinstance(body["in_free_trade_zone"], bool)
    assert {c["label"] for c in body["components"]} & {"road", "roadno", "district"}


def test_check_without_components_gives_the_same_verdict(session):
    busy = _busy_address(session)
    full = check_address(session, busy["standard_text"])
    bare = check_address(session, busy["standard_text"], with_components=False)
    assert full.components and bare.components == []
    assert {**full.to_dict(), "components": []} == bare.to_dict()


def test_address_written_as_people_write_it_is_matched(client, session):
    busy = _busy_address(session)
    casual = busy["standard_text"].replace("重庆市", "").replace("号", "號", 1)
    body = client.post("/api/v1/address-checks", json={"address": casual}).get_json()
    assert body["verdict"] in ("matched", "doubtful")
    assert body["address_id"] == busy["id"] or body["verdict"] == "doubtful"


def test_unknown_address_is_not_found(client):
    body = client.post("/api/v1/address-checks", json={"address": "黑龙江省漠河市北极村不存在路99999号"}).get_json()
    assert body["verdict"] in ("not_found", "doubtful")
    assert body["verdict"] != "matched"


def test_cluster_registration_warns(client, session):
    busy = _busy_address(session)
    extra = max(0, 5 - busy["n"])
    for i in range(extra):  # make sure the address holds at least five entities
        session.execute(text("""
            INSERT INTO enterprise (uscc, name, status, address_id) VALUES (:u, :n, '存续', :a)
        """), {"u": f"TESTCLUSTER{i:07d}", "n": f"测试集中登记{i}", "a": busy["id"]})
    body = client.post("/api/v1/address-checks", json={"address": busy["standard_text"]}).get_json()
    assert "cluster_registration" in {w["code"] for w in body["warnings"]}


def test_bad_input_is_a_clear_400_never_500(client):
    for payload in ({}, {"address": ""}, {"address": "路" * 501}, {"address": 12}, []):
        resp = client.post("/api/v1/address-checks", json=payload)
        assert resp.status_code == 400, payload
        assert resp.get_json()["message"]
    for hostile in ("<script>alert(1)</script>", "'; DROP TABLE enterprise; --", "hello world", "！！！"):
        resp = client.post("/api/v1/address-checks", json={"address": hostile})
        assert resp.status_code in (200, 400), hostile
        if resp.status_code == 200:
            assert resp.get_json()["verdict"] != "matched"


def test_batch_csv_gives_one_verdict_per_row(client, session):
    busy = _busy_address(session)
    data = "序号,注册地址\n1,{}\n2,\n3,火星基地1号\n".format(busy["standard_text"]).encode("gb18030")
    resp = client.post("/api/v1/address-checks/batch", data={"file": (io.BytesIO(data), "in.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["row"] for r in rows] == ["2", "3", "4"]
    assert rows[0]["verdict"] == "matched"
    assert rows[1]["verdict"] == "invalid" and rows[1]["reason"]
    assert rows[2]["verdict"] != "matched"


def test_batch_xlsx_and_bad_files(client, session):
    busy = _busy_address(session)
    book = Workbook()
    book.active.append(["address"])
    book.active.append([busy["standard_text"]])
    buffer = io.BytesIO()
    book.save(buffer)
    resp = client.post("/api/v1/address-checks/batch?format=json",
                       data={"file": (io.BytesIO(buffer.getvalue()), "in.xlsx")}, content_type="multipart/form-data")
    assert resp.get_json()["rows"][0]["verdict"] == "matched"
    for name, content in (("in.pdf", b"%PDF"), ("in.csv", b""), ("in.csv", b"foo,bar\n1,2\n"), ("in.xlsx", b"junk")):
        resp = client.post("/api/v1/address-checks/batch", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
        assert resp.status_code == 400, name
    assert client.post("/api/v1/address-checks/batch").status_code == 400


def test_cli_batch_check(runner, session, tmp_path):
    busy = _busy_address(session)
    infile, outfile = tmp_path / "in.csv", tmp_path / "out.csv"
    infile.write_text(f"address\n{busy['standard_text']}\n\n", encoding="utf-8")
    result = runner.invoke(args=["address", "check", str(infile), "-o", str(outfile)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(outfile.open(encoding="utf-8-sig")))
    assert [r["verdict"] for r in rows] == ["matched", "invalid"]


def test_geocode_recovers_the_true_address_of_entities(session):
    """Forget where some demo entities are, geocode them from the text people wrote, compare with the truth."""
    truth = dict(session.execute(text("""
        SELECT id, building_id FROM enterprise WHERE geocode_source = 'demo-truth' ORDER BY id LIMIT 300
    """)).all())
    # what the demo build could not place is tried again too
    unplaced = session.execute(text("SELECT count(*) FROM enterprise WHERE geom IS NULL")).scalar()
    session.execute(text("UPDATE enterprise SET geom = NULL, address_id = NULL WHERE id = ANY(:ids)"),
                    {"ids": list(truth)})
    counts = geocode_enterprises(session, library=load_library(session))
    assert counts["geocoded"] == len(truth) + unplaced
    found = dict(session.execute(text("SELECT id, building_id FROM enterprise WHERE id = ANY(:ids)"),
                                 {"ids": list(truth)}).all())
    same_building = sum(found[i] == truth[i] for i in truth)
    assert same_building / len(truth) >= 0.9
    located = session.execute(text("SELECT count(*) FROM enterprise WHERE id = ANY(:ids) AND geom IS NOT NULL"),
                              {"ids": list(truth)}).scalar()
    assert located == counts["geocoded"] - counts.get("level_none", 0)
    assert geocode_enterprises(session, library=load_library(session))["geocoded"] == counts.get("level_none", 0)


def test_cli_geocode_puts_the_entities_it_places_in_their_grid(runner, session):
    ids = session.execute(text("SELECT id FROM enterprise WHERE geocode_source = 'demo-truth' "
                               "ORDER BY id LIMIT 50")).scalars().all()
    session.execute(text("UPDATE enterprise SET geom = NULL, address_id = NULL, grid_code = NULL, "
                         "near_boundary = false WHERE id = ANY(:ids)"), {"ids": ids})
    result = runner.invoke(args=["geocode"])
    assert result.exit_code == 0, result.output
    placed = session.execute(text("SELECT count(*) FROM enterprise WHERE id = ANY(:ids) AND geom IS NOT NULL"),
                             {"ids": ids}).scalar()
    assert placed >= 45 and f"gridded {placed}" in result.output
    wrong = session.execute(text("""
        SELECT count(*) FROM enterprise e WHERE e.id = ANY(:ids) AND e.geom IS NOT NULL AND e.grid_code IS DISTINCT FROM
            (SELECT min(g.code) FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
             WHERE g.level = 'grid' AND ST_Covers(g.geom, e.geom))"""), {"ids": ids}).scalar()
    assert wrong == 0


def test_restricted_trade_near_a_school_is_warned(client, session):
    near = session.execute(text("""
        SELECT a.standard_text FROM address_entry a JOIN poi p ON p.kind = 'school'
             AND ST_DWithin(a.geom::geography, p.geom::geography, 150)
        WHERE a.room_no IS NULL ORDER BY a.id LIMIT 1""")).scalar_one()
    body = client.post("/api/v1/address-checks", json={"address": near, "industry": "网吧"}).get_json()
    codes = {w["code"] for w in body["warnings"]}
    assert "restricted_trade_nearby" in codes, body["warnings"]
    plain = client.post("/api/v1/address-checks", json={"address": near, "industry": "软件开发"}).get_json()
    assert "restricted_trade_nearby" not in {w["code"] for w in plain["warnings"]}
