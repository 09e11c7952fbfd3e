-- Transformer encoders (Nucleotide Transformer v1/v2, DNABERT-2, GROVER, EBERT-style states).
-- IMMUTABLE: a model name denotes fixed content (reloading different bytes under a loaded
-- name is refused), so the same sequence and model always give the same embedding.
-- COST is high on purpose: one call is a full transformer forward pass, and the planner
-- should prefer plans that spread rows over parallel workers.

CREATE FUNCTION encode_sequence(seq text, model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text) IS
    'mean of the encoder''s last hidden state over all tokens of seq (upper-cased first)';

CREATE FUNCTION encode_sequence(seq text, model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text, int[]) IS
    'encode_sequence with one EBERT-style epigenetic state per token (special tokens included)';
