SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root)
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';
-- counters below are this backend's: keep the scans in it
SET max_parallel_workers_per_gather = 0;

-- Deep predictors from people's own haplotypes: fused (UKBioFormer) and seq2func (Enformer)
-- models, against PyTorch on bcftools-consensus haplotypes (test/reference/
-- make_fused_sql_goldens.py wrote test/fixtures/fused: FASTA, GTF, VCF and the expected values;
-- the checkpoints are test/reference/make_predictor_fixtures.py's, in build/generated/predictor, make fixtures).
SELECT register_reference('fz_ref', 'test/fixtures/fused/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes;
CREATE TABLE fz_people AS
SELECT sample, gt FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:1-8000');
SELECT load_model('fz', 'build/generated/predictor/models/ukbioformer', '{"reference": "fz_ref"}');
SELECT load_model('fz_rc', 'build/generated/predictor/models/ukbioformer_lightning',
                  '{"reference": "fz_ref", "reverse_complement": true}');
SELECT load_model('fz_chunk', 'build/generated/predictor/models/ukbioformer_chunked', '{"reference": "fz_ref"}');
SELECT load_model('s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "fz_ref", "window": 1280}');
SELECT load_model('s2f_dip', 'build/generated/predictor/models/enformer_pt',
                  '{"reference": "fz_ref", "window": 1280, "diploid_onehot": true, "tss_bins": 5, "track": 2, "reverse_complement": true}');
-- a fused model is one model: its kind, and its window taken from config.json into the options
SELECT name, kind, architecture, options ->> 'window' AS window, parameters > 0 AS has_parameters,
       length(sha256) AS sha_len
FROM models WHERE name LIKE 'fz%' OR name LIKE 's2f%' ORDER BY name;
-- the same directory under another name: the same sha256 (it covers encoder/ too)
SELECT load_model('fz_again', 'build/generated/predictor/models/ukbioformer', '{"reference": "fz_ref", "allow_unphased": true}');
SELECT count(DISTINCT sha256) AS one_sha FROM models WHERE name IN ('fz', 'fz_again');
-- a window other than the config's is refused
SELECT load_model('fz_bad', 'build/generated/predictor/models/ukbioformer', '{"reference": "fz_ref", "window": 2000}');

-- Parity with PyTorch: every model, every person, both genes (SNVs, insertions, deletions
-- around the TSS, GENEP's and GENEM's TSS base deleted on one haplotype, minus strand with and
-- without reverse complement). 1e-4 relative.
CREATE TABLE fz_expected (model text, sample text, gene text, value float8);
\set csv :abs_srcdir '/test/fixtures/fused/expected.csv'
COPY fz_expected FROM :'csv' (FORMAT csv, HEADER);
SELECT e.model, count(*) AS n,
       max(abs(predict_expression(p.gt, e.gene, e.model) - e.value) / abs(e.value)) < 1e-4 AS within_1e4
FROM fz_expected e JOIN fz_people p USING (sample)
GROUP BY e.model ORDER BY e.model;
-- the named-track variant: track 2 of s2f_dip is its default; tracks 0 and 2 differ
SELECT bool_and(predict_expression(gt, 'GENEP', 's2f_dip', 2) = predict_expression(gt, 'GENEP', 's2f_dip')) AS same_track,
       bool_or(predict_expression(gt, 'GENEP', 's2f_dip', 0) <> predict_expression(gt, 'GENEP', 's2f_dip', 2)) AS tracks_differ
FROM fz_people WHERE sample <> 'S5';
-- predict_tracks and predict_expression share a seq2func model in one backend
SELECT array_length(predict_tracks(repeat('ACGT', 320), 's2f'), 1) AS bins,
       (SELECT count(predict_expression(gt, 'GENEP', 's2f')) FROM fz_people WHERE sample <> 'S5') AS people,
       array_length(predict_tracks(repeat('ACGT', 320), 's2f'), 1) AS bins_again;
SELECT predict_expression(gt, 'GENEP', 's2f', 5) FROM fz_people WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEP', 'fz', 1) FROM fz_people WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEP', 'fz', -1) FROM fz_people WHERE sample = 'S1';

-- variant_effect: the variant on both haplotypes of the reference minus the reference
CREATE TABLE fz_effects (model text, pos int, ref text, alt text, gene text, value float8);
\set csv :abs_srcdir '/test/fixtures/fused/effects.csv'
COPY fz_effects FROM :'csv' (FORMAT csv, HEADER);
-- differences of predictions: 1e-4 of the model's prediction scale
SELECT e.model, count(*) AS n,
       max(abs(variant_effect('chr5', e.pos, e.ref, e.alt, e.gene, e.model) - e.value)) <
       1e-4 * (SELECT max(abs(value)) FROM fz_expected x WHERE x.model = e.model) AS within_1e4
FROM fz_effects e GROUP BY e.model ORDER BY e.model;
-- lower-case alleles are bases too; a REF that is not the reference's names the site
SELECT variant_effect('chr5', 2990, 't', 'a', 'GENEP', 'fz') = variant_effect('chr5', 2990, 'T', 'A', 'GENEP', 'fz') AS case_free;
SELECT variant_effect('chr5', 2990, 'G', 'A', 'GENEP', 'fz');
SELECT variant_effect('chr5', 2990, 'T', '<DEL>', 'GENEP', 'fz');
SELECT variant_effect('chr2', 2990, 'T', 'A', 'GENEP', 'fz');

-- explain_expression: one row per allele a haplotype carries in the model's windows, its
-- contribution = prediction minus the prediction with it reverted on that haplotype
CREATE TABLE fz_explain (model text, sample text, gene text, pos bigint, ref text, alt text, hap int, value float8);
\set csv :abs_srcdir '/test/fixtures/fused/explain.csv'
COPY fz_explain FROM :'csv' (FORMAT csv, HEADER);
SELECT coalesce(x.model, e.model) AS model, coalesce(x.sample, e.sample) AS sample, coalesce(x.gene, e.gene) AS gene,
       coalesce(x.pos, e.pos) AS pos, x.ref, x.alt, coalesce(x.hap, e.hap) AS hap,
       abs(x.contribution - e.value) < 1e-4 * (SELECT max(abs(v.value)) FROM fz_expected v WHERE v.model = e.model) AS within_1e4
FROM (SELECT k.model, k.sample, k.gene, r.*
      FROM (SELECT DISTINCT model, sample, gene FROM fz_explain) k
      JOIN fz_people p ON p.sample = k.sample
      CROSS JOIN LATERAL explain_expression(p.gt, k.gene, k.model) r) x
FULL JOIN fz_explain e ON (e.model, e.sample, e.gene, e.pos, e.hap) = (x.model, x.sample, x.gene, x.pos, x.hap)
ORDER BY 1, 2, 3, 4, 7;

-- Ensembles may mix kinds: fixed weights over a fused and a seq2func model
SELECT load_model('fz_ens', NULL, '{"ensemble": {"fz": 0.5, "s2f": 2.0}, "intercept": 1.0}');
SELECT bool_and(abs(predict_expression(gt, 'GENEM', 'fz_ens')
                    - (1.0 + 0.5 * predict_expression(gt, 'GENEM', 'fz') + 2.0 * predict_expression(gt, 'GENEM', 's2f'))) < 1e-12) AS ensemble_ok
FROM fz_people WHERE sample <> 'S5';

-- Computed once per distinct input: a cohort scan misses once per distinct haplotype (encoder)
-- and haplotype pair (trunk), and a second scan only hits
SELECT varformer_cache_reset();
SELECT count(predict_expression(gt, 'GENEP', 'fz')) AS people FROM fz_people WHERE sample <> 'S5';
SELECT hits, misses, entries FROM varformer_cache_stats();
SELECT count(predict_expression(gt, 'GENEP', 'fz')) AS people FROM fz_people WHERE sample <> 'S5';
SELECT hits, misses, entries, round(hit_rate::numeric, 3) AS hit_rate FROM varformer_cache_stats();
-- people sharing a haplotype share its embedding: S8 = S1's first haplotype twice
INSERT INTO fz_people
SELECT 'S8', (regexp_replace(gt::text, '([0-9.])\|[0-9.]', '\1|\1', 'g'))::genotype FROM fz_people WHERE sample = 'S1';
SELECT count(predict_expression(gt, 'GENEP', 'fz')) FROM fz_people WHERE sample = 'S8';
SELECT hits, misses FROM varformer_cache_stats();
SET varformer.prediction_cache_mb = 0;
SELECT count(predict_expression(gt, 'GENEP', 'fz')) FROM fz_people WHERE sample = 'S8';
SELECT entries, capacity_bytes FROM varformer_cache_stats();
RESET varformer.prediction_cache_mb;

-- Bad input, each error naming what is wrong
-- a gene not in the model's annotation names the gene and the model (terse: the detail
-- counts the genes earlier tests imported)
\set VERBOSITY terse
SELECT predict_expression(gt, 'NOGENE', 'fz') FROM fz_people WHERE sample = 'S1';
\set VERBOSITY default
-- a window outside the genotype's region names both regions and the gene
CREATE TABLE fz_short AS
SELECT sample, gt FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:2700-7000') WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEP', 'fz') FROM fz_short;
SELECT round(predict_expression(gt, 'GENEM', 's2f')::numeric, 5) AS predicted FROM fz_short;   -- 5 digits: the last float bit depends on the build's summation order
-- how much of a model's window a genotype assays: the short region holds part of it; the
-- whole region, read as listed (the default), knows only its sites; read as region, all of it
SELECT s.sample, c.* FROM fz_short s, window_coverage(s.gt, 'GENEP', 'fz') c;
SELECT c.* FROM fz_people s, window_coverage(s.gt, 'GENEP', 'fz') c WHERE s.sample = 'S1';
SELECT c.coverage, c.bases_in_region = c.window_bases AS whole_window, c.fraction_known, c.note IS NULL AS no_note
FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:1-8000', ARRAY['S1'], coverage => 'region') s,
     window_coverage(s.gt, 'GENEM', 's2f') c;
