-- Row-parallel scans (src/extension/predict/row_parallel.c): a cohort table is a few heap
-- pages (genotypes are TOASTed; here 60 people fit in one page), so PostgreSQL's block-based
-- parallel scan cannot split it; varformer's scan hands out rows. Planner costs per model
-- kind (predict_cost.c) and the progress view (progress.c).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';
SELECT load_model('pdb70', 'test/fixtures/predictdb/rules_v8.db');

CREATE TABLE cohort70 AS
SELECT i AS sample,
       format('22:1-5000 1000:rs1000:C:T:%s:DS=%s 1100:rs1100:C:T:%s 1300:rs1300:C:T:1|1',
              (ARRAY['0|0','0|1','1|0','1|1'])[1 + i % 4], round((i % 7) / 3.5, 4),
              (ARRAY['0|1','1|1','0|0'])[1 + i % 3])::genotype AS gt
FROM generate_series(1, 60) i;
ANALYZE cohort70;
SELECT pg_relation_size('cohort70') / current_setting('block_size')::int AS heap_pages;

-- EXPLAIN (FORMAT JSON) of a query, to read costs and per-worker row counts.
CREATE FUNCTION plan70(q text, do_analyze boolean DEFAULT false) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    EXECUTE format('EXPLAIN (FORMAT JSON, VERBOSE, ANALYZE %s, TIMING false) %s', do_analyze::text, q) INTO j;
    RETURN j -> 0 -> 'Plan';
END $$;

-- A stand-in for a deep model's per-row cost (COST as a forward pass) that also says which
-- process evaluated the row.
CREATE FUNCTION who70(g genotype) RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    COST 1000000 AS $$ BEGIN RETURN pg_backend_pid() + 0 * n_variants(g); END $$;

-- At default settings PostgreSQL plans no parallel scan of one page; varformer's row scan
-- makes the costly per-row work parallel.
SET varformer.row_parallel = off;
EXPLAIN (COSTS OFF) SELECT sample, who70(gt) FROM cohort70;
RESET varformer.row_parallel;
EXPLAIN (COSTS OFF) SELECT sample, who70(gt) FROM cohort70;

-- Work is split: with the test barrier every planned participant waits for the others
-- before its first row, so each of the leader and the 2 workers provably processes rows,
-- however loaded the machine is.
SET varformer.row_parallel_test_barrier = on;
SELECT p ->> 'Workers Launched' AS launched,
       (SELECT count(*) FROM jsonb_array_elements(p -> 'Plans' -> 0 -> 'Workers') w
         WHERE (w ->> 'Actual Rows')::int >= 1) AS workers_with_rows,
       (p ->> 'Actual Rows')::int AS rows
FROM plan70('SELECT sample, who70(gt) FROM cohort70', true) p;
SELECT count(DISTINCT w) AS processes, count(*) AS rows, sum(sample) AS samples
FROM (SELECT sample, who70(gt) AS w FROM cohort70 OFFSET 0) s;

-- Results are the same with 0 and 2 workers (elastic-net predictions; parallel made cheap
-- so this small query gets the parallel plan).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT sample, predict_expression(gt, 'ENSG00000000001.5', 'pdb70') FROM cohort70;
CREATE TEMP TABLE par70 AS
SELECT sample, predict_expression(gt, 'ENSG00000000001.5', 'pdb70') AS grex FROM cohort70;
RESET varformer.row_parallel_test_barrier;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser70 AS
SELECT sample, predict_expression(gt, 'ENSG00000000001.5', 'pdb70') AS grex FROM cohort70;
SELECT count(*) AS people, count(*) FILTER (WHERE s.grex IS NOT DISTINCT FROM p.grex) AS equal,
       count(DISTINCT s.grex) AS distinct_values
FROM ser70 s JOIN par70 p USING (sample);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

-- Per-kind cost from the planner support function: an elastic-net call costs 25 operator
-- units (about a microsecond), so a cohort query of them is neither parallel nor JIT-compiled;
-- a model the planner cannot see (a column) keeps the declared COST.
CREATE TEMP TABLE m70 (model text);
INSERT INTO m70 VALUES ('pdb70');
SELECT round((((plan70('SELECT predict_expression(gt, ''ENSG00000000001.5'', ''pdb70'') FROM cohort70') ->> 'Total Cost')::numeric
             - (plan70('SELECT gt FROM cohort70') ->> 'Total Cost')::numeric)
             / 60 / current_setting('cpu_operator_cost')::numeric)) AS linear_cost_units,
       (SELECT procost FROM pg_proc WHERE proname = 'predict_expression' AND pronargs = 3) AS declared_cost;
EXPLAIN (COSTS OFF) SELECT sample, predict_expression(gt, 'ENSG00000000001.5', 'pdb70') FROM cohort70;

-- Progress: this backend's slot shows the last statement's calls.
SELECT count(*) FROM (SELECT predict_expression(gt, 'ENSG00000000001.5', 'pdb70') FROM cohort70) s;
SELECT function, model, calls, leader_pid IS NULL AS is_leader
FROM varformer_progress WHERE pid = pg_backend_pid();

-- Two row-parallel scans in one query (both sides of a parallel hash join): every row of
-- each table goes to one participant, and the query ends (each process keeps one shared
-- prediction cache, parallel_cache.c).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF)
SELECT a.sample, who70(a.gt) + who70(b.gt) FROM cohort70 a JOIN cohort70 b USING (sample);
SELECT count(*) AS rows, count(DISTINCT sample) AS samples
FROM (SELECT a.sample, who70(a.gt) + who70(b.gt) FROM cohort70 a JOIN cohort70 b USING (sample)) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

-- JIT (jit_policy.c): a plan whose cost is almost all expensive calls is not compiled, since
-- JIT cannot speed up what happens inside them; ordinary plans keep PostgreSQL's decision.
CREATE FUNCTION jit70(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, ANALYZE, TIMING false) ' || q INTO j;
    RETURN j -> 0 ? 'JIT';
END $$;
SET max_parallel_workers_per_gather = 0;
SET jit = on;
SELECT pg_jit_available() AS jit_available,
       jit70('SELECT count(who70(gt)) FROM cohort70') AS model_calls_compiled;
SET varformer.jit_policy = off;
SELECT jit70('SELECT count(who70(gt)) FROM cohort70') AS compiled_without_policy;
RESET varformer.jit_policy;
SET jit_above_cost = 0;
SELECT jit70('SELECT count(*) FROM cohort70 WHERE sample % 3 = 1') AS ordinary_plan_compiled;
RESET jit_above_cost;
RESET jit;
RESET max_parallel_workers_per_gather;
DROP FUNCTION jit70(text);

-- A cohort crossed with genes: the rows handed out are the cohort's (the call's first
-- argument, its data), so each participant scores every gene on the genotype it has just
-- matched; with the genes handed out instead, every call would decode another genotype.
CREATE TABLE genes70 AS SELECT 'G' || i AS gene FROM generate_series(1, 200) i;
ANALYZE genes70;
CREATE FUNCTION per_gene70(g genotype, gene text) RETURNS integer LANGUAGE plpgsql IMMUTABLE
    PARALLEL SAFE COST 1000000 AS $$ BEGIN RETURN n_variants(g) + length(gene); END $$;
EXPLAIN (COSTS OFF)
SELECT sum(per_gene70(c.gt, g.gene)) FROM genes70 g CROSS JOIN cohort70 c;
DROP TABLE genes70;
DROP FUNCTION per_gene70(genotype, text);

DROP TABLE cohort70;
DROP FUNCTION who70(genotype), plan70(text, boolean);
SELECT unload_model('pdb70');
