"""/healthz, JSON errors and the OpenAPI document."""

from models import migrate


def test_healthz_reports_database_and_counts(client, demo_district):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["migration"] == migrate.head_revision()
    assert body["counts"]["enterprise"] == demo_district["enterprise"]
    assert body["counts"]["grid"] > 0


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


def test_api_docs_use_vendored_assets(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
