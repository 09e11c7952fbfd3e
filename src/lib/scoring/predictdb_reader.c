/*
 * predictdb_reader.c: a PredictDB SQLite file -> a position-independent image (plain C).
 *
 * The file is treated as hostile: it is opened read-only with immutable=1 (no locks, no
 * journal or WAL read: what we load is exactly the main file's bytes, the same bytes the
 * model store hashes), with SQLite's defensive mode on and untrusted schema, and only real
 * tables (never views, which could run arbitrary queries) are read.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "varformer/scoring/predictdb.h"
#include "predictdb_image.h"
#include "predictdb_match.h"

#define MAX_ROWS		50000000u	/* far above any real model (GTEx v8: ~1M rows) */
#define MAX_FIELD_LEN	10000		/* alleles of long indels are the longest fields */

/* ---- a string pool with interning ---- */
typedef struct Pool
{
	char	   *buf;
	size_t		len,
				cap;
	uint32_t   *slots;			/* offset + 1 of interned strings */
	size_t		n_slot,
				n_used;
} Pool;

static int
pool_init(Pool *p, VfError *err)
{
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->buf = malloc(p->cap);
	p->n_slot = 1024;
	p->slots = calloc(p->n_slot, sizeof(uint32_t));
	if (!p->buf || !p->slots)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	p->buf[0] = '\0';			/* offset 0 is the empty string */
	p->len = 1;
	return 0;
}

static void
pool_free(Pool *p)
{
	free(p->buf);
	free(p->slots);
}

