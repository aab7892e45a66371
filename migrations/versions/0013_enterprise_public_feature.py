"""enterprise_public_feature: each located entity's public GeoJSON Feature, kept by triggers

A public radius search returns a few hundred entities as GeoJSON (a dense 200 m circle: ~340 features,
190 KB). Building that JSON per request (row_to_json of the public fields) took 1.9 ms of the 2.8 ms
the statement spent in PostgreSQL at 10^6 entities; reading it ready-made from a narrow table clustered
by location takes 0.6 ms more than the rows alone (EXPLAIN ANALYZE, 500 dense centres, alternating).

The table holds what the public may read and nothing else (app.auth.PUBLIC_ENTERPRISE_FIELDS), plus
the columns the public search filters on. ``feature`` is the Feature's text up to the end of its last
stored property: the search appends ``distance_m`` and the two closing braces. Staff searches, which
see more fields, still build their JSON per request from ``enterprise``.

Writes keep it current inside the writing transaction:
- INSERT (also COPY, and the insert half of INSERT … ON CONFLICT): one statement-level trigger adds
  the new located rows from the transition table in a single INSERT … SELECT;
- UPDATE of a column the feature shows or the search filters on: a row trigger rewrites the row (or
  deletes it when the entity lost its location). Risk classification, which updates only risk columns,
  does not fire it;
- DELETE (and TRUNCATE … CASCADE): the foreign key cascades.

Costs at 10^6 entities, measured with bench_grids and bench_import on a loaded 2-core machine: the
table is 1.3 GB (fillfactor 50, below); the first grid activation, which writes the grid of 920,000
entities, took 25.7 s instead of 10.4 s (35.5 s with an upsert per row and full pages); an import of
200,000 rows 45 s instead of 42 s.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The public properties, in the order the live search (spatial.search) writes them, without distance_m.
# spatial.search.STORED_PUBLIC_FIELDS names the same list; tests compare the stored and live features.
PROPERTIES = ("id", "uscc", "name", "short_name", "entity_type", "industry_code", "industry_label", "category",
              "status", "established_on", "registered_address", "grid_code")
SHOWN = PROPERTIES + ("geom",)  # lon and lat come from geom

# The properties as a named row type, so row_to_json writes their names and the function below stays one
# expression: PostgreSQL inlines it into the statements that call it (13.7 µs a row when it was a
# SELECT … FROM subquery with its own settings, 5.9 µs inlined; 10^5 rows).
PROPERTIES_TYPE = """
CREATE TYPE enterprise_public_properties AS (
    id bigint, uscc varchar(18), name text, short_name text, entity_type varchar(16), industry_code varchar(8),
    industry_label text, category varchar(16), status varchar(8), established_on date, registered_address text,
    grid_code varchar(32), lon double precision, lat double precision)"""

# Coordinates are written as the writer's session prints floats: the shortest exact decimals under the
# default extra_float_digits = 1, which MarketMap's connections keep.
FEATURE_FUNCTION = f"""
CREATE FUNCTION enterprise_public_feature_text(e enterprise) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT '{{"type":"Feature","id":' || e.id || ',"geometry":{{"type":"Point","coordinates":['
         || ST_X(e.geom) || ',' || ST_Y(e.geom) || ']}},"properties":'
         || left(row_to_json(ROW({', '.join(f'e.{name}' for name in PROPERTIES)}, ST_X(e.geom), ST_Y(e.geom))
                             ::enterprise_public_properties)::text, -1)
$$"""

INSERT_TRIGGER = """
CREATE FUNCTION enterprise_public_feature_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO enterprise_public_feature (id, geom, category, status, feature)
  SELECT a.id, a.geom, a.category, a.status, enterprise_public_feature_text(a)
  FROM added a WHERE a.geom IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER enterprise_public_feature_added AFTER INSERT ON enterprise
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION enterprise_public_feature_added();
"""

# An update rewrites the row in place (HOT: no index entry) when it keeps geom and its page has room for
# the new version: grid (re)assignment changes grid_code of most entities in one statement. Hence the
# fillfactor, as enterprise's (0010), and UPDATE before INSERT (no speculative insertion per row).
FILLFACTOR = 50

UPDATE_TRIGGER = f"""
CREATE FUNCTION enterprise_public_feature_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.geom IS NULL THEN
    DELETE FROM enterprise_public_feature WHERE id = NEW.id;
    RETURN NULL;
  END IF;
  UPDATE enterprise_public_feature
     SET geom = NEW.geom, category = NEW.category, status = NEW.status,
         feature = enterprise_public_feature_text(NEW)
   WHERE id = NEW.id;
  IF NOT FOUND THEN
    INSERT INTO enterprise_public_feature (id, geom, category, status, feature)
    VALUES (NEW.id, NEW.geom, NEW.category, NEW.status, enterprise_public_feature_text(NEW));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER enterprise_public_feature_changed AFTER UPDATE OF {', '.join(SHOWN)} ON enterprise
  FOR EACH ROW WHEN (ROW({', '.join(f'OLD.{c}' for c in SHOWN)}) IS DISTINCT FROM
                     ROW({', '.join(f'NEW.{c}' for c in SHOWN)}))
  EXECUTE FUNCTION enterprise_public_feature_changed();
"""


def upgrade() -> None:
    # Writers wait until the triggers exist, so no row is written between the copy below and them.
    op.execute("LOCK TABLE enterprise IN SHARE ROW EXCLUSIVE MODE")
    op.execute(f"""
        CREATE TABLE enterprise_public_feature (
            id bigint PRIMARY KEY REFERENCES enterprise (id) ON DELETE CASCADE ON UPDATE CASCADE,
            geom geometry(Point, 4326) NOT NULL,
            category varchar(16),
            status varchar(8) NOT NULL,
            feature text NOT NULL
        ) WITH (fillfactor = {FILLFACTOR})""")
    op.execute(PROPERTIES_TYPE)
    op.execute(FEATURE_FUNCTION)
    op.execute("""
        INSERT INTO enterprise_public_feature (id, geom, category, status, feature)
        SELECT e.id, e.geom, e.category, e.status, enterprise_public_feature_text(e)
        FROM enterprise e WHERE e.geom IS NOT NULL ORDER BY e.geom""")
    op.execute("CREATE INDEX idx_enterprise_public_feature_geom ON enterprise_public_feature USING gist (geom)")
    op.execute(INSERT_TRIGGER)
    op.execute(UPDATE_TRIGGER)
    op.execute("ANALYZE enterprise_public_feature")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS enterprise_public_feature_changed ON enterprise")
    op.execute("DROP TRIGGER IF EXISTS enterprise_public_feature_added ON enterprise")
    op.execute("DROP FUNCTION IF EXISTS enterprise_public_feature_changed()")
    op.execute("DROP FUNCTION IF EXISTS enterprise_public_feature_added()")
    op.execute("DROP TABLE IF EXISTS enterprise_public_feature")
    op.execute("DROP FUNCTION IF EXISTS enterprise_public_feature_text(enterprise)")
    op.execute("DROP TYPE IF EXISTS enterprise_public_properties")
