-- PrediXcan / PredictDB elastic-net models and ensembles: prediction and inspection.
-- Models are loaded with load_model (model store); a model name denotes fixed content,
-- which is what makes these functions IMMUTABLE.

-- predict_expression dispatches on the model's kind: PredictDB models and ensembles here.
-- COST covers the kinds it dispatches to (deep models take milliseconds per call).
CREATE FUNCTION predict_expression(gt genotype, gene text, model text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_predict_expression' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 1000;

-- The same, with what to do when this row cannot be predicted (its genotype does not cover
-- the model's window, unphased calls near the TSS, ...): 'error' raises, 'null' returns NULL
-- and counts it for one NOTICE at the end of the statement. Without it: varformer.on_error.
CREATE FUNCTION predict_expression(gt genotype, gene text, model text, on_error text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_predict_expression' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 1000;

-- Whether the genotype's region holds what the model reads around the gene's TSS (its
-- windows, on the gene's contig): true means predict_expression will not fail for want of
-- coverage. NULL for PredictDB models, whose coverage is per variant (predict_expression_detail).
CREATE FUNCTION covers_gene(gt genotype, gene text, model text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_covers_gene' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION predict_expression_detail(gt genotype, gene text, model text,
        OUT grex double precision, OUT n_snps_in_model integer, OUT n_snps_used integer,
        OUT flipped integer, OUT complemented integer, OUT skipped integer, OUT missing integer)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vf_predict_expression_detail' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100;
CREATE FUNCTION predict_expression_detail(gt genotype, gene text, model text, on_error text,
        OUT grex double precision, OUT n_snps_in_model integer, OUT n_snps_used integer,
        OUT flipped integer, OUT complemented integer, OUT skipped integer, OUT missing integer)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vf_predict_expression_detail' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100;

CREATE FUNCTION predictdb_genes(model text,
        OUT gene text, OUT genename text, OUT n_weights integer, OUT n_snps_in_model integer,
        OUT pred_perf_r2 double precision, OUT pred_perf_pval double precision,
        OUT pred_perf_qval double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_predictdb_genes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100 ROWS 10000;

CREATE FUNCTION predictdb_model_info(model text,
        OUT variant_key text, OUT palindromic text, OUT n_genes integer, OUT n_variants integer,
        OUT n_weights integer, OUT skipped_null_weights integer, OUT skipped_bad_alleles integer,
        OUT skipped_duplicates integer, OUT genes_without_extra integer)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vf_predictdb_model_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
