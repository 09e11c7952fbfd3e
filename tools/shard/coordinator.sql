-- The coordinator of a cohort spread over several PostgreSQL servers (README "A cohort on
-- several servers"). Run once on the coordinator, after CREATE EXTENSION varformer and after
-- loading the same reference, annotation and models as the shards (same files):
--
--     psql -f tools/shard/coordinator.sql
--     CALL shard_cluster_create(ARRAY['s1', 's2'], ARRAY['10.0.0.11', '10.0.0.12'],
--                               ARRAY[5432, 5432], 'cohort');
--
-- Why a companion script and not part of the extension: everything here exists only on the
-- coordinator, depends on postgres_fdw (the extension does not) and on the shards' addresses.
-- The shards run tools/shard/shard.sql; the names they share with this file are the contract.
--
-- What it builds (postgres_fdw, no other engine):
--   cohort, phenotype      partitioned BY HASH (sample), one foreign partition per shard: rows
--                          written here are routed to their shard, a person's rows to one shard.
--   shards.cohort_predictions, shards.cohort_trait_predictions, shards.cohort_embeddings,
--   shards.shard_models    partitioned BY LIST (shard), one foreign partition per shard over the
--                          shard's view of the same name: WHERE clauses (model, gene, trait) are
--                          shipped, so predictions run on the shards; aggregates grouped by shard
--                          are shipped too (enable_partitionwise_aggregate), so per-gene sums run
--                          there and only one row per shard and gene comes back.
--   cohort_predict, cohort_predict_detail, cohort_encode, cohort_prediction_mean,
--   cohort_prediction_corr   the analyst's functions: each first checks that every shard's
--                          models equal the coordinator's (shard_assert_models), then runs one
--                          query over the shards, asynchronously (async_capable).
-- They run with jit = off: the coordinator's share of their work is tiny, but postgres_fdw's
-- default estimates for foreign tables (no ANALYZE of a view) put even the model comparison
-- above jit_above_cost, and compiling it took 2 s (measured) for a query of 8 rows.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SCHEMA IF NOT EXISTS shards;
COMMENT ON SCHEMA shards IS 'the coordinator''s view of the shards (tools/shard/coordinator.sql)';

CREATE TABLE IF NOT EXISTS shards.shard (
    name     text PRIMARY KEY,     -- also the foreign server's name
    position integer NOT NULL UNIQUE
);

-- Builds the servers, user mappings and partitioned tables above for the given shards (their
-- order fixes which hash partition each holds: keep it when rebuilding over existing shards).
-- The current user reaches every shard as the same user name; give other users their own
-- mappings (with a password, as postgres_fdw requires of non-superusers).
CREATE OR REPLACE PROCEDURE shard_cluster_create(names text[], hosts text[], ports integer[],
                                                 dbname text, fetch_size integer DEFAULT 10000)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := cardinality(names);
    s text;
    t record;
BEGIN
    IF n IS NULL OR n = 0 OR cardinality(hosts) <> n OR cardinality(ports) <> n THEN
        RAISE EXCEPTION 'shard_cluster_create needs as many hosts and ports as shard names (% names, % hosts, % ports)',
            coalesce(n, 0), coalesce(cardinality(hosts), 0), coalesce(cardinality(ports), 0)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM shards.shard) THEN
        RAISE EXCEPTION 'this coordinator already has shards: %', (SELECT string_agg(name, ', ' ORDER BY position) FROM shards.shard)
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Drop the schema shards and the tables cohort and phenotype (their rows stay on the shards), then run tools/shard/coordinator.sql again.';
    END IF;
    CREATE TABLE cohort (sample text NOT NULL, gt genotype NOT NULL) PARTITION BY HASH (sample);
    CREATE TABLE phenotype (sample text NOT NULL, trait text NOT NULL, value double precision)
        PARTITION BY HASH (sample);
    CREATE TABLE shards.cohort_predictions (shard text NOT NULL, sample text, model text, gene text,
        grex double precision, n_snps_used integer, missing integer) PARTITION BY LIST (shard);
    CREATE TABLE shards.cohort_trait_predictions (shard text NOT NULL, sample text, model text,
        gene text, grex double precision, trait text, value double precision) PARTITION BY LIST (shard);
    CREATE TABLE shards.cohort_embeddings (shard text NOT NULL, sample text, model text, gene text,
        hap integer, embedding embedding) PARTITION BY LIST (shard);
    CREATE TABLE shards.shard_models (shard text NOT NULL, name text, kind text, sha256 text,
        options jsonb, reference text, reference_sha256 text, annotation_sha256 text)
        PARTITION BY LIST (shard);
    FOR i IN 1 .. n LOOP
        s := names[i];
        INSERT INTO shards.shard VALUES (s, i);
        -- extensions: varformer's IMMUTABLE functions and aggregates may be shipped;
        -- async_capable: the shards' scans of one query run at the same time;
        -- cursor_tuple_fraction = 1: postgres_fdw reads through a cursor, which the shard
        -- otherwise plans for its first 10% of rows (a plan for the whole result is what
        -- the query needs); enable_memoize = on: the shard's views compute their gene list
        -- once per query through Memoize (tools/shard/shard.sql, shard_gene_ids), whatever
        -- the shard's own setting.
        EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, '
                       'dbname %L, async_capable %L, fetch_size %L, extensions %L, options %L)',
                       s, hosts[i], ports[i]::text, dbname, 'true', fetch_size::text, 'varformer',
                       '-c cursor_tuple_fraction=1 -c enable_memoize=on');
        EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L)', s, current_user);
        FOR t IN SELECT * FROM (VALUES ('public', 'cohort'), ('public', 'phenotype')) v(sch, tab) LOOP
            EXECUTE format('CREATE FOREIGN TABLE %I.%I PARTITION OF %I.%I FOR VALUES WITH (MODULUS %s, REMAINDER %s) '
                           'SERVER %I OPTIONS (schema_name %L, table_name %L)',
                           'shards', t.tab || '_' || s, t.sch, t.tab, n, i - 1, s, 'public', t.tab);
        END LOOP;
        FOR t IN SELECT * FROM (VALUES ('cohort_predictions'), ('cohort_trait_predictions'),
                                       ('cohort_embeddings'), ('shard_models')) v(tab) LOOP
            EXECUTE format('CREATE FOREIGN TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (%L) '
                           'SERVER %I OPTIONS (schema_name %L, table_name %L)',
                           'shards', t.tab || '_' || s, 'shards', t.tab, s, s, 'public', t.tab);
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON PROCEDURE shard_cluster_create(text[], text[], integer[], text, integer) IS
    'creates the foreign servers and the partitioned tables over the shards (tools/shard/coordinator.sql)';

