-- Transformer encoders (Nucleotide Transformer v1/v2, DNABERT-2, GROVER, EBERT-style states).
-- IMMUTABLE: a model name denotes fixed content (load_model refuses different bytes under a
-- loaded name), so the same input and model always give the same embedding.
-- COST is high on purpose: one call is a whole transformer forward pass, and the planner
-- should prefer plans that spread rows over parallel workers.

CREATE FUNCTION encode_tokens(ids int[], model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text) IS
    'mean of the encoder''s last hidden state over the given token ids (special tokens included)';

CREATE FUNCTION encode_tokens(ids int[], model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text, int[]) IS
    'encode_tokens with one EBERT-style epigenetic state per token';

CREATE FUNCTION encode_sequence(seq text, model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text) IS
    'mean of the encoder''s last hidden state over all tokens of seq (upper-cased first, special tokens included)';

CREATE FUNCTION encode_sequence(seq text, model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
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
-- with {"allow_unphased": true}; bcftools' -H rule then applies. STABLE, not IMMUTABLE: it
-- reads the gene table and the registered reference, which can change.
CREATE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text,
                                 reference text DEFAULT NULL)
RETURNS embedding
LANGUAGE plpgsql STABLE PARALLEL SAFE COST 100000
SET search_path FROM CURRENT
AS $$
DECLARE
    g gene;
    opts jsonb;
    width integer;
    seq text;
    bad text;
BEGIN
    IF gt IS NULL OR hap IS NULL OR gene IS NULL OR model IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT options INTO opts FROM model_catalog WHERE name = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" is not loaded', model USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT (opts ? 'window') OR jsonb_typeof(opts -> 'window') <> 'number' THEN
        RAISE EXCEPTION 'model "%" has no "window" option', model
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Load it with the number of bases it reads around the TSS, e.g. load_model(name, path, ''{"window": 5994}'').';
    END IF;
    width := (opts ->> 'window')::integer;
    g := find_gene(gene);
    IF NOT coalesce((opts ->> 'allow_unphased')::boolean, false) THEN
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
    seq := haplotype_window(gt, hap, g.chrom, g.tss, width, reference);
    IF g.strand = '-' AND coalesce((opts ->> 'reverse_complement')::boolean, false) THEN
        seq := translate(reverse(seq), 'ACGTNacgtn', 'TGCANtgcan');
    END IF;
    RETURN encode_sequence(seq, model);
END
$$;
COMMENT ON FUNCTION encode_haplotype(genotype, integer, text, text, text) IS
    'encode_sequence of haplotype hap''s model window centred on the gene''s TSS (options: window, reverse_complement, allow_unphased)';
