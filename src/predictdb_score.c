/*
 * predictdb_score.c: PrediXcan allele matching and GReX over one sample's calls (plain C).
 *
 * A sample is matched against the whole model once (vf_pdb_scratch_set_calls: every call is
 * looked up in the image's variant hash), after which each gene is a short dot product of
 * its weights with the per-variant dosages. A query scoring many genes per genotype (the
 * usual cohort x genes join) therefore decodes and matches each genotype once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/predictdb.h"
#include "predictdb_image.h"

/* per-variant status beyond VfPdbMatch: listed, but its call is missing (./. and no DS) */
#define STATUS_MISSING_CALL 5

struct VfPdbScratch
{
	uint32_t	n_variant;
	uint32_t	gen;			/* stamp of the current sample; stale stamps mean "not listed" */
	uint32_t   *stamp;
	uint8_t    *status;
	double	   *dosage;			/* effect-allele dosage after matching */
	bool		have_calls;
	char		chrom[64];		/* normalized */
	char		chrom_copy[64];
	int64_t		start,
				end;
};

static const char comp_base[256] = {['A'] = 'T',['C'] = 'G',['G'] = 'C',['T'] = 'A'};

/* a == complement of b, base by base (not reversed, as MetaXcan translates alleles) */
static bool
is_complement(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (comp_base[(unsigned char) *b] == 0 || *a != comp_base[(unsigned char) *b])
			return false;
	return *a == '\0' && *b == '\0';
}

VfPdbMatch
vf_pdb_match_alleles(const char *gt_ref, const char *gt_alt,
					 const char *model_ref, const char *model_eff)
{
	/* swaps are only trusted for single-base pairs: an indel's "swap" is another variant */
	bool		snv = gt_ref[0] && !gt_ref[1] && gt_alt[0] && !gt_alt[1];

	if (strcmp(gt_ref, model_ref) == 0 && strcmp(gt_alt, model_eff) == 0)
		return VF_PDB_MATCH_EXACT;
	if (snv && strcmp(gt_ref, model_eff) == 0 && strcmp(gt_alt, model_ref) == 0)
		return VF_PDB_MATCH_SWAP;
	if (is_complement(gt_ref, model_ref) && is_complement(gt_alt, model_eff))
		return VF_PDB_MATCH_COMP;
	if (snv && is_complement(gt_ref, model_eff) && is_complement(gt_alt, model_ref))
		return VF_PDB_MATCH_COMP_SWAP;
	return VF_PDB_MATCH_NONE;
}

/* MetaXcan's test: the reverse complement of REF is ALT (A/T, C/G, and e.g. AT/AT). */
static bool
is_palindromic(const char *ref, const char *alt)
{
	size_t		n = strlen(ref);

	if (strlen(alt) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (comp_base[(unsigned char) ref[n - 1 - i]] != alt[i])
			return false;
	return true;
}

int
vf_pdb_image_check(const void *image, size_t size, VfError *err)
{
	const VfPdbHeader *h = image;

	if (image == NULL || size < sizeof(VfPdbHeader) || memcmp(h->magic, VF_PDB_MAGIC, 8) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "model image is not a PredictDB image");
	if (h->total_size > size ||
		h->off_gene + (uint64_t) h->n_gene * sizeof(VfPdbGene) > size ||
		h->off_weight + (uint64_t) h->n_weight * sizeof(VfPdbWeight) > size ||
		h->off_variant + (uint64_t) h->n_variant * sizeof(VfPdbVariant) > size ||
		h->off_gene_hash + (uint64_t) h->gene_slots * 4 > size ||
		h->off_base_hash + (uint64_t) h->gene_slots * 4 > size ||
		h->off_var_hash + (uint64_t) h->var_slots * 4 > size ||
		h->off_strings + h->size_strings > size || h->size_strings == 0 ||
		((const char *) image)[h->off_strings + h->size_strings - 1] != '\0' ||
		(h->gene_slots & (h->gene_slots - 1)) || (h->var_slots & (h->var_slots - 1)))
		return vf_error(err, VF_ERR_CORRUPT, "PredictDB model image is truncated or corrupt");
	return 0;
}

void
vf_pdb_image_info(const void *image, VfPdbInfo *info)
{
	const VfPdbHeader *h = image;

	info->key = (VfPdbKey) h->key;
	info->skip_palindromic = h->skip_palindromic != 0;
	info->n_gene = h->n_gene;
	info->n_variant = h->n_variant;
	info->n_weight = h->n_weight;
	info->n_null_weight = h->n_null_weight;
	info->n_bad_allele = h->n_bad_allele;
	info->n_duplicate = h->n_duplicate;
	info->n_no_extra = h->n_no_extra;
}

void
vf_pdb_gene_info(const void *image, uint32_t gene, VfPdbGeneInfo *info)
{
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];

	info->gene = VF_PDB_STR(image, g->id);
	info->genename = VF_PDB_STR(image, g->name);
	info->n_weight = g->n_weight;
	info->n_snps_in_model = g->n_snps_in_model;
	info->pred_perf_r2 = g->r2;
	info->pred_perf_pval = g->pval;
	info->pred_perf_qval = g->qval;
}

