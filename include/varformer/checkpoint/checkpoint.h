/*
 * checkpoint.h: the position-independent image of a neural checkpoint (plain C).
 *
 * load_model turns a safetensors file or Hugging Face directory into one contiguous image
 * (tensors converted to F32, 64-byte aligned, addressed by offsets; config.json, tokenizer.json
 * and vocab.txt text carried along). The image is copied once into shared memory; every
 * backend resolves it into a VfCheckpoint view over its own mapping.
 */
#ifndef VARFORMER_CHECKPOINT_H
#define VARFORMER_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"

#define VF_MAX_DIMS 4

typedef struct VfTensorView
{
	const char *name;
	int			ndim;
	int64_t		shape[VF_MAX_DIMS];
	int64_t		numel;
	const float *data;			/* F32, 64-byte aligned, read-only shared memory */
} VfTensorView;

typedef struct VfCheckpoint
{
	int			n_tensor;
	VfTensorView *tensor;		/* sorted by name */
	const char *config_json;	/* NULL when absent */
	size_t		config_len;
	const char *tokenizer_json;
	size_t		tokenizer_len;
	const char *vocab_txt;
	size_t		vocab_len;
} VfCheckpoint;

/*
 * Builds the image from a .safetensors file or a directory (config.json, model.safetensors,
 * optional tokenizer.json and vocab.txt). F32, F16, BF16 and F64 tensors are converted to F32;
 * tensors of integer or boolean dtype (num_batches_tracked, position_ids buffers) are left out.
 * Fails with VF_ERR_LIMIT, before allocating, when the image would exceed max_bytes.
 * *image is allocated with aligned_alloc(64, ...): release it with free().
 */
int			vf_checkpoint_image_build(const char *path, void **image, size_t *size,
									  size_t max_bytes, VfError *err);

/*
 * The same image in two steps, so that a caller can place it (in shared memory) and see the
 * file's bytes as they stream by (to hash them) in a single read of the file.
 * vf_checkpoint_plan reads and validates the headers and text files and sizes the image
 * (VF_ERR_LIMIT above max_bytes); vf_checkpoint_plan_fill then reads the safetensors file once,
 * from its first byte to its last, passing every chunk in order to on_chunk (when not NULL; a
 * nonzero return stops the load) and writing the image into dst (64-byte aligned, *size
 * bytes). So that the caller can hash on another thread while the fill reads on: a chunk
 * inside dst (F32 data read straight into place) is never written again; any other chunk
 * (the fill's buffer) stays unchanged until the next on_chunk call returns; the last call,
 * on_chunk(arg, NULL, 0), comes before the fill returns (also when it fails) and must not
 * return while any chunk is still in use. vf_checkpoint_plan_text gives text file i
 * (0 config.json, 1 tokenizer.json, 2 vocab.txt) as read, NULL when absent;
 * vf_checkpoint_plan_file the safetensors file that the fill reads and its size in bytes.
 *
 * vf_checkpoint_plan_fill_range fills from bytes [from, to) of the file only, with the same
 * contract for those bytes (ending with its own final call); fills of ranges that together
 * cover the file, in any order, build the same image as one whole fill. A range that ends
 * at the file's size reads to its end and fails if it is longer; one that ends earlier
 * stops there. Both ends must be where vf_checkpoint_plan_split puts them:
 * vf_checkpoint_plan_split(plan, at) is the last offset <= at that splits no element of a
 * tensor that is converted (F16, BF16, F64), so a range's first element is whole.
 */
typedef struct VfCheckpointPlan VfCheckpointPlan;
typedef int (*VfChunkFn) (void *arg, const void *data, size_t len);

/* Bytes per read while filling an image (8 MB); tests lower it to split every tensor. */
extern size_t vf_checkpoint_read_chunk;

int			vf_checkpoint_plan(const char *path, size_t max_bytes, VfCheckpointPlan **plan,
							   size_t *size, VfError *err);
int			vf_checkpoint_plan_fill(const VfCheckpointPlan *plan, void *dst, VfChunkFn on_chunk,
									void *arg, VfError *err);
const char *vf_checkpoint_plan_text(const VfCheckpointPlan *plan, int i, const char **file,
									size_t *len);
const char *vf_checkpoint_plan_file(const VfCheckpointPlan *plan, uint64_t *size);
int			vf_checkpoint_plan_fill_range(const VfCheckpointPlan *plan, void *dst, uint64_t from,
										  uint64_t to, VfChunkFn on_chunk, void *arg, VfError *err);
uint64_t	vf_checkpoint_plan_split(const VfCheckpointPlan *plan, uint64_t at);
void		vf_checkpoint_plan_free(VfCheckpointPlan *plan);

/* Resolves an image (validating every offset against size) into a view; out->tensor malloc'd. */
int			vf_checkpoint_open(const void *image, size_t size, VfCheckpoint *out, VfError *err);
void		vf_checkpoint_close(VfCheckpoint *c);

/* Tensor by exact name, or NULL. */
const VfTensorView *vf_checkpoint_tensor(const VfCheckpoint *c, const char *name);

/*
 * Checks that every name in names[0..n) is present; otherwise fails naming the first missing
 * one (VF_ERR_DATA), with `what` (e.g. the architecture) in the message.
 */
int			vf_checkpoint_require(const VfCheckpoint *c, const char *const *names, int n,
								  const char *what, VfError *err);

/* Total number of elements over all tensors. */
int64_t		vf_checkpoint_parameters(const VfCheckpoint *c);

/* Caps on the text files carried in the image. */
#define VF_CKPT_MAX_CONFIG ((size_t) 1 << 20)
#define VF_CKPT_MAX_TOKENIZER ((size_t) 64 << 20)
#define VF_CKPT_MAX_VOCAB ((size_t) 16 << 20)

#endif
