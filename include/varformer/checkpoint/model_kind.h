/*
 * model_kind.h: the kinds of model load_model accepts (plain C).
 *
 * A kind decides the layout of a model's shared-memory image and which SQL functions
 * can use it; the architecture detector (model_arch.h) maps config.json onto one.
 */
#ifndef VARFORMER_CHECKPOINT_MODEL_KIND_H
#define VARFORMER_CHECKPOINT_MODEL_KIND_H

typedef enum VfModelKind
{
	VF_KIND_ENCODER = 1,		/* transformer encoder checkpoint (VfCheckpoint image) */
	VF_KIND_SEQ2FUNC = 2,		/* Enformer-style checkpoint (VfCheckpoint image) */
	VF_KIND_PREDICTDB = 3,		/* elastic net weights (predictdb.h image) */
	VF_KIND_ENSEMBLE = 4,		/* fixed-weight combination of other models (predictdb.h image) */
	VF_KIND_FUSED = 5,			/* trunk + encoder/ (ukbioformer.h image: two checkpoints) */
	VF_KIND_EMBED_HEAD = 6		/* MLP over encoder/'s pooled haplotype embeddings (embedding_mlp.h;
								 * the fused image layout) */
} VfModelKind;

#endif
