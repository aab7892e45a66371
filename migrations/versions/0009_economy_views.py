"""building economy: materialized views per building, area (grid/community/street/district) and entities

Revision ID: 0009
Revises: 0002
"""
from pathlib import Path

from alembic import op

revision = '0009'
down_revision = '0002'
branch_labels = None
depends_on = None

# The definitions live in the .sql file beside this migration (frozen with it, like any migration).
VIEWS_SQL = (Path(__file__).with_suffix(".sql")).read_text(encoding="utf-8")


def upgrade() -> None:
    op.execute(VIEWS_SQL)


def downgrade() -> None:
    for view in ("economy_entities", "economy_area", "economy_building"):
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {view}")
