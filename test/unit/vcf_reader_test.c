/*
 * vcf_reader_test.c: the htslib-backed reader outside the server: the fixtures read as
 * bcftools reads them, bad files fail with the right error, and randomly damaged VCFs
 * (bytes flipped, lines cut) give records or a clean error, never a crash (ASan/UBSan).
 * usage: vcf_reader_test FIXTURE_DIR SCRATCH_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/hts_log.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "varformer/types/calls.h"
#include "varformer/genomics/vcf_reader.h"

static int	failures = 0;

#define CHECK(cond, ...) \
	do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static char fixtures[512];
static char scratch[512];

static const char *
fx(const char *name)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", fixtures, name);
	return buf;
}

/* Reads everything; returns the record count, or -1 with err. */
static int
read_all(const char *path, const char *region, const char *const *samples, int n_samples,
		 VfError *err, long *n_calls)
{
	VfVcfReader *r = vf_vcf_open(path, region, samples, n_samples, err);
	VfVcfRecord rec;
	int			n = 0,
				rc;

	*n_calls = 0;
	if (r == NULL)
		return -1;
	while ((rc = vf_vcf_next(r, &rec, err)) > 0)
	{
		n++;
		for (int s = 0; s < rec.n_sample; s++)
		{
			CHECK(rec.gt[2 * s] >= VF_ALLELE_MISSING && rec.gt[2 * s] < rec.n_allele, "gt0 range");
			CHECK(rec.gt[2 * s + 1] >= VF_ALLELE_NONE && rec.gt[2 * s + 1] < rec.n_allele, "gt1 range");
			if (rec.gt[2 * s] >= 0)
				(*n_calls)++;
		}
		(void) vf_vcf_record_kind(&rec);
	}
	vf_vcf_close(r);
	return rc < 0 ? -1 : n;
}

