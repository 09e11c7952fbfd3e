/*
 * pair_mlp.h: the MLP over two haplotypes' pooled embeddings side by side,
 * m = mlp.2(relu(mlp.0([e1, e2]))) (plain C, private to src/lib/models). UKBioLM's fused
 * model and the embeddings-only model carry it under the same names; both bind and run it here.
 */
#ifndef VARFORMER_MODELS_PAIR_MLP_H
#define VARFORMER_MODELS_PAIR_MLP_H

#include "tensor_bind.h"

typedef struct VfPairMlp
{
	int			ext_emb_len;	/* 2 x the encoder's hidden size */
	int			hidden;			/* mlp.0's outputs */
	int			n_out;			/* mlp.2's outputs */
	const float *w0,			/* [hidden][ext_emb_len] */
			   *b0,				/* [hidden] */
			   *w2,				/* [n_out][hidden] */
			   *b2;				/* [n_out] */
} VfPairMlp;

/*
 * mlp.0.weight, mlp.0.bias, mlp.2.weight, mlp.2.bias under b's prefix; mlp.0's second
 * dimension must be ext_emb_len, mlp.2's first n_out (n_out < 1: taken from the tensor).
 * Returns -1 with b->err naming the first missing or misshapen tensor.
 */
int			vf_pair_mlp_bind(VfPairMlp *mlp, VfBinder *b, int ext_emb_len, int n_out);

/* Output k of the MLP for pooled embeddings e1, e2 (ext_emb_len / 2 each); sums in double. */
double		vf_pair_mlp_output(const VfPairMlp *mlp, const float *e1, const float *e2, int k);

#endif
