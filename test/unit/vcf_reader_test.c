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
#include <sys/stat.h>

#include <htslib/bgzf.h>
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

/*
 * The BCF record size cap (vf_vcf_set_max_record_bytes): a record above it is refused with
 * VF_ERR_LIMIT naming the file and the record's CHROM:POS, read whole and through the index,
 * before htslib allocates it. The cap reads each record's head before bcf_read; where that
 * head is split between two BGZF blocks (bgzip cuts blocks every 0xff00 bytes whatever the
 * records) or two 64 KB buffers of an uncompressed BCF, it is read and sought back. So a file
 * of equal "filler" records with one bigger record whose head straddles such a boundary at
 * each of the 15 possible split points, uncompressed and bgzip-compressed, must: read whole
 * with the default cap; and, with the cap at the filler size, refuse exactly the big one
 * after reading every filler before it (a head misread at a split shows as a wrong refusal,
 * a wrong position, or a record lost).
 */
static const char cap_header[] =
	"##fileformat=VCFv4.2\n##contig=<ID=chr1,length=100000000>\n"
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n";

/* the bytes a record takes in a BCF (its two length fields' sum, as check_record_size adds them) */
static size_t
bcf_record_bytes(bcf_hdr_t *hdr, const char *line)
{
	bcf1_t	   *v = bcf_init();
	kstring_t	s = {0};
	size_t		n = 0;

	kputs(line, &s);
	if (vcf_parse(&s, hdr, v) == 0)
		n = v->shared.l + 24 + v->indiv.l;
	bcf_destroy(v);
	free(s.s);
	return n;
}

static void
cap_line(kstring_t *s, int64_t pos, const char *id)
{
	s->l = 0;
	ksprintf(s, "chr1\t%lld\t%s\tA\tG\t.\tPASS\t.\tGT\t0|1\t1/1", (long long) pos, id);
}

/* Writes n records (record 0 with ID id0, record big with ID bigid, the rest ID "f"). */
static void
write_cap_file(const char *path, bcf_hdr_t *hdr, int n, const char *id0, int big, const char *bigid)
{
	htsFile    *f = hts_open(path, "wbu");
	bcf1_t	   *v = bcf_init();
	kstring_t	s = {0};

	if (f == NULL || bcf_hdr_write(f, hdr) != 0)
		CHECK(0, "writing %s", path);
	for (int i = 0; f && i < n; i++)
	{
		cap_line(&s, i + 1, i == 0 ? id0 : i == big ? bigid : "f");
		bcf_clear(v);
		if (vcf_parse(&s, hdr, v) != 0 || bcf_write(f, hdr, v) != 0)
			CHECK(0, "record %d of %s", i, path);
	}
	if (f)
		hts_close(f);
	bcf_destroy(v);
	free(s.s);
}

