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
COMMENT ON FUNCTION import_gtf(text) IS 'reads the gene lines of a GTF (plain or gzipped) into the annotation named after the file (replacing its genes); returns the number of genes read';
COMMENT ON FUNCTION import_gtf(text, text, boolean) IS 'reads the gene lines of a GTF into the named annotation (replacing its genes, no other annotation''s), optionally the default one; returns the number of genes read';
COMMENT ON FUNCTION gene_annotation_cascade() IS 'internal: trigger deleting or renaming an annotation''s genes with its gene_annotation row';
COMMENT ON FUNCTION drop_annotation(text) IS 'removes a gene annotation and its genes; true when it existed (models keep the genes they bound at load)';
COMMENT ON FUNCTION annotation_resolve(text) IS 'the gene annotation a call or model means: the named one, else the default (marked, or the only one); errors name those imported';
COMMENT ON FUNCTION find_gene(text, text) IS 'the row of a gene annotation (NULL: the default one) for a gene_id (with or without version) or a unique gene_name';
COMMENT ON FUNCTION gene_choose(text, gene[]) IS 'internal: the rule find_gene and model_find_gene use to pick the gene an id means';
COMMENT ON FUNCTION find_gene(text) IS 'the default gene annotation''s row for a gene_id (with or without version) or a unique gene_name';
COMMENT ON FUNCTION model_find_gene(text, text) IS 'the gene an id means in the annotation bound to a model at load';
COMMENT ON TABLE gene IS 'genes imported by import_gtf (gene_id, gene_name, chrom, start, end, strand, tss), one row per gene and annotation';
COMMENT ON TABLE gene_annotation IS 'imported gene annotations (import_gtf): name, GTF path, whether it is the default';
COMMENT ON TABLE reference_genome IS 'registered reference FASTAs (register_reference)';

-- models
COMMENT ON FUNCTION unload_model(text) IS 'removes a model from shared memory and the catalog; returns nothing, errors when not loaded or when an ensemble uses it';
COMMENT ON FUNCTION model_store_status() IS 'internal: the live shared-memory registry behind the models view';
COMMENT ON FUNCTION vf_progress() IS 'internal: the per-process slots behind the varformer_progress view';
COMMENT ON VIEW models IS 'loaded models: name, kind, architecture, parameters, bytes, path, sha256, loaded, backends, options, reference, genes';
COMMENT ON TABLE model_catalog IS 'what load_model loaded (reloaded from here after a restart)';
COMMENT ON TABLE model_gene IS 'the genes of its annotation as they were when each haplotype-reading model was loaded';
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
