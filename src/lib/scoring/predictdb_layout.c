/*
 * predictdb_layout.c: a PredictDB model's weight rows -> its position-independent image
 * (plain C; the layout is in predictdb_image.h).
 *
 * Steps: number the distinct variants (rows sorted by key, so that equal keys form runs),
 * group the weights by gene (an identical repeat is skipped, a conflicting one refused),
 * place every section, then write the header, the variants with their key hash, the genes
 * with their weights and id hash, and the unversioned-id hash. The genes' `extra` rows and
 * the final string pool are written last (vf_pdb_layout_finish).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predictdb_image.h"
#include "predictdb_layout.h"
#include "predictdb_match.h"

#define PSTR(r, off) VF_POOL_STR(&(r)->pool, off)

/* Where each section of the image starts (predictdb_image.h), and the hash sizes. */
typedef struct Offsets
{
	size_t		gene,
				weight,
				variant,
				gene_hash,
				base_hash,
				var_hash,
				strings,
				total;
	uint32_t	gene_slots,
				var_slots;
} Offsets;

/* qsort has no context argument: the pool being sorted against. */
static const VfStringPool *sort_pool;
static VfPdbKey sort_key;

static int
cmp_variant(const void *a, const void *b)
{
	const VfPdbRow *x = a,
			   *y = b;
	int			c;

	if (sort_key == VF_PDB_KEY_VARID)
	{
		if ((c = strcmp(VF_POOL_STR(sort_pool, x->chrom), VF_POOL_STR(sort_pool, y->chrom))) != 0)
			return c;
		if (x->pos != y->pos)
			return x->pos < y->pos ? -1 : 1;
	}
	else if ((c = strcmp(VF_POOL_STR(sort_pool, x->rsid), VF_POOL_STR(sort_pool, y->rsid))) != 0)
		return c;
	if ((c = strcmp(VF_POOL_STR(sort_pool, x->ref), VF_POOL_STR(sort_pool, y->ref))) != 0)
		return c;
	return strcmp(VF_POOL_STR(sort_pool, x->eff), VF_POOL_STR(sort_pool, y->eff));
}

static bool
same_key(const VfPdbRows *r, const VfPdbRow *x, const VfPdbRow *y)
{
	if (r->key == VF_PDB_KEY_VARID)
		return x->chrom == y->chrom && x->pos == y->pos;	/* interned: offsets compare */
	return x->rsid == y->rsid;
}

static int
cmp_gene_variant(const void *a, const void *b)
{
	const VfPdbRow *x = a,
			   *y = b;
	int			c = strcmp(VF_POOL_STR(sort_pool, x->gene), VF_POOL_STR(sort_pool, y->gene));

	if (c)
		return c;
	if (x->variant != y->variant)
		return x->variant < y->variant ? -1 : 1;
	return 0;
}

static size_t
align64(size_t n)
{
	return (n + 63) & ~(size_t) 63;
}

static uint32_t
slots_for(size_t n)
{
	uint32_t	s = 16;

	while (s < n * 2)
		s *= 2;
	return s;
}

static void
hash_insert(uint32_t *tab, uint32_t slots, uint64_t h, uint32_t value)
{
	uint32_t	j = h & (slots - 1);

	while (tab[j])
		j = (j + 1) & (slots - 1);
	tab[j] = value;
}

/* Distinct variants, in key order so that equal keys form runs; one row of each (malloc'd). */
static VfPdbRow *
number_variants(VfPdbRows *r, size_t *n_variant, VfError *err)
{
	VfPdbRow   *vrow;
	size_t		n = 0;

	sort_pool = &r->pool;
	sort_key = r->key;
	qsort(r->rows, r->n_row, sizeof(VfPdbRow), cmp_variant);
	for (size_t i = 0; i < r->n_row; i++)
	{
		if (i > 0 && cmp_variant(&r->rows[i - 1], &r->rows[i]) == 0)
			r->rows[i].variant = r->rows[i - 1].variant;
		else
			r->rows[i].variant = (uint32_t) n++;
	}
	/* remember one row per variant before re-sorting by gene */
	vrow = malloc(n * sizeof(VfPdbRow));
	if (!vrow)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", r->path);
		return NULL;
	}
	for (size_t i = 0; i < r->n_row; i++)
		vrow[r->rows[i].variant] = r->rows[i];
	*n_variant = n;
	return vrow;
}

