/*
 * vcf_fuzz.c: libFuzzer harness for VCF and BCF records read through htslib the way
 * read_vcf and read_genotypes read them (vf_vcf_open / vf_vcf_next, which check a BCF
 * record's bytes before htslib decodes it, then build genotype values from the calls).
 *
 * Input: byte 0 picks the reading (bit 0: select samples, in an order other than the
 * file's, with the names taken from the header; regions are left out, since they need an
 * index a fuzzed file has not); the rest is the file (plain VCF, BGZF VCF or BCF: htslib detects which), written to a
 * temporary file. Every record must come back with its alleles, GT and DS inside what the
 * record says, go into a genotype value or be refused cleanly, and htslib must never be
 * let to exit() or abort (libFuzzer reports either as a crash).
 *   make fuzz-vcf FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <htslib/hts_log.h>

#include "varformer/genomics/vcf_reader.h"
#include "varformer/types/genotype_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * A BCF record's 8-byte prefix gives the sizes of its two blocks, and htslib's bcf_read
 * reallocs them (up to 8 GB) before reading; a crafted record claiming gigabytes is then
 * cut short and refused. In a backend the allocation is either refused by the kernel
 * (heuristic overcommit: more than RAM + swap) or never touched; here ASan would poison
 * gigabytes of shadow and libFuzzer report it as out-of-memory. Allocations above 1 GB
 * therefore fail as the kernel's would, and the error path after them is what is fuzzed.
 */
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

static void
check_record(VfVcfRecord *rec)
{
	VfVcfRecordKind kind;

	/* POS 0 is VCF's telomere position: read as is */
	if (rec->chrom == NULL || rec->pos < 0 || rec->n_allele < 1 || rec->n_sample < 0)
		abort();
	for (int a = 0; a < rec->n_allele; a++)
		(void) strlen(rec->allele[a]);
	if (rec->id)
		(void) strlen(rec->id);
	kind = vf_vcf_record_kind(rec);
	vf_vcf_upper_alleles(rec);
	for (int s = 0; s < rec->n_sample; s++)
	{
		VfCall		c = {0};
		VfCallsEncoder e;
		VfBuf		out;
		VfError		err;
		int64_t		end;

		if (rec->has_gt)
			for (int h = 0; h < 2; h++)
			{
				int			g = rec->gt[2 * s + h];

				if (g != VF_ALLELE_MISSING && g != VF_ALLELE_NONE && (g < 0 || g >= rec->n_allele))
					abort();	/* an allele index past the record's alleles */
			}
		(void) rec->phased[s];
		if (rec->ds && rec->has_ds[s])
			for (int a = 0; a < rec->n_allele - 1; a++)
				(void) rec->ds[(size_t) s * (rec->n_allele - 1) + a];
		if (kind != VF_VCF_STORABLE || !rec->has_gt)
			continue;
		/* the call as read_genotypes stores it, in a region around the record */
		c.pos = rec->pos;
		c.id = rec->id;
		c.n_allele = rec->n_allele;
		c.allele = (const char **) rec->allele;
		c.gt[0] = rec->gt[2 * s];
		c.gt[1] = rec->gt[2 * s + 1];
		c.phased = rec->phased[s];
		c.ds = rec->ds && rec->has_ds[s] ? rec->ds + (size_t) s * (rec->n_allele - 1) : NULL;
		c.rlen = rec->rlen;
		end = rec->pos + (rec->rlen > 0 ? rec->rlen : 1) - 1;
		vf_calls_encoder_init(&e, rec->pos, end > VF_POS_MAX ? VF_POS_MAX : end, NULL);
		vf_buf_init(&out, NULL);
		if (vf_calls_encoder_add(&e, &c, &err) == 0 &&
			vf_calls_encoder_finish(&e, rec->chrom, &out, &err) == 0)
		{
			VfCalls    *back = vf_calls_decode(out.data, out.len, NULL, &err);

			if (back == NULL)
				abort();		/* stored a value its decoder refuses */
			free(back);
		}
		else if (err.msg[0] == '\0')
			abort();
		vf_buf_free(&e.body);
		vf_buf_free(&out);
	}
}

static void
read_all(const char *path, const char *region, const char *const *samples, int n_samples)
{
	VfError		err;
	VfVcfReader *r = vf_vcf_open(path, region, samples, n_samples, &err);
	VfVcfRecord rec;
	int			rc,
				n = 0;

	if (r == NULL)
	{
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	for (int i = 0; i < vf_vcf_n_samples(r); i++)
		(void) strlen(vf_vcf_sample(r, i));
	while ((rc = vf_vcf_next(r, &rec, &err)) == 1 && n++ < 10000)
	{
		if (n_samples > 0 && rec.n_sample != n_samples)
			abort();
		check_record(&rec);
	}
	if (rc < 0 && err.msg[0] == '\0')
		abort();
	vf_vcf_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		path[64];
	FILE	   *f;
	const char *samples[3];
	int			n_samples = 0;
	VfError		err;

	if (size < 1)
		return 0;
	/*
	 * An uncompressed BCF whose header length exceeds the file: htslib mallocs that length
	 * (up to 4 GB) before it finds the file short. Harmless in a backend (the pages are never
	 * touched), but ASan maps every byte and a run stalls for seconds: not fuzzed.
	 */
	if (size >= 10 && memcmp(data + 1, "BCF\2", 4) == 0 &&
		((uint32_t) data[6] | (uint32_t) data[7] << 8 | (uint32_t) data[8] << 16 | (uint32_t) data[9] << 24) > size)
		return 0;
	hts_set_log_level(HTS_LOG_OFF);
	snprintf(path, sizeof(path), "/tmp/vf_vcf_fuzz.%d", (int) getpid());
	if ((f = fopen(path, "wb")) == NULL || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	if (data[0] & 1)
	{
		/* the header's sample names, last first (the file is read once to learn them) */
		VfVcfReader *r = vf_vcf_open(path, NULL, NULL, 0, &err);
		static char names[3][256];

		if (r != NULL)
		{
			for (int i = vf_vcf_n_samples(r) - 1; i >= 0 && n_samples < 3; i--)
			{
				snprintf(names[n_samples], sizeof(names[0]), "%s", vf_vcf_sample(r, i));
				samples[n_samples] = names[n_samples];
				n_samples++;
			}
			vf_vcf_close(r);
		}
		if (n_samples == 0)
		{
			samples[n_samples++] = "^S1";	/* htslib syntax, never a selection */
		}
	}
	read_all(path, NULL, n_samples ? samples : NULL, n_samples);
	unlink(path);
	return 0;
}
