"""Alembic environment: the schema of models/, GeoAlchemy2's helpers for spatial columns."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from geoalchemy2 import alembic_helpers

from models import Base
from models.db import make_engine

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("MARKETMAP_DATABASE_URL")
    if not url:
        raise SystemExit("MARKETMAP_DATABASE_URL is not set: run scripts/ensure_postgis.sh or export it")
    return url


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS owns these tables; they are never part of our schema.
    if type_ == "table" and name in {"spatial_ref_sys", "topology", "layer"}:
        return False
    # Expression and trigram indexes are written by hand in migrations; the models don't declare them.
    if type_ == "index" and reflected and compare_to is None and name.endswith(("_trgm", "_geog")):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
