SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- Names whose images are the same bytes share one copy in shared memory (models.image is
-- the segment: equal numbers, one copy), reference-counted: it goes with the last name.
SELECT load_model('sh43_a', 'build/generated/models/esm_f32');
SELECT load_model('sh43_b', 'build/generated/models/esm_f32');
SELECT load_model('sh43_c', 'build/generated/models/esm_f16');
SELECT load_model('sh43_d', 'build/generated/models/esm_bare.safetensors', '{"architecture": "esm"}');
SELECT count(DISTINCT image) FILTER (WHERE name IN ('sh43_a', 'sh43_b')) AS ab_images,
       count(DISTINCT image) AS images, count(*) AS names
FROM models WHERE name LIKE 'sh43%';
SELECT model_checksum('sh43_a') = model_checksum('sh43_b') AS same_weights;
CREATE TEMP TABLE sh43_sum AS SELECT model_checksum('sh43_a') AS s;
-- unloading one name leaves the image to the other
SELECT unload_model('sh43_a');
SELECT model_checksum('sh43_b') = (SELECT s FROM sh43_sum) AS b_intact;
-- a load rolled back leaves the shared image alone
BEGIN;
SELECT load_model('sh43_e', 'build/generated/models/esm_f32');
SELECT count(DISTINCT image) AS images_be FROM models WHERE name IN ('sh43_b', 'sh43_e');
ROLLBACK;
SELECT model_checksum('sh43_b') = (SELECT s FROM sh43_sum) AS b_intact_after_rollback;
SELECT count(*) AS e_loaded FROM models WHERE name = 'sh43_e';
-- replacing a name with other bytes moves it to their image, the others keep theirs
SELECT load_model('sh43_a', 'build/generated/models/esm_f32');
SELECT load_model('sh43_b', 'build/generated/models/esm_f16', '{"replace": true}');
SELECT (SELECT image FROM models WHERE name = 'sh43_b') = (SELECT image FROM models WHERE name = 'sh43_c') AS b_shares_c,
       (SELECT image FROM models WHERE name = 'sh43_b') <> (SELECT image FROM models WHERE name = 'sh43_a') AS b_left_a;
SELECT model_checksum('sh43_a') = (SELECT s FROM sh43_sum) AS a_intact;
-- the same PredictDB file read with options that change the image: two images
SELECT load_model('sh43_p1', 'test/fixtures/predictdb/rules_v8.db');
SELECT load_model('sh43_p2', 'test/fixtures/predictdb/rules_v8.db', '{"palindromic": "skip"}');
SELECT load_model('sh43_p3', 'test/fixtures/predictdb/rules_v8.db');
SELECT count(DISTINCT image) AS pdb_images FROM models WHERE name LIKE 'sh43_p%';
SELECT (SELECT image FROM models WHERE name = 'sh43_p1') = (SELECT image FROM models WHERE name = 'sh43_p3') AS p1_p3_shared;
-- a name loaded again from the same file with other options gets the image those options
-- build, not the old one (equal file sha256, other bytes), and back again (the image's
-- own description, predictdb_model_info, says which)
SELECT load_model('sh43_p1', 'test/fixtures/predictdb/rules_v8.db', '{"palindromic": "skip", "replace": true}');
SELECT (SELECT row(i.*)::text FROM predictdb_model_info('sh43_p1') i) = (SELECT row(i.*)::text FROM predictdb_model_info('sh43_p2') i) AS p1_now_skips,
       (SELECT palindromic FROM predictdb_model_info('sh43_p1')) AS p1_palindromic;
SELECT load_model('sh43_p1', 'test/fixtures/predictdb/rules_v8.db', '{"replace": true}');
SELECT (SELECT row(i.*)::text FROM predictdb_model_info('sh43_p1') i) = (SELECT row(i.*)::text FROM predictdb_model_info('sh43_p3') i) AS p1_keeps_again,
       (SELECT palindromic FROM predictdb_model_info('sh43_p1')) AS p1_palindromic;
SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'sh43%';
