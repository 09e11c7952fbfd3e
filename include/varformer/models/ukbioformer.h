/*
 * ukbioformer.h: the fused predictor (model_type "ukbioformer"), UKBioLM's
 * UKBioBERT_EnformerPretrainedModel as DESIGN.md defines it (plain C).
 *
 *   x = (onehot(h1) + onehot(h2)) / 2 over `window` bases
 *   t = head(trunk(x)) averaged over all bins      gReLU EnformerTrunk + ConvHead (enformer.h)
 *   e = [pool(encoder(h1)), pool(encoder(h2))]      over `encoder_window` bases each
 *   m = mlp.2(relu(mlp.0(e)));  b = sigmoid(raw_beta);  out = b t + (1 - b) m
 *
 * A fused checkpoint is two checkpoints: the directory's own (trunk, head, mlp, raw_beta,
 * config.json) and its encoder/ subdirectory (any encoder the architecture table runs,
 * with its tokenizer). vf_fused_image_build packs both into one position-independent image,
 * so the whole directory is one model in shared memory under one sha256.
 */
#ifndef VARFORMER_MODELS_UKBIOFORMER_H
#define VARFORMER_MODELS_UKBIOFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"
#include "varformer/models/model.h"

typedef struct VfFused VfFused;

typedef struct VfFusedInfo
{
	int			window;			/* bases of each haplotype the trunk reads */
	int			encoder_window; /* bases of each haplotype the encoder embeds */
	int			encoder_chunk;	/* 0: the whole encoder window at once */
	int			n_tasks;		/* outputs */
	int			hidden;			/* encoder hidden size (ext_emb_len / 2) */
	int			mlp_hidden;
	const char *label;
} VfFusedInfo;

/*
 * Builds the fused model over its two checkpoint views (both must outlive it). Refuses,
 * naming the problem: a missing or misshapen tensor (trunk, head, mlp.0, mlp.2, raw_beta,
 * with or without Lightning's "model." prefix), an ext_emb_len that is not twice the
 * encoder's hidden size, windows out of range, an encoder without a usable tokenizer.
 */
VfFused    *vf_fused_create(const VfCheckpoint *main, const VfCheckpoint *encoder, VfError *err);
void		vf_fused_free(VfFused *f);
const VfFusedInfo *vf_fused_info(const VfFused *f);

/* Between layers of both parts (CHECK_FOR_INTERRUPTS in the server). */
void		vf_fused_set_interrupt_hook(VfFused *f, void (*hook) (void));

/*
 * The trunk branch: t[0..n_tasks) for two haplotype windows of `window` bases each (A, C,
 * G, T in any case; anything else is N, all zeros), averaged one-hot.
 */
int			vf_fused_trunk(VfFused *f, const char *h1, const char *h2, float *t, VfError *err);

/*
 * The encoder branch for one haplotype: e[0..hidden), the mean of the last hidden state
 * over all tokens of the upper-cased sequence (special tokens included); with
 * encoder_chunk > 0 the mean of the consecutive pieces' means (the last may be shorter).
 * len must be encoder_window. *n_tokens (may be NULL) receives the tokens of all pieces.
 */
int			vf_fused_embed(VfFused *f, const char *seq, size_t len, float *e, int *n_tokens,
						   VfError *err);

/*
 * out[0..n_tasks) = b t + (1 - b) m from the branches; m_out (n_tasks) and beta may be NULL.
 */
void		vf_fused_combine(const VfFused *f, const float *t, const float *e1, const float *e2,
							 float *out, float *m_out, float *beta);

/* Table function (model_arch.h) of the row "ukbioformer": the directory's own tensors. */
int			vf_ukbioformer_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);

/*
 * The one image of a fused directory: a 64-byte header, then the directory's checkpoint
 * image and its encoder/ image (each as vf_checkpoint_image_build makes it), 64-byte
 * aligned. *image is aligned_alloc'd: free() it.
 */
int			vf_fused_image_build(const char *dir, void **image, size_t *size, size_t max_bytes,
								 VfError *err);
/* True when image starts with the fused image's header. */
bool		vf_fused_image_is(const void *image, size_t size);
/* Both views of a fused image (validating every offset); close each with vf_checkpoint_close. */
int			vf_fused_image_open(const void *image, size_t size, VfCheckpoint *main,
								VfCheckpoint *encoder, VfError *err);

#endif
