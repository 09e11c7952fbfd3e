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

-- Gene annotations are named, as references are: each import_gtf fills one annotation, and
-- two GTFs (GENCODE "chr22" and Ensembl "22", two releases) coexist instead of the second
-- re-pointing the first one's genes. At most one is the default, used when neither the call
-- nor the model names one; with a single annotation that one is the default even when not
-- marked. Deleting a row here deletes its genes (models keep the copy they bound at load).
-- That is a trigger, not a foreign key: pg_restore --jobs loads the extension's configuration
-- tables in parallel, and a foreign key between them would fail the restore of gene.
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

-- Genes from a GENCODE/Ensembl GTF (import_gtf), one row per gene and annotation. gene_id is
-- kept as the file has it (versioned in GENCODE); gene_id_unversioned drops the version
-- (keeping _PAR_Y) so either form finds the gene, see find_gene(). tss is start on +, end on -.
-- annotation is the last column so that a 0.1 install upgraded by ALTER TABLE ADD COLUMN has
-- the same row type as a fresh one.
CREATE TABLE gene (
    gene_id     text NOT NULL,
    gene_name   text,
    chrom       text NOT NULL,
    start       bigint NOT NULL,
    "end"       bigint NOT NULL,
    strand      text NOT NULL CHECK (strand IN ('+', '-')),
    tss         bigint NOT NULL,
    gene_type   text,
    gene_id_unversioned text GENERATED ALWAYS AS (unversioned_gene_id(gene_id)) STORED,
    annotation  text NOT NULL,          -- gene_annotation.name
    CHECK (start >= 1 AND "end" >= start),
    CHECK (tss = CASE strand WHEN '+' THEN start ELSE "end" END),
    CONSTRAINT gene_pkey PRIMARY KEY (annotation, gene_id)
);
CREATE INDEX gene_unversioned_idx ON gene (annotation, gene_id_unversioned);
CREATE INDEX gene_name_idx ON gene (annotation, lower(gene_name));
SELECT pg_catalog.pg_extension_config_dump('gene', '');
GRANT SELECT ON gene TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON gene TO pg_read_server_files;

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
CREATE FUNCTION import_gtf(path text) RETURNS bigint
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
CREATE FUNCTION varformer_internal.gene_choose(id text, candidates gene[]) RETURNS gene
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
CREATE FUNCTION find_gene(id text) RETURNS gene
    LANGUAGE sql STABLE STRICT PARALLEL SAFE COST 100
    SET search_path FROM CURRENT
    RETURN find_gene(id, NULL::text);
