-- What sharding compares and offers (extension/sql/90_shard.sql; the cluster itself is
-- test/t/060_shard.pl): a model's dependencies and the gene ids predict_expression answers to.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

SELECT register_reference('sh90_ref', 'test/fixtures/fused/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes;
SELECT load_model('sh90_pdb', 'test/fixtures/predictdb/rules_v8.db');
SELECT load_model('sh90_enc', 'build/generated/encoder/models/nt_v1', '{"window": 60, "reference": "sh90_ref"}');
SELECT load_model('sh90_pdb2', 'test/fixtures/predictdb/rules_v8.db', '{"palindromic": "skip"}');
SELECT load_model('sh90_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "sh90_ref", "window": 1280}');
SELECT load_model('sh90_ens', NULL, '{"ensemble": {"sh90_pdb": 1, "sh90_pdb2": 2}}');
SELECT load_model('sh90_ens2', NULL, '{"ensemble": [{"model": "sh90_ens", "weight": 0.5}, {"model": "sh90_s2f", "weight": 1}]}');

-- PredictDB: each gene's id as the file has it and without its version, and its name
SELECT g FROM model_gene_ids('sh90_pdb') g ORDER BY g;
-- an annotation bound at load: ids, unversioned ids and names (this file's genes; the gene
-- table may hold others imported before)
SELECT g FROM model_gene_ids('sh90_enc') g WHERE g LIKE 'ENSG000009%' OR g LIKE 'GENE_' ORDER BY g;
-- ensembles: members of members
SELECT d FROM model_dependencies('sh90_ens2') d ORDER BY d;
SELECT count(*) FILTER (WHERE g LIKE 'ENSG0000000000%' OR g SIMILAR TO 'GENE[A-F]') AS predictdb_ids,
       count(*) FILTER (WHERE g LIKE 'ENSG000009%' OR g IN ('GENEP', 'GENEM')) AS annotation_ids
FROM model_gene_ids('sh90_ens2') g;
SELECT d FROM model_dependencies('sh90_nothing') d;
SELECT count(*) AS ids FROM model_gene_ids('sh90_nothing');
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
WHERE proname IN ('model_dependencies', 'model_gene_ids') ORDER BY 1;

SELECT unload_model('sh90_ens2'), unload_model('sh90_ens');
SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'sh90%';
SELECT unregister_reference('sh90_ref');
