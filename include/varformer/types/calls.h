/*
 * calls.h: one sample's variant calls over one region, as plain C.
 *
 * This is the interchange form between the genotype SQL type (which stores it compactly
 * on disk), the VCF reader, haplotype construction and the predictors. It never holds
 * PostgreSQL types, so the haplotype and scoring code can be unit-tested and fuzzed alone.
 *
 * Semantics (DESIGN.md): outside [start, end] nothing is known. Inside it, what a position
 * without a call means depends on `listed`:
 *   listed = false ("region" coverage): every position was assayed, so no call means
 *     homozygous reference (a joint-called WGS VCF; read_genotypes(coverage => 'region')
 *     leaves plain hom-ref calls out, so every call there says something);
 *   listed = true ("listed" coverage): only the positions with a call were assayed (an
 *     array, exome or imputed VCF); no call means not assayed, unknown. read_genotypes keeps
 *     the file's 0/0 calls then, as they are what says "assayed, reference".
 * Calls are sorted by pos (equal positions allowed, as VCFs with split multi-allelics have
 * them), and every call's pos lies inside the region (a deletion may still reach past end).
 */
#ifndef VARFORMER_CALLS_H
#define VARFORMER_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#define VF_ALLELE_MISSING (-1)	/* '.' in a GT */
#define VF_ALLELE_NONE	  (-2)	/* second slot of a haploid call */

/*
 * Alleles a call may hold: REF is [ACGTN]+; an ALT is [ACGTN]+ or one of the symbolic
 * alleles bcftools consensus knows: "*" (spanning deletion), "<DEL>" (deletes
 * REF's first base + 1 .. pos + rlen - 1), "<*>" and "<NON_REF>" (gVCF reference blocks).
 */
typedef struct VfCall
{
	int64_t		pos;			/* 1-based position of REF's first base */
	const char *id;				/* rsID or NULL */
	int			n_allele;		/* REF + ALTs (>= 1) */
	const char **allele;		/* allele[0] = REF, allele[1..] = ALTs, upper case */
	int			gt[2];			/* allele index per haplotype, VF_ALLELE_MISSING or VF_ALLELE_NONE */
	bool		phased;			/* '|' separator (haploid calls count as phased) */
	const float *ds;			/* FORMAT/DS, n_allele-1 values (one per ALT), or NULL;
								 * a missing value inside the vector is NaN */
	int64_t		rlen;			/* reference bases the record spans: strlen(REF), except for
								 * symbolic ALTs where VCF's INFO/END says it (htslib rlen);
								 * 0 means strlen(REF) */
} VfCall;

typedef struct VfCalls
{
	const char *chrom;
	int64_t		start;			/* region, 1-based inclusive */
	int64_t		end;
	int			n_call;
	const VfCall *call;			/* sorted by pos */
	bool		listed;			/* only the calls' positions were assayed (see above) */
} VfCalls;

/*
 * A call as readers that match by position and read the ALT's dosage need it (varID-keyed
 * PredictDB scoring). Most calls of a cohort are compact SNVs: for those the record says
 * everything, with no allele strings, pointers or arena behind it; any other call is decoded
 * in full into `general` (a VfCalls over the same region holding only those calls, in order),
 * and its record only gives the position. Building the full VfCall of every SNV was most of
 * scoring a genotype.
 */
typedef struct VfPosCall
{
	int64_t		pos;
	float		ds;				/* SNV: DS of its ALT, NaN when none */
	uint8_t		snv;			/* SNV: 1 + REF*5+ALT (bases A C G T N); 0: the next general call */
	int8_t		gt[2];			/* SNV: as VfCall.gt (0 REF, 1 ALT, MISSING, NONE) */
} VfPosCall;

typedef struct VfPosCalls
{
	VfCalls		general;		/* chrom, region, coverage; call[] = the general calls only */
	int			n_call;			/* every call */
	const VfPosCall *call;
} VfPosCalls;

/* Whether a position without a call is homozygous reference (else it is unknown). */
static inline bool
vf_calls_uncalled_is_ref(const VfCalls *calls, int64_t pos)
{
	return !calls->listed && pos >= calls->start && pos <= calls->end;
}

/* The reference span of a call: pos .. pos + vf_call_rlen(c) - 1. */
static inline int64_t
vf_call_rlen(const VfCall *c)
{
	int64_t		n = 0;

	if (c->rlen > 0)
		return c->rlen;
	while (c->allele[0][n])
		n++;
	return n;
}

#endif
