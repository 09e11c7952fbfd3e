-- varformer 0.1 as released, FROZEN: never edit this file. It is the install script the
-- Makefile assembled from extension/sql/*.sql at 0.1 (main 871cab1), kept so that
-- CREATE EXTENSION varformer VERSION '0.1' still works and test/t/051_extension_update.pl can
-- test ALTER EXTENSION UPDATE from it. Changes go into extension/sql/ and the upgrade script.
-- varformer install script, assembled by the Makefile from extension/sql/NN_*.sql
-- (one fragment per module, in file-name order).

\echo Use "CREATE EXTENSION varformer" to load this file. \quit

-- The extension claims a few names in the schema it is installed into (tables gene,
-- model_catalog, model_gene, reference_genome, views models, varformer_progress, types
-- embedding, genotype). A schema that already has one would fail half-way with a bare
-- "already exists"; say which name clashes and how to install beside it instead.
DO $$
DECLARE
    clash text;
BEGIN
    SELECT string_agg(format('%s "%s"', kind, name), ', ' ORDER BY name) INTO clash
    FROM (SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' ELSE 'table' END AS kind,
                 c.relname::text AS name
          FROM pg_catalog.pg_class c
          WHERE c.relnamespace = pg_catalog.to_regnamespace(pg_catalog.current_schema())
            AND c.relname IN ('gene', 'model_catalog', 'model_gene', 'reference_genome', 'models',
                              'varformer_progress', 'gene_pkey', 'gene_unversioned_idx', 'gene_name_idx',
                              'model_catalog_pkey', 'model_gene_pkey', 'model_gene_unversioned_idx',
                              'model_gene_name_idx', 'reference_genome_pkey', 'reference_genome_one_default')
          UNION ALL
          SELECT 'type', t.typname::text
          FROM pg_catalog.pg_type t
          WHERE t.typnamespace = pg_catalog.to_regnamespace(pg_catalog.current_schema())
            AND t.typname IN ('embedding', 'genotype') AND t.typrelid = 0) n;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'schema "%" already has %, which varformer would create', pg_catalog.current_schema(), clash
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Install varformer into a schema of its own and put it on the search_path: CREATE SCHEMA varformer; CREATE EXTENSION varformer SCHEMA varformer; SET search_path = public, varformer (or ALTER DATABASE ... SET search_path).';
    END IF;
END
$$;
-- 10_embedding: the `embedding` type (float4 vector, pgvector-compatible text form).

CREATE TYPE embedding;

CREATE FUNCTION embedding_in(cstring, oid, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_out(embedding) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_embedding_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_in(cstring[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_typmod_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_out(integer) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_embedding_typmod_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_recv(internal, oid, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_send(embedding) RETURNS bytea
    AS 'MODULE_PATHNAME', 'vf_embedding_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE main: keep values inline in the heap page (compressed only if that helps, moved
-- to TOAST only when a row cannot fit a page, e.g. beyond ~2000 dimensions). A 768-d value
-- (3080 bytes) would be pushed out of line under extended/external (the TOAST threshold is
-- ~2 kB); the heap would then hold 18-byte pointers, the planner would size the scan by that
-- small heap and skip parallel plans, and every row would cost a TOAST index lookup.
-- See README.md, "Storage".
CREATE TYPE embedding (
    INPUT = embedding_in,
    OUTPUT = embedding_out,
    TYPMOD_IN = embedding_typmod_in,
    TYPMOD_OUT = embedding_typmod_out,
    RECEIVE = embedding_recv,
    SEND = embedding_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main
);

-- Casts. Length coercion first: embedding(n) columns and ::embedding(n) casts call it.
CREATE FUNCTION embedding(embedding, integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_coerce' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(real[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_float4_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(double precision[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_float8_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(integer[], integer, boolean) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_int4_array_to_embedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_to_float4(embedding, integer, boolean) RETURNS real[]
    AS 'MODULE_PATHNAME', 'vf_embedding_to_float4_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (embedding AS embedding) WITH FUNCTION embedding(embedding, integer, boolean) AS IMPLICIT;
CREATE CAST (real[] AS embedding) WITH FUNCTION array_to_embedding(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS embedding) WITH FUNCTION array_to_embedding(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS embedding) WITH FUNCTION array_to_embedding(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS real[]) WITH FUNCTION embedding_to_float4(embedding, integer, boolean) AS ASSIGNMENT;

-- Distances. COST 5 (units of cpu_operator_cost) is the fallback; when the dimension is
-- known (typmod or constant) the support function charges by dimension instead
-- (1 + dim / 16, e.g. 49 for 768-d), which is what lets the planner see that a
-- nearest-neighbour scan over wide embeddings is worth parallel workers.
CREATE FUNCTION embedding_distance_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_distance_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION inner_product(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION embedding_negative_inner_product(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION cosine_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION cosine_similarity(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_cosine_similarity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION l1_distance(embedding, embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 5 SUPPORT embedding_distance_support;
CREATE FUNCTION dims(embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_norm(embedding) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION l2_normalize(embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;
CREATE FUNCTION subembedding(embedding, integer, integer) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_subembedding' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <-> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <=> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = cosine_distance, COMMUTATOR = '<=>');
CREATE OPERATOR <#> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_negative_inner_product, COMMUTATOR = '<#>');

-- Element-wise arithmetic.
CREATE FUNCTION embedding_add(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION embedding_sub(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE FUNCTION embedding_mul(embedding, embedding) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 3;
CREATE OPERATOR + (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_add, COMMUTATOR = +);
CREATE OPERATOR - (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_sub);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_mul, COMMUTATOR = *);

-- Total order (lexicographic on elements, then dimension) and hashing, so ORDER BY,
-- DISTINCT, GROUP BY, unique indexes and hash joins work.
CREATE FUNCTION embedding_cmp(embedding, embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_lt(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_le(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_eq(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ne(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ge(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_gt(embedding, embedding) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_embedding_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash(embedding) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_embedding_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash_extended(embedding, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_embedding_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR < (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR = (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_eq,
    COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR >= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR > (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS embedding_btree_ops DEFAULT FOR TYPE embedding USING btree AS
    OPERATOR 1 <,
    OPERATOR 2 <=,
    OPERATOR 3 =,
    OPERATOR 4 >=,
    OPERATOR 5 >,
    FUNCTION 1 embedding_cmp(embedding, embedding);

CREATE OPERATOR CLASS embedding_hash_ops DEFAULT FOR TYPE embedding USING hash AS
    OPERATOR 1 =,
    FUNCTION 1 embedding_hash(embedding),
    FUNCTION 2 embedding_hash_extended(embedding, bigint);

-- Aggregates: double-precision sums in an internal state, serializable for parallel plans.
-- The transition and combine functions must see NULL states, so they are not STRICT.
CREATE FUNCTION embedding_agg_accum(internal, embedding) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION embedding_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION embedding_agg_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_agg_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_embedding_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_sum_final(internal) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_sum_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_avg_final(internal) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_embedding_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE sum(embedding) (
    SFUNC = embedding_agg_accum,
    STYPE = internal,
    FINALFUNC = embedding_sum_final,
    COMBINEFUNC = embedding_agg_combine,
    SERIALFUNC = embedding_agg_serialize,
    DESERIALFUNC = embedding_agg_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE avg(embedding) (
    SFUNC = embedding_agg_accum,
    STYPE = internal,
    FINALFUNC = embedding_avg_final,
    COMBINEFUNC = embedding_agg_combine,
    SERIALFUNC = embedding_agg_serialize,
    DESERIALFUNC = embedding_agg_deserialize,
    PARALLEL = SAFE
);
-- genotype: one sample's calls over one region (text form and encoding: README, src/genotype_text.h).

CREATE TYPE genotype;

CREATE FUNCTION genotype_in(cstring) RETURNS genotype
    AS 'MODULE_PATHNAME', 'vf_genotype_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION genotype_out(genotype) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_genotype_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION genotype_recv(internal) RETURNS genotype
    AS 'MODULE_PATHNAME', 'vf_genotype_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION genotype_send(genotype) RETURNS bytea
    AS 'MODULE_PATHNAME', 'vf_genotype_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;

CREATE TYPE genotype (
    INPUT = genotype_in,
    OUTPUT = genotype_out,
    RECEIVE = genotype_recv,
    SEND = genotype_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);

CREATE FUNCTION genotype_region(genotype) RETURNS text
    AS 'MODULE_PATHNAME', 'vf_genotype_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION genotype_chrom(genotype) RETURNS text
    AS 'MODULE_PATHNAME', 'vf_genotype_chrom' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION genotype_start(genotype) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_genotype_start' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION genotype_end(genotype) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_genotype_end' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
-- calls where the sample carries an ALT allele (0/0 calls, kept as assayed sites, are not)
CREATE FUNCTION n_variants(genotype) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_genotype_n_variants' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
-- every call of the genotype, homozygous-reference ones included (genotype_variants' rows)
CREATE FUNCTION n_sites(genotype) RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_genotype_n_sites' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION genotype_coverage(genotype) RETURNS text
    AS 'MODULE_PATHNAME', 'vf_genotype_coverage' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
COMMENT ON FUNCTION n_sites(genotype) IS
    'Calls the genotype holds, 0/0 and missing ones included (for a listed genotype: the sites assayed).';
COMMENT ON FUNCTION genotype_coverage(genotype) IS
    'region: every position of the region was assayed (no call = homozygous reference); listed: only the positions with a call were (no call = unknown).';
CREATE FUNCTION genotype_variants(genotype,
        OUT pos bigint, OUT id text, OUT ref text, OUT alt text[], OUT gt text,
        OUT dosage real, OUT dosages real[])
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_genotype_variants' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10 ROWS 1000;
CREATE FUNCTION dosage(genotype, pos bigint, ref text, alt text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'vf_genotype_dosage' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;

CREATE FUNCTION genotype_eq(genotype, genotype) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_genotype_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION genotype_ne(genotype, genotype) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_genotype_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE OPERATOR = (LEFTARG = genotype, RIGHTARG = genotype, PROCEDURE = genotype_eq,
                   COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR <> (LEFTARG = genotype, RIGHTARG = genotype, PROCEDURE = genotype_ne,
                    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);

-- Reading VCF/VCF.gz/BCF through htslib; server files, so superuser or pg_read_server_files.
CREATE FUNCTION read_vcf(path text, region text DEFAULT NULL, samples text[] DEFAULT NULL,
        OUT sample text, OUT chrom text, OUT pos bigint, OUT id text, OUT ref text,
        OUT alt text[], OUT gt text, OUT dosage real, OUT dosages real[])
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_read_vcf' LANGUAGE C VOLATILE PARALLEL SAFE COST 100000 ROWS 10000;
CREATE FUNCTION read_genotypes(path text, region text, samples text[] DEFAULT NULL,
        coverage text DEFAULT 'listed', force_samples boolean DEFAULT false,
        OUT sample text, OUT gt genotype)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_read_genotypes' LANGUAGE C VOLATILE PARALLEL SAFE COST 100000 ROWS 1000;
-- The same, leaving out (with one NOTICE naming them) the samples the file does not have,
-- as bcftools --force-samples does, instead of an error (read_genotypes: its force_samples).
CREATE FUNCTION read_vcf(path text, region text, samples text[], force_samples boolean,
        OUT sample text, OUT chrom text, OUT pos bigint, OUT id text, OUT ref text,
        OUT alt text[], OUT gt text, OUT dosage real, OUT dosages real[])
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vf_read_vcf' LANGUAGE C VOLATILE PARALLEL SAFE COST 100000 ROWS 10000;
-- The sample names of a VCF/BCF, in file order (no index needed).
CREATE FUNCTION vcf_samples(path text) RETURNS TABLE (sample text)
    AS 'MODULE_PATHNAME', 'vf_vcf_samples' LANGUAGE C VOLATILE STRICT PARALLEL SAFE COST 10000 ROWS 100;
-- Reference genomes, haplotype construction (bcftools consensus semantics), gene annotation.

-- Registered reference FASTAs. A table (not shared memory) so the registry survives
-- restarts and pg_dump (pg_extension_config_dump). Each backend opens a registered FASTA
-- once and keeps the faidx handle; it reopens when the row or the file changes.
-- At most one row is the default, used when a function's `reference` argument is NULL;
-- with a single registered reference that one is the default even when not marked.
CREATE TABLE reference_genome (
    name          text PRIMARY KEY,
    fasta_path    text NOT NULL,        -- absolute, resolved at registration
    is_default    boolean NOT NULL DEFAULT false,
    n_contigs     integer NOT NULL,
    -- what the name denotes: models that read haplotypes bind to this content at load time,
    -- and a backend refuses a FASTA whose size is no longer the registered one
    bytes         bigint NOT NULL,      -- size of the FASTA file
    sha256        text NOT NULL,        -- of the FASTA file, as sha256sum prints it
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reference_genome_one_default ON reference_genome (is_default) WHERE is_default;
SELECT pg_catalog.pg_extension_config_dump('reference_genome', '');
-- Reading a registered reference is open to everyone (the registration is the privileged
-- act, like loading a model); registering is for those who may read server files.
GRANT SELECT ON reference_genome TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON reference_genome TO pg_read_server_files;

-- Registers (or re-points) a reference; returns its number of contigs. Builds a missing
-- .fai/.gzi next to the FASTA when the directory is writable.
CREATE FUNCTION register_reference(name text, fasta_path text, is_default boolean DEFAULT false)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'vf_register_reference' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 10000;
CREATE FUNCTION unregister_reference(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_unregister_reference' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 100;
CREATE FUNCTION reference_contigs(reference text DEFAULT NULL)
    RETURNS TABLE (contig text, length bigint)
    AS 'MODULE_PATHNAME', 'vf_reference_contigs' LANGUAGE C STABLE PARALLEL SAFE COST 1000 ROWS 100;
-- Bases chrom:start-end (1-based, inclusive) as `samtools faidx` prints them (case kept).
CREATE FUNCTION reference_sequence(chrom text, start bigint, "end" bigint, reference text DEFAULT NULL)
    RETURNS text
    AS 'MODULE_PATHNAME', 'vf_reference_sequence' LANGUAGE C STABLE PARALLEL SAFE COST 1000;

-- One haplotype (1 or 2) of a genotype over chrom:start-end: exactly the sequence of
--   samtools faidx REF chrom:start-end | bcftools consensus -s SAMPLE -H hap VCF
-- The window must lie inside the genotype's region.
CREATE FUNCTION haplotype_sequence(gt genotype, hap integer, chrom text, start bigint, "end" bigint,
                                   reference text DEFAULT NULL)
    RETURNS text
    AS 'MODULE_PATHNAME', 'vf_haplotype_sequence' LANGUAGE C STABLE PARALLEL SAFE COST 2000;
-- Where reference position pos (inside the window) lands in that haplotype sequence
-- (1-based, so substr(haplotype_sequence(...), haplotype_position(...), 1) is its base).
-- A deleted base maps to the next surviving reference base (length + 1 past the end).
CREATE FUNCTION haplotype_position(gt genotype, hap integer, chrom text, start bigint, "end" bigint,
                                   pos bigint, reference text DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_haplotype_position' LANGUAGE C STABLE PARALLEL SAFE COST 2000;
-- `width` haplotype bases with reference position `centre` at 1-based position width/2 + 1,
-- however the indels before it moved it: a model window that stays centred on a TSS.
-- The window must lie inside the genotype's region; deletions near it are made up for
-- from the region around it.
CREATE FUNCTION haplotype_window(gt genotype, hap integer, chrom text, centre bigint, width integer,
                                 reference text DEFAULT NULL)
    RETURNS text
    AS 'MODULE_PATHNAME', 'vf_haplotype_window' LANGUAGE C STABLE PARALLEL SAFE COST 2000;

-- ENSG00000100030.15 -> ENSG00000100030; anything else (names, _PAR_Y suffixes) unchanged.
CREATE FUNCTION unversioned_gene_id(id text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(id, '^(ENS[A-Z]*G[0-9]+)\.[0-9]+', '\1');

-- Genes from a GENCODE/Ensembl GTF (import_gtf). gene_id is kept as the file has it
-- (versioned in GENCODE); gene_id_unversioned drops the version (keeping _PAR_Y) so
-- either form finds the gene, see find_gene(). tss is start on +, end on -.
CREATE TABLE gene (
    gene_id     text PRIMARY KEY,
    gene_name   text,
    chrom       text NOT NULL,
    start       bigint NOT NULL,
    "end"       bigint NOT NULL,
    strand      text NOT NULL CHECK (strand IN ('+', '-')),
    tss         bigint NOT NULL,
    gene_type   text,
    gene_id_unversioned text GENERATED ALWAYS AS (unversioned_gene_id(gene_id)) STORED,
    CHECK (start >= 1 AND "end" >= start),
    CHECK (tss = CASE strand WHEN '+' THEN start ELSE "end" END)
);
CREATE INDEX gene_unversioned_idx ON gene (gene_id_unversioned);
CREATE INDEX gene_name_idx ON gene (lower(gene_name));
SELECT pg_catalog.pg_extension_config_dump('gene', '');
GRANT SELECT ON gene TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON gene TO pg_read_server_files;

-- Reads gene records (feature "gene") of a GTF, plain or gzipped, into gene; a gene_id
-- already there is updated. Returns the number of genes read.
CREATE FUNCTION import_gtf(path text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vf_import_gtf' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 1000000;

-- The gene a user means by `id` among candidates (rows whose gene_id, unversioned gene_id or
-- gene_name equal it): an exact gene_id, else the same gene_id without version, else a
-- unique gene_name, compared case-insensitively. NULL when none matches; an error naming
-- the candidates when ambiguous. One rule for find_gene, the annotations bound to models
-- (model_find_gene) and PredictDB models (vf_pdb_find_gene in C, names from extra.genename).
CREATE FUNCTION gene_choose(id text, candidates gene[]) RETURNS gene
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

-- The gene a user means by `id` in the gene table (gene_choose's rule). Errors name the id.
CREATE FUNCTION find_gene(id text) RETURNS gene
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
AS $$
DECLARE
    g gene := gene_choose(id, ARRAY(SELECT g FROM gene g
                                    WHERE g.gene_id = id OR lower(g.gene_name) = lower(id)
                                       OR g.gene_id_unversioned = unversioned_gene_id(id)));
BEGIN
    IF g.gene_id IS NULL THEN
        RAISE EXCEPTION 'gene "%" is not in the gene table', id
            USING ERRCODE = 'undefined_object',
                  HINT = CASE WHEN NOT EXISTS (SELECT FROM gene)
                              THEN 'The gene table is empty: load an annotation with import_gtf(path).'
                              ELSE 'Use a gene_id (with or without version) or a gene_name from the gene table.' END;
    END IF;
    RETURN g;
END
$$;
-- Model store: load_model / unload_model, the persisted catalog and the models view.

-- What was loaded, so that a restart or a crash reset of shared memory can reload it.
-- Written only by load_model/unload_model (as the extension owner); dumped by pg_dump.
CREATE TABLE model_catalog (
    name         text PRIMARY KEY,
    kind         text NOT NULL,
    architecture text NOT NULL,
    path         text,
    options      jsonb NOT NULL DEFAULT '{}',
    sha256       text NOT NULL,
    parameters   bigint,
    bytes        bigint,
    loaded_at    timestamptz,
    -- A model with a "window" option reads haplotypes around genes' TSSs. What it reads is
    -- bound at load time, so that its name denotes fixed content and its prediction
    -- functions can be IMMUTABLE: the reference (name and the FASTA's sha256 then) and a
    -- copy of the gene table (model_gene, and the sha256 of what was copied).
    reference          text,
    reference_sha256   text,
    annotation_sha256  text,
    genes              integer
);
SELECT pg_catalog.pg_extension_config_dump('model_catalog', '');
-- Everyone may see what is loaded, but a model's server path only a role that may read
-- server files (as load_model needs): other columns only for PUBLIC.
REVOKE ALL ON model_catalog FROM PUBLIC;
GRANT SELECT (name, kind, architecture, options, sha256, parameters, bytes, loaded_at,
              reference, reference_sha256, annotation_sha256, genes) ON model_catalog TO PUBLIC;
GRANT SELECT ON model_catalog TO pg_read_server_files;

-- The gene table as it was when a haplotype-reading model was loaded (see model_catalog).
-- import_gtf changes the gene table, not this; load_model with {"replace": true} renews it.
CREATE TABLE model_gene (
    model       text NOT NULL,
    gene_id     text NOT NULL,
    gene_name   text,
    chrom       text NOT NULL,
    start       bigint NOT NULL,
    "end"       bigint NOT NULL,
    strand      text NOT NULL,
    tss         bigint NOT NULL,
    gene_type   text,
    gene_id_unversioned text NOT NULL,
    PRIMARY KEY (model, gene_id)
);
CREATE INDEX model_gene_unversioned_idx ON model_gene (model, gene_id_unversioned);
CREATE INDEX model_gene_name_idx ON model_gene (model, lower(gene_name));
SELECT pg_catalog.pg_extension_config_dump('model_gene', '');
REVOKE ALL ON model_gene FROM PUBLIC;
GRANT SELECT ON model_gene TO PUBLIC;

-- The gene `id` means (find_gene's rule) in the annotation bound to a model.
CREATE FUNCTION model_find_gene(model text, id text) RETURNS gene
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
AS $$
DECLARE
    g gene := gene_choose(id, ARRAY(
        SELECT ROW(m.gene_id, m.gene_name, m.chrom, m.start, m."end", m.strand, m.tss,
                   m.gene_type, m.gene_id_unversioned)::gene
        FROM model_gene m
        WHERE m.model = model_find_gene.model
          AND (m.gene_id = id OR lower(m.gene_name) = lower(id) OR m.gene_id_unversioned = unversioned_gene_id(id))));
    n integer;
BEGIN
    IF g.gene_id IS NULL THEN
        SELECT c.genes INTO n FROM model_catalog c WHERE c.name = model;
        RAISE EXCEPTION 'gene "%" is not in the annotation model "%" was loaded with', id, model
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('The model bound %s genes of the gene table when it was loaded.', coalesce(n, 0)),
                  HINT = 'Genes imported since count after load_model(name, path, options || ''{"replace": true}'').';
    END IF;
    RETURN g;
END
$$;

CREATE FUNCTION load_model(name text, path text, options jsonb DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'vf_load_model'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE COST 100000;
COMMENT ON FUNCTION load_model(text, text, jsonb) IS
'Loads a safetensors file, Hugging Face directory or PredictDB database into shared memory once; returns loaded, replaced or unchanged';

CREATE FUNCTION unload_model(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'vf_unload_model'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE COST 1000;

-- Changing shared state is for administrators; they grant it on.
REVOKE ALL ON FUNCTION load_model(text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION unload_model(text) FROM PUBLIC;

CREATE FUNCTION model_store_status(
    OUT name text, OUT kind text, OUT generation bigint, OUT bytes bigint,
    OUT backends integer, OUT transactions bigint, OUT sha256 text, OUT image bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'vf_model_store_status'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 10 ROWS 10;

CREATE FUNCTION model_checksum(name text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'vf_model_checksum'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION model_checksum(text) IS
'Sum of every weight of a loaded checkpoint (reads the whole shared image)';

-- Readable by everyone; path is NULL for a role that may not read server files (the view
-- reads the catalog as its owner, so it hides the column itself).
CREATE VIEW models AS
SELECT c.name, c.kind, c.architecture, c.parameters, c.bytes,
       CASE WHEN pg_catalog.pg_has_role('pg_read_server_files', 'MEMBER') THEN c.path END AS path,
       c.sha256,
       s.name IS NOT NULL AS loaded,
       coalesce(s.backends, 0) AS backends,
       coalesce(s.transactions, 0) AS transactions,
       c.options, c.loaded_at, c.reference, c.genes,
       -- names whose images are the same bytes share one copy in shared memory (same number)
       s.image
FROM model_catalog c
LEFT JOIN model_store_status() s ON s.name = c.name;
GRANT SELECT ON models TO PUBLIC;
-- Planner support for the prediction and encoding functions: the cost of one call from the
-- kind of the model it names (src/extension/predict/predict_cost.c), so elastic-net queries
-- are not JIT-compiled for microseconds of work and deep ones still get parallel plans.
CREATE FUNCTION vf_cost_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'vf_predict_cost_support'
    LANGUAGE C STRICT;
COMMENT ON FUNCTION vf_cost_support(internal) IS
    'internal: planner support (per-call cost by model kind) for varformer''s prediction functions';

-- Progress of long prediction and encoding queries, per process (parallel workers report
-- with their leader's pid): what is being called, on which model, how many calls so far.
CREATE FUNCTION vf_progress(OUT pid integer, OUT leader_pid integer, OUT function text,
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
-- Transformer encoders (Nucleotide Transformer v1/v2, DNABERT-2, GROVER, EBERT-style states).
-- IMMUTABLE: a model name denotes fixed content (load_model refuses different bytes under a
-- loaded name), so the same input and model always give the same embedding.
-- COST is high on purpose: one call is a whole transformer forward pass, and the planner
-- should prefer plans that spread rows over parallel workers.

CREATE FUNCTION encode_tokens(ids int[], model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text) IS
    'mean of the encoder''s last hidden state over the given token ids (special tokens included)';

CREATE FUNCTION encode_tokens(ids int[], model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_tokens_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_tokens(int[], text, int[]) IS
    'encode_tokens with one EBERT-style epigenetic state per token';

CREATE FUNCTION encode_sequence(seq text, model text) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text) IS
    'mean of the encoder''s last hidden state over all tokens of seq (upper-cased first, special tokens included)';

CREATE FUNCTION encode_sequence(seq text, model text, states int[]) RETURNS embedding
    AS 'MODULE_PATHNAME', 'vf_encode_sequence_states'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT vf_cost_support COST 100000;
COMMENT ON FUNCTION encode_sequence(text, text, int[]) IS
    'encode_sequence with one EBERT-style epigenetic state per token (see sequence_tokens)';

CREATE FUNCTION sequence_tokens(seq text, model text) RETURNS int[]
    AS 'MODULE_PATHNAME', 'vf_sequence_tokens'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION sequence_tokens(text, text) IS
    'the token ids encode_sequence gives the model for seq';

-- One haplotype's embedding for a gene: the model's window of `window` bases (a load_model
-- option) taken from the haplotype centred on the gene's TSS through the coordinate map
-- (haplotype_window), reverse-complemented for a minus-strand gene when the model was loaded
-- with {"reverse_complement": true}, then encode_sequence. Unphased heterozygous calls near the
-- window are refused (which haplotype they belong to is unknown) unless the model was loaded
-- with {"allow_unphased": true}; bcftools' -H rule then applies.
-- IMMUTABLE like encode_sequence: the gene's TSS comes from the annotation bound to the
-- model at load time (model_gene), the bases from the reference bound then, and a reference
-- re-registered with other content since is an error rather than another answer.
-- It reads only catalog columns every user may read (not path: 40_models.sql).
CREATE FUNCTION encode_haplotype(gt genotype, hap integer, gene text, model text)
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
COMMENT ON FUNCTION encode_haplotype(genotype, integer, text, text) IS
    'encode_sequence of haplotype hap''s model window centred on the gene''s TSS, with the reference and gene annotation bound to the model at load (options: window, reference, reverse_complement, allow_unphased)';
-- Sequence-to-function models (the Enformer trunk: enformer-pytorch or gReLU checkpoints).
-- IMMUTABLE for the reason encode_sequence is: a model name denotes fixed content.
-- COST: one call is a conv tower and transformer pass over the whole sequence (seconds to
-- a minute for the full 196,608-base Enformer on one core), above an encoder's.

CREATE FUNCTION predict_tracks(seq text, model text) RETURNS real[]
    AS 'MODULE_PATHNAME', 'vf_predict_tracks'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000000;
COMMENT ON FUNCTION predict_tracks(text, text) IS
    'raw output of a sequence-to-function model for seq (A, C, G, T in any case; other letters read as N): a bins x tracks array (for enformer-pytorch checkpoints the human head)';
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

CREATE FUNCTION window_coverage(gt genotype, gene text, model text,
    OUT "window" text, OUT window_bases bigint, OUT bases_in_region bigint, OUT coverage text,
    OUT sites_assayed integer, OUT variants integer, OUT fraction_known double precision,
    OUT note text)
RETURNS record
    AS 'MODULE_PATHNAME', 'vf_window_coverage'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION window_coverage(genotype, text, text) IS
    'how much of a seq2func or fused model''s window around the gene the genotype assays: bases inside its region, sites and variants listed there; with listed coverage the bases between the sites are read as reference (fraction_known NULL)';

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
        OUT flipped integer, OUT complemented integer, OUT skipped integer, OUT missing integer,
        OUT fraction_used double precision, OUT sum_used double precision, OUT status text,
        OUT note text)
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
        OUT skipped_duplicates integer, OUT genes_without_extra integer,
        OUT min_variant_fraction double precision, OUT low_coverage text)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vf_predictdb_model_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
-- What each function and view is for, as \df+ and \dv+ show it. User-facing ones say what they
-- return; support functions of the types, operators, casts and aggregates start with
-- "internal:" (PostgreSQL has no hidden functions: they live beside the others, as every
-- extension type's do). sql/90_comments.sql checks that every function and view has one.

-- embedding: type support
COMMENT ON FUNCTION embedding_in(cstring, oid, integer) IS 'internal: embedding text input';
COMMENT ON FUNCTION embedding_out(embedding) IS 'internal: embedding text output';
COMMENT ON FUNCTION embedding_typmod_in(cstring[]) IS 'internal: embedding(n) type modifier input';
COMMENT ON FUNCTION embedding_typmod_out(integer) IS 'internal: embedding(n) type modifier output';
COMMENT ON FUNCTION embedding_recv(internal, oid, integer) IS 'internal: embedding binary input';
COMMENT ON FUNCTION embedding_send(embedding) IS 'internal: embedding binary output';
COMMENT ON FUNCTION embedding(embedding, integer, boolean) IS 'internal: cast to embedding(n), checking the dimension';
COMMENT ON FUNCTION array_to_embedding(real[], integer, boolean) IS 'internal: cast real[] to embedding';
COMMENT ON FUNCTION array_to_embedding(double precision[], integer, boolean) IS 'internal: cast double precision[] to embedding';
COMMENT ON FUNCTION array_to_embedding(integer[], integer, boolean) IS 'internal: cast integer[] to embedding';
COMMENT ON FUNCTION embedding_to_float4(embedding, integer, boolean) IS 'internal: cast embedding to real[]';
COMMENT ON FUNCTION embedding_distance_support(internal) IS 'internal: planner support of the distance functions';
COMMENT ON FUNCTION embedding_negative_inner_product(embedding, embedding) IS 'internal: the <#> operator (negative inner product)';
COMMENT ON FUNCTION embedding_add(embedding, embedding) IS 'internal: the + operator (element-wise sum)';
COMMENT ON FUNCTION embedding_sub(embedding, embedding) IS 'internal: the - operator (element-wise difference)';
COMMENT ON FUNCTION embedding_mul(embedding, embedding) IS 'internal: the * operator (element-wise product)';
COMMENT ON FUNCTION embedding_cmp(embedding, embedding) IS 'internal: btree comparison (lexicographic, then shorter first)';
COMMENT ON FUNCTION embedding_lt(embedding, embedding) IS 'internal: the < operator';
COMMENT ON FUNCTION embedding_le(embedding, embedding) IS 'internal: the <= operator';
COMMENT ON FUNCTION embedding_eq(embedding, embedding) IS 'internal: the = operator';
COMMENT ON FUNCTION embedding_ne(embedding, embedding) IS 'internal: the <> operator';
COMMENT ON FUNCTION embedding_ge(embedding, embedding) IS 'internal: the >= operator';
COMMENT ON FUNCTION embedding_gt(embedding, embedding) IS 'internal: the > operator';
COMMENT ON FUNCTION embedding_hash(embedding) IS 'internal: hash operator class support';
COMMENT ON FUNCTION embedding_hash_extended(embedding, bigint) IS 'internal: hash operator class support (64-bit)';
COMMENT ON FUNCTION embedding_agg_accum(internal, embedding) IS 'internal: avg/sum(embedding) transition';
COMMENT ON FUNCTION embedding_agg_combine(internal, internal) IS 'internal: avg/sum(embedding) parallel combine';
COMMENT ON FUNCTION embedding_agg_serialize(internal) IS 'internal: avg/sum(embedding) state serialization';
COMMENT ON FUNCTION embedding_agg_deserialize(bytea, internal) IS 'internal: avg/sum(embedding) state deserialization';
COMMENT ON FUNCTION embedding_sum_final(internal) IS 'internal: sum(embedding) final';
COMMENT ON FUNCTION embedding_avg_final(internal) IS 'internal: avg(embedding) final';
-- embedding: what users call
COMMENT ON FUNCTION l2_distance(embedding, embedding) IS 'Euclidean distance (the <-> operator), double precision';
COMMENT ON FUNCTION inner_product(embedding, embedding) IS 'inner product (<#> is its negative), double precision';
COMMENT ON FUNCTION cosine_distance(embedding, embedding) IS '1 - cosine similarity (the <=> operator); NaN when either is the zero vector';
COMMENT ON FUNCTION cosine_similarity(embedding, embedding) IS 'cosine of the angle between two embeddings; NaN when either is the zero vector';
COMMENT ON FUNCTION l1_distance(embedding, embedding) IS 'sum of absolute element differences, double precision';
COMMENT ON FUNCTION dims(embedding) IS 'number of dimensions';
COMMENT ON FUNCTION l2_norm(embedding) IS 'Euclidean norm, double precision';
COMMENT ON FUNCTION l2_normalize(embedding) IS 'the embedding scaled to norm 1 (the zero vector stays zero)';
COMMENT ON FUNCTION subembedding(embedding, integer, integer) IS 'count elements from 1-based start, clipped to the embedding like substring';
COMMENT ON AGGREGATE sum(embedding) IS 'element-wise sum (accumulated in double precision; parallel)';
COMMENT ON AGGREGATE avg(embedding) IS 'element-wise mean (accumulated in double precision; parallel)';

-- genotype
COMMENT ON FUNCTION genotype_in(cstring) IS 'internal: genotype text input';
COMMENT ON FUNCTION genotype_out(genotype) IS 'internal: genotype text output';
COMMENT ON FUNCTION genotype_recv(internal) IS 'internal: genotype binary input (fully checked)';
COMMENT ON FUNCTION genotype_send(genotype) IS 'internal: genotype binary output (its stored encoding; octet_length of it is the value''s size)';
COMMENT ON FUNCTION genotype_eq(genotype, genotype) IS 'internal: the = operator (same calls and region)';
COMMENT ON FUNCTION genotype_ne(genotype, genotype) IS 'internal: the <> operator';
COMMENT ON FUNCTION genotype_region(genotype) IS 'the region the genotype covers, as text chrom:start-end (1-based, inclusive)';
COMMENT ON FUNCTION genotype_chrom(genotype) IS 'the contig of the genotype''s region';
COMMENT ON FUNCTION genotype_start(genotype) IS 'first position of the genotype''s region (1-based)';
COMMENT ON FUNCTION genotype_end(genotype) IS 'last position of the genotype''s region (inclusive)';
COMMENT ON FUNCTION n_variants(genotype) IS 'calls other than homozygous reference (an ALT or a missing allele); 0|0 calls kept for their DS do not count';
COMMENT ON FUNCTION genotype_variants(genotype) IS 'one row per call: pos, id, ref, alt[], gt (e.g. 0|1), dosage (DS of a single ALT), dosages (DS per ALT)';
COMMENT ON FUNCTION dosage(genotype, bigint, text, text) IS 'DS of that ALT when present, else the count of haplotypes carrying it; 0 for an uncalled site in the region; NULL outside the region or for a missing allele';
COMMENT ON FUNCTION read_vcf(text, text, text[]) IS 'one row per record and sample of a VCF/BCF (as bcftools query prints them); region and samples optional';
COMMENT ON FUNCTION read_vcf(text, text, text[], boolean) IS 'read_vcf; force_samples: samples the file lacks are left out with a NOTICE (bcftools --force-samples)';
COMMENT ON FUNCTION vcf_samples(text) IS 'the sample names of a VCF/BCF, in file order';
COMMENT ON FUNCTION read_genotypes(text, text, text[], text, boolean) IS 'one genotype per sample covering region exactly (sample, gt); coverage: listed (only the file''s sites assayed) or region; force_samples: samples the file lacks are left out with a NOTICE (bcftools --force-samples)';

-- references, haplotypes, genes
COMMENT ON FUNCTION register_reference(text, text, boolean) IS 'registers (or re-points) a FASTA under a name; returns its number of contigs (sequences in the .fai)';
COMMENT ON FUNCTION unregister_reference(text) IS 'removes a registered reference; true when it was registered';
COMMENT ON FUNCTION reference_contigs(text) IS 'contigs and their lengths of a registered reference (NULL: the default one)';
COMMENT ON FUNCTION reference_sequence(text, bigint, bigint, text) IS 'bases chrom:start-end (1-based, inclusive) as samtools faidx prints them, case kept';
COMMENT ON FUNCTION haplotype_sequence(genotype, integer, text, bigint, bigint, text) IS 'haplotype hap (1 or 2) over chrom:start-end: what samtools faidx | bcftools consensus -H hap prints';
COMMENT ON FUNCTION haplotype_position(genotype, integer, text, bigint, bigint, bigint, text) IS 'where reference position pos lands in haplotype_sequence(...) (1-based; a deleted base maps to the next surviving one)';
COMMENT ON FUNCTION haplotype_window(genotype, integer, text, bigint, integer, text) IS 'width haplotype bases with reference position centre at width/2 + 1, however indels moved it';
COMMENT ON FUNCTION unversioned_gene_id(text) IS 'an Ensembl gene id without its version (ENSG00000100030.15 -> ENSG00000100030); other text unchanged';
COMMENT ON FUNCTION import_gtf(text) IS 'reads the gene lines of a GTF (plain or gzipped) into the gene table; returns the number of genes read';
COMMENT ON FUNCTION gene_choose(text, gene[]) IS 'internal: the rule find_gene and model_find_gene use to pick the gene an id means';
COMMENT ON FUNCTION find_gene(text) IS 'the gene table''s row for a gene_id (with or without version) or a unique gene_name';
COMMENT ON FUNCTION model_find_gene(text, text) IS 'the gene an id means in the annotation bound to a model at load';
COMMENT ON TABLE gene IS 'genes imported by import_gtf (gene_id, gene_name, chrom, start, end, strand, tss)';
COMMENT ON TABLE reference_genome IS 'registered reference FASTAs (register_reference)';

-- models
COMMENT ON FUNCTION unload_model(text) IS 'removes a model from shared memory and the catalog; returns nothing, errors when not loaded or when an ensemble uses it';
COMMENT ON FUNCTION model_store_status() IS 'internal: the live shared-memory registry behind the models view';
COMMENT ON FUNCTION vf_progress() IS 'internal: the per-process slots behind the varformer_progress view';
COMMENT ON VIEW models IS 'loaded models: name, kind, architecture, parameters, bytes, path, sha256, loaded, backends, options, reference, genes';
COMMENT ON TABLE model_catalog IS 'what load_model loaded (reloaded from here after a restart)';
COMMENT ON TABLE model_gene IS 'the gene table as it was when each haplotype-reading model was loaded';
COMMENT ON FUNCTION predict_expression(genotype, text, text) IS 'predicted expression of the gene for the genotype (PredictDB, seq2func, fused or ensemble model); NULL when the model has no prediction for the gene';
COMMENT ON FUNCTION predict_expression(genotype, text, text, text) IS 'predict_expression with on_error ''error'' or ''null'' for a row it cannot predict (else varformer.on_error)';
COMMENT ON FUNCTION predict_expression(genotype, text, text, integer, text) IS 'predict_expression of one track with on_error ''error'' or ''null''';
COMMENT ON FUNCTION covers_gene(genotype, text, text) IS 'whether the genotype''s region holds the model''s windows around the gene''s TSS; NULL for PredictDB models (coverage per variant)';
COMMENT ON FUNCTION predict_expression_detail(genotype, text, text) IS 'a PredictDB prediction with its matching counts: grex, n_snps_in_model, n_snps_used, flipped, complemented, skipped, missing';
COMMENT ON FUNCTION predict_expression_detail(genotype, text, text, text) IS 'predict_expression_detail with on_error ''error'' or ''null''';
COMMENT ON FUNCTION predictdb_genes(text) IS 'one row per gene of a PredictDB model: gene, genename, n_weights, n_snps_in_model, pred_perf_r2/pval/qval';
COMMENT ON FUNCTION predictdb_model_info(text) IS 'how a PredictDB model was read: variant_key, palindromic, counts of genes, variants, weights and skipped rows';
COMMENT ON FUNCTION varformer_cache_stats() IS 'this backend''s prediction cache: hits, misses, hit_rate, entries, bytes, capacity_bytes, evictions';
COMMENT ON FUNCTION varformer_cache_reset() IS 'empties this backend''s prediction cache and its counters';
-- What two servers must agree on to split a cohort between them (README "A cohort on several
-- servers", tools/shard/): which models a model name depends on, so a coordinator can compare
-- them with a shard's, and under which gene identifiers predict_expression answers for a model,
-- so a shard-side view can offer every (model, gene) pair and compute only those a query's
-- WHERE clause (shipped by postgres_fdw) selects. Generic: a single server may use them too.

-- The model and, for an ensemble, every model it is made of (members of members included, as
-- predict_expression resolves them: at most 8 levels), each name once. A member that is not
-- loaded is listed all the same: comparing servers must see that it is missing.
CREATE FUNCTION model_dependencies(model text) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE ROWS 4
    SET search_path FROM CURRENT
AS $$
    WITH RECURSIVE dep(name, depth) AS (
        SELECT model, 0
        UNION
        SELECT x.member, d.depth + 1
        FROM dep d
        JOIN model_catalog c ON c.name = d.name
        CROSS JOIN LATERAL (
            SELECT k FROM jsonb_object_keys(CASE WHEN jsonb_typeof(c.options -> 'ensemble') = 'object'
                                                 THEN c.options -> 'ensemble' END) k
            UNION ALL
            SELECT e ->> 'model' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.options -> 'ensemble') = 'array'
                                                                THEN c.options -> 'ensemble' END) e
        ) x(member)
        WHERE d.depth < 8 AND x.member IS NOT NULL)
    SELECT DISTINCT name FROM dep
$$;
COMMENT ON FUNCTION model_dependencies(text) IS
    'the model and every model it is made of (ensemble members, recursively): what a model name''s predictions depend on';

-- Every identifier under which predict_expression(gt, id, model) finds a gene of the model:
-- for a PredictDB model its gene ids with and without version; for a model reading haplotypes
-- the annotation bound at load (gene_id, unversioned id, gene_name); for an ensemble its
-- members' (a member lacking the gene then gives NULL or its error, as on one server).
-- An id shared by several genes is listed: predicting with it is the same error everywhere.
CREATE FUNCTION model_gene_ids(model text) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 1000 ROWS 1000
    SET search_path FROM CURRENT
AS $$
    SELECT DISTINCT id FROM (
        SELECT unnest(ARRAY[g.gene_id, g.gene_id_unversioned, g.gene_name])
        FROM model_dependencies(model) d(name)
        JOIN model_gene g ON g.model = d.name
        UNION ALL
        SELECT unnest(ARRAY[p.gene, unversioned_gene_id(p.gene)])
        FROM model_dependencies(model) d(name)
        JOIN model_catalog c ON c.name = d.name AND c.kind = 'predictdb'
        CROSS JOIN LATERAL predictdb_genes(c.name) p
    ) ids(id)
    WHERE id IS NOT NULL
$$;
COMMENT ON FUNCTION model_gene_ids(text) IS
    'every gene identifier predict_expression accepts for the model (versioned and unversioned ids, names of the bound annotation; ensemble members'')';
