-- Planner support for the prediction and encoding functions: the cost of one call from the
-- kind of the model it names (src/extension/predict/predict_cost.c), so elastic-net queries
-- are not JIT-compiled for microseconds of work and deep ones still get parallel plans.
CREATE FUNCTION varformer_internal.vf_cost_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_predict_cost_support'
    LANGUAGE C STRICT;
COMMENT ON FUNCTION vf_cost_support(internal) IS
    'internal: planner support (per-call cost by model kind) for varformer''s prediction functions';

-- Progress of long prediction and encoding queries, per process (parallel workers report
-- with their leader's pid): what is being called, on which model, how many calls so far.
CREATE FUNCTION varformer_internal.vf_progress(OUT pid integer, OUT leader_pid integer, OUT function text,
    OUT model text, OUT calls bigint, OUT cache_hits bigint,
    OUT statement_start timestamptz, OUT first_call timestamptz, OUT last_call timestamptz)
RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_progress'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED ROWS 10;
CREATE VIEW varformer_progress AS
    SELECT pid, leader_pid, function, model, calls, cache_hits, statement_start,
           first_call, last_call,
           CASE WHEN last_call > first_call
                THEN calls / extract(epoch FROM last_call - first_call) END AS calls_per_second
    FROM vf_progress();
COMMENT ON VIEW varformer_progress IS
    'per backend and parallel worker: the prediction or encoding function its current statement calls, the model, calls done and when (like pg_stat_progress_*)';
