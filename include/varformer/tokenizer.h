/*
 * tokenizer.h: turning a DNA sequence into the token ids a model's authors produce
 * (NT 6-mer, BPE from tokenizer.json, character level). Plain C.
 */
#ifndef VARFORMER_TOKENIZER_H
#define VARFORMER_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/checkpoint.h"
#include "varformer/error.h"
#include "varformer/json.h"

typedef struct VfTokenizer VfTokenizer;

/* Chooses the tokenizer from the checkpoint's files and config (model_type etc.). */
VfTokenizer *vf_tokenizer_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err);
void		vf_tokenizer_free(VfTokenizer *tok);

/*
 * Tokenizes seq[0..len) (upper-cased first: lower case is soft-masking), with the model's
 * special tokens. Writes at most max_ids ids; returns the count, or -1 with err set
 * (a sequence longer than the model accepts names both lengths).
 */
int			vf_tokenize(const VfTokenizer *tok, const char *seq, size_t len,
						int32_t *ids, int max_ids, VfError *err);
int			vf_tokenizer_pad_id(const VfTokenizer *tok);
int			vf_tokenizer_vocab_size(const VfTokenizer *tok);

#endif
