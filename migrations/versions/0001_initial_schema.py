"""initial schema: extensions and every table of DESIGN.md with spatial and lookup indexes

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 20:43:31.530674
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.Text(), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash'))
    )
    op.create_geospatial_table('building',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('use', sa.String(length=32), nullable=True),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('height_m', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('floor_area_m2', sa.Numeric(precision=12, scale=1), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('community_code', sa.String(length=12), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('footprint', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building'))
    )
    op.create_geospatial_index('idx_building_footprint', 'building', ['footprint'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_building_geom', 'building', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_building_grid_code'), 'building', ['grid_code'], unique=False)
    op.create_index(op.f('ix_building_street_code'), 'building', ['street_code'], unique=False)
    op.create_table('data_version',
    sa.Column('layer', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('layer', name=op.f('pk_data_version'))
    )
    op.create_table('grid_version',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='inactive', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_version')),
    sa.UniqueConstraint('name', name=op.f('uq_grid_version_name'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('crs', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_inserted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_updated', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_rejected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_table('inspection_plan',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('scope', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('departments', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('ratios', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('team_size', sa.Integer(), server_default='2', nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plan'))
    )
    op.create_geospatial_table('poi',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poi'))
    )
    op.create_geospatial_index('idx_poi_geom', 'poi', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_poi_grid_code'), 'poi', ['grid_code'], unique=False)
    op.create_index(op.f('ix_poi_kind'), 'poi', ['kind'], unique=False)
    op.create_geospatial_table('road',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road'))
    )
    op.create_geospatial_index('idx_road_geom', 'road', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_road_name'), 'road', ['name'], unique=False)
    op.create_table('staff',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('staff_no', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('department', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('grid_codes', sa.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('staff_no', name=op.f('uq_staff_staff_no'))
    )
    op.create_geospatial_table('zone',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone')),
    sa.UniqueConstraint('code', name=op.f('uq_zone_code'))
    )
    op.create_geospatial_index('idx_zone_geom', 'zone', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_zone_kind'), 'zone', ['kind'], unique=False)
    op.create_geospatial_table('address_entry',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('standard_text', sa.Text(), nullable=False),
    sa.Column('normalized_text', sa.Text(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=True),
    sa.Column('town', sa.String(length=32), nullable=True),
    sa.Column('community', sa.String(length=64), nullable=True),
    sa.Column('road', sa.String(length=64), nullable=True),
    sa.Column('road_no', sa.String(length=16), nullable=True),
    sa.Column('poi_name', sa.Text(), nullable=True),
    sa.Column('building_no', sa.String(length=16), nullable=True),
    sa.Column('unit_no', sa.String(length=16), nullable=True),
    sa.Column('floor_no', sa.String(length=16), nullable=True),
    sa.Column('room_no', sa.String(length=16), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('community_code', sa.String(length=12), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_address_entry_building_id_building')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_entry'))
    )
    op.create_geospatial_index('idx_address_entry_geom', 'address_entry', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_address_entry_building_id'), 'address_entry', ['building_id'], unique=False)
    op.create_index(op.f('ix_address_entry_grid_code'), 'address_entry', ['grid_code'], unique=False)
    op.create_index(op.f('ix_address_entry_road'), 'address_entry', ['road'], unique=False)
    op.create_table('building_economy',
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('output_value_10k', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('employment', sa.Integer(), nullable=True),
    sa.Column('tax_10k', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('entity_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_building_economy_building_id_building'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('building_id', 'year', name=op.f('pk_building_economy'))
    )
    op.create_geospatial_table('grid',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('version_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=32), nullable=True),
    sa.Column('area_m2', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['grid_version.id'], name=op.f('fk_grid_version_id_grid_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_grid_version_id_code'))
    )
    op.create_geospatial_index('idx_grid_geom', 'grid', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('import_reject',
    sa.Column('batch_id', sa.BigInteger(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reason_zh', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_reject_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'row_no', name=op.f('pk_import_reject'))
    )
    op.create_table('inspection_draw',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.BigInteger(), nullable=False),
    sa.Column('seed_hex', sa.String(length=128), nullable=False),
    sa.Column('algorithm_version', sa.String(length=16), nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('result_sha256', sa.String(length=64), nullable=False),
    sa.Column('supersedes_id', sa.BigInteger(), nullable=True),
    sa.Column('redraw_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plan.id'], name=op.f('fk_inspection_draw_plan_id_inspection_plan')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['inspection_draw.id'], name=op.f('fk_inspection_draw_supersedes_id_inspection_draw')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_draw'))
    )
    op.create_geospatial_table('enterprise',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('short_name', sa.Text(), nullable=True),
    sa.Column('entity_type', sa.String(length=16), nullable=True),
    sa.Column('industry_code', sa.String(length=8), nullable=True),
    sa.Column('industry_label', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('registered_capital_10k', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('legal_rep', sa.Text(), nullable=True),
    sa.Column('registered_address', sa.Text(), nullable=True),
    sa.Column('operating_address', sa.Text(), nullable=True),
    sa.Column('address_id', sa.BigInteger(), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('near_boundary', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('geocode_level', sa.String(length=16), nullable=True),
    sa.Column('geocode_source', sa.String(length=32), nullable=True),
    sa.Column('geocode_score', sa.Numeric(precision=5, scale=3), nullable=True),
    sa.Column('risk_class', sa.String(length=1), nullable=True),
    sa.Column('risk_reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('risk_rules_version', sa.String(length=32), nullable=True),
    sa.Column('risk_inputs_hash', sa.String(length=64), nullable=True),
    sa.Column('risk_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('import_batch_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['address_id'], ['address_entry.id'], name=op.f('fk_enterprise_address_id_address_entry')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_enterprise_building_id_building')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_enterprise_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprise_uscc'))
    )
    op.create_geospatial_index('idx_enterprise_geom', 'enterprise', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_enterprise_address_id'), 'enterprise', ['address_id'], unique=False)
    op.create_index(op.f('ix_enterprise_building_id'), 'enterprise', ['building_id'], unique=False)
    op.create_index(op.f('ix_enterprise_category'), 'enterprise', ['category'], unique=False)
    op.create_index(op.f('ix_enterprise_grid_code'), 'enterprise', ['grid_code'], unique=False)
    op.create_index(op.f('ix_enterprise_industry_code'), 'enterprise', ['industry_code'], unique=False)
    op.create_index('ix_enterprise_name_trgm', 'enterprise', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_index(op.f('ix_enterprise_risk_class'), 'enterprise', ['risk_class'], unique=False)
    op.create_geospatial_table('complaint',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('hotline', sa.String(length=8), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('complainant_name', sa.Text(), nullable=True),
    sa.Column('complainant_phone', sa.String(length=32), nullable=True),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=True),
    sa.Column('address_id', sa.BigInteger(), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('assignee_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='received', nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.ForeignKeyConstraint(['address_id'], ['address_entry.id'], name=op.f('fk_complaint_address_id_address_entry')),
    sa.ForeignKeyConstraint(['assignee_staff_id'], ['staff.id'], name=op.f('fk_complaint_assignee_staff_id_staff')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_complaint_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint'))
    )
    op.create_geospatial_index('idx_complaint_geom', 'complaint', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_complaint_grid_code'), 'complaint', ['grid_code'], unique=False)
    op.create_table('credit_record',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('amount_yuan', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('department', sa.Text(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('document_no', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('import_batch_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_credit_record_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_credit_record_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_record'))
    )
    op.create_index('ix_credit_record_enterprise_kind', 'credit_record', ['enterprise_id', 'kind'], unique=False)
    op.create_table('inspection_result',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('draw_id', sa.BigInteger(), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=False),
    sa.Column('items_checked', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['inspection_draw.id'], name=op.f('fk_inspection_result_draw_id_inspection_draw')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_inspection_result_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_result'))
    )
    _upgrade_extras()


def _upgrade_extras() -> None:
    # Radius searches measure metres on the ellipsoid: index the geography of the points.
    op.execute("CREATE INDEX ix_enterprise_geog ON enterprise USING gist ((geom::geography))")
    op.execute("CREATE INDEX ix_poi_geog ON poi USING gist ((geom::geography))")
    # Fuzzy place-name search.
    for table, column in (("address_entry", "normalized_text"), ("poi", "name"), ("road", "name"),
                          ("building", "name")):
        op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)")
    # The audit trail is append-only: the database itself refuses to change or remove a row.
    op.execute("""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table('inspection_result')
    op.drop_index('ix_credit_record_enterprise_kind', table_name='credit_record')
    op.drop_table('credit_record')
    op.drop_index(op.f('ix_complaint_grid_code'), table_name='complaint')
    op.drop_geospatial_index('idx_complaint_geom', table_name='complaint', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('complaint')
    op.drop_index(op.f('ix_enterprise_risk_class'), table_name='enterprise')
    op.drop_index('ix_enterprise_name_trgm', table_name='enterprise', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_enterprise_industry_code'), table_name='enterprise')
    op.drop_index(op.f('ix_enterprise_grid_code'), table_name='enterprise')
    op.drop_index(op.f('ix_enterprise_category'), table_name='enterprise')
    op.drop_index(op.f('ix_enterprise_building_id'), table_name='enterprise')
    op.drop_index(op.f('ix_enterprise_address_id'), table_name='enterprise')
    op.drop_geospatial_index('idx_enterprise_geom', table_name='enterprise', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('enterprise')
    op.drop_table('inspection_draw')
    op.drop_table('import_reject')
    op.drop_geospatial_index('idx_grid_geom', table_name='grid', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('grid')
    op.drop_table('building_economy')
    op.drop_index(op.f('ix_address_entry_road'), table_name='address_entry')
    op.drop_index(op.f('ix_address_entry_grid_code'), table_name='address_entry')
    op.drop_index(op.f('ix_address_entry_building_id'), table_name='address_entry')
    op.drop_geospatial_index('idx_address_entry_geom', table_name='address_entry', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('address_entry')
    op.drop_index(op.f('ix_zone_kind'), table_name='zone')
    op.drop_geospatial_index('idx_zone_geom', table_name='zone', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('zone')
    op.drop_table('staff')
    op.drop_index(op.f('ix_road_name'), table_name='road')
    op.drop_geospatial_index('idx_road_geom', table_name='road', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('road')
    op.drop_index(op.f('ix_poi_kind'), table_name='poi')
    op.drop_index(op.f('ix_poi_grid_code'), table_name='poi')
    op.drop_geospatial_index('idx_poi_geom', table_name='poi', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('poi')
    op.drop_table('inspection_plan')
    op.drop_table('import_batch')
    op.drop_table('grid_version')
    op.drop_table('data_version')
    op.drop_index(op.f('ix_building_street_code'), table_name='building')
    op.drop_index(op.f('ix_building_grid_code'), table_name='building')
    op.drop_geospatial_index('idx_building_geom', table_name='building', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_index('idx_building_footprint', table_name='building', postgresql_using='gist', column_name='footprint')
    op.drop_geospatial_table('building')
    op.drop_table('audit_log')