-- Every difference between the coordinator's models and a shard's: one row per shard, model
-- and field (loaded, kind, sha256, options, reference, reference_sha256, annotation_sha256).
-- models: those names and what they depend on (ensemble members); NULL: every model on any
-- side. The path is not compared (machines mount files differently); its sha256 is.
CREATE OR REPLACE FUNCTION shard_model_differences(models text[] DEFAULT NULL)
RETURNS TABLE (shard text, model text, field text, coordinator text, on_shard text)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE ROWS 10
SET jit = off AS $$
DECLARE
    deps text[];
BEGIN
    IF models IS NOT NULL THEN
        SELECT coalesce(array_agg(DISTINCT d), '{}') INTO deps
        FROM unnest(models) m, LATERAL model_dependencies(m) d;
    END IF;
    RETURN QUERY
    WITH here AS (
        SELECT c.name, c.kind, c.sha256, c.options, c.reference, c.reference_sha256, c.annotation_sha256
        FROM model_catalog c WHERE deps IS NULL OR c.name = ANY (deps)),
    there AS (
        SELECT r.shard, r.name, r.kind, r.sha256, r.options, r.reference, r.reference_sha256, r.annotation_sha256
        FROM shards.shard_models r WHERE deps IS NULL OR r.name = ANY (deps)),
    pairs AS (
        SELECT s.name AS shard, n.name
        FROM shards.shard s
        CROSS JOIN (SELECT h.name FROM here h UNION SELECT t.name FROM there t
                    UNION SELECT unnest(deps)) n)
    SELECT p.shard, p.name, f.field, f.here, f.there
    FROM pairs p
    LEFT JOIN here h ON h.name = p.name
    LEFT JOIN there t ON t.shard = p.shard AND t.name = p.name
    CROSS JOIN LATERAL (VALUES
        ('loaded', CASE WHEN h.name IS NULL THEN 'no' ELSE 'yes' END, CASE WHEN t.name IS NULL THEN 'no' ELSE 'yes' END),
        ('kind', h.kind, t.kind),
        ('sha256', h.sha256, t.sha256),
        ('options', h.options::text, t.options::text),
        ('reference', h.reference, t.reference),
        ('reference_sha256', h.reference_sha256, t.reference_sha256),
        ('annotation_sha256', h.annotation_sha256, t.annotation_sha256)) f(field, here, there)
    WHERE f.here IS DISTINCT FROM f.there
      AND (f.field = 'loaded' OR (h.name IS NOT NULL AND t.name IS NOT NULL))
    ORDER BY 1, 2, 3;
