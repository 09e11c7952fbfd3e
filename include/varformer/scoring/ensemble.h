/*
 * ensemble.h: fixed-weight ensembles of other loaded models, a model kind of their own
 * (plain C). The image only names the members; the SQL layer resolves them per query.
 */
#ifndef VARFORMER_ENSEMBLE_H
#define VARFORMER_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"
#include "varformer/common/json.h"

#define VF_ENSEMBLE_MAX_MEMBERS 64
#define VF_ENSEMBLE_MAX_DEPTH 8

/* Builds an ensemble image from load_model options (member model names and weights). */
int			vf_ensemble_image_build(const VfJson *options, void **image, size_t *size, VfError *err);

int			vf_ensemble_image_check(const void *image, size_t size, VfError *err);
uint32_t	vf_ensemble_n_members(const void *image);
/* Member i: its model name and weight. */
const char *vf_ensemble_member(const void *image, uint32_t i, double *weight);
double		vf_ensemble_intercept(const void *image);

#endif
