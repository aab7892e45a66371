-- Building economy aggregates. Money in 万元 (10,000 yuan); tax per m² in yuan.
-- The hierarchy comes from the ACTIVE grid version: building.grid_code → community → street.

CREATE MATERIALIZED VIEW economy_building AS
WITH hierarchy AS (
    SELECT g.code AS grid_code, g.parent_code AS community_code, c.parent_code AS street_code
    FROM grid g
    JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
    LEFT JOIN grid c ON c.version_id = g.version_id AND c.code = g.parent_code
    WHERE g.level = 'grid'
)
SELECT be.building_id, be.year, b.name, b.use, b.floors, b.height_m,
       be.output_value_10k, be.employment, be.tax_10k, be.entity_count, b.floor_area_m2,
       CASE WHEN b.floor_area_m2 > 0 THEN round(be.tax_10k * 10000 / b.floor_area_m2, 2) END AS tax_per_m2_yuan,
       coalesce(b.grid_code, '') AS grid_code,
       coalesce(h.community_code, b.community_code, '') AS community_code,
       coalesce(h.street_code, b.street_code, '') AS street_code,
       prev.output_value_10k AS prev_output_value_10k, prev.employment AS prev_employment,
       prev.tax_10k AS prev_tax_10k
FROM building_economy be
JOIN building b ON b.id = be.building_id
LEFT JOIN hierarchy h ON h.grid_code = b.grid_code
LEFT JOIN building_economy prev ON prev.building_id = be.building_id AND prev.year = be.year - 1;

CREATE UNIQUE INDEX ux_economy_building ON economy_building (building_id, year);
CREATE INDEX ix_economy_building_year_tax ON economy_building (year, tax_10k DESC);

CREATE MATERIALIZED VIEW economy_area AS
WITH sums AS (
    SELECT CASE WHEN grouping(grid_code) = 0 THEN 'grid'
                WHEN grouping(community_code) = 0 THEN 'community'
                WHEN grouping(street_code) = 0 THEN 'street' ELSE 'district' END AS level,
           coalesce(grid_code, community_code, street_code, '') AS code, year,
           count(*) AS building_count, sum(output_value_10k) AS output_value_10k, sum(employment) AS employment,
           sum(tax_10k) AS tax_10k, sum(entity_count) AS entity_count, sum(floor_area_m2) AS floor_area_m2
    FROM economy_building
    GROUP BY GROUPING SETS ((year, grid_code), (year, community_code), (year, street_code), (year))
)
SELECT s.*,
       CASE WHEN s.floor_area_m2 > 0 THEN round(s.tax_10k * 10000 / s.floor_area_m2, 2) END AS tax_per_m2_yuan,
       p.output_value_10k AS prev_output_value_10k, p.employment AS prev_employment, p.tax_10k AS prev_tax_10k
FROM sums s
LEFT JOIN sums p ON p.level = s.level AND p.code = s.code AND p.year = s.year - 1;

CREATE UNIQUE INDEX ux_economy_area ON economy_area (level, code, year);

-- Current entities per building by industry and risk class (what is registered there now).
CREATE MATERIALIZED VIEW economy_entities AS
SELECT building_id, coalesce(industry_label, '未知') AS industry, coalesce(risk_class, '-') AS risk_class,
       count(*) AS entities
FROM enterprise
WHERE building_id IS NOT NULL AND status NOT IN ('注销', '迁出')
GROUP BY 1, 2, 3;

CREATE UNIQUE INDEX ux_economy_entities ON economy_entities (building_id, industry, risk_class);
CREATE INDEX ix_economy_entities_industry ON economy_entities (industry, building_id);
