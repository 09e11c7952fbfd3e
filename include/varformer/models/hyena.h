/*
 * hyena.h: HyenaDNA (HazyResearch/hyena-dna; the Hugging Face LongSafari/hyenadna-*-hf
 * checkpoints, model_type "hyenadna") as configuration, weights and run state (plain C).
 *
 * Per layer, pre-LN:  x += out_proj(hyena(norm1(x)));  x += fc2(gelu_tanh(fc1(norm2(x))))
 * and ln_f at the end. The order-2 Hyena operator:
 *   u = short_filter(in_proj(h))     depthwise causal convolution of width 3 over 3 d channels
 *   x0, x1, v = u split in three;  v = v x1
 *   v = causal_conv(v, k) + bias v    per channel, k as long as the input, through the FFT
 *   y = v x0
 * where the filter k is implicit: a sine-activated MLP over the positional features z
 * (time, cosines and sines, built over max_seq_len and stored in the checkpoint), then a
 * decay window exp(-t |delta_c|) + 0.05. hyena_config.c reads config.json and binds the
 * tensors; hyena.c runs the pass in memory linear in the input length.
 */
#ifndef VARFORMER_MODELS_HYENA_H
#define VARFORMER_MODELS_HYENA_H

#include "varformer/models/model.h"

typedef struct VfHyenaConfig
{
	char		label[96];
	char		prefix[24];		/* "hyena.backbone.", "backbone." or "" */
	int			d, n_layers, d_inner;
	int			vocab;			/* embedding rows: vocab_size padded to pad_vocab_size_multiple */
	int			max_seq_len;	/* positions the filters are built over: the longest input */
	int			filter_order;	/* width of the implicit filter's MLP */
	int			emb_dim;		/* positional features: time + (emb_dim - 1) / 2 bands x 2 */
	int			num_inner_mlps;
	float		eps;			/* ln_f; norm1 and norm2 use PyTorch's default 1e-5 */
} VfHyenaConfig;

typedef struct VfHyenaLayer
{
	const float *norm1_w, *norm1_b, *norm2_w, *norm2_b;
	const float *in_w, *in_b;	/* [3d, d], [3d] */
	float	   *sf_w0, *sf_w1, *sf_w2;	/* short_filter [3d, 1, 3] split by tap (bind time) */
	const float *sf_b;
	const float *out_w, *out_b;	/* [d, d], [d] */
	const float *z;				/* [max_seq_len, emb_dim] */
	const float *t;				/* [max_seq_len] */
	const float *freq;			/* the shared Sin activation's [filter_order] */
	const float *f_w[8], *f_b[8];	/* implicit filter linears 0 .. num_inner_mlps */
	const float *f_out;			/* [d, filter_order], no bias */
	const float *deltas;		/* [d] */
	const float *skip;			/* filter_fn.bias [d] */
	const float *fc1_w, *fc1_b, *fc2_w, *fc2_b;
} VfHyenaLayer;

typedef struct VfHyenaWeights
{
	const float *word_emb;
	const float *lnf_w, *lnf_b;
	VfHyenaLayer *layers;
	float	   *owned;			/* derived arrays (short filter taps, computed t) */
} VfHyenaWeights;

/* Table functions (model_arch.h) of the row "hyenadna". */
int			vf_hyena_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_hyena_read_config(const VfArch *arch, const VfJson *config,
								 const VfCheckpoint *ckpt, VfError *err);
void	   *vf_hyena_bind(const void *config, const VfCheckpoint *ckpt, VfError *err);
void	   *vf_hyena_new_state(const void *config, VfError *err);
int			vf_hyena_forward(const void *config, const void *weights, void *state,
							 void (*hook) (void), const VfModelInput *in, float *out,
							 VfError *err);
void		vf_hyena_info(const void *config, VfModelInfo *info);
int			vf_hyena_output_rows(const void *config, int n);
double		vf_hyena_flops(const void *config, int n);
void		vf_hyena_release(void *config, void *weights, void *state);

/*
 * Bytes of activations a pass over n tokens holds at its peak beside the output (n x d
 * floats, which doubles as the residual stream): README states it per model shape.
 */
size_t		vf_hyena_work_bytes(int d_model, int d_inner, int filter_order, int n);

#endif
