SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root)
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';
SET max_parallel_workers_per_gather = 0;

-- The embeddings-only model (model_type embedding_mlp, kind embedding_head): an MLP over the
-- pooled embeddings of both haplotypes, no trunk. Values are checked against PyTorch outside
-- the server (test/checks/57_embedding_mlp_parity.sh) and, with the trained demo model, in
-- the server against PyTorch-free recomputation (test/checks/90_demo_reduced.sh); here: the
-- SQL surface. Checkpoints: test/reference/make_predictor_fixtures.py (make fixtures); the
-- people and genes of sql/56_fused.sql.
SELECT register_reference('em_ref', 'test/fixtures/fused/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes;
CREATE TABLE em_people AS
SELECT sample, gt FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:1-8000');
SELECT load_model('em', 'build/generated/predictor/models/embedding_mlp', '{"reference": "em_ref"}');
SELECT load_model('em_chunk', 'build/generated/predictor/models/embedding_mlp_chunked', '{"reference": "em_ref"}');
-- its kind, and its window (what binds the reference) taken from config.json's encoder_window
SELECT name, kind, architecture, options ->> 'window' AS window, parameters > 0 AS has_parameters
FROM models WHERE name LIKE 'em%' ORDER BY name;
-- a window other than the config's is refused
SELECT load_model('em_bad', 'build/generated/predictor/models/embedding_mlp', '{"reference": "em_ref", "window": 1000}');

-- a prediction for every person and gene; people with other haplotypes get other values
SELECT count(*) AS n, count(predict_expression(gt, 'GENEP', 'em')) AS predicted,
       count(DISTINCT predict_expression(gt, 'GENEP', 'em')) > 1 AS varies
FROM em_people WHERE sample <> 'S5';
-- two outputs: track 0 is the default, track 1 another, track 2 does not exist
SELECT bool_and(predict_expression(gt, 'GENEM', 'em_chunk', 0) = predict_expression(gt, 'GENEM', 'em_chunk')) AS track0_default,
       bool_and(predict_expression(gt, 'GENEM', 'em_chunk', 1) <> predict_expression(gt, 'GENEM', 'em_chunk')) AS track1_other
FROM em_people WHERE sample <> 'S5';
SELECT predict_expression(gt, 'GENEP', 'em_chunk', 2) FROM em_people WHERE sample = 'S1';
-- variant_effect and explain_expression: an SNV inside the encoder window changes the output
SELECT variant_effect('chr5', 2990, 'T', 'A', 'GENEP', 'em') <> 0 AS snv_effect;
SELECT count(*) > 0 AS rows, bool_or(contribution <> 0) AS some_effect
FROM explain_expression((SELECT gt FROM em_people WHERE sample = 'S1'), 'GENEP', 'em');
-- an ensemble can hold it; the other kinds' functions refuse it by kind
SELECT load_model('em_ens', NULL, '{"ensemble": {"em": 2.0}, "intercept": 1.0}');
SELECT bool_and(abs(predict_expression(gt, 'GENEP', 'em_ens') - (1 + 2 * predict_expression(gt, 'GENEP', 'em'))) < 1e-9) AS ensemble
FROM em_people WHERE sample <> 'S5';
SELECT predict_tracks('ACGT', 'em');
SELECT encode_sequence('ACGT', 'em');

SELECT unload_model(m) FROM unnest(ARRAY['em_ens', 'em', 'em_chunk']) m;
SELECT unregister_reference('em_ref');
DROP TABLE em_people;
