/*
 * transformer.h: transformer encoders (NT v1/v2, DNABERT-2/MosaicBERT, BERT/GROVER, EBERT-style
 * epigenetic states) as configuration, weights and run state kept apart (plain C over OpenBLAS).
 *
 * transformer_config.c reads the configuration from config.json and binds the weights by the
 * names the published implementations use; transformer.c runs the forward pass. Callers go
 * through model.h; the architecture table (model_arch.c) has the rows "esm" and "bert".
 */
#ifndef VARFORMER_MODELS_TRANSFORMER_H
#define VARFORMER_MODELS_TRANSFORMER_H

#include <stdbool.h>

#include "varformer/models/model.h"
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

/* Sizes and switches: everything a forward pass needs that is not a weight. */
typedef struct VfTransformerConfig
{
	const char *label;			/* human-readable architecture name */
	char		prefix[8];		/* "esm.", "bert." or "": how the checkpoint names tensors */
	bool		mosaic;			/* DNABERT-2 / MosaicBERT: fused Wqkv, GEGLU, ALiBi */
	int			hidden, n_layers, n_heads, head_dim, inter, vocab, max_tokens;
	int			max_pos, type_vocab;	/* learned tables' rows */
	float		eps;
	bool		pre_ln;
	VfPosKind	pos;
	VfFfnKind	ffn;
	VfActivation act;
	bool		ffn_bias;
	bool		emb_ln;			/* LayerNorm on the embeddings */
	double		rope_base;
	bool		token_dropout;	/* ESM: zero <mask> embeddings, rescale by train mask ratio */
	int			mask_id, pad_id;
	bool		esm_positions;	/* ESM/RoBERTa: positions count from pad_id + 1, pads get pad_id */
	int			n_states;		/* EBERT-style epigenetic states; 0 when the model has none */
} VfTransformerConfig;

typedef struct VfTransformerLayer
{
	/* attention input projections: either three (q, k, v) or one fused [3H, H] */
	const float *wq, *bq, *wk, *bk, *wv, *bv;
	const float *wqkv, *bqkv;
	const float *wo, *bo;
	const float *ln1_w, *ln1_b;	/* pre-LN: before attention; post-LN: after its residual */
	const float *w_in, *b_in;	/* [I or 2I, H] */
	const float *w_out, *b_out;	/* [H, I] */
	const float *ln2_w, *ln2_b;
} VfTransformerLayer;

/* Views into the checkpoint (nothing copied) plus the ALiBi slopes derived at bind time. */
typedef struct VfTransformerWeights
{
	const float *word_emb, *pos_emb, *type_emb, *state_emb;
	const float *emb_ln_w, *emb_ln_b;	/* LayerNorm on the embeddings, or NULL */
	const float *final_ln_w, *final_ln_b;	/* LayerNorm after the last layer, or NULL */
	VfTransformerLayer *layers;
	float	   *alibi_slopes;
} VfTransformerWeights;

/*
 * Activations: views into the process-wide workspace, set for the current input and grown
 * only when a larger shape arrives, never per layer or per call. The rotary tables are this
 * model's own, for cap tokens.
 */
typedef struct VfTransformerRunState
{
	int			cap;
	float	   *x, *h, *qkv, *scores, *ctx, *ffn_in, *ffn_mid;
	float	   *rope_cos, *rope_sin;
} VfTransformerRunState;

/* Table functions (model_arch.h) of the rows "esm" and "bert". */
int			vf_transformer_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_transformer_read_config(const VfArch *arch, const VfJson *config,
									   const VfCheckpoint *ckpt, VfError *err);
void	   *vf_transformer_bind(const void *config, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_transformer_new_state(const void *config, VfError *err);
int			vf_transformer_forward(const void *config, const void *weights, void *state,
								   void (*hook) (void), const VfModelInput *in, float *out,
								   VfError *err);
void		vf_transformer_info(const void *config, VfModelInfo *info);
int			vf_transformer_output_rows(const void *config, int n);
double		vf_transformer_flops(const void *config, int n);
void		vf_transformer_release(void *config, void *weights, void *state);

#endif
