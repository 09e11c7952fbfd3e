/*
 * encoder.h: transformer encoders (NT v1/v2, DNABERT-2/MosaicBERT, BERT/GROVER, EBERT-style
 * epigenetic states) over a checkpoint view. Plain C over OpenBLAS.
 */
#ifndef VARFORMER_ENCODER_H
#define VARFORMER_ENCODER_H

#include <stdint.h>

#include "varformer/checkpoint.h"
#include "varformer/error.h"
#include "varformer/json.h"

typedef struct VfEncoder VfEncoder;

/* Reads the architecture from config (model_type / architectures) and binds tensors by name. */
VfEncoder  *vf_encoder_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err);
void		vf_encoder_free(VfEncoder *enc);

int			vf_encoder_hidden_size(const VfEncoder *enc);
int			vf_encoder_max_tokens(const VfEncoder *enc);

/*
 * Last hidden state for ids[0..n): out is n x hidden_size. states (per-token epigenetic
 * state for EBERT-style models) may be NULL. Scratch is kept in enc, grown once per shape.
 */
int			vf_encoder_forward(VfEncoder *enc, const int32_t *ids, int n,
							   const int32_t *states, float *out, VfError *err);

#endif