static void
test_fixtures(void)
{
	VfError		err;
	long		calls;
	const char *s31[] = {"S3", "S1"};
	const char *nobody[] = {"NA12878"};
	VfVcfReader *r;
	VfVcfRecord rec;

	CHECK(read_all(fx("sample.vcf"), NULL, NULL, -1, &err, &calls) == 15, "sample.vcf: %s", err.msg);
	CHECK(read_all(fx("sample.vcf.gz"), "chr22:1100-1500", NULL, -1, &err, &calls) == 5, "tbi region: %s", err.msg);
	CHECK(read_all(fx("sample.bcf"), "chr22:1520-1540", NULL, -1, &err, &calls) == 1, "csi region overlap: %s", err.msg);
	CHECK(read_all(fx("sample.bcf"), "chrY", NULL, -1, &err, &calls) == 0, "declared contig without records: %s", err.msg);

	r = vf_vcf_open(fx("sample.bcf"), "chr22:1200-1200", s31, 2, &err);
	CHECK(r != NULL, "open with samples: %s", err.msg);
	if (r)
	{
		CHECK(vf_vcf_n_samples(r) == 2 && strcmp(vf_vcf_sample(r, 0), "S3") == 0 &&
			  strcmp(vf_vcf_sample(r, 1), "S1") == 0, "samples in the order asked for");
		CHECK(vf_vcf_next(r, &rec, &err) == 1, "record 1200: %s", err.msg);
		/* S3 2/2:.,1.95 then S1 1|2:0.9,1.1 */
		CHECK(rec.pos == 1200 && rec.n_allele == 3 && rec.gt[0] == 2 && rec.gt[1] == 2 && !rec.phased[0] &&
			  rec.gt[2] == 1 && rec.gt[3] == 2 && rec.phased[1], "GT of 1200");
		CHECK(rec.ds && isnan(rec.ds[0]) && fabsf(rec.ds[1] - 1.95f) < 1e-6 &&
			  fabsf(rec.ds[2] - 0.9f) < 1e-6 && fabsf(rec.ds[3] - 1.1f) < 1e-6, "DS of 1200");
		CHECK(vf_vcf_next(r, &rec, &err) == 0, "one record only");
		CHECK(vf_vcf_contig_length(r, "chr22") == 100000 && vf_vcf_contig_length(r, "chrY") == -1, "contig lengths");
		vf_vcf_close(r);
	}

	CHECK(read_all(fx("sample.vcf.gz"), "22:1-100", NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_NOT_FOUND && strstr(err.hint, "chr22"), "contig naming: %s", err.msg);
	CHECK(read_all(fx("noindex.vcf.gz"), "chr22:1-100", NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_NOFILE && strstr(err.hint, "tabix"), "no index: %s", err.msg);
	CHECK(read_all(fx("sample.vcf"), "chr22:1-100", NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_UNSUPPORTED && strstr(err.hint, "bgzip"), "plain text + region: %s", err.msg);
	CHECK(read_all(fx("sample.vcf.gz"), "chr22:x", NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_SYNTAX, "bad region: %s", err.msg);
	CHECK(read_all(fx("sample.vcf.gz"), NULL, nobody, 1, &err, &calls) == -1 &&
		  err.code == VF_ERR_NOT_FOUND && strstr(err.detail, "\"S1\""), "unknown sample: %s", err.msg);
	CHECK(read_all(fx("truncated.vcf.gz"), NULL, NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_CORRUPT && strstr(err.msg, "truncated"), "truncated: %s", err.msg);
	CHECK(read_all(fx("shortline.vcf"), NULL, NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_CORRUPT && strstr(err.msg, "fewer columns"), "short line: %s", err.msg);
	CHECK(read_all(fx("make_fixtures.sh"), NULL, NULL, -1, &err, &calls) == -1 &&
		  err.code == VF_ERR_CORRUPT, "not a VCF: %s", err.msg);
}

/* Damaged copies of sample.vcf: every outcome allowed except a crash or a leak. */
static void
fuzz_files(void)
{
	FILE	   *f = fopen(fx("sample.vcf"), "rb");
	char	   *orig;
	long		len;
	unsigned	seed = 4242;
	char		path[1024];
	int			ok = 0,
				bad = 0;

	if (f == NULL)
	{
		CHECK(0, "cannot read sample.vcf");
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	orig = malloc((size_t) len);
	if (fread(orig, 1, (size_t) len, f) != (size_t) len)
		CHECK(0, "short read");
	fclose(f);
	snprintf(path, sizeof(path), "%s/fuzz.vcf", scratch);

	for (int iter = 0; iter < 2000; iter++)
	{
		char	   *buf = malloc((size_t) len);
		long		n = len;
		int			edits;
		VfError		err;
		long		calls;
		FILE	   *o;

		memcpy(buf, orig, (size_t) len);
		seed = seed * 1103515245u + 12345u;
		edits = 1 + (int) ((seed >> 16) % 4);
		for (int e = 0; e < edits; e++)
		{
			long		at;
			const char	pool[] = "\t\n|/.,:;0123456789<>*ACGTN=-";

			seed = seed * 1103515245u + 12345u;
			/* keep the header's first line so htslib still sees a VCF most of the time */
			at = 20 + (long) ((seed >> 8) % (unsigned) (len - 20));
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 3)
			{
				case 0:
					buf[at] = pool[(seed >> 4) % (sizeof(pool) - 1)];
					break;
				case 1:
					n = at;		/* cut the file */
					break;
				default:
					buf[at] = (char) (seed >> 3);
					break;
			}
			if (n > len)
				n = len;
		}
		o = fopen(path, "wb");
		fwrite(buf, 1, (size_t) n, o);
		fclose(o);
		if (read_all(path, NULL, NULL, -1, &err, &calls) >= 0)
			ok++;
		else
		{
			bad++;
			CHECK(err.msg[0] != '\0', "error without a message");
		}
		free(buf);
	}
	free(orig);
	remove(path);
	printf("damaged VCFs: %d read, %d refused with an error, none crashed\n", ok, bad);
}

/*
 * Crafted BCF records: htslib 1.16 calls exit(1) while decoding a FORMAT value whose type
 * descriptor it has no branch for (the reader must refuse the record first). A record made
 * by vcf_parse is written with its raw bytes patched; every type nibble at every byte of the
 * shared and per-sample parts, and random bytes, must give records or an error: were exit()
 * reached, this program would end without "all passed" (without the reader's check it does,
 * at the first such byte). Read whole (bcf_read) and through the index (bcf_itr_next, with
 * one sample selected); GT values that are negative but not "missing" were found this way.
 */
static const char crafted_header[] =
	"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
	"##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n"
	"##INFO=<ID=F,Number=0,Type=Flag,Description=\"Flag\">\n"
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
	"##FORMAT=<ID=DS,Number=A,Type=Float,Description=\"Dosage\">\n"
	"##FORMAT=<ID=XS,Number=1,Type=String,Description=\"Text\">\n"
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n";

static bcf_hdr_t *crafted_hdr;
static bcf1_t *crafted_rec;
static kstring_t crafted_shared,
			crafted_indiv;

/* Writes the crafted record to path with byte `at` (shared bytes first, then per-sample) set to val. */
static void
write_crafted(const char *path, size_t at, int val)
{
	htsFile    *f = hts_open(path, "wb");
	bcf1_t	   *v = crafted_rec;

	v->shared.l = 0;
	v->indiv.l = 0;
	kputsn(crafted_shared.s, crafted_shared.l, &v->shared);
	kputsn(crafted_indiv.s, crafted_indiv.l, &v->indiv);
	if (val >= 0 && at < v->shared.l)
		v->shared.s[at] = (char) val;
	else if (val >= 0 && at - v->shared.l < v->indiv.l)
		v->indiv.s[at - v->shared.l] = (char) val;
	if (f == NULL || bcf_hdr_write(f, crafted_hdr) != 0 || bcf_write(f, crafted_hdr, v) != 0)
		CHECK(0, "writing %s", path);
	if (f)
		hts_close(f);
	/* a region query reads through bcf_itr_next, which skips bcf_read's record check */
	(void) bcf_index_build(path, 14);	/* damaged records may not index: then there is no index */
}

static void
test_crafted_bcf(void)
{
	char		path[1024];
	kstring_t	line = {0};
	VfError		err;
	long		calls;
	const char *only_b[] = {"B"};
	size_t		total;
	unsigned	seed = 12;

	snprintf(path, sizeof(path), "%s/crafted.bcf", scratch);
	crafted_hdr = bcf_hdr_init("w");
	crafted_rec = bcf_init();
	kputs("chr1\t100\trs1\tA\tG,T\t.\tPASS\tEND=100;F\tGT:DS:XS\t0|1:0.5,0:x\t1/2:1.5,0.25:yy", &line);
	if (bcf_hdr_parse(crafted_hdr, (char *) crafted_header) != 0 || vcf_parse(&line, crafted_hdr, crafted_rec) != 0)
	{
		CHECK(0, "building the crafted record");
		return;
	}
	kputsn(crafted_rec->shared.s, crafted_rec->shared.l, &crafted_shared);
	kputsn(crafted_rec->indiv.s, crafted_rec->indiv.l, &crafted_indiv);
	total = crafted_shared.l + crafted_indiv.l;

	write_crafted(path, 0, -1);
	CHECK(read_all(path, NULL, NULL, -1, &err, &calls) == 1 && calls == 2, "crafted BCF as written: %s", err.msg);

	/* the example: GT's type descriptor byte 0 (after GT's key, 2 bytes in) */
	write_crafted(path, crafted_shared.l + 2, 0);
	CHECK(read_all(path, NULL, NULL, -1, &err, &calls) == -1 && err.code == VF_ERR_CORRUPT, "GT type 0: %s", err.msg);
	CHECK(read_all(path, NULL, only_b, 1, &err, &calls) == -1 && err.code == VF_ERR_CORRUPT,
		  "GT type 0, one sample selected: %s", err.msg);
	CHECK(read_all(path, "chr1:1-1000", NULL, -1, &err, &calls) == -1 && err.code == VF_ERR_CORRUPT,
		  "GT type 0 through the index: %s", err.msg);
	/* DS stored as characters: bcf_get_format_float has no branch for them either */
	write_crafted(path, crafted_shared.l + 2 + 1 + 4 + 2, 0x27);
	CHECK(read_all(path, "chr1:1-1000", only_b, 1, &err, &calls) == -1 && err.code == VF_ERR_CORRUPT,
		  "DS as characters through the index: %s", err.msg);
	CHECK(read_all(path, NULL, NULL, -1, &err, &calls) == -1 && err.code == VF_ERR_CORRUPT, "DS as characters: %s", err.msg);

	for (size_t at = 0; at < total; at++)
	{
		int			orig = (unsigned char) (at < crafted_shared.l ? crafted_shared.s[at] : crafted_indiv.s[at - crafted_shared.l]);

		for (int t = 0; t < 16 + 2; t++)
		{
			int			val = t < 16 ? (orig & 0xf0) | t : (int) ((seed = seed * 1103515245u + 12345u) >> 16) & 0xff;
			int			before = failures;

			write_crafted(path, at, val);
			(void) read_all(path, NULL, NULL, -1, &err, &calls);
			(void) read_all(path, NULL, only_b, 1, &err, &calls);	/* bcf_read subsets itself */
			(void) read_all(path, "chr1:1-1000", only_b, 1, &err, &calls);
			if (failures != before)
				printf("  (byte %zu set to 0x%02x)\n", at, val);
		}
	}
	free(line.s);
	free(crafted_shared.s);
	free(crafted_indiv.s);
	bcf_destroy(crafted_rec);
	bcf_hdr_destroy(crafted_hdr);
}

int
main(int argc, char **argv)
{
	if (argc != 3)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR SCRATCH_DIR\n", argv[0]);
		return 2;
	}
	snprintf(fixtures, sizeof(fixtures), "%s", argv[1]);
	snprintf(scratch, sizeof(scratch), "%s", argv[2]);
	hts_set_log_level(HTS_LOG_OFF);
	test_fixtures();
	fuzz_files();
	test_crafted_bcf();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("vcf_reader_test: all passed\n");
	return 0;
}
