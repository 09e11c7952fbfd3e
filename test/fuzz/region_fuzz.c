/*
 * region_fuzz.c: libFuzzer harness for region strings (chrom, chrom:start, chrom:start-,
 * chrom:start-end, thousands separators), as read_vcf, read_genotypes and the haplotype
 * functions parse them. Whatever the text, the parser must refuse it cleanly or return a
 * NUL-terminated contig name that is a prefix of the input and 1 <= start <= end <= the
 * position cap (or an open end).
 *   make fuzz-region FUZZ_SECONDS=300
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/common/region.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	VfRegion	r;
	VfError		err;

	memcpy(s, data, size);
	s[size] = '\0';
	memset(&r, 0xA5, sizeof(r));
	if (vf_region_parse(s, &r, &err) == 0)
	{
		size_t		n = strnlen(r.chrom, sizeof(r.chrom));

		if (n == sizeof(r.chrom) || n == 0 || strncmp(r.chrom, s, n) != 0)
			abort();
		if (r.start < 1 || r.start > VF_POS_MAX)
			abort();
		if (r.end != VF_REGION_OPEN_END && (r.end < r.start || r.end > VF_POS_MAX))
			abort();
	}
	else if (err.code == VF_OK || err.msg[0] == '\0')
		abort();
	free(s);
	return 0;
}
