/*
 * checkpoint_image.c: one contiguous, position-independent image of a checkpoint (plain C).
 *
 * The image is built once (in the backend that runs load_model), copied into a DSM segment
 * and then read by every backend at whatever address it maps the segment. So it holds
 * offsets only, never pointers, and vf_checkpoint_open re-validates every offset: the image
 * crosses a process boundary and a corrupt one must fail cleanly, not fault.
 *
 * Layout: header | tensor table (sorted by name) | names | texts | data (64-byte aligned F32).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "varformer/checkpoint.h"
#include "varformer/safetensors.h"

#define CKPT_MAGIC "VFCKPT01"
#define CKPT_ALIGN 64
#define CKPT_CHUNK ((size_t) 4 << 20)

typedef struct CkptText
{
	uint64_t	off;			/* 0 when absent; text is NUL-terminated at off + len */
	uint64_t	len;
} CkptText;

typedef struct CkptHeader
{
	char		magic[8];
	uint32_t	n_tensor;
	uint32_t	n_skipped;		/* non-float tensors left out */
	uint64_t	size;
	uint64_t	table_off;
	CkptText	config;
	CkptText	tokenizer;
	CkptText	vocab;
} CkptHeader;

typedef struct CkptEntry
{
	uint64_t	name_off;
	uint32_t	name_len;
	int32_t		ndim;
	int64_t		shape[VF_MAX_DIMS];
	int64_t		numel;
	uint64_t	data_off;
} CkptEntry;

static uint64_t
align_up(uint64_t x)
{
	return (x + CKPT_ALIGN - 1) & ~(uint64_t) (CKPT_ALIGN - 1);
}

static bool
is_float_dtype(VfDtype dt)
{
	return dt == VF_DT_F32 || dt == VF_DT_F16 || dt == VF_DT_BF16 || dt == VF_DT_F64;
}