SELECT window_coverage('5:1-8000 3000:A:G:0|1'::genotype, 'GENEP', 'fz');
-- unphased heterozygous calls near the TSS name the site, unless the model allows them
SELECT predict_expression(gt, 'GENEP', 'fz') FROM fz_people WHERE sample = 'S5';
SELECT predict_expression(gt, 'GENEP', 'fz_again') IS NOT NULL AS allowed FROM fz_people WHERE sample = 'S5';
-- a model of the wrong kind
SELECT load_model('fz_enc', 'build/generated/encoder/models/nt_v1');
SELECT predict_expression(gt, 'GENEP', 'fz_enc') FROM fz_people WHERE sample = 'S1';
SELECT variant_effect('chr5', 2990, 'T', 'A', 'GENEP', 'fz_enc');
SELECT * FROM explain_expression((SELECT gt FROM fz_people WHERE sample = 'S1'), 'GENEP', 'fz_enc');
SELECT window_coverage(gt, 'GENEP', 'fz_enc') FROM fz_people WHERE sample = 'S1';
SELECT predict_expression(gt, 'GENEP', 'fz_enc', 1) FROM fz_people WHERE sample = 'S1';
-- hap other than 1 or 2 (the haplotype of a fused model's window)
SELECT encode_haplotype(gt, 3, 'GENEP', 'fz') FROM fz_people WHERE sample = 'S1';
SELECT haplotype_window(gt, 0, 'chr5', 3000, 1024, 'fz_ref') FROM fz_people WHERE sample = 'S1';

-- A query cancelled in the middle of a cohort scan (here by a cancel the query sends itself
-- after its third row, so the test does not depend on timing: statement_timeout raises the
-- same interrupt) leaves the backend and the cache usable, with the same results after.
SELECT varformer_cache_reset();
SELECT sample, CASE WHEN sample = 'S3' THEN pg_cancel_backend(pg_backend_pid()) END AS cancel,
       predict_expression(gt, 'GENEM', 'fz_chunk') IS NOT NULL AS predicted
FROM fz_people WHERE sample <> 'S5' ORDER BY sample;
SELECT count(*) AS n,
       max(abs(predict_expression(p.gt, e.gene, e.model) - e.value) / abs(e.value)) < 1e-4 AS within_1e4
FROM fz_expected e JOIN fz_people p USING (sample) WHERE e.model = 'fz_chunk';
-- (terse: where the timeout lands, and so the CONTEXT line, depends on the machine)
\set VERBOSITY terse
SET statement_timeout = '1ms';
SELECT count(predict_expression(gt, 'GENEP', 's2f_dip', 0)) FROM fz_people, generate_series(1, 50) WHERE sample <> 'S5';
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) AS n,
       max(abs(predict_expression(p.gt, e.gene, e.model) - e.value) / abs(e.value)) < 1e-4 AS within_1e4
