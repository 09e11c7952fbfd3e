/*
 * checkpoint_image.c: one contiguous, position-independent image of a checkpoint (plain C).
 *
 * The image is built once (in the backend that runs load_model), straight into a DSM segment
 * (vf_checkpoint_plan, then vf_checkpoint_plan_fill reading the file once), and then read by
 * every backend at whatever address it maps the segment. So it holds
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/checkpoint/checkpoint_format.h"
#include "varformer/checkpoint/safetensors.h"

#define CKPT_MAGIC "VFCKPT01"
#define CKPT_ALIGN 64

/* Bytes per read while filling an image; unit tests set a tiny one to split every element. */
size_t		vf_checkpoint_read_chunk = (size_t) 8 << 20;

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
cmp_tensor_name(const void *a, const void *b)
{
	return strcmp((*(const VfStTensor *const *) a)->name, (*(const VfStTensor *const *) b)->name);
}

typedef struct CkptSpan
{
	const VfStTensor *t;
	uint64_t	data_off;		/* where its F32 data goes in the image */
} CkptSpan;

static int
cmp_span_begin(const void *a, const void *b)
{
	const VfStTensor *x = ((const CkptSpan *) a)->t;
	const VfStTensor *y = ((const CkptSpan *) b)->t;

	return x->begin < y->begin ? -1 : (x->begin > y->begin ? 1 : 0);
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

struct VfCheckpointPlan
{
	char	   *path;			/* as given, for messages */
	char	   *st_path;		/* the safetensors file */
	uint64_t	file_size;		/* of st_path when its header was read */
	char	   *text[3];		/* config.json, tokenizer.json, vocab.txt (NULL: absent) */
	size_t		text_len[3];
	VfSafetensors st;
	VfStTensor **keep;			/* float tensors, by name: the image's table order */
	uint64_t   *keep_off;		/* where each one's F32 data goes in the image */
	CkptSpan   *by_begin;		/* the non-empty ones among keep, in file order */
	int			n_keep;
	int			n_by_begin;
	uint64_t	text_end;		/* end of header + table + names + texts */
	uint64_t	size;
};

static const char *const text_file[3] = {"config.json", "tokenizer.json", "vocab.txt"};
static const size_t text_cap[3] = {VF_CKPT_MAX_CONFIG, VF_CKPT_MAX_TOKENIZER, VF_CKPT_MAX_VOCAB};

void
vf_checkpoint_plan_free(VfCheckpointPlan *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->st_path);
	for (int i = 0; i < 3; i++)
		free(p->text[i]);
	vf_safetensors_free(&p->st);
	free(p->keep);
	free(p->keep_off);
	free(p->by_begin);
	free(p);
}

const char *
vf_checkpoint_plan_text(const VfCheckpointPlan *p, int i, const char **file, size_t *len)
{
	*file = text_file[i];
	*len = p->text_len[i];
	return p->text[i];
}

const char *
vf_checkpoint_plan_file(const VfCheckpointPlan *p, uint64_t *size)
{
	*size = p->file_size;
	return p->st_path;
}

typedef struct TieKey
{
	const VfStTensor *t;
	int			i;				/* index in keep */
} TieKey;

/* Ordered by their bytes in the file, then by table order. */
static int
cmp_tie(const void *a, const void *b)
{
	const TieKey *x = a,
			   *y = b;

	if (x->t->begin != y->t->begin)
		return x->t->begin < y->t->begin ? -1 : 1;
	if (x->t->end != y->t->end)
		return x->t->end < y->t->end ? -1 : 1;
	if (x->t->dtype != y->t->dtype)
		return x->t->dtype < y->t->dtype ? -1 : 1;
	return x->i - y->i;
}

/*
 * Tensors that are the same bytes of the file (tied weights in a PyTorch checkpoint; the
 * safetensors parser refuses any overlap) share one copy in the image: each table entry
 * points at it and the fill reads the bytes once. tie[i] is the first keep index (in table
 * order) of tensor i's group, i itself when it has no twin.
 */