/* Reads a whole small text file; *buf is NULL when the file does not exist. */
static int
read_text(const char *path, size_t cap, char **buf, size_t *len, VfError *err)
{
	int			fd;
	struct stat sb;
	size_t		got = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return 0;
		return vf_error(err, VF_ERR_IO, "could not open \"%s\": %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
	{
		close(fd);
		return vf_error(err, VF_ERR_INVALID, "\"%s\" is not a readable regular file", path);
	}
	if ((uint64_t) sb.st_size > cap)
	{
		close(fd);
		return vf_error(err, VF_ERR_LIMIT, "\"%s\" is %lld bytes, more than the limit of %zu",
						path, (long long) sb.st_size, cap);
	}
	*buf = malloc((size_t) sb.st_size + 1);
	if (*buf == NULL)
	{
		close(fd);
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading \"%s\"", path);
	}
	while (got < (size_t) sb.st_size)
	{
		ssize_t		r = read(fd, *buf + got, (size_t) sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
		{
			free(*buf);
			*buf = NULL;
			close(fd);
			return vf_error(err, VF_ERR_IO, "could not read \"%s\"", path);
		}
		got += (size_t) r;
	}
	close(fd);
	if (memchr(*buf, '\0', got) != NULL)
	{
		free(*buf);
		*buf = NULL;
		return vf_error(err, VF_ERR_CORRUPT, "\"%s\" contains a NUL byte; expected text", path);
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

static int
pread_full(int fd, void *dst, size_t n, uint64_t off, const char *path, VfError *err)
{
	size_t		got = 0;

	while (got < n)
	{
		ssize_t		r = pread(fd, (char *) dst + got, n - got, (off_t) (off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vf_error(err, VF_ERR_IO, "could not read tensor data from \"%s\"%s%s", path,
							r < 0 ? ": " : " (file shrank while loading)", r < 0 ? strerror(errno) : "");
		got += (size_t) r;
	}
	return 0;
}

static int
cmp_tensor_name(const void *a, const void *b)
{
	return strcmp((*(const VfStTensor *const *) a)->name, (*(const VfStTensor *const *) b)->name);
}

static void
put_text(char *img, uint64_t *pos, CkptText *t, const char *s, size_t len)
{
	if (s == NULL)
		return;
	t->off = *pos;
	t->len = len;
	memcpy(img + *pos, s, len);
	img[*pos + len] = '\0';
	*pos += len + 1;
}

int
vf_checkpoint_image_build(const char *path, void **image, size_t *size, size_t max_bytes,
						  VfError *err)
{
	struct stat sb;
	char	   *st_path = NULL;
	char	   *config = NULL,
			   *tokenizer = NULL,
			   *vocab = NULL;
	size_t		config_len = 0,
				tokenizer_len = 0,
				vocab_len = 0;
	VfSafetensors st = {0};
	VfStTensor **keep = NULL;
	int			n_keep = 0;
	uint64_t	pos,
				total;
	char	   *img = NULL;
	float	   *chunk = NULL;
	int			fd = -1;
	int			rc = -1;

	*image = NULL;
	*size = 0;
	if (stat(path, &sb) != 0)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not stat \"%s\": %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
	{
		size_t		n = strlen(path) + 64;
		char	   *p = malloc(n);

		if (p == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory");
		snprintf(p, n, "%s/model.safetensors", path);
		if (access(p, F_OK) != 0)
		{
			snprintf(p, n, "%s/model.safetensors.index.json", path);
			vf_error(err, VF_ERR_NOFILE, "directory \"%s\" has no model.safetensors", path);
			if (access(p, F_OK) == 0)
				vf_error_hint(err, "Sharded checkpoints are not supported; merge the shards into one "
							  "model.safetensors first.");
			else
				vf_error_hint(err, "A Hugging Face style directory holds config.json, model.safetensors "
							  "and vocab.txt or tokenizer.json.");
			free(p);
			return -1;
		}
		st_path = p;
		p = malloc(n);
		if (p == NULL)
			goto oom;
		snprintf(p, n, "%s/config.json", path);
		rc = read_text(p, VF_CKPT_MAX_CONFIG, &config, &config_len, err);
		if (rc == 0)
		{
			snprintf(p, n, "%s/tokenizer.json", path);
			rc = read_text(p, VF_CKPT_MAX_TOKENIZER, &tokenizer, &tokenizer_len, err);
		}
		if (rc == 0)
		{
			snprintf(p, n, "%s/vocab.txt", path);
			rc = read_text(p, VF_CKPT_MAX_VOCAB, &vocab, &vocab_len, err);
		}
		free(p);
		if (rc != 0)
			goto done;
		rc = -1;
	}
	else
	{
		st_path = strdup(path);
		if (st_path == NULL)
			goto oom;
	}

	if (vf_safetensors_read_file(st_path, &st, err) != 0)
		goto done;

	keep = malloc(sizeof(*keep) * (size_t) (st.n_tensor ? st.n_tensor : 1));
	if (keep == NULL)
		goto oom;
	for (int i = 0; i < st.n_tensor; i++)
	{
		VfStTensor *t = &st.tensor[i];

		if (t->dtype == VF_DT_F8_E4M3 || t->dtype == VF_DT_F8_E5M2)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "tensor \"%s\" has dtype %s; only F32, F16, BF16 and F64 "
					 "weights are supported", t->name, vf_dtype_name(t->dtype));
			goto done;
		}
		if (!is_float_dtype(t->dtype))
			continue;
		if (t->ndim > VF_MAX_DIMS)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "tensor \"%s\" has %d dimensions; at most %d are supported",
					 t->name, t->ndim, VF_MAX_DIMS);
			goto done;
		}
		keep[n_keep++] = t;
	}
	qsort(keep, (size_t) n_keep, sizeof(*keep), cmp_tensor_name);

	/* Size everything first: the cap is checked before the big allocation. */
	pos = sizeof(CkptHeader) + sizeof(CkptEntry) * (uint64_t) n_keep;
	for (int i = 0; i < n_keep; i++)
		pos += strlen(keep[i]->name) + 1;
	pos += (config ? config_len + 1 : 0) + (tokenizer ? tokenizer_len + 1 : 0) + (vocab ? vocab_len + 1 : 0);
	total = align_up(pos);
	for (int i = 0; i < n_keep; i++)
	{
		/* numel <= file bytes (checked by the parser), so this cannot overflow */
		total = align_up(total + (uint64_t) keep[i]->numel * sizeof(float));
	}
	if (total > max_bytes)
	{
		vf_error(err, VF_ERR_LIMIT, "checkpoint \"%s\" needs %llu bytes of shared memory, more than the "
				 "%llu bytes available", path, (unsigned long long) total, (unsigned long long) max_bytes);
		vf_error_hint(err, "Raise varformer.max_model_memory or unload other models.");
		goto done;
	}

	img = aligned_alloc(CKPT_ALIGN, (size_t) total);
	if (img == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory building a %llu-byte model image",
				 (unsigned long long) total);
		goto done;
	}
	{
		CkptHeader *h = (CkptHeader *) img;
		CkptEntry  *tab = (CkptEntry *) (img + sizeof(CkptHeader));
		uint64_t	dpos;

		memset(img, 0, (size_t) align_up(pos));
		memcpy(h->magic, CKPT_MAGIC, 8);
		h->n_tensor = (uint32_t) n_keep;
		h->n_skipped = (uint32_t) (st.n_tensor - n_keep);
		h->size = total;
		h->table_off = sizeof(CkptHeader);
		pos = sizeof(CkptHeader) + sizeof(CkptEntry) * (uint64_t) n_keep;
		for (int i = 0; i < n_keep; i++)
		{
			size_t		l = strlen(keep[i]->name);

			tab[i].name_off = pos;
			tab[i].name_len = (uint32_t) l;
			memcpy(img + pos, keep[i]->name, l + 1);
			pos += l + 1;
			tab[i].ndim = keep[i]->ndim;
			for (int d = 0; d < keep[i]->ndim; d++)
				tab[i].shape[d] = keep[i]->shape[d];
			tab[i].numel = keep[i]->numel;
		}
		put_text(img, &pos, &h->config, config, config_len);
		put_text(img, &pos, &h->tokenizer, tokenizer, tokenizer_len);
		put_text(img, &pos, &h->vocab, vocab, vocab_len);

		fd = open(st_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
		{
			vf_error(err, VF_ERR_IO, "could not open \"%s\": %s", st_path, strerror(errno));
			goto done;
		}
		chunk = malloc(CKPT_CHUNK);
		if (chunk == NULL)
			goto oom;
		dpos = align_up(pos);
		for (int i = 0; i < n_keep; i++)
		{
			VfStTensor *t = keep[i];
			size_t		es = vf_dtype_size(t->dtype);
			float	   *dst = (float *) (img + dpos);
			uint64_t	src = st.data_start + t->begin;
			uint64_t	left = (uint64_t) t->numel;

			tab[i].data_off = dpos;
			if (t->dtype == VF_DT_F32)
			{
				if (pread_full(fd, dst, (size_t) left * 4, src, st_path, err) != 0)
					goto done;
			}
			else
				while (left > 0)
				{
					size_t		n = CKPT_CHUNK / es;

					if (n > left)
						n = (size_t) left;
					if (pread_full(fd, chunk, n * es, src, st_path, err) != 0)
						goto done;
					vf_dtype_to_f32(t->dtype, chunk, n, dst);
					dst += n;
					src += n * es;
					left -= n;
				}
			/* zero the alignment padding so the image bytes are deterministic */
			{
				uint64_t	end = dpos + (uint64_t) t->numel * 4;

				memset(img + end, 0, (size_t) (align_up(end) - end));
				dpos = align_up(end);
			}
		}
	}
	*image = img;
	*size = (size_t) total;
	img = NULL;
	rc = 0;
	goto done;

oom:
	vf_error(err, VF_ERR_NOMEM, "out of memory loading \"%s\"", path);
done:
	if (fd >= 0)
		close(fd);
	free(chunk);
	free(img);
	free(keep);
	vf_safetensors_free(&st);
	free(st_path);
	free(config);
	free(tokenizer);
	free(vocab);
	return rc;
}

static int
text_ok(const char *img, size_t size, const CkptText *t)
{
	if (t->off == 0 && t->len == 0)
		return 1;
	return t->off >= sizeof(CkptHeader) && t->off < size && t->len < size - t->off &&
		img[t->off + t->len] == '\0';
}

int
vf_checkpoint_open(const void *image, size_t size, VfCheckpoint *out, VfError *err)
{
	const char *img = image;
	const CkptHeader *h = image;
	const CkptEntry *tab;

	memset(out, 0, sizeof(*out));
	if (size < sizeof(CkptHeader) || memcmp(h->magic, CKPT_MAGIC, 8) != 0)
		return vf_error(err, VF_ERR_CORRUPT, "not a varformer checkpoint image");
	if (((uintptr_t) image % CKPT_ALIGN) != 0)
		return vf_error(err, VF_ERR_INVALID, "checkpoint image is not %d-byte aligned", CKPT_ALIGN);
	if (h->size != size || h->table_off != sizeof(CkptHeader) ||
		h->n_tensor > (size - sizeof(CkptHeader)) / sizeof(CkptEntry))
		return vf_error(err, VF_ERR_CORRUPT, "checkpoint image header is inconsistent");
	if (!text_ok(img, size, &h->config) || !text_ok(img, size, &h->tokenizer) ||
		!text_ok(img, size, &h->vocab))
		return vf_error(err, VF_ERR_CORRUPT, "checkpoint image text section is out of bounds");

	tab = (const CkptEntry *) (img + h->table_off);
	out->tensor = calloc(h->n_tensor ? h->n_tensor : 1, sizeof(VfTensorView));
	if (out->tensor == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory opening checkpoint image");
	for (uint32_t i = 0; i < h->n_tensor; i++)
	{
		const CkptEntry *e = &tab[i];
		VfTensorView *v = &out->tensor[i];
		int64_t		numel = 1;

		if (e->name_off >= size || e->name_len >= size - e->name_off ||
			img[e->name_off + e->name_len] != '\0' || e->ndim < 0 || e->ndim > VF_MAX_DIMS)
			goto corrupt;
		for (int d = 0; d < e->ndim; d++)
		{
			if (e->shape[d] < 0 || (e->shape[d] > 0 && numel > INT64_MAX / e->shape[d]))
				goto corrupt;
			numel *= e->shape[d];
		}
		if (numel != e->numel || e->data_off % CKPT_ALIGN != 0 || e->data_off > size ||
			(uint64_t) numel > (size - e->data_off) / sizeof(float))
			goto corrupt;
		v->name = img + e->name_off;
		if (i > 0 && strcmp(out->tensor[i - 1].name, v->name) >= 0)
			goto corrupt;		/* lookup is a binary search */
		v->ndim = e->ndim;
		for (int d = 0; d < e->ndim; d++)
			v->shape[d] = e->shape[d];
		v->numel = numel;
		v->data = (const float *) (img + e->data_off);
	}
	out->n_tensor = (int) h->n_tensor;
	if (h->config.len || h->config.off)
	{
		out->config_json = img + h->config.off;
		out->config_len = h->config.len;
	}
	if (h->tokenizer.len || h->tokenizer.off)
	{
		out->tokenizer_json = img + h->tokenizer.off;
		out->tokenizer_len = h->tokenizer.len;
	}
	if (h->vocab.len || h->vocab.off)
	{
		out->vocab_txt = img + h->vocab.off;
		out->vocab_len = h->vocab.len;
	}
	return 0;

corrupt:
	free(out->tensor);
	memset(out, 0, sizeof(*out));
	return vf_error(err, VF_ERR_CORRUPT, "checkpoint image tensor table is corrupt");
}

void
vf_checkpoint_close(VfCheckpoint *c)
{
	free(c->tensor);
	memset(c, 0, sizeof(*c));
}

const VfTensorView *
vf_checkpoint_tensor(const VfCheckpoint *c, const char *name)
{
	int			lo = 0,
				hi = c->n_tensor - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			r = strcmp(c->tensor[mid].name, name);

		if (r == 0)
			return &c->tensor[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int
vf_checkpoint_require(const VfCheckpoint *c, const char *const *names, int n, const char *what,
					  VfError *err)
{
	for (int i = 0; i < n; i++)
		if (vf_checkpoint_tensor(c, names[i]) == NULL)
		{
			vf_error(err, VF_ERR_DATA, "%s checkpoint is missing tensor \"%s\"", what, names[i]);
			if (c->n_tensor > 0)
				vf_error_detail(err, "The checkpoint has %d tensors, from \"%s\" to \"%s\".",
								c->n_tensor, c->tensor[0].name, c->tensor[c->n_tensor - 1].name);
			return -1;
		}
	return 0;
}

int64_t
vf_checkpoint_parameters(const VfCheckpoint *c)
{
	int64_t		n = 0;

	for (int i = 0; i < c->n_tensor; i++)
		n += c->tensor[i].numel;
	return n;
}
