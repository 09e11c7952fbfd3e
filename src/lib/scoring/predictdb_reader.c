/*
 * predictdb_reader.c: a PredictDB SQLite file -> a position-independent image (plain C).
 *
 * Reads the load options, the `weights` table into rows (predictdb_sqlite.c opens and reads
 * the file as hostile input; varid.c parses variant ids; string_pool.c interns the strings),
 * has them laid out (predictdb_layout.c), then reads `extra` for the genes kept.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "varformer/scoring/predictdb.h"
#include "predictdb_image.h"
#include "predictdb_layout.h"
#include "predictdb_sqlite.h"
#include "varid.h"

#define MAX_ROWS		50000000u	/* far above any real model (GTEx v8: ~1M rows) */
#define MAX_FIELD_LEN	VF_PDB_MAX_FIELD_LEN

typedef struct Reader
{
	VfPdbDb		db;
	VfPdbRows	r;
	int			key_opt;		/* VfPdbKey asked for, 0: decided from the first row */
	bool		decided;
	int			varid_col;		/* where varIDs are: 2 (varID) or 1 (rsid, GTEx v8 MASHR) */
} Reader;

/* The text columns of one `weights` row, as read (NULL when SQL NULL). */
typedef struct Fields
{
	const char *gene,
			   *rsid,
			   *varid,
			   *ref,
			   *eff;
	size_t		glen,
				rlen,
				vlen,
				alen,
				elen;
} Fields;

static const char *
opt_string(const VfJson *options, const char *key)
{
	if (options == NULL || options->type != VF_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < options->len; i++)
		if (strcmp(options->keys[i], key) == 0)
			return options->items[i].type == VF_JSON_STRING ? options->items[i].str : "";
	return NULL;
}

static const VfJson *
opt_item(const VfJson *options, const char *key)
{
	if (options == NULL || options->type != VF_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < options->len; i++)
		if (strcmp(options->keys[i], key) == 0)
			return &options->items[i];
	return NULL;
}

static int
read_options(Reader *rd, const VfJson *options, VfError *err)
{
	const char *k = opt_string(options, "variant_key");
	const char *p = opt_string(options, "palindromic");

	rd->key_opt = 0;
	if (k == NULL || strcasecmp(k, "auto") == 0)
		rd->key_opt = 0;
	else if (strcasecmp(k, "varid") == 0)
		rd->key_opt = VF_PDB_KEY_VARID;
	else if (strcasecmp(k, "rsid") == 0)
		rd->key_opt = VF_PDB_KEY_RSID;
	else
	{
		vf_error(err, VF_ERR_INVALID, "invalid PredictDB option variant_key \"%s\"", k);
		vf_error_hint(err, "Use \"varID\", \"rsid\" or \"auto\" (a string).");
		return -1;
	}
	{
		const char *lc = opt_string(options, "low_coverage");
		const VfJson *mf = opt_item(options, "min_variant_fraction");

		/* FUSION's --max_impute 0.5: a gene missing more than half its SNPs is not scored */
		rd->r.min_variant_fraction = 0.5;
		if (mf != NULL)
		{
			if (mf->type != VF_JSON_NUMBER || !(mf->number >= 0 && mf->number <= 1))
			{
				vf_error(err, VF_ERR_INVALID, "invalid PredictDB option min_variant_fraction: it must be a number from 0 to 1");
				vf_error_hint(err, "The fraction of a gene's model variants that must be used for a prediction; default 0.5.");
				return -1;
			}
			rd->r.min_variant_fraction = mf->number;
		}
		if (lc == NULL || strcmp(lc, "null") == 0)
			rd->r.low_coverage_error = false;
		else if (strcmp(lc, "error") == 0)
			rd->r.low_coverage_error = true;
		else
		{
			vf_error(err, VF_ERR_INVALID, "invalid PredictDB option low_coverage \"%s\"", lc);
			vf_error_hint(err, "Use \"null\" (default: predict_expression gives NULL below min_variant_fraction) or \"error\".");
			return -1;
		}
	}
	if (p == NULL || strcasecmp(p, "keep") == 0)
		rd->r.skip_palindromic = false;
	else if (strcasecmp(p, "skip") == 0)
		rd->r.skip_palindromic = true;
	else
	{
		vf_error(err, VF_ERR_INVALID, "invalid PredictDB option palindromic \"%s\"", p);
		vf_error_hint(err, "Use \"keep\" (PrediXcan's default) or \"skip\".");
		return -1;
	}
	return 0;
}

enum
{
	W_GENE, W_RSID, W_VARID, W_REF, W_EFF, W_WEIGHT, W_NCOL
};

