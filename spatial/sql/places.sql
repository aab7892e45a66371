-- Place-name search over every named layer, each source capped at :k rows before the union, so no
-- query reads more than a few index pages however common its words are.
--   :q        the query;  :q_end  :q followed by U+10FFFF, the upper end of names starting with :q
--   :like     escaped '%q%';  :prefix  escaped 'q%';  :norm_like  the same for the normalised query (addresses)
--   :substring  true when :q is long enough for trigrams (3+ characters)
--   :k        per-source cap;  :fuzzy_cap  candidates per layer for similarity;  :limit  rows returned
-- Prefix: btree text_pattern_ops range scans in byte order (the exact name comes first), any length.
-- Substring: trigram GIN (LIKE) on the big tables only from 3 characters; the small tables (POIs,
-- roads, streets, zones) are scanned for any length. Fuzzy (% similarity, typos) only when the
-- others found nothing: a name that shares just a common suffix (便利店, 科技园) with thousands of
-- others makes each of them a candidate to re-check in the heap, which no LIMIT bounds.
-- Three parts (places.py joins them): "found" + "rank" is the search; "typos" + "rank" runs only when the
-- search found nothing, so the common case does not pay to plan the typo scans (half its planning time).
-- part: found
WITH exact_or_prefix AS (
    (SELECT 'poi' AS source, id, name, kind AS detail, NULL::text AS alt, geom FROM poi
     WHERE name ~>=~ :q AND name ~<~ :q_end ORDER BY name USING ~<~ LIMIT :k)
    UNION ALL
    (SELECT 'road', id, name, kind, NULL, geom FROM road
     WHERE name ~>=~ :q AND name ~<~ :q_end ORDER BY name USING ~<~ LIMIT :k)
    UNION ALL
    (SELECT 'building', id, name, use, NULL, geom FROM building
     WHERE name ~>=~ :q AND name ~<~ :q_end ORDER BY name USING ~<~ LIMIT :k)
    UNION ALL
    (SELECT 'enterprise', id, name, short_name, short_name, geom FROM enterprise
     WHERE geom IS NOT NULL AND name ~>=~ :q AND name ~<~ :q_end ORDER BY name USING ~<~ LIMIT :k)
    UNION ALL
    (SELECT 'enterprise', id, name, short_name, short_name, geom FROM enterprise
     WHERE geom IS NOT NULL AND short_name ~>=~ :q AND short_name ~<~ :q_end
     ORDER BY short_name USING ~<~ LIMIT :k)
),
inside AS (
    (SELECT 'poi' AS source, id, name, kind AS detail, NULL::text AS alt, geom FROM poi
     WHERE name LIKE :like LIMIT :k)
    UNION ALL
    (SELECT 'road', id, name, kind, NULL, geom FROM road WHERE name LIKE :like LIMIT :k)
    UNION ALL
    (SELECT 'building', id, name, use, NULL, geom FROM building
     WHERE CAST(:substring AS boolean) AND name LIKE :like LIMIT :k)
    UNION ALL
    -- Short names first, full names only for what they leave of :k: an entity found by its short
    -- name outranks one found in a full name (shorter text, higher score), so when short names fill
    -- :k the full names (every one starts 重庆市渝北区…, the costliest trigram scan) are not read.
    (SELECT * FROM (
        (SELECT 'enterprise' AS source, id, name, short_name AS detail, short_name AS alt, geom FROM enterprise
         WHERE CAST(:substring AS boolean) AND geom IS NOT NULL AND short_name LIKE :like LIMIT :k)
        UNION ALL
        (SELECT 'enterprise', id, name, short_name, short_name, geom FROM enterprise
         WHERE CAST(:substring AS boolean) AND geom IS NOT NULL AND name LIKE :like LIMIT :k)) e
     LIMIT :k)
    UNION ALL
    (SELECT 'grid_' || g.level, g.id, g.name, g.code, NULL, ST_PointOnSurface(g.geom)
     FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active'
     WHERE g.level IN ('street', 'community') AND g.name LIKE :like LIMIT :k)
    UNION ALL
    (SELECT 'zone', id, name, kind, NULL, ST_PointOnSurface(geom) FROM zone WHERE name LIKE :like LIMIT :k)
),
named AS (
    SELECT * FROM exact_or_prefix UNION ALL SELECT * FROM inside
),
addresses AS (
    -- Library addresses rank below the places they name (their text is long), so they only fill up a
    -- short list. Skipping them otherwise also spares the common case a scan of the largest table.
    SELECT 'address' AS source, id, standard_text AS name, grid_code AS detail, NULL::text AS alt, geom
    FROM address_entry
    WHERE CAST(:substring AS boolean) AND normalized_text LIKE :norm_like
      AND (SELECT count(*) FROM (SELECT DISTINCT source, id FROM named) n) < :limit
    LIMIT :k
),
found AS (
    SELECT * FROM named UNION ALL SELECT * FROM addresses
),
-- part: typos
WITH found AS (
    -- At most :fuzzy_cap candidates per layer are ranked: a name sharing only its common trigrams
    -- ("重庆市渝北区…") with tens of thousands of others must not make every one of them a candidate.
    -- Enterprises are matched on their short name: full names all share the same prefix.
    SELECT * FROM (
        (SELECT * FROM (SELECT 'poi' AS source, id, name, kind AS detail, NULL::text AS alt, geom FROM poi
                        WHERE name % :q LIMIT :fuzzy_cap) c ORDER BY similarity(name, :q) DESC, id LIMIT :k)
        UNION ALL
        (SELECT * FROM (SELECT 'road' AS source, id, name, kind AS detail, NULL AS alt, geom FROM road
                        WHERE name % :q LIMIT :fuzzy_cap) c ORDER BY similarity(name, :q) DESC, id LIMIT :k)
        UNION ALL
        (SELECT * FROM (SELECT 'building' AS source, id, name, use AS detail, NULL AS alt, geom FROM building
                        WHERE name % :q LIMIT :fuzzy_cap) c ORDER BY similarity(name, :q) DESC, id LIMIT :k)
        UNION ALL
        (SELECT * FROM (SELECT 'enterprise' AS source, id, name, short_name AS detail, short_name AS alt, geom
                        FROM enterprise WHERE geom IS NOT NULL AND short_name % :q LIMIT :fuzzy_cap) c
         ORDER BY similarity(alt, :q) DESC, id LIMIT :k)
    ) typos
),
-- part: rank
hits AS (
    SELECT DISTINCT ON (source, id) source, id, name, detail, alt, geom
    FROM found h
    ORDER BY source, id
),
scored AS (
    SELECT h.*, greatest(
        CASE WHEN h.name = :q THEN 1.0
             WHEN h.name LIKE :prefix THEN 0.9
             WHEN h.name LIKE :like OR h.source = 'address' THEN 0.6 + 0.3 * char_length(:q) / char_length(h.name)
             ELSE 0.6 * similarity(h.name, :q) END,
        CASE WHEN h.alt = :q THEN 1.0
             WHEN h.alt LIKE :prefix THEN 0.9
             WHEN h.alt LIKE :like THEN 0.6 + 0.3 * char_length(:q) / char_length(h.alt)
             ELSE 0.6 * similarity(h.alt, :q) END) AS score
    FROM hits h
    ORDER BY score DESC, char_length(h.name), h.source, h.id
    LIMIT :limit
)
SELECT s.source, s.id, s.name, s.detail, ST_X(p) AS lon, ST_Y(p) AS lat, s.score
FROM scored s,
     LATERAL (SELECT CASE WHEN s.source = 'road' THEN ST_LineInterpolatePoint(s.geom, 0.5) ELSE s.geom END) c(p)
ORDER BY s.score DESC, char_length(s.name), s.source, s.id
