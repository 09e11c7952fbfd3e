-- The accuracy report of make demo: per model, cross-individual Pearson r per gene between
-- predicted and measured expression, on three held-out sets, and the query's speed.
\pset footer off
CREATE TEMP VIEW per_gene AS
SELECT p.model, g.gene_id, g.h2_class,
       CASE WHEN g.split = 'heldout' THEN 'genes held out'
            WHEN s.population = 'pop1' THEN 'pop1 held-out people'
            ELSE 'pop2 (other population)' END AS eval_set,
       corr(p.predicted, e.expression) AS r, count(p.predicted) AS n
FROM prediction p
JOIN expression e USING (sample, gene_id)
JOIN sample_info s USING (sample)
JOIN gene_info g USING (gene_id)
WHERE s.split = 'heldout'
  AND NOT (g.split = 'heldout' AND s.population = 'pop2')
GROUP BY 1, 2, 3, 4;

\echo
\echo 'Cross-individual Pearson r per gene (held-out people only; r undefined where a model predicts nothing or a constant)'
SELECT model, eval_set,
       count(*) FILTER (WHERE r IS NOT NULL) || '/' || count(*) AS genes_predicted,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r)::numeric, 3) AS median_r,
       round(avg(r)::numeric, 3) AS mean_r,
       round((count(*) FILTER (WHERE r < 0))::numeric / nullif(count(*) FILTER (WHERE r IS NOT NULL), 0), 2) AS wrong_sign
FROM per_gene
GROUP BY 1, 2 ORDER BY 2, 1;

\echo
\echo 'Prediction queries (one SQL query per model: held-out people x the model''s genes)'
SELECT t.model, t.predictions, round(t.seconds::numeric, 2) AS seconds,
       round((t.predictions / nullif(t.seconds, 0))::numeric) AS predictions_per_second
FROM demo_timing t ORDER BY t.model;

-- for the picture (tools/demo/plot.sh)
CREATE TABLE per_gene_export AS
SELECT model, gene_id, r FROM per_gene WHERE eval_set = 'pop1 held-out people' AND r IS NOT NULL;
