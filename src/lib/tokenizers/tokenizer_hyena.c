/*
 * tokenizer_hyena.c: HyenaDNA's character tokenizer, which the -hf repositories ship as code
 * (tokenization_hyena.py, HyenaDNATokenizer) rather than as a vocabulary file: a fixed table
 * of seven special tokens then A, C, G, T, N (ids 7 to 11), one token per character,
 * anything else [UNK] (6), and [SEP] (1) appended (build_inputs_with_special_tokens; no
 * [CLS]). The table is written out as the vocab.txt the character tokenizer reads, so the
 * two cannot drift apart.
 */
#include <string.h>

#include "tokenizer_internal.h"

static const char hyena_vocab[] =
"[CLS]\n[SEP]\n[BOS]\n[MASK]\n[PAD]\n[RESERVED]\n[UNK]\nA\nC\nG\nT\nN\n";

bool
vf_tokenizer_is_hyena(const VfJson *config)
{
	const char *type;
	const VfJson *archs;

	if (config == NULL || config->type != VF_JSON_OBJECT)
		return false;
	type = vf_json_get_string(config, "model_type", NULL);
	if (type != NULL)
		return strcmp(type, "hyenadna") == 0;
	archs = vf_json_get(config, "architectures");
	return archs && archs->type == VF_JSON_ARRAY && archs->len > 0 &&
		archs->items[0].type == VF_JSON_STRING &&
		strncmp(archs->items[0].str, "HyenaDNA", 8) == 0;
}

int
vf_tokenizer_hyena_load(VfTokenizer *tok, VfError *err)
{
	if (vf_tokenizer_char_load_txt(tok, hyena_vocab, sizeof(hyena_vocab) - 1, err) < 0)
		return -1;
	/* one base a token: a sequence longer than max_seq_len - 1 is refused before any work */
	tok->max_bases_per_token = 1;
	return 0;
}
