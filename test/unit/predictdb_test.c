/*
 * predictdb_test.c: PredictDB images and PrediXcan scoring outside the server.
 * Run from the repository root (fixtures by relative path), by test/checks/60_predictdb_unit.sh.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/scoring/ensemble.h"
#include "varformer/scoring/predictdb.h"

#include "calls_forms.h"

static int	failures = 0;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)
#define NEAR(a, b) CHECK(fabs((a) - (b)) < 1e-9)
#define FIX "test/fixtures/predictdb/"

static int	forms_compared = 0;

/*
 * vf_pdb_scratch_set_calls, and for a varID-keyed model the same calls stored and matched in
 * the compact form (what predict_expression runs): every gene must score the same.
 */
static int
set_calls(VfPdbScratch *s, const void *img, const VfCalls *calls, VfError *err)
{
	int			rc = vf_pdb_scratch_set_calls(s, img, calls, err);

	if (rc == 0)
	{
		int			agree = pdb_forms_agree(img, s, calls);

		CHECK(agree != 0);
		forms_compared += agree == 1;
	}
	return rc;
}

/* vf_pdb_score_grex is vf_pdb_score_gene's grex bit for bit, and fails where it fails */
static int
grex_agrees(const void *img, const VfPdbScratch *s, int64_t g)
{
	VfPdbResult r;
	VfError		e;
	double		x;
	uint32_t	n_used;

	if (vf_pdb_score_gene(img, s, (uint32_t) g, &r, &e) < 0)
		return vf_pdb_score_grex(img, s, (uint32_t) g, &x, &n_used, &e) < 0;
	return vf_pdb_score_grex(img, s, (uint32_t) g, &x, &n_used, &e) == 0 &&
		memcmp(&x, &r.grex, sizeof(x)) == 0 && n_used == r.n_used;
}

static void *
build(const char *file, const char *json, size_t *size, VfError *err)
{
	void	   *img = NULL;
	VfJsonDoc  *doc = NULL;
	int			rc;

	if (json)
	{
		doc = vf_json_parse(json, strlen(json), err);
		if (!doc)
			return NULL;
	}
	rc = vf_predictdb_image_build(file, doc ? vf_json_root(doc) : NULL, &img, size, 0, err);
	vf_json_free(doc);
	if (rc < 0)
		return NULL;
	/* position independence: score from a copy at another address, the original gone */
	void	   *copy = malloc(*size);

	memcpy(copy, img, *size);
	memset(img, 0xAB, *size);
	free(img);
	return copy;
}

static void
expect_fail(const char *file, const char *json, VfErrCode code, const char *substr)
{
	VfError		err;
	size_t		size;
	void	   *img = build(file, json, &size, &err);

	if (img != NULL || err.code != code || strstr(err.msg, substr) == NULL)
	{
		printf("FAIL %s: expected error %d containing \"%s\", got %s (%d: %s)\n", file, code, substr,
			   img ? "success" : "error", img ? 0 : err.code, img ? "" : err.msg);
		failures++;
	}
	else
		printf("ok   %s: %s\n", file, err.msg);
	free(img);
}

