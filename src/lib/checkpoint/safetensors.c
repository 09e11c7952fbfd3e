/*
 * safetensors.c: header parsing and dtype conversion for safetensors files (plain C).
 *
 * Everything in the header is untrusted: the length prefix, the JSON, every shape and
 * offset. The checks follow the format's reference implementation (huggingface/safetensors)
 * except that gaps between tensors are tolerated; overlaps and out-of-bounds are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "varformer/common/json.h"
#include "varformer/checkpoint/safetensors.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c reads little-endian data in place; port the conversions first"
#endif

static const struct
{
	const char *name;
	VfDtype		dt;
	size_t		size;
}			dtypes[] = {
	{"BOOL", VF_DT_BOOL, 1},
	{"U8", VF_DT_U8, 1},
	{"I8", VF_DT_I8, 1},
	{"F8_E4M3", VF_DT_F8_E4M3, 1},
	{"F8_E5M2", VF_DT_F8_E5M2, 1},
	{"I16", VF_DT_I16, 2},
	{"U16", VF_DT_U16, 2},
	{"F16", VF_DT_F16, 2},
	{"BF16", VF_DT_BF16, 2},
	{"I32", VF_DT_I32, 4},
	{"U32", VF_DT_U32, 4},
	{"F32", VF_DT_F32, 4},
	{"F64", VF_DT_F64, 8},
	{"I64", VF_DT_I64, 8},
	{"U64", VF_DT_U64, 8},
};

#define N_DTYPES (sizeof(dtypes) / sizeof(dtypes[0]))

const char *
vf_dtype_name(VfDtype dt)
{
	for (size_t i = 0; i < N_DTYPES; i++)
		if (dtypes[i].dt == dt)
			return dtypes[i].name;
	return "?";
}

size_t
vf_dtype_size(VfDtype dt)
{
	for (size_t i = 0; i < N_DTYPES; i++)
		if (dtypes[i].dt == dt)
			return dtypes[i].size;
	return 0;
}

int
vf_safetensors_header_len(const unsigned char prefix[8], uint64_t file_size,
						  uint64_t *header_len, VfError *err)
{
	uint64_t	n = 0;

	if (file_size < 8)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors file is truncated: %llu bytes, less than the 8-byte header length",
						(unsigned long long) file_size);
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | prefix[i];
	if (n > file_size - 8)
	{
		vf_error(err, VF_ERR_CORRUPT,
				 "safetensors header length %llu is larger than the file (%llu bytes)",
				 (unsigned long long) n, (unsigned long long) file_size);
		vf_error_hint(err, "The file is truncated or is not a safetensors file.");
		return -1;
	}
	if (n > VF_ST_MAX_HEADER)
		return vf_error(err, VF_ERR_LIMIT,
						"safetensors header length %llu exceeds the limit of %llu bytes",
						(unsigned long long) n, (unsigned long long) VF_ST_MAX_HEADER);
	if (n < 2)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors header length %llu is too small for a JSON object",
						(unsigned long long) n);
	*header_len = n;
	return 0;
}

/* Safe name for messages: names are arbitrary bytes, messages are fixed-size. */
static const char *
short_name(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t		n = len < bufsz - 4 ? len : bufsz - 4;

	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n < len)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

