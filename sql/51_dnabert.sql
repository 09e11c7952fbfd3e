SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root), so
-- the messages below do not depend on where it lives
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- DNABERT v1 (3-mer and 6-mer): random-weight checkpoints with the authors' tensor names,
-- config.json (no model_type: detected from "architectures") and vocab.txt, as safetensors
-- and as torch.save's pytorch_model.bin, with the PyTorch reference's token ids and
-- embeddings (make fixtures: test/reference/make_dnabert_fixtures.py).
SELECT m AS model, load_model('d51_' || m, 'build/generated/dnabert/models/' || m) AS status
FROM unnest(ARRAY['dnabert3', 'dnabert3_torch', 'dnabert6', 'dnabert6_torch']) m
ORDER BY m;
SELECT name, kind, architecture, parameters FROM models WHERE name LIKE 'd51\_%' ORDER BY name;

CREATE TEMP TABLE d51_golden AS
SELECT m AS model, c->>'name' AS name, c->>'seq' AS seq,
       ARRAY(SELECT jsonb_array_elements_text(c->'ids')::int) AS ids,
       ARRAY(SELECT jsonb_array_elements_text(c->'pooled')::real)::embedding AS pooled
FROM unnest(ARRAY['dnabert3', 'dnabert6']) m,
     jsonb_array_elements(pg_read_file(:'abs_srcdir' || '/build/generated/dnabert/goldens/' || m || '.json')::jsonb -> 'cases') c;

-- max |varformer - PyTorch| / max |PyTorch| over the pooled embedding
CREATE FUNCTION d51_rel_err(a embedding, b embedding) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT max(abs(x - y)) / max(abs(y))
  FROM unnest(a::real[], b::real[]) AS u(x, y)
$$;

-- Every case (N, lower case, IUPAC letters, odd length, k bases, fewer than k bases, exactly
-- 512 tokens): the reference's ids exactly, its embedding to 1e-4, from both weight files.
SELECT g.model || f AS model, g.name, length(g.seq) AS bases, cardinality(g.ids) AS tokens,
       sequence_tokens(g.seq, 'd51_' || g.model || f) = g.ids AS same_tokens,
       d51_rel_err(encode_sequence(g.seq, 'd51_' || g.model || f), g.pooled) < 1e-4 AS matches_pytorch
FROM d51_golden g, unnest(ARRAY['', '_torch']) f
ORDER BY 1, 2;
-- the two weight files hold the same numbers: identical embeddings
SELECT count(*) FILTER (WHERE encode_sequence(seq, 'd51_' || model) = encode_sequence(seq, 'd51_' || model || '_torch')) AS identical,
       count(*) AS cases
FROM d51_golden;

-- The overlapping k-mers: [CLS]=2, one id per position (the vocab.txt line; AAAAAA=5,
-- AAAAAT=6, AAAATC=11 in the authors' A T C G order), [UNK]=1 for a k-mer with N, [SEP]=3.
SELECT sequence_tokens('aaaaaaTC', 'd51_dnabert6') AS six_mers,
       sequence_tokens('AAAANA', 'd51_dnabert3') AS three_mers_with_n;

CREATE FUNCTION d51_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- 512 positions: 515 bases of a 6-mer model fit, one more is refused naming both lengths
-- (the authors' encode_plus would drop the bases past 515).
SELECT d51_try(format('SELECT encode_sequence(%L, %L)', repeat('ACGTTGCA', 64) || 'ACG', 'd51_dnabert6')) AS bases_515,
       d51_try(format('SELECT encode_sequence(%L, %L)', repeat('ACGTTGCA', 64) || 'ACGT', 'd51_dnabert6')) AS bases_516;
-- a character at which the authors' tokenizer would split a k-mer
SELECT d51_try($$SELECT sequence_tokens('ACGTAC GTACGT', 'd51_dnabert6')$$) AS whitespace,
       d51_try($$SELECT sequence_tokens('ACGTAC-GTACGT', 'd51_dnabert6')$$) AS dash;

SELECT count(unload_model(name)) AS unloaded FROM models WHERE name LIKE 'd51\_%';
DROP FUNCTION d51_try(text), d51_rel_err(embedding, embedding);
