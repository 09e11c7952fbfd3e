/*
 * embedding_binary_fuzz.c: libFuzzer harness for the embedding type's binary input
 * (embedding_recv -> vf_embedding_parse_binary).
 *
 * Whatever the bytes, parsing returns a clean error or finite floats that re-encode to
 * exactly the input (the binary form has one encoding per value: the reserved field is 0,
 * the length is exact and NaN payloads are refused).
 *   make fuzz-embedding_binary FUZZ_SECONDS=600
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/types/embedding_text.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	VfBuf		floats;
	VfError		err;
	int			dim;

	vf_buf_init(&floats, NULL);
	dim = vf_embedding_parse_binary(data, size, &floats, &err);
	if (dim < 0)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();			/* an error must say what it is */
		vf_buf_free(&floats);
		return 0;
	}
	if (size != 4 + sizeof(float) * (size_t) dim || data[0] != (uint8_t) (dim >> 8) ||
		data[1] != (uint8_t) dim || data[2] != 0 || data[3] != 0)
		abort();				/* accepted a header that does not describe the value */
	for (int i = 0; i < dim; i++)
	{
		float		v;
		uint32_t	bits;
		const uint8_t *be = data + 4 + 4 * (size_t) i;

		memcpy(&v, floats.data + 4 * (size_t) i, 4);
		memcpy(&bits, &v, 4);
		if (!isfinite(v) || be[0] != (uint8_t) (bits >> 24) || be[1] != (uint8_t) (bits >> 16) ||
			be[2] != (uint8_t) (bits >> 8) || be[3] != (uint8_t) bits)
			abort();			/* a non-finite element, or one that does not re-encode */
	}
	vf_buf_free(&floats);
	return 0;
}
