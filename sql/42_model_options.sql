SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- load_model checks every option at load, naming the option and what it accepts.
-- Keys no kind knows: refused before the file is read, with the nearest spelling.
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"windows": 60}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"revers_complement": true}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"colour": "blue"}');
-- wrong types and values out of range
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"window": 60, "reverse_complement": "yes"}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"window": 2147483647}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"window": 60.5}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"replace": 1}');
SELECT load_model('opt42', 'test/fixtures/predictdb/rules_v8.db', '{"palindromic": "drop"}');
SELECT load_model('opt42', NULL, '{"ensemble": {"x": 1}, "intercept": "1"}');
-- options of another kind of model
SELECT load_model('opt42', 'test/fixtures/predictdb/rules_v8.db', '{"window": 1000}');
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"variant_key": "rsid"}');
-- haplotype options without a window
SELECT load_model('opt42', 'build/generated/models/esm_f32', '{"reverse_complement": true}');
-- a sequence-to-function model: window, track and tss_bins against the model's shape
SELECT register_reference('opt42_ref', 'test/fixtures/fused/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/fused/genes.gtf') AS genes;
SELECT load_model('opt42_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "opt42_ref", "window": 1000000}');
SELECT load_model('opt42_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "opt42_ref", "window": 1280, "track": 99}');
SELECT load_model('opt42_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "opt42_ref", "window": 1280, "tss_bins": 500}');
SELECT load_model('opt42_s2f', 'build/generated/predictor/models/enformer_pt', '{"reference": "opt42_ref", "window": 1280, "track": 1}');
-- a fused model's options: no seq2func-only keys
SELECT load_model('opt42_fz', 'build/generated/predictor/models/ukbioformer', '{"reference": "opt42_ref", "tss_bins": 3}');
-- nothing of the refused loads was recorded
SELECT name FROM models WHERE name LIKE 'opt42%' ORDER BY name;

-- ensembles: members must be loaded, must predict, must not be the ensemble itself
SELECT load_model('opt42_enet', 'test/fixtures/predictdb/rules_v8.db');
SELECT load_model('opt42_esm', 'build/generated/models/esm_f32');
SELECT load_model('opt42_ens', NULL, '{"ensemble": {"opt42_enet": 1, "opt42_nosuch": 1}}');
SELECT load_model('opt42_ens', NULL, '{"ensemble": [{"model": "opt42_esm", "weight": 1}]}');
SELECT load_model('opt42_ens', NULL, '{"ensemble": {"opt42_ens": 1}}');
SELECT load_model('opt42_ens', NULL, '{"ensemble": {"opt42_enet": 0.5, "opt42_s2f": 0.5}}');
-- ... and a model an ensemble uses cannot be unloaded before the ensemble
SELECT unload_model('opt42_enet');
SELECT unload_model('opt42_s2f');
SELECT unload_model('opt42_ens');
SELECT unload_model('opt42_enet');

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'opt42%';
SELECT unregister_reference('opt42_ref');
DELETE FROM gene_annotation;