static int
find_ties(VfCheckpointPlan *p, int **tie)
{
	TieKey	   *ix;
	int			n = 0;

	*tie = malloc(sizeof(int) * (size_t) (p->n_keep ? p->n_keep : 1));
	ix = malloc(sizeof(TieKey) * (size_t) (p->n_keep ? p->n_keep : 1));
	if (*tie == NULL || ix == NULL)
	{
		free(ix);
		free(*tie);
		*tie = NULL;
		return -1;
	}
	for (int i = 0; i < p->n_keep; i++)
	{
		(*tie)[i] = i;
		if (p->keep[i]->numel > 0)
		{
			ix[n].t = p->keep[i];
			ix[n++].i = i;
		}
	}
	qsort(ix, (size_t) n, sizeof(TieKey), cmp_tie);
	for (int k = 1; k < n; k++)
		if (ix[k - 1].t->begin == ix[k].t->begin && ix[k - 1].t->end == ix[k].t->end &&
			ix[k - 1].t->dtype == ix[k].t->dtype)
			(*tie)[ix[k].i] = (*tie)[ix[k - 1].i];
	free(ix);
	return 0;
}

int
vf_checkpoint_plan(const char *path, size_t max_bytes, VfCheckpointPlan **plan, size_t *size,
				   VfError *err)
{
	struct stat sb;
	VfCheckpointPlan *p;
	uint64_t	pos,
				total;
	int		   *tie;

	*plan = NULL;
	*size = 0;
	if (stat(path, &sb) != 0)
		return vf_error(err, errno == ENOENT ? VF_ERR_NOFILE : VF_ERR_IO,
						"could not stat \"%s\": %s", path, strerror(errno));
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");
	p->path = strdup(path);
	if (p->path == NULL)
		goto oom;
	if (S_ISDIR(sb.st_mode))
	{
		size_t		n = strlen(path) + 64;
		char	   *f = malloc(n);

		if (f == NULL)
			goto oom;
		snprintf(f, n, "%s/%s", path, vf_checkpoint_weights_file(path));
		if (access(f, F_OK) != 0)
		{
			bool		sharded;

			snprintf(f, n, "%s/model.safetensors.index.json", path);
			sharded = access(f, F_OK) == 0;
			snprintf(f, n, "%s/pytorch_model.bin.index.json", path);
			sharded = sharded || access(f, F_OK) == 0;
			/* the message predates pytorch_model.bin, and regression outputs quote it */
			vf_error(err, VF_ERR_NOFILE, "directory \"%s\" has no model.safetensors", path);
			if (sharded)
				vf_error_hint(err, "Sharded checkpoints are not supported; merge the shards into one "
							  "model.safetensors first.");
			else
				vf_error_hint(err, "A Hugging Face style directory holds config.json, model.safetensors "
							  "and vocab.txt or tokenizer.json.");
			free(f);
			goto fail;
		}
		p->st_path = f;
		f = malloc(n);
		if (f == NULL)
			goto oom;
		for (int i = 0; i < 3; i++)
		{
			snprintf(f, n, "%s/%s", path, text_file[i]);
			if (read_text(f, text_cap[i], &p->text[i], &p->text_len[i], err) != 0)
			{
				free(f);
				goto fail;
			}
		}
		free(f);
	}
	else
	{
		p->st_path = strdup(path);
		if (p->st_path == NULL)
			goto oom;
	}

	if (vf_checkpoint_read_tensors(p->st_path, &p->st, err) != 0)
		goto fail;
	p->file_size = p->st.data_start + p->st.data_len;

	p->keep = malloc(sizeof(*p->keep) * (size_t) (p->st.n_tensor ? p->st.n_tensor : 1));
	p->keep_off = malloc(sizeof(*p->keep_off) * (size_t) (p->st.n_tensor ? p->st.n_tensor : 1));
	p->by_begin = malloc(sizeof(*p->by_begin) * (size_t) (p->st.n_tensor ? p->st.n_tensor : 1));
	if (p->keep == NULL || p->keep_off == NULL || p->by_begin == NULL)
		goto oom;
	for (int i = 0; i < p->st.n_tensor; i++)
	{
		VfStTensor *t = &p->st.tensor[i];

		if (t->dtype == VF_DT_F8_E4M3 || t->dtype == VF_DT_F8_E5M2)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "tensor \"%s\" has dtype %s; only F32, F16, BF16 and F64 "
					 "weights are supported", t->name, vf_dtype_name(t->dtype));
			goto fail;
		}
		if (!is_float_dtype(t->dtype))
			continue;
		if (t->ndim > VF_MAX_DIMS)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "tensor \"%s\" has %d dimensions; at most %d are supported",
					 t->name, t->ndim, VF_MAX_DIMS);
			goto fail;
		}
		p->keep[p->n_keep++] = t;
	}
	qsort(p->keep, (size_t) p->n_keep, sizeof(*p->keep), cmp_tensor_name);

	/* Size everything first: the cap is checked before the big allocation. */
	pos = sizeof(CkptHeader) + sizeof(CkptEntry) * (uint64_t) p->n_keep;
	for (int i = 0; i < p->n_keep; i++)
		pos += strlen(p->keep[i]->name) + 1;
	for (int i = 0; i < 3; i++)
		pos += p->text[i] ? p->text_len[i] + 1 : 0;
	p->text_end = pos;
	total = align_up(pos);
	if (find_ties(p, &tie) != 0)
		goto oom;
	for (int i = 0; i < p->n_keep; i++)
	{
		if (tie[i] != i)
		{
			p->keep_off[i] = p->keep_off[tie[i]];
			continue;
		}
		p->keep_off[i] = total;
		if (p->keep[i]->numel > 0)
		{
			p->by_begin[p->n_by_begin].t = p->keep[i];
			p->by_begin[p->n_by_begin++].data_off = total;
		}
		/* numel <= file bytes (checked by the parser), so this cannot overflow */
		total = align_up(total + (uint64_t) p->keep[i]->numel * sizeof(float));
	}
	free(tie);
	if (total > max_bytes)
	{
		vf_error(err, VF_ERR_LIMIT, "checkpoint \"%s\" needs %llu bytes of shared memory, more than the "
				 "%llu bytes available", path, (unsigned long long) total, (unsigned long long) max_bytes);
		vf_error_hint(err, "Raise varformer.max_model_memory or unload other models.");
		goto fail;
	}
	p->size = total;

	/* the parser rejected overlaps, so in file order each byte belongs to at most one tensor */
	qsort(p->by_begin, (size_t) p->n_by_begin, sizeof(*p->by_begin), cmp_span_begin);
	*plan = p;
	*size = (size_t) total;
	return 0;

