/*
 * model_arch.h: the table of architectures (plain C). One row per architecture: the names
 * config.json gives it, the kind of model it makes, the check load_model runs before it
 * takes shared memory, and the functions that read its configuration, bind its weights,
 * run its forward pass and free what they made. load_model and the engine read this one
 * table; a new family is a new file and a new row.
 */
#ifndef VARFORMER_MODELS_MODEL_ARCH_H
#define VARFORMER_MODELS_MODEL_ARCH_H

#include "varformer/models/model.h"

struct VfArch
{
	const char *name;			/* "esm", "bert", "enformer": what the models view shows */
	const char *label;			/* its entry in the supported list, e.g. "bert (DNABERT-2, GROVER, BERT)" */
	VfModelKind kind;
	const char *const *keys;	/* model_type / architectures[0] values naming it, NULL-ended */

	/*
	 * Load-time check: refuses a checkpoint that cannot be this architecture, naming the first
	 * missing tensor. It may run without config.json (a bare .safetensors file).
	 */
	int			(*check) (const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);

	/* The configuration (malloc'd, architecture-specific) from config.json and the tensors. */
	void	   *(*read_config) (const VfArch *arch, const VfJson *config, const VfCheckpoint *ckpt,
								VfError *err);
	/* The weights: views into ckpt (plus whatever is derived once at bind time). */
	void	   *(*bind) (const void *config, const VfCheckpoint *ckpt, VfError *err);
	/* A run state with no buffers yet (they grow on the first forward pass of each shape). */
	void	   *(*new_state) (const void *config, VfError *err);
	int			(*forward) (const void *config, const void *weights, void *state,
							void (*hook) (void), const VfModelInput *in, float *out, VfError *err);
	void		(*info) (const void *config, VfModelInfo *info);
	int			(*output_rows) (const void *config, int n);
	double		(*flops) (const void *config, int n);
	/* Frees each of the three (any may be NULL). */
	void		(*release) (void *config, void *weights, void *state);
};

/* Comma-separated labels for messages: "esm (Nucleotide Transformer), bert (...), enformer". */
const char *vf_supported_architectures(void);

/* The row whose keys include key (exact), or NULL. */
const VfArch *vf_arch_lookup(const char *key);

/*
 * Reads model_type (or architectures[0]) from config.json text and maps it to an
 * architecture name and model kind. Unknown ones fail listing the supported ones.
 */
int			vf_model_arch_detect(const char *config_json, size_t len, const char **arch,
								 VfModelKind *kind, VfError *err);

/* Runs the named architecture's load-time check. */
int			vf_model_arch_check(const char *arch, const VfCheckpoint *ckpt, VfError *err);

#endif
