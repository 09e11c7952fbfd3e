/*
 * embedding_text_fuzz.c: libFuzzer harness for the embedding type's text input
 * (embedding_in -> vf_embedding_parse_text).
 *
 * Whatever the input, parsing returns a clean error (with a message) or 1..16000 finite
 * floats whose shortest text form, as output writes it, reads back to the same bits (a dump
 * restores), and the binary form of the value reads back to the same floats.
 *   make fuzz-embedding_text FUZZ_SECONDS=600
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/embedding_kernels.h"
#include "varformer/types/embedding_text.h"
#include "varformer/types/genotype_text.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	VfBuf		floats,
				again,
				printed,
				binary,
				from_binary;
	VfError		err;
	int			dim;
	const float *x;
	char		num[32];

	memcpy(text, data, size);
	text[size] = '\0';
	vf_buf_init(&floats, NULL);
	dim = vf_embedding_parse_text(text, &floats, &err);
	free(text);
	if (dim < 0)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();			/* an error must say what it is */
		vf_buf_free(&floats);
		return 0;
	}
	if (dim < 1 || dim > VF_EMBEDDING_MAX_DIM || floats.len != sizeof(float) * (size_t) dim)
		abort();
	x = (const float *) floats.data;

	/* the text output writes: '[' shortest floats joined by ',' ']' */
	vf_buf_init(&printed, NULL);
	vf_buf_init(&binary, NULL);
	vf_buf_append(&printed, "[", 1, &err);
	binary.len = 0;
	{
		uint8_t		hdr[4] = {(uint8_t) (dim >> 8), (uint8_t) dim, 0, 0};

		vf_buf_append(&binary, hdr, 4, &err);
	}
	for (int i = 0; i < dim; i++)
	{
		uint32_t	bits;
		uint8_t		be[4];

		if (!isfinite(x[i]))
			abort();			/* NaN and infinities must never reach a value */
		if (i > 0)
			vf_buf_append(&printed, ",", 1, &err);
		vf_buf_append(&printed, num, (size_t) vf_float_to_text(x[i], num), &err);
		memcpy(&bits, &x[i], 4);
		be[0] = (uint8_t) (bits >> 24);
		be[1] = (uint8_t) (bits >> 16);
		be[2] = (uint8_t) (bits >> 8);
		be[3] = (uint8_t) bits;
		vf_buf_append(&binary, be, 4, &err);
	}
	vf_buf_append(&printed, "]", 2, &err);

	vf_buf_init(&again, NULL);
	if (vf_embedding_parse_text((const char *) printed.data, &again, &err) != dim ||
		memcmp(again.data, floats.data, floats.len) != 0)
		abort();				/* printed text that does not read back to the same value */
	vf_buf_init(&from_binary, NULL);
	if (vf_embedding_parse_binary(binary.data, binary.len, &from_binary, &err) != dim ||
		memcmp(from_binary.data, floats.data, floats.len) != 0)
		abort();				/* binary send/recv does not round trip */
	vf_buf_free(&floats);
	vf_buf_free(&again);
	vf_buf_free(&printed);
	vf_buf_free(&binary);
	vf_buf_free(&from_binary);
	return 0;
}