/* Weights by gene; a repeated (gene, variant) is skipped if identical, else refused. */
static int
group_by_gene(VfPdbRows *r, size_t *n_gene, size_t *n_weight, VfError *err)
{
	*n_gene = *n_weight = 0;
	qsort(r->rows, r->n_row, sizeof(VfPdbRow), cmp_gene_variant);
	for (size_t i = 0; i < r->n_row; i++)
	{
		const VfPdbRow *x = &r->rows[i];

		if (i > 0 && x->gene == r->rows[i - 1].gene && x->variant == r->rows[i - 1].variant)
		{
			if (x->weight != r->rows[i - 1].weight)
				return vf_error(err, VF_ERR_DATA, "gene \"%s\" has variant \"%s\" (%s/%s) twice with different weights (%.17g, %.17g) in PredictDB file \"%s\"",
								PSTR(r, x->gene), PSTR(r, x->varid ? x->varid : x->rsid),
								PSTR(r, x->ref), PSTR(r, x->eff),
								r->rows[i - 1].weight, x->weight, r->path);
			r->n_duplicate++;
			r->rows[i].variant = UINT32_MAX;	/* dropped below */
			continue;
		}
		if (i == 0 || x->gene != r->rows[i - 1].gene)
			(*n_gene)++;
		(*n_weight)++;
	}
	if (*n_gene > UINT32_MAX / 4)
		return vf_error(err, VF_ERR_LIMIT, "too many genes in PredictDB file \"%s\"", r->path);
	return 0;
}

static void
place_sections(const VfPdbRows *r, size_t n_gene, size_t n_weight, size_t n_variant, Offsets *o)
{
	o->gene_slots = slots_for(n_gene);
	o->var_slots = r->key == VF_PDB_KEY_RSID ? slots_for(n_variant) : 1;
	o->gene = align64(sizeof(VfPdbHeader));
	o->weight = align64(o->gene + n_gene * sizeof(VfPdbGene));
	o->variant = align64(o->weight + n_weight * sizeof(VfPdbWeight));
	o->gene_hash = align64(o->variant + n_variant * sizeof(VfPdbVariant));
	o->base_hash = align64(o->gene_hash + (size_t) o->gene_slots * 4);
	o->var_hash = align64(o->base_hash + (size_t) o->gene_slots * 4);
	o->strings = align64(o->var_hash + (size_t) o->var_slots * 4);
	o->total = align64(o->strings + r->pool.len + 1);	/* +1: room for the empty string */
}

static void
write_header(char *img, const VfPdbRows *r, const Offsets *o, size_t n_gene, size_t n_weight,
			 size_t n_variant)
{
	VfPdbHeader *h = (VfPdbHeader *) img;

	memcpy(h->magic, VF_PDB_MAGIC, sizeof(h->magic));
	h->key = r->key;
	h->skip_palindromic = r->skip_palindromic;
	h->low_coverage_error = r->low_coverage_error;
	h->min_variant_fraction = r->min_variant_fraction;
	h->n_gene = (uint32_t) n_gene;
	h->n_weight = (uint32_t) n_weight;
	h->n_variant = (uint32_t) n_variant;
	h->gene_slots = o->gene_slots;
	h->var_slots = o->var_slots;
	h->n_null_weight = r->n_null_weight;
	h->n_bad_allele = r->n_bad_allele;
	h->n_duplicate = r->n_duplicate;
	h->off_gene = o->gene;
	h->off_weight = o->weight;
	h->off_variant = o->variant;
	h->off_gene_hash = o->gene_hash;
	h->off_base_hash = o->base_hash;
	h->off_var_hash = o->var_hash;
	h->off_strings = o->strings;
	h->size_strings = r->pool.len;
	h->total_size = o->total;
}

