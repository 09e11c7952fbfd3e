/*
 * genotype_test.c: the genotype encoding and text form round-trip exactly, reject what
 * they must, and survive hostile bytes; region strings and contig naming hints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/common/contig_names.h"
#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"
#include "varformer/common/region.h"

#include "calls_forms.h"

static int	failures = 0;

#define CHECK(cond, ...) \
	do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

/*
 * The three decoders agree: vf_calls_decode_no_ids gives vf_calls_decode's calls with ids
 * NULL, vf_calls_decode_pos the same calls in its form (calls_forms.h), or all three refuse.
 */
static int
forms_agree(const uint8_t *p, size_t len)
{
	VfError		err;
	VfCalls    *a = vf_calls_decode(p, len, NULL, &err);
	VfCalls    *b = vf_calls_decode_no_ids(p, len, NULL, &err);
	VfPosCalls *c = vf_calls_decode_pos(p, len, NULL, &err);
	int			same = (a == NULL) == (b == NULL) && (a == NULL) == (c == NULL);

	if (a && b && c)
	{
		same = strcmp(a->chrom, b->chrom) == 0 && a->start == b->start && a->end == b->end &&
			a->n_call == b->n_call && pos_calls_agree(a, c);
		for (int i = 0; same && i < a->n_call; i++)
			same = same_call(&a->call[i], &b->call[i], false);
	}
	free(a);
	free(b);
	free(c);
	return same;
}

/*
 * The decoder reads a DS stored in thousandths m as (float) (m * 0.001), the encoder checks
 * (float) (m / 1000.0): the same float for every m the decoder accepts, 0 to 10^9.
 */
static void
test_milli_dosages(void)
{
	uint64_t	bad = 0;

	for (uint64_t m = 0; m <= 1000000000; m++)
		bad += (float) ((double) m * 0.001) != (float) ((double) m / 1000.0);
	CHECK(bad == 0, "%llu thousandths read as another float than the encoder checked", (unsigned long long) bad);
}

/* text -> bytes -> text must give back the canonical text. */
static void
round_trip(const char *text, const char *canonical)
{
	VfBuf		b,
				t,
				b2;
	VfError		err;
	VfCalls    *calls;

	vf_buf_init(&b, NULL);
	vf_buf_init(&t, NULL);
	vf_buf_init(&b2, NULL);
	if (vf_genotype_parse(text, &b, &err) != 0)
	{
		CHECK(0, "parse \"%s\": %s", text, err.msg);
		goto done;
	}
	calls = vf_calls_decode(b.data, b.len, NULL, &err);
	CHECK(calls != NULL, "decode \"%s\": %s", text, err.msg);
	if (calls == NULL)
		goto done;
	CHECK(vf_genotype_format(calls, &t, &err) == 0, "format \"%s\"", text);
	CHECK(strcmp((char *) t.data, canonical) == 0, "round trip \"%s\" gave \"%s\"", text, (char *) t.data);
	CHECK(forms_agree(b.data, b.len), "the decoders disagree on \"%s\"", text);
	/* re-encoding the decoded calls gives the same bytes (the encoding is canonical) */
	CHECK(vf_calls_encode(calls, &b2, &err) == 0 && b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0,
		  "re-encode \"%s\"", text);

	/* every strict prefix of the bytes is rejected cleanly */
	for (size_t n = 0; n < b.len; n++)
	{
		VfCalls    *c2 = vf_calls_decode(b.data, n, NULL, &err);

		CHECK(c2 == NULL, "prefix %zu of \"%s\" accepted", n, text);
		CHECK(forms_agree(b.data, n), "prefix %zu of \"%s\": the decoders disagree", n, text);
		free(c2);
	}
	/* flipped bytes: either rejected, or valid calls that encode again */
	for (size_t n = 0; n < b.len; n++)
		for (int bit = 0; bit < 8; bit++)
		{
			VfCalls    *c2;

			b.data[n] ^= (uint8_t) (1 << bit);
			c2 = vf_calls_decode(b.data, b.len, NULL, &err);
			CHECK(forms_agree(b.data, b.len), "flipped byte %zu bit %d of \"%s\": the decoders disagree", n, bit, text);
			if (c2 != NULL)
			{
				VfBuf		b3;

				vf_buf_init(&b3, NULL);
				CHECK(vf_calls_encode(c2, &b3, &err) == 0, "flipped byte %zu bit %d of \"%s\" decoded to invalid calls: %s",
					  n, bit, text, err.msg);
				vf_buf_free(&b3);
				free(c2);
			}
			b.data[n] ^= (uint8_t) (1 << bit);
		}
	free(calls);
done:
	vf_buf_free(&b);
	vf_buf_free(&t);
	vf_buf_free(&b2);
}

