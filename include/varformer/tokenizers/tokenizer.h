/*
 * tokenizer.h: turning a DNA sequence into the token ids a model's authors produce
 * (NT 6-mer, DNABERT v1 overlapping k-mers, BPE from tokenizer.json, character level). Plain C.
 *
 * Which tokenizer a checkpoint gets (vf_tokenizer_create):
 *   tokenizer.json, model "BPE"                       -> BPE (normalizer, pre-tokenizer, merges,
 *                                                        added tokens, post-processor)
 *   tokenizer.json, model "WordLevel" of single chars -> character level
 *   vocab.txt with a complete k-mer set and <cls>      -> NT k-mer (Nucleotide Transformer)
 *   vocab.txt with a complete k-mer set (k = 3..6), [CLS]-style specials only and nothing
 *     else                                             -> overlapping k-mers (DNABERT v1)
 *   vocab.txt of single characters (+ [..]/<..>)       -> character level
 *   neither, config.json naming HyenaDNA               -> HyenaDNA's built-in characters
 * Anything else is an error naming what was found.
 *
 * A VfTokenizer is immutable after creation: vf_tokenize may run concurrently on one.
 */
#ifndef VARFORMER_TOKENIZER_H
#define VARFORMER_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"

typedef struct VfTokenizer VfTokenizer;

typedef enum VfTokenizerKind
{
	VF_TOKENIZER_KMER,			/* NT: <cls> + non-overlapping k-mers */
	VF_TOKENIZER_BPE,			/* tokenizer.json BPE */
	VF_TOKENIZER_CHAR,			/* one token per character */
	VF_TOKENIZER_KMER_OVERLAP	/* DNABERT v1: [CLS] + a k-mer at every position + [SEP] */
} VfTokenizerKind;

/*
 * Chooses the tokenizer from the checkpoint's files; config (config.json, may be NULL) gives
 * the maximum token count (max_position_embeddings, less the ESM/RoBERTa position offset).
 */
VfTokenizer *vf_tokenizer_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err);
void		vf_tokenizer_free(VfTokenizer *tok);

/*
 * Tokenizes seq[0..len) (upper-cased first: lower case is soft-masking), with the model's
 * special tokens. Writes at most max_ids ids; returns the count, or -1 with err set
 * (a sequence longer than the model accepts names both lengths; non-ASCII input is refused).
 */
int			vf_tokenize(const VfTokenizer *tok, const char *seq, size_t len,
						int32_t *ids, int max_ids, VfError *err);
int			vf_tokenizer_pad_id(const VfTokenizer *tok);	/* -1 when the vocabulary has none */
int			vf_tokenizer_vocab_size(const VfTokenizer *tok);	/* highest id + 1 */
VfTokenizerKind vf_tokenizer_kind(const VfTokenizer *tok);
const char *vf_tokenizer_kind_name(VfTokenizerKind kind);

/*
 * Room for the ids of any sequence of len bytes that tokenizes without error (so callers can
 * size the ids buffer of vf_tokenize): the model's maximum when it has one, else a bound
 * from the tokenizer's rules.
 */
size_t		vf_tokenizer_ids_bound(const VfTokenizer *tok, size_t len);

/* Maximum tokens per sequence, special tokens included; 0 = no limit known. */
int			vf_tokenizer_max_tokens(const VfTokenizer *tok);
/* Overrides the limit (e.g. from load_model options); 0 removes it. */
void		vf_tokenizer_set_max_tokens(VfTokenizer *tok, int max_tokens);

#endif