/* path's bytes bgzip-compressed into out, blocks cut where bgzf_write cuts them */
static void
bgzip_file(const char *path, const char *out)
{
	FILE	   *in = fopen(path, "rb");
	BGZF	   *z = bgzf_open(out, "w");
	char		buf[8192];
	size_t		n;

	while (in && z && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (bgzf_write(z, buf, n) != (ssize_t) n)
			CHECK(0, "compressing %s", out);
	if (in)
		fclose(in);
	if (z == NULL || bgzf_close(z) != 0)
		CHECK(0, "compressing %s", out);
}

/* Reads path under cap: the record count, or -1 with err; *last is the last POS read. */
static int
read_capped(const char *path, const char *region, uint64_t cap, VfError *err, int64_t *last)
{
	VfVcfReader *r = vf_vcf_open(path, region, NULL, -1, err);
	VfVcfRecord rec;
	int			n = 0,
				rc;

	*last = 0;
	if (r == NULL)
		return -1;
	vf_vcf_set_max_record_bytes(r, cap);
	while ((rc = vf_vcf_next(r, &rec, err)) > 0)
	{
		n++;
		*last = rec.pos;
	}
	vf_vcf_close(r);
	return rc < 0 ? -1 : n;
}

static void
test_record_cap(void)
{
	VfError		err;
	int64_t		last;
	char		want[64],
				path[1024],
				gz[1024],
				id0[128];
	bcf_hdr_t  *hdr = bcf_hdr_init("w");
	kstring_t	s = {0};
	size_t		filler,
				header;
	struct stat st;
	const int64_t boundaries[] = {0xff00, 0x10000};
	char		bigid[201];
	int			cases = 0;

	/* sample.bcf's first records, whole and in a region, are over a 16-byte cap */
	CHECK(read_capped(fx("sample.bcf"), NULL, 16, &err, &last) == -1 && err.code == VF_ERR_LIMIT &&
		  strstr(err.msg, "sample.bcf\" has a BCF record of ") && strstr(err.msg, "more than the 16 bytes"),
		  "cap 16, whole file: %s", err.msg);
	CHECK(read_capped(fx("sample.bcf"), "chr22:1100-1500", UINT64_MAX, &err, &last) > 0, "region: %s", err.msg);
	/* the iterator reads (and the cap refuses) the first record of the region's index chunk,
	 * which may start before the region */
	snprintf(want, sizeof(want), " at chr22:");
	CHECK(read_capped(fx("sample.bcf"), "chr22:1100-1500", 16, &err, &last) == -1 && err.code == VF_ERR_LIMIT &&
		  strstr(err.msg, want), "cap 16 through the index names%s: %s", want, err.msg);

	memset(bigid, 'b', sizeof(bigid) - 1);
	bigid[sizeof(bigid) - 1] = '\0';
	if (bcf_hdr_parse(hdr, (char *) cap_header) != 0)
	{
		CHECK(0, "cap header");
		return;
	}
	snprintf(path, sizeof(path), "%s/cap.bcf", scratch);
	snprintf(gz, sizeof(gz), "%s/cap_gz.bcf", scratch);
	write_cap_file(path, hdr, 0, "f", -1, "f");
	CHECK(stat(path, &st) == 0, "stat %s", path);
	header = (size_t) st.st_size;
	cap_line(&s, 1, "f");
	filler = bcf_record_bytes(hdr, s.s);
	cap_line(&s, 1, bigid);
	CHECK(filler > 0 && bcf_record_bytes(hdr, s.s) > filler, "record sizes");

	for (int b = 0; b < 2; b++)
		for (int64_t d = 1; d < 16; d++)
		{
			/* record 0 padded (its ID) so that record `big` starts d bytes before the boundary */
			int			big = -1;
			size_t		cap = filler;

			for (int pad = 0; pad < 80 && big < 0; pad++)
			{
				size_t		s0;
				int64_t		rest;

				snprintf(id0, sizeof(id0), "p%.*s", pad, "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp");
				cap_line(&s, 1, id0);
				s0 = bcf_record_bytes(hdr, s.s);
				rest = boundaries[b] - d - (int64_t) header - (int64_t) s0;
				if (rest >= 0 && rest % (int64_t) filler == 0)
				{
					big = 1 + (int) (rest / (int64_t) filler);
					cap = s0 > filler ? s0 : filler;	/* record 0 and the fillers pass */
				}
			}
			CHECK(big > 0, "no padding places a record at %lld - %lld", (long long) boundaries[b], (long long) d);
			if (big <= 0)
				continue;
			write_cap_file(path, hdr, big + 40, id0, big, bigid);
			bgzip_file(path, gz);
			for (int z = 0; z < 2; z++)
			{
				const char *f = z ? gz : path;

				CHECK(read_capped(f, NULL, VF_VCF_MAX_BCF_RECORD_BYTES, &err, &last) == big + 40 && last == big + 40,
					  "%s (big record %d at %lld - %lld) read whole: %s", f, big, (long long) boundaries[b], (long long) d, err.msg);
				snprintf(want, sizeof(want), " at chr1:%d, ", big + 1);
				CHECK(read_capped(f, NULL, cap, &err, &last) == -1 && err.code == VF_ERR_LIMIT && strstr(err.msg, want) &&
					  last == big,
					  "%s (big record at %lld - %lld) under the filler cap names%s after %lld records: %s", f,
					  (long long) boundaries[b], (long long) d, want, (long long) last, err.msg);
				cases++;
			}
		}
	printf("record size cap: %d files with a record head split at a block boundary\n", cases);
	remove(path);
	remove(gz);
	free(s.s);
	bcf_hdr_destroy(hdr);
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
	test_record_cap();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("vcf_reader_test: all passed\n");
	return 0;
}