static void
test_rules(void)
{
	CHECK(vf_pdb_match_alleles("C", "T", "C", "T") == VF_PDB_MATCH_EXACT);
	CHECK(vf_pdb_match_alleles("C", "T", "T", "C") == VF_PDB_MATCH_SWAP);
	CHECK(vf_pdb_match_alleles("C", "T", "G", "A") == VF_PDB_MATCH_COMP);
	CHECK(vf_pdb_match_alleles("C", "T", "A", "G") == VF_PDB_MATCH_COMP_SWAP);
	CHECK(vf_pdb_match_alleles("C", "T", "C", "G") == VF_PDB_MATCH_NONE);
	CHECK(vf_pdb_match_alleles("A", "T", "A", "T") == VF_PDB_MATCH_EXACT);
	CHECK(vf_pdb_match_alleles("A", "T", "T", "A") == VF_PDB_MATCH_SWAP);	/* swap before complement */
	CHECK(vf_pdb_match_alleles("C", "CT", "C", "CT") == VF_PDB_MATCH_EXACT);
	CHECK(vf_pdb_match_alleles("C", "CT", "CT", "C") == VF_PDB_MATCH_NONE);	/* indel swap */
	CHECK(vf_pdb_match_alleles("C", "CT", "G", "GA") == VF_PDB_MATCH_COMP);
	CHECK(vf_pdb_match_alleles("C", "CT", "GA", "G") == VF_PDB_MATCH_NONE);
	CHECK(vf_pdb_match_alleles("C", "*", "C", "T") == VF_PDB_MATCH_NONE);

	/*
	 * Every pair of single bases against every model pair (the scorer decides these without
	 * branching on the bases): README's table, rule by rule, first match wins.
	 */
	{
		static const char bases[] = "ACGTN";
		static const char comp[] = "TGCA?";
		int			wrong = 0;

		for (int i = 0; i < 625; i++)
		{
			int			r = i % 5,
						a = i / 5 % 5,
						m0 = i / 25 % 5,
						m1 = i / 125;
			char		gr[2] = {bases[r], 0},
						ga[2] = {bases[a], 0},
						mr[2] = {bases[m0], 0},
						me[2] = {bases[m1], 0};
			bool		comps = m0 < 4 && m1 < 4;
			VfPdbMatch	want = r == m0 && a == m1 ? VF_PDB_MATCH_EXACT
				: r == m1 && a == m0 ? VF_PDB_MATCH_SWAP
				: comps && bases[r] == comp[m0] && bases[a] == comp[m1] ? VF_PDB_MATCH_COMP
				: comps && bases[r] == comp[m1] && bases[a] == comp[m0] ? VF_PDB_MATCH_COMP_SWAP
				: VF_PDB_MATCH_NONE;

			wrong += vf_pdb_match_alleles(gr, ga, mr, me) != want;
		}
		CHECK(wrong == 0);
	}

	char		b[16];

	CHECK(strcmp(vf_pdb_chrom_norm("chr22", b, sizeof(b)), "22") == 0);
	CHECK(strcmp(vf_pdb_chrom_norm("CHRX", b, sizeof(b)), "X") == 0);
	CHECK(strcmp(vf_pdb_chrom_norm("chrM", b, sizeof(b)), "MT") == 0);
	CHECK(strcmp(vf_pdb_chrom_norm("1", b, sizeof(b)), "1") == 0);
}

/* One sample, hand-made calls over 22:1-5000 (chromosome named without "chr"). */
static const char *A_CT[] = {"C", "T"};
static const char *A_AT[] = {"A", "T"};
static const char *A_CTG[] = {"C", "T", "G"};
static const char *A_C_CT[] = {"C", "CT"};
static const float DS_07[] = {0.75f};
static const float DS_MULTI[] = {0.5f, 1.25f};
static const float DS_NAN[] = {NAN};

