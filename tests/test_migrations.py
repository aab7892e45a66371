"""The migrations build the whole schema on a real database, tear it down, and build it again."""

from sqlalchemy import inspect, text

from models import Base, migrate
from models.db import make_engine
from tests.conftest import create_scratch_database, drop_scratch_database

EXPECTED_TABLES = {
    "enterprise", "credit_record", "address_entry", "building", "building_economy", "grid", "grid_version",
    "staff", "poi", "zone", "complaint", "inspection_plan", "inspection_draw", "inspection_result",
    "audit_log", "import_batch", "import_reject", "road", "data_version",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    finally:
        engine.dispose()


def test_up_down_up_builds_every_table():
    url = create_scratch_database("marketmap_migr")
    try:
        migrate.upgrade(url)
        assert _tables(url) >= EXPECTED_TABLES
        assert _tables(url) == set(Base.metadata.tables)
        migrate.downgrade(url, "base")
        assert _tables(url) == set()
        migrate.upgrade(url)
        assert _tables(url) >= EXPECTED_TABLES
        assert migrate.current_revision(url) == migrate.head_revision()
    finally:
        drop_scratch_database(url)


def test_extensions_and_spatial_indexes(session):
    extensions = set(session.execute(text("SELECT extname FROM pg_extension")).scalars())
    assert {"postgis", "pg_trgm"} <= extensions
    indexes = set(session.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")).scalars())
    for name in ("idx_enterprise_geom", "ix_enterprise_geog", "idx_grid_geom", "idx_building_footprint",
                 "ix_address_entry_normalized_text_trgm", "ix_enterprise_name_trgm", "uq_enterprise_uscc"):
        assert name in indexes


def test_audit_log_refuses_update_and_delete(engine):
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("INSERT INTO audit_log (action, prev_hash, hash) VALUES ('test', '0', 'h-test')"))
        for statement in ("UPDATE audit_log SET action = 'edited'", "DELETE FROM audit_log"):
            nested = conn.begin_nested()
            try:
                conn.execute(text(statement))
                raise AssertionError(f"{statement} was accepted")
            except Exception as exc:  # the trigger raises; psycopg surfaces it as a DB error
                assert "append-only" in str(exc)
                nested.rollback()
        trans.rollback()


def test_models_and_migrations_agree(database_url):
    """Every change to models/ comes with a migration: autogenerate finds nothing to do at head."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_object": migrate.include_object, "compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
