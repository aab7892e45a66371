"""place search indexes: prefix (text_pattern_ops) on every searched name, trigram on enterprise.short_name

Short queries (1–2 characters) cannot use trigrams; they search names by prefix, which these btrees
answer as bounded range scans (exact name first). enterprise.short_name gets both kinds, like name.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

PREFIX_INDEXES = (("poi", "name"), ("road", "name"), ("building", "name"), ("enterprise", "name"),
                  ("enterprise", "short_name"), ("address_entry", "normalized_text"))


def upgrade() -> None:
    for table, column in PREFIX_INDEXES:
        op.execute(f"CREATE INDEX ix_{table}_{column}_prefix ON {table} ({column} text_pattern_ops)")
    op.execute("CREATE INDEX ix_enterprise_short_name_trgm ON enterprise USING gin (short_name gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_enterprise_short_name_trgm")
    for table, column in reversed(PREFIX_INDEXES):
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_prefix")