static void
test_score_v8(void)
{
	VfError		err;
	size_t		size;
	void	   *img = build(FIX "rules_v8.db", NULL, &size, &err);
	VfPdbInfo	info;
	VfPdbResult r;

	if (!img)
	{
		printf("FAIL rules_v8.db: %s\n", err.msg);
		failures++;
		return;
	}
	CHECK(vf_pdb_image_check(img, size, &err) == 0);
	CHECK(vf_pdb_image_check(img, size - 64, &err) < 0);
	vf_pdb_image_info(img, &info);
	CHECK(info.key == VF_PDB_KEY_VARID);
	CHECK(info.n_gene == 6);
	CHECK(info.n_weight == 32);
	CHECK(info.n_variant == 31);	/* rs1000 is shared by GENEA and GENEB */

	int64_t		ga = vf_pdb_find_gene(img, "ENSG00000000001.5", &err);

	CHECK(ga >= 0);
	CHECK(vf_pdb_find_gene(img, "ENSG00000000001", &err) == ga);
	CHECK(vf_pdb_find_gene(img, "ENSG00000000001.7", &err) == ga);
	CHECK(vf_pdb_find_gene(img, "ENSG00000000099", &err) == -1);
	CHECK(vf_pdb_find_gene(img, "", &err) == -1);
	/* gene names (extra.genename), case-insensitively: the one rule of find_gene */
	CHECK(vf_pdb_find_gene(img, "GENEA", &err) == ga);
	CHECK(vf_pdb_find_gene(img, "genea", &err) == ga);
	CHECK(vf_pdb_find_gene(img, "GENEZ", &err) == -1);

	VfPdbGeneInfo gi;

	vf_pdb_gene_info(img, (uint32_t) ga, &gi);
	CHECK(strcmp(gi.genename, "GENEA") == 0);
	CHECK(gi.n_weight == 4 && gi.n_snps_in_model == 4);

	/*
	 * GENEA: 1000 C/T exact (w1), 1100 model T/C swapped (w2), 1200 model G/A complement
	 * (w3), 1300 model A/G complement+swap (w4). The sample: 1000 DS 0.75, 1100 GT 0|1,
	 * 1200 unlisted (hom-ref by the varID C_T: complement, d = 0), 1300 GT 1|1.
	 */
	VfCall		calls[] = {
		{.pos = 1000, .id = "rs1000", .n_allele = 2, .allele = A_CT, .gt = {0, 1}, .phased = true, .ds = DS_07},
		{.pos = 1100, .id = "rs1100", .n_allele = 2, .allele = A_CT, .gt = {0, 1}, .phased = true},
		{.pos = 1300, .id = "rs1300", .n_allele = 2, .allele = A_CT, .gt = {1, 1}, .phased = true},
		{.pos = 1500, .id = "rs1500", .n_allele = 2, .allele = A_AT, .gt = {1, 1}, .phased = true},
		{.pos = 1600, .id = "rs1600", .n_allele = 2, .allele = A_AT, .gt = {0, 1}, .phased = true},
		{.pos = 1700, .id = "rs1700", .n_allele = 2, .allele = A_C_CT, .gt = {0, 1}, .phased = true},
		{.pos = 1800, .id = "rs1800", .n_allele = 2, .allele = A_C_CT, .gt = {1, 1}, .phased = true},
		{.pos = 2000, .id = "rs2000", .n_allele = 3, .allele = A_CTG, .gt = {1, 2}, .phased = true, .ds = DS_MULTI},
		{.pos = 2200, .id = "rs2200", .n_allele = 2, .allele = A_CT, .gt = {VF_ALLELE_MISSING, VF_ALLELE_MISSING}},
		{.pos = 2300, .id = "rs2300", .n_allele = 2, .allele = A_CT, .gt = {VF_ALLELE_MISSING, VF_ALLELE_MISSING}, .ds = DS_NAN},
	};
	VfCalls		cs = {.chrom = "22", .start = 1, .end = 5000, .n_call = 10, .call = calls};
	VfPdbScratch *s = vf_pdb_scratch_new(img, &err);
	double		w[4];
	const char *ids[4] = {"rs1000", "rs1100", "rs1200", "rs1300"};

	CHECK(s != NULL);
	CHECK(vf_pdb_score_gene(img, s, (uint32_t) ga, &r, &err) < 0);	/* no calls yet */
	CHECK(set_calls(s, img, &cs, &err) == 0);
	CHECK(vf_pdb_score_gene(img, s, (uint32_t) ga, &r, &err) == 0);
	/* weights straight from the fixture, through the image's own gene listing */
	{
		/* recover the weights by scoring single-variant genotypes would be circular; read them */
		FILE	   *p = popen("sqlite3 " FIX "rules_v8.db \"SELECT rsid, weight FROM weights WHERE gene='ENSG00000000001.5'\"", "r");
		char		line[256];

		for (int i = 0; i < 4; i++)
			w[i] = NAN;
		while (p && fgets(line, sizeof(line), p))
			for (int i = 0; i < 4; i++)
				if (strncmp(line, ids[i], strlen(ids[i])) == 0 && line[strlen(ids[i])] == '|')
					w[i] = strtod(line + strlen(ids[i]) + 1, NULL);
		if (p)
			pclose(p);
	}
	NEAR(r.grex, w[0] * 0.75 + w[1] * (2 - 1) + w[2] * 0 + w[3] * (2 - 2));
	CHECK(grex_agrees(img, s, ga));
	CHECK(r.n_snps_in_model == 4 && r.n_used == 4 && r.n_flipped == 2 && r.n_complemented == 2);
	CHECK(r.n_skipped == 0 && r.n_missing == 0);

	/* GENEB: 1400 unlisted, hom-ref C/T vs model C/G: skipped; palindromic kept */
	int64_t		gb = vf_pdb_find_gene(img, "ENSG00000000002", &err);

	CHECK(vf_pdb_score_gene(img, s, (uint32_t) gb, &r, &err) == 0);
	CHECK(r.n_used == 4 && r.n_flipped == 2 && r.n_skipped == 1);	/* 1600 T/A; 2500 hom-ref G/C vs C/G */
	CHECK(grex_agrees(img, s, gb));

	/* GENEC: 1700 exact, 1800 indel swap skipped, 1900 and 1950 unlisted hom-ref */
	int64_t		gc = vf_pdb_find_gene(img, "ENSG00000000003.1", &err);

	CHECK(vf_pdb_score_gene(img, s, (uint32_t) gc, &r, &err) == 0);
	CHECK(r.n_used == 3 && r.n_skipped == 1 && r.n_missing == 0);
	CHECK(grex_agrees(img, s, gc));

	/* GENED: 2000 ALT2 DS 1.25; 2100 unlisted; 9000 outside region; 2200/2300 missing calls */
	int64_t		gd = vf_pdb_find_gene(img, "ENSG00000000004.2", &err);

	CHECK(vf_pdb_score_gene(img, s, (uint32_t) gd, &r, &err) == 0);
	CHECK(r.n_missing == 3 && r.n_used == 3);
	CHECK(grex_agrees(img, s, gd));

	/* split multi-allelic records at one position: the matching one is used */
	{
		static const char *A_CA[] = {"C", "A"};
		VfCall		split[] = {
			{.pos = 2100, .id = "rs2100", .n_allele = 2, .allele = A_CT, .gt = {1, 0}, .phased = true},
			{.pos = 2100, .id = "rs2100", .n_allele = 2, .allele = A_CA, .gt = {0, 0}, .phased = true},
		};
		VfCalls		cs2 = {.chrom = "22", .start = 2000, .end = 2200, .n_call = 2, .call = split};
		VfPdbScratch *s2 = vf_pdb_scratch_new(img, &err);
		VfPdbResult r2;

		CHECK(set_calls(s2, img, &cs2, &err) == 0);
		CHECK(vf_pdb_score_gene(img, s2, (uint32_t) gd, &r2, &err) == 0);
		/* 2000 (C_G vs C/G, hom-ref): used, 0; 2100 A/C vs C/A 0|0: swapped, 2; 2200 hom-ref */
		CHECK(r2.n_used == 3 && r2.n_flipped == 1 && r2.n_missing == 3);
		CHECK(grex_agrees(img, s2, gd));
		vf_pdb_scratch_free(s2);
	}

	/* one call far into the chromosome's variants (the search gallops to it) */
	{
		static const char *A_TG[] = {"T", "G"};
		VfCall		one[] = {
			{.pos = 2400, .id = "rs2400", .n_allele = 2, .allele = A_TG, .gt = {1, 1}, .phased = true},
		};
		VfCalls		cs3 = {.chrom = "22", .start = 1, .end = 5000, .n_call = 1, .call = one};
		VfPdbScratch *s3 = vf_pdb_scratch_new(img, &err);
		VfPdbResult r3;

		CHECK(set_calls(s3, img, &cs3, &err) == 0);
		CHECK(vf_pdb_score_gene(img, s3, (uint32_t) gd, &r3, &err) == 0);
		/* 2000, 2100, 2200, 2300 hom-ref; 2400 the call; 9000 outside the region */
		CHECK(r3.n_used == 5 && r3.n_missing == 1 && r3.n_skipped == 0);
		CHECK(grex_agrees(img, s3, gd));
		vf_pdb_scratch_free(s3);
	}

	/* GENEE is on chr21: not covered, the status names both */
	int64_t		ge = vf_pdb_find_gene(img, "ENSG00000000005", &err);
	char		note[512];

	CHECK(vf_pdb_score_gene(img, s, (uint32_t) ge, &r, &err) == 0);
	CHECK(r.other_chrom && r.n_used == 0 && r.n_missing == r.n_snps_in_model);
	CHECK(vf_pdb_status(img, s, (uint32_t) ge, &r, note, sizeof(note)) == VF_PDB_OTHER_CHROM);
	CHECK(strstr(note, "chromosome 21") && strstr(note, "22:1-5000"));
	CHECK(grex_agrees(img, s, ge));

	/*
	 * The same calls as a listed genotype: only the listed sites were assayed, so the
	 * unlisted ones are missing (PrediXcan), not hom-ref. GENEC: 1700 exact, 1800 skipped,
	 * 1900 and 1950 missing; GENEB: 1400 and 2500 missing now.
	 */
	{
		VfCalls		lc = cs;
		VfPdbScratch *sl = vf_pdb_scratch_new(img, &err);

		lc.listed = true;
		CHECK(set_calls(sl, img, &lc, &err) == 0);
		CHECK(vf_pdb_score_gene(img, sl, (uint32_t) gc, &r, &err) == 0);
		CHECK(r.n_used == 1 && r.n_skipped == 1 && r.n_missing == 2);
		CHECK(grex_agrees(img, sl, gc));
		/* 1 of 4 used, 1 skipped: as many skipped as used, the alleles are suspect */
		CHECK(vf_pdb_status(img, sl, (uint32_t) gc, &r, note, sizeof(note)) == VF_PDB_ALLELE_MISMATCH);
		CHECK(vf_pdb_score_gene(img, sl, (uint32_t) gb, &r, &err) == 0);
		CHECK(r.n_used == 3 && r.n_missing == 2 && r.n_skipped == 0);
		CHECK(grex_agrees(img, sl, gb));
		CHECK(vf_pdb_status(img, sl, (uint32_t) gb, &r, note, sizeof(note)) == VF_PDB_OK);
		/* GENEA: every variant listed, same as before */
		CHECK(vf_pdb_score_gene(img, sl, (uint32_t) ga, &r, &err) == 0);
		CHECK(r.n_used == 3 && r.n_missing == 1);	/* 1200 is not listed */
		CHECK(grex_agrees(img, sl, ga));
		vf_pdb_scratch_free(sl);
	}

	/* a second sample through the same scratch: nothing leaks from the first */
	VfCalls		empty = {.chrom = "chr22", .start = 1, .end = 5000, .n_call = 0, .call = calls};

	CHECK(set_calls(s, img, &empty, &err) == 0);
	CHECK(vf_pdb_score_gene(img, s, (uint32_t) ga, &r, &err) == 0);
	NEAR(r.grex, w[1] * 2 + w[3] * 2);	/* all hom-ref: the two swapped ones count 2 */
	CHECK(grex_agrees(img, s, ga));
	VfCalls		elsewhere = {.chrom = "22", .start = 50000, .end = 60000, .n_call = 0, .call = calls};

	CHECK(set_calls(s, img, &elsewhere, &err) == 0);
	CHECK(vf_pdb_score_gene(img, s, (uint32_t) ga, &r, &err) == 0);
	CHECK(r.grex == 0 && r.n_missing == 4);
	CHECK(grex_agrees(img, s, ga));
	/* a region that misses the gene: not covered (predict_expression: NULL) */
	CHECK(vf_pdb_status(img, s, (uint32_t) ga, &r, note, sizeof(note)) == VF_PDB_NOT_COVERED);
	CHECK(strstr(note, "50000-60000") != NULL);
	/* a contig the model does not have: named */
	{
		VfCalls		refseq = {.chrom = "NC_000022.11", .start = 1, .end = 5000, .n_call = 0, .call = calls};

		CHECK(set_calls(s, img, &refseq, &err) == 0);
		CHECK(vf_pdb_score_gene(img, s, (uint32_t) ga, &r, &err) == 0);
		CHECK(vf_pdb_status(img, s, (uint32_t) ga, &r, note, sizeof(note)) == VF_PDB_UNKNOWN_CONTIG);
		CHECK(strstr(note, "NC_000022.11") != NULL);
	}
	/* the default threshold is 0.5: 2 of 4 is enough, 1 of 4 is not */
	CHECK(vf_pdb_enough_used(img, 2, 4) && !vf_pdb_enough_used(img, 1, 4) && !vf_pdb_enough_used(img, 0, 0));
	vf_pdb_scratch_free(s);
	free(img);

	/* palindromic: skip */
	img = build(FIX "rules_v8.db", "{\"palindromic\": \"skip\"}", &size, &err);
	CHECK(img != NULL);
	if (img)
	{
		s = vf_pdb_scratch_new(img, &err);
		CHECK(set_calls(s, img, &cs, &err) == 0);
		CHECK(vf_pdb_score_gene(img, s, (uint32_t) vf_pdb_find_gene(img, "ENSG00000000002", &err), &r, &err) == 0);
		CHECK(r.n_used == 1 && r.n_skipped == 4);	/* 1500, 1600, 2500 are palindromic */
		vf_pdb_scratch_free(s);
		free(img);
	}
}

