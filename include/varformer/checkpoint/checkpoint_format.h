/*
 * checkpoint_format.h: which reader a checkpoint file needs (plain C).
 *
 * A file is a PyTorch checkpoint when it starts with the ZIP magic or PyTorch's legacy
 * magic, or its name ends in .bin, .pt or .pth; anything else is read as safetensors.
 * A Hugging Face directory holds its weights in model.safetensors or, without that,
 * pytorch_model.bin.
 */
#ifndef VARFORMER_CHECKPOINT_FORMAT_H
#define VARFORMER_CHECKPOINT_FORMAT_H

#include <stdbool.h>

#include "varformer/common/error.h"
#include "varformer/checkpoint/safetensors.h"

/* The weights file a directory's checkpoint is read from: "model.safetensors" or "pytorch_model.bin". */
const char *vf_checkpoint_weights_file(const char *dir);

bool		vf_checkpoint_is_torch(const char *path);

/* The tensor list of a weights file, by the reader its format needs (offsets from data_start). */
int			vf_checkpoint_read_tensors(const char *path, VfSafetensors *out, VfError *err);

#endif
