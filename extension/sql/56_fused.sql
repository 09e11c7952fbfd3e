-- Deep predictors from a person's haplotypes: sequence-to-function trunks (kind seq2func) and
-- fused models (kind fused, UKBioFormer). predict_expression(gt, gene, model) itself is in
-- 60_predictdb.sql and dispatches on the model's kind.
-- IMMUTABLE: a model name denotes fixed content (its bytes, options, and the reference and
-- gene annotation bound at load). COST: each call is up to a few forward passes (cached per
-- distinct haplotype), about a million times a simple operator.

CREATE FUNCTION predict_expression(gt genotype, gene text, model text, track integer)
RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_predict_expression_track'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 1000;
COMMENT ON FUNCTION predict_expression(genotype, text, text, integer) IS
    'predict_expression for one output (0-based) of a multi-task model; single-output kinds have track 0 only';

CREATE FUNCTION predict_expression(gt genotype, gene text, model text, track integer, on_error text)
RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_predict_expression_track'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 1000;

CREATE FUNCTION variant_effect(chrom text, pos integer, ref text, alt text, gene text, model text)
RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_variant_effect'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000000;
COMMENT ON FUNCTION variant_effect(text, integer, text, text, text, text) IS
    'prediction with the variant on both haplotypes minus the prediction of the reference, for the gene (seq2func and fused models)';

CREATE FUNCTION explain_expression(gt genotype, gene text, model text,
    OUT pos bigint, OUT ref text, OUT alt text, OUT hap integer, OUT contribution double precision)
RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_explain_expression'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000000 ROWS 20;
COMMENT ON FUNCTION explain_expression(genotype, text, text) IS
    'one row per variant a haplotype carries in the model''s windows: the prediction minus the prediction with that variant reverted to reference on that haplotype';

-- This backend's prediction cache (varformer.prediction_cache_mb). Backend-local: a parallel
-- worker's counters are its own.
CREATE FUNCTION varformer_cache_stats(OUT hits bigint, OUT misses bigint, OUT hit_rate double precision,
    OUT entries bigint, OUT bytes bigint, OUT capacity_bytes bigint, OUT evictions bigint)
RETURNS record
    AS 'MODULE_PATHNAME', 'vf_prediction_cache_stats'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 1;

CREATE FUNCTION varformer_cache_reset() RETURNS void
    AS 'MODULE_PATHNAME', 'vf_prediction_cache_reset'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 1;
