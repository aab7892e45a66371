"""The app the ``marketmap`` commands run in: batch work, without the web requests' statement timeout."""

from sqlalchemy import text

from app import create_app
from app.cli import _create_app


def _timeout(app) -> str:
    with app.app_context(), app.extensions["marketmap.db"].engine.connect() as conn:
        return conn.execute(text("SHOW statement_timeout")).scalar_one()


def test_commands_have_no_statement_timeout_and_the_server_keeps_its_own(monkeypatch, database_url):
    monkeypatch.setenv("MARKETMAP_DATABASE_URL", database_url)
    monkeypatch.delenv("MARKETMAP_STATEMENT_TIMEOUT_MS", raising=False)
    assert _timeout(_create_app()) == "0"
    assert _timeout(create_app()) == "15s"  # what gunicorn's workers build


def test_a_timeout_set_in_the_environment_holds_for_commands_too(monkeypatch, database_url):
    monkeypatch.setenv("MARKETMAP_DATABASE_URL", database_url)
    monkeypatch.setenv("MARKETMAP_STATEMENT_TIMEOUT_MS", "1234")  # the configuration read it at import
    assert _timeout(_create_app()) == _timeout(create_app()) != "0"
