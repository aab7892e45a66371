"""economy rankings: one index per sortable measure, so a top-N by building reads N index entries

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# tax_10k is covered by ix_economy_building_year_tax of 0009 only for NULLS FIRST; rankings sort NULLS LAST.
MEASURES = ("output_value_10k", "employment", "tax_10k", "entity_count", "floor_area_m2", "tax_per_m2_yuan")


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_economy_building_year_tax")
    for measure in MEASURES:
        op.execute(f"CREATE INDEX ix_economy_building_rank_{measure} ON economy_building "
                   f"(year, {measure} DESC NULLS LAST, building_id)")


def downgrade() -> None:
    for measure in MEASURES:
        op.execute(f"DROP INDEX IF EXISTS ix_economy_building_rank_{measure}")
    op.execute("CREATE INDEX ix_economy_building_year_tax ON economy_building (year, tax_10k DESC)")
