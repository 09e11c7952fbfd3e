/*
 * model.h: one interface over every neural architecture the engine runs (plain C).
 *
 * A model is three things kept apart, as llama2.c keeps Config, TransformerWeights and
 * RunState apart: its configuration (sizes and switches read from config.json), its weights
 * (pointers into a checkpoint view; nothing is copied unless the architecture derives
 * something at bind time) and its run state (activation buffers, grown once per larger
 * shape, never per call). Which functions fill them is an entry of the architecture table
 * (model_arch.h): adding a family is a new file and a new row, not a branch in another
 * family's forward pass.
 */
#ifndef VARFORMER_MODELS_MODEL_H
#define VARFORMER_MODELS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/checkpoint/model_kind.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"

typedef struct VfArch VfArch;
typedef struct VfModel VfModel;

/* The input of one forward pass; which fields an architecture reads depends on its kind. */
typedef struct VfModelInput
{
	/* encoders: token ids and (EBERT-style models) per-token epigenetic states, or NULL */
	const int32_t *ids;
	const int32_t *states;
	int			n_tokens;
	/*
	 * seq2func: seq_len bases, either as text (A, C, G, T in any case; anything else reads as
	 * N, all zeros) or, when onehot is not NULL, as seq_len x 4 channel values (A, C, G, T),
	 * e.g. two haplotypes' one-hots averaged
	 */
	const char *seq;
	const float *onehot;
	size_t		seq_len;
} VfModelInput;

/* What callers size buffers and check arguments by. */
typedef struct VfModelInfo
{
	const char *label;			/* readable architecture, e.g. "esm (Nucleotide Transformer v2 style)" */
	VfModelKind kind;
	int			max_input;		/* tokens (encoders) or bases (seq2func) one pass accepts */
	int			out_cols;		/* hidden size (encoders) or tracks (seq2func) */
	int			out_rows;		/* output rows when fixed (a cropped trunk's bins); 0: they depend
								 * on the input (vf_model_output_rows) */
	int			n_states;		/* EBERT-style epigenetic states (0: none) */
} VfModelInfo;

/*
 * Detects the architecture from config (model_type, else architectures[0]), reads its
 * configuration and binds its weights by name; fails naming the first missing or misshapen
 * tensor. The model keeps pointers into ckpt, which must outlive it.
 */
VfModel    *vf_model_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err);
void		vf_model_free(VfModel *m);

const VfArch *vf_model_arch(const VfModel *m);
const VfModelInfo *vf_model_info(const VfModel *m);

/* Output rows of a pass over an input of n tokens or bases. */
int			vf_model_output_rows(const VfModel *m, int n);

/* Floating-point operations of one forward pass over n tokens or bases (matrix products). */
double		vf_model_flops(const VfModel *m, int n);

/*
 * hook() runs between layers (and attention heads). In the server it is CHECK_FOR_INTERRUPTS,
 * which may longjmp out of the forward pass: that is safe because a pass holds nothing but
 * the model's run state, which stays valid for the next call.
 */
void		vf_model_set_interrupt_hook(VfModel *m, void (*hook) (void));

/*
 * One forward pass: out receives vf_model_output_rows(m, n) x info->out_cols floats (encoders:
 * the last hidden state; seq2func: bins x tracks). Activations live in one per-process
 * workspace (workspace.h): one forward pass at a time per process. Call vf_blas_init first.
 */
int			vf_model_forward(VfModel *m, const VfModelInput *in, float *out, VfError *err);

#endif