static void
bad_text(const char *text, VfErrCode code, const char *msg_part)
{
	VfBuf		b;
	VfError		err;

	vf_buf_init(&b, NULL);
	if (vf_genotype_parse(text, &b, &err) == 0)
		CHECK(0, "accepted bad genotype \"%s\"", text);
	else
	{
		CHECK(err.code == code, "\"%s\": code %d, want %d (%s)", text, err.code, code, err.msg);
		CHECK(strstr(err.msg, msg_part) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, msg_part);
	}
	vf_buf_free(&b);
}

static void
test_text(void)
{
	round_trip("22:100-200", "22:100-200");
	round_trip("22:100-200 150:A:G:0|1 170:C:CT,CTT:1/2", "22:100-200 150:A:G:0|1 170:C:CT,CTT:1/2");
	round_trip(" chr1:1-1000\t1:rs123:A:G:0|1:DS=0.98  5:A:T:./.\n6:A:T:.|1 7:G:A:1 8:G:A:. ",
			   "chr1:1-1000 1:rs123:A:G:0|1:DS=0.98 5:A:T:./. 6:A:T:.|1 7:G:A:1 8:G:A:.");
	round_trip("1:1-1000 10:1:12345:A:G:A:G:0|1 20:esv_1;rs2:T:C:1|1 30:rs0:A:C:0/1 40:rs01:A:C:1/1",
			   "1:1-1000 10:1:12345:A:G:A:G:0|1 20:esv_1;rs2:T:C:1|1 30:rs0:A:C:0/1 40:rs01:A:C:1/1");
	round_trip("1:1-1000 10:A:G,T:1|2:DS=0.5,. 20:A:<DEL>:0/1:END=90 30:G:<*>:0/0:END=40 40:C:*,T:1/2 50:CAG:C:1|0 60:N:.:0|0",
			   "1:1-1000 10:A:G,T:1|2:DS=0.5,. 20:A:<DEL>:0/1:END=90 30:G:<*>:0/0:END=40 40:C:*,T:1/2 50:CAG:C:1|0 60:N:.:0|0");
	round_trip("1:1-1000 10:A:G:0|1:DS=0.3333333 11:A:G:0|1:DS=1e-07 12:A:G:1|1:DS=2 13:A:G:0|1:DS=-0.5 14:A:G:0|1:DS=123456.7",
			   "1:1-1000 10:A:G:0|1:DS=0.3333333 11:A:G:0|1:DS=1e-07 12:A:G:1|1:DS=2 13:A:G:0|1:DS=-0.5 14:A:G:0|1:DS=123456.7");
	/* END equal to the REF span is not written (it says nothing) */
	round_trip("1:1-1000 10:ACG:A:0|1:END=12", "1:1-1000 10:ACG:A:0|1");
	/* the options may come in either order; output writes END first */
	round_trip("1:1-1000 10:A:<DEL>:0|1:DS=1:END=20", "1:1-1000 10:A:<DEL>:0|1:END=20:DS=1");
	/* wide allele indices (> 13) and a large region */
	{
		char		text[1024] = "X:1-4000000000 3999999999:A:";
		char		canon[1024];

		for (int i = 0; i < 20; i++)
			strcat(text, i ? ",C" : "C");
		strcat(text, ":20/19 4000000000:N:A:.");
		strcpy(canon, text);
		round_trip(text, canon);
	}

	bad_text("", VF_ERR_SYNTAX, "empty");
	bad_text("22", VF_ERR_SYNTAX, "chrom:start-end");
	bad_text("22:1,000-2,000", VF_ERR_SYNTAX, "chrom:start-end");
	bad_text("22:100-", VF_ERR_SYNTAX, "chrom:start-end");
	bad_text("22:200-100", VF_ERR_SYNTAX, "ends before");
	bad_text("22:100-200 170:A:G:0|1 150:C:T:0|1", VF_ERR_DATA, "sorted");
	bad_text("22:100-200 250:A:G:0|1", VF_ERR_DATA, "outside");
	bad_text("22:100-200 99:A:G:0|1", VF_ERR_DATA, "outside");
	bad_text("22:100-200 150:A:G:0|2", VF_ERR_DATA, "allele index 2");
	bad_text("22:100-200 150:A:.:1|1", VF_ERR_DATA, "allele index 1");
	bad_text("22:100-200 150:A:X:0|1", VF_ERR_DATA, "invalid ALT");
	bad_text("22:100-200 150:*:A:0|1", VF_ERR_DATA, "invalid REF");
	bad_text("22:100-200 150:a:G:0|1", VF_ERR_DATA, "invalid REF");
	bad_text("22:100-200 150:A:<DUP>:0|1", VF_ERR_DATA, "invalid ALT");
	bad_text("22:100-200 150:A:G,:0|1", VF_ERR_DATA, "invalid ALT");
	bad_text("22:100-200 150:A:G:0|1|1", VF_ERR_SYNTAX, "GT");
	bad_text("22:100-200 150:A:G:01|1", VF_ERR_SYNTAX, "GT");
	bad_text("22:100-200 150:A:G:|1", VF_ERR_SYNTAX, "GT");
	bad_text("22:100-200 150:A:G:-1|1", VF_ERR_SYNTAX, "GT");
	bad_text("22:100-200 150:A:G:99999999|1", VF_ERR_SYNTAX, "GT");
	bad_text("22:100-200 150:A:G", VF_ERR_SYNTAX, "at least");
	bad_text("22:100-200 150:A:G:0|1:DS=0.5,0.2", VF_ERR_SYNTAX, "one value per ALT");
	bad_text("22:100-200 150:A:G:0|1:DS=", VF_ERR_SYNTAX, "DS");
	bad_text("22:100-200 150:A:G:0|1:DS=nan", VF_ERR_SYNTAX, "DS");
	bad_text("22:100-200 150:A:G:0|1:DS=1e99", VF_ERR_SYNTAX, "DS");
	bad_text("22:100-200 150:A:.:0|0:DS=1", VF_ERR_SYNTAX, "without ALT");
	bad_text("22:100-200 150:A:<DEL>:0|1:END=120", VF_ERR_SYNTAX, "END");
	bad_text("22:100-200 150:A:<DEL>:0|1:END=x", VF_ERR_SYNTAX, "END");
	bad_text("22:100-200 150:.:A:G:0|1", VF_ERR_DATA, "invalid ID");
	bad_text("22:100-200 x:A:G:0|1", VF_ERR_SYNTAX, "POS");
	bad_text("22:100-200 +150:A:G:0|1", VF_ERR_SYNTAX, "POS");
}