oom:
	vf_error(err, VF_ERR_NOMEM, "out of memory loading \"%s\"", path);
fail:
	vf_checkpoint_plan_free(p);
	return -1;
}

/*
 * Maps the image pages [p, p + n) writable in one call before a chunk is copied into them:
 * a fresh shared-memory page costs far less this way than as a page fault inside read()'s
 * copy. Done per chunk (not for the whole image up front) so that a caller hashing the
 * chunks on another core can start on the first one at once. Advisory: where the call is
 * not supported the copy faults the pages in as usual.
 */
static void
prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	long		page = sysconf(_SC_PAGESIZE);
	uintptr_t	a = (uintptr_t) p & ~(uintptr_t) (page - 1);

	if (n > 0)
		(void) madvise((void *) a, (uintptr_t) p + n - a, MADV_POPULATE_WRITE);
#else
	(void) p;
	(void) n;
#endif
}

/*
 * Converts n bytes that start at byte p of a tensor's data into out; an element split across
 * two reads waits in carry (one tensor at a time can be split: they do not overlap).
 */
static void
convert_span(VfDtype dt, float *out, uint64_t p, const unsigned char *src, size_t n,
			 unsigned char *carry)
{
	size_t		es = vf_dtype_size(dt);
	size_t		r = (size_t) (p % es);
	size_t		whole;

	if (dt == VF_DT_F32)
	{
		/* bytes land where they belong whatever the split */
		memcpy((char *) out + p, src, n);
		return;
	}
	if (r != 0)
	{
		size_t		take = es - r < n ? es - r : n;

		memcpy(carry + r, src, take);
		src += take;
		n -= take;
		p += take;
		if (p % es != 0)
			return;
		vf_dtype_to_f32(dt, carry, 1, out + p / es - 1);
	}
	whole = n / es;
	vf_dtype_to_f32(dt, src, whole, out + p / es);
	if (n > whole * es)
		memcpy(carry, src + whole * es, n - whole * es);
}

uint64_t
vf_checkpoint_plan_split(const VfCheckpointPlan *p, uint64_t at)
{
	if (at >= p->file_size)
		return p->file_size;
	for (int k = 0; k < p->n_by_begin; k++)
	{
		const VfStTensor *t = p->by_begin[k].t;
		uint64_t	ts = p->st.data_start + t->begin;

		/* F32 bytes are copied wherever a read splits them; others convert whole elements */
		if (at > ts && at < p->st.data_start + t->end && t->dtype != VF_DT_F32)
			return at - (at - ts) % vf_dtype_size(t->dtype);
	}
	return at;
}

int
vf_checkpoint_plan_fill(const VfCheckpointPlan *pl, void *image, VfChunkFn on_chunk, void *arg,
						VfError *err)
{
	return vf_checkpoint_plan_fill_range(pl, image, 0, pl->file_size, on_chunk, arg, err);
}