/* The query over `weights`, columns by position: gene, rsid, varID, ref, eff, weight. */
static int
weights_query(Reader *rd, sqlite3_stmt **st, bool *has_varid, VfError *err)
{
	static const char *const want[W_NCOL] = {"gene", "rsid", "varID", "ref_allele", "eff_allele", "weight"};
	int			idx[W_NCOL];
	char		found[512],
				q[512];
	bool		exists;

	if (vf_pdb_db_table_exists(&rd->db, "weights", &exists, err) < 0)
		return -1;
	if (!exists)
	{
		vf_error(err, VF_ERR_DATA, "PredictDB file \"%s\" has no table \"weights\"", rd->db.path);
		vf_error_hint(err, "A PredictDB model has tables weights(rsid, gene, weight, ref_allele, eff_allele[, varID]) and extra(gene, genename, ...).");
		return -1;
	}
	if (vf_pdb_db_columns(&rd->db, "weights", want, W_NCOL, idx, found, sizeof(found), err) < 0)
		return -1;
	for (int i = 0; i < W_NCOL; i++)
	{
		if (i == W_VARID || idx[i] >= 0)
			continue;
		if (i == W_RSID && idx[W_VARID] >= 0)
			continue;			/* newer files may rely on varID alone */
		vf_error(err, VF_ERR_DATA, "table \"weights\" in PredictDB file \"%s\" has no column \"%s\"",
				 rd->db.path, want[i]);
		vf_error_detail(err, "Its columns are: %s.", found);
		return -1;
	}
	if (rd->key_opt == VF_PDB_KEY_RSID && idx[W_RSID] < 0)
		return vf_error(err, VF_ERR_INVALID, "variant_key \"rsid\" asked, but table \"weights\" in \"%s\" has no rsid column",
						rd->db.path);
	*has_varid = idx[W_VARID] >= 0;
	snprintf(q, sizeof(q), "SELECT %s, %s, %s, %s, %s, %s FROM \"weights\"",
			 "\"gene\"", idx[W_RSID] >= 0 ? "\"rsid\"" : "NULL",
			 idx[W_VARID] >= 0 ? "\"varID\"" : "NULL", "\"ref_allele\"", "\"eff_allele\"", "\"weight\"");
	if (sqlite3_prepare_v2(rd->db.db, q, -1, st, NULL) != SQLITE_OK)
		return vf_pdb_db_fail(&rd->db, err, "read table weights");
	return 0;
}

static int
read_fields(Reader *rd, sqlite3_stmt *st, Fields *f, VfError *err)
{
	bool		fail;

	memset(f, 0, sizeof(*f));
	if ((f->gene = vf_pdb_db_text(&rd->db, st, 0, &f->glen, err, &fail), fail) ||
		(f->rsid = vf_pdb_db_text(&rd->db, st, 1, &f->rlen, err, &fail), fail) ||
		(f->varid = vf_pdb_db_text(&rd->db, st, 2, &f->vlen, err, &fail), fail) ||
		(f->ref = vf_pdb_db_text(&rd->db, st, 3, &f->alen, err, &fail), fail) ||
		(f->eff = vf_pdb_db_text(&rd->db, st, 4, &f->elen, err, &fail), fail))
		return -1;
	if (f->gene == NULL || f->glen == 0)
		return vf_error(err, VF_ERR_DATA, "a row of table \"weights\" in PredictDB file \"%s\" has no gene (variant \"%s\")",
						rd->db.path, f->rsid ? f->rsid : f->varid ? f->varid : "");
	return 0;
}

static const char *
variant_name(const Fields *f)
{
	return f->rsid ? f->rsid : f->varid ? f->varid : "";
}

/* The weight: 1 when NULL (a documented skip); anything else must be a finite number. */
static int
read_weight(Reader *rd, sqlite3_stmt *st, const Fields *f, double *w, VfError *err)
{
	switch (sqlite3_column_type(st, 5))
	{
		case SQLITE_NULL:
			return 1;
		case SQLITE_INTEGER:
		case SQLITE_FLOAT:
			*w = sqlite3_column_double(st, 5);
			break;
		default:
			{
				size_t		tl;
				bool		fail;
				const char *t = vf_pdb_db_text(&rd->db, st, 5, &tl, err, &fail);
				char	   *end = NULL;

				if (fail)
					return -1;
				errno = 0;
				*w = t ? strtod(t, &end) : NAN;
				if (t != NULL && end != t && errno == 0)
					while (isspace((unsigned char) *end))
						end++;
				if (t == NULL || end == t || errno != 0 || *end)
					return vf_error(err, VF_ERR_DATA, "non-numeric weight \"%s\" for gene \"%s\", variant \"%s\" in PredictDB file \"%s\"",
									t ? t : "", f->gene, variant_name(f), rd->db.path);
			}
	}
	if (!isfinite(*w))
		return vf_error(err, VF_ERR_DATA, "weight %g for gene \"%s\", variant \"%s\" in PredictDB file \"%s\" is not finite",
						*w, f->gene, variant_name(f), rd->db.path);
	return 0;
}