/* What an unlisted site inside the genotype's region means: hom-ref by the varID's REF. */
static void
set_homref(const VfPdbRows *r, const VfPdbRow *x, VfPdbVariant *d)
{
	const char *a = PSTR(r, x->vref),
			   *b = PSTR(r, x->valt);
	VfPdbMatch	m = vf_pdb_match_alleles(a, b, PSTR(r, x->ref), PSTR(r, x->eff));

	d->homref_match = (uint8_t) m;
	if (r->skip_palindromic && vf_pdb_is_palindromic(a, b))
	{
		m = VF_PDB_MATCH_NONE;
		d->homref_match = VF_PDB_STATUS_PALINDROMIC;
	}
	d->homref_dosage = (m == VF_PDB_MATCH_SWAP || m == VF_PDB_MATCH_COMP_SWAP) ? 2.0f : 0.0f;
}

/* The variants and, for rsID keys, their key hash (varID keys are found by merging positions). */
static void
write_variants(const VfPdbRows *r, char *img, const Offsets *o, const VfPdbRow *vrow, size_t n_variant)
{
	VfPdbVariant *vars = (VfPdbVariant *) (img + o->variant);
	uint32_t   *vtab = (uint32_t *) (img + o->var_hash);

	for (size_t v = 0; v < n_variant; v++)
	{
		const VfPdbRow *x = &vrow[v];
		VfPdbVariant *d = &vars[v];

		d->pos = x->pos;
		d->chrom = x->chrom;
		d->rsid = x->rsid;
		d->varid = x->varid;
		d->ref = x->ref;
		d->eff = x->eff;
		if (v == 0 || !same_key(r, &vrow[v - 1], x))
		{
			size_t		e = v + 1;

			while (e < n_variant && same_key(r, &vrow[e], x))
				e++;
			d->run = (uint32_t) (e - v);
			if (r->key == VF_PDB_KEY_RSID)
				hash_insert(vtab, o->var_slots, vf_pdb_hash(PSTR(r, x->rsid), 0), (uint32_t) v + 1);
		}
		if (r->key == VF_PDB_KEY_VARID)
			set_homref(r, x, d);
	}
}

/* The genes, their weights and the exact-id hash. */
static void
write_genes(const VfPdbRows *r, char *img, const Offsets *o)
{
	VfPdbGene  *genes = (VfPdbGene *) (img + o->gene);
	VfPdbWeight *weights = (VfPdbWeight *) (img + o->weight);
	uint32_t   *gtab = (uint32_t *) (img + o->gene_hash);
	size_t		g = 0,
				w = 0;

	for (size_t i = 0; i < r->n_row; i++)
	{
		const VfPdbRow *x = &r->rows[i];

		if (x->variant == UINT32_MAX)
			continue;
		if (w == 0 || x->gene != genes[g - 1].id)
		{
			VfPdbGene  *d = &genes[g++];

			d->id = x->gene;
			d->first_weight = (uint32_t) w;
			d->n_snps_in_model = -1;
			d->r2 = d->pval = d->qval = NAN;
			hash_insert(gtab, o->gene_slots, vf_pdb_hash(PSTR(r, x->gene), 0), (uint32_t) g);
		}
		genes[g - 1].n_weight++;
		weights[w].weight = x->weight;
		weights[w].variant = x->variant;
		w++;
	}
}

/* Unversioned ids; an id shared by several versioned genes is marked, not guessed. */
static void
write_base_hash(const VfPdbRows *r, char *img, const Offsets *o, size_t n_gene)
{
	const VfPdbGene *genes = (const VfPdbGene *) (img + o->gene);
	uint32_t   *btab = (uint32_t *) (img + o->base_hash);
	uint32_t	mask = o->gene_slots - 1;

	for (size_t i = 0; i < n_gene; i++)
	{
		const char *id = PSTR(r, genes[i].id);
		size_t		bl = vf_pdb_gene_base_len(id);
		uint32_t	j;
		bool		dup = false;

		for (j = vf_pdb_hash_n(id, bl) & mask; btab[j]; j = (j + 1) & mask)
		{
			const char *oid = PSTR(r, genes[(btab[j] & ~VF_PDB_AMBIG_BIT) - 1].id);

			if (vf_pdb_gene_base_len(oid) == bl && strncmp(oid, id, bl) == 0)
			{
				btab[j] |= VF_PDB_AMBIG_BIT;	/* several genes share this unversioned id */
				dup = true;
				break;
			}
		}
		if (!dup)
			btab[j] = (uint32_t) i + 1;
	}
}