static int
pool_grow_slots(Pool *p, VfError *err)
{
	size_t		n = p->n_slot * 2;
	uint32_t   *s = calloc(n, sizeof(uint32_t));

	if (!s)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	for (size_t i = 0; i < p->n_slot; i++)
	{
		if (p->slots[i] == 0)
			continue;
		size_t		j = vf_pdb_hash(p->buf + p->slots[i] - 1, 0) & (n - 1);

		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = s;
	p->n_slot = n;
	return 0;
}

/* Returns the offset of s (len bytes, no NUL inside) in the pool, adding it once. */
static int64_t
pool_intern(Pool *p, const char *s, size_t len, VfError *err)
{
	char		tmp[64];
	char	   *key = len < sizeof(tmp) ? tmp : malloc(len + 1);

	if (len == 0)
		return 0;
	if (!key)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	memcpy(key, s, len);
	key[len] = '\0';
	if ((p->n_used + 1) * 2 > p->n_slot && pool_grow_slots(p, err) < 0)
		goto fail;

	size_t		j = vf_pdb_hash(key, 0) & (p->n_slot - 1);

	while (p->slots[j])
	{
		if (strcmp(p->buf + p->slots[j] - 1, key) == 0)
		{
			int64_t		off = p->slots[j] - 1;

			if (key != tmp)
				free(key);
			return off;
		}
		j = (j + 1) & (p->n_slot - 1);
	}
	if (p->len + len + 1 > UINT32_MAX - 1)
	{
		vf_error(err, VF_ERR_LIMIT, "PredictDB strings exceed 4 GB");
		goto fail;
	}
	if (p->len + len + 1 > p->cap)
	{
		size_t		cap = p->cap;
		char	   *b;

		while (p->len + len + 1 > cap)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
		{
			vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
			goto fail;
		}
		p->buf = b;
		p->cap = cap;
	}

	int64_t		off = p->len;

	memcpy(p->buf + off, key, len + 1);
	p->len += len + 1;
	p->slots[j] = (uint32_t) off + 1;
	p->n_used++;
	if (key != tmp)
		free(key);
	return off;
fail:
	if (key != tmp)
		free(key);
	return -1;
}

#define PSTR(p, off) ((p)->buf + (off))

/* ---- rows as read ---- */
typedef struct Row
{
	uint32_t	gene;
	uint32_t	rsid;
	uint32_t	varid;
	uint32_t	ref;
	uint32_t	eff;
	uint32_t	chrom;			/* normalized, varID keys only */
	uint32_t	vref;			/* the varID's own REF/ALT */
	uint32_t	valt;
	int64_t		pos;
	double		weight;
	uint32_t	variant;		/* index after dedup */
} Row;

typedef struct Reader
{
	sqlite3    *db;
	Pool		pool;
	Row		   *rows;
	size_t		n_row,
				cap_row;
	VfPdbKey	key;
	bool		skip_palindromic;
	uint32_t	n_null_weight,
				n_bad_allele,
				n_duplicate;
	const char *path;
} Reader;

/* Upper-cases an allele in place; false unless it is one or more of A, C, G, T. */
static bool
allele_ok(char *a)
{
	if (a[0] == '\0')
		return false;
	for (char *c = a; *c; c++)
	{
		*c = (char) toupper((unsigned char) *c);
		if (*c != 'A' && *c != 'C' && *c != 'G' && *c != 'T')
			return false;
	}
	return true;
}

/*
 * Parses chr1_1234_C_T_b38 (the build suffix optional; chromosome with or without "chr").
 * ref and alt point into buf (a copy of s); the normalized chromosome goes to chrom[64].
 */
static bool
parse_varid(const char *s, char *buf, size_t bufsize, char *chrom, int64_t *pos,
			char **ref, char **alt)
{
	char	   *f[5];
	int			n = 0;
	char	   *save = NULL,
			   *tok,
			   *end;
	size_t		len = strlen(s);

	if (len == 0 || len >= bufsize)
		return false;
	memcpy(buf, s, len + 1);
	for (tok = strtok_r(buf, "_", &save); tok; tok = strtok_r(NULL, "_", &save))
	{
		if (n == 5)
			return false;
		f[n++] = tok;
	}
	if (n < 4)
		return false;
	errno = 0;
	long long	p = strtoll(f[1], &end, 10);

	if (errno || *end || p < 1 || f[1][0] == '\0')
		return false;
	if (!allele_ok(f[2]) || !allele_ok(f[3]) || strlen(f[0]) >= 60)
		return false;
	vf_pdb_chrom_norm(f[0], chrom, 64);
	if (chrom[0] == '\0')
		return false;
	*pos = p;
	*ref = f[2];
	*alt = f[3];
	return true;
}

static int
sql_fail(Reader *r, VfError *err, const char *what)
{
	int			rc = sqlite3_errcode(r->db);

	if (rc == SQLITE_NOTADB)
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a SQLite database", r->path);
	if (rc == SQLITE_CORRUPT)
		return vf_error(err, VF_ERR_CORRUPT, "PredictDB file \"%s\" is corrupt: %s", r->path,
						sqlite3_errmsg(r->db));
	if (rc == SQLITE_NOMEM)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", r->path);
	return vf_error(err, VF_ERR_IO, "could not %s in PredictDB file \"%s\": %s", what, r->path,
					sqlite3_errmsg(r->db));
}

/* True when `table` exists as a real table (case-insensitive, as SQLite names are). */
static int
table_exists(Reader *r, const char *table, bool *exists, VfError *err)
{
	sqlite3_stmt *st;
	int			rc;

	*exists = false;
	if (sqlite3_prepare_v2(r->db, "SELECT type FROM sqlite_master WHERE lower(name) = lower(?1)",
						   -1, &st, NULL) != SQLITE_OK)
		return sql_fail(r, err, "read the schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
	{
		const char *t = (const char *) sqlite3_column_text(st, 0);
		char		type[16];

		snprintf(type, sizeof(type), "%s", t ? t : "");
		if (strcmp(type, "table") != 0)
		{
			sqlite3_finalize(st);
			return vf_error(err, VF_ERR_DATA, "\"%s\" in PredictDB file \"%s\" is a %s, not a table",
							table, r->path, type);
		}
		*exists = true;
	}
	else if (rc != SQLITE_DONE)
	{
		sqlite3_finalize(st);
		return sql_fail(r, err, "read the schema");
	}
	sqlite3_finalize(st);
	return 0;
}

/* Column names of a table, in order; index of each wanted name or -1. */
static int
find_columns(Reader *r, const char *table, const char *const *want, int n_want, int *idx,
			 char *found, size_t found_size, VfError *err)
{
	char		q[128];
	sqlite3_stmt *st;
	int			col = 0,
				rc;
	size_t		flen = 0;

	for (int i = 0; i < n_want; i++)
		idx[i] = -1;
	found[0] = '\0';
	snprintf(q, sizeof(q), "PRAGMA table_info(\"%s\")", table);
	if (sqlite3_prepare_v2(r->db, q, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(r, err, "read the table columns");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *name = (const char *) sqlite3_column_text(st, 1);

		if (name == NULL)
			name = "";
		for (int i = 0; i < n_want; i++)
			if (idx[i] < 0 && strcasecmp(name, want[i]) == 0)
				idx[i] = col;
		if (flen + strlen(name) + 3 < found_size)
			flen += (size_t) snprintf(found + flen, found_size - flen, "%s%s", flen ? ", " : "", name);
		col++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(r, err, "read the table columns");
	return 0;
}

/* Text of a column, NULL when SQL NULL; refuses over-long fields. */
static const char *
col_text(Reader *r, sqlite3_stmt *st, int col, size_t *len, VfError *err, bool *fail)
{
	const char *s;

	*fail = false;
	if (col < 0 || sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	s = (const char *) sqlite3_column_text(st, col);
	*len = (size_t) sqlite3_column_bytes(st, col);
	if (s == NULL)
	{
		*fail = true;
		sql_fail(r, err, "read a value");
		return NULL;
	}
	if (*len > MAX_FIELD_LEN || strlen(s) != *len)
	{
		*fail = true;
		vf_error(err, VF_ERR_LIMIT, "a field in PredictDB file \"%s\" is longer than %d bytes or holds a NUL byte",
				 r->path, MAX_FIELD_LEN);
		return NULL;
	}
	return s;
}

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

static int
read_options(Reader *r, const VfJson *options, int *key_opt, VfError *err)
{
	const char *k = opt_string(options, "variant_key");
	const char *p = opt_string(options, "palindromic");

	*key_opt = 0;
	if (k == NULL || strcasecmp(k, "auto") == 0)
		*key_opt = 0;
	else if (strcasecmp(k, "varid") == 0)
		*key_opt = VF_PDB_KEY_VARID;
	else if (strcasecmp(k, "rsid") == 0)
		*key_opt = VF_PDB_KEY_RSID;
	else
	{
		vf_error(err, VF_ERR_INVALID, "invalid PredictDB option variant_key \"%s\"", k);
		vf_error_hint(err, "Use \"varID\", \"rsid\" or \"auto\" (a string).");
		return -1;
	}
	if (p == NULL || strcasecmp(p, "keep") == 0)
		r->skip_palindromic = false;
	else if (strcasecmp(p, "skip") == 0)
		r->skip_palindromic = true;
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

static int
read_weights(Reader *r, int key_opt, VfError *err)
{
	static const char *const want[W_NCOL] = {"gene", "rsid", "varID", "ref_allele", "eff_allele", "weight"};
	int			idx[W_NCOL];
	char		found[512],
				q[512];
	bool		exists;
	sqlite3_stmt *st;
	int			rc;
	int			varid_col = -1;
	bool		decided = false;

	if (table_exists(r, "weights", &exists, err) < 0)
		return -1;
	if (!exists)
	{
		vf_error(err, VF_ERR_DATA, "PredictDB file \"%s\" has no table \"weights\"", r->path);
		vf_error_hint(err, "A PredictDB model has tables weights(rsid, gene, weight, ref_allele, eff_allele[, varID]) and extra(gene, genename, ...).");
		return -1;
	}
	if (find_columns(r, "weights", want, W_NCOL, idx, found, sizeof(found), err) < 0)
		return -1;
	for (int i = 0; i < W_NCOL; i++)
	{
		if (i == W_VARID || idx[i] >= 0)
			continue;
		if (i == W_RSID && idx[W_VARID] >= 0)
			continue;			/* newer files may rely on varID alone */
		vf_error(err, VF_ERR_DATA, "table \"weights\" in PredictDB file \"%s\" has no column \"%s\"",
				 r->path, want[i]);
		vf_error_detail(err, "Its columns are: %s.", found);
		return -1;
	}
	if (key_opt == VF_PDB_KEY_RSID && idx[W_RSID] < 0)
		return vf_error(err, VF_ERR_INVALID, "variant_key \"rsid\" asked, but table \"weights\" in \"%s\" has no rsid column",
						r->path);

	/* Columns by position in the select list: gene, rsid, varID, ref, eff, weight. */
	snprintf(q, sizeof(q), "SELECT %s, %s, %s, %s, %s, %s FROM \"weights\"",
			 "\"gene\"", idx[W_RSID] >= 0 ? "\"rsid\"" : "NULL",
			 idx[W_VARID] >= 0 ? "\"varID\"" : "NULL", "\"ref_allele\"", "\"eff_allele\"", "\"weight\"");
	if (sqlite3_prepare_v2(r->db, q, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(r, err, "read table weights");

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		size_t		glen = 0,
					rlen = 0,
					vlen = 0,
					alen = 0,
					elen = 0;
		bool		fail;
		const char *gene,
				   *rsid,
				   *varid,
				   *ref,
				   *eff;
		char		refb[MAX_FIELD_LEN + 1],
					effb[MAX_FIELD_LEN + 1];
		double		w;
		Row			row;

		memset(&row, 0, sizeof(row));
		gene = col_text(r, st, 0, &glen, err, &fail);
		if (fail)
			goto fail;
		rsid = col_text(r, st, 1, &rlen, err, &fail);
		if (fail)
			goto fail;
		varid = col_text(r, st, 2, &vlen, err, &fail);
		if (fail)
			goto fail;
		ref = col_text(r, st, 3, &alen, err, &fail);
		if (fail)
			goto fail;
		eff = col_text(r, st, 4, &elen, err, &fail);
		if (fail)
			goto fail;
		if (gene == NULL || glen == 0)
		{
			vf_error(err, VF_ERR_DATA, "a row of table \"weights\" in PredictDB file \"%s\" has no gene (variant \"%s\")",
					 r->path, rsid ? rsid : varid ? varid : "");
			goto fail;
		}

		/* The weight: NULL is a documented skip; anything else must be a finite number. */
		switch (sqlite3_column_type(st, 5))
		{
			case SQLITE_NULL:
				r->n_null_weight++;
				continue;
			case SQLITE_INTEGER:
			case SQLITE_FLOAT:
				w = sqlite3_column_double(st, 5);
				break;
			default:
				{
					size_t		tl;
					const char *t = col_text(r, st, 5, &tl, err, &fail);
					char	   *end;

					if (fail)
						goto fail;
					errno = 0;
					w = t ? strtod(t, &end) : NAN;
					if (t == NULL || end == t || errno != 0)
					{
						vf_error(err, VF_ERR_DATA, "non-numeric weight \"%s\" for gene \"%s\", variant \"%s\" in PredictDB file \"%s\"",
								 t ? t : "", gene, rsid ? rsid : varid ? varid : "", r->path);
						goto fail;
					}
					while (isspace((unsigned char) *end))
						end++;
					if (*end)
					{
						vf_error(err, VF_ERR_DATA, "non-numeric weight \"%s\" for gene \"%s\", variant \"%s\" in PredictDB file \"%s\"",
								 t, gene, rsid ? rsid : varid ? varid : "", r->path);
						goto fail;
					}
				}
		}
		if (!isfinite(w))
		{
			vf_error(err, VF_ERR_DATA, "weight %g for gene \"%s\", variant \"%s\" in PredictDB file \"%s\" is not finite",
					 w, gene, rsid ? rsid : varid ? varid : "", r->path);
			goto fail;
		}

		/* Alleles: a documented skip (counted) when not bases; PrediXcan cannot match them. */
		if (ref == NULL || eff == NULL)
		{
			r->n_bad_allele++;
			continue;
		}
		memcpy(refb, ref, alen + 1);
		memcpy(effb, eff, elen + 1);
		if (!allele_ok(refb) || !allele_ok(effb))
		{
			r->n_bad_allele++;
			continue;
		}

		/* The key, decided from the first row unless an option says. */
		if (!decided)
		{
			char		vb[MAX_FIELD_LEN + 1];
			char		c[64];
			char	   *a1,
					   *a2;
			int64_t		p;

			if (key_opt == VF_PDB_KEY_RSID)
				r->key = VF_PDB_KEY_RSID;
			else if (varid && parse_varid(varid, vb, sizeof(vb), c, &p, &a1, &a2))
			{
				r->key = VF_PDB_KEY_VARID;
				varid_col = 2;
			}
			else if (rsid && parse_varid(rsid, vb, sizeof(vb), c, &p, &a1, &a2))
			{
				r->key = VF_PDB_KEY_VARID;	/* e.g. GTEx v8 MASHR: varIDs in the rsid column */
				varid_col = 1;
			}
			else if (key_opt == VF_PDB_KEY_VARID)
			{
				vf_error(err, VF_ERR_DATA, "variant_key \"varID\" asked, but \"%s\" in PredictDB file \"%s\" is not a varID",
						 varid ? varid : rsid ? rsid : "", r->path);
				vf_error_hint(err, "A varID looks like chr1_1234_C_T_b38.");
				goto fail;
			}
			else
				r->key = VF_PDB_KEY_RSID;
			decided = true;
		}

		if (r->key == VF_PDB_KEY_VARID)
		{
			const char *v = varid_col == 2 ? varid : rsid;
			char		vb[MAX_FIELD_LEN + 1];
			char		c[64];
			char	   *a1,
					   *a2;
			int64_t		p,
						o;

			if (v == NULL || !parse_varid(v, vb, sizeof(vb), c, &p, &a1, &a2))
			{
				vf_error(err, VF_ERR_DATA, "variant \"%s\" of gene \"%s\" in PredictDB file \"%s\" is not a varID",
						 v ? v : "", gene, r->path);
				vf_error_hint(err, "A varID looks like chr1_1234_C_T_b38; use {\"variant_key\": \"rsid\"} to match by rsID.");
				goto fail;
			}
			row.pos = p;
			if ((o = pool_intern(&r->pool, c, strlen(c), err)) < 0)
				goto fail;
			row.chrom = (uint32_t) o;
			if ((o = pool_intern(&r->pool, a1, strlen(a1), err)) < 0)
				goto fail;
			row.vref = (uint32_t) o;
			if ((o = pool_intern(&r->pool, a2, strlen(a2), err)) < 0)
				goto fail;
			row.valt = (uint32_t) o;
		}
		else if (rsid == NULL || rlen == 0)
		{
			vf_error(err, VF_ERR_DATA, "a row of gene \"%s\" in PredictDB file \"%s\" has no rsid", gene, r->path);
			goto fail;
		}

		{
			int64_t		o;

			if ((o = pool_intern(&r->pool, gene, glen, err)) < 0)
				goto fail;
			row.gene = (uint32_t) o;
			if ((o = rsid ? pool_intern(&r->pool, rsid, rlen, err) : 0) < 0)
				goto fail;
			row.rsid = (uint32_t) o;
			if ((o = varid ? pool_intern(&r->pool, varid, vlen, err) : 0) < 0)
				goto fail;
			row.varid = (uint32_t) o;
			if ((o = pool_intern(&r->pool, refb, alen, err)) < 0)
				goto fail;
			row.ref = (uint32_t) o;
			if ((o = pool_intern(&r->pool, effb, elen, err)) < 0)
				goto fail;
			row.eff = (uint32_t) o;
		}
		row.weight = w;
		if (r->n_row == r->cap_row)
		{
			size_t		cap = r->cap_row ? r->cap_row * 2 : 1024;
			Row		   *nr;

			if (r->n_row >= MAX_ROWS)
			{
				vf_error(err, VF_ERR_LIMIT, "PredictDB file \"%s\" has more than %u weight rows", r->path, MAX_ROWS);
				goto fail;
			}
			nr = realloc(r->rows, cap * sizeof(Row));
			if (!nr)
			{
				vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", r->path);
				goto fail;
			}
			r->rows = nr;
			r->cap_row = cap;
		}
		r->rows[r->n_row++] = row;
	}
	if (rc != SQLITE_DONE)
	{
		sql_fail(r, err, "read table weights");
		goto fail;
	}
	sqlite3_finalize(st);
	if (!decided)
		r->key = key_opt ? (VfPdbKey) key_opt : (idx[W_VARID] >= 0 ? VF_PDB_KEY_VARID : VF_PDB_KEY_RSID);
	return 0;
fail:
	sqlite3_finalize(st);
	return -1;
}

/* qsort has no context argument: the pool being sorted against. */
static const Pool *sort_pool;
static VfPdbKey sort_key;

static int
cmp_variant(const void *a, const void *b)
{
	const Row  *x = a,
			   *y = b;
	int			c;

	if (sort_key == VF_PDB_KEY_VARID)
	{
		if ((c = strcmp(PSTR(sort_pool, x->chrom), PSTR(sort_pool, y->chrom))) != 0)
			return c;
		if (x->pos != y->pos)
			return x->pos < y->pos ? -1 : 1;
	}
	else if ((c = strcmp(PSTR(sort_pool, x->rsid), PSTR(sort_pool, y->rsid))) != 0)
		return c;
	if ((c = strcmp(PSTR(sort_pool, x->ref), PSTR(sort_pool, y->ref))) != 0)
		return c;
	return strcmp(PSTR(sort_pool, x->eff), PSTR(sort_pool, y->eff));
}

static bool
same_key(const Reader *r, const Row *x, const Row *y)
{
	if (r->key == VF_PDB_KEY_VARID)
		return x->chrom == y->chrom && x->pos == y->pos;	/* interned: offsets compare */
	return x->rsid == y->rsid;
}

static int
cmp_gene_variant(const void *a, const void *b)
{
	const Row  *x = a,
			   *y = b;
	int			c = strcmp(PSTR(sort_pool, x->gene), PSTR(sort_pool, y->gene));

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

typedef struct ExtraRow
{
	bool		seen;
	uint32_t	name;
	int32_t		n_snps;
	double		r2,
				pval,
				qval;
} ExtraRow;

enum
{
	X_GENE, X_NAME, X_NSNPS, X_R2, X_PVAL, X_QVAL, X_NCOL
};

static double
col_double(sqlite3_stmt *st, int col)
{
	int			t = sqlite3_column_type(st, col);

	if (t == SQLITE_INTEGER || t == SQLITE_FLOAT)
		return sqlite3_column_double(st, col);
	return NAN;					/* NULL, 'NA' text: absent */
}

/*
 * Reads `extra` (optional: older tools wrote it, all known files have it) for the genes we
 * kept; genes are looked up through the image's own exact-id hash.
 */
static int
read_extra(Reader *r, char *img, ExtraRow *extra, bool *have_extra, VfError *err)
{
	static const char *const want[X_NCOL] = {"gene", "genename", "n.snps.in.model", "pred.perf.R2",
	"pred.perf.pval", "pred.perf.qval"};
	int			idx[X_NCOL];
	char		found[512],
				q[512];
	bool		exists;
	sqlite3_stmt *st;
	int			rc;
	const VfPdbHeader *h = (const VfPdbHeader *) img;

	*have_extra = false;
	if (table_exists(r, "extra", &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	if (find_columns(r, "extra", want, X_NCOL, idx, found, sizeof(found), err) < 0)
		return -1;
	if (idx[X_GENE] < 0)
	{
		vf_error(err, VF_ERR_DATA, "table \"extra\" in PredictDB file \"%s\" has no column \"gene\"", r->path);
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
	if (sqlite3_prepare_v2(r->db, q, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(r, err, "read table extra");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		size_t		len = 0;
		bool		fail;
		const char *gene = col_text(r, st, 0, &len, err, &fail);
		const uint32_t *tab = VF_PDB_TABLE(img, h->off_gene_hash);
		const VfPdbGene *genes = (const VfPdbGene *) (img + h->off_gene);
		uint32_t	mask = h->gene_slots - 1;

		if (fail)
			goto fail;
		if (gene == NULL)
			continue;
		for (uint32_t j = vf_pdb_hash(gene, 0) & mask; tab[j]; j = (j + 1) & mask)
		{
			uint32_t	g = tab[j] - 1;

			if (strcmp(PSTR(&r->pool, genes[g].id), gene) != 0)
				continue;
			if (!extra[g].seen)
			{
				const char *name = col_text(r, st, 1, &len, err, &fail);
				int64_t		o;

				if (fail)
					goto fail;
				if ((o = name ? pool_intern(&r->pool, name, len, err) : 0) < 0)
					goto fail;
				extra[g].seen = true;
				extra[g].name = (uint32_t) o;
				extra[g].n_snps = sqlite3_column_type(st, 2) == SQLITE_INTEGER ||
					sqlite3_column_type(st, 2) == SQLITE_FLOAT ?
					(int32_t) sqlite3_column_int(st, 2) : -1;
				extra[g].r2 = col_double(st, 3);
				extra[g].pval = col_double(st, 4);
				extra[g].qval = col_double(st, 5);
			}
			break;
		}
	}
	if (rc != SQLITE_DONE)
	{
		sql_fail(r, err, "read table extra");
		goto fail;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	return -1;
}

static void
hash_insert(uint32_t *tab, uint32_t slots, uint64_t h, uint32_t value)
{
	uint32_t	j = h & (slots - 1);

	while (tab[j])
		j = (j + 1) & (slots - 1);
	tab[j] = value;
}

static int
build_image(Reader *r, void **image, size_t *size, size_t max_bytes, VfError *err)
{
	size_t		n_gene = 0,
				n_variant = 0,
				n_weight = 0;
	size_t		off_gene,
				off_weight,
				off_variant,
				off_gene_hash,
				off_base_hash,
				off_var_hash,
				off_strings,
				total;
	uint32_t	gene_slots,
				var_slots;
	char	   *img;
	VfPdbHeader *h;
	VfPdbGene  *genes;
	VfPdbWeight *weights;
	VfPdbVariant *vars;
	ExtraRow   *extra = NULL;
	bool		have_extra;

	if (r->n_row == 0)
	{
		vf_error(err, VF_ERR_DATA, "PredictDB file \"%s\" has no usable weights", r->path);
		vf_error_detail(err, "%u rows had a NULL weight, %u alleles that are not bases.",
						r->n_null_weight, r->n_bad_allele);
		return -1;
	}

	/* Distinct variants, in key order so that equal keys form runs. */
	sort_pool = &r->pool;
	sort_key = r->key;
	qsort(r->rows, r->n_row, sizeof(Row), cmp_variant);
	for (size_t i = 0; i < r->n_row; i++)
	{
		if (i > 0 && cmp_variant(&r->rows[i - 1], &r->rows[i]) == 0)
			r->rows[i].variant = r->rows[i - 1].variant;
		else
			r->rows[i].variant = (uint32_t) n_variant++;
	}
	/* remember one row per variant before re-sorting by gene */
	Row		   *vrow = malloc(n_variant * sizeof(Row));

	if (!vrow)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading PredictDB file \"%s\"", r->path);
	for (size_t i = 0; i < r->n_row; i++)
		vrow[r->rows[i].variant] = r->rows[i];

	/* Weights by gene; a repeated (gene, variant) is skipped if identical, else refused. */
	qsort(r->rows, r->n_row, sizeof(Row), cmp_gene_variant);
	for (size_t i = 0; i < r->n_row; i++)
	{
		if (i > 0 && r->rows[i].gene == r->rows[i - 1].gene &&
			r->rows[i].variant == r->rows[i - 1].variant)
		{
			if (r->rows[i].weight != r->rows[i - 1].weight)
			{
				const Row  *x = &r->rows[i];

				vf_error(err, VF_ERR_DATA, "gene \"%s\" has variant \"%s\" (%s/%s) twice with different weights (%.17g, %.17g) in PredictDB file \"%s\"",
						 PSTR(&r->pool, x->gene), PSTR(&r->pool, x->varid ? x->varid : x->rsid),
						 PSTR(&r->pool, x->ref), PSTR(&r->pool, x->eff),
						 r->rows[i - 1].weight, x->weight, r->path);
				free(vrow);
				return -1;
			}
			r->n_duplicate++;
			r->rows[i].variant = UINT32_MAX;	/* dropped below */
			continue;
		}
		if (i == 0 || r->rows[i].gene != r->rows[i - 1].gene)
			n_gene++;
		n_weight++;
	}
	if (n_gene > UINT32_MAX / 4)
	{
		free(vrow);
		return vf_error(err, VF_ERR_LIMIT, "too many genes in PredictDB file \"%s\"", r->path);
	}

	gene_slots = slots_for(n_gene);
	var_slots = r->key == VF_PDB_KEY_RSID ? slots_for(n_variant) : 1;
	off_gene = align64(sizeof(VfPdbHeader));
	off_weight = align64(off_gene + n_gene * sizeof(VfPdbGene));
	off_variant = align64(off_weight + n_weight * sizeof(VfPdbWeight));
	off_gene_hash = align64(off_variant + n_variant * sizeof(VfPdbVariant));
	off_base_hash = align64(off_gene_hash + (size_t) gene_slots * 4);
	off_var_hash = align64(off_base_hash + (size_t) gene_slots * 4);
	off_strings = align64(off_var_hash + (size_t) var_slots * 4);
	total = align64(off_strings + r->pool.len + 1);	/* +1: room for the empty string */
	if (max_bytes && total > max_bytes)
	{
		free(vrow);
		vf_error(err, VF_ERR_LIMIT, "PredictDB model \"%s\" needs %zu bytes, more than the limit of %zu",
				 r->path, total, max_bytes);
		return -1;
	}
	img = calloc(1, total);
	extra = calloc(n_gene ? n_gene : 1, sizeof(ExtraRow));
	if (!img || !extra)
	{
		free(img);
		free(extra);
		free(vrow);
		return vf_error(err, VF_ERR_NOMEM, "out of memory building PredictDB model from \"%s\"", r->path);
	}
	h = (VfPdbHeader *) img;
	memcpy(h->magic, VF_PDB_MAGIC, sizeof(h->magic));
	h->key = r->key;
	h->skip_palindromic = r->skip_palindromic;
	h->n_gene = (uint32_t) n_gene;
	h->n_weight = (uint32_t) n_weight;
	h->n_variant = (uint32_t) n_variant;
	h->gene_slots = gene_slots;
	h->var_slots = var_slots;
	h->n_null_weight = r->n_null_weight;
	h->n_bad_allele = r->n_bad_allele;
	h->n_duplicate = r->n_duplicate;
	h->off_gene = off_gene;
	h->off_weight = off_weight;
	h->off_variant = off_variant;
	h->off_gene_hash = off_gene_hash;
	h->off_base_hash = off_base_hash;
	h->off_var_hash = off_var_hash;
	h->off_strings = off_strings;
	h->size_strings = r->pool.len;
	h->total_size = total;
	memcpy(img + off_strings, r->pool.buf, r->pool.len);

	genes = (VfPdbGene *) (img + off_gene);
	weights = (VfPdbWeight *) (img + off_weight);
	vars = (VfPdbVariant *) (img + off_variant);

	/* variants and their key hash */
	{
		uint32_t   *vtab = (uint32_t *) (img + off_var_hash);

		for (size_t v = 0; v < n_variant; v++)
		{
			const Row  *x = &vrow[v];
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
				/* varID keys are found by merging positions; rsIDs need the hash */
				if (r->key == VF_PDB_KEY_RSID)
					hash_insert(vtab, var_slots, vf_pdb_hash(PSTR(&r->pool, x->rsid), 0), (uint32_t) v + 1);
			}
			if (r->key == VF_PDB_KEY_VARID)
			{
				const char *a = PSTR(&r->pool, x->vref),
						   *b = PSTR(&r->pool, x->valt);
				VfPdbMatch	m = vf_pdb_match_alleles(a, b, PSTR(&r->pool, x->ref), PSTR(&r->pool, x->eff));

				if (r->skip_palindromic && vf_pdb_is_palindromic(a, b))
					m = VF_PDB_MATCH_NONE;
				d->homref_match = (uint8_t) m;
				d->homref_dosage = (m == VF_PDB_MATCH_SWAP || m == VF_PDB_MATCH_COMP_SWAP) ? 2.0f : 0.0f;
			}
		}
	}

	/* genes, weights and the two gene hashes */
	{
		uint32_t   *gtab = (uint32_t *) (img + off_gene_hash);
		size_t		g = 0,
					w = 0;

		for (size_t i = 0; i < r->n_row; i++)
		{
			const Row  *x = &r->rows[i];

			if (x->variant == UINT32_MAX)
				continue;
			if (w == 0 || x->gene != genes[g - 1].id)
			{
				VfPdbGene  *d = &genes[g++];
				const char *id = PSTR(&r->pool, x->gene);

				d->id = x->gene;
				d->first_weight = (uint32_t) w;
				d->n_snps_in_model = -1;
				d->r2 = d->pval = d->qval = NAN;
				hash_insert(gtab, gene_slots, vf_pdb_hash(id, 0), (uint32_t) g);
			}
			genes[g - 1].n_weight++;
			weights[w].weight = x->weight;
			weights[w].variant = x->variant;
			w++;
		}
	}
	/* Unversioned ids; an id shared by several versioned genes is marked, not guessed. */
	{
		uint32_t   *btab = (uint32_t *) (img + off_base_hash);
		uint32_t	mask = gene_slots - 1;

		for (size_t i = 0; i < n_gene; i++)
		{
			const char *id = PSTR(&r->pool, genes[i].id);
			size_t		bl = vf_pdb_gene_base_len(id);
			uint32_t	j;
			bool		dup = false;

			for (j = vf_pdb_hash_n(id, bl) & mask; btab[j]; j = (j + 1) & mask)
			{
				const char *oid = PSTR(&r->pool, genes[(btab[j] & ~VF_PDB_AMBIG_BIT) - 1].id);

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

	if (read_extra(r, img, extra, &have_extra, err) < 0)
	{
		free(img);
		free(extra);
		free(vrow);
		return -1;
	}
	/* extra may have added strings (gene names): the pool moved on; lay it out again */
	if (r->pool.len + 1 > total - off_strings)
	{
		size_t		ntotal = align64(off_strings + r->pool.len + 1);
		char	   *n;

		if (max_bytes && ntotal > max_bytes)
		{
			free(img);
			free(extra);
			free(vrow);
			return vf_error(err, VF_ERR_LIMIT, "PredictDB model \"%s\" needs %zu bytes, more than the limit of %zu",
							r->path, ntotal, max_bytes);
		}
		n = realloc(img, ntotal);
		if (!n)
		{
			free(img);
			free(extra);
			free(vrow);
			return vf_error(err, VF_ERR_NOMEM, "out of memory building PredictDB model from \"%s\"", r->path);
		}
		memset(n + total, 0, ntotal - total);
		img = n;
		total = ntotal;
		h = (VfPdbHeader *) img;
		genes = (VfPdbGene *) (img + off_gene);
		h->total_size = total;
	}
	memcpy(img + off_strings, r->pool.buf, r->pool.len);
	h->size_strings = r->pool.len;
	for (size_t i = 0; i < n_gene; i++)
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
	free(extra);
	free(vrow);
	*image = img;
	*size = total;
	return 0;
}

/* file:<path>?immutable=1 with the path percent-encoded where URIs need it. */
static char *
make_uri(const char *path)
{
	size_t		n = strlen(path);
	char	   *u = malloc(n * 3 + 32);
	char	   *o = u;

	if (!u)
		return NULL;
	o += sprintf(o, "file:");
	for (const char *c = path; *c; c++)
	{
		unsigned char ch = (unsigned char) *c;

		if (ch == '%' || ch == '?' || ch == '#' || ch < 0x21 || ch >= 0x7f)
			o += sprintf(o, "%%%02X", ch);
		else
			*o++ = (char) ch;
	}
	strcpy(o, "?immutable=1");
	return u;
}

int
vf_predictdb_image_build(const char *path, const VfJson *options,
						 void **image, size_t *size, size_t max_bytes, VfError *err)
{
	Reader		r;
	int			key_opt;
	int			rc = -1;
	char		magic[16];
	FILE	   *f;
	char	   *uri;

	*image = NULL;
	*size = 0;
	memset(&r, 0, sizeof(r));
	r.path = path;
	if (read_options(&r, options, &key_opt, err) < 0)
		return -1;

	/* SQLite only says "not a database" at the first query; say it plainly up front. */
	f = fopen(path, "rb");
	if (f == NULL)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not open PredictDB file \"%s\": %s", path, strerror(errno));
	if (fread(magic, 1, 16, f) != 16 || memcmp(magic, "SQLite format 3", 16) != 0)
	{
		fclose(f);
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a SQLite database", path);
		vf_error_hint(err, "load_model reads PredictDB models as SQLite .db files.");
		return -1;
	}
	fclose(f);

	if (pool_init(&r.pool, err) < 0)
		goto done;
	uri = make_uri(path);
	if (!uri)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (sqlite3_open_v2(uri, &r.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
						NULL) != SQLITE_OK)
	{
		free(uri);
		if (r.db)
			sql_fail(&r, err, "open the database");
		else
			vf_error(err, VF_ERR_NOMEM, "out of memory opening \"%s\"", path);
		goto done;
	}
	free(uri);
	sqlite3_db_config(r.db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(r.db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
#endif
	sqlite3_limit(r.db, SQLITE_LIMIT_LENGTH, 1000000);

	if (read_weights(&r, key_opt, err) < 0)
		goto done;
	rc = build_image(&r, image, size, max_bytes, err);
done:
	if (r.db)
		sqlite3_close(r.db);
	pool_free(&r.pool);
	free(r.rows);
	return rc;
}
