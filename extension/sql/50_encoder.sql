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
