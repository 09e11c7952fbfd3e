/*
 * haplotype.h: applying one haplotype's calls to a reference window, bcftools-consensus
 * exact, plus the map from reference to haplotype coordinates (plain C).
 */
#ifndef VARFORMER_HAPLOTYPE_H
#define VARFORMER_HAPLOTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/calls.h"
#include "varformer/error.h"

typedef struct VfHaplotype
{
	char	   *seq;			/* malloc'd, NUL-terminated; case kept from the reference */
	size_t		len;
	int64_t		ref_start;		/* the reference window it was built from, 1-based inclusive */
	int64_t		ref_end;
	/* coordinate map: opaque to callers, queried through vf_haplotype_map() */
	int			n_shift;
	int64_t    *shift_ref;		/* reference position after which the offset changes */
	int64_t    *shift_delta;	/* cumulative offset (haplotype - reference) from there on */
} VfHaplotype;

/*
 * Builds haplotype `hap` (1 or 2, as bcftools consensus -H) from `ref` = reference bases
 * of [win_start, win_end]. Returns 0, or -1 with err set (e.g. REF mismatch naming the site).
 */
int			vf_haplotype_build(const VfCalls *calls, int hap, const char *ref,
							   int64_t win_start, int64_t win_end,
							   VfHaplotype *out, VfError *err);

/* 0-based offset in out->seq of reference position ref_pos (inside the window). */
int64_t		vf_haplotype_map(const VfHaplotype *h, int64_t ref_pos);
void		vf_haplotype_free(VfHaplotype *h);

#endif
