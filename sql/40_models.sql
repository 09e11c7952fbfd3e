SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- A Hugging Face style directory: config.json + model.safetensors + vocab.txt.
SELECT load_model('m40_esm', 'build/generated/models/esm_f32');
-- the path is kept resolved (absolute), so reloads after a restart do not depend on file_root
SELECT name, kind, architecture, parameters, bytes > 0 AS has_bytes, replace(path, :'abs_srcdir', '$SRCDIR') AS path, loaded, backends
FROM models WHERE name LIKE 'm40_%' ORDER BY name;
-- sha256 is sha256sum's digest of the directory's files (test/checks/40_model_fixtures.sh).
SELECT sha256 = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm_f32.sha256'), E'\n') AS sha256_matches
FROM models WHERE name = 'm40_esm';
-- Every weight read back from shared memory sums to numpy's float64 sum.
SELECT model_checksum('m40_esm') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS checksum_matches;

-- The same bytes again: nothing to do.
SELECT load_model('m40_esm', 'build/generated/models/esm_f32');
-- Different bytes under a loaded name are refused (a name denotes fixed content) ...
SELECT load_model('m40_esm', 'build/generated/models/esm_f16');
-- ... unless the options say replace. F16 and BF16 are converted to the same F32 weights.
SELECT load_model('m40_esm', 'build/generated/models/esm_f16', '{"replace": true}');
SELECT model_checksum('m40_esm') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS f16_checksum_matches;
SELECT load_model('m40_bf16', 'build/generated/models/esm_bf16');
SELECT model_checksum('m40_bf16') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS bf16_checksum_matches;

-- A bare safetensors file: its sha256 is what sha256sum prints.
SELECT load_model('m40_bare', 'build/generated/models/esm_bare.safetensors', '{"architecture": "esm"}');
SELECT kind, architecture, sha256 = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm_bare.sha256'), E'\n') AS sha256_matches
FROM models WHERE name = 'm40_bare';

-- Shared memory follows the transaction that wrote the catalog: an aborted load is undone ...
BEGIN;
SELECT load_model('m40_tx', 'build/generated/models/esm_f32');
SELECT loaded FROM models WHERE name = 'm40_tx';
ROLLBACK;
SELECT count(*) AS aborted_load_left FROM models WHERE name = 'm40_tx';
SELECT model_checksum('m40_tx');
-- ... also when only a savepoint rolls back ...
BEGIN;
SAVEPOINT before_load;
SELECT load_model('m40_tx', 'build/generated/models/esm_f32');
ROLLBACK TO SAVEPOINT before_load;
COMMIT;
SELECT count(*) AS rolled_back_load_left FROM models WHERE name = 'm40_tx';
SELECT model_checksum('m40_tx');
-- ... an aborted replace leaves the catalog's content, reloaded on next use ...
SELECT sha256 AS bare_sha256 FROM models WHERE name = 'm40_bare' \gset
BEGIN;
SELECT load_model('m40_bare', 'build/generated/models/big.safetensors', '{"replace": true}');
ROLLBACK;
SELECT model_checksum('m40_bare') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS old_content_back;
SELECT loaded, sha256 = :'bare_sha256' AS same_sha256 FROM models WHERE name = 'm40_bare';
-- ... and an aborted unload keeps the model.
BEGIN;
SELECT unload_model('m40_bare');
ROLLBACK;
SELECT model_checksum('m40_bare') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS still_there;

-- Parallel workers read the same shared copy.
SET force_parallel_mode = on;
SELECT model_checksum('m40_bare') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS worker_checksum_matches;
RESET force_parallel_mode;

-- Bad input: each error names the problem.
SELECT load_model('m40_bad', 'build/generated/models/bad/short.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/truncated.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/header_len.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/overlap.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/out_of_bounds.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/dtype.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/bad/shape.safetensors');
SELECT load_model('m40_bad', 'build/generated/models/esm_missing');
SELECT load_model('m40_bad', 'build/generated/models/gpt2');
\set VERBOSITY terse
SELECT load_model('m40_bad', 'build/generated/models/no_such_model');
\set VERBOSITY default
SELECT load_model('m40_bad', 'build/generated/models/bad');
SELECT load_model('m40_bad', '/dev/zero');
SELECT load_model('m40_bad', 'build/generated/models/esm_f32', '[1]');
SELECT load_model('m40_bad', NULL);
SELECT count(*) AS failed_loads_left_nothing FROM models WHERE name = 'm40_bad';

-- The size cap covers all models together and is checked before allocating.
SET varformer.max_model_memory = '1MB';
SELECT load_model('m40_big', 'build/generated/models/big.safetensors');
RESET varformer.max_model_memory;
SELECT load_model('m40_big', 'build/generated/models/big.safetensors');
SELECT model_checksum('m40_big') = trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/big.sum'), E'\n')::float8 AS big_checksum_matches;

-- Unloading removes the model from shared memory and from the catalog.
SELECT unload_model('m40_big');
SELECT model_checksum('m40_big');
SELECT unload_model('m40_big');

-- Loading and unloading are revoked from PUBLIC; reading files needs pg_read_server_files.
SELECT trim(pg_read_file(:'abs_srcdir' || '/build/generated/models/esm.sum'), E'\n')::float8 AS esm_sum \gset
CREATE ROLE m40_user;
SET ROLE m40_user;
SELECT load_model('m40_x', 'build/generated/models/esm_f32');
SELECT unload_model('m40_esm');
-- Using a loaded model needs no privilege.
SELECT model_checksum('m40_esm') = :esm_sum AS user_checksum;
RESET ROLE;
GRANT EXECUTE ON FUNCTION load_model(text, text, jsonb) TO m40_user;
SET ROLE m40_user;
SELECT load_model('m40_x', 'build/generated/models/esm_f32');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION load_model(text, text, jsonb) FROM m40_user;
DROP ROLE m40_user;

SELECT unload_model(name) FROM models WHERE name LIKE 'm40_%' ORDER BY name;
SELECT count(*) AS left_over FROM models WHERE name LIKE 'm40_%';