static void
test_rsid(void)
{
	VfError		err;
	size_t		size;
	void	   *img = build(FIX "rules_old.db", NULL, &size, &err);
	VfPdbInfo	info;
	VfPdbResult r;
	static const char *A_TG[] = {"T", "G"};

	if (!img)
	{
		printf("FAIL rules_old.db: %s\n", err.msg);
		failures++;
		return;
	}
	vf_pdb_image_info(img, &info);
	CHECK(info.key == VF_PDB_KEY_RSID);
	VfCall		calls[] = {
		{.pos = 2400, .id = "rsX;rs2400", .n_allele = 2, .allele = A_TG, .gt = {1, 1}, .phased = true},
	};
	VfCalls		cs = {.chrom = "chr7", .start = 1, .end = 5000, .n_call = 1, .call = calls};
	VfPdbScratch *s = vf_pdb_scratch_new(img, &err);

	CHECK(set_calls(s, img, &cs, &err) == 0);
	/* rsID keys do not look at chromosomes; unlisted variants are missing */
	CHECK(vf_pdb_score_gene(img, s, (uint32_t) vf_pdb_find_gene(img, "ENSG00000000004.2", &err), &r, &err) == 0);
	CHECK(r.n_used == 1 && r.n_missing == 5);
	vf_pdb_scratch_free(s);
	free(img);

	/* a v8 file asked to key by rsID */
	img = build(FIX "rules_v8.db", "{\"variant_key\": \"rsid\"}", &size, &err);
	CHECK(img != NULL);
	if (img)
	{
		vf_pdb_image_info(img, &info);
		CHECK(info.key == VF_PDB_KEY_RSID);
		free(img);
	}
}