int64_t
vf_pdb_find_gene(const void *image, const char *gene, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbGene *genes = VF_PDB_GENES(image);
	const uint32_t *gtab = VF_PDB_TABLE(image, h->off_gene_hash);
	const uint32_t *btab = VF_PDB_TABLE(image, h->off_base_hash);
	uint32_t	mask = h->gene_slots - 1;
	size_t		bl = vf_pdb_gene_base_len(gene);

	for (uint32_t j = vf_pdb_hash(gene, 0) & mask; gtab[j]; j = (j + 1) & mask)
		if (strcmp(VF_PDB_STR(image, genes[gtab[j] - 1].id), gene) == 0)
			return gtab[j] - 1;

	/* ENSG00000100030 finds ENSG00000100030.14, and ENSG00000100030.15 does too */
	for (uint32_t j = vf_pdb_hash_n(gene, bl) & mask; btab[j]; j = (j + 1) & mask)
	{
		uint32_t	g = (btab[j] & ~VF_PDB_AMBIG_BIT) - 1;
		const char *id = VF_PDB_STR(image, genes[g].id);

		if (vf_pdb_gene_base_len(id) != bl || strncmp(id, gene, bl) != 0)
			continue;
		if (btab[j] & VF_PDB_AMBIG_BIT)
		{
			vf_error(err, VF_ERR_INVALID, "gene id \"%.*s\" matches several versioned genes of the model (e.g. \"%s\")",
					 (int) bl, gene, id);
			vf_error_hint(err, "Give the gene id with its version suffix.");
			return -2;
		}
		return g;
	}
	return -1;
}

VfPdbScratch *
vf_pdb_scratch_new(const void *image, VfError *err)
{
	const VfPdbHeader *h = image;
	VfPdbScratch *s = calloc(1, sizeof(VfPdbScratch));
	size_t		n = h->n_variant ? h->n_variant : 1;

	if (s)
	{
		s->n_variant = h->n_variant;
		s->stamp = calloc(n, sizeof(uint32_t));
		s->status = calloc(n, 1);
		s->dosage = calloc(n, sizeof(double));
	}
	if (!s || !s->stamp || !s->status || !s->dosage)
	{
		vf_pdb_scratch_free(s);
		vf_error(err, VF_ERR_NOMEM, "out of memory preparing a PredictDB model");
		return NULL;
	}
	return s;
}

void
vf_pdb_scratch_free(VfPdbScratch *s)
{
	if (s == NULL)
		return;
	free(s->stamp);
	free(s->status);
	free(s->dosage);
	free(s);
}

/* Dosage of ALT number a: DS when present and not missing, else counted from GT. */
static double
call_dosage(const VfCall *c, int a)
{
	double		d = 0;

	if (c->ds && isfinite(c->ds[a - 1]))
		return c->ds[a - 1];
	if (c->gt[0] == VF_ALLELE_MISSING || c->gt[1] == VF_ALLELE_MISSING)
		return NAN;
	for (int k = 0; k < 2; k++)
		if (c->gt[k] == a)
			d += 1;
	return d;
}

static void
match_call(VfPdbScratch *s, const void *image, const VfCall *c, uint32_t v)
{
	const VfPdbVariant *var = &VF_PDB_VARIANTS(image)[v];
	const char *ref = VF_PDB_STR(image, var->ref);
	const char *eff = VF_PDB_STR(image, var->eff);
	bool		skip_pal = VF_PDB_HDR(image)->skip_palindromic != 0;

	/* an earlier call (e.g. another record at the same position) already matched */
	if (s->stamp[v] == s->gen && s->status[v] != VF_PDB_MATCH_NONE)
		return;
	for (int a = 1; a < c->n_allele; a++)
	{
		VfPdbMatch	m;
		double		d;

		if (skip_pal && is_palindromic(c->allele[0], c->allele[a]))
			continue;
		m = vf_pdb_match_alleles(c->allele[0], c->allele[a], ref, eff);
		if (m == VF_PDB_MATCH_NONE)
			continue;
		d = call_dosage(c, a);
		s->stamp[v] = s->gen;
		if (isnan(d))
		{
			s->status[v] = STATUS_MISSING_CALL;
			return;
		}
		s->status[v] = (uint8_t) m;
		s->dosage[v] = (m == VF_PDB_MATCH_SWAP || m == VF_PDB_MATCH_COMP_SWAP) ? 2.0 - d : d;
		return;
	}
	s->stamp[v] = s->gen;
	s->status[v] = VF_PDB_MATCH_NONE;
}

static void
match_run(VfPdbScratch *s, const void *image, const VfCall *c, uint32_t first)
{
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);

	for (uint32_t v = first; v < first + vars[first].run; v++)
		match_call(s, image, c, v);
}

