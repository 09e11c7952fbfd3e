/*
 * predictdb_fuzz.c: libFuzzer harness for PredictDB rows (load_model of a PrediXcan SQLite
 * file): the weights and extra rows the reader takes in (varIDs, rsIDs, alleles, weights,
 * performance columns, of any SQLite type), the image it builds and scoring from it.
 *
 * Input: byte 0 picks the options (bits 0-1: variant_key auto, varID, rsid, a bad one;
 * bit 2: palindromic skip; bit 3: the old schema without varID); the rest is rows, one per
 * line, tab-separated: a first field "w" (weights) or "e" (extra), then the columns in
 * order. A field starting with \x01 is NULL, \x02 an integer, \x03 a real, \x04 a blob (the
 * rest of the field), anything else text. The rows are written to a fresh SQLite file,
 * which the reader opens as load_model would. Whatever the rows, the build must fail with
 * a clean error or give an image that passes its own check, lists genes that find_gene
 * finds, and scores every gene for a fixed sample without leaving the image.
 *   make fuzz-predictdb FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "varformer/common/json.h"
#include "varformer/scoring/predictdb.h"
#include "varformer/types/genotype_text.h"

#include "../unit/calls_forms.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const v8_schema =
"CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE);"
"CREATE TABLE extra (gene TEXT, genename TEXT, gene_type TEXT, alpha DOUBLE, n_snps_in_window INTEGER,"
" \"n.snps.in.model\" INTEGER, \"pred.perf.R2\" DOUBLE, \"pred.perf.pval\" DOUBLE, \"pred.perf.qval\" DOUBLE);";
static const char *const old_schema =
"CREATE TABLE weights (rsid TEXT, gene TEXT, weight DOUBLE, ref_allele CHARACTER, eff_allele CHARACTER);"
"CREATE TABLE extra (gene TEXT, genename TEXT, \"n.snps.in.model\" INTEGER, \"pred.perf.R2\" DOUBLE,"
" \"pred.perf.pval\" DOUBLE, \"pred.perf.qval\" DOUBLE);";

/* Binds one field (bytes p[0..n)) as parameter i. */
static void
bind_field(sqlite3_stmt *st, int i, const char *p, size_t n)
{
	char		num[64];

	if (n > 0 && p[0] >= 1 && p[0] <= 4)
	{
		size_t		m = n - 1 < sizeof(num) - 1 ? n - 1 : sizeof(num) - 1;

		memcpy(num, p + 1, m);
		num[m] = '\0';
		switch (p[0])
		{
			case 1:
				sqlite3_bind_null(st, i);
				return;
			case 2:
				sqlite3_bind_int64(st, i, strtoll(num, NULL, 10));
				return;
			case 3:
				sqlite3_bind_double(st, i, strtod(num, NULL));
				return;
			default:
				sqlite3_bind_blob(st, i, p + 1, (int) (n - 1), SQLITE_TRANSIENT);
				return;
		}
	}
	sqlite3_bind_text(st, i, p, (int) n, SQLITE_TRANSIENT);
}