static void
test_bad(void)
{
	VfError		err;
	size_t		size;
	void	   *img;
	VfPdbInfo	info;

	expect_fail(FIX "bad_not_sqlite.db", NULL, VF_ERR_CORRUPT, "is not a SQLite database");
	expect_fail(FIX "no_such_file.db", NULL, VF_ERR_NOFILE, "could not open");
	expect_fail(FIX "bad_no_tables.db", NULL, VF_ERR_DATA, "has no table \"weights\"");
	expect_fail(FIX "bad_columns.db", NULL, VF_ERR_DATA, "has no column");
	expect_fail(FIX "bad_view.db", NULL, VF_ERR_DATA, "is a view, not a table");
	expect_fail(FIX "bad_text_weight.db", NULL, VF_ERR_DATA, "non-numeric weight \"abc\"");
	expect_fail(FIX "bad_nan_weight.db", NULL, VF_ERR_DATA, "is not finite");
	expect_fail(FIX "bad_dup_conflict.db", NULL, VF_ERR_DATA, "twice with different weights");
	expect_fail(FIX "bad_all_null.db", NULL, VF_ERR_DATA, "has no usable weights");
	expect_fail(FIX "rules_v8.db", "{\"variant_key\": \"chrpos\"}", VF_ERR_INVALID, "variant_key");
	expect_fail(FIX "rules_v8.db", "{\"palindromic\": 1}", VF_ERR_INVALID, "palindromic");
	expect_fail(FIX "rules_old.db", "{\"variant_key\": \"varID\"}", VF_ERR_DATA, "is not a varID");

	img = build(FIX "null_weights.db", NULL, &size, &err);
	CHECK(img != NULL);
	if (img)
	{
		vf_pdb_image_info(img, &info);
		CHECK(info.n_weight == 2 && info.n_null_weight == 1 && info.n_bad_allele == 2);
		free(img);
	}
	img = build(FIX "dup_rows.db", NULL, &size, &err);
	CHECK(img != NULL);
	if (img)
	{
		vf_pdb_image_info(img, &info);
		CHECK(info.n_weight == 2 && info.n_duplicate == 1 && info.n_variant == 1 && info.n_no_extra == 2);
		free(img);
	}
	img = build(FIX "versions.db", NULL, &size, &err);
	CHECK(img != NULL);
	if (img)
	{
		CHECK(vf_pdb_find_gene(img, "ENSG00000000001", &err) == -2);
		CHECK(strstr(err.msg, "several versioned genes") != NULL);
		CHECK(vf_pdb_find_gene(img, "ENSG00000000001.6", &err) >= 0);
		CHECK(vf_pdb_find_gene(img, "ENSG00000000009", &err) >= 0);
		free(img);
	}
}

