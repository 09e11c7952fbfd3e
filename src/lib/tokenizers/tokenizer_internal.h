/*
 * tokenizer_internal.h: what the tokenizer files share (plain C, not installed).
 *
 * VfVocab is an open-addressing hash from token bytes to id; VfIds a growable id list
 * (both in vocab.c).
 * Each tokenizer kind fills a VfTokenizer with its own tokenize function over input that
 * tokenizer.c has already upper-cased and checked to be ASCII.
 */
#ifndef VARFORMER_TOKENIZER_INTERNAL_H
#define VARFORMER_TOKENIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/tokenizers/tokenizer.h"

/* Caps on hostile tokenizer files: far above any real DNA model (GROVER ~5k, DNABERT-2 4k). */
#define VF_TOK_MAX_VOCAB	(1 << 22)
#define VF_TOK_MAX_MERGES	(1 << 22)
#define VF_TOK_MAX_TOKEN_LEN 1024
#define VF_TOK_MAX_ADDED	65536
#define VF_TOK_MAX_FILE		((size_t) 256 << 20)
/* One sequence: 16 Mb is ~80x Enformer's window; BPE scratch is ~50 bytes a base. */
#define VF_TOK_MAX_INPUT	((size_t) 16 << 20)

typedef struct VfVocabSlot
{
	uint64_t	hash;			/* 0 = empty */
	uint32_t	off;			/* into pool */
	uint32_t	len;
	int32_t		id;
} VfVocabSlot;

typedef struct VfVocab
{
	VfVocabSlot *slots;
	size_t		cap;			/* power of two */
	size_t		n;
	char	   *pool;
	size_t		pool_len;
	size_t		pool_cap;
	int32_t		max_id;			/* -1 when empty */
} VfVocab;

void		vf_vocab_init(VfVocab *v);
/* Adds or replaces (a later duplicate wins, as in Python dicts and serde maps). */
int			vf_vocab_put(VfVocab *v, const char *s, size_t len, int32_t id, VfError *err);
/* Id of s[0..len), or -1. */
int32_t		vf_vocab_get(const VfVocab *v, const char *s, size_t len);
void		vf_vocab_free(VfVocab *v);

typedef struct VfIds
{
	int32_t    *v;
	size_t		n;
	size_t		cap;
} VfIds;

int			vf_ids_push(VfIds *ids, int32_t id, VfError *err);

typedef int (*VfTokenizeFn) (const VfTokenizer *tok, const char *seq, size_t len,
							 VfIds *out, VfError *err);

struct VfTokenizer
{
	VfTokenizerKind kind;
	int			pad_id;
	int			vocab_size;
	int			max_tokens;
	size_t		bound_per_byte;	/* ids per input byte at most, plus bound_extra */
	size_t		bound_extra;
	/*
	 * Bases one token covers at most for ordinary input (k for NT k-mers), 0 when unknown
	 * (BPE): with max_tokens it bounds the sequence length, checked before tokenizing, so a
	 * 16 Mb sequence is refused at once instead of after seconds of work and memory.
	 */
	size_t		max_bases_per_token;
	VfTokenizeFn tokenize;
	void		(*free_impl) (void *impl);
	void	   *impl;
};

/* Line-split vocab.txt as Hugging Face reads it (splitlines + strip); NULL-safe callbacks. */
typedef int (*VfVocabLineFn) (void *arg, const char *tok, size_t len, int32_t lineno, VfError *err);
int			vf_vocab_txt_lines(const char *text, size_t len, VfVocabLineFn fn, void *arg,
							   int32_t *n_lines, VfError *err);

/* Loaders: fill tok (kind, tokenize, impl, vocab_size, pad_id) or return -1 with err. */
int			vf_tokenizer_kmer_load(VfTokenizer *tok, const char *vocab_txt, size_t len, VfError *err);
int			vf_tokenizer_char_load_txt(VfTokenizer *tok, const char *vocab_txt, size_t len, VfError *err);
int			vf_tokenizer_json_load(VfTokenizer *tok, const char *json, size_t len, VfError *err);
/* DNABERT v1: k is the length of the vocabulary's complete k-mer set (tokenizer.c found it). */
int			vf_tokenizer_dnabert_load(VfTokenizer *tok, const char *vocab_txt, size_t len, int k,
									  VfError *err);

/* HyenaDNA's built-in vocabulary (tokenizer_hyena.c), for a config.json naming HyenaDNA. */
bool		vf_tokenizer_is_hyena(const VfJson *config);
int			vf_tokenizer_hyena_load(VfTokenizer *tok, VfError *err);

/* The tokenizer.json models, called per pre-token word by tokenizer_json.c. */
typedef struct VfBpeModel VfBpeModel;
VfBpeModel *vf_bpe_model_load(const VfJson *model, VfVocab *vocab, VfError *err);
int			vf_bpe_model_word(const VfBpeModel *m, const VfVocab *vocab, const char *w, size_t len,
							  VfIds *out, VfError *err);
void		vf_bpe_model_free(VfBpeModel *m);

/* WordLevel over single characters: each character is one vocab lookup, unknown -> unk_id. */
int			vf_char_model_word(const VfVocab *vocab, int32_t unk_id, const char *w, size_t len,
							   VfIds *out, VfError *err);

static inline bool
vf_tok_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

#endif
