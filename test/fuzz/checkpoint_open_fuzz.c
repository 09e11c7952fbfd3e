/*
 * checkpoint_open_fuzz.c: libFuzzer harness for vf_checkpoint_open, which validates an image
 * that another process wrote into shared memory. Whatever the bytes, it must refuse them or
 * return views that stay inside the image (every element is read, so ASan sees any escape).
 *   make fuzz-checkpoint FUZZ_SECONDS=300
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/checkpoint/checkpoint.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		cap = (size + 63) & ~(size_t) 63;
	unsigned char *img;
	VfCheckpoint c;
	VfError		err;
	volatile float sink = 0;

	if (size == 0)
		return 0;
	img = aligned_alloc(64, cap);
	memcpy(img, data, size);
	if (vf_checkpoint_open(img, size, &c, &err) == 0)
	{
		for (int t = 0; t < c.n_tensor; t++)
		{
			sink += (float) strlen(c.tensor[t].name);
			for (int64_t i = 0; i < c.tensor[t].numel; i++)
				sink += c.tensor[t].data[i];
			if (vf_checkpoint_tensor(&c, c.tensor[t].name) != &c.tensor[t])
				abort();
		}
		if (c.config_json)
			sink += (float) strlen(c.config_json);
		if (c.tokenizer_json)
			sink += (float) strlen(c.tokenizer_json);
		if (c.vocab_txt)
			sink += (float) strlen(c.vocab_txt);
		vf_checkpoint_close(&c);
	}
	free(img);
	return 0;
}
