/*
 * region.h: parsing a genomic region string as samtools/bcftools users write it (plain C).
 *
 *   chrom              the whole contig
 *   chrom:start        start .. end of contig (htslib's reading)
 *   chrom:start-       the same
 *   chrom:start-end    1-based, inclusive
 * Numbers may carry thousands separators (chr1:1,000,000-2,000,000). The chrom part is
 * everything before the last ':' so contig names containing ':' work when a range follows.
 */
#ifndef VARFORMER_REGION_H
#define VARFORMER_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "varformer/common/error.h"

#define VF_CHROM_MAX	 255			/* longest contig name accepted */
#define VF_POS_MAX		 INT64_C(4000000000) /* larger than any contig; keeps arithmetic safe */
#define VF_REGION_OPEN_END INT64_MAX	/* end not given: up to the contig's end */

typedef struct VfRegion
{
	char		chrom[VF_CHROM_MAX + 1];
	int64_t		start;			/* 1-based inclusive; 1 when not given */
	int64_t		end;			/* inclusive; VF_REGION_OPEN_END when not given */
} VfRegion;

/* Parses s into out. Returns 0, or -1 with err (VF_ERR_SYNTAX) naming the problem. */
int			vf_region_parse(const char *s, VfRegion *out, VfError *err);

/* True when the region has an explicit end. */
static inline bool
vf_region_bounded(const VfRegion *r)
{
	return r->end != VF_REGION_OPEN_END;
}

#endif