static int
parse_tensor(const char *key, size_t key_len, const VfJson *v, uint64_t data_len,
			 VfStTensor *t, VfError *err)
{
	char		nb[96];
	const char *nm = short_name(key, key_len, nb, sizeof(nb));
	const VfJson *dt,
			   *shape,
			   *offs;
	size_t		esize = 0;
	uint64_t	bytes;

	if (key_len == 0 || key_len > VF_ST_MAX_NAME || memchr(key, '\0', key_len) != NULL)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors tensor name \"%s\" is empty, too long or contains NUL", nm);
	if (v->type != VF_JSON_OBJECT)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors entry for tensor \"%s\" is not an object", nm);
	dt = vf_json_get(v, "dtype");
	shape = vf_json_get(v, "shape");
	offs = vf_json_get(v, "data_offsets");
	if (dt == NULL || dt->type != VF_JSON_STRING)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors tensor \"%s\" has no string \"dtype\"", nm);
	if (shape == NULL || shape->type != VF_JSON_ARRAY)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors tensor \"%s\" has no array \"shape\"", nm);
	if (offs == NULL || offs->type != VF_JSON_ARRAY || offs->len != 2)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors tensor \"%s\" has no \"data_offsets\" pair", nm);

	for (size_t i = 0; i < N_DTYPES; i++)
		if (strlen(dtypes[i].name) == dt->len && memcmp(dtypes[i].name, dt->str, dt->len) == 0)
		{
			t->dtype = dtypes[i].dt;
			esize = dtypes[i].size;
		}
	if (esize == 0)
	{
		char		db[40];

		vf_error(err, VF_ERR_UNSUPPORTED, "safetensors tensor \"%s\" has unknown dtype \"%s\"",
				 nm, short_name(dt->str, dt->len, db, sizeof(db)));
		vf_error_hint(err, "Known dtypes: BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, "
					  "I32, U32, F32, F64, I64, U64.");
		return -1;
	}

	if (shape->len > VF_ST_MAX_DIMS)
		return vf_error(err, VF_ERR_UNSUPPORTED,
						"safetensors tensor \"%s\" has %zu dimensions; at most %d are supported",
						nm, shape->len, VF_ST_MAX_DIMS);
	t->ndim = (int) shape->len;
	t->numel = 1;
	for (size_t i = 0; i < shape->len; i++)
	{
		const VfJson *d = &shape->items[i];

		if (d->type != VF_JSON_NUMBER || !d->is_integer || d->integer < 0)
			return vf_error(err, VF_ERR_CORRUPT,
							"safetensors tensor \"%s\" has a shape entry that is not a non-negative integer",
							nm);
		t->shape[i] = d->integer;
		/* numel must not overflow, and no tensor can have more elements than the file has bytes */
		if (d->integer != 0 && t->numel > (int64_t) (data_len / (uint64_t) d->integer) + 1)
			return vf_error(err, VF_ERR_CORRUPT,
							"safetensors tensor \"%s\" has a shape larger than the file", nm);
		t->numel *= d->integer;
	}

	for (int i = 0; i < 2; i++)
	{
		const VfJson *o = &offs->items[i];

		if (o->type != VF_JSON_NUMBER || !o->is_integer || o->integer < 0)
			return vf_error(err, VF_ERR_CORRUPT,
							"safetensors tensor \"%s\" has a data offset that is not a non-negative integer",
							nm);
	}
	t->begin = (uint64_t) offs->items[0].integer;
	t->end = (uint64_t) offs->items[1].integer;
	if (t->begin > t->end || t->end > data_len)
	{
		vf_error(err, VF_ERR_CORRUPT,
				 "safetensors tensor \"%s\" has data_offsets [%llu, %llu] outside the data buffer of %llu bytes",
				 nm, (unsigned long long) t->begin, (unsigned long long) t->end,
				 (unsigned long long) data_len);
		vf_error_hint(err, "The file is truncated or its header is corrupt.");
		return -1;
	}
	bytes = (uint64_t) t->numel * esize;
	if ((uint64_t) t->numel > UINT64_MAX / esize || bytes != t->end - t->begin)
		return vf_error(err, VF_ERR_CORRUPT,
						"safetensors tensor \"%s\": shape needs %llu bytes of %s but data_offsets cover %llu",
						nm, (unsigned long long) t->numel * esize, vf_dtype_name(t->dtype),
						(unsigned long long) (t->end - t->begin));
	return 0;
}

static int
cmp_by_begin(const void *a, const void *b)
{
	const VfStTensor *x = *(const VfStTensor *const *) a,
			   *y = *(const VfStTensor *const *) b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : (x->end > y->end ? 1 : 0);
}

static int
cmp_by_name(const void *a, const void *b)
{
	return strcmp((*(const VfStTensor *const *) a)->name, (*(const VfStTensor *const *) b)->name);
}

