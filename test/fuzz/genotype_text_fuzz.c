/*
 * genotype_text_fuzz.c: libFuzzer harness for the genotype type's text input (genotype_in).
 *
 * The input is the text (NUL-terminated copy). Whatever it is, parsing must return a clean
 * error or a value whose stored bytes decode (vf_calls_decode, what every reader of the
 * value runs), whose text form parses back to the very same bytes (a dump restores), and
 * whose text form is canonical (printing the re-read value gives the same text).
 *   make fuzz-genotype_text FUZZ_SECONDS=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/types/genotype_codec.h"
#include "varformer/types/genotype_text.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	VfBuf		bin,
				out,
				bin2,
				out2;
	VfError		err;
	VfCalls    *calls,
			   *calls2;

	memcpy(text, data, size);
	text[size] = '\0';
	vf_buf_init(&bin, NULL);
	if (vf_genotype_parse(text, &bin, &err) != 0)
	{
		if (err.code == VF_OK || err.msg[0] == '\0')
			abort();			/* an error must say what it is */
		vf_buf_free(&bin);
		free(text);
		return 0;
	}
	calls = vf_calls_decode(bin.data, bin.len, NULL, &err);
	if (calls == NULL)
		abort();				/* text input stored bytes its own decoder refuses */
	vf_buf_init(&out, NULL);
	if (vf_genotype_format(calls, &out, &err) != 0)
		abort();
	vf_buf_init(&bin2, NULL);
	if (vf_genotype_parse((const char *) out.data, &bin2, &err) != 0)
		abort();				/* printed text that cannot be read back */
	if (bin2.len != bin.len || memcmp(bin2.data, bin.data, bin.len) != 0)
		abort();				/* read back as a different value */
	calls2 = vf_calls_decode(bin2.data, bin2.len, NULL, &err);
	if (calls2 == NULL)
		abort();
	vf_buf_init(&out2, NULL);
	if (vf_genotype_format(calls2, &out2, &err) != 0 || out2.len != out.len ||
		memcmp(out2.data, out.data, out.len) != 0)
		abort();				/* text output not canonical */
	free(calls);
	free(calls2);
	vf_buf_free(&bin);
	vf_buf_free(&bin2);
	vf_buf_free(&out);
	vf_buf_free(&out2);
	free(text);
	return 0;
}
