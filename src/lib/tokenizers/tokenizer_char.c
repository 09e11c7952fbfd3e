/*
 * tokenizer_char.c: one token per character.
 *
 * Two sources: a vocab.txt of single characters plus [..]/<..> special tokens (the
 * HyenaDNA / Caduceus CharacterTokenizer vocabulary written out one token a line), and a
 * tokenizer.json WordLevel model whose words are single characters (tokenizer_json.c runs
 * its normalizer, pre-tokenizer and post-processor and calls vf_char_model_word per word).
 * The vocab.txt form appends [SEP] when the vocabulary has one, as CharacterTokenizer's
 * build_inputs_with_special_tokens does, and adds nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

int
vf_char_model_word(const VfVocab *vocab, int32_t unk_id, const char *w, size_t len,
				   VfIds *out, VfError *err)
{
	for (size_t i = 0; i < len; i++)
	{
		int32_t		id = vf_vocab_get(vocab, w + i, 1);

		if (id < 0)
			id = unk_id;
		if (id < 0)
		{
			unsigned char c = (unsigned char) w[i];

			if (c >= 0x21 && c < 0x7f)
				return vf_error(err, VF_ERR_INVALID,
								"character '%c' is not in the tokenizer's vocabulary, which has no unknown token", c);
			return vf_error(err, VF_ERR_INVALID,
							"character 0x%02X is not in the tokenizer's vocabulary, which has no unknown token", c);
		}
		if (vf_ids_push(out, id, err) < 0)
			return -1;
	}
	return 0;
}

typedef struct CharTok
{
	VfVocab		vocab;
	int32_t		unk_id;
	int32_t		sep_id;
} CharTok;

static int
char_line(void *arg, const char *t, size_t len, int32_t lineno, VfError *err)
{
	CharTok    *ct = arg;

	if (len == 0)
		return 0;
	return vf_vocab_put(&ct->vocab, t, len, lineno, err);
}

static void
char_free(void *impl)
{
	CharTok    *ct = impl;

	if (ct == NULL)
		return;
	vf_vocab_free(&ct->vocab);
	free(ct);
}

static int
char_tokenize(const VfTokenizer *tok, const char *s, size_t len, VfIds *out, VfError *err)
{
	const CharTok *ct = tok->impl;

	if (vf_char_model_word(&ct->vocab, ct->unk_id, s, len, out, err) < 0)
		return -1;
	if (ct->sep_id >= 0 && vf_ids_push(out, ct->sep_id, err) < 0)
		return -1;
	return 0;
}

static int32_t
first_of(const VfVocab *v, const char *a, const char *b)
{
	int32_t		id = vf_vocab_get(v, a, strlen(a));

	return id >= 0 ? id : vf_vocab_get(v, b, strlen(b));
}

int
vf_tokenizer_char_load_txt(VfTokenizer *tok, const char *text, size_t len, VfError *err)
{
	CharTok    *ct = calloc(1, sizeof(CharTok));
	int32_t		n_lines = 0;

	if (ct == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory loading a character vocabulary");
	vf_vocab_init(&ct->vocab);
	if (vf_vocab_txt_lines(text, len, char_line, ct, &n_lines, err) < 0)
	{
		char_free(ct);
		return -1;
	}
	ct->unk_id = first_of(&ct->vocab, "[UNK]", "<unk>");
	ct->sep_id = vf_vocab_get(&ct->vocab, "[SEP]", 5);
	tok->kind = VF_TOKENIZER_CHAR;
	tok->impl = ct;
	tok->free_impl = char_free;
	tok->tokenize = char_tokenize;
	tok->vocab_size = n_lines;
	tok->pad_id = first_of(&ct->vocab, "[PAD]", "<pad>");
	tok->bound_per_byte = 1;
	tok->bound_extra = 1;		/* [SEP] */
	return 0;
}
