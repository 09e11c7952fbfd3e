/*
 * genotype_binary_fuzz.c: libFuzzer harness for the genotype type's binary input
 * (genotype_recv: vf_calls_decode of bytes from the client, then re-encoded).
 *
 * Whatever the bytes, decoding must refuse them cleanly or give calls that the encoder
 * accepts (recv stores vf_calls_encode of them), whose stored form decodes again, and whose
 * text form reads back to exactly the stored bytes: a value that binary COPY accepted must
 * survive a text dump. vf_calls_decode_no_ids and vf_calls_decode_pos (the varID scoring
 * path) must accept exactly what vf_calls_decode accepts, the latter giving the same calls
 * in its compact form.
 *   make fuzz-genotype_binary FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"

#include "../unit/calls_forms.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy so ASan sees reads past the end */
	uint8_t    *bytes = malloc(size ? size : 1);
	VfError		err;
	VfCalls    *calls,
			   *no_ids,
			   *stored_calls;
	VfPosCalls *pos;
	VfBuf		stored,
				text,
				back;
	VfGenotypeHeader h;

	memcpy(bytes, data, size);
	(void) vf_genotype_decode_header(bytes, size, &h, &err);
	calls = vf_calls_decode(bytes, size, NULL, &err);
	no_ids = vf_calls_decode_no_ids(bytes, size, NULL, &err);
	pos = vf_calls_decode_pos(bytes, size, NULL, &err);
	if ((calls == NULL) != (no_ids == NULL) || (calls == NULL) != (pos == NULL))
		abort();				/* the decoders disagree on what is valid */
	if (calls == NULL)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();
		free(bytes);
		return 0;
	}
	if (no_ids->n_call != calls->n_call || !pos_calls_agree(calls, pos))
		abort();
	vf_buf_init(&stored, NULL);
	if (vf_calls_encode(calls, &stored, &err) != 0)
		abort();				/* decoded calls the encoder refuses */
	stored_calls = vf_calls_decode(stored.data, stored.len, NULL, &err);
	if (stored_calls == NULL)
		abort();
	vf_buf_init(&text, NULL);
	if (vf_genotype_format(stored_calls, &text, &err) != 0)
		abort();
	vf_buf_init(&back, NULL);
	if (vf_genotype_parse((const char *) text.data, &back, &err) != 0)
		abort();				/* a dump of this value could not be restored */
	if (back.len != stored.len || memcmp(back.data, stored.data, stored.len) != 0)
		abort();				/* restored as a different value */
	free(calls);
	free(no_ids);
	free(pos);
	free(stored_calls);
	vf_buf_free(&stored);
	vf_buf_free(&text);
	vf_buf_free(&back);
	free(bytes);
	return 0;
}
