/*
 * enformer.h: the Enformer sequence-to-function trunk (plain C over OpenBLAS) as configuration,
 * weights and run state kept apart.
 *
 * One internal trunk, two checkpoint naming schemes (enformer_config.c binds both):
 * enformer-pytorch's Enformer (stem.*, conv_tower.{i}.*, transformer.{l}.*, final_pointwise.*,
 * _heads.<name>.*, or the _trunk.* aliases of the same tensors) and gReLU's EnformerModel /
 * EnformerTrunk (conv_tower.blocks.*, transformer_tower.blocks.*, pointwise_conv.*, under
 * embedding.* with a ConvHead head.*, optionally prefixed model. by Lightning).
 *
 *   one-hot (A, C, G, T; N zeros)
 *   stem: Conv1d(4, C/2, 15) -> Residual(BN -> GELU -> Conv1d k1) -> AttentionPool
 *   tower block i: BN -> GELU -> Conv1d k5 -> Residual(BN -> GELU -> Conv1d k1) -> AttentionPool
 *   transformer block: x + MHA(LN(x)) with Enformer's relative positions; y + FFN(LN(y)) (ReLU)
 *   crop -> BN -> GELU -> Conv1d(C, 2C, 1) -> GELU -> head
 *   head: enformer-pytorch Linear + softplus; gReLU Conv1d k1 + activation + optional mean
 * GELU is x sigmoid(1.702 x) throughout, as both sources define it.
 */
#ifndef VARFORMER_MODELS_ENFORMER_H
#define VARFORMER_MODELS_ENFORMER_H

#include <stdbool.h>

#include "varformer/models/model.h"

#define VF_ENFORMER_MAX_BLOCKS 16

typedef enum VfEnformerScheme
{
	VF_ENFORMER_PYTORCH,		/* lucidrains/enformer-pytorch names and config keys */
	VF_ENFORMER_GRELU			/* gReLU EnformerModel / EnformerTrunk */
} VfEnformerScheme;

typedef enum VfEnformerHead
{
	VF_HEAD_NONE,				/* no head tensors: the trunk's 2C-channel embedding */
	VF_HEAD_LINEAR_SOFTPLUS,	/* enformer-pytorch _heads.<name>: Linear then Softplus */
	VF_HEAD_CONV				/* gReLU ConvHead: Conv1d k1, activation, optional average */
} VfEnformerHead;

typedef struct VfEnformerConfig
{
	VfEnformerScheme scheme;
	char		label[96];
	int			dim;			/* C: transformer width; the stem has C/2 channels */
	int			n_blocks;		/* conv tower blocks after the stem (num_downsamples - 1) */
	int			filters[VF_ENFORMER_MAX_BLOCKS + 1];	/* channels: [0] stem, [i] block i */
	int			depth, heads, dim_key, dim_value, n_pos_features;
	bool		tf_gamma;		/* use_tf_gamma: TensorFlow's gamma table (1536 positions) */
	int			target_length;	/* enformer-pytorch TargetLengthCrop; -1 keeps every bin */
	int			crop_len;		/* gReLU: bins dropped from each end */
	VfEnformerHead head;
	char		head_name[64];	/* enformer-pytorch: which of output_heads (human first) */
	int			tracks;			/* output columns */
	bool		head_softplus;	/* gReLU final_act_func "softplus" */
	bool		head_mean;		/* gReLU final_pool_func "avg": one row, the mean over bins */
	int			max_bases;		/* longest input accepted (caps the n x n attention) */
	int			min_bases;		/* shortest input that still yields target_length bins */

	/* tensor name prefixes, resolved once against the checkpoint */
	char		p_stem[48], p_tower[48], p_transformer[48], p_final[48], p_head[80];
} VfEnformerConfig;

/* Batch norm folded at bind time into the per-channel affine map it is at inference. */
typedef struct VfEnformerNorm
{
	float	   *scale, *shift;
} VfEnformerNorm;

