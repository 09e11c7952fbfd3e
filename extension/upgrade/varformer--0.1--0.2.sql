-- varformer 0.1 -> 0.2, run by ALTER EXTENSION varformer UPDATE (README "Upgrading").
--
-- Every change to the extension's SQL objects made after 0.1 (extension/sql/*.sql, which
-- builds the 0.2 install script) is repeated here, in the order it was made, so that a
-- database created at 0.1 ends up with exactly the objects of a fresh 0.2 install:
--   new object            the same CREATE statement (and its COMMENT ON, GRANT/REVOKE)
--   changed function      CREATE OR REPLACE FUNCTION with the new definition, or ALTER
--                         FUNCTION for volatility/STRICT/PARALLEL/COST only; a changed
--                         return type or argument list: DROP FUNCTION then CREATE
--   removed object        DROP ...
--   new table column      ALTER TABLE ADD COLUMN, and the column last in extension/sql too
--   changed comment       COMMENT ON again
-- test/t/051_extension_update.pl installs 0.1, updates it and compares the catalog with a
-- fresh install: a change missing here fails it, naming the object.
-- Until 0.2 is released this file may grow; after that it is frozen like varformer--0.1.sql.

\echo Use "ALTER EXTENSION varformer UPDATE TO '0.2'" to load this file. \quit

-- ===== issue 13: named gene annotations, the varformer_internal schema, per-call options of
-- encode_haplotype (the name-clash check at the top of the install script is install-only).

CREATE SCHEMA varformer_internal;
COMMENT ON SCHEMA varformer_internal IS 'varformer''s support functions (type I/O, operators, casts, aggregates, planner support): called by PostgreSQL, not by users';
GRANT USAGE ON SCHEMA varformer_internal TO PUBLIC;
-- As in the install script: unqualified names find both schemas, and every function with
-- SET search_path FROM CURRENT that is (re)created or altered below gets this path, as a fresh
-- install's do. Local to the update.
SELECT pg_catalog.set_config('search_path', '@extschema@, varformer_internal, pg_temp', true);

