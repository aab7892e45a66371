"""The ``marketmap`` command (also ``flask --app app ...``): database, demo, serving."""

from __future__ import annotations

import os
import secrets
from importlib import import_module

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from models import migrate


def _create_app(*_args) -> Flask:
    """The app the commands run in. They are batch work (a demo build copies a million entities in one
    statement), so the web requests' statement timeout applies only if MARKETMAP_STATEMENT_TIMEOUT_MS
    says so; the server's workers build their own app, with it."""
    from app import create_app

    return create_app({} if os.environ.get("MARKETMAP_STATEMENT_TIMEOUT_MS") else {"STATEMENT_TIMEOUT_MS": 0})


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """MarketMap: 市场监管空间监管平台."""


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {migrate.current_revision(current_app.config['DATABASE_URL'])}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` for an empty schema)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {migrate.current_revision(current_app.config['DATABASE_URL'])}")


@db_group.command("current")
def db_current() -> None:
    """Print the applied revision and the code's head."""
    click.echo(f"applied {migrate.current_revision(current_app.config['DATABASE_URL'])}, "
               f"head {migrate.head_revision()}")


@click.group("demo", cls=AppGroup)
def demo_group() -> None:
    """The demo district (渝北区, Liangjiang style)."""


@demo_group.command("build")
@click.option("--enterprises", default=20000, show_default=True, type=click.IntRange(100, 5_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data is already loaded.")
def demo_build(enterprises: int, seed: int, if_empty: bool) -> None:
    """Generate the demo district and load it (replaces earlier demo data)."""
    from app.demo import build_demo

    engine = current_app.extensions["marketmap.db"].engine
    if if_empty and _has_enterprises(engine):
        click.echo("demo district already loaded: reusing it")
        return
    counts = build_demo(engine, enterprises=enterprises, seed=seed, progress=True)
    placed = after_demo_build(engine)
    for table, n in counts.items():
        click.echo(f"{table:>20} {n:>10,}")
    click.echo("registered without a point, geocoded: " + ", ".join(f"{k} {v:,}" for k, v in placed.items()))


def after_demo_build(engine, *, classify: bool = True) -> dict:
    """Derived data the demo needs once its tables are loaded: the entities registered without a point
    geocoded (the geocoder's counts are returned), every entity's grid and near-boundary flag (which the
    generator leaves false), risk classes, then economy aggregates (whose entity counts are by class)."""
    from sqlalchemy.orm import Session

    import economy
    from address_match.geocode import geocode_enterprises
    from gridding.assign import assign_version
    from gridding.versions import active_version
    from supervision.classify import classify_entities

    with Session(engine) as session:
        placed = geocode_enterprises(session)
        version = active_version(session)
        if version:
            report = assign_version(session, version_id=version["id"], tables=("enterprise",))
            placed["grid_rows_written"] = report.rows_changed
        if classify:
            classify_entities(session)
        economy.refresh(session)
        session.commit()
    return placed


def _has_enterprises(engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM enterprise)").scalar())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("MARKETMAP_PORT", "5000")), type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve with gunicorn (production WSGI server)."""
    from app.wsgi_server import run_gunicorn

    # Workers fork from this process: one signing key for all of them, or a login made in one
    # worker would be unreadable in the next (set MARKETMAP_SECRET_KEY to keep logins across restarts).
    os.environ.setdefault("MARKETMAP_SECRET_KEY", secrets.token_hex(32))
    click.echo(f"MarketMap serving on http://{host}:{port}/")
    run_gunicorn(host=host, port=port, workers=workers)


# Modules that expose ``commands`` (a list of click commands or groups); one line per domain.
COMMAND_MODULES: tuple[str, ...] = (
    "app.address_cli",
    "app.grids_cli",
    "app.economy_cli",
    "app.users_cli",
    "app.risk_cli",
    "app.reports.cli",
    "app.reports.grid",
    "app.reports.economy",
    "app.inspections_cli",
    "app.import_cli",
)


def register_commands(app: Flask) -> None:
    for command in (db_group, demo_group, serve):
        app.cli.add_command(command)
    for name in COMMAND_MODULES:
        for command in import_module(name).commands:
            app.cli.add_command(command)
