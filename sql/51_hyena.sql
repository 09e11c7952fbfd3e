SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

-- HyenaDNA: random-weight checkpoints with the -hf repositories' config.json keys and tensor
-- names, each saved as model.safetensors and with torch.save (pytorch_model.bin), and their
-- PyTorch goldens (make fixtures: test/reference/make_hyena_fixtures.py). Neither directory
-- has a tokenizer file: HyenaDNA's character tokenizer is built in.
SELECT m || '_' || f AS model, load_model('hy51_' || m || '_' || f, 'build/generated/hyena/models/' || m || '_' || f) AS status
FROM unnest(ARRAY['hyena_tiny', 'hyena_bare']) m, unnest(ARRAY['safetensors', 'torch']) f
ORDER BY 1;
SELECT name, kind, architecture, parameters FROM models WHERE name LIKE 'hy51\_%' ORDER BY name;

CREATE TEMP TABLE hy51_golden AS
SELECT m AS model, c->>'name' AS name, c->>'seq' AS seq,
       ARRAY(SELECT jsonb_array_elements_text(c->'ids')::int) AS ids,
       ARRAY(SELECT jsonb_array_elements_text(c->'pooled')::real)::embedding AS pooled
FROM unnest(ARRAY['hyena_tiny', 'hyena_bare']) m,
     jsonb_array_elements(pg_read_file(:'abs_srcdir' || '/build/generated/hyena/goldens/' || m || '.json')::jsonb -> 'cases') c;

CREATE FUNCTION hy51_rel_err(a embedding, b embedding) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT max(abs(x - y)) / max(abs(y)) FROM unnest(a::real[], b::real[]) AS u(x, y)
$$;

-- token ids exactly the reference tokenizer's ([SEP] appended, unknown characters [UNK],
-- lower case upper-cased), mean of the last hidden state within 1e-4 of PyTorch's, from both
-- checkpoint formats; the maximum length is max_seq_len - 1 bases
SELECT g.model, f AS format, g.name, length(g.seq) AS bases,
       sequence_tokens(g.seq, 'hy51_' || g.model || '_' || f) = g.ids AS same_tokens,
       hy51_rel_err(encode_sequence(g.seq, 'hy51_' || g.model || '_' || f), g.pooled) < 1e-4 AS matches_pytorch
FROM hy51_golden g, unnest(ARRAY['safetensors', 'torch']) f
ORDER BY 1, 2, 3;
SELECT sequence_tokens('ACGTNacgtnRY-', 'hy51_hyena_tiny_torch') AS tokens;

CREATE FUNCTION hy51_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- one base more than max_seq_len allows is refused, naming both lengths
SELECT hy51_try(format('SELECT encode_sequence(%L, %L)', repeat('A', 66), 'hy51_hyena_tiny_torch')) AS one_base_too_many;
SELECT hy51_try(format('SELECT encode_tokens(%L::int[], %L)', array_fill(7, ARRAY[67]), 'hy51_hyena_tiny_torch')) AS too_many_ids;
SELECT hy51_try($$SELECT encode_tokens(ARRAY[7, 16, 1], 'hy51_hyena_tiny_torch')$$) AS id_outside_vocabulary;

-- A person's haplotype through HyenaDNA: encode_haplotype is encode_sequence of the window
SELECT register_reference('hy51_ref', 'test/fixtures/haplotype/ref.fa') IS NOT NULL AS registered;
SELECT import_gtf('test/fixtures/haplotype/genes.gtf') > 0 AS genes;
SELECT load_model('hy51_hap', 'build/generated/hyena/models/hyena_tiny_torch',
                  '{"window": 60, "reference": "hy51_ref"}') AS status;
SELECT sample, h,
       encode_haplotype(gt, h, 'MAPK1', 'hy51_hap')
       = encode_sequence(haplotype_window(gt, h, 'chr22', 101, 60, 'hy51_ref'), 'hy51_hap') AS same
FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200'), generate_series(1, 2) h
WHERE sample IN ('S1', 'S2')
ORDER BY sample, h;
-- S2's haplotypes differ around the TSS, and so do their embeddings
SELECT encode_haplotype(gt, 1, 'MAPK1', 'hy51_hap') <> encode_haplotype(gt, 2, 'MAPK1', 'hy51_hap') AS haplotypes_differ
FROM read_genotypes('test/fixtures/haplotype/cases.vcf.gz', 'chr22:1-1200') WHERE sample = 'S2';

SELECT count(*) AS unloaded FROM (SELECT unload_model(name) FROM models WHERE name LIKE 'hy51\_%') s;
SELECT unregister_reference('hy51_ref');
DELETE FROM gene_annotation;
