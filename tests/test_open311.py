"""Open311 GeoReport v2: service list, a hot-line system's POST, and reading the request back."""

from __future__ import annotations

from app.auth import Viewer
from tests.fixtures import grid_support
from tests.fixtures.grid_support import as_viewer, load_version

session = grid_support.session  # rolled back, independent of the demo district


def test_round_trip(app, client, session):
    load_version(session, "grid_shared_edge", "t-v1", active=True)
    services = client.get("/open311/v2/services.json").get_json()
    assert {"food_safety", "price"} <= {s["service_code"] for s in services}
    r = client.post("/open311/v2/requests.json", data={
        "service_code": "price", "lat": "30.0075", "long": "100.015", "description": "乱收费",
        "first_name": "三", "last_name": "张", "phone": "13700000000", "hotline": "12345"})
    assert r.status_code == 201
    request_id = r.get_json()[0]["service_request_id"]
    public = client.get(f"/open311/v2/requests/{request_id}.json").get_json()[0]
    assert public["status"] == "open" and public["service_code"] == "price" and "description" not in public
    assert public["expected_datetime"]
    with as_viewer(app, Viewer(role="supervisor", grid_codes=frozenset({"S01C02G02"}))):
        listed = client.get(f"/open311/v2/requests.json?service_request_id={request_id}").get_json()
    assert listed[0]["description"] == "乱收费" and listed[0]["long"] == 100.015


def test_bad_requests_are_400(client, session):
    assert client.post("/open311/v2/requests.json", data={"service_code": "nope", "lat": "1", "long": "2",
                                                           "description": "x"}).status_code == 400
    r = client.post("/open311/v2/requests.json", data={"service_code": "price", "lat": "north", "long": "2",
                                                       "description": "x"})
    assert r.status_code == 400
    r = client.post("/open311/v2/requests.json", data={"service_code": "price", "description": "x"})
    assert r.status_code == 400 and "address" in r.get_json()["message"]
