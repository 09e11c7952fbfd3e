/* model_options.h: load_model's options, checked at load (model_options.c). */
#ifndef VARFORMER_MODEL_OPTIONS_H
#define VARFORMER_MODEL_OPTIONS_H

#include "varformer/checkpoint/model_kind.h"

/* Before the model is read: every key known, every value of the right type. */
extern void vf_model_options_check_keys(const char *name, const char *options_json);

/* Once the kind is known: the keys apply to it, values fit the model (image: its bytes). */
extern void vf_model_options_check_kind(const char *name, const char *options_json,
										VfModelKind kind, const void *image, size_t size);

/* An ensemble's members exist in the catalog and predict (not encoders, not itself). */
extern void vf_model_options_check_members(const char *name, const char *options_json);

/* Whether the options (a JSON object) have key at the top level. */
extern bool vf_model_options_has(const char *options_json, const char *key);

#endif
