"""Run the Alembic migrations in migrations/ programmatically (CLI, tests, demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers

from models.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


# Expression, trigram and prefix indexes are written by hand in migrations; the models don't declare them.
HAND_WRITTEN_INDEX_SUFFIXES = ("_trgm", "_geog", "_prefix")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: our tables and indexes, not PostGIS's nor hand-written indexes."""
    if type_ == "table" and name in {"spatial_ref_sys", "topology", "layer"}:
        return False
    if type_ == "index" and reflected and compare_to is None and name.endswith(HAND_WRITTEN_INDEX_SUFFIXES):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    cfg.attributes["skip_logging"] = True
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(_config(url), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(_config("")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
