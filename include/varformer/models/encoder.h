/*
 * encoder.h: transformer encoders (NT v1/v2, DNABERT-2/MosaicBERT, BERT/GROVER, EBERT-style
 * epigenetic states) over a checkpoint view. Plain C over OpenBLAS.
 */
#ifndef VARFORMER_ENCODER_H
#define VARFORMER_ENCODER_H

#include <stdint.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"

typedef struct VfEncoder VfEncoder;

/* Reads the architecture from config (model_type / architectures) and binds tensors by name. */
VfEncoder  *vf_encoder_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err);
void		vf_encoder_free(VfEncoder *enc);

int			vf_encoder_hidden_size(const VfEncoder *enc);
int			vf_encoder_max_tokens(const VfEncoder *enc);

/* A readable name of the bound architecture, e.g. "esm (Nucleotide Transformer v2 style)". */
const char *vf_encoder_architecture(const VfEncoder *enc);

/* Number of EBERT-style epigenetic states the model embeds (0: none). */
int			vf_encoder_num_states(const VfEncoder *enc);

/* Floating-point operations of one forward pass over n tokens (matrix products only). */
double		vf_encoder_flops(const VfEncoder *enc, int n);

/*
 * hook() runs between layers and attention heads. In the server it is CHECK_FOR_INTERRUPTS,
 * which may longjmp out of the forward pass: that is safe because the pass holds nothing
 * but enc's own scratch, which stays valid for the next call.
 */
void		vf_encoder_set_interrupt_hook(VfEncoder *enc, void (*hook) (void));

/*
 * Last hidden state for ids[0..n): out is n x hidden_size. states (per-token epigenetic
 * state for EBERT-style models, 0 <= state < vf_encoder_num_states) may be NULL, which means
 * state 0 everywhere. Activations live in one per-process workspace shared by all encoders,
 * grown once per larger shape (never per layer or call): one forward pass at a time per
 * process. Call vf_blas_init first.
 */
int			vf_encoder_forward(VfEncoder *enc, const int32_t *ids, int n,
							   const int32_t *states, float *out, VfError *err);

#endif