END
$$;
COMMENT ON FUNCTION shard_model_differences(text[]) IS
    'every difference between the coordinator''s models and each shard''s (sha256, options, bound reference and annotation, missing models)';

-- Refuses when a shard cannot be reached or one of its models (or their members) differs
-- from the coordinator's: an IMMUTABLE prediction giving other answers on one shard would be
-- silently wrong. One query over every shard at once (async append); a second pass, one
-- shard at a time, only to name a shard that cannot be reached.
CREATE OR REPLACE FUNCTION shard_assert_models(models text[]) RETURNS void
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET jit = off AS $$
DECLARE
    m text;
    s text;
    first record;
    details text;
BEGIN
    FOREACH m IN ARRAY models LOOP
        IF NOT EXISTS (SELECT 1 FROM model_catalog c WHERE c.name = m) THEN
            RAISE EXCEPTION 'model "%" is not loaded on the coordinator', m
                USING ERRCODE = 'undefined_object',
                      HINT = 'Load it on the coordinator and on every shard from the same file with the same options.';
        END IF;
    END LOOP;
    BEGIN
        SELECT d.shard, d.model, d.field INTO first FROM shard_model_differences(models) d LIMIT 1;
        IF FOUND THEN
            SELECT string_agg(format('shard "%s", model "%s": %s is %s there, %s on the coordinator',
                                     d.shard, d.model, d.field, coalesce(d.on_shard, 'NULL'), coalesce(d.coordinator, 'NULL')), E'\n')
              INTO details FROM shard_model_differences(models) d;
        END IF;
    EXCEPTION WHEN connection_exception OR sqlclient_unable_to_establish_sqlconnection THEN
        FOR s IN SELECT x.name FROM shards.shard x ORDER BY x.position LOOP
            BEGIN
                PERFORM 1 FROM shards.shard_models r WHERE r.shard = s LIMIT 1;
            EXCEPTION WHEN connection_exception OR sqlclient_unable_to_establish_sqlconnection THEN
                RAISE EXCEPTION 'shard "%" cannot be reached', s
                    USING ERRCODE = 'connection_failure', DETAIL = SQLERRM,
                          HINT = format('Start it, or check the foreign server "%s" (SELECT srvoptions FROM pg_foreign_server WHERE srvname = %L). '
                                        'Its people''s rows are only there: no query over the cohort can be complete without it.', s, s);
            END;
        END LOOP;
        RAISE;
    END;
    IF first.shard IS NOT NULL THEN
        RAISE EXCEPTION 'model "%" on shard "%" differs from the coordinator''s (%)', first.model, first.shard, first.field
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = details,
                  HINT = 'Load the same file with the same options, reference and annotation on every server '
                         '(where it differs: load_model(name, path, options) with "replace": true); '
                         'SELECT * FROM shard_model_differences() lists every difference.';
    END IF;
END
$$;
COMMENT ON FUNCTION shard_assert_models(text[]) IS
    'errors naming the shard and the model when a shard cannot be reached or its model (or an ensemble member) differs from the coordinator''s';

