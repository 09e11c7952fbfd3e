-- 10_embedding_parallel: aggregates and distances under parallel plans, so the
-- serialize / deserialize / combine functions and worker-side distance calls all run.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
SET extra_float_digits = 0;

-- 20,000 integer-valued 16-d rows: every sum is exact in double, so the parallel result
-- must equal the element-wise sums computed independently in numeric below.
CREATE TABLE emb10_par (id int, grp int, e embedding(16));
INSERT INTO emb10_par
SELECT g, g % 3, (SELECT array_agg(((g * 7 + i * 13) % 101) - 50 ORDER BY i) FROM generate_series(1, 16) i)::embedding
  FROM generate_series(1, 20000) g;
ANALYZE emb10_par;

-- The reference: per-element sums and means in numeric, through unnest (no embedding code).
CREATE TABLE emb10_par_ref AS
SELECT grp, i, sum(x::numeric) AS s, avg(x::numeric) AS a
  FROM emb10_par, unnest(e::real[]) WITH ORDINALITY u(x, i)
 GROUP BY ROLLUP (grp), i;

SET force_parallel_mode = regress;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT avg(e), sum(e) FROM emb10_par;
SELECT avg(e), sum(e) FROM emb10_par;
SELECT sum(e) = (SELECT array_agg(s ORDER BY i)::real[]::embedding FROM emb10_par_ref WHERE grp IS NULL) AS sum_matches,
       avg(e) = (SELECT array_agg(a ORDER BY i)::real[]::embedding FROM emb10_par_ref WHERE grp IS NULL) AS avg_matches
  FROM emb10_par;

-- Grouped: partial aggregates per worker, combined per group.
EXPLAIN (COSTS OFF) SELECT grp, avg(e), sum(e) FROM emb10_par GROUP BY grp;
SELECT p.grp, p.sum_e = r.sum_ref AS sum_matches, p.avg_e = r.avg_ref AS avg_matches
  FROM (SELECT grp, sum(e) AS sum_e, avg(e) AS avg_e FROM emb10_par GROUP BY grp) p
  JOIN (SELECT grp, array_agg(s ORDER BY i)::real[]::embedding AS sum_ref,
               array_agg(a ORDER BY i)::real[]::embedding AS avg_ref
          FROM emb10_par_ref WHERE grp IS NOT NULL GROUP BY grp) r USING (grp)
 ORDER BY p.grp;

-- Nearest neighbours: distances computed in the workers, merged in order.
EXPLAIN (COSTS OFF)
SELECT id FROM emb10_par ORDER BY e <-> '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]' LIMIT 5;
SELECT id, e <-> '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]' AS l2
  FROM emb10_par ORDER BY 2, id LIMIT 5;
SELECT id, round((e <=> (SELECT e FROM emb10_par WHERE id = 1))::numeric, 6) AS cos
  FROM emb10_par ORDER BY e <=> (SELECT e FROM emb10_par WHERE id = 1), id LIMIT 3;
SELECT count(*) FILTER (WHERE e <#> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' < 0) AS positive_sum,
       count(*) FILTER (WHERE l1_distance(e, '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]') > 400) AS far,
       sum(dims(e)) AS total_dims
  FROM emb10_par;
-- Errors raised inside a worker reach the client with their SQLSTATE.
SELECT count(*) FROM emb10_par WHERE e <-> '[1,2]' > 0;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM emb10_par WHERE e = ('[' || id || ']')::embedding(16);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM emb10_par WHERE ('[' || (id % 1 + 3) || 'e38]')::embedding + '[3e38]' > '[0]';
\echo :LAST_ERROR_SQLSTATE
-- The same counts, serially, from the real[] form.
SET max_parallel_workers_per_gather = 0;
RESET force_parallel_mode;
SELECT count(*) FILTER (WHERE (SELECT sum(x) FROM unnest(e::real[]) x) > 0) AS positive_sum,
       count(*) FILTER (WHERE (SELECT sum(abs(x - 1)) FROM unnest(e::real[]) x) > 400) AS far
  FROM emb10_par;

DROP TABLE emb10_par, emb10_par_ref;
