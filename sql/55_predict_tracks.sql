SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;

-- Sequence-to-function models: random-weight Enformer checkpoints with the real tensor names
-- and config.json keys (enformer-pytorch's, the same weights under its _trunk.* aliases only,
-- use_tf_gamma at 1536 transformer positions, gReLU's EnformerModel), written by
-- test/checks/55_predictor_parity.sh from test/reference/make_predictor_fixtures.py; their
-- PyTorch goldens are committed in test/fixtures/predictor.
SELECT m AS model, load_model('p55_' || m, 'generated/predictor/models/' || m) AS status
FROM unnest(ARRAY['enformer_pt', 'enformer_trunk_alias', 'enformer_pt_tf_gamma', 'enformer_grelu']) m
ORDER BY m;

SELECT name, kind, architecture FROM models WHERE name LIKE 'p55\_%' ORDER BY name;

-- bins x tracks, as a real[] of two dimensions
CREATE TEMP TABLE p55_golden AS
SELECT g.model, g.golden, c->>'name' AS name, c->>'seq' AS seq,
       (c->>'bins')::int AS bins, (c->>'tracks')::int AS tracks,
       ARRAY(SELECT v::real
             FROM jsonb_array_elements(c->'output') WITH ORDINALITY r(rw, i),
                  jsonb_array_elements_text(r.rw) WITH ORDINALITY e(v, j)
             ORDER BY i, j) AS output
FROM (VALUES ('enformer_pt', 'enformer_pt'), ('enformer_trunk_alias', 'enformer_pt'),
             ('enformer_pt_tf_gamma', 'enformer_pt_tf_gamma'), ('enformer_grelu', 'enformer_grelu'))
     AS g(model, golden),
     jsonb_array_elements(pg_read_file('fixtures/predictor/' || g.golden || '.json')::jsonb -> 'cases') c;

-- max |varformer - PyTorch| / max |PyTorch| over the whole output
CREATE FUNCTION p55_rel_err(a real[], b real[]) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT max(abs(x - y)) / max(abs(y)) FROM unnest(a, b) AS u(x, y)
$$;

CREATE FUNCTION p55_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Parity with PyTorch for every golden case (N runs, lower case, odd lengths at every pool,
-- an odd crop, gReLU's crop_len and softplus head), through SQL.
SELECT model, name, length(seq) AS bases, array_dims(t) AS dims,
       array_length(t, 1) = bins AND array_length(t, 2) = tracks AS shape_matches,
       p55_rel_err(t, output) < 1e-4 AS matches_pytorch
FROM (SELECT *, predict_tracks(seq, 'p55_' || model) AS t FROM p55_golden) s
ORDER BY model, name;

-- The trunk reads A, C, G, T in either case; any other letter is N (all zeros).
SELECT predict_tracks(lower(seq), 'p55_enformer_pt') = predict_tracks(seq, 'p55_enformer_pt') AS case_blind,
       predict_tracks(translate(seq, 'N', 'X'), 'p55_enformer_pt') = predict_tracks(seq, 'p55_enformer_pt') AS other_letters_are_n
FROM p55_golden WHERE model = 'enformer_pt' AND name = 'len_1536_n_run';

SELECT predict_tracks(NULL, 'p55_enformer_pt') IS NULL AS strict;

SELECT proname, provolatile, proparallel, procost, prorettype::regtype
FROM pg_proc WHERE proname = 'predict_tracks';

-- Errors name the offending value and carry the right SQLSTATE.
SELECT p55_try($$SELECT predict_tracks(repeat('ACGT', 100), 'p55_enformer_pt')$$) AS too_short_for_target_length;
SELECT p55_try($$SELECT predict_tracks(repeat('A', 65537), 'p55_enformer_pt')$$) AS too_long;
SELECT p55_try($$SELECT predict_tracks(repeat('A', 12000), 'p55_enformer_pt_tf_gamma')$$) AS tf_gamma_needs_1536_positions;
SELECT p55_try($$SELECT predict_tracks('ACGT', 'p55_no_such_model')$$) AS unknown_model;
SELECT load_model('p55_encoder', 'generated/predictor/models/ukbioformer/encoder') AS status;
SELECT p55_try($$SELECT predict_tracks(repeat('ACGT', 400), 'p55_encoder')$$) AS encoder_is_not_seq2func;
SELECT p55_try($$SELECT encode_sequence('ACGT', 'p55_enformer_pt')$$) AS seq2func_is_not_an_encoder;

-- Checkpoints load_model refuses, naming the tensor: a missing one (under both of its
-- enformer-pytorch names), a misshapen one, and a gReLU checkpoint without a bias.
SELECT p55_try($$SELECT load_model('p55_bad', 'generated/predictor/models/broken_enformer_missing')$$) AS missing_tensor;
SELECT p55_try($$SELECT load_model('p55_bad', 'generated/predictor/models/broken_enformer_misshapen')$$) AS misshapen_tensor;
SELECT p55_try($$SELECT load_model('p55_bad', 'generated/predictor/models/broken_grelu_missing')$$) AS grelu_missing_tensor;

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'p55\_%';
DROP TABLE p55_golden;
DROP FUNCTION p55_rel_err(real[], real[]), p55_try(text);