-- Support functions move (same OIDs: types, operators, casts, aggregates keep pointing at them).
ALTER FUNCTION embedding_in(cstring, oid, integer) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_out(embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_typmod_in(cstring[]) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_typmod_out(integer) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_recv(internal, oid, integer) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_send(embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding(embedding, integer, boolean) SET SCHEMA varformer_internal;
ALTER FUNCTION array_to_embedding(real[], integer, boolean) SET SCHEMA varformer_internal;
ALTER FUNCTION array_to_embedding(double precision[], integer, boolean) SET SCHEMA varformer_internal;
ALTER FUNCTION array_to_embedding(integer[], integer, boolean) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_to_float4(embedding, integer, boolean) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_distance_support(internal) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_negative_inner_product(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_add(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_sub(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_mul(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_cmp(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_lt(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_le(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_eq(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_ne(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_ge(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_gt(embedding, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_hash(embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_hash_extended(embedding, bigint) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_agg_accum(internal, embedding) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_agg_combine(internal, internal) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_agg_serialize(internal) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_agg_deserialize(bytea, internal) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_sum_final(internal) SET SCHEMA varformer_internal;
ALTER FUNCTION embedding_avg_final(internal) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_in(cstring) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_out(genotype) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_recv(internal) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_send(genotype) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_eq(genotype, genotype) SET SCHEMA varformer_internal;
ALTER FUNCTION genotype_ne(genotype, genotype) SET SCHEMA varformer_internal;
ALTER FUNCTION gene_choose(text, gene[]) SET SCHEMA varformer_internal;
ALTER FUNCTION model_store_status() SET SCHEMA varformer_internal;
ALTER FUNCTION vf_progress() SET SCHEMA varformer_internal;
ALTER FUNCTION vf_cost_support(internal) SET SCHEMA varformer_internal;

CREATE TABLE gene_annotation (
    name        text PRIMARY KEY,
    gtf_path    text NOT NULL,          -- absolute, resolved at import
    is_default  boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX gene_annotation_one_default ON gene_annotation (is_default) WHERE is_default;
SELECT pg_catalog.pg_extension_config_dump('gene_annotation', '');
GRANT SELECT ON gene_annotation TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON gene_annotation TO pg_read_server_files;

-- gene: one row per gene and annotation. A 0.1 gene table is one unnamed annotation: it
-- becomes annotation "default" (0.1 did not record which file it came from), marked the
-- default, so find_gene(id) and models loaded without an "annotation" option find the same
-- genes as before. Importing that GTF again with import_gtf(path) makes a second annotation
-- named after the file; drop_annotation('default') then removes the first.
ALTER TABLE gene ADD COLUMN annotation text;
INSERT INTO gene_annotation (name, gtf_path, is_default)
    SELECT 'default', '(imported before varformer 0.2; path not recorded)', true
    WHERE EXISTS (SELECT FROM gene);
UPDATE gene SET annotation = 'default';
ALTER TABLE gene ALTER COLUMN annotation SET NOT NULL;
ALTER TABLE gene DROP CONSTRAINT gene_pkey;
ALTER TABLE gene ADD CONSTRAINT gene_pkey PRIMARY KEY (annotation, gene_id);
DROP INDEX gene_unversioned_idx;
DROP INDEX gene_name_idx;
CREATE INDEX gene_unversioned_idx ON gene (annotation, gene_id_unversioned);
CREATE INDEX gene_name_idx ON gene (annotation, lower(gene_name));

-- An annotation's genes follow its row: deleted with it, renamed with it.
CREATE FUNCTION varformer_internal.gene_annotation_cascade() RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM gene g WHERE g.annotation = OLD.name;
        RETURN OLD;
    END IF;
    UPDATE gene g SET annotation = NEW.name WHERE g.annotation = OLD.name;
    RETURN NEW;
END
$$;
CREATE TRIGGER gene_annotation_cascade AFTER DELETE OR UPDATE OF name ON gene_annotation
    FOR EACH ROW EXECUTE FUNCTION varformer_internal.gene_annotation_cascade();

-- Reads gene records (feature "gene") of a GTF, plain or gzipped, into the annotation named
-- after the file (its name without directory, .gz and .gtf: gencode.v44.annotation.gtf.gz ->
-- gencode.v44.annotation). Importing into a name that exists replaces that annotation's genes
-- (and nothing else). Returns the number of genes read.
CREATE OR REPLACE FUNCTION import_gtf(path text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_import_gtf' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 1000000;
-- The same into a named annotation, optionally made the default one.
CREATE FUNCTION import_gtf(path text, annotation text, is_default boolean DEFAULT false) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_import_gtf' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 1000000;

-- Removes an annotation and its genes; true when it existed. Models loaded with it keep the
-- genes they copied at load.
CREATE FUNCTION drop_annotation(name text) RETURNS boolean
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE COST 100
    SET search_path FROM CURRENT
BEGIN ATOMIC
    WITH d AS (DELETE FROM gene_annotation a WHERE a.name = drop_annotation.name RETURNING 1)
    SELECT count(*) > 0 FROM d;
END;

-- The annotation a call or a model means: `name` when given (it must exist), else the default
-- one (marked, or the only one). Errors name the annotations there are.
CREATE FUNCTION annotation_resolve(name text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE COST 10
    SET search_path FROM CURRENT
AS $$
DECLARE
    r text;
    known text := (SELECT string_agg(format('"%s"', a.name), ', ' ORDER BY a.name) FROM gene_annotation a);
BEGIN
    IF name IS NOT NULL THEN
        SELECT a.name INTO r FROM gene_annotation a WHERE a.name = annotation_resolve.name;
        IF r IS NULL THEN
            RAISE EXCEPTION 'gene annotation "%" is not imported', name
                USING ERRCODE = 'undefined_object',
                      HINT = CASE WHEN known IS NULL THEN 'Import one with import_gtf(path, name).'
                                  ELSE format('Imported annotations: %s.', known) END;
        END IF;
        RETURN r;
    END IF;
    SELECT a.name INTO r FROM gene_annotation a
     WHERE a.is_default OR (SELECT count(*) FROM gene_annotation) = 1;
    IF r IS NULL THEN
        IF known IS NULL THEN
            RAISE EXCEPTION 'no gene annotation is imported'
                USING ERRCODE = 'undefined_object',
                      HINT = 'Load an annotation with import_gtf(path).';
        END IF;
        RAISE EXCEPTION 'several gene annotations are imported (%) and none is the default', known
            USING ERRCODE = 'ambiguous_parameter',
                  HINT = 'Name one (find_gene(id, annotation), load_model option "annotation"), or mark a default: import_gtf(path, name, is_default => true).';
    END IF;
    RETURN r;
END
$$;

-- The gene a user means by `id` among candidates (rows whose gene_id, unversioned gene_id or
-- gene_name equal it): an exact gene_id, else the same gene_id without version, else a
-- unique gene_name, compared case-insensitively. NULL when none matches; an error naming
-- the candidates when ambiguous. One rule for find_gene, the annotations bound to models
-- (model_find_gene) and PredictDB models (vf_pdb_find_gene in C, names from extra.genename).
CREATE OR REPLACE FUNCTION varformer_internal.gene_choose(id text, candidates gene[]) RETURNS gene
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 10
    SET search_path FROM CURRENT
AS $$
DECLARE
    hits gene[];
BEGIN
    hits := ARRAY(SELECT c FROM unnest(candidates) c WHERE c.gene_id = id);
    IF cardinality(hits) = 0 THEN
        hits := ARRAY(SELECT c FROM unnest(candidates) c
                      WHERE c.gene_id_unversioned = unversioned_gene_id(id) ORDER BY c.gene_id);
    END IF;
    IF cardinality(hits) = 0 THEN
        hits := ARRAY(SELECT c FROM unnest(candidates) c WHERE lower(c.gene_name) = lower(id) ORDER BY c.gene_id);
    END IF;
    IF cardinality(hits) > 1 THEN
        RAISE EXCEPTION 'gene "%" is ambiguous: % genes match (%)', id, cardinality(hits),
              (SELECT string_agg(h.gene_id, ', ') FROM unnest(hits) h)
            USING ERRCODE = 'ambiguous_parameter', HINT = 'Use the gene_id.';
    END IF;
    RETURN hits[1];
END
$$;

-- The gene a user means by `id` in an annotation (gene_choose's rule; NULL: the default one).
-- Errors name the id and the annotation.
CREATE FUNCTION find_gene(id text, annotation text) RETURNS gene
    LANGUAGE plpgsql STABLE PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
AS $$
DECLARE
    a text;
    hit gene;
BEGIN
    IF id IS NULL THEN
        RETURN NULL;
    END IF;
    a := annotation_resolve(annotation);
    hit := gene_choose(id, ARRAY(SELECT g FROM gene g
                                 WHERE g.annotation = a
                                   AND (g.gene_id = id OR lower(g.gene_name) = lower(id)
                                        OR g.gene_id_unversioned = unversioned_gene_id(id))));
    IF hit.gene_id IS NULL THEN
        RAISE EXCEPTION 'gene "%" is not in gene annotation "%"', id, a
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use a gene_id (with or without version) or a gene_name of that annotation.';
    END IF;
    RETURN hit;
END
$$;

-- The same in the default annotation.
CREATE OR REPLACE FUNCTION find_gene(id text) RETURNS gene
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
    RETURN find_gene(id, NULL::text);

-- model_catalog: the annotation a model copied its genes from
ALTER TABLE model_catalog ADD COLUMN annotation text;
GRANT SELECT (name, kind, architecture, options, sha256, parameters, bytes, loaded_at,
              reference, reference_sha256, annotation_sha256, genes, annotation) ON model_catalog TO PUBLIC;


-- The gene `id` means (find_gene's rule) in the annotation bound to a model.
CREATE OR REPLACE FUNCTION model_find_gene(model text, id text) RETURNS gene
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
AS $$
DECLARE
    g gene := gene_choose(id, ARRAY(
        SELECT ROW(m.gene_id, m.gene_name, m.chrom, m.start, m."end", m.strand, m.tss,
                   m.gene_type, m.gene_id_unversioned, c.annotation)::gene
        FROM model_gene m
        JOIN model_catalog c ON c.name = m.model
        WHERE m.model = model_find_gene.model
          AND (m.gene_id = id OR lower(m.gene_name) = lower(id) OR m.gene_id_unversioned = unversioned_gene_id(id))));
    n integer;
    a text;
BEGIN
    IF g.gene_id IS NULL THEN
        SELECT c.genes, c.annotation INTO n, a FROM model_catalog c WHERE c.name = model;
        RAISE EXCEPTION 'gene "%" is not in the annotation model "%" was loaded with', id, model
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('The model bound %s genes of gene annotation "%s" when it was loaded.', coalesce(n, 0), a),
                  HINT = 'Genes imported since count after load_model(name, path, options || ''{"replace": true}'').';
    END IF;
    RETURN g;
END
$$;

-- Models loaded under 0.1 that read haplotypes bound the whole gene table, which is now
-- annotation "default": record that as 0.2's load_model would have ("annotation" in the
-- options and the column), and recompute the bound genes' sha256 as 0.2 computes it (the
-- rows now have an annotation column) from the copy each model keeps (model_gene, equal to
-- the gene table as it was at load). Loading such a model again without "replace" then
-- compares equal while the annotation is unchanged, and a changed one is still reported.
UPDATE model_catalog c
   SET annotation = 'default',
       options = c.options || jsonb_build_object('annotation', 'default'),
       annotation_sha256 = (
           SELECT encode(sha256(convert_to(coalesce(string_agg(
                      ROW(m.gene_id, m.gene_name, m.chrom, m.start, m."end", m.strand, m.tss,
                          m.gene_type, m.gene_id_unversioned, 'default')::gene::text,
                      E'\n' ORDER BY m.gene_id), ''), 'UTF8')), 'hex')
           FROM model_gene m WHERE m.model = c.name)
 WHERE c.reference IS NOT NULL;

-- Readable by everyone; path is NULL for a role that may not read server files (the view
-- reads the catalog as its owner, so it hides the column itself).
CREATE OR REPLACE VIEW models AS
SELECT c.name, c.kind, c.architecture, c.parameters, c.bytes,
       CASE WHEN pg_catalog.pg_has_role('pg_read_server_files', 'MEMBER') THEN c.path END AS path,
       c.sha256,
       s.name IS NOT NULL AS loaded,
       coalesce(s.backends, 0) AS backends,
       coalesce(s.transactions, 0) AS transactions,
       c.options, c.loaded_at, c.reference, c.genes,
       -- names whose images are the same bytes share one copy in shared memory (same number)
       s.image,
       -- the gene annotation a haplotype-reading model copied its genes from
       c.annotation
FROM model_catalog c
LEFT JOIN model_store_status() s ON s.name = c.name;
GRANT SELECT ON models TO PUBLIC;

-- Per-call options of encode_haplotype (window, reverse_complement, allow_unphased): checked
-- as load_model checks them (model_options.c); the keys that bind the model (reference,
-- annotation) are refused.
CREATE FUNCTION varformer_internal.call_options_check(function text, model text, options text, allowed text)
RETURNS void
    AS 'MODULE_PATHNAME', 'vf_call_options_check'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
COMMENT ON FUNCTION varformer_internal.call_options_check(text, text, text, text) IS
    'internal: checks the per-call options of a function against the keys it allows (as load_model checks its own)';

-- The same with per-call options over the model's: {"window": n} (another window around the
-- TSS), {"reverse_complement": bool}, {"allow_unphased": bool}. IMMUTABLE stays honest: the
-- result depends on the arguments and on what the model name denotes. A model without a
-- "window" at load still needs one (the reference and annotation are bound only then).
CREATE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text, options jsonb)
RETURNS embedding
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000
SET search_path FROM CURRENT
AS $$
DECLARE
    m model_catalog;
    g gene;
    width integer;
    now_sha text;
    seq text;
    bad text;
BEGIN
    SELECT c.name, c.options, c.reference, c.reference_sha256 INTO m.name, m.options, m.reference, m.reference_sha256 FROM model_catalog c WHERE c.name = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" is not loaded', model USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT (m.options ? 'window') THEN
        RAISE EXCEPTION 'model "%" has no "window" option', model
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Load it with the number of bases it reads around the TSS, e.g. load_model(name, path, ''{"window": 5994}'').';
    END IF;
    -- the call's options over the model's: how the window is read, never what is bound
    PERFORM varformer_internal.call_options_check('encode_haplotype', model, options::text,
                                                  'window,reverse_complement,allow_unphased');
    m.options := m.options || options;
    width := (m.options ->> 'window')::integer;
    SELECT r.sha256 INTO now_sha FROM reference_genome r WHERE r.name = m.reference;
    IF now_sha IS DISTINCT FROM m.reference_sha256 THEN
        RAISE EXCEPTION 'reference genome "%" that model "%" was loaded with is %', m.reference, model,
              CASE WHEN now_sha IS NULL THEN 'no longer registered' ELSE 'now registered with other content' END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('The model bound sha256 %s; the registry has %s.', m.reference_sha256, coalesce(now_sha, 'none')),
                  HINT = format('Register the same FASTA again as "%s", or reload the model with {"replace": true} to bind the reference as it is now.', m.reference);
    END IF;
    g := model_find_gene(model, gene);
    IF NOT coalesce((m.options ->> 'allow_unphased')::boolean, false) THEN
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
    seq := haplotype_window(gt, hap, g.chrom, g.tss, width, m.reference);
    IF g.strand = '-' AND coalesce((m.options ->> 'reverse_complement')::boolean, false) THEN
        seq := translate(reverse(seq), 'ACGTNacgtn', 'TGCANtgcan');
    END IF;
    RETURN encode_sequence(seq, model);
END
$$;
CREATE OR REPLACE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text)
RETURNS embedding
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000
SET search_path FROM CURRENT
AS $$
BEGIN
    RETURN encode_haplotype(gt, hap, gene, model, '{}'::jsonb);
END
$$;
COMMENT ON FUNCTION encode_haplotype(genotype, integer, text, text, jsonb) IS
    'encode_haplotype with per-call options over the model''s: window, reverse_complement, allow_unphased (the reference and annotation stay those bound at load)';

-- The other functions with SET search_path FROM CURRENT keep their definition; their path
-- becomes the install's (gene_choose, find_gene, model_find_gene, encode_haplotype: above).
ALTER FUNCTION model_dependencies(text) SET search_path FROM CURRENT;
ALTER FUNCTION model_gene_ids(text) SET search_path FROM CURRENT;


-- comments (90_comments.sql)
COMMENT ON FUNCTION import_gtf(text) IS 'reads the gene lines of a GTF (plain or gzipped) into the annotation named after the file (replacing its genes); returns the number of genes read';
COMMENT ON FUNCTION import_gtf(text, text, boolean) IS 'reads the gene lines of a GTF into the named annotation (replacing its genes, no other annotation''s), optionally the default one; returns the number of genes read';
COMMENT ON FUNCTION gene_annotation_cascade() IS 'internal: trigger deleting or renaming an annotation''s genes with its gene_annotation row';
COMMENT ON FUNCTION drop_annotation(text) IS 'removes a gene annotation and its genes; true when it existed (models keep the genes they bound at load)';
COMMENT ON FUNCTION annotation_resolve(text) IS 'the gene annotation a call or model means: the named one, else the default (marked, or the only one); errors name those imported';
COMMENT ON FUNCTION find_gene(text, text) IS 'the row of a gene annotation (NULL: the default one) for a gene_id (with or without version) or a unique gene_name';
COMMENT ON FUNCTION find_gene(text) IS 'the default gene annotation''s row for a gene_id (with or without version) or a unique gene_name';
COMMENT ON TABLE gene IS 'genes imported by import_gtf (gene_id, gene_name, chrom, start, end, strand, tss), one row per gene and annotation';
COMMENT ON TABLE gene_annotation IS 'imported gene annotations (import_gtf): name, GTF path, whether it is the default';
COMMENT ON TABLE model_gene IS 'the genes of its annotation as they were when each haplotype-reading model was loaded';

-- model_gene_ids also lists PredictDB gene names, so a coordinator lets the shards compute
-- predictions asked for by name (issue 16; extension/sql/90_shard.sql)
CREATE OR REPLACE FUNCTION model_gene_ids(model text) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 1000 ROWS 1000
    SET search_path FROM CURRENT
AS $$
    SELECT DISTINCT id FROM (
        SELECT unnest(ARRAY[g.gene_id, g.gene_id_unversioned, g.gene_name])
        FROM model_dependencies(model) d(name)
        JOIN model_gene g ON g.model = d.name
        UNION ALL
        SELECT unnest(ARRAY[p.gene, unversioned_gene_id(p.gene), nullif(p.genename, '')])
        FROM model_dependencies(model) d(name)
        JOIN model_catalog c ON c.name = d.name AND c.kind = 'predictdb'
        CROSS JOIN LATERAL predictdb_genes(c.name) p
    ) ids(id)
    WHERE id IS NOT NULL
$$;
COMMENT ON FUNCTION model_gene_ids(text) IS
    'every gene identifier predict_expression accepts for the model (versioned and unversioned ids, PredictDB gene names, names of the bound annotation; ensemble members'')';
