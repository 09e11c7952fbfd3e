SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- Random-weight checkpoints with the real tensor names and config.json keys, and their
-- PyTorch goldens, written by test/checks/50_encoder_parity.sh (test/reference/).
SELECT m AS model, load_model('enc50_' || m, 'build/generated/encoder/models/' || m) AS status
FROM unnest(ARRAY['nt_v1', 'nt_v2', 'dnabert2', 'grover', 'bert_gelu_tanh',
                  'bert_quick_gelu', 'ebert']) m
ORDER BY m;

CREATE TEMP TABLE enc50_golden AS
SELECT m AS model, c->>'name' AS name, c->>'seq' AS seq,
       ARRAY(SELECT jsonb_array_elements_text(c->'ids')::int) AS ids,
       CASE WHEN c ? 'states'
            THEN ARRAY(SELECT jsonb_array_elements_text(c->'states')::int) END AS states,
       ARRAY(SELECT jsonb_array_elements_text(c->'pooled')::real)::embedding AS pooled
FROM unnest(ARRAY['nt_v1', 'nt_v2', 'dnabert2', 'grover', 'bert_gelu_tanh',
                  'bert_quick_gelu', 'ebert']) m,
     jsonb_array_elements(pg_read_file(:'abs_srcdir' || '/build/generated/encoder/goldens/' || m || '.json')::jsonb -> 'cases') c;

-- max |varformer - PyTorch| / max |PyTorch| over the pooled embedding
CREATE FUNCTION enc50_rel_err(a embedding, b embedding) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT max(abs(x - y)) / max(abs(y))
  FROM unnest(a::real[], b::real[]) AS u(x, y)
$$;

-- Parity with PyTorch for every golden case (sequences with N, odd lengths, lower case,
-- maximum length, <mask> tokens, ALiBi past alibi_starting_size, epigenetic states).
SELECT model, name, cardinality(ids) AS tokens, dims(e) AS dims,
       enc50_rel_err(e, pooled) < 1e-4 AS matches_pytorch
FROM (SELECT g.*,
             CASE WHEN states IS NULL THEN encode_tokens(ids, 'enc50_' || model)
                  ELSE encode_tokens(ids, 'enc50_' || model, states) END AS e
      FROM enc50_golden g) s
ORDER BY model, name;

-- Runs a statement and shows its SQLSTATE and message instead of failing.
CREATE FUNCTION enc50_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Sequences: tokenized as the model's authors do (the ids must equal the Python references':
-- NT upper-casing, 6-mers, leftover bases and N as single tokens; DNABERT-2 and GROVER BPE), then
-- encoded; the embedding must match PyTorch's for the same sequence.
SELECT model, name, length(seq) AS bases,
       sequence_tokens(seq, 'enc50_' || model) = ids AS same_tokens,
       enc50_rel_err(encode_sequence(seq, 'enc50_' || model), pooled) < 1e-4 AS matches_pytorch
FROM enc50_golden WHERE seq IS NOT NULL
ORDER BY model, name;
-- the maximum is 64 tokens: <cls> + 63 6-mers; one more base is refused, naming both lengths
SELECT enc50_try(format('SELECT encode_sequence(%L, %L)', repeat('ACGTAC', 63) || 'A', 'enc50_nt_v1')) AS one_base_too_many;
-- EBERT-style states with a sequence: one state per token of sequence_tokens()
SELECT sequence_tokens('acgtacGGT', 'enc50_ebert') AS ebert_tokens;
SELECT encode_sequence('acgtacGGT', 'enc50_ebert', ARRAY[1, 2, 3, 4, 5])
       = encode_tokens(sequence_tokens('ACGTACGGT', 'enc50_ebert'), 'enc50_ebert', ARRAY[1, 2, 3, 4, 5]) AS states_follow_tokens;
