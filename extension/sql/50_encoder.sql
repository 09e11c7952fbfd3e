-- Transformer encoders (Nucleotide Transformer v1/v2, DNABERT-2, GROVER, EBERT-style states).
-- IMMUTABLE: a model name denotes fixed content (load_model refuses different bytes under a
-- loaded name), so the same input and model always give the same embedding.
-- COST is high on purpose: one call is a whole transformer forward pass, and the planner
-- should prefer plans that spread rows over parallel workers.

CREATE FUNCTION encode_tokens(ids int[], model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text) IS
    'mean of the encoder''s last hidden state over the given token ids (special tokens included)';

CREATE FUNCTION encode_tokens(ids int[], model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text, int[]) IS
    'encode_tokens with one EBERT-style epigenetic state per token';

CREATE FUNCTION encode_sequence(seq text, model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text) IS
    'mean of the encoder''s last hidden state over all tokens of seq (upper-cased first, special tokens included)';

CREATE FUNCTION encode_sequence(seq text, model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text, int[]) IS
    'encode_sequence with one EBERT-style epigenetic state per token (see sequence_tokens)';

CREATE FUNCTION sequence_tokens(seq text, model text) RETURNS int[]
    AS 'MODULE_PATHNAME', 'vf_sequence_tokens'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION sequence_tokens(text, text) IS
    'the token ids encode_sequence gives the model for seq';

-- One haplotype's embedding for a gene: the model's window of `window` bases (a load_model
-- option) taken from the haplotype centred on the gene's TSS through the coordinate map
-- (haplotype_window), reverse-complemented for a minus-strand gene when the model was loaded
-- with {"reverse_complement": true}, then encode_sequence. Unphased heterozygous calls near the
-- window are refused (which haplotype they belong to is unknown) unless the model was loaded
-- with {"allow_unphased": true}; bcftools' -H rule then applies.
-- IMMUTABLE like encode_sequence: the gene's TSS comes from the annotation bound to the
-- model at load time (model_gene), the bases from the reference bound then, and a reference
-- re-registered with other content since is an error rather than another answer.
-- It reads only catalog columns every user may read (not path: 40_models.sql).
-- Per-call options of encode_haplotype (window, reverse_complement, allow_unphased): checked
-- as load_model checks them (model_options.c); the keys that bind the model (reference,
-- annotation) are refused.
CREATE FUNCTION varformer_internal.call_options_check(function text, model text, options text, allowed text)
RETURNS void
    AS 'MODULE_PATHNAME', 'vf_call_options_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
COMMENT ON FUNCTION varformer_internal.call_options_check(text, text, text, text) IS
    'internal: checks the per-call options of a function against the keys it allows (as load_model checks its own)';

-- The same with per-call options over the model's: {"window": n} (another window around the
-- TSS), {"reverse_complement": bool}, {"allow_unphased": bool}. IMMUTABLE stays honest: the
-- result depends on the arguments and on what the model name denotes. A model without a
-- "window" at load still needs one (the reference and annotation are bound only then).
CREATE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text, options jsonb)
RETURNS embedding
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000
SET search_path FROM CURRENT
AS $$
DECLARE
    m model_catalog;
    g gene;
    width integer;
    now_sha text;
    seq text;
    bad text;
BEGIN
    SELECT c.name, c.options, c.reference, c.reference_sha256 INTO m.name, m.options, m.reference, m.reference_sha256 FROM model_catalog c WHERE c.name = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" is not loaded', model USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT (m.options ? 'window') THEN
        RAISE EXCEPTION 'model "%" has no "window" option', model
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Load it with the number of bases it reads around the TSS, e.g. load_model(name, path, ''{"window": 5994}'').';
    END IF;
    -- the call's options over the model's: how the window is read, never what is bound
    PERFORM varformer_internal.call_options_check('encode_haplotype', model, options::text,
                                                  'window,reverse_complement,allow_unphased');
    m.options := m.options || options;
    width := (m.options ->> 'window')::integer;
    SELECT r.sha256 INTO now_sha FROM reference_genome r WHERE r.name = m.reference;
    IF now_sha IS DISTINCT FROM m.reference_sha256 THEN
        RAISE EXCEPTION 'reference genome "%" that model "%" was loaded with is %', m.reference, model,
              CASE WHEN now_sha IS NULL THEN 'no longer registered' ELSE 'now registered with other content' END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('The model bound sha256 %s; the registry has %s.', m.reference_sha256, coalesce(now_sha, 'none')),
                  HINT = format('Register the same FASTA again as "%s", or reload the model with {"replace": true} to bind the reference as it is now.', m.reference);
    END IF;
    g := model_find_gene(model, gene);
    IF NOT coalesce((m.options ->> 'allow_unphased')::boolean, false) THEN
        SELECT string_agg(format('%s:%s %s', g.chrom, v.pos, v.gt), ', ' ORDER BY v.pos) INTO bad
        FROM genotype_variants(gt) v
        WHERE v.gt LIKE '%/%' AND split_part(v.gt, '/', 1) <> split_part(v.gt, '/', 2)
          AND v.pos BETWEEN g.tss - width AND g.tss + width;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'unphased heterozygous calls near the TSS of %: %', g.gene_id, bad
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Phase the genotypes, or load the model with {"allow_unphased": true} to take allele N for haplotype N as bcftools consensus -H does.';
        END IF;
    END IF;
    seq := haplotype_window(gt, hap, g.chrom, g.tss, width, m.reference);
    IF g.strand = '-' AND coalesce((m.options ->> 'reverse_complement')::boolean, false) THEN
        seq := translate(reverse(seq), 'ACGTNacgtn', 'TGCANtgcan');
    END IF;
    RETURN encode_sequence(seq, model);
END
$$;
CREATE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text)
RETURNS embedding
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000
SET search_path FROM CURRENT
AS $$
BEGIN
    RETURN encode_haplotype(gt, hap, gene, model, '{}'::jsonb);
END
$$;
COMMENT ON FUNCTION encode_haplotype(genotype, integer, text, text) IS
    'encode_sequence of haplotype hap''s model window centred on the gene''s TSS, with the reference and gene annotation bound to the model at load (options: window, reference, reverse_complement, allow_unphased)';
COMMENT ON FUNCTION encode_haplotype(genotype, integer, text, text, jsonb) IS
    'encode_haplotype with per-call options over the model''s: window, reverse_complement, allow_unphased (the reference and annotation stay those bound at load)';
