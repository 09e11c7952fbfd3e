-- genotype: one sample's calls over one region (text form and encoding: README, src/genotype_text.h).

CREATE TYPE genotype;

CREATE FUNCTION varformer_internal.genotype_in(cstring) RETURNS genotype
    AS 'MODULE_PATHNAME', 'vf_genotype_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION varformer_internal.genotype_out(genotype) RETURNS cstring
    AS 'MODULE_PATHNAME', 'vf_genotype_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION varformer_internal.genotype_recv(internal) RETURNS genotype
    AS 'MODULE_PATHNAME', 'vf_genotype_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION varformer_internal.genotype_send(genotype) RETURNS bytea
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

CREATE FUNCTION varformer_internal.genotype_eq(genotype, genotype) RETURNS boolean
    AS 'MODULE_PATHNAME', 'vf_genotype_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1;
CREATE FUNCTION varformer_internal.genotype_ne(genotype, genotype) RETURNS boolean
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
