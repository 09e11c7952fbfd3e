/*
 * pair_mlp.c: the MLP over two pooled haplotype embeddings (pair_mlp.h).
 */
#include <stdio.h>

#include "pair_mlp.h"

int
vf_pair_mlp_bind(VfPairMlp *mlp, VfBinder *b, int ext_emb_len, int n_out)
{
	const VfTensorView *w0,
			   *w2;
	char		name[160];

	if (b->failed)
		return -1;
	snprintf(name, sizeof(name), "%smlp.0.weight", b->prefix);
	if ((w0 = vf_checkpoint_tensor(b->ckpt, name)) == NULL)
	{
		b->failed = true;
		return vf_error(b->err, VF_ERR_DATA, "checkpoint has no tensor \"%s\"", name);
	}
	if (w0->ndim != 2 || w0->shape[1] != ext_emb_len || w0->shape[0] < 1 || w0->shape[0] > 1 << 20)
	{
		b->failed = true;
		return vf_error(b->err, VF_ERR_DATA,
						"tensor \"%s\" has shape [%lld, %lld], expected [hidden, ext_emb_len = %d]",
						name, (long long) w0->shape[0], (long long) (w0->ndim > 1 ? w0->shape[1] : -1),
						ext_emb_len);
	}
	mlp->ext_emb_len = ext_emb_len;
	mlp->hidden = (int) w0->shape[0];
	if (n_out < 1)
	{
		snprintf(name, sizeof(name), "%smlp.2.weight", b->prefix);
		w2 = vf_checkpoint_tensor(b->ckpt, name);
		n_out = w2 != NULL && w2->ndim == 2 && w2->shape[0] >= 1 && w2->shape[0] <= 4096 ?
			(int) w2->shape[0] : 1;
	}
	mlp->n_out = n_out;
	mlp->w0 = w0->data;
	mlp->b0 = vf_bind_need(b, mlp->hidden, -1, "mlp.0.bias");
	mlp->w2 = vf_bind_need(b, n_out, mlp->hidden, "mlp.2.weight");
	mlp->b2 = vf_bind_need(b, n_out, -1, "mlp.2.bias");
	return b->failed ? -1 : 0;
}

double
vf_pair_mlp_output(const VfPairMlp *mlp, const float *e1, const float *e2, int k)
{
	int			H = mlp->ext_emb_len / 2,
				M = mlp->hidden;
	double		m = mlp->b2[k];

	for (int i = 0; i < M; i++)
	{
		const float *w = mlp->w0 + (size_t) i * 2 * H;
		double		h = mlp->b0[i];

		for (int j = 0; j < H; j++)
			h += (double) w[j] * e1[j] + (double) w[H + j] * e2[j];
		if (h > 0)
			m += (double) mlp->w2[(size_t) k * M + i] * h;
	}
	return m;
}
