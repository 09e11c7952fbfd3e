-- Sequence-to-function models (the Enformer trunk: enformer-pytorch or gReLU checkpoints).
-- IMMUTABLE for the reason encode_sequence is: a model name denotes fixed content.
-- COST: one call is a conv tower and transformer pass over the whole sequence (seconds to
-- a minute for the full 196,608-base Enformer on one core), above an encoder's.

CREATE FUNCTION predict_tracks(seq text, model text) RETURNS real[]
    AS 'MODULE_PATHNAME', 'vf_predict_tracks'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000000;
COMMENT ON FUNCTION predict_tracks(text, text) IS
    'raw output of a sequence-to-function model for seq (A, C, G, T in any case; other letters read as N): a bins x tracks array (for enformer-pytorch checkpoints the human head)';