FROM fz_expected e JOIN fz_people p USING (sample) WHERE e.model = 's2f_dip';

-- the same bytes loaded again under a name with other options keep the name's generation;
-- the new options take effect at once (the catalog row is read again in each transaction)
SELECT load_model('fz', 'build/generated/predictor/models/ukbioformer',
                  '{"reference": "fz_ref", "reverse_complement": true, "replace": true}');
SELECT bool_and(predict_expression(gt, 'GENEM', 'fz') = predict_expression(gt, 'GENEM', 'fz_rc')) AS now_like_fz_rc,
       bool_or(predict_expression(gt, 'GENEM', 'fz') <> predict_expression(gt, 'GENEM', 'fz_again')) AS unlike_before
FROM fz_people WHERE sample NOT IN ('S5', 'S8');

-- A parallel query's participants share what they compute (parallel_cache.c): over a cohort
-- whose people share haplotypes (each person 8 times), 2 workers and the leader together
-- compute each distinct haplotype and pair once, as one process does, with equal results.
-- The test barrier makes each participant take a row before any takes two, on any machine.
CREATE TABLE fz_cohort AS
SELECT format('%s_%s', sample, i) AS sample, gt FROM fz_people, generate_series(1, 8) i
WHERE sample <> 'S5';
ANALYZE fz_cohort;
SELECT varformer_cache_reset();
CREATE TEMP TABLE fz_serial AS
SELECT sample, predict_expression(gt, 'GENEP', 'fz') AS v FROM fz_cohort;
SELECT misses AS computed_serially FROM varformer_cache_stats();
SELECT varformer_cache_reset();
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET varformer.row_parallel_test_barrier = on;
CREATE FUNCTION fz_plan(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, ANALYZE, VERBOSE, TIMING false) ' || q INTO j;
    RETURN j -> 0 -> 'Plan';