static void
test_snv_size(void)
{
	/* a biallelic SNV with rsID and DS in a 2 Mb region: at most 12 bytes */
	VfCallsEncoder e;
	VfError		err;
	const char *al[2] = {"A", "G"};
	float		ds = 1.234f;
	VfCall		c = {.pos = 2000000, .id = "rs1234567890", .n_allele = 2, .allele = al,
					 .gt = {0, 1}, .phased = true, .ds = &ds, .rlen = 1};

	vf_calls_encoder_init(&e, 1, 2000000, NULL);
	CHECK(vf_calls_encoder_add(&e, &c, &err) == 0, "encode SNV: %s", err.msg);
	CHECK(e.body.len <= 12, "a biallelic SNV took %zu bytes", e.body.len);
	printf("biallelic SNV, gap 2 Mb, rsID and DS: %zu bytes\n", e.body.len);
	vf_buf_free(&e.body);
}

static void
test_region(void)
{
	VfRegion	r;
	VfError		err;

	CHECK(vf_region_parse("chr22", &r, &err) == 0 && strcmp(r.chrom, "chr22") == 0 && r.start == 1 && !vf_region_bounded(&r), "chr22");
	CHECK(vf_region_parse("22:100", &r, &err) == 0 && r.start == 100 && !vf_region_bounded(&r), "22:100");
	CHECK(vf_region_parse("22:100-", &r, &err) == 0 && r.start == 100 && !vf_region_bounded(&r), "22:100-");
	CHECK(vf_region_parse("22:1,000-2,000,000", &r, &err) == 0 && r.start == 1000 && r.end == 2000000, "commas");
	CHECK(vf_region_parse("HLA-A*01:01:1-300", &r, &err) == 0 && strcmp(r.chrom, "HLA-A*01:01") == 0 && r.end == 300, "colon contig");
	CHECK(vf_region_parse("22:5-5", &r, &err) == 0 && r.start == 5 && r.end == 5, "single base");
	{
		const char *bad[] = {"", ":1-2", "22:", "22:0-5", "22:5-4", "22:a-5", "22:1-b", "22:1,,000", "22:,1",
							 "22:1-2-3", "22 :1-2", "22:1-2\n", "22:99999999999-", "22:-5"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK(vf_region_parse(bad[i], &r, &err) != 0 && err.code == VF_ERR_SYNTAX, "accepted region \"%s\"", bad[i]);
	}
	{
		char		longname[400];

		memset(longname, 'c', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK(vf_region_parse(longname, &r, &err) != 0, "accepted a 399-byte contig");
	}
}

static void
test_contigs(void)
{
	const char *ucsc[] = {"chr1", "chr22", "chrX", "chrM"};
	const char *ens[] = {"1", "22", "X", "MT"};
	VfError		err;

	CHECK(vf_contig_find("VCF", "chr22", ucsc, 4, &err) == 1, "exact");
	CHECK(vf_contig_find("VCF", "22", ucsc, 4, &err) == -1 && err.code == VF_ERR_NOT_FOUND &&
		  strstr(err.detail, "names contigs like \"chr22\"; you asked for \"22\"") && strstr(err.hint, "\"chr22\""),
		  "22 vs chr22: %s / %s", err.detail, err.hint);
	CHECK(vf_contig_find("FASTA", "chrX", ens, 4, &err) == -1 && strstr(err.hint, "\"X\"") && strstr(err.msg, "FASTA"),
		  "chrX vs X: %s", err.hint);
	CHECK(vf_contig_find("GTF", "chrM", ens, 4, &err) == -1 && strstr(err.hint, "\"MT\""), "chrM vs MT: %s", err.hint);
	CHECK(vf_contig_find("GTF", "MT", ucsc, 4, &err) == -1 && strstr(err.hint, "\"chrM\""), "MT vs chrM: %s", err.hint);
	CHECK(vf_contig_find("VCF", "chr7", ucsc, 4, &err) == -1 && err.hint[0] == '\0' &&
		  strstr(err.detail, "4 contigs: \"chr1\", \"chr22\", \"chrX\", \"chrM\"."), "absent: %s", err.detail);
	CHECK(vf_contig_find("VCF", "7", NULL, 0, &err) == -1 && strstr(err.detail, "declares no contigs"), "empty list");
}

/* Random texts from the grammar's alphabet: never a crash; accepted ones are stable. */
static void
fuzz_text(void)
{
	const char	alphabet[] = "0123456789ACGTNacgt:.|/,-=<>*DSENrs \t";
	char		text[96];
	unsigned	seed = 12345;
	int			accepted = 0;

	for (int iter = 0; iter < 200000; iter++)
	{
		int			n;
		VfBuf		b;
		VfError		err;

		seed = seed * 1103515245u + 12345u;
		n = (int) ((seed >> 16) % 60);
		strcpy(text, "1:1-100 ");
		for (int i = 0; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			text[8 + i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		text[8 + n] = '\0';
		vf_buf_init(&b, NULL);
		if (vf_genotype_parse(text, &b, &err) == 0)
		{
			VfCalls    *c = vf_calls_decode(b.data, b.len, NULL, &err);
			VfBuf		t;

			accepted++;
			CHECK(c != NULL, "fuzz: own encoding of \"%s\" rejected: %s", text, err.msg);
			if (c)
			{
				vf_buf_init(&t, NULL);
				CHECK(vf_genotype_format(c, &t, &err) == 0, "fuzz format");
				round_trip((char *) t.data, (char *) t.data);
				vf_buf_free(&t);
				free(c);
			}
		}
		vf_buf_free(&b);
	}
	printf("text fuzz: %d of 200000 random inputs accepted, all round-trip\n", accepted);
}

/* Random bytes after a valid header: decode never crashes; accepted bytes re-encode. */
static void
fuzz_bytes(void)
{
	uint8_t		buf[64];
	unsigned	seed = 777;

	for (int iter = 0; iter < 200000; iter++)
	{
		size_t		n;
		VfError		err;
		VfCalls    *c;

		buf[0] = 1;
		buf[1] = 2;
		buf[2] = '2';
		buf[3] = '2';
		buf[4] = 1;				/* start */
		buf[5] = 100;			/* span */
		seed = seed * 1103515245u + 12345u;
		buf[6] = (uint8_t) ((seed >> 16) % 4);	/* calls */
		seed = seed * 1103515245u + 12345u;
		n = 7 + (seed >> 16) % 50;
		for (size_t i = 7; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t) (seed >> 16);
		}
		c = vf_calls_decode(buf, n, NULL, &err);
		CHECK(forms_agree(buf, n), "fuzz bytes: the decoders disagree");
		if (c)
		{
			VfBuf		b;

			vf_buf_init(&b, NULL);
			CHECK(vf_calls_encode(c, &b, &err) == 0, "fuzz bytes: decoded invalid calls: %s", err.msg);
			vf_buf_free(&b);
			free(c);
		}
	}
}

static void
test_from_text(void)
{
	VfError		err;
	VfCalls    *c = vf_calls_from_text("chr1:10-20 12:rs5:AC:A,ACC:2|.:DS=0.5,1 15:A:<DEL>:1:END=25", &err);

	CHECK(c != NULL, "vf_calls_from_text: %s", err.msg);
	if (c == NULL)
		return;
	CHECK(strcmp(c->chrom, "chr1") == 0 && c->start == 10 && c->end == 20 && c->n_call == 2, "header");
	CHECK(c->call[0].pos == 12 && strcmp(c->call[0].id, "rs5") == 0 && c->call[0].n_allele == 3 &&
		  strcmp(c->call[0].allele[2], "ACC") == 0 && c->call[0].gt[0] == 2 &&
		  c->call[0].gt[1] == VF_ALLELE_MISSING && c->call[0].phased && c->call[0].ds[1] == 1.0f &&
		  c->call[0].rlen == 2, "call 1");
	CHECK(c->call[1].gt[1] == VF_ALLELE_NONE && c->call[1].rlen == 11 && vf_call_rlen(&c->call[1]) == 11 &&
		  c->call[1].id == NULL && c->call[1].ds == NULL, "call 2");
	free(c);
	CHECK(vf_calls_from_text("chr1:10-20 9:A:C:1", &err) == NULL && err.code == VF_ERR_DATA, "outside region");
}

/* Replaces the first occurrence of from (n bytes) in b by to; 0 when absent. */
static int
patch_bytes(VfBuf *b, const uint8_t *from, const uint8_t *to, size_t n)
{
	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, from, n) == 0)
		{
			memcpy(b->data + i, to, n);
			return 1;
		}
	return 0;
}

/*
 * Binary input the text form could not give: a NaN dosage with another payload or sign is
 * read as the one NaN (re-encoding gives the canonical bytes, so equal texts are equal
 * values); an END beyond VF_POS_MAX (which would print as text that cannot be read back)
 * is refused, and so is such a call given to the encoder.
 */
static void
test_hostile_binary(void)
{
	static const uint8_t nan_canon[4] = {0x00, 0x00, 0xc0, 0x7f};
	static const uint8_t nan_payloads[][4] = {{0x01, 0x00, 0xc0, 0x7f}, {0x00, 0x00, 0xc0, 0xff}, {0x01, 0x00, 0x80, 0x7f}};
	VfError		err;
	VfBuf		b,
				b2;

	for (size_t k = 0; k < sizeof(nan_payloads) / sizeof(nan_payloads[0]); k++)
	{
		VfCalls    *c;

		vf_buf_init(&b, NULL);
		vf_buf_init(&b2, NULL);
		CHECK(vf_genotype_parse("1:1-100 10:A:G,T:1|2:DS=0.3333333,.", &b, &err) == 0, "parse: %s", err.msg);
		CHECK(patch_bytes(&b, nan_canon, nan_payloads[k], 4), "canonical NaN bytes not found in the encoding");
		c = vf_calls_decode(b.data, b.len, NULL, &err);
		CHECK(c != NULL, "NaN payload %zu refused: %s", k, err.msg);
		if (c != NULL)
		{
			VfBuf		canon;

			vf_buf_init(&canon, NULL);
			CHECK(isnan(c->call[0].ds[1]) && !signbit(c->call[0].ds[1]), "NaN payload %zu not normalised", k);
			CHECK(vf_calls_encode(c, &b2, &err) == 0, "re-encode: %s", err.msg);
			CHECK(vf_genotype_parse("1:1-100 10:A:G,T:1|2:DS=0.3333333,.", &canon, &err) == 0, "parse");
			CHECK(b2.len == canon.len && memcmp(b2.data, canon.data, canon.len) == 0,
				  "NaN payload %zu re-encodes to other bytes than the text", k);
			vf_buf_free(&canon);
			free(c);
		}
		vf_buf_free(&b);
		vf_buf_free(&b2);
	}

	/* END = 3999999000 + 501 - 1 fits; rlen 501 is varint f5 03, rlen 4000 is a0 1f */
	{
		static const uint8_t r501[2] = {0xf5, 0x03},
					r4000[2] = {0xa0, 0x1f};
		VfCalls    *c;

		vf_buf_init(&b, NULL);
		CHECK(vf_genotype_parse("1:3999998000-4000000000 3999999000:A:<DEL>:0|1:END=3999999500", &b, &err) == 0,
			  "parse END near the largest position: %s", err.msg);
		CHECK(patch_bytes(&b, r501, r4000, 2), "rlen varint not found");
		c = vf_calls_decode(b.data, b.len, NULL, &err);
		CHECK(c == NULL && err.code == VF_ERR_CORRUPT && strstr(err.msg, "END") != NULL,
			  "END beyond the largest position accepted in binary input");
		free(c);
		vf_buf_free(&b);

		c = vf_calls_from_text("1:3999998000-4000000000 3999999000:A:<DEL>:0|1:END=3999999500", &err);
		CHECK(c != NULL, "from text: %s", err.msg);
		if (c != NULL)
		{
			((VfCall *) &c->call[0])->rlen = 4000;
			vf_buf_init(&b, NULL);
			CHECK(vf_calls_encode(c, &b, &err) != 0 && err.code == VF_ERR_DATA && strstr(err.msg, "END") != NULL,
				  "encoder accepted a call whose END lies beyond the largest position");
			vf_buf_free(&b);
			free(c);
		}
	}
}

/*
 * Coverage: "/listed" round-trips through text and bytes as version 2; region coverage
 * stays version 1, byte for byte what values stored before version 2 were.
 */
static void
test_coverage(void)
{
	VfError		err;
	VfBuf		b;
	const char *listed = "22:100-200/listed 150:rs123:A:G:0|0 170:C:.:0/0";
	/* 22:100-200 150:A:G:0|1 as version 1 wrote it: version, "22", start, span, 1 call */
	static const uint8_t v1[] = {1, 2, '2', '2', 100, 100, 1, 50, 0x02 | (2 << 6), 2 | (3 << 5)};
	VfCalls    *c;

	vf_buf_init(&b, NULL);
	CHECK(vf_genotype_parse(listed, &b, &err) == 0, "coverage");
	CHECK(b.len > 2 && b.data[0] == VF_GENOTYPE_VERSION_FLAGS && b.data[1] == VF_GT_FLAG_LISTED, "coverage");
	c = vf_calls_decode(b.data, b.len, NULL, &err);
	CHECK(c != NULL && c->listed && c->n_call == 2, "coverage");
	if (c)
	{
		VfBuf		t;

		vf_buf_init(&t, NULL);
		CHECK(vf_genotype_format(c, &t, &err) == 0 && strcmp((char *) t.data, listed) == 0, "coverage");
		vf_buf_free(&t);
		free(c);
	}
	/* a version 2 header must carry a known flag: region coverage is version 1 only */
	b.data[1] = 0;
	CHECK(vf_calls_decode(b.data, b.len, NULL, &err) == NULL && strstr(err.msg, "coverage"), "coverage");
	b.data[1] = 0x03;
	CHECK(vf_calls_decode(b.data, b.len, NULL, &err) == NULL, "coverage");
	vf_buf_free(&b);

	/* old bytes load as region coverage and re-encode to the same bytes */
	c = vf_calls_decode(v1, sizeof(v1), NULL, &err);
	CHECK(c != NULL && !c->listed && c->n_call == 1 && c->call[0].gt[1] == 1, "coverage");
	if (c)
	{
		vf_buf_init(&b, NULL);
		CHECK(vf_calls_encode(c, &b, &err) == 0 && b.len == sizeof(v1) && memcmp(b.data, v1, sizeof(v1)) == 0, "coverage");
		vf_buf_free(&b);
		free(c);
	}
	/* the suffix is only a suffix */
	vf_buf_init(&b, NULL);
	CHECK(vf_genotype_parse("22:100-200/listedx", &b, &err) != 0, "coverage");
	CHECK(vf_genotype_parse("/listed", &b, &err) != 0, "coverage");
	vf_buf_free(&b);
}

/*
 * The compact form keeps compact SNVs as records and everything else in full: a biallelic
 * SNV with a DS in thousandths, one with a float DS, one without DS (NaN), a haploid one, a
 * missing GT, an indel, a multi-allelic site, a symbolic ALT.
 */
static void
test_pos_form(void)
{
	const char *text = "chr2:1-1000 10:rs7:A:G:0|1:DS=1.25 12:C:T:1/1:DS=0.3333333 13:G:A:0/1 14:T:C:1 "
		"15:G:T:./. 20:C:CT:0/1 30:A:G,T:1|2 40:A:<DEL>:0/1:END=90";
	VfBuf		b;
	VfError		err;
	VfPosCalls *pc;

	vf_buf_init(&b, NULL);
	CHECK(vf_genotype_parse(text, &b, &err) == 0, "parse: %s", err.msg);
	CHECK(forms_agree(b.data, b.len), "the decoders disagree on the compact form's test");
	pc = vf_calls_decode_pos(b.data, b.len, NULL, &err);
	CHECK(pc != NULL, "decode_pos: %s", err.msg);
	if (pc)
	{
		CHECK(pc->n_call == 8 && pc->general.n_call == 3, "%d calls, %d general", pc->n_call, pc->general.n_call);
		CHECK(pc->call[0].snv == 1 + 0 * 5 + 2 && pc->call[0].ds == 1.25f && pc->call[0].gt[1] == 1, "A>G record");
		CHECK(pc->call[1].snv == 1 + 1 * 5 + 3 && pc->call[1].ds == 0.3333333f, "C>T float DS");
		CHECK(isnan(pc->call[2].ds) && pc->call[2].gt[0] == 0 && pc->call[2].gt[1] == 1, "no DS is NaN");
		CHECK(pc->call[3].gt[1] == VF_ALLELE_NONE && pc->call[4].gt[0] == VF_ALLELE_MISSING, "haploid, missing");
		CHECK(pc->call[5].snv == 0 && pc->call[6].snv == 0 && pc->call[7].snv == 0 &&
			  pc->general.call[2].rlen == 51 && pc->call[7].pos == 40, "indel, multi-allelic, <DEL> in full");
		free(pc);
	}
	vf_buf_free(&b);
}

int
main(void)
{
	test_coverage();
	test_pos_form();
	test_milli_dosages();
	test_hostile_binary();
	test_from_text();
	test_text();
	test_snv_size();
	test_region();
	test_contigs();
	fuzz_text();
	fuzz_bytes();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("genotype_test: all passed\n");
	return 0;
}
