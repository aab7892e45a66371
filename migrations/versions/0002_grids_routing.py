"""grids and routing: routing rules, complaint status trail, grid assignment runs

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'routing_rule',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('grid_code', sa.String(length=32), nullable=True),
        sa.Column('category', sa.String(length=32), nullable=True),
        sa.Column('staff_id', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_routing_rule_staff_id_staff'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule')),
        sa.UniqueConstraint('grid_code', 'category', name=op.f('uq_routing_rule_grid_code_category'),
                            postgresql_nulls_not_distinct=True),
    )
    op.create_index(op.f('ix_routing_rule_grid_code'), 'routing_rule', ['grid_code'], unique=False)
    op.create_table(
        'complaint_event',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('complaint_id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.Text(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'],
                                name=op.f('fk_complaint_event_complaint_id_complaint'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_event')),
    )
    op.create_index(op.f('ix_complaint_event_complaint_id'), 'complaint_event', ['complaint_id'], unique=False)
    op.create_table(
        'grid_assignment_run',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('version_id', sa.BigInteger(), nullable=True),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rows_changed', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rows_outside', sa.Integer(), server_default='0', nullable=False),
        sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(['version_id'], ['grid_version.id'],
                                name=op.f('fk_grid_assignment_run_version_id_grid_version'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_assignment_run')),
    )


def downgrade() -> None:
    op.drop_table('grid_assignment_run')
    op.drop_index(op.f('ix_complaint_event_complaint_id'), table_name='complaint_event')
    op.drop_table('complaint_event')
    op.drop_index(op.f('ix_routing_rule_grid_code'), table_name='routing_rule')
    op.drop_table('routing_rule')