END $$;
SELECT p ->> 'Workers Launched' AS launched,
       (SELECT count(*) FROM jsonb_array_elements(s -> 'Workers') w
         WHERE (w ->> 'Actual Rows')::int >= 1) AS workers_with_rows,
       s ->> 'Shared Cache Computed' AS computed_in_parallel
FROM fz_plan('SELECT sample, predict_expression(gt, ''GENEP'', ''fz'') FROM fz_cohort') p,
     LATERAL jsonb_path_query(p, 'strict $.**?(@."Custom Plan Provider" == "VarformerRowScan")') s;
CREATE TEMP TABLE fz_par AS
SELECT sample, predict_expression(gt, 'GENEP', 'fz') AS v FROM fz_cohort;
SELECT count(*) AS people, count(*) FILTER (WHERE s.v = p.v) AS equal
FROM fz_serial s JOIN fz_par p USING (sample);
RESET varformer.row_parallel_test_barrier;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
SET max_parallel_workers_per_gather = 0;
DROP FUNCTION fz_plan(text);
DROP TABLE fz_cohort;

SELECT unload_model(m) FROM unnest(ARRAY['fz_ens', 'fz', 'fz_rc', 'fz_chunk', 's2f', 's2f_dip', 'fz_again', 'fz_enc']) m;
