SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
-- server files: relative paths resolve against the source tree (varformer.file_root)
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- The same random-weight encoders (real tensor names and config.json keys) saved as
-- safetensors and with torch.save (pytorch_model.bin, zip and legacy formats), written by
-- make fixtures (mk/fixtures.mk: test/reference/make_torch_models.py).
SELECT m || '_' || f AS model, load_model('t41_' || m || '_' || f, 'build/generated/torch_models/' || m || '_' || f) AS status
FROM unnest(ARRAY['nt_v2', 'grover']) m, unnest(ARRAY['safetensors', 'torch', 'legacy']) f
ORDER BY 1;
SELECT name, kind, architecture, parameters, replace(path, :'abs_srcdir', '$SRCDIR') AS path, loaded
FROM models WHERE name LIKE 't41_%' ORDER BY name;
-- The torch directory's sha256 is sha256sum's digest of config.json pytorch_model.bin and
-- its tokenizer file, as for safetensors directories.
SELECT m AS model, sha256 = trim(pg_read_file(:'abs_srcdir' || '/build/generated/torch_models/' || m || '_torch.sha256'), E'\n') AS sha256_matches
FROM unnest(ARRAY['nt_v2', 'grover']) m JOIN models ON name = 't41_' || m || '_torch' ORDER BY 1;

-- All formats give the same weights, so the same embeddings, bit for bit.
SELECT m AS model, s AS seq,
       encode_sequence(s, 't41_' || m || '_torch') = encode_sequence(s, 't41_' || m || '_safetensors') AS torch_identical,
       encode_sequence(s, 't41_' || m || '_legacy') = encode_sequence(s, 't41_' || m || '_safetensors') AS legacy_identical,
       dims(encode_sequence(s, 't41_' || m || '_torch')) AS dims
FROM unnest(ARRAY['nt_v2', 'grover']) m,
     unnest(ARRAY['ACGTACGTNNACGTACGTACGTACGTTTGAN', 'acgtTGCAAGCTTGA', 'G']) s
ORDER BY 1, 2;
SELECT model_checksum('t41_nt_v2_torch') = model_checksum('t41_nt_v2_safetensors') AS same_checksum;

-- A directory with both weights files reads model.safetensors (its pytorch_model.bin is junk).
SELECT load_model('t41_both', 'build/generated/torch_models/grover_both');
SELECT encode_sequence('ACGTTGCA', 't41_both') = encode_sequence('ACGTTGCA', 't41_grover_torch') AS both_reads_safetensors;

-- A bare torch.save file: its sha256 is what sha256sum prints; the options name the architecture.
SELECT load_model('t41_bare', 'build/generated/torch_models/nt_v2.bin', '{"architecture": "esm"}');
SELECT kind, architecture, parameters,
       sha256 = trim(pg_read_file(:'abs_srcdir' || '/build/generated/torch_models/nt_v2.bin.sha256'), E'\n') AS sha256_matches
FROM models WHERE name = 't41_bare';

-- A pickle that would run os.system under torch.load is refused, naming the global; nothing runs.
CREATE FUNCTION t41_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT t41_try($$SELECT load_model('t41_evil', 'build/generated/torch_models/evil')$$) AS evil;
SELECT count(*) AS evil_loaded FROM models WHERE name = 't41_evil';

SELECT unload_model(name) FROM models WHERE name LIKE 't41_%' ORDER BY name;
SELECT count(*) AS left_over FROM models WHERE name LIKE 't41_%';
DROP FUNCTION t41_try(text);
