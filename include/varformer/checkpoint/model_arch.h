/*
 * model_arch.h: which checkpoint architectures load_model accepts, and the tensors each
 * must have (plain C). The engine binds the full set when it builds a model; this check at
 * load time refuses an incomplete checkpoint before it takes shared memory.
 */
#ifndef VARFORMER_MODEL_ARCH_H
#define VARFORMER_MODEL_ARCH_H

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"
#include "varformer/checkpoint/model_kind.h"

/* Comma-separated list for messages: "esm, bert, enformer". */
extern const char *const vf_supported_architectures;

/*
 * Reads model_type (or architectures[0]) from config.json text and maps it to an
 * architecture name and model kind. Unknown ones fail listing the supported ones.
 */
int			vf_model_arch_detect(const char *config_json, size_t len, const char **arch,
								 VfModelKind *kind, VfError *err);

/* Checks the architecture's required tensors, naming the first missing one. */
int			vf_model_arch_check(const char *arch, const VfCheckpoint *ckpt, VfError *err);

#endif