/* The image's header, tensor table (names, shapes, data offsets) and text files. */
static void
write_table(const VfCheckpointPlan *pl, char *img)
{
	CkptHeader *h = (CkptHeader *) img;
	CkptEntry  *tab = (CkptEntry *) (img + sizeof(CkptHeader));
	uint64_t	pos,
				dpos;

	memset(img, 0, (size_t) align_up(pl->text_end));
	memcpy(h->magic, CKPT_MAGIC, 8);
	h->n_tensor = (uint32_t) pl->n_keep;
	h->n_skipped = (uint32_t) (pl->st.n_tensor - pl->n_keep);
	h->size = pl->size;
	h->table_off = sizeof(CkptHeader);
	pos = sizeof(CkptHeader) + sizeof(CkptEntry) * (uint64_t) pl->n_keep;
	dpos = align_up(pl->text_end);
	for (int i = 0; i < pl->n_keep; i++)
	{
		VfStTensor *t = pl->keep[i];
		size_t		l = strlen(t->name);
		uint64_t	end;

		dpos = pl->keep_off[i];
		end = dpos + (uint64_t) t->numel * 4;

		tab[i].name_off = pos;
		tab[i].name_len = (uint32_t) l;
		memcpy(img + pos, t->name, l + 1);
		pos += l + 1;
		tab[i].ndim = t->ndim;
		for (int d = 0; d < t->ndim; d++)
			tab[i].shape[d] = t->shape[d];
		tab[i].numel = t->numel;
		tab[i].data_off = dpos;
		/* the alignment padding is zeroed so the image bytes are deterministic */
		memset(img + end, 0, (size_t) (align_up(end) - end));
	}
	put_text(img, &pos, &h->config, pl->text[0], pl->text_len[0]);
	put_text(img, &pos, &h->tokenizer, pl->text[1], pl->text_len[1]);
	put_text(img, &pos, &h->vocab, pl->text[2], pl->text_len[2]);
}