/* Damaged copies of a good file: every outcome is a clean success or a clean error. */
static void
test_corrupt(void)
{
	FILE	   *f = fopen(FIX "rules_v8.db", "rb");
	unsigned char buf[65536];
	size_t		n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	unsigned int seed = 60;
	int			ok = 0,
				failed = 0;

	if (f)
		fclose(f);
	CHECK(n > 4096 && n < sizeof(buf));
	for (int round = 0; round < 200; round++)
	{
		unsigned char copy[65536];
		size_t		len = n;
		VfError		err;
		size_t		size;
		void	   *img;
		const char *path = "build/unit/predictdb_corrupt.db";

		memcpy(copy, buf, n);
		if (round % 4 == 0)
			len = 100 + (size_t) rand_r(&seed) % (n - 100);	/* truncated */
		for (int k = 0; k < 1 + round % 16; k++)
			copy[100 + (size_t) rand_r(&seed) % (n - 100)] = (unsigned char) rand_r(&seed);
		f = fopen(path, "wb");
		if (!f || fwrite(copy, 1, len, f) != len)
		{
			CHECK(0);
			if (f)
				fclose(f);
			return;
		}
		fclose(f);
		img = build(path, NULL, &size, &err);
		if (img)
		{
			CHECK(vf_pdb_image_check(img, size, &err) == 0);
			ok++;
		}
		else
		{
			CHECK(err.code != VF_OK && err.msg[0] != '\0');
			failed++;
		}
		free(img);
	}
	printf("corrupted copies: %d loaded, %d refused cleanly\n", ok, failed);
}

