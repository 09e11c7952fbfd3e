/*
 * safetensors.h: reading the safetensors container format (plain C).
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}),
 * then the data buffer; offsets are relative to the start of the data buffer.
 * The header is hostile input: every size, offset and count is checked against the file.
 */
#ifndef VARFORMER_SAFETENSORS_H
#define VARFORMER_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"

/* The reference implementation refuses headers above 100 MB; so do we. */
#define VF_ST_MAX_HEADER ((uint64_t) 100 * 1024 * 1024)
#define VF_ST_MAX_DIMS 8
#define VF_ST_MAX_NAME 1024

typedef enum VfDtype
{
	VF_DT_BOOL,
	VF_DT_U8,
	VF_DT_I8,
	VF_DT_F8_E4M3,
	VF_DT_F8_E5M2,
	VF_DT_I16,
	VF_DT_U16,
	VF_DT_F16,
	VF_DT_BF16,
	VF_DT_I32,
	VF_DT_U32,
	VF_DT_F32,
	VF_DT_F64,
	VF_DT_I64,
	VF_DT_U64
} VfDtype;

typedef struct VfStTensor
{
	char	   *name;			/* NUL-terminated, no embedded NUL */
	VfDtype		dtype;
	int			ndim;			/* 0 for a scalar */
	int64_t		shape[VF_ST_MAX_DIMS];
	int64_t		numel;
	uint64_t	begin;			/* byte offsets into the data buffer, end - begin = numel * size */
	uint64_t	end;
} VfStTensor;

typedef struct VfSafetensors
{
	uint64_t	header_len;
	uint64_t	data_start;		/* = 8 + header_len: file offset of the data buffer */
	uint64_t	data_len;
	int			n_tensor;
	VfStTensor *tensor;			/* in header order */
} VfSafetensors;

/* Name and element size of a dtype ("F32", 4). */
const char *vf_dtype_name(VfDtype dt);
size_t		vf_dtype_size(VfDtype dt);

/*
 * Reads the 8-byte header length and checks it against the file size and the cap.
 */
int			vf_safetensors_header_len(const unsigned char prefix[8], uint64_t file_size,
									  uint64_t *header_len, VfError *err);

/*
 * Parses and validates the JSON header json[0..header_len) of a file of file_size bytes:
 * known dtypes, shapes whose byte size matches the offsets, offsets inside the data buffer,
 * no two tensors overlapping, no duplicate names. Fills *out (free with vf_safetensors_free).
 */
int			vf_safetensors_parse_header(const char *json, uint64_t header_len,
										uint64_t file_size, VfSafetensors *out, VfError *err);

/* Both steps over an in-memory copy of a whole file (or at least its header): the fuzz entry. */
int			vf_safetensors_parse_buffer(const unsigned char *buf, size_t len, uint64_t file_size,
										VfSafetensors *out, VfError *err);

/* Opens and parses a file's header (reads only the header). */
int			vf_safetensors_read_file(const char *path, VfSafetensors *out, VfError *err);

void		vf_safetensors_free(VfSafetensors *st);

/* Converts n little-endian elements of a float dtype (F32, F16, BF16, F64) to F32. */
int			vf_dtype_to_f32(VfDtype dt, const void *src, size_t n, float *dst);

#endif