-- Which of the gene ids asked for the shards cannot compute, and so the coordinator must,
-- to give what one server gives. The shards' views offer every (model, gene id) pair for the
-- ids model_gene_ids lists; predict_expression also accepts other spellings (a gene name in
-- another case, a gene id with another version), gives NULL for a gene the gene table or
-- another PredictDB model knows but the model does not, and errors for an id nobody knows.
-- Those ids, and NULLs, are returned, in the order asked, each once: the caller computes them
-- here, on genotypes fetched from the shards, by the same function as one server. So that an
-- unknown id fails before any genotype is fetched, each is first tried on one person's
-- genotype (the first shard that has one): the error raised is one server's own (same
-- SQLSTATE, message naming the gene, hint). fn: which function the caller computes
-- ('predict_expression', 'predict_expression_detail' or 'encode_haplotype').
DROP FUNCTION IF EXISTS shard_check_request(text[], text);   -- before it said which ids to compute here
CREATE OR REPLACE FUNCTION shard_check_request(genes text[], model text,
                                               fn text DEFAULT 'predict_expression')
RETURNS text[]
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET jit = off AS $$
DECLARE
    here text[];
    g text;
    s text;
    gt0 genotype;
BEGIN
    PERFORM shard_assert_models(ARRAY[model]);
    SELECT coalesce(array_agg(x ORDER BY i), '{}') INTO here FROM (
        SELECT DISTINCT ON (a.g) a.g AS x, a.i
        FROM unnest(genes) WITH ORDINALITY a(g, i)
        WHERE a.g IS NULL OR a.g NOT IN (SELECT k FROM model_gene_ids(model) k)
        ORDER BY a.g, a.i) d;
    IF cardinality(here) = 0 THEN
        RETURN here;
    END IF;
    -- LIMIT reaches one foreign table's remote query, not a partitioned table's partitions
    FOR s IN SELECT x.name FROM shards.shard x ORDER BY x.position LOOP
        EXECUTE format('SELECT gt FROM shards.%I LIMIT 1', 'cohort_' || s) INTO gt0;
        EXIT WHEN gt0 IS NOT NULL;
    END LOOP;
    IF gt0 IS NULL THEN
        RETURN here;            -- nobody to predict for: one server gives no rows, no error
    END IF;
    FOREACH g IN ARRAY here LOOP
        CONTINUE WHEN g IS NULL;
        CASE fn
            WHEN 'predict_expression' THEN PERFORM predict_expression(gt0, g, model);
            WHEN 'predict_expression_detail' THEN PERFORM predict_expression_detail(gt0, g, model);
            WHEN 'encode_haplotype' THEN PERFORM encode_haplotype(gt0, 1, g, model);
        END CASE;
    END LOOP;
    RAISE NOTICE 'computing % on the coordinator for gene ids model_gene_ids(%) does not list: %',
        fn, quote_literal(model), (SELECT string_agg(coalesce(quote_literal(x), 'NULL'), ', ') FROM unnest(here) x)
        USING HINT = 'Use the ids model_gene_ids lists (the model''s own, with or without version, or the names of its annotation) to compute them on the shards.';
    RETURN here;
END
$$;
COMMENT ON FUNCTION shard_check_request(text[], text, text) IS
    'checks the shards'' models (shard_assert_models) and returns the gene ids the coordinator computes itself (not in model_gene_ids), after raising one server''s error for an unknown one';

-- The analyst's functions. Rows come in the shards' order; ORDER BY sample when it matters.
-- Each gives what one server gives for its gene ids (NULLs and errors included): the ids
-- model_gene_ids lists are computed on the shards, any other (shard_check_request) on the
-- coordinator by the same function; each distinct id once.
-- There the id list is a LATERAL reference to the person (the tableoid: one value per shard),
-- so people stay outside it and each genotype is decoded once (tools/shard/shard.sql).

CREATE OR REPLACE FUNCTION cohort_predict(gene text, model text)
RETURNS TABLE (sample text, grex double precision)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 100000
SET jit = off AS $$
BEGIN
    IF cardinality(shard_check_request(ARRAY[gene], model)) > 0 THEN
        RETURN QUERY SELECT c.sample, predict_expression(c.gt, cohort_predict.gene, cohort_predict.model) FROM cohort c;
    ELSE
        RETURN QUERY SELECT p.sample, p.grex FROM shards.cohort_predictions p
                     WHERE p.model = cohort_predict.model AND p.gene = cohort_predict.gene;
    END IF;