static void
test_ensemble(void)
{
	const char *good[] = {
		"{\"ensemble\": {\"a\": 0.25, \"b\": 0.75}}",
		"{\"ensemble\": [{\"model\": \"a\", \"weight\": 0.25}, {\"model\": \"b\", \"weight\": 0.75}], \"intercept\": 1.5}",
	};
	const char *bad[] = {
		"{}", "{\"ensemble\": {}}", "{\"ensemble\": {\"a\": \"x\"}}", "{\"ensemble\": [{\"weight\": 1}]}",
		"{\"ensemble\": {\"a\": 1, \"a\": 2}}", "{\"ensemble\": 3}", "{\"ensemble\": {\"a\": 1}, \"intercept\": \"x\"}",
		"{\"ensemble\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}}",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		VfError		err;
		VfJsonDoc  *d = vf_json_parse(good[i], strlen(good[i]), &err);
		void	   *img;
		size_t		size;
		double		w;

		CHECK(d != NULL);
		CHECK(vf_ensemble_image_build(vf_json_root(d), &img, &size, &err) == 0);
		CHECK(vf_ensemble_image_check(img, size, &err) == 0);
		CHECK(vf_ensemble_n_members(img) == 2);
		CHECK(strcmp(vf_ensemble_member(img, 1, &w), "b") == 0 && w == 0.75);
		CHECK(vf_ensemble_intercept(img) == (i == 1 ? 1.5 : 0.0));
		free(img);
		vf_json_free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		VfError		err;
		VfJsonDoc  *d = vf_json_parse(bad[i], strlen(bad[i]), &err);
		void	   *img = NULL;
		size_t		size;

		CHECK(d != NULL);
		CHECK(vf_ensemble_image_build(vf_json_root(d), &img, &size, &err) < 0 && err.code != VF_OK);
		CHECK(img == NULL);
		vf_json_free(d);
	}
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_rules();
	test_score_v8();
	test_rsid();
	test_bad();
	test_corrupt();
	test_ensemble();
	printf("%d genotypes also matched in the compact form, every gene scoring the same\n", forms_compared);
	CHECK(forms_compared >= 8);
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("predictdb unit tests passed\n");
	return 0;
}