/* The key, decided from the first row unless an option says. */
static int
decide_key(Reader *rd, const Fields *f, VfError *err)
{
	char		vb[MAX_FIELD_LEN + 1];
	char		c[64];
	char	   *a1,
			   *a2;
	int64_t		p;

	if (rd->key_opt == VF_PDB_KEY_RSID)
		rd->r.key = VF_PDB_KEY_RSID;
	else if (f->varid && vf_varid_parse(f->varid, vb, sizeof(vb), c, &p, &a1, &a2))
	{
		rd->r.key = VF_PDB_KEY_VARID;
		rd->varid_col = 2;
	}
	else if (f->rsid && vf_varid_parse(f->rsid, vb, sizeof(vb), c, &p, &a1, &a2))
	{
		rd->r.key = VF_PDB_KEY_VARID;	/* e.g. GTEx v8 MASHR: varIDs in the rsid column */
		rd->varid_col = 1;
	}
	else if (rd->key_opt == VF_PDB_KEY_VARID)
	{
		vf_error(err, VF_ERR_DATA, "variant_key \"varID\" asked, but \"%s\" in PredictDB file \"%s\" is not a varID",
				 f->varid ? f->varid : f->rsid ? f->rsid : "", rd->db.path);
		vf_error_hint(err, "A varID looks like chr1_1234_C_T_b38.");
		return -1;
	}
	else
		rd->r.key = VF_PDB_KEY_RSID;
	rd->decided = true;
	return 0;
}

static int
intern(Reader *rd, const char *s, size_t len, uint32_t *out, VfError *err)
{
	int64_t		o = s ? vf_string_pool_intern(&rd->r.pool, s, len, err) : 0;

	if (o < 0)
		return -1;
	*out = (uint32_t) o;
	return 0;
}

/* With varID keys: the row's chromosome, position and the varID's own alleles. */
static int
row_varid(Reader *rd, const Fields *f, VfPdbRow *row, VfError *err)
{
	const char *v = rd->varid_col == 2 ? f->varid : f->rsid;
	char		vb[MAX_FIELD_LEN + 1];
	char		c[64];
	char	   *a1,
			   *a2;

	if (v == NULL || !vf_varid_parse(v, vb, sizeof(vb), c, &row->pos, &a1, &a2))
	{
		vf_error(err, VF_ERR_DATA, "variant \"%s\" of gene \"%s\" in PredictDB file \"%s\" is not a varID",
				 v ? v : "", f->gene, rd->db.path);
		vf_error_hint(err, "A varID looks like chr1_1234_C_T_b38; use {\"variant_key\": \"rsid\"} to match by rsID.");
		return -1;
	}
	if (intern(rd, c, strlen(c), &row->chrom, err) < 0 ||
		intern(rd, a1, strlen(a1), &row->vref, err) < 0 ||
		intern(rd, a2, strlen(a2), &row->valt, err) < 0)
		return -1;
	return 0;
}

static int
push_row(Reader *rd, const VfPdbRow *row, VfError *err)
{
	VfPdbRows  *r = &rd->r;

	if (r->n_row == r->cap_row)
	{
		size_t		cap = r->cap_row ? r->cap_row * 2 : 1024;
		VfPdbRow   *nr;

		if (r->n_row >= MAX_ROWS)
			return vf_error(err, VF_ERR_LIMIT, "PredictDB file \"%s\" has more than %u weight rows", rd->db.path, MAX_ROWS);
		nr = realloc(r->rows, cap * sizeof(VfPdbRow));
		if (!nr)
			return vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", rd->db.path);
		r->rows = nr;
		r->cap_row = cap;
	}
	r->rows[r->n_row++] = *row;
	return 0;
}

