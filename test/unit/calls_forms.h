/*
 * calls_forms.h: the two decoded forms of a genotype agree (VfCalls, every call in full, and
 * VfPosCalls, compact SNVs plus the other calls in full), and so does PredictDB scoring over
 * them. Shared by genotype_test, predictdb_test and the fuzz harnesses. Test code only.
 */
#ifndef VARFORMER_TEST_CALLS_FORMS_H
#define VARFORMER_TEST_CALLS_FORMS_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/scoring/predictdb.h"
#include "varformer/types/genotype_codec.h"

/* Two decoded calls are the same (ids compared when `ids`, else y's must be NULL). */
static inline bool
same_call(const VfCall *x, const VfCall *y, bool ids)
{
	bool		same = (ids ? (x->id == NULL) == (y->id == NULL) && (!x->id || strcmp(x->id, y->id) == 0)
						: y->id == NULL) &&
		x->pos == y->pos && x->n_allele == y->n_allele &&
		x->gt[0] == y->gt[0] && x->gt[1] == y->gt[1] && x->phased == y->phased &&
		x->rlen == y->rlen && (x->ds == NULL) == (y->ds == NULL);

	for (int k = 0; same && k < x->n_allele; k++)
		same = strcmp(x->allele[k], y->allele[k]) == 0 &&
			(k == 0 || !x->ds || memcmp(&x->ds[k - 1], &y->ds[k - 1], sizeof(float)) == 0);
	return same;
}

/*
 * pos says what full says: the same region and calls, each compact SNV record with the
 * full call's position, bases, GT and DS (NaN for none), every other call in general, in
 * order.
 */
static inline bool
pos_calls_agree(const VfCalls *full, const VfPosCalls *pos)
{
	static const char bases[] = "ACGTN";
	int			k = 0;

	if (strcmp(full->chrom, pos->general.chrom) != 0 || full->start != pos->general.start ||
		full->end != pos->general.end || full->listed != pos->general.listed ||
		full->n_call != pos->n_call)
		return false;
	for (int i = 0; i < full->n_call; i++)
	{
		const VfCall *c = &full->call[i];
		const VfPosCall *r = &pos->call[i];

		if (r->pos != c->pos)
			return false;
		if (r->snv == 0)
		{
			if (k >= pos->general.n_call || !same_call(c, &pos->general.call[k++], false))
				return false;
			continue;
		}
		if (r->snv > 25 || c->n_allele != 2 || c->rlen != 1 ||
			c->allele[0][0] != bases[(r->snv - 1) / 5] || c->allele[0][1] != '\0' ||
			c->allele[1][0] != bases[(r->snv - 1) % 5] || c->allele[1][1] != '\0' ||
			c->gt[0] != r->gt[0] || c->gt[1] != r->gt[1])
			return false;
		if (c->ds ? memcmp(&c->ds[0], &r->ds, sizeof(float)) != 0 : !isnan(r->ds))
			return false;
	}
	return k == pos->general.n_call;
}

/*
 * For a varID-keyed model: the scratch vf_pdb_scratch_set_pos_calls leaves for the stored
 * form of calls scores every gene exactly as `full` (set by vf_pdb_scratch_set_calls from
 * the same calls) does: the same VfPdbResult bit for bit and the same status and note.
 * Returns 1 when they agree, 0 when not, -1 when the calls cannot be stored (the encoder
 * refuses them) or the model is keyed by rsID, so there is nothing to compare.
 */
static inline int
pdb_forms_agree(const void *img, const VfPdbScratch *full, const VfCalls *calls)
{
	VfPdbInfo	info;
	VfBuf		b;
	VfError		err;
	VfPosCalls *pos;
	VfPdbScratch *s;
	int			agree = 1;

	vf_pdb_image_info(img, &info);
	if (info.key != VF_PDB_KEY_VARID)
		return -1;
	vf_buf_init(&b, NULL);
	if (vf_calls_encode(calls, &b, &err) != 0)
	{
		vf_buf_free(&b);
		return -1;
	}
	pos = vf_calls_decode_pos(b.data, b.len, NULL, &err);
	s = vf_pdb_scratch_new(img, &err);
	if (pos == NULL || s == NULL || vf_pdb_scratch_set_pos_calls(s, img, pos, &err) != 0)
		agree = 0;
	for (uint32_t g = 0; agree && g < info.n_gene; g++)
	{
		VfPdbResult r1,
					r2;
		char		n1[512],
					n2[512];
		int			rc1 = vf_pdb_score_gene(img, full, g, &r1, &err),
					rc2 = vf_pdb_score_gene(img, s, g, &r2, &err);

		memset(n1, 0, sizeof(n1));
		memset(n2, 0, sizeof(n2));
		agree = rc1 == rc2 &&
			(rc1 != 0 || (memcmp(&r1.grex, &r2.grex, sizeof(double)) == 0 &&
						  r1.n_snps_in_model == r2.n_snps_in_model && r1.n_used == r2.n_used &&
						  r1.n_flipped == r2.n_flipped && r1.n_complemented == r2.n_complemented &&
						  r1.n_skipped == r2.n_skipped && r1.n_palindromic == r2.n_palindromic &&
						  r1.n_missing == r2.n_missing && r1.other_chrom == r2.other_chrom &&
						  vf_pdb_status(img, full, g, &r1, n1, sizeof(n1)) ==
						  vf_pdb_status(img, s, g, &r2, n2, sizeof(n2)) &&
						  strcmp(n1, n2) == 0));
	}
	vf_pdb_scratch_free(s);
	free(pos);
	vf_buf_free(&b);
	return agree;
}

#endif