int
vf_pdb_scratch_set_calls(VfPdbScratch *s, const void *image, const VfCalls *calls, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	const uint32_t *vtab = VF_PDB_TABLE(image, h->off_var_hash);
	uint32_t	mask = h->var_slots - 1;

	if (s->n_variant != h->n_variant)
		return vf_error(err, VF_ERR_INVALID, "PredictDB scratch does not belong to this model");
	if (++s->gen == 0)
	{
		memset(s->stamp, 0, (size_t) s->n_variant * sizeof(uint32_t));
		s->gen = 1;
	}
	vf_pdb_chrom_norm(calls->chrom ? calls->chrom : "", s->chrom, sizeof(s->chrom));
	snprintf(s->chrom_copy, sizeof(s->chrom_copy), "%s", calls->chrom ? calls->chrom : "");
	s->start = calls->start;
	s->end = calls->end;
	s->have_calls = true;

	for (int i = 0; i < calls->n_call; i++)
	{
		const VfCall *c = &calls->call[i];

		if (h->key == VF_PDB_KEY_VARID)
		{
			for (uint32_t j = vf_pdb_hash_pos(s->chrom, c->pos) & mask; vtab[j]; j = (j + 1) & mask)
			{
				const VfPdbVariant *v = &vars[vtab[j] - 1];

				if (v->pos == c->pos && strcmp(VF_PDB_STR(image, v->chrom), s->chrom) == 0)
				{
					match_run(s, image, c, vtab[j] - 1);
					break;
				}
			}
		}
		else if (c->id != NULL && c->id[0] != '\0')
		{
			/* a VCF ID may list several names: rs1;rs2 */
			const char *p = c->id;

			while (*p)
			{
				const char *e = strchr(p, ';');
				size_t		n = e ? (size_t) (e - p) : strlen(p);

				for (uint32_t j = vf_pdb_hash_n(p, n) & mask; vtab[j]; j = (j + 1) & mask)
				{
					const char *rs = VF_PDB_STR(image, vars[vtab[j] - 1].rsid);

					if (strncmp(rs, p, n) == 0 && rs[n] == '\0')
					{
						match_run(s, image, c, vtab[j] - 1);
						break;
					}
				}
				if (!e)
					break;
				p = e + 1;
			}
		}
	}
	return 0;
}

int
vf_pdb_score_gene(const void *image, const VfPdbScratch *s, uint32_t gene,
				  VfPdbResult *out, VfError *err)
{
	const VfPdbHeader *h = image;
	const VfPdbGene *g = &VF_PDB_GENES(image)[gene];
	const VfPdbWeight *w = VF_PDB_WEIGHTS(image) + g->first_weight;
	const VfPdbVariant *vars = VF_PDB_VARIANTS(image);
	double		sum = 0;
	bool		varid = h->key == VF_PDB_KEY_VARID;

	memset(out, 0, sizeof(*out));
	out->n_snps_in_model = g->n_weight;
	if (!s->have_calls)
		return vf_error(err, VF_ERR_INVALID, "no genotype given to the PredictDB scorer");
	if (varid && g->n_weight > 0)
	{
		const char *gc = VF_PDB_STR(image, vars[w[0].variant].chrom);

		if (strcmp(gc, s->chrom) != 0)
		{
			vf_error(err, VF_ERR_INVALID, "gene \"%s\" is on chromosome %s, but the genotype covers %s:%lld-%lld",
					 VF_PDB_STR(image, g->id), gc, s->chrom_copy, (long long) s->start, (long long) s->end);
			vf_error_hint(err, "Score each gene with a genotype read over its chromosome (read_genotypes with a region on %s).", gc);
			return -1;
		}
	}
	for (uint32_t i = 0; i < g->n_weight; i++)
	{
		uint32_t	v = w[i].variant;
		int			status;
		double		d;

		if (s->stamp[v] == s->gen)
		{
			status = s->status[v];
			d = s->dosage[v];
		}
		else if (varid && vars[v].pos >= s->start && vars[v].pos <= s->end &&
				 strcmp(VF_PDB_STR(image, vars[v].chrom), s->chrom) == 0)
		{
			/* an unlisted site inside the region is homozygous for the varID's REF */
			status = vars[v].homref_match;
			d = vars[v].homref_dosage;
		}
		else
		{
			out->n_missing++;
			continue;
		}
		switch (status)
		{
			case VF_PDB_MATCH_NONE:
				out->n_skipped++;
				continue;
			case STATUS_MISSING_CALL:
				out->n_missing++;
				continue;
			case VF_PDB_MATCH_SWAP:
				out->n_flipped++;
				break;
			case VF_PDB_MATCH_COMP:
				out->n_complemented++;
				break;
			case VF_PDB_MATCH_COMP_SWAP:
				out->n_flipped++;
				out->n_complemented++;
				break;
			default:
				break;
		}
		out->n_used++;
		sum += w[i].weight * d;
	}
	out->grex = sum;
	return 0;
}
