/*
 * pooled_encoder.h: one haplotype window through an encoder, pooled to one vector (plain C,
 * private to src/lib/models). The encoder branch of every model that reads a person's
 * haplotypes through a language model's embeddings: the fused ukbioformer and the
 * embeddings-only embedding_mlp, which must pool exactly alike (DESIGN.md's encoder_chunk
 * rule) for the same encoder/ to mean the same thing in both.
 */
#ifndef VARFORMER_MODELS_POOLED_ENCODER_H
#define VARFORMER_MODELS_POOLED_ENCODER_H

#include <stddef.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"

typedef struct VfPooledEncoder VfPooledEncoder;

/*
 * The encoder of a model directory's encoder/ (any encoder of the architecture table, with
 * its tokenizer), reading `window` bases cut into pieces of `chunk` bases (0: one piece).
 * enc must outlive it. Errors name encoder/.
 */
VfPooledEncoder *vf_pooled_encoder_create(const VfCheckpoint *enc, int window, int chunk,
										  VfError *err);
void		vf_pooled_encoder_free(VfPooledEncoder *pe);
void		vf_pooled_encoder_set_interrupt_hook(VfPooledEncoder *pe, void (*hook) (void));
int			vf_pooled_encoder_hidden(const VfPooledEncoder *pe);
const char *vf_pooled_encoder_label(const VfPooledEncoder *pe);

/*
 * e[0..hidden): the mean of the last hidden state over all tokens of the upper-cased
 * sequence (special tokens included); with chunk > 0 the mean of the consecutive pieces'
 * means (the last may be shorter). len must be the window. *n_tokens (may be NULL) receives
 * the tokens of all pieces. Pieces accumulate in double: a prediction may hang on differences
 * between pooled embeddings of 1e-3 of their size.
 */
int			vf_pooled_encoder_embed(VfPooledEncoder *pe, const char *seq, size_t len, float *e,
									int *n_tokens, VfError *err);

#endif
