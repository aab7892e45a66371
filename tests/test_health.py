"""/healthz, JSON errors and the OpenAPI document."""

from models import migrate


def test_healthz_reports_database_and_counts(client, demo_district):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["migration"] == migrate.head_revision()
    assert body["counts"]["enterprise"] == demo_district["enterprise"]
    assert body["counts"]["grid"] > 0
    assert "enterprise" not in body["estimated"]


def test_healthz_gives_large_tables_from_the_statistics(client, session, demo_district, monkeypatch):
    from sqlalchemy import text

    from app.api import health

    session.execute(text("ANALYZE enterprise"))
    monkeypatch.setattr(health, "EXACT_COUNT_LIMIT", 1)
    body = client.get("/healthz").get_json()
    assert "enterprise" in body["estimated"]
    assert body["counts"]["enterprise"] == demo_district["enterprise"]  # a small table: all rows sampled


def test_unknown_route_is_json_404(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "not_found"
    assert resp.get_json()["message"]


def test_wrong_method_is_json_405(client):
    resp = client.delete("/healthz")
    assert resp.status_code == 405
    assert set(resp.get_json()) >= {"error", "message"}


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/healthz" in spec["paths"]


def test_openapi_document_says_who_may_call_each_operation(client):
    from app.auth import policy_for

    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    assert spec["components"]["securitySchemes"]["cookieAuth"]["name"] == "marketmap_session"
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    assert len(operations) > 40
    for path, method, op in operations:
        assert op["x-minimum-role"] in ("public", "registrar", "supervisor", "official", "admin"), (path, method)
        assert ({} in op["security"]) == (op["x-minimum-role"] == "public"), (path, method)
        if op["x-minimum-role"] != "public":
            assert {"401", "403"} <= set(op["responses"]), (path, method)
    checks = spec["paths"]["/api/v1/address-checks"]["post"]
    assert checks["x-minimum-role"] == policy_for("address.AddressChecks", "POST") == "registrar"
    assert checks["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert {} in spec["paths"]["/api/v1/search/radius"]["get"]["security"]


def test_api_docs_use_vendored_assets(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
