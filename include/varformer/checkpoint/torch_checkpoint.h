/*
 * torch_checkpoint.h: reading PyTorch checkpoints (torch.save of a state_dict) without Python.
 *
 * The format is PyTorch's zip format (the default of torch.save since 1.6): an uncompressed
 * ZIP (ZIP64 above 4 GB) holding <archive>/data.pkl, a pickle of the state_dict whose tensors
 * name their storages by persistent id, and <archive>/data/<key>, each storage's raw
 * little-endian bytes. The pickle is read by a restricted unpickler that knows only what a
 * state_dict needs (OrderedDict, torch._utils._rebuild_tensor_v2 and _rebuild_parameter,
 * the typed storage classes) and refuses every other global, like
 * torch.load(weights_only=True); it builds plain data and never calls anything.
 *
 * Everything in the file is hostile input: every size and offset is checked, counts, memo
 * and stack are capped, nothing recurses on the input's nesting.
 *
 * The result is the tensor list the safetensors parser gives (VfSafetensors) with offsets
 * relative to the start of the file (data_start 0), so the checkpoint image builder is shared.
 * Tensors that view the same bytes (tied weights) appear once per name with equal offsets;
 * tensors whose bytes overlap otherwise, and non-contiguous tensors, are refused.
 */
#ifndef VARFORMER_TORCH_CHECKPOINT_H
#define VARFORMER_TORCH_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"
#include "varformer/checkpoint/safetensors.h"

/* Caps (hostile input): data.pkl size, zip entries, unpickler objects, memo slots, tensors. */
#define VF_TORCH_MAX_PICKLE ((uint64_t) 64 << 20)
#define VF_TORCH_MAX_ENTRIES (1 << 20)
#define VF_TORCH_MAX_OBJECTS (1 << 22)
#define VF_TORCH_MAX_MEMO (1 << 22)
#define VF_TORCH_MAX_TENSORS (1 << 20)

/* Where the bytes come from: a file (fd) or, for tests and the fuzzer, a buffer. */
typedef struct VfTorchSource
{
	int			fd;				/* -1: read from buf */
	const unsigned char *buf;
	uint64_t	size;			/* of the file or buffer */
	const char *name;			/* for messages */
} VfTorchSource;

/* One stored (uncompressed) zip member: where its bytes start in the file, and how many. */
typedef struct VfZipEntry
{
	char	   *name;			/* NUL-terminated, no embedded NUL */
	uint64_t	data_off;
	uint64_t	size;
} VfZipEntry;

typedef struct VfZip
{
	int			n_entry;
	VfZipEntry *entry;			/* sorted by name, names unique */
} VfZip;

/* Reads and validates the central directory and every local header. */
int			vf_zip_open(const VfTorchSource *src, VfZip *out, VfError *err);
const VfZipEntry *vf_zip_find(const VfZip *zip, const char *name);
void		vf_zip_free(VfZip *zip);

/* Reads n bytes at off from src (bounds already checked by the caller or here). */
int			vf_torch_source_read(const VfTorchSource *src, uint64_t off, void *dst, size_t n,
								 VfError *err);

/*
 * One tensor as the pickle describes it: its storage (by key, with the storage's dtype and
 * element count), element offset, shape and stride.
 */
typedef struct VfTorchTensor
{
	char	   *name;
	char	   *storage_key;
	VfDtype		dtype;
	int64_t		storage_numel;
	int64_t		offset;			/* in elements */
	int			ndim;
	int64_t		shape[VF_ST_MAX_DIMS];
	int64_t		stride[VF_ST_MAX_DIMS];
} VfTorchTensor;

typedef struct VfTorchDict
{
	int			n_tensor;
	VfTorchTensor *tensor;		/* in pickle order */
} VfTorchDict;

/* Unpickles a state_dict from data.pkl's bytes. */
int			vf_torch_unpickle(const unsigned char *pkl, size_t len, VfTorchDict *out, VfError *err);

/*
 * The legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False) is one
 * stream: pickles of the magic number, the protocol version and sys_info (the prelude), the
 * state_dict (legacy persistent ids), the list of storage keys, then each storage in that
 * order as an 8-byte little-endian element count and its bytes. Each call parses the pickle
 * at *pos of buf and advances *pos past it; *more is set when it failed only because buf
 * ends before the pickle does (the caller may retry with more of the file).
 */
int			vf_torch_unpickle_at(const unsigned char *buf, size_t len, size_t *pos, bool legacy,
								 VfTorchDict *out, bool *more, VfError *err);
int			vf_torch_legacy_prelude(const unsigned char *buf, size_t len, size_t *pos, bool *more,
									VfError *err);
int			vf_torch_legacy_keys(const unsigned char *buf, size_t len, size_t *pos, char ***keys,
								 int *n_keys, bool *more, VfError *err);
void		vf_torch_dict_free(VfTorchDict *d);

/* True when the first bytes are those of a ZIP (torch.save's format since 1.6). */
int			vf_torch_is_zip(const unsigned char *prefix, size_t len);

/* A whole checkpoint: zip, pickle, storages resolved to file offsets, layout checked. */
int			vf_torch_read(const VfTorchSource *src, VfSafetensors *out, VfError *err);
int			vf_torch_read_file(const char *path, VfSafetensors *out, VfError *err);
int			vf_torch_parse_buffer(const unsigned char *buf, size_t len, VfSafetensors *out,
								  VfError *err);

#endif
