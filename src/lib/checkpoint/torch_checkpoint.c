/*
 * torch_checkpoint.c: a PyTorch checkpoint (zip + data.pkl + storages) as a tensor list.
 *
 * The zip reader says where each member's bytes are, the unpickler which tensors the
 * state_dict holds and which storage each views; this file joins the two and checks what
 * neither can alone: that every tensor lies inside its storage, that its storage is the
 * member's exact size, that it is contiguous, and that two tensors' bytes are either the
 * same bytes (tied weights) or disjoint. The result has the shape the safetensors parser
 * gives, offsets counted from the start of the file, so the image builder reads a torch
 * checkpoint exactly as it reads a safetensors file: once, from first byte to last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "varformer/checkpoint/torch_checkpoint.h"

/* torch.save before 1.6 (and with _use_new_zipfile_serialization=False): a pickled magic number */
static const unsigned char legacy_magic[] = {
	0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19
};

/* The archive's folder: the part of "<archive>/data.pkl" before data.pkl. */
static int
find_archive(const VfTorchSource *src, const VfZip *zip, char **prefix, VfError *err)
{
	const VfZipEntry *pkl = NULL;

	for (int i = 0; i < zip->n_entry; i++)
	{
		const char *n = zip->entry[i].name;
		const char *slash = strchr(n, '/');

		if (slash != NULL && strcmp(slash, "/data.pkl") == 0)
		{
			if (pkl != NULL)
				return vf_error(err, VF_ERR_CORRUPT, "\"%s\" holds two data.pkl (\"%.200s\", \"%.200s\")",
								src->name, pkl->name, n);
			pkl = &zip->entry[i];
		}
	}
	if (pkl == NULL)
	{
		vf_error(err, VF_ERR_CORRUPT, "zip archive \"%s\" has no <archive>/data.pkl", src->name);
		vf_error_hint(err, "Only checkpoints written by torch.save can be loaded from a zip.");
		return -1;
	}
	*prefix = strndup(pkl->name, strlen(pkl->name) - strlen("data.pkl"));
	if (*prefix == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");
	return 0;
}

static const VfZipEntry *
member(const VfZip *zip, const char *prefix, const char *a, const char *b)
{
	size_t		n = strlen(prefix) + strlen(a) + strlen(b) + 1;
	char	   *full = malloc(n);
	const VfZipEntry *e;

	if (full == NULL)
		return NULL;
	snprintf(full, n, "%s%s%s", prefix, a, b);
	e = vf_zip_find(zip, full);
	free(full);
	return e;
}

/*
 * One tensor in its storage, whose bytes are [data_off, data_off + size) of the file: bounds,
 * contiguity; fills t's shape, numel and offsets.
 */
static int
place_tensor(const VfTorchSource *src, uint64_t data_off, uint64_t size,
			 const VfTorchTensor *tt, VfStTensor *t, VfError *err)
{
	size_t		es = vf_dtype_size(tt->dtype);
	int64_t		numel = 1;
	int64_t		want = 1;

	/* a storage is its bytes, exactly */
	if ((uint64_t) tt->storage_numel > size / es || (uint64_t) tt->storage_numel * es != size)
		return vf_error(err, VF_ERR_CORRUPT,
						"\"%s\": storage \"%.100s\" of %lld %s elements does not match its %llu bytes",
						src->name, tt->storage_key, (long long) tt->storage_numel,
						vf_dtype_name(tt->dtype), (unsigned long long) size);
	for (int d = 0; d < tt->ndim; d++)
	{
		if (tt->shape[d] != 0 && numel > tt->storage_numel / tt->shape[d] + 1)
			return vf_error(err, VF_ERR_CORRUPT, "\"%s\": tensor \"%s\" has more elements than its storage",
							src->name, tt->name);
		numel *= tt->shape[d];
	}
	if (numel > 0)
	{
		/* PyTorch's contiguity: dimensions of size 1 may carry any stride */
		for (int d = tt->ndim - 1; d >= 0; d--)
		{
			if (tt->shape[d] != 1 && tt->stride[d] != want)
			{
				vf_error(err, VF_ERR_UNSUPPORTED, "\"%s\": tensor \"%s\" is not contiguous (dimension %d has stride %lld, expected %lld)",
						 src->name, tt->name, d, (long long) tt->stride[d], (long long) want);
				vf_error_hint(err, "Save the state_dict with .contiguous() tensors, or convert it to safetensors.");
				return -1;
			}
			want *= tt->shape[d];
		}
		if (tt->offset > tt->storage_numel || numel > tt->storage_numel - tt->offset)
			return vf_error(err, VF_ERR_CORRUPT,
							"\"%s\": tensor \"%s\" (%lld elements at offset %lld) runs past its storage of %lld",
							src->name, tt->name, (long long) numel, (long long) tt->offset,
							(long long) tt->storage_numel);
	}
	t->dtype = tt->dtype;
	t->ndim = tt->ndim;
	memcpy(t->shape, tt->shape, sizeof(t->shape));
	t->numel = numel;
	t->begin = numel > 0 ? data_off + (uint64_t) tt->offset * es : data_off;
	t->end = t->begin + (uint64_t) numel * es;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp((*(const VfStTensor *const *) a)->name, (*(const VfStTensor *const *) b)->name);
}

static int
cmp_span(const void *a, const void *b)
{
	const VfStTensor *x = *(const VfStTensor *const *) a,
			   *y = *(const VfStTensor *const *) b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : (x->end > y->end ? 1 : 0);
}

/*
 * Names unique; the bytes of two floating-point tensors the same (a tied weight) or disjoint.
 * Integer tensors (position_ids buffers) are not loaded, so how they share bytes is no concern.
 */
static int
check_layout(const VfTorchSource *src, VfSafetensors *st, VfError *err)
{
	VfStTensor **ix;
	uint64_t	reach = 0;
	const VfStTensor *last = NULL;
	int			rc = 0;

	if (st->n_tensor < 2)
		return 0;
	ix = malloc(sizeof(*ix) * (size_t) st->n_tensor);
	if (ix == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");
	for (int i = 0; i < st->n_tensor; i++)
		ix[i] = &st->tensor[i];
	qsort(ix, (size_t) st->n_tensor, sizeof(*ix), cmp_name);
	for (int i = 1; i < st->n_tensor && rc == 0; i++)
		if (strcmp(ix[i - 1]->name, ix[i]->name) == 0)
			rc = vf_error(err, VF_ERR_CORRUPT, "\"%s\": state_dict names tensor \"%s\" twice",
						  src->name, ix[i]->name);
	qsort(ix, (size_t) st->n_tensor, sizeof(*ix), cmp_span);
	for (int i = 0; i < st->n_tensor && rc == 0; i++)
	{
		const VfStTensor *t = ix[i];

		if (t->begin == t->end || !(t->dtype == VF_DT_F32 || t->dtype == VF_DT_F16 ||
									 t->dtype == VF_DT_BF16 || t->dtype == VF_DT_F64))
			continue;
		if (last != NULL && t->begin == last->begin && t->end == last->end && t->dtype == last->dtype)
			continue;
		if (t->begin < reach)
		{
			rc = vf_error(err, VF_ERR_UNSUPPORTED,
						  "\"%s\": tensors \"%s\" and \"%s\" view overlapping parts of one storage",
						  src->name, last->name, t->name);
			vf_error_hint(err, "Only tensors that view the same bytes (tied weights) or disjoint bytes are supported; "
						  "save .clone()d tensors.");
		}
		reach = t->end;
		last = t;
	}
	free(ix);
	return rc;
}

static int
cmp_tensor_key(const void *a, const void *b)
{
	return strcmp((*(const VfTorchTensor *const *) a)->storage_key,
				  (*(const VfTorchTensor *const *) b)->storage_key);
}

typedef struct KeyIx
{
	const char *key;
	int			i;				/* its place in the keys list: the storages' file order */
} KeyIx;

static int
cmp_key_ix(const void *a, const void *b)
{
	return strcmp(((const KeyIx *) a)->key, ((const KeyIx *) b)->key);
}

/* Index into the keys list of key, by binary search over key_ix (sorted by key); -1 if absent. */
static int
find_key(const KeyIx *key_ix, int n, const char *key)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			r = strcmp(key_ix[mid].key, key);

		if (r == 0)
			return key_ix[mid].i;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The pickles at the start of a legacy file; reads more of the file while they need it. */
static int
legacy_pickles(const VfTorchSource *src, VfTorchDict *dict, char ***keys, int *n_keys,
			   uint64_t *end, VfError *err)
{
	uint64_t	cap = src->size < VF_TORCH_MAX_PICKLE ? src->size : VF_TORCH_MAX_PICKLE;
	uint64_t	window = cap < ((uint64_t) 1 << 20) ? cap : ((uint64_t) 1 << 20);

	for (;;)
	{
		unsigned char *buf = malloc(window ? (size_t) window : 1);
		size_t		pos = 0;
		bool		more = false;
		int			rc;

		if (buf == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
		rc = vf_torch_source_read(src, 0, buf, (size_t) window, err);
		if (rc == 0)
			rc = vf_torch_legacy_prelude(buf, (size_t) window, &pos, &more, err);
		if (rc == 0)
			rc = vf_torch_unpickle_at(buf, (size_t) window, &pos, true, dict, &more, err);
		if (rc == 0)
		{
			rc = vf_torch_legacy_keys(buf, (size_t) window, &pos, keys, n_keys, &more, err);
			if (rc != 0)
				vf_torch_dict_free(dict);
		}
		free(buf);
		if (rc == 0)
		{
			*end = pos;
			return 0;
		}
		if (!more || window == cap)
		{
			char		m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err->msg);
			if (more && cap < src->size)
				vf_error(err, VF_ERR_LIMIT, "\"%s\": the legacy checkpoint's pickles exceed %llu bytes",
						 src->name, (unsigned long long) cap);
			else
				vf_error(err, err->code, "\"%s\": %s", src->name, m);
			return -1;
		}
		window = window * 4 < cap ? window * 4 : cap;
	}
}

/*
 * PyTorch's legacy format: the pickles, then every storage in the order of the keys list,
 * each as an 8-byte element count and its bytes.
 */
static int
read_legacy(const VfTorchSource *src, VfSafetensors *out, VfError *err)
{
	VfTorchDict dict = {0};
	char	  **keys = NULL;
	int			n_keys = 0;
	uint64_t	off = 0;
	uint64_t   *st_off = NULL,
			   *st_size = NULL;
	const VfTorchTensor **by_key = NULL;
	KeyIx	   *key_ix = NULL;
	int			rc = -1;

	if (legacy_pickles(src, &dict, &keys, &n_keys, &off, err) != 0)
		return -1;
	st_off = calloc((size_t) n_keys + 1, sizeof(uint64_t));
	st_size = calloc((size_t) n_keys + 1, sizeof(uint64_t));
	out->tensor = calloc(dict.n_tensor ? (size_t) dict.n_tensor : 1, sizeof(VfStTensor));
	by_key = malloc(sizeof(*by_key) * (size_t) (dict.n_tensor + 1));
	key_ix = malloc(sizeof(KeyIx) * (size_t) (n_keys + 1));
	if (st_off == NULL || st_size == NULL || out->tensor == NULL || by_key == NULL || key_ix == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
		goto done;
	}
	/* lookups by key: tensors sorted by storage key, key indices sorted by key */
	for (int i = 0; i < dict.n_tensor; i++)
		by_key[i] = &dict.tensor[i];
	qsort(by_key, (size_t) dict.n_tensor, sizeof(*by_key), cmp_tensor_key);
	for (int k = 0; k < n_keys; k++)
	{
		key_ix[k].key = keys[k];
		key_ix[k].i = k;
	}
	qsort(key_ix, (size_t) n_keys, sizeof(KeyIx), cmp_key_ix);
	for (int k = 1; k < n_keys; k++)
		if (strcmp(key_ix[k - 1].key, key_ix[k].key) == 0)
		{
			vf_error(err, VF_ERR_CORRUPT, "\"%s\": storage key \"%.100s\" is listed twice",
					 src->name, key_ix[k].key);
			goto done;
		}
	/* each storage's dtype comes from the tensors that view it (the unpickler made them agree) */
	for (int k = 0; k < n_keys; k++)
	{
		VfTorchTensor probe = {.storage_key = keys[k]};
		const VfTorchTensor *pp = &probe;
		const VfTorchTensor **found = bsearch(&pp, by_key, (size_t) dict.n_tensor, sizeof(*by_key),
											  cmp_tensor_key);
		const VfTorchTensor *user = found ? *found : NULL;
		unsigned char nb[8];
		uint64_t	numel = 0;
		size_t		es;

		if (user == NULL)
		{
			vf_error(err, VF_ERR_CORRUPT, "\"%s\": storage \"%.100s\" is viewed by no tensor",
					 src->name, keys[k]);
			goto done;
		}
		es = vf_dtype_size(user->dtype);
		if (vf_torch_source_read(src, off, nb, 8, err) != 0)
			goto done;
		for (int b = 7; b >= 0; b--)
			numel = (numel << 8) | nb[b];
		off += 8;
		if (numel > (src->size - off) / es)
		{
			vf_error(err, VF_ERR_CORRUPT, "\"%s\": storage \"%.100s\" of %llu elements runs past the end of the file",
					 src->name, keys[k], (unsigned long long) numel);
			vf_error_hint(err, "The file is truncated or corrupt.");
			goto done;
		}
		st_off[k] = off;
		st_size[k] = numel * es;
		off += numel * es;
	}
	for (int i = 0; i < dict.n_tensor; i++)
	{
		VfStTensor *t = &out->tensor[i];
		int			k = find_key(key_ix, n_keys, dict.tensor[i].storage_key);

		if (k < 0)
		{
			vf_error(err, VF_ERR_CORRUPT, "\"%s\": tensor \"%s\" names storage \"%.100s\", which the file lacks",
					 src->name, dict.tensor[i].name, dict.tensor[i].storage_key);
			goto done;
		}
		if (place_tensor(src, st_off[k], st_size[k], &dict.tensor[i], t, err) != 0)
			goto done;
		t->name = dict.tensor[i].name;
		dict.tensor[i].name = NULL;
		out->n_tensor++;
	}
	out->data_start = 0;
	out->data_len = src->size;
	rc = check_layout(src, out, err);
done:
	for (int k = 0; k < n_keys; k++)
		free(keys[k]);
	free(keys);
	free(st_off);
	free(st_size);
	free(by_key);
	free(key_ix);
	vf_torch_dict_free(&dict);
	if (rc != 0)
		vf_safetensors_free(out);
	return rc;
}

int
vf_torch_read(const VfTorchSource *src, VfSafetensors *out, VfError *err)
{
	unsigned char head[sizeof(legacy_magic)];
	VfZip		zip = {0};
	VfTorchDict dict = {0};
	char	   *prefix = NULL;
	unsigned char *pkl = NULL;
	const VfZipEntry *e;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	memset(head, 0, sizeof(head));
	if (vf_torch_source_read(src, 0, head, src->size < sizeof(head) ? (size_t) src->size : sizeof(head), err) != 0)
		return -1;
	if (!vf_torch_is_zip(head, sizeof(head)))
	{
		if (memcmp(head, legacy_magic, sizeof(head)) == 0)
			return read_legacy(src, out, err);
		vf_error(err, VF_ERR_CORRUPT, "\"%s\" is not a PyTorch checkpoint (no zip header, no legacy magic)",
				 src->name);
		return -1;
	}
	if (vf_zip_open(src, &zip, err) != 0 || find_archive(src, &zip, &prefix, err) != 0)
		goto done;
	if ((e = member(&zip, prefix, "byteorder", "")) != NULL)
	{
		char		bo[8] = {0};

		if (e->size >= sizeof(bo) || vf_torch_source_read(src, e->data_off, bo, (size_t) e->size, err) != 0 ||
			strcmp(bo, "little") != 0)
		{
			if (err->code != VF_ERR_IO)
				vf_error(err, VF_ERR_UNSUPPORTED, "\"%s\" stores its tensors big-endian or in an unknown byte order",
						 src->name);
			goto done;
		}
	}
	e = member(&zip, prefix, "data.pkl", "");
	if (e->size > VF_TORCH_MAX_PICKLE)
	{
		vf_error(err, VF_ERR_LIMIT, "\"%s\": data.pkl of %llu bytes exceeds the limit of %llu",
				 src->name, (unsigned long long) e->size, (unsigned long long) VF_TORCH_MAX_PICKLE);
		goto done;
	}
	pkl = malloc(e->size ? (size_t) e->size : 1);
	if (pkl == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
		goto done;
	}
	if (vf_torch_source_read(src, e->data_off, pkl, (size_t) e->size, err) != 0)
		goto done;
	if (vf_torch_unpickle(pkl, (size_t) e->size, &dict, err) != 0)
	{
		char		m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		vf_error(err, err->code, "\"%s\": %s", src->name, m);
		goto done;
	}
	out->data_start = 0;
	out->data_len = src->size;
	out->tensor = calloc(dict.n_tensor ? (size_t) dict.n_tensor : 1, sizeof(VfStTensor));
	if (out->tensor == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", src->name);
		goto done;
	}
	for (int i = 0; i < dict.n_tensor; i++)
	{
		VfStTensor *t = &out->tensor[i];
		const VfZipEntry *se = member(&zip, prefix, "data/", dict.tensor[i].storage_key);

		if (se == NULL)
		{
			vf_error(err, VF_ERR_CORRUPT, "\"%s\": tensor \"%s\" names storage \"%.100s\", which the archive lacks",
					 src->name, dict.tensor[i].name, dict.tensor[i].storage_key);
			goto done;
		}
		if (place_tensor(src, se->data_off, se->size, &dict.tensor[i], t, err) != 0)
			goto done;
		/* the name moves over */
		t->name = dict.tensor[i].name;
		dict.tensor[i].name = NULL;
		out->n_tensor++;
	}
	rc = check_layout(src, out, err);
done:
	free(pkl);
	free(prefix);
	vf_torch_dict_free(&dict);
	vf_zip_free(&zip);
	if (rc != 0)
		vf_safetensors_free(out);
	return rc;
}

int
vf_torch_parse_buffer(const unsigned char *buf, size_t len, VfSafetensors *out, VfError *err)
{
	VfTorchSource src = {.fd = -1, .buf = buf, .size = len, .name = "buffer"};

	return vf_torch_read(&src, out, err);
}

int
vf_torch_read_file(const char *path, VfSafetensors *out, VfError *err)
{
	VfTorchSource src = {.fd = -1, .name = path};
	struct stat sb;
	int			rc;

	memset(out, 0, sizeof(*out));
	src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not open PyTorch checkpoint \"%s\": %s", path, strerror(errno));
	if (fstat(src.fd, &sb) != 0 || !S_ISREG(sb.st_mode))
	{
		close(src.fd);
		return vf_error(err, VF_ERR_INVALID, "\"%s\" is not a regular file", path);
	}
	src.size = (uint64_t) sb.st_size;
	rc = vf_torch_read(&src, out, err);
	close(src.fd);
	return rc;
}