typedef struct VfEnformerConv
{
	const float *w;				/* [out][in * k]: PyTorch's [out, in, k], used in place */
	const float *b;
	int			in, out, k;
} VfEnformerConv;

/* One downsampling stage: [BN -> GELU ->] conv k, residual BN -> GELU -> conv k1, pool. */
typedef struct VfEnformerStage
{
	bool		pre_act;		/* false for the stem, whose conv reads the one-hot directly */
	VfEnformerNorm norm;
	VfEnformerConv conv;
	VfEnformerNorm res_norm;
	VfEnformerConv res_conv;
	const float *pool_w;		/* [C][C] attention logits (Conv2d 1x1, no bias) */
} VfEnformerStage;

typedef struct VfEnformerLayer
{
	const float *ln1_w, *ln1_b;
	const float *wq, *wk, *wv;	/* [h dk][C], [h dk][C], [h dv][C], no bias */
	const float *wo, *bo;		/* [C][h dv] */
	const float *w_rel_k;		/* [h dk][F] */
	const float *rel_content_bias, *rel_pos_bias;	/* [h][dk] */
	const float *ln2_w, *ln2_b;
	const float *w1, *b1;		/* [2C][C] */
	const float *w2, *b2;		/* [C][2C] */
} VfEnformerLayer;

typedef struct VfEnformerWeights
{
	VfEnformerStage stages[VF_ENFORMER_MAX_BLOCKS + 1];	/* [0] stem */
	VfEnformerLayer *layers;
	VfEnformerNorm final_norm;
	VfEnformerConv final_conv;	/* C -> 2C, k 1 */
	const float *head_w, *head_b;	/* [tracks][2C] */
	const float *tf_gamma;		/* [2n-1][nb] use_tf_gamma table, or NULL */
	float	   *tf_gamma_own;	/* computed at bind time when the checkpoint carries none */
	float	   *norm_store;		/* every VfEnformerNorm's scale and shift, one allocation */
} VfEnformerWeights;

/*
 * Views into the process workspace (workspace.h), plus the relative position features for
 * the last transformer length (recomputed only when the length changes).
 */
typedef struct VfEnformerRunState
{
	int			pos_n;
	float	   *pos;			/* [2 pos_n - 1][F] */
} VfEnformerRunState;

/* Table functions (model_arch.h) of the row "enformer". */
int			vf_enformer_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_enformer_read_config(const VfArch *arch, const VfJson *config,
									const VfCheckpoint *ckpt, VfError *err);
void	   *vf_enformer_bind(const void *config, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_enformer_new_state(const void *config, VfError *err);
int			vf_enformer_forward(const void *config, const void *weights, void *state,
								void (*hook) (void), const VfModelInput *in, float *out,
								VfError *err);
void		vf_enformer_info(const void *config, VfModelInfo *info);
int			vf_enformer_output_rows(const void *config, int n);
double		vf_enformer_flops(const void *config, int n);
void		vf_enformer_release(void *config, void *weights, void *state);

/* Output bins of the trunk for n input bases (before any averaging head). */
int			vf_enformer_bins(const VfEnformerConfig *c, int n);

/*
 * Enformer's relative position features for a transformer of n positions: out is
 * [2n - 1][n_features], row k the distance k - (n - 1) (key minus query); columns
 * exponential, central mask, gamma, then the same three times sign(distance). gamma_table
 * ([2n - 1][n_features / 6], the use_tf_gamma table) replaces the computed gamma block
 * when not NULL. Evaluated in float32 in enformer-pytorch's order of operations.
 */
void		vf_enformer_position_features(float *out, int n, int n_features,
										  const float *gamma_table);

/*
 * The TensorFlow gamma block (what enformer-pytorch ships as precomputed/tf_gammas.pt):
 * each basis function divided by its maximum over all distances, float64, then float32.
 */
void		vf_enformer_tf_gamma_table(float *out, int n, int nb);

/* Channel counts of the tower: [half] + exponential_linspace_int(half, dim, blocks, divisible_by). */
int			vf_enformer_filter_list(int *filters, int dim, int n_blocks, int divisible_by);

#endif
