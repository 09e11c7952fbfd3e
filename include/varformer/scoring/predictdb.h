/*
 * predictdb.h: PrediXcan / PredictDB elastic-net models (ensembles: ensemble.h).
 * The image builder is plain C (libsqlite3); scoring takes plain-C calls.
 *
 * A PredictDB image is position independent (offsets only) so the model store can copy it
 * into a DSM segment that every backend maps at its own address. Scoring reads the image
 * directly; the only per-backend state is a VfPdbScratch (per-variant dosages of the sample
 * being scored), which the SQL layer keeps in vf_model_cache.
 */
#ifndef VARFORMER_PREDICTDB_H
#define VARFORMER_PREDICTDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/types/calls.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"

/* Reads a PredictDB SQLite file (read-only) into a position-independent image (malloc'd). */
int			vf_predictdb_image_build(const char *path, const VfJson *options,
									 void **image, size_t *size, size_t max_bytes, VfError *err);

/* ---- PredictDB images ---- */

typedef enum VfPdbKey
{
	VF_PDB_KEY_VARID = 1,		/* chr1_1234_C_T_b38: matched by chromosome + position */
	VF_PDB_KEY_RSID = 2			/* rs123: matched through the genotype's IDs */
} VfPdbKey;

typedef struct VfPdbInfo
{
	VfPdbKey	key;
	bool		skip_palindromic;
	uint32_t	n_gene;
	uint32_t	n_variant;		/* distinct (variant, ref, eff) */
	uint32_t	n_weight;		/* (gene, variant) rows kept */
	uint32_t	n_null_weight;	/* rows skipped: weight NULL */
	uint32_t	n_bad_allele;	/* rows skipped: ref/eff allele not made of A, C, G, T */
	uint32_t	n_duplicate;	/* rows skipped: same (gene, variant, alleles, weight) twice */
	uint32_t	n_no_extra;		/* genes without a row in `extra` */
	double		min_variant_fraction;	/* load option: below it a prediction is withheld */
	bool		low_coverage_error;	/* load option low_coverage: "error" (else "null") */
} VfPdbInfo;

typedef struct VfPdbGeneInfo
{
	const char *gene;			/* as in the file, e.g. ENSG00000100030.14 */
	const char *genename;		/* from `extra`, or "" */
	uint32_t	n_weight;		/* weight rows of this gene in the image */
	int32_t		n_snps_in_model;	/* `extra`'s n.snps.in.model, -1 when absent */
	double		pred_perf_r2;	/* NaN when absent */
	double		pred_perf_pval;
	double		pred_perf_qval;
} VfPdbGeneInfo;

/* Validates an image's header and bounds (images come from shared memory: cheap check). */
int			vf_pdb_image_check(const void *image, size_t size, VfError *err);
void		vf_pdb_image_info(const void *image, VfPdbInfo *info);
void		vf_pdb_gene_info(const void *image, uint32_t gene, VfPdbGeneInfo *info);

/*
 * Finds a gene by the one rule every varformer function uses (README, "Genes"): the exact
 * id, else the id without its version suffix (either side may carry one), else a gene name
 * (the file's extra.genename) case-insensitively. Returns the index, -1 when the model has
 * no such gene, -2 when the id or name names several genes (err says which).
 */
int64_t		vf_pdb_find_gene(const void *image, const char *gene, VfError *err);

/* Per-sample state: the effect-allele dosage of every model variant for one VfCalls. */
typedef struct VfPdbScratch VfPdbScratch;

VfPdbScratch *vf_pdb_scratch_new(const void *image, VfError *err);
void		vf_pdb_scratch_free(VfPdbScratch *s);

/* Matches every call of one sample against the model (allele rules below). */
int			vf_pdb_scratch_set_calls(VfPdbScratch *s, const void *image, const VfCalls *calls,
									 VfError *err);

/*
 * The same for the calls in the compact form (VfPosCalls, calls.h), for varID-keyed models
 * only: the scratch ends exactly as vf_pdb_scratch_set_calls leaves it for those calls.
 */
int			vf_pdb_scratch_set_pos_calls(VfPdbScratch *s, const void *image,
										 const VfPosCalls *calls, VfError *err);