/* One row of `weights`: kept, skipped (counted) or an error. */
static int
read_row(void *arg, sqlite3_stmt *st, VfError *err)
{
	Reader	   *rd = arg;
	Fields		f;
	char		refb[MAX_FIELD_LEN + 1],
				effb[MAX_FIELD_LEN + 1];
	VfPdbRow	row;
	int			rc;

	memset(&row, 0, sizeof(row));
	if (read_fields(rd, st, &f, err) < 0)
		return -1;
	if ((rc = read_weight(rd, st, &f, &row.weight, err)) != 0)
	{
		if (rc > 0)
			rd->r.n_null_weight++;
		return rc < 0 ? -1 : 0;
	}
	/* Alleles: a documented skip (counted) when not bases; PrediXcan cannot match them. */
	if (f.ref == NULL || f.eff == NULL)
	{
		rd->r.n_bad_allele++;
		return 0;
	}
	memcpy(refb, f.ref, f.alen + 1);
	memcpy(effb, f.eff, f.elen + 1);
	if (!vf_varid_allele_ok(refb) || !vf_varid_allele_ok(effb))
	{
		rd->r.n_bad_allele++;
		return 0;
	}
	if (!rd->decided && decide_key(rd, &f, err) < 0)
		return -1;
	if (rd->r.key == VF_PDB_KEY_VARID)
	{
		if (row_varid(rd, &f, &row, err) < 0)
			return -1;
	}
	else if (f.rsid == NULL || f.rlen == 0 || strcmp(f.rsid, ".") == 0)
	{
		/* "." is VCF's "no ID": such rows cannot be matched by rsID, and would all collide */
		vf_error(err, VF_ERR_DATA, "a row of gene \"%s\" in PredictDB file \"%s\" has no rsID (rsid %s%s%s%s), but the model matches variants by rsID",
				 f.gene, rd->db.path, f.rsid ? "\"" : "", f.rsid ? f.rsid : "NULL", f.rsid ? "\"" : "",
				 f.varid ? "" : ", no varID");
		if (f.varid)
			vf_error_detail(err, "Its varID is \"%s\".", f.varid);
		vf_error_hint(err, f.varid ? "Load the file with {\"variant_key\": \"varID\"} to match its variants by position."
					  : "Give those rows rsIDs, or remove them from the file.");
		return -1;
	}
	if (intern(rd, f.gene, f.glen, &row.gene, err) < 0 ||
		intern(rd, f.rsid, f.rlen, &row.rsid, err) < 0 ||
		intern(rd, f.varid, f.vlen, &row.varid, err) < 0 ||
		intern(rd, refb, f.alen, &row.ref, err) < 0 ||
		intern(rd, effb, f.elen, &row.eff, err) < 0)
		return -1;
	return push_row(rd, &row, err);
}

static int
read_weights(Reader *rd, VfError *err)
{
	sqlite3_stmt *st;
	bool		has_varid = false;

	if (weights_query(rd, &st, &has_varid, err) < 0 ||
		vf_pdb_db_each_row(&rd->db, st, "read table weights", read_row, rd, err) < 0)
		return -1;
	if (!rd->decided)
		rd->r.key = rd->key_opt ? (VfPdbKey) rd->key_opt : (has_varid ? VF_PDB_KEY_VARID : VF_PDB_KEY_RSID);
	return 0;
}

enum
{
	X_GENE, X_NAME, X_NSNPS, X_R2, X_PVAL, X_QVAL, X_NCOL
};

/* The gene of the image with exactly this id, through the image's exact-id hash; -1: none. */
static int64_t
image_gene(const Reader *rd, const char *img, const char *gene)
{
	const VfPdbHeader *h = (const VfPdbHeader *) img;
	const uint32_t *tab = VF_PDB_TABLE(img, h->off_gene_hash);
	const VfPdbGene *genes = (const VfPdbGene *) (img + h->off_gene);
	uint32_t	mask = h->gene_slots - 1;

	for (uint32_t j = vf_pdb_hash(gene, 0) & mask; tab[j]; j = (j + 1) & mask)
		if (strcmp(VF_POOL_STR(&rd->r.pool, genes[tab[j] - 1].id), gene) == 0)
			return tab[j] - 1;
	return -1;
}

/* Where `extra` rows go: the image being built (for its gene hash) and one entry per gene. */
typedef struct ExtraTarget
{
	Reader	   *rd;
	const char *img;
	VfPdbExtra *extra;
} ExtraTarget;

