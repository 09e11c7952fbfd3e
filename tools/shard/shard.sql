-- One shard of a cohort spread over several PostgreSQL servers (README "A cohort on several
-- servers"). Run on every shard, after CREATE EXTENSION varformer and after loading the same
-- reference, annotation and models as every other server (same files):
--
--     psql -v shard=s1 -f tools/shard/shard.sql
--
-- The shard holds its people's rows (cohort, phenotype: written through the coordinator) and
-- offers views that compute on the shard. A coordinator reaches them through postgres_fdw and
-- ships its WHERE clause (model, gene, trait), so the view computes only the pairs selected:
-- the shard's planner filters the (model, gene id) pairs first and predicts per person after.
-- Every view names its shard (the coordinator partitions by it, and groups by it so that
-- aggregates are computed here: PostgreSQL 15 pushes only aggregates whose GROUP BY holds the
-- partition key into a foreign partition).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;

CREATE TABLE IF NOT EXISTS cohort (sample text PRIMARY KEY, gt genotype NOT NULL);
CREATE TABLE IF NOT EXISTS phenotype (
    sample text NOT NULL,
    trait  text NOT NULL,
    value  double precision,
    PRIMARY KEY (sample, trait));

-- The gene ids of a model (model_gene_ids) as the views below join them: beside each person,
-- never around. predict_expression decodes a genotype once and reuses it while the calls that
-- follow bring the same one, so the people must be the outer loop and the genes the inner.
-- Left to costs, the shard's planner sees a tie and puts the larger side outside: with fewer
-- people than genes (a small shard, a long gene list) the genes went outside and every call
-- decoded again (100 people x 100 genes: 1.6-2.1 s instead of 0.10-0.12 s, measured). The
-- second argument, the cohort's tableoid (one value for every person), makes the gene list a
-- LATERAL reference to the person, so no plan can put it outside; Memoize, keyed on that one
-- value (the planner knows a tableoid has one), computes the list once per query.
CREATE OR REPLACE FUNCTION shard_gene_ids(model text, people oid) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 1000 ROWS 1000
    SET search_path FROM CURRENT
AS $$ SELECT model_gene_ids(model) $$;
COMMENT ON FUNCTION shard_gene_ids(text, oid) IS
    'model_gene_ids(model), taking the person''s table so that the shard views'' plans keep people outside genes (tools/shard/shard.sql)';

-- predict_expression for every person of this shard, model and gene id the model answers to.
-- The prediction sits in a LATERAL subquery that is never flattened (OFFSET 0): computed once
-- per row however often the shipped query names it (count(grex), sum(grex), the six regr_*
-- of a correlation would otherwise each call it). n_snps_used and missing
-- (predict_expression_detail, PredictDB models) are plain columns: computed only when a query
-- asks for them, since a view's unused columns are never evaluated.
CREATE OR REPLACE VIEW cohort_predictions AS
SELECT :'shard'::text AS shard, c.sample, m.name AS model, k.gene, p.grex,
       (predict_expression_detail(c.gt, k.gene, m.name)).n_snps_used AS n_snps_used,
       (predict_expression_detail(c.gt, k.gene, m.name)).missing AS missing
FROM model_catalog m
CROSS JOIN cohort c
CROSS JOIN LATERAL shard_gene_ids(m.name, c.tableoid) k(gene)
CROSS JOIN LATERAL (SELECT predict_expression(c.gt, k.gene, m.name) AS grex OFFSET 0) p;

-- The same beside each person's value of a trait (for correlations computed here).
CREATE OR REPLACE VIEW cohort_trait_predictions AS
SELECT :'shard'::text AS shard, c.sample, m.name AS model, k.gene, x.grex, p.trait, p.value
FROM model_catalog m
CROSS JOIN cohort c
CROSS JOIN LATERAL shard_gene_ids(m.name, c.tableoid) k(gene)
JOIN phenotype p ON p.sample = c.sample
CROSS JOIN LATERAL (SELECT predict_expression(c.gt, k.gene, m.name) AS grex OFFSET 0) x;

-- encode_haplotype of both haplotypes of every person (encoders loaded with a window).
CREATE OR REPLACE VIEW cohort_embeddings AS
SELECT :'shard'::text AS shard, c.sample, m.name AS model, k.gene, h.hap, e.embedding
FROM model_catalog m
CROSS JOIN cohort c
CROSS JOIN LATERAL shard_gene_ids(m.name, c.tableoid) k(gene)
CROSS JOIN (VALUES (1), (2)) h(hap)
CROSS JOIN LATERAL (SELECT encode_haplotype(c.gt, h.hap, k.gene, m.name) AS embedding OFFSET 0) e;

-- What each model name denotes here, for the coordinator to compare with its own
-- (shard_model_differences): not the path, which may differ between machines.
CREATE OR REPLACE VIEW shard_models AS
SELECT :'shard'::text AS shard, name, kind, sha256, options, reference, reference_sha256,
       annotation_sha256
FROM model_catalog;