/* Overlaps and duplicate names, each found by sorting an index of pointers. */
static int
check_layout(VfSafetensors *st, VfError *err)
{
	VfStTensor **ix;
	int			rc = 0;
	char		nb[96],
				nb2[96];

	if (st->n_tensor < 2)
		return 0;
	ix = malloc(sizeof(*ix) * (size_t) st->n_tensor);
	if (ix == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory indexing safetensors header");
	for (int i = 0; i < st->n_tensor; i++)
		ix[i] = &st->tensor[i];

	qsort(ix, (size_t) st->n_tensor, sizeof(*ix), cmp_by_begin);
	for (int i = 1; i < st->n_tensor && rc == 0; i++)
	{
		/* empty tensors occupy no bytes and cannot overlap anything */
		if (ix[i]->begin == ix[i]->end)
			continue;
		for (int j = i - 1; j >= 0; j--)
		{
			if (ix[j]->begin == ix[j]->end)
				continue;
			if (ix[i]->begin < ix[j]->end)
			{
				rc = vf_error(err, VF_ERR_CORRUPT,
							  "safetensors tensors \"%s\" [%llu, %llu] and \"%s\" [%llu, %llu] overlap",
							  short_name(ix[j]->name, strlen(ix[j]->name), nb, sizeof(nb)),
							  (unsigned long long) ix[j]->begin, (unsigned long long) ix[j]->end,
							  short_name(ix[i]->name, strlen(ix[i]->name), nb2, sizeof(nb2)),
							  (unsigned long long) ix[i]->begin, (unsigned long long) ix[i]->end);
			}
			break;				/* sorted by begin: the nearest non-empty one decides */
		}
	}

	if (rc == 0)
	{
		qsort(ix, (size_t) st->n_tensor, sizeof(*ix), cmp_by_name);
		for (int i = 1; i < st->n_tensor && rc == 0; i++)
			if (strcmp(ix[i - 1]->name, ix[i]->name) == 0)
				rc = vf_error(err, VF_ERR_CORRUPT, "safetensors header names tensor \"%s\" twice",
							  short_name(ix[i]->name, strlen(ix[i]->name), nb, sizeof(nb)));
	}
	free(ix);
	return rc;
}

int
vf_safetensors_parse_header(const char *json, uint64_t header_len, uint64_t file_size,
							VfSafetensors *out, VfError *err)
{
	VfJsonDoc  *doc;
	const VfJson *root;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	if (file_size < 8 || header_len > file_size - 8)
		return vf_error(err, VF_ERR_CORRUPT, "safetensors header length %llu is larger than the file",
						(unsigned long long) header_len);
	out->header_len = header_len;
	out->data_start = 8 + header_len;
	out->data_len = file_size - out->data_start;

	doc = vf_json_parse(json, (size_t) header_len, err);
	if (doc == NULL)
	{
		char		m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		return vf_error(err, VF_ERR_CORRUPT, "safetensors header is not valid JSON: %s", m);
	}
	root = vf_json_root(doc);
	if (root == NULL || root->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_CORRUPT, "safetensors header is not a JSON object");
		goto done;
	}
	out->tensor = calloc(root->len ? root->len : 1, sizeof(VfStTensor));
	if (out->tensor == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading safetensors header");
		goto done;
	}
	for (size_t i = 0; i < root->len; i++)
	{
		VfStTensor *t = &out->tensor[out->n_tensor];

		if (root->key_lens[i] == 12 && memcmp(root->keys[i], "__metadata__", 12) == 0)
		{
			if (root->items[i].type != VF_JSON_OBJECT)
			{
				vf_error(err, VF_ERR_CORRUPT, "safetensors \"__metadata__\" is not an object");
				goto done;
			}
			continue;
		}
		if (parse_tensor(root->keys[i], root->key_lens[i], &root->items[i], out->data_len, t, err) != 0)
			goto done;
		t->name = malloc(root->key_lens[i] + 1);
		if (t->name == NULL)
		{
			vf_error(err, VF_ERR_NOMEM, "out of memory reading safetensors header");
			goto done;
		}
		memcpy(t->name, root->keys[i], root->key_lens[i]);
		t->name[root->key_lens[i]] = '\0';
		out->n_tensor++;
	}
	rc = check_layout(out, err);

done:
	vf_json_free(doc);
	if (rc != 0)
		vf_safetensors_free(out);
	return rc;
}

