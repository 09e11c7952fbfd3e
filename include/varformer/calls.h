/*
 * calls.h: one sample's variant calls over one region, as plain C.
 *
 * This is the interchange form between the genotype SQL type (which stores it compactly
 * on disk), the VCF reader, haplotype construction and the predictors. It never holds
 * PostgreSQL types, so the haplotype and scoring code can be unit-tested and fuzzed alone.
 */
#ifndef VARFORMER_CALLS_H
#define VARFORMER_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#define VF_ALLELE_MISSING (-1)	/* '.' in a GT */
#define VF_ALLELE_NONE	  (-2)	/* second slot of a haploid call */

typedef struct VfCall
{
	int64_t		pos;			/* 1-based position of REF's first base */
	const char *id;				/* rsID or NULL */
	int			n_allele;		/* REF + ALTs (>= 1) */
	const char **allele;		/* allele[0] = REF, allele[1..] = ALTs, upper case */
	int			gt[2];			/* allele index per haplotype, VF_ALLELE_MISSING or VF_ALLELE_NONE */
	bool		phased;			/* '|' separator (haploid calls count as phased) */
	const float *ds;			/* FORMAT/DS, n_allele-1 values (one per ALT), or NULL */
} VfCall;

typedef struct VfCalls
{
	const char *chrom;
	int64_t		start;			/* region, 1-based inclusive */
	int64_t		end;
	int			n_call;
	const VfCall *call;			/* sorted by pos */
} VfCalls;

#endif
