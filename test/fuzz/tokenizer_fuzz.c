/*
 * tokenizer_fuzz.c: libFuzzer harness for the tokenizer loaders and tokenize.
 *
 * Input layout: byte 0 picks the file (even: tokenizer.json, odd: vocab.txt); the rest up to
 * the first "\n#SEQ#\n" is the file, what follows is a sequence to tokenize (upper- and
 * lower-case, any bytes). Every loader error must be a clean VfError, every success must
 * tokenize without touching memory it does not own, and all memory must come back.
 *
 *   make build/fuzz/tokenizer_fuzz
 *   build/fuzz/tokenizer_fuzz -dict=test/fuzz/tokenizer.dict -max_len=65536 CORPUS_DIR
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/tokenizers/tokenizer.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n#SEQ#\n";
	VfCheckpoint ck;
	VfError		err;
	VfTokenizer *tok;
	const char *body,
			   *seq = "ACGTNACGTACGTTTGACCAGTAGGACCCAANNNACGTACGT";
	size_t		body_len,
				seq_len = strlen(seq);
	char	   *file;
	int32_t		ids[4096];

	if (size < 1)
		return 0;
	body = (const char *) data + 1;
	body_len = size - 1;
	{
		const char *m = memmem(body, body_len, sep, sizeof(sep) - 1);

		if (m != NULL)
		{
			seq = m + sizeof(sep) - 1;
			seq_len = body_len - (size_t) (seq - body);
			body_len = (size_t) (m - body);
		}
	}
	/* an exact-size copy so ASan sees reads past the end of the file */
	file = malloc(body_len ? body_len : 1);
	if (file == NULL)
		return 0;
	memcpy(file, body, body_len);
	memset(&ck, 0, sizeof(ck));
	if (data[0] & 1)
	{
		ck.vocab_txt = file;
		ck.vocab_len = body_len;
	}
	else
	{
		ck.tokenizer_json = file;
		ck.tokenizer_len = body_len;
	}
	tok = vf_tokenizer_create(&ck, NULL, &err);
	if (tok != NULL)
	{
		int			n = vf_tokenize(tok, seq, seq_len, ids, 4096, &err);

		if (n > 4096 || (n >= 0 && (size_t) n > vf_tokenizer_ids_bound(tok, seq_len)))
			abort();
		for (int i = 0; i < n; i++)
			if (ids[i] < 0)
				abort();
		/* the limit path */
		vf_tokenizer_set_max_tokens(tok, 3);
		n = vf_tokenize(tok, seq, seq_len, ids, 4096, &err);
		if (n > 3)
			abort();
		vf_tokenizer_free(tok);
	}
	free(file);
	return 0;
}