typedef struct VfPdbResult
{
	double		grex;			/* sum of weight x effect-allele dosage over used variants */
	uint32_t	n_snps_in_model;	/* weight rows of the gene */
	uint32_t	n_used;
	uint32_t	n_flipped;		/* used with 2 - dosage (swapped, or complement + swapped) */
	uint32_t	n_complemented;	/* used through the strand complement */
	uint32_t	n_skipped;		/* present, but alleles do not match (or palindromic skipped) */
	uint32_t	n_palindromic;	/* of n_skipped: palindromic, skipped as the model asks */
	uint32_t	n_missing;		/* not assayed (absent from a listed genotype, outside the
								 * region, on another chromosome) or its call is missing */
	bool		other_chrom;	/* varID keys: the gene is off the genotype's chromosome */
} VfPdbResult;

/*
 * Whether a prediction may be given (VF_PDB_OK: n_used >= min_variant_fraction x
 * n_snps_in_model, and n_used > 0), else why not, most specific cause first.
 */
typedef enum VfPdbStatus
{
	VF_PDB_OK = 0,
	VF_PDB_UNKNOWN_CONTIG,		/* genotype contig is none of the model's chromosomes */
	VF_PDB_OTHER_CHROM,			/* gene on another chromosome than the genotype */
	VF_PDB_NO_IDS,				/* rsID keys, but the genotype's calls have no IDs */
	VF_PDB_ALLELE_MISMATCH,		/* most model variants found have other alleles: build? */
	VF_PDB_NOT_COVERED,			/* none of the gene's variants assayed */
	VF_PDB_LOW_COVERAGE			/* some used, fewer than min_variant_fraction */
} VfPdbStatus;

/* The status of result r (gene `gene`, the sample in s) and a sentence saying it, into note. */
VfPdbStatus vf_pdb_status(const void *image, const VfPdbScratch *s, uint32_t gene,
						  const VfPdbResult *r, char *note, size_t notesize);

/* "ok", "unknown_contig", "other_chromosome", "no_ids", "allele_mismatch", "not_covered", "low_coverage" */
const char *vf_pdb_status_name(VfPdbStatus st);

/* The cheap test vf_pdb_status starts with: enough variants used for a prediction. */
bool		vf_pdb_enough_used(const void *image, uint32_t n_used, uint32_t n_in_model);

/*
 * Scores one gene for the sample last given to vf_pdb_scratch_set_calls (a gene off the
 * genotype's chromosome has all its variants missing; vf_pdb_status says so).
 */
int			vf_pdb_score_gene(const void *image, const VfPdbScratch *s, uint32_t gene,
							  VfPdbResult *out, VfError *err);

/*
 * Only the prediction (vf_pdb_score_gene's grex, bit for bit) and n_used, without the other
 * tallies: with varID keys a dot product of the gene's weights with the sample's dosages.
 */
int			vf_pdb_score_grex(const void *image, const VfPdbScratch *s, uint32_t gene,
							  double *grex, uint32_t *n_used, VfError *err);

/*
 * PrediXcan's allele matching of one genotype allele pair (REF, ALT, upper case) against a
 * model's (non-effect, effect) alleles. Returns the rule (VF_PDB_MATCH_*).
 */
typedef enum VfPdbMatch
{
	VF_PDB_MATCH_NONE = 0,		/* skip */
	VF_PDB_MATCH_EXACT = 1,		/* dosage */
	VF_PDB_MATCH_SWAP = 2,		/* 2 - dosage */
	VF_PDB_MATCH_COMP = 3,		/* strand complement: dosage */
	VF_PDB_MATCH_COMP_SWAP = 4	/* complement and swapped: 2 - dosage */
} VfPdbMatch;

VfPdbMatch	vf_pdb_match_alleles(const char *gt_ref, const char *gt_alt,
								 const char *model_ref, const char *model_eff);

/* "chr1", "CHR1", "1" -> "1"; "chrM"/"M" -> "MT" (written into buf). */
const char *vf_pdb_chrom_norm(const char *chrom, char *buf, size_t bufsize);

#endif
