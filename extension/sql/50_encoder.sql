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