int
vf_safetensors_parse_buffer(const unsigned char *buf, size_t len, uint64_t file_size,
							VfSafetensors *out, VfError *err)
{
	uint64_t	hlen;

	memset(out, 0, sizeof(*out));
	if (len < 8)
		return vf_error(err, VF_ERR_CORRUPT, "safetensors file is truncated: %zu bytes", len);
	if (vf_safetensors_header_len(buf, file_size, &hlen, err) != 0)
		return -1;
	if (hlen > len - 8)
		return vf_error(err, VF_ERR_CORRUPT, "safetensors header is truncated");
	return vf_safetensors_parse_header((const char *) buf + 8, hlen, file_size, out, err);
}

int
vf_safetensors_read_file(const char *path, VfSafetensors *out, VfError *err)
{
	int			fd;
	struct stat sb;
	unsigned char prefix[8];
	uint64_t	hlen;
	char	   *json = NULL;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not open safetensors file \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0)
	{
		vf_error(err, VF_ERR_IO, "could not stat \"%s\": %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(sb.st_mode))
	{
		vf_error(err, VF_ERR_INVALID, "\"%s\" is not a regular file", path);
		goto done;
	}
	if (sb.st_size < 8)
	{
		vf_safetensors_header_len(prefix, (uint64_t) sb.st_size, &hlen, err);
		goto done;
	}
	if (pread(fd, prefix, 8, 0) != 8)
	{
		vf_error(err, VF_ERR_IO, "could not read \"%s\"", path);
		goto done;
	}
	if (vf_safetensors_header_len(prefix, (uint64_t) sb.st_size, &hlen, err) != 0)
		goto done;
	json = malloc(hlen);
	if (json == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading a %llu-byte safetensors header",
				 (unsigned long long) hlen);
		goto done;
	}
	for (uint64_t got = 0; got < hlen;)
	{
		ssize_t		r = pread(fd, json + got, hlen - got, (off_t) (8 + got));

		if (r <= 0)
		{
			if (r < 0 && errno == EINTR)
				continue;
			vf_error(err, VF_ERR_IO, "could not read the header of \"%s\"", path);
			goto done;
		}
		got += (uint64_t) r;
	}
	rc = vf_safetensors_parse_header(json, hlen, (uint64_t) sb.st_size, out, err);

done:
	free(json);
	close(fd);
	return rc;
}

void
vf_safetensors_free(VfSafetensors *st)
{
	if (st->tensor != NULL)
		for (int i = 0; i < st->n_tensor; i++)
			free(st->tensor[i].name);
	free(st->tensor);
	st->tensor = NULL;
	st->n_tensor = 0;
}

/* IEEE binary16 to binary32, exact for every input (subnormals, infinities, NaN payloads). */
static inline float
f16_to_f32(uint16_t h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1f;
	uint32_t	man = h & 0x3ff;
	uint32_t	bits;
	float		f;

	if (exp == 0x1f)
		bits = sign | 0x7f800000u | (man << 13);
	else if (exp != 0)
		bits = sign | ((exp + 112) << 23) | (man << 13);
	else if (man == 0)
		bits = sign;
	else
	{
		/* subnormal: normalise the mantissa */
		exp = 113;
		while ((man & 0x400) == 0)
		{
			man <<= 1;
			exp--;
		}
		bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
	}
	memcpy(&f, &bits, 4);
	return f;
}

int
vf_dtype_to_f32(VfDtype dt, const void *src, size_t n, float *dst)
{
	const unsigned char *s = src;

	switch (dt)
	{
		case VF_DT_F32:
			memmove(dst, src, n * 4);
			return 0;
		case VF_DT_F16:
			for (size_t i = 0; i < n; i++)
			{
				uint16_t	h;

				memcpy(&h, s + 2 * i, 2);
				dst[i] = f16_to_f32(h);
			}
			return 0;
		case VF_DT_BF16:
			for (size_t i = 0; i < n; i++)
			{
				uint16_t	h;
				uint32_t	bits;

				memcpy(&h, s + 2 * i, 2);
				bits = (uint32_t) h << 16;
				memcpy(&dst[i], &bits, 4);
			}
			return 0;
		case VF_DT_F64:
			for (size_t i = 0; i < n; i++)
			{
				double		d;

				memcpy(&d, s + 8 * i, 8);
				dst[i] = (float) d;
			}
			return 0;
		default:
			return -1;
	}
}
