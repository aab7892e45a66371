-- Place-name search over every named layer. :q is the query, :like its escaped '%q%' pattern,
-- :k the per-layer cap. Each layer uses its trigram GIN index (LIKE and the % similarity operator).
WITH hits AS (
    (SELECT 'poi' AS source, p.id, p.name, p.kind AS detail, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
     FROM poi p WHERE p.name LIKE :like OR p.name % :q
     ORDER BY similarity(p.name, :q) DESC, p.id LIMIT :k)
    UNION ALL
    (SELECT 'road', r.id, r.name, r.kind, ST_X(c), ST_Y(c)
     FROM road r, LATERAL ST_LineInterpolatePoint(r.geom, 0.5) c
     WHERE r.name LIKE :like OR r.name % :q
     ORDER BY similarity(r.name, :q) DESC, r.id LIMIT :k)
    UNION ALL
    (SELECT 'building', b.id, b.name, b.use, ST_X(b.geom), ST_Y(b.geom)
     FROM building b WHERE b.name LIKE :like OR b.name % :q
     ORDER BY similarity(b.name, :q) DESC, b.id LIMIT :k)
    UNION ALL
    (SELECT 'enterprise', e.id, e.name, e.short_name, ST_X(e.geom), ST_Y(e.geom)
     FROM enterprise e WHERE e.geom IS NOT NULL AND (e.name LIKE :like OR e.name % :q)
     ORDER BY similarity(e.name, :q) DESC, e.id LIMIT :k)
    UNION ALL
    (SELECT 'address', a.id, a.standard_text, a.grid_code, ST_X(a.geom), ST_Y(a.geom)
     FROM address_entry a WHERE a.normalized_text LIKE :norm_like
     ORDER BY length(a.normalized_text), a.id LIMIT :k)
    UNION ALL
    (SELECT 'grid_' || g.level, g.id, g.name, g.code, ST_X(c), ST_Y(c)
     FROM grid g JOIN grid_version v ON v.id = g.version_id AND v.status = 'active',
          LATERAL ST_PointOnSurface(g.geom) c
     WHERE g.level IN ('street', 'community') AND g.name LIKE :like LIMIT :k)
    UNION ALL
    (SELECT 'zone', z.id, z.name, z.kind, ST_X(c), ST_Y(c)
     FROM zone z, LATERAL ST_PointOnSurface(z.geom) c WHERE z.name LIKE :like LIMIT :k)
)
SELECT source, id, name, detail, lon, lat,
       CASE WHEN name = :q OR (source = 'enterprise' AND detail = :q) THEN 1.0
            WHEN name LIKE :prefix THEN 0.9
            WHEN name LIKE :like OR source = 'address' THEN 0.6 + 0.3 * char_length(:q) / char_length(name)
            ELSE 0.6 * similarity(name, :q) END AS score
FROM hits
ORDER BY score DESC, char_length(name), source, id
LIMIT :limit