SELECT enc50_try($$SELECT encode_sequence('ACGTACGGT', 'enc50_ebert', ARRAY[1, 2, 3])$$) AS states_count;
-- a checkpoint without tokenizer files can still be fed token ids
SELECT enc50_try($$SELECT encode_sequence('ACGT', 'enc50_bert_gelu_tanh')$$) AS no_tokenizer;

-- Declared as the design argues: immutable (a model name denotes fixed content), parallel
-- safe, expensive enough that the planner spreads rows over workers.
SELECT p.oid::regprocedure AS function, provolatile, proparallel, proisstrict, procost
FROM pg_proc p JOIN pg_namespace n ON n.oid = pronamespace
WHERE proname IN ('encode_tokens', 'encode_sequence', 'sequence_tokens') ORDER BY p.oid;  -- creation order

-- The same embeddings from parallel workers (each builds its own encoder over the shared image).
CREATE TABLE enc50_inputs AS
SELECT i, ARRAY[3] || ARRAY(SELECT 6 + (i * 37 + j * 11) % 4096 FROM generate_series(1, 5 + i % 20) j) AS ids
FROM generate_series(1, 60) i;
CREATE TABLE enc50_serial AS SELECT i, encode_tokens(ids, 'enc50_nt_v2') AS e FROM enc50_inputs;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT i, encode_tokens(ids, 'enc50_nt_v2') FROM enc50_inputs;
SELECT count(*) AS rows, count(*) FILTER (WHERE p.e = s.e) AS identical
FROM (SELECT i, encode_tokens(ids, 'enc50_nt_v2') AS e FROM enc50_inputs) p JOIN enc50_serial s USING (i);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- BLAS threads per backend: a GUC, default 1.
SHOW varformer.blas_threads;
SET varformer.blas_threads = 2;
SELECT enc50_rel_err(encode_tokens(ids, 'enc50_dnabert2'), pooled) < 1e-4 AS two_threads_match
FROM enc50_golden WHERE model = 'dnabert2' AND name = 'length_131';
RESET varformer.blas_threads;
SET varformer.blas_threads = 0;

-- Errors name the offending value and carry the right SQLSTATE.
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4107], 'enc50_nt_v1')$$) AS id_outside_vocabulary;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, -1], 'enc50_nt_v1')$$) AS negative_id;
SELECT enc50_try($$SELECT encode_tokens(array_fill(7, ARRAY[65]), 'enc50_nt_v1')$$) AS too_long;
SELECT enc50_try($$SELECT encode_tokens('{}'::int[], 'enc50_nt_v1')$$) AS empty;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, NULL], 'enc50_nt_v1')$$) AS null_id;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[[3, 4], [5, 6]], 'enc50_nt_v1')$$) AS two_dimensional;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[2, 2, 2], 'enc50_nt_v1')$$) AS only_mask_tokens;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_no_such_model')$$) AS unknown_model;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_nt_v2', ARRAY[0, 1])$$) AS states_without_table;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_ebert', ARRAY[0])$$) AS states_count;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_ebert', ARRAY[0, 16])$$) AS state_outside_table;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_ebert', ARRAY[0, NULL])$$) AS null_state;
-- without states an EBERT-style model reads state 0 everywhere
SELECT encode_tokens(ARRAY[3, 4, 9], 'enc50_ebert') = encode_tokens(ARRAY[3, 4, 9], 'enc50_ebert', ARRAY[0, 0, 0]) AS default_state_zero;

-- Checkpoints the encoder refuses at first use: the first missing tensor is named, and an
-- unimplemented position scheme is an unsupported feature.
SELECT load_model('enc50_missing', 'build/generated/encoder/models/broken_missing_tensor') AS status;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_missing')$$) AS missing_tensor;
SELECT load_model('enc50_relkey', 'build/generated/encoder/models/broken_relative_key') AS status;
SELECT enc50_try($$SELECT encode_tokens(ARRAY[3, 4], 'enc50_relkey')$$) AS relative_key;

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'enc50\_%';
DROP TABLE enc50_inputs, enc50_serial;
DROP FUNCTION enc50_try(text), enc50_rel_err(embedding, embedding);
