/*
 * haplotype.h: applying one haplotype's calls to a reference window, bcftools-consensus
 * exact, plus the map from reference to haplotype coordinates (plain C).
 *
 * The result is byte for byte what
 *     samtools faidx REF chrom:start-end | bcftools consensus -s SAMPLE -H hap VCF
 * prints as sequence (lines joined), including bcftools' rules for overlapping records,
 * REF checks, case, symbolic alleles and records cut by the window's end (see haplotype.c).
 */
#ifndef VARFORMER_HAPLOTYPE_H
#define VARFORMER_HAPLOTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/types/calls.h"
#include "varformer/common/error.h"

typedef struct VfHaplotype
{
	char	   *seq;			/* malloc'd, NUL-terminated; case kept from the reference */
	size_t		len;
	int64_t		ref_start;		/* the reference window it was built from, 1-based inclusive */
	int64_t		ref_end;
	int			n_applied;		/* calls that changed (or froze) the sequence */
	/*
	 * Coordinate map, queried through vf_haplotype_map(). From reference position
	 * shift_ref[i] on, a base sits shift_delta[i] bases further right in the haplotype
	 * than in the reference window (insertions before it count +, deletions -).
	 * Reference positions deleted by the haplotype, [del_from[i], del_to[i]], map to where
	 * the next surviving reference base landed.
	 */
	int			n_shift;
	int64_t    *shift_ref;		/* increasing */
	int64_t    *shift_delta;
	int			n_del;
	int64_t    *del_from;		/* increasing */
	int64_t    *del_to;
} VfHaplotype;

/*
 * Builds haplotype `hap` (1 or 2, as bcftools consensus -H) from `ref` = reference bases
 * of [win_start, win_end] on calls->chrom. Calls outside the window are ignored the way
 * bcftools ignores them. Returns 0, or -1 with err set (REF mismatch naming chrom:pos and
 * both alleles, unsupported symbolic allele, out of memory).
 */
int			vf_haplotype_build(const VfCalls *calls, int hap, const char *ref,
							   int64_t win_start, int64_t win_end,
							   VfHaplotype *out, VfError *err);

/*
 * 0-based offset in out->seq of reference position ref_pos (win_start <= ref_pos <= win_end).
 * A deleted reference base maps to the offset of the next surviving one (h->len when the
 * deletion runs to the window's end). Returns -1 when ref_pos is outside the window.
 */
int64_t		vf_haplotype_map(const VfHaplotype *h, int64_t ref_pos);
/*
 * The `width` haplotype bases around reference position `centre` (what a model reads when
 * its window must stay centred on a TSS after indels): the base centre maps to sits at
 * 0-based offset width / 2. h must have been built over a reference window reaching far
 * enough on both sides; otherwise NULL with err (VF_ERR_INVALID) saying how many bases are
 * missing on which side. Returns a malloc'd NUL-terminated string.
 */
char	   *vf_haplotype_centred(const VfHaplotype *h, int64_t centre, int64_t width, VfError *err);
void		vf_haplotype_free(VfHaplotype *h);

#endif