/* Writes the rows into a new database at path; false when SQLite itself refuses. */
static bool
write_db(const char *path, bool old, const char *rows, size_t len)
{
	sqlite3    *db;
	sqlite3_stmt *ins[2] = {NULL, NULL};
	bool		ok = false;
	const char *end = rows + len;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto done;
	if (sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
		sqlite3_exec(db, old ? old_schema : v8_schema, NULL, NULL, NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(db, old ? "INSERT INTO weights VALUES (?, ?, ?, ?, ?)"
						   : "INSERT INTO weights VALUES (?, ?, ?, ?, ?, ?)", -1, &ins[0], NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(db, old ? "INSERT INTO extra VALUES (?, ?, ?, ?, ?, ?)"
						   : "INSERT INTO extra VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &ins[1], NULL) != SQLITE_OK)
		goto done;
	for (const char *line = rows; line < end;)
	{
		const char *nl = memchr(line, '\n', (size_t) (end - line));
		const char *stop = nl ? nl : end;
		const char *tab = memchr(line, '\t', (size_t) (stop - line));
		sqlite3_stmt *st;
		int			col = 1;

		if (tab != NULL && (tab - line) == 1 && (line[0] == 'w' || line[0] == 'e'))
		{
			st = ins[line[0] == 'e'];
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			for (const char *f = tab + 1; f <= stop && col <= sqlite3_bind_parameter_count(st); col++)
			{
				const char *t = memchr(f, '\t', (size_t) (stop - f));
				const char *fe = t ? t : stop;

				bind_field(st, col, f, (size_t) (fe - f));
				f = fe + 1;
			}
			(void) sqlite3_step(st);
		}
		line = stop + 1;
	}
	ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
done:
	sqlite3_finalize(ins[0]);
	sqlite3_finalize(ins[1]);
	sqlite3_close(db);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"auto", "varID", "rsid", "chr"};
	static VfCalls *sample[2];
	char		path[64],
				opts[128];
	VfError		err;
	VfJsonDoc  *doc;
	void	   *image = NULL;
	size_t		isize;

	if (size < 1)
		return 0;
	if (sample[0] == NULL)
	{
		/* the fixtures' genes sit on chromosome 22 (varID) and have rs1000-style IDs */
		sample[0] = vf_calls_from_text("22:1-5000 1000:rs1000:C:T:0|1:DS=0.5 1100:rs1100:C:T:1|1 "
									   "1200:rs1200:A:T:0/1 1300:rs1300:G:C,A:1|2 1400:rs1400:C:T:./.", &err);
		sample[1] = vf_calls_from_text("chr1:1-100000000 10583:rs58108140:G:A:0|1 "
									   "13550:rs554008981:G:A:1|1:DS=1.7 30923:rs806731:G:T:1", &err);
		if (sample[0] == NULL || sample[1] == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "/tmp/vf_pdb_fuzz.%d.db", (int) getpid());
	if (!write_db(path, (data[0] & 8) != 0, (const char *) data + 1, size - 1))
		return 0;
	snprintf(opts, sizeof(opts), "{\"variant_key\": \"%s\", \"palindromic\": \"%s\"}",
			 keys[data[0] & 3], data[0] & 4 ? "skip" : "keep");
	doc = vf_json_parse(opts, strlen(opts), &err);
	if (vf_predictdb_image_build(path, vf_json_root(doc), &image, &isize, (size_t) 64 << 20, &err) != 0)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();
	}
	else
	{
		VfPdbInfo	info;
		VfPdbScratch *s;

		if (vf_pdb_image_check(image, isize, &err) != 0)
			abort();			/* built an image its own check refuses */
		vf_pdb_image_info(image, &info);
		if ((s = vf_pdb_scratch_new(image, &err)) == NULL)
			abort();
		for (int k = 0; k < 2; k++)
		{
			bool		set = vf_pdb_scratch_set_calls(s, image, sample[k], &err) == 0;

			for (uint32_t g = 0; g < info.n_gene; g++)
			{
				VfPdbGeneInfo gi;
				VfPdbResult r;
				double		grex;
				uint32_t	n_used;
				int			rc1,
							rc2;

				vf_pdb_gene_info(image, g, &gi);
				if (k == 0 && vf_pdb_find_gene(image, gi.gene, &err) < 0)
					abort();	/* a gene the image lists but cannot find */
				(void) strlen(gi.genename);
				if (!set)
					continue;
				rc1 = vf_pdb_score_gene(image, s, g, &r, &err);
				rc2 = vf_pdb_score_grex(image, s, g, &grex, &n_used, &err);
				if (rc1 != rc2 || (rc1 == 0 && (memcmp(&grex, &r.grex, sizeof(grex)) != 0 ||
												n_used != r.n_used)))
					abort();	/* the two scoring paths disagree */
			}
			if (set && pdb_forms_agree(image, s, sample[k]) == 0)
				abort();		/* the compact form of the calls scores differently */
		}
		vf_pdb_scratch_free(s);
		free(image);
	}
	vf_json_free(doc);
	unlink(path);
	return 0;
}
