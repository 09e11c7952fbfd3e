/*
 * predictdb.h: PrediXcan / PredictDB elastic-net models and fixed-weight ensembles.
 * Image builders are plain C (libsqlite3); scoring takes plain-C calls.
 */
#ifndef VARFORMER_PREDICTDB_H
#define VARFORMER_PREDICTDB_H

#include <stddef.h>

#include "varformer/calls.h"
#include "varformer/error.h"
#include "varformer/json.h"

/* Reads a PredictDB SQLite file (read-only) into a position-independent image (malloc'd). */
int			vf_predictdb_image_build(const char *path, const VfJson *options,
									 void **image, size_t *size, size_t max_bytes, VfError *err);

/* Builds an ensemble image from load_model options (member model names and weights). */
int			vf_ensemble_image_build(const VfJson *options, void **image, size_t *size, VfError *err);

#endif
