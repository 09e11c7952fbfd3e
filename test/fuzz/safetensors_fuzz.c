/*
 * safetensors_fuzz.c: libFuzzer harness for the safetensors header parser.
 * The input is a whole file (length prefix, JSON header, data). Whatever the bytes, the
 * parser must return an error or a header whose every tensor lies inside the data buffer
 * with a byte size matching its shape; ASan/UBSan catch the rest.
 *   make fuzz-safetensors FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdlib.h>

#include "varformer/checkpoint/safetensors.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	VfSafetensors st;
	VfError		err;

	if (vf_safetensors_parse_buffer(data, size, size, &st, &err) != 0)
		return 0;
	for (int i = 0; i < st.n_tensor; i++)
	{
		const VfStTensor *t = &st.tensor[i];

		if (t->begin > t->end || t->end > st.data_len || st.data_start + st.data_len != size ||
			(uint64_t) t->numel * vf_dtype_size(t->dtype) != t->end - t->begin)
			abort();
		for (int j = 0; j < i; j++)
		{
			const VfStTensor *u = &st.tensor[j];

			if (t->begin < t->end && u->begin < u->end && t->begin < u->end && u->begin < t->end)
				abort();		/* overlap slipped through */
		}
	}
	vf_safetensors_free(&st);
	return 0;
}