END
$$;
COMMENT ON FUNCTION cohort_predict(text, text) IS
    'predict_expression(gt, gene, model) for every person of the cohort, computed on the shards';

CREATE OR REPLACE FUNCTION cohort_predict(genes text[], model text)
RETURNS TABLE (sample text, gene text, grex double precision)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 1000000
SET jit = off AS $$
DECLARE
    here text[] := shard_check_request(genes, model);
BEGIN
    RETURN QUERY SELECT p.sample, p.gene, p.grex FROM shards.cohort_predictions p
                 WHERE p.model = cohort_predict.model AND p.gene = ANY (genes);
    IF cardinality(here) > 0 THEN
        RETURN QUERY SELECT c.sample, x.id, predict_expression(c.gt, x.id, cohort_predict.model)
                     FROM cohort c CROSS JOIN LATERAL (SELECT i FROM unnest(here) i WHERE c.tableoid IS NOT NULL OFFSET 0) x(id);
    END IF;
END
$$;
COMMENT ON FUNCTION cohort_predict(text[], text) IS
    'predict_expression(gt, gene, model) for every person of the cohort and every distinct gene id, computed on the shards';

CREATE OR REPLACE FUNCTION cohort_predict_detail(gene text, model text)
RETURNS TABLE (sample text, grex double precision, n_snps_used integer, missing integer)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 100000
SET jit = off AS $$
BEGIN
    IF cardinality(shard_check_request(ARRAY[gene], model, 'predict_expression_detail')) > 0 THEN
        RETURN QUERY SELECT c.sample, d.grex, d.n_snps_used, d.missing FROM cohort c
                     CROSS JOIN LATERAL predict_expression_detail(c.gt, cohort_predict_detail.gene, cohort_predict_detail.model) d;
    ELSE
        RETURN QUERY SELECT p.sample, p.grex, p.n_snps_used, p.missing FROM shards.cohort_predictions p
                     WHERE p.model = cohort_predict_detail.model AND p.gene = cohort_predict_detail.gene;
    END IF;
END
$$;
COMMENT ON FUNCTION cohort_predict_detail(text, text) IS
    'predict_expression_detail''s grex, n_snps_used and missing for every person (PredictDB models), computed on the shards';

CREATE OR REPLACE FUNCTION cohort_encode(gene text, model text)
RETURNS TABLE (sample text, hap integer, embedding embedding)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 100000
SET jit = off AS $$
BEGIN
    IF cardinality(shard_check_request(ARRAY[gene], model, 'encode_haplotype')) > 0 THEN
        RETURN QUERY SELECT c.sample, h.h, encode_haplotype(c.gt, h.h, cohort_encode.gene, cohort_encode.model)
                     FROM cohort c CROSS JOIN (VALUES (1), (2)) h(h);
    ELSE
        RETURN QUERY SELECT p.sample, p.hap, p.embedding FROM shards.cohort_embeddings p
                     WHERE p.model = cohort_encode.model AND p.gene = cohort_encode.gene;
    END IF;
END
$$;
COMMENT ON FUNCTION cohort_encode(text, text) IS
    'encode_haplotype of both haplotypes of every person, computed on the shards';

-- Per gene: how many people have a prediction and their mean. Each shard returns its count
-- and sum per gene (a full partitionwise aggregate: grouped by the partition key, so
-- postgres_fdw ships it), the coordinator adds them up.
CREATE OR REPLACE FUNCTION cohort_prediction_mean(genes text[], model text)
RETURNS TABLE (gene text, n bigint, mean double precision)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 100
SET enable_partitionwise_aggregate = on SET jit = off AS $$
DECLARE
    here text[] := shard_check_request(genes, model);