/* A gene's `extra` row, the first one for the gene only. */
static int
read_extra_row(void *arg, sqlite3_stmt *st, VfError *err)
{
	ExtraTarget *t = arg;
	Reader	   *rd = t->rd;
	VfPdbExtra *extra = t->extra;
	size_t		len = 0;
	bool		fail;
	const char *gene = vf_pdb_db_text(&rd->db, st, 0, &len, err, &fail);
	const char *name;
	int64_t		g;
	VfPdbExtra *x;

	if (fail)
		return -1;
	if (gene == NULL || (g = image_gene(rd, t->img, gene)) < 0 || extra[g].seen)
		return 0;
	x = &extra[g];
	name = vf_pdb_db_text(&rd->db, st, 1, &len, err, &fail);
	if (fail || intern(rd, name, len, &x->name, err) < 0)
		return -1;
	x->seen = true;
	x->n_snps = sqlite3_column_type(st, 2) == SQLITE_INTEGER ||
		sqlite3_column_type(st, 2) == SQLITE_FLOAT ?
		(int32_t) sqlite3_column_int(st, 2) : -1;
	x->r2 = vf_pdb_db_double(st, 3);
	x->pval = vf_pdb_db_double(st, 4);
	x->qval = vf_pdb_db_double(st, 5);
	return 0;
}

/*
 * Reads `extra` (optional: older tools wrote it, all known files have it) for the genes we
 * kept; genes are looked up through the image's own exact-id hash.
 */
static int
read_extra(Reader *rd, const char *img, VfPdbExtra *extra, bool *have_extra, VfError *err)
{
	static const char *const want[X_NCOL] = {"gene", "genename", "n.snps.in.model", "pred.perf.R2",
	"pred.perf.pval", "pred.perf.qval"};
	int			idx[X_NCOL];
	char		found[512],
				q[512];
	bool		exists;
	sqlite3_stmt *st;
	ExtraTarget target = {rd, img, extra};

	*have_extra = false;
	if (vf_pdb_db_table_exists(&rd->db, "extra", &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	if (vf_pdb_db_columns(&rd->db, "extra", want, X_NCOL, idx, found, sizeof(found), err) < 0)
		return -1;
	if (idx[X_GENE] < 0)
	{
		vf_error(err, VF_ERR_DATA, "table \"extra\" in PredictDB file \"%s\" has no column \"gene\"", rd->db.path);
		vf_error_detail(err, "Its columns are: %s.", found);
		return -1;
	}
	*have_extra = true;
	snprintf(q, sizeof(q), "SELECT \"gene\", %s, %s, %s, %s, %s FROM \"extra\"",
			 idx[X_NAME] >= 0 ? "\"genename\"" : "NULL",
			 idx[X_NSNPS] >= 0 ? "\"n.snps.in.model\"" : "NULL",
			 idx[X_R2] >= 0 ? "\"pred.perf.R2\"" : "NULL",
			 idx[X_PVAL] >= 0 ? "\"pred.perf.pval\"" : "NULL",
			 idx[X_QVAL] >= 0 ? "\"pred.perf.qval\"" : "NULL");
	if (sqlite3_prepare_v2(rd->db.db, q, -1, &st, NULL) != SQLITE_OK)
		return vf_pdb_db_fail(&rd->db, err, "read table extra");
	return vf_pdb_db_each_row(&rd->db, st, "read table extra", read_extra_row, &target, err);
}

/* The image from the rows read: laid out, then `extra` written in. */
static int
build_image(Reader *rd, void **image, size_t *size, size_t max_bytes, VfError *err)
{
	VfPdbLayout l;
	VfPdbExtra *extra;
	bool		have_extra;
	int			rc = -1;

	if (vf_pdb_layout_build(&rd->r, max_bytes, &l, err) < 0)
		return -1;
	extra = calloc(l.n_gene ? l.n_gene : 1, sizeof(VfPdbExtra));
	if (!extra)
		vf_error(err, VF_ERR_NOMEM, "out of memory building PredictDB model from \"%s\"", rd->db.path);
	else if (read_extra(rd, l.img, extra, &have_extra, err) == 0)
		rc = vf_pdb_layout_finish(&rd->r, &l, extra, have_extra, max_bytes, image, size, err);
	free(extra);
	free(l.img);
	return rc;
}

int
vf_predictdb_image_build(const char *path, const VfJson *options,
						 void **image, size_t *size, size_t max_bytes, VfError *err)
{
	Reader		rd;
	int			rc = -1;

	*image = NULL;
	*size = 0;
	memset(&rd, 0, sizeof(rd));
	rd.r.path = path;
	if (read_options(&rd, options, err) < 0)
		return -1;
	if (vf_pdb_db_open(&rd.db, path, err) == 0 &&
		vf_string_pool_init(&rd.r.pool, err) == 0 &&
		read_weights(&rd, err) == 0)
		rc = build_image(&rd, image, size, max_bytes, err);
	vf_pdb_db_close(&rd.db);
	vf_string_pool_free(&rd.r.pool);
	free(rd.r.rows);
	return rc;
}