static int
too_large(const VfPdbRows *r, size_t total, size_t max_bytes, VfError *err)
{
	return vf_error(err, VF_ERR_LIMIT, "PredictDB model \"%s\" needs %zu bytes, more than the limit of %zu",
					r->path, total, max_bytes);
}

int
vf_pdb_layout_build(VfPdbRows *r, size_t max_bytes, VfPdbLayout *out, VfError *err)
{
	size_t		n_gene,
				n_weight,
				n_variant;
	VfPdbRow   *vrow;
	Offsets		o;
	char	   *img;

	memset(out, 0, sizeof(*out));
	if (r->n_row == 0)
	{
		vf_error(err, VF_ERR_DATA, "PredictDB file \"%s\" has no usable weights", r->path);
		vf_error_detail(err, "%u rows had a NULL weight, %u alleles that are not bases.",
						r->n_null_weight, r->n_bad_allele);
		return -1;
	}
	if ((vrow = number_variants(r, &n_variant, err)) == NULL)
		return -1;
	if (group_by_gene(r, &n_gene, &n_weight, err) < 0)
	{
		free(vrow);
		return -1;
	}
	place_sections(r, n_gene, n_weight, n_variant, &o);
	if (max_bytes && o.total > max_bytes)
	{
		free(vrow);
		return too_large(r, o.total, max_bytes, err);
	}
	img = calloc(1, o.total);
	if (!img)
	{
		free(vrow);
		return vf_error(err, VF_ERR_NOMEM, "out of memory building PredictDB model from \"%s\"", r->path);
	}
	write_header(img, r, &o, n_gene, n_weight, n_variant);
	memcpy(img + o.strings, r->pool.buf, r->pool.len);
	write_variants(r, img, &o, vrow, n_variant);
	write_genes(r, img, &o);
	write_base_hash(r, img, &o, n_gene);
	free(vrow);
	out->img = img;
	out->total = o.total;
	out->off_strings = o.strings;
	out->n_gene = (uint32_t) n_gene;
	return 0;
}

int
vf_pdb_layout_finish(VfPdbRows *r, VfPdbLayout *l, const VfPdbExtra *extra, bool have_extra,
					 size_t max_bytes, void **image, size_t *size, VfError *err)
{
	VfPdbHeader *h;
	VfPdbGene  *genes;

	/* extra may have added strings (gene names): the pool moved on; lay it out again */
	if (r->pool.len + 1 > l->total - l->off_strings)
	{
		size_t		ntotal = align64(l->off_strings + r->pool.len + 1);
		char	   *n;

		if (max_bytes && ntotal > max_bytes)
			return too_large(r, ntotal, max_bytes, err);
		n = realloc(l->img, ntotal);
		if (!n)
			return vf_error(err, VF_ERR_NOMEM, "out of memory building PredictDB model from \"%s\"", r->path);
		memset(n + l->total, 0, ntotal - l->total);
		l->img = n;
		l->total = ntotal;
	}
	h = (VfPdbHeader *) l->img;
	genes = (VfPdbGene *) (l->img + h->off_gene);
	h->total_size = l->total;
	memcpy(l->img + l->off_strings, r->pool.buf, r->pool.len);
	h->size_strings = r->pool.len;
	for (size_t i = 0; i < l->n_gene; i++)
	{
		if (extra[i].seen)
		{
			genes[i].name = extra[i].name;
			genes[i].n_snps_in_model = extra[i].n_snps;
			genes[i].r2 = extra[i].r2;
			genes[i].pval = extra[i].pval;
			genes[i].qval = extra[i].qval;
		}
		else if (have_extra)
			h->n_no_extra++;
	}
	*image = l->img;
	*size = l->total;
	l->img = NULL;
	return 0;
}