BEGIN
    RETURN QUERY
    SELECT a.gene, sum(a.n)::bigint, sum(a.s) / nullif(sum(a.n), 0)
    FROM (SELECT p.shard, p.gene, count(p.grex) AS n, sum(p.grex) AS s
          FROM shards.cohort_predictions p
          WHERE p.model = cohort_prediction_mean.model AND p.gene = ANY (genes)
          GROUP BY p.shard, p.gene
          UNION ALL
          SELECT NULL, y.id, count(y.v), sum(y.v)
          FROM (SELECT x.id, predict_expression(c.gt, x.id, cohort_prediction_mean.model) AS v
                FROM cohort c CROSS JOIN LATERAL (SELECT i FROM unnest(here) i WHERE c.tableoid IS NOT NULL OFFSET 0) x(id)
                WHERE cardinality(here) > 0) y     -- a one-time filter: no scan without such ids
          GROUP BY y.id) a
    GROUP BY a.gene ORDER BY a.gene;
END
$$;
COMMENT ON FUNCTION cohort_prediction_mean(text[], text) IS
    'per gene: people with a prediction and their mean prediction, summed on the shards';

-- Per gene: Pearson's correlation between the prediction and a trait over people with both.
-- Each shard returns its count, means and centred sums of squares and products per gene
-- (regr_count, regr_avgx/avgy, regr_sxx/syy/sxy: PostgreSQL's own aggregates); the
-- coordinator pools them as PostgreSQL combines parallel workers' states, so the result is
-- corr(value, grex) over the whole cohort up to rounding.
CREATE OR REPLACE FUNCTION cohort_prediction_corr(genes text[], model text, trait text)
RETURNS TABLE (gene text, n bigint, r double precision)
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE ROWS 100
SET enable_partitionwise_aggregate = on SET jit = off AS $$
DECLARE
    here text[] := shard_check_request(genes, model);
BEGIN
    RETURN QUERY
    WITH part AS (
        SELECT p.shard, p.gene, regr_count(p.value, p.grex)::double precision AS k,
               regr_avgx(p.value, p.grex) AS mx, regr_avgy(p.value, p.grex) AS my,
               regr_sxx(p.value, p.grex) AS sxx, regr_syy(p.value, p.grex) AS syy,
               regr_sxy(p.value, p.grex) AS sxy
        FROM shards.cohort_trait_predictions p
        WHERE p.model = cohort_prediction_corr.model AND p.gene = ANY (genes)
          AND p.trait = cohort_prediction_corr.trait
        GROUP BY p.shard, p.gene
        UNION ALL
        SELECT NULL, y.id, regr_count(y.value, y.v)::double precision, regr_avgx(y.value, y.v),
               regr_avgy(y.value, y.v), regr_sxx(y.value, y.v), regr_syy(y.value, y.v), regr_sxy(y.value, y.v)
        FROM (SELECT x.id, f.value, predict_expression(c.gt, x.id, cohort_prediction_corr.model) AS v
              FROM cohort c JOIN phenotype f ON f.sample = c.sample AND f.trait = cohort_prediction_corr.trait
              CROSS JOIN LATERAL (SELECT i FROM unnest(here) i WHERE c.tableoid IS NOT NULL OFFSET 0) x(id)
              WHERE cardinality(here) > 0) y
        GROUP BY y.id),
    pooled AS (
        SELECT x.*, sum(x.k * x.mx) OVER w / sum(x.k) OVER w AS gx,
                    sum(x.k * x.my) OVER w / sum(x.k) OVER w AS gy
        FROM part x WHERE x.k > 0 WINDOW w AS (PARTITION BY x.gene))
    SELECT g.gene, coalesce(sum(q.k), 0)::bigint,
           sum(q.sxy + q.k * (q.mx - q.gx) * (q.my - q.gy))
             / nullif(sqrt(sum(q.sxx + q.k * (q.mx - q.gx) ^ 2) * sum(q.syy + q.k * (q.my - q.gy) ^ 2)), 0)
    FROM unnest(genes) g(gene)
    LEFT JOIN pooled q ON q.gene = g.gene
    GROUP BY g.gene ORDER BY g.gene;
END
$$;
COMMENT ON FUNCTION cohort_prediction_corr(text[], text, text) IS
    'per gene: Pearson correlation of the prediction with a trait over the cohort, moments computed on the shards';
