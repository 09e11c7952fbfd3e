/*
 * predictdb_image.h: the layout of a PredictDB image (private to predictdb_*.c).
 *
 * One contiguous block, every reference an offset or index so it can live at any address:
 *   header | genes | weights (grouped by gene) | variants (grouped by key) |
 *   gene id hash | unversioned id hash | rsID hash (rsID keys only) | string pool
 * Hash tables are open addressing with linear probing, a power of two slots, each slot
 * index + 1 (0 = empty). Strings are offsets into the pool (offset 0 is "").
 */
#ifndef VARFORMER_PREDICTDB_IMAGE_H
#define VARFORMER_PREDICTDB_IMAGE_H

#include <stdint.h>

#define VF_PDB_MAGIC "VFPDB02"	/* 02: coverage options in the header */
#define VF_PDB_AMBIG_BIT 0x80000000u	/* unversioned-id slot shared by several genes */

typedef struct VfPdbHeader
{
	char		magic[8];
	uint32_t	key;			/* VfPdbKey */
	uint32_t	skip_palindromic;
	uint32_t	n_gene;
	uint32_t	n_weight;
	uint32_t	n_variant;
	uint32_t	gene_slots;		/* both gene hashes */
	uint32_t	var_slots;		/* rsID hash; 1 (unused) with varID keys */
	uint32_t	n_null_weight;
	uint32_t	n_bad_allele;
	uint32_t	n_duplicate;
	uint32_t	n_no_extra;
	uint32_t	low_coverage_error;	/* load option low_coverage: 1 "error", 0 "null" */
	double		min_variant_fraction;	/* load option, 0..1 */
	uint64_t	off_gene;
	uint64_t	off_weight;
	uint64_t	off_variant;
	uint64_t	off_gene_hash;
	uint64_t	off_base_hash;
	uint64_t	off_var_hash;
	uint64_t	off_strings;
	uint64_t	size_strings;
	uint64_t	total_size;
} VfPdbHeader;

typedef struct VfPdbGene
{
	uint32_t	id;				/* string */
	uint32_t	name;			/* string */
	uint32_t	first_weight;
	uint32_t	n_weight;
	int32_t		n_snps_in_model;
	double		r2;
	double		pval;
	double		qval;
} VfPdbGene;

typedef struct VfPdbWeight
{
	double		weight;
	uint32_t	variant;
	uint32_t	pad;
} VfPdbWeight;

typedef struct VfPdbVariant
{
	int64_t		pos;			/* from the varID; 0 with rsID keys */
	uint32_t	chrom;			/* string, normalized (no "chr") */
	uint32_t	rsid;			/* string */
	uint32_t	varid;			/* string */
	uint32_t	ref;			/* string: non-effect allele */
	uint32_t	eff;			/* string: effect allele */
	uint32_t	run;			/* in a key run's first variant: run length, else 0 */
	/* what an unlisted site inside the genotype's region means (hom-ref by the varID's REF) */
	uint8_t		homref_match;	/* VfPdbMatch of (varID ref, varID alt) vs (ref, eff) */
	uint8_t		pad[3];
	float		homref_dosage;	/* effect-allele dosage then: 0 or 2 */
} VfPdbVariant;

/* FNV-1a, 64 bit. */
static inline uint64_t
vf_pdb_hash(const char *s, uint64_t h)
{
	if (h == 0)
		h = 1469598103934665603ULL;
	for (; *s; s++)
	{
		h ^= (unsigned char) *s;
		h *= 1099511628211ULL;
	}
	return h;
}

static inline uint64_t
vf_pdb_hash_n(const char *s, size_t n)
{
	uint64_t	h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#define VF_PDB_HDR(img) ((const VfPdbHeader *) (img))
#define VF_PDB_STR(img, off) ((const char *) (img) + VF_PDB_HDR(img)->off_strings + (off))
#define VF_PDB_GENES(img) ((const VfPdbGene *) ((const char *) (img) + VF_PDB_HDR(img)->off_gene))
#define VF_PDB_WEIGHTS(img) ((const VfPdbWeight *) ((const char *) (img) + VF_PDB_HDR(img)->off_weight))
#define VF_PDB_VARIANTS(img) ((const VfPdbVariant *) ((const char *) (img) + VF_PDB_HDR(img)->off_variant))
#define VF_PDB_TABLE(img, off) ((const uint32_t *) ((const char *) (img) + (off)))

#endif
