/*
 * encoder_internal.h: the encoder's resolved description, shared by the architecture
 * readers (encoder_arch.c: config.json + tensor names -> this struct) and the forward
 * pass (encoder.c). Weights point into the checkpoint view; nothing is copied.
 */
#ifndef VARFORMER_ENCODER_INTERNAL_H
#define VARFORMER_ENCODER_INTERNAL_H

#include <stdbool.h>

#include "varformer/models/encoder.h"
#include "varformer/kernels/tensor_kernels.h"

typedef enum VfPosKind
{
	VF_POS_NONE,
	VF_POS_ABSOLUTE,			/* learned table added to the embeddings */
	VF_POS_ROTARY,				/* rotate_half rotary on q and k */
	VF_POS_ALIBI				/* linear distance bias on the attention scores */
} VfPosKind;

typedef enum VfFfnKind
{
	VF_FFN_MLP,					/* dense -> act -> dense */
	VF_FFN_GLU					/* dense to 2I -> act(first half) * second half -> dense */
} VfFfnKind;

typedef struct VfEncLayer
{
	/* attention input projections: either three (q, k, v) or one fused [3H, H] */
	const float *wq, *bq, *wk, *bk, *wv, *bv;
	const float *wqkv, *bqkv;
	const float *wo, *bo;
	const float *ln1_w, *ln1_b;	/* pre-LN: before attention; post-LN: after its residual */
	const float *w_in, *b_in;	/* [I or 2I, H] */
	const float *w_out, *b_out;	/* [H, I] */
	const float *ln2_w, *ln2_b;
} VfEncLayer;

struct VfEncoder
{
	const char *arch;			/* human-readable architecture name */
	int			hidden, n_layers, n_heads, head_dim, inter, vocab, max_tokens;
	float		eps;
	bool		pre_ln;
	VfPosKind	pos;
	VfFfnKind	ffn;
	VfActivation act;
	double		rope_base;
	bool		token_dropout;	/* ESM: zero <mask> embeddings, rescale by train mask ratio */
	int			mask_id, pad_id;
	bool		esm_positions;	/* ESM/RoBERTa: positions count from pad_id + 1, pads get pad_id */
	int			n_states;		/* EBERT-style epigenetic states; 0 when the model has none */

	const float *word_emb, *pos_emb, *type_emb, *state_emb;
	const float *emb_ln_w, *emb_ln_b;	/* LayerNorm on the embeddings, or NULL */
	const float *final_ln_w, *final_ln_b;	/* LayerNorm after the last layer, or NULL */
	VfEncLayer *layers;
	float	   *alibi_slopes;

	void		(*interrupt_hook) (void);

	/*
	 * Activations: views into the process-wide workspace (encoder.c), set for the current
	 * input; grown only when a larger shape arrives, never per layer or per call. The
	 * rotary tables are this encoder's own, for cap tokens.
	 */
	int			cap;
	float	   *x, *h, *qkv, *scores, *ctx, *ffn_in, *ffn_mid;
	float	   *rope_cos, *rope_sin;
};

/* Fills enc (already zeroed) from the config and checkpoint; encoder_arch.c. */
int			vf_encoder_bind(VfEncoder *enc, const VfCheckpoint *ckpt, const VfJson *config,
							VfError *err);

#endif
