/*
 * ukbioformer_internal.h: the fused predictor's state and the binding steps shared by the
 * model (ukbioformer.c) and load_model's check (ukbioformer_check.c), which must not reach
 * the architecture table's users (it is one of the table's rows).
 */
#ifndef VARFORMER_MODELS_UKBIOFORMER_INTERNAL_H
#define VARFORMER_MODELS_UKBIOFORMER_INTERNAL_H

#include "varformer/models/enformer.h"
#include "varformer/models/model.h"
#include "varformer/models/ukbioformer.h"
#include "pair_mlp.h"
#include "pooled_encoder.h"

#define MAX_WINDOW (1 << 22)

struct VfFused
{
	VfFusedInfo info;
	char		label[160];
	VfJsonDoc  *config_doc;
	/* trunk: the Enformer row's three parts */
	VfEnformerConfig *trunk_config;
	VfEnformerWeights *trunk_weights;
	VfEnformerRunState *trunk_state;
	float	   *onehot;			/* window x 4 */
	VfPooledEncoder *encoder;
	VfPairMlp	mlp;			/* mlp.0 [mlp_hidden][ext], mlp.2 [n_tasks][mlp_hidden] */
	const float *raw_beta;		/* [1] */
	void		(*hook) (void);
};


int			vf_ukbio_bind_mlp(VfFused *f, const VfCheckpoint *ckpt, int ext_emb_len, int n_tasks, VfError *err);
int			vf_ukbio_read_windows(VfFused *f, const VfJson *cfg, VfError *err);
int			vf_ukbio_make_trunk(VfFused *f, const VfJson *cfg, const VfCheckpoint *ckpt, VfError *err);

#endif