/* The safetensors file, open at byte from; -1 with err. */
static int
open_at(const VfCheckpointPlan *pl, uint64_t from, VfError *err)
{
	int			fd = open(pl->st_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return vf_error(err, VF_ERR_IO, "could not open \"%s\": %s", pl->st_path, strerror(errno));
	if (from > 0 && lseek(fd, (off_t) from, SEEK_SET) != (off_t) from)
	{
		vf_error(err, VF_ERR_IO, "could not seek in \"%s\": %s", pl->st_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Where the next read at file offset off goes, and how much of it (*want, at most one
 * chunk): F32 bytes need no conversion, so they are read straight into their place in the
 * image (and hashed there, still in cache); a read before such a tensor stops at its start;
 * anything else goes to buf.
 */
static unsigned char *
read_target(const VfCheckpointPlan *pl, char *img, int k, uint64_t off, unsigned char *buf,
			size_t *want)
{
	uint64_t	ts,
				te;

	if (k >= pl->n_by_begin || pl->by_begin[k].t->dtype != VF_DT_F32)
		return buf;
	ts = pl->st.data_start + pl->by_begin[k].t->begin;
	te = pl->st.data_start + pl->by_begin[k].t->end;
	if (off < ts)
	{
		if (ts - off < *want)
			*want = (size_t) (ts - off);
		return buf;
	}
	if (te - off < *want)
		*want = (size_t) (te - off);
	prefault((unsigned char *) img + pl->by_begin[k].data_off + (off - ts), *want);
	return (unsigned char *) img + pl->by_begin[k].data_off + (off - ts);
}

/* Converts the tensor bytes in buf (file bytes [off, ce)) into the image; advances *k. */
static void
convert_chunk(const VfCheckpointPlan *pl, char *img, int *k, uint64_t off, uint64_t ce,
			  const unsigned char *buf, unsigned char *carry)
{
	while (*k < pl->n_by_begin)
	{
		const VfStTensor *t = pl->by_begin[*k].t;
		uint64_t	ts = pl->st.data_start + t->begin;
		uint64_t	te = pl->st.data_start + t->end;
		uint64_t	a = ts > off ? ts : off;
		uint64_t	b = te < ce ? te : ce;

		if (ts >= ce)
			break;
		if (a < b)
		{
			prefault(img + pl->by_begin[*k].data_off + (a - ts) / vf_dtype_size(t->dtype) * sizeof(float),
					 (size_t) (b - a) / vf_dtype_size(t->dtype) * sizeof(float) + sizeof(float));
			convert_span(t->dtype, (float *) (img + pl->by_begin[*k].data_off), a - ts,
						 buf + (a - off), (size_t) (b - a), carry);
		}
		if (te > ce)
			break;
		(*k)++;
	}
}

int
vf_checkpoint_plan_fill_range(const VfCheckpointPlan *pl, void *image, uint64_t from, uint64_t to,
							  VfChunkFn on_chunk, void *arg, VfError *err)
{
	char	   *img = image;
	uint64_t	off = from;
	unsigned char *bounce[2] = {NULL, NULL};
	int			next_bounce = 0;
	unsigned char carry[8];
	int			k = 0;
	int			fd;
	int			rc = -1;

	write_table(pl, img);
	if (from > to || to > pl->file_size || vf_checkpoint_plan_split(pl, from) != from ||
		vf_checkpoint_plan_split(pl, to) != to)
		return vf_error(err, VF_ERR_INVALID, "cannot fill bytes %llu to %llu of \"%s\" alone",
						(unsigned long long) from, (unsigned long long) to, pl->st_path);
	if ((fd = open_at(pl, from, err)) < 0)
		return -1;
	while (k < pl->n_by_begin && pl->st.data_start + pl->by_begin[k].t->end <= from)
		k++;
	bounce[0] = malloc(vf_checkpoint_read_chunk);
	bounce[1] = malloc(vf_checkpoint_read_chunk);
	if (bounce[0] == NULL || bounce[1] == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory loading \"%s\"", pl->path);
		goto done;
	}
	/*
	 * One sequential pass over the whole file: every byte goes to on_chunk (the caller hashes
	 * it) and each tensor's bytes straight to their place in the image. The caller may still
	 * be reading a chunk until its next call returns, so chunks that do not go straight into
	 * the image alternate between two bounce buffers: the one read into was last passed on
	 * at least two calls ago.
	 */
	for (;;)
	{
		unsigned char *buf = bounce[next_bounce];
		unsigned char *into;
		size_t		want = vf_checkpoint_read_chunk;
		ssize_t		r;
		uint64_t	ce;

		/* a range that ends before the file's end stops there; one that ends at the end reads to EOF */
		if (to < pl->file_size)
		{
			if (off == to)
				break;
			if (to - off < want)
				want = (size_t) (to - off);
		}
		into = read_target(pl, img, k, off, buf, &want);
		r = read(fd, into, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
		{
			vf_error(err, VF_ERR_IO, "could not read \"%s\": %s", pl->st_path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		ce = off + (uint64_t) r;
		if (ce > pl->file_size)
			break;
		if (on_chunk && on_chunk(arg, into, (size_t) r) != 0)
		{
			vf_error(err, VF_ERR_IO, "loading \"%s\" was stopped", pl->st_path);
			goto done;
		}
		if (into != buf)
		{
			if (ce == pl->st.data_start + pl->by_begin[k].t->end)
				k++;
		}
		else
		{
			next_bounce ^= 1;
			convert_chunk(pl, img, &k, off, ce, buf, carry);
		}
		off = ce;
	}
	if (off != to)
	{
		vf_error(err, VF_ERR_IO, "\"%s\" changed size while loading (%llu bytes, expected %llu)",
				 pl->st_path, (unsigned long long) off, (unsigned long long) pl->file_size);
		goto done;
	}
	rc = 0;
done:
	/* the caller is done with every chunk before the buffers go */
	if (on_chunk)
		(void) on_chunk(arg, NULL, 0);
	free(bounce[0]);
	free(bounce[1]);
	close(fd);
	return rc;
}

int
vf_checkpoint_image_build(const char *path, void **image, size_t *size, size_t max_bytes,
						  VfError *err)
{
	VfCheckpointPlan *plan;
	size_t		total;
	void	   *img;

	*image = NULL;
	*size = 0;
	if (vf_checkpoint_plan(path, max_bytes, &plan, &total, err) != 0)
		return -1;
	img = aligned_alloc(CKPT_ALIGN, total);
	if (img == NULL)
	{
		vf_checkpoint_plan_free(plan);
		return vf_error(err, VF_ERR_NOMEM, "out of memory building a %zu-byte model image", total);
	}
	if (vf_checkpoint_plan_fill(plan, img, NULL, NULL, err) != 0)
	{
		free(img);
		vf_checkpoint_plan_free(plan);
		return -1;
	}
	vf_checkpoint_plan_free(plan);
	*image = img;
	*size = total;
	return 0;
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
