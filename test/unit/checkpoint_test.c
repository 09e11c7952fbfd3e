/*
 * checkpoint_test.c: safetensors parsing, dtype conversion and the checkpoint image,
 * outside the server (run under ASan/UBSan). Every malformed file must fail with a
 * message naming the problem; corrupt images must fail to open, never crash.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/checkpoint/safetensors.h"

static int	failures = 0;
static char dir[256];

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

/* Writes a safetensors file: 8-byte LE header length, header, data. */
static void
write_st(const char *path, const char *header, const void *data, size_t dlen)
{
	FILE	   *f = fopen(path, "wb");
	uint64_t	n = strlen(header);
	unsigned char pre[8];

	for (int i = 0; i < 8; i++)
		pre[i] = (unsigned char) (n >> (8 * i));
	fwrite(pre, 1, 8, f);
	fwrite(header, 1, n, f);
	if (dlen)
		fwrite(data, 1, dlen, f);
	fclose(f);
}

static void
write_raw(const char *path, const void *bytes, size_t n)
{
	FILE	   *f = fopen(path, "wb");

	fwrite(bytes, 1, n, f);
	fclose(f);
}

static char *
tmp(const char *name)
{
	static char buf[4][512];
	static int	k = 0;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* Expects image building to fail with code and a message containing needle. */
static void
expect_fail(const char *path, VfErrCode code, const char *needle)
{
	VfError		err;
	void	   *img = NULL;
	size_t		size = 0;

	vf_error_clear(&err);
	if (vf_checkpoint_image_build(path, &img, &size, (size_t) 1 << 30, &err) == 0)
	{
		printf("FAIL %s loaded, expected \"%s\"\n", path, needle);
		failures++;
		free(img);
		return;
	}
	if (err.code != code || strstr(err.msg, needle) == NULL)
	{
		printf("FAIL %s: got code %d \"%s\", expected code %d with \"%s\"\n", path, err.code,
			   err.msg, code, needle);
		failures++;
	}
	else
		printf("ok   rejected: %s\n", err.msg);
}

static void
test_valid(void)
{
	/* a: F32 [2,3]; h: F16 [5]; b: BF16 [2]; d: F64 [1]; n: I64 scalar (dropped); e: F32 [0] */
	float		a[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
	uint16_t	h[5] = {0x3e00, 0xc000, 0x0001, 0x7c00, 0x8000};	/* 1.5 -2 2^-24 inf -0 */
	uint16_t	b[2] = {0x3fc0, 0xc2f7};	/* 1.5, -123.5 */
	double		d[1] = {0.1};
	int64_t		n[1] = {42};
	unsigned char data[24 + 10 + 4 + 8 + 8];
	char		header[1024];
	char		cfg[] = "{\"model_type\": \"esm\"}";
	void	   *img;
	size_t		size;
	VfError		err;
	VfCheckpoint c;
	const VfTensorView *v;

	memcpy(data, a, 24);
	memcpy(data + 24, h, 10);
	memcpy(data + 34, b, 4);
	memcpy(data + 38, d, 8);
	memcpy(data + 46, n, 8);
	snprintf(header, sizeof(header),
			 "{\"__metadata__\": {\"format\": \"pt\"},"
			 "\"n\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [46, 54]},"
			 "\"a\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]},"
			 "\"h\": {\"dtype\": \"F16\", \"shape\": [5], \"data_offsets\": [24, 34]},"
			 "\"b\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [34, 38]},"
			 "\"e\": {\"dtype\": \"F32\", \"shape\": [0, 4], \"data_offsets\": [38, 38]},"
			 "\"d\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [38, 46]}}");
	mkdir(tmp("hf"), 0700);
	write_st(tmp("hf/model.safetensors"), header, data, sizeof(data));
	write_raw(tmp("hf/config.json"), cfg, strlen(cfg));
	write_raw(tmp("hf/vocab.txt"), "<cls>\nA\n", 8);

	CHECK(vf_checkpoint_image_build(tmp("hf"), &img, &size, (size_t) 1 << 20, &err) == 0);
	CHECK(size % 64 == 0);
	CHECK(vf_checkpoint_open(img, size, &c, &err) == 0);
	CHECK(c.n_tensor == 5);		/* the I64 scalar is left out */
	CHECK(strcmp(c.tensor[0].name, "a") == 0 && strcmp(c.tensor[4].name, "h") == 0);
	CHECK(vf_checkpoint_parameters(&c) == 6 + 5 + 2 + 1 + 0);
	v = vf_checkpoint_tensor(&c, "a");
	CHECK(v && v->ndim == 2 && v->shape[0] == 2 && v->shape[1] == 3 && v->numel == 6);
	CHECK(v && memcmp(v->data, a, 24) == 0 && ((uintptr_t) v->data % 64) == 0);
	v = vf_checkpoint_tensor(&c, "h");
	CHECK(v && v->data[0] == 1.5f && v->data[1] == -2.0f && v->data[2] == ldexpf(1, -24) &&
		  isinf(v->data[3]) && v->data[3] > 0 && v->data[4] == 0 && signbit(v->data[4]));
	v = vf_checkpoint_tensor(&c, "b");
	CHECK(v && v->data[0] == 1.5f && v->data[1] == -123.5f);
	v = vf_checkpoint_tensor(&c, "d");
	CHECK(v && v->data[0] == 0.1f);
	v = vf_checkpoint_tensor(&c, "e");
	CHECK(v && v->numel == 0 && v->ndim == 2);
	CHECK(vf_checkpoint_tensor(&c, "n") == NULL);
	CHECK(vf_checkpoint_tensor(&c, "zz") == NULL);
	CHECK(c.config_json && strcmp(c.config_json, cfg) == 0 && c.config_len == strlen(cfg));
	CHECK(c.vocab_txt && c.vocab_len == 8 && c.tokenizer_json == NULL);
	{
		const char *need[] = {"a", "h", "encoder.layer.0.weight", "zz"};

		CHECK(vf_checkpoint_require(&c, need, 2, "esm", &err) == 0);
		CHECK(vf_checkpoint_require(&c, need, 4, "esm", &err) != 0 &&
			  strstr(err.msg, "\"encoder.layer.0.weight\"") != NULL);
	}
	vf_checkpoint_close(&c);

	/* Every single-byte corruption of header and table must be caught or harmless. */
	{
		size_t		meta = 64 + 5 * 64;
		unsigned char *copy = aligned_alloc(64, size);

		for (size_t i = 0; i < meta && i < size; i++)
			for (int bit = 0; bit < 8; bit++)
			{
				memcpy(copy, img, size);
				copy[i] ^= (unsigned char) (1u << bit);
				if (vf_checkpoint_open(copy, size, &c, &err) == 0)
				{
					/* accepted: then every view must stay inside the image */
					for (int t = 0; t < c.n_tensor; t++)
						CHECK((const unsigned char *) c.tensor[t].data >= copy &&
							  (const unsigned char *) (c.tensor[t].data + c.tensor[t].numel) <= copy + size);
					vf_checkpoint_close(&c);
				}
			}
		CHECK(vf_checkpoint_open(copy, size - 64, &c, &err) != 0);
		free(copy);
	}

	/* The size cap is checked before allocating. */
	{
		void	   *img2;
		size_t		s2;

		CHECK(vf_checkpoint_image_build(tmp("hf"), &img2, &s2, size - 1, &err) != 0 &&
			  err.code == VF_ERR_LIMIT);
		CHECK(vf_checkpoint_image_build(tmp("hf/model.safetensors"), &img2, &s2, size, &err) == 0);
		CHECK(vf_checkpoint_open(img2, s2, &c, &err) == 0 && c.n_tensor == 5 && c.config_json == NULL &&
			  c.vocab_txt == NULL);
		vf_checkpoint_close(&c);
		free(img2);
	}
	free(img);
}

static void
test_bad(void)
{
	float		z[4] = {0};
	unsigned char pre[8] = {0xff, 0xff, 0, 0, 0, 0, 0, 0};

	write_raw(tmp("short.st"), "abc", 3);
	expect_fail(tmp("short.st"), VF_ERR_CORRUPT, "truncated");

	write_raw(tmp("hlen.st"), pre, 8);
	expect_fail(tmp("hlen.st"), VF_ERR_CORRUPT, "header length 65535 is larger than the file");

	write_st(tmp("json.st"), "{\"a\": ", NULL, 0);
	expect_fail(tmp("json.st"), VF_ERR_CORRUPT, "not valid JSON");

	write_st(tmp("arr.st"), "[1, 2]", NULL, 0);
	expect_fail(tmp("arr.st"), VF_ERR_CORRUPT, "not a JSON object");

	write_st(tmp("overlap.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
			 " \"y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", z, 16);
	expect_fail(tmp("overlap.st"), VF_ERR_CORRUPT, "overlap");

	write_st(tmp("oob.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}}", z, 16);
	expect_fail(tmp("oob.st"), VF_ERR_CORRUPT, "outside the data buffer of 16 bytes");

	write_st(tmp("rev.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", z, 16);
	expect_fail(tmp("rev.st"), VF_ERR_CORRUPT, "outside the data buffer");

	write_st(tmp("dtype.st"),
			 "{\"x\": {\"dtype\": \"F128\", \"shape\": [1], \"data_offsets\": [0, 16]}}", z, 16);
	expect_fail(tmp("dtype.st"), VF_ERR_UNSUPPORTED, "unknown dtype \"F128\"");

	write_st(tmp("mismatch.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}}", z, 16);
	expect_fail(tmp("mismatch.st"), VF_ERR_CORRUPT, "shape needs 12 bytes of F32 but data_offsets cover 16");

	write_st(tmp("huge.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 16]}}",
			 z, 16);
	expect_fail(tmp("huge.st"), VF_ERR_CORRUPT, "larger than the file");

	write_st(tmp("neg.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 16]}}", z, 16);
	expect_fail(tmp("neg.st"), VF_ERR_CORRUPT, "non-negative integer");

	write_st(tmp("dup.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
			 " \"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}", z, 16);
	expect_fail(tmp("dup.st"), VF_ERR_CORRUPT, "twice");

	write_st(tmp("dims.st"),
			 "{\"x\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,2], \"data_offsets\": [0, 8]}}", z, 16);
	expect_fail(tmp("dims.st"), VF_ERR_UNSUPPORTED, "5 dimensions");

	write_st(tmp("f8.st"),
			 "{\"x\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", z, 16);
	expect_fail(tmp("f8.st"), VF_ERR_UNSUPPORTED, "F8_E4M3");

	/* a file cut inside its data buffer: the header's offsets now point past the end */
	{
		const char *hdr = "{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}";

		write_st(tmp("cut.st"), hdr, z, 10);
		expect_fail(tmp("cut.st"), VF_ERR_CORRUPT, "outside the data buffer of 10 bytes");
	}

	expect_fail(tmp("absent.st"), VF_ERR_NOFILE, "absent.st");
	mkdir(tmp("emptydir"), 0700);
	expect_fail(tmp("emptydir"), VF_ERR_NOFILE, "has no model.safetensors");
}

/*
 * What a caller hashing one chunk behind the reader relies on (vf_checkpoint_plan_fill):
 * every byte of the file, in order; a chunk unchanged until the next call returns; one
 * final call with NULL, also when the caller stops the fill.
 */
typedef struct ChunkLog
{
	unsigned char *all;			/* every chunk, concatenated */
	size_t		n;
	size_t		cap;
	const unsigned char *prev;	/* the chunk before, where the fill left it ... */
	unsigned char *prev_copy;	/* ... and its bytes when it was passed on */
	size_t		prev_len;
	int			calls;
	int			ends;
	int			stop_at;		/* return nonzero at this call (0: never) */
	const unsigned char *img;	/* chunks read straight into the image ... */
	size_t		img_size;
	size_t		n_in_img;
	size_t		in_img[4096][3];	/* ... as (image offset, file offset, length) */
} ChunkLog;

static int
log_chunk(void *arg, const void *data, size_t len)
{
	ChunkLog   *l = arg;

	if (l->prev && memcmp(l->prev, l->prev_copy, l->prev_len) != 0)
	{
		printf("FAIL chunk %d was overwritten before the next call returned\n", l->calls);
		failures++;
	}
	if (data == NULL)
	{
		l->ends++;
		return 0;
	}
	if (l->ends)
	{
		printf("FAIL a chunk came after the final call\n");
		failures++;
	}
	l->calls++;
	if (l->n + len > l->cap)
	{
		l->cap = (l->n + len) * 2;
		l->all = realloc(l->all, l->cap);
	}
	if ((const unsigned char *) data >= l->img &&
		(const unsigned char *) data + len <= l->img + l->img_size && l->n_in_img < 4096)
	{
		l->in_img[l->n_in_img][0] = (size_t) ((const unsigned char *) data - l->img);
		l->in_img[l->n_in_img][1] = l->n;
		l->in_img[l->n_in_img++][2] = len;
	}
	memcpy(l->all + l->n, data, len);
	l->n += len;
	l->prev = data;
	l->prev_copy = realloc(l->prev_copy, len ? len : 1);
	memcpy(l->prev_copy, data, len);
	l->prev_len = len;
	return l->stop_at && l->calls == l->stop_at;
}

static void
test_chunks(void)
{
	VfError		err;
	VfCheckpointPlan *plan;
	size_t		size,
				ref_size,
				file_len;
	void	   *img,
			   *ref;
	unsigned char *file;
	FILE	   *f;
	static ChunkLog l;
	size_t		in_img_ok = 0;

	/* the mixed-dtype directory test_valid wrote */
	vf_error_clear(&err);
	CHECK(vf_checkpoint_image_build(tmp("hf"), &ref, &ref_size, (size_t) 1 << 20, &err) == 0);
	f = fopen(tmp("hf/model.safetensors"), "rb");
	fseek(f, 0, SEEK_END);
	file_len = (size_t) ftell(f);
	rewind(f);
	file = malloc(file_len);
	CHECK(fread(file, 1, file_len, f) == file_len);
	fclose(f);

	CHECK(vf_checkpoint_plan(tmp("hf"), (size_t) 1 << 20, &plan, &size, &err) == 0);
	CHECK(size == ref_size);
	img = aligned_alloc(64, size);
	l.img = img;
	l.img_size = size;
	CHECK(vf_checkpoint_plan_fill(plan, img, log_chunk, &l, &err) == 0);
	CHECK(l.ends == 1 && l.calls > 0);
	CHECK(l.n == file_len && memcmp(l.all, file, file_len) == 0);
	CHECK(memcmp(img, ref, size) == 0);
	/* a chunk read straight into the image is still there at the end */
	CHECK(l.n_in_img > 0);
	for (size_t i = 0; i < l.n_in_img; i++)
		in_img_ok += memcmp((unsigned char *) img + l.in_img[i][0], file + l.in_img[i][1],
							l.in_img[i][2]) == 0;
	CHECK(in_img_ok == l.n_in_img);
	printf("ok   chunks: %d calls (%zu into the image), all %zu bytes in order, one final call\n",
		   l.calls, l.n_in_img, l.n);

	/* stopped by the caller: an error, and still exactly one final call */
	memset(img, 0, size);
	l.n = 0;
	l.calls = l.ends = 0;
	l.prev = NULL;
	l.stop_at = 2;
	CHECK(vf_checkpoint_plan_fill(plan, img, log_chunk, &l, &err) != 0 &&
		  strstr(err.msg, "was stopped") != NULL);
	CHECK(l.ends == 1 && l.calls == 2);

	/*
	 * Two ranges, the end of the file first (how load_model fills when the hashing thread
	 * has read the beginning itself): at every offset's split, the same image, each range's
	 * bytes in order with a final call of its own, and no converted element cut.
	 */
	{
		uint64_t	fsize;
		int			splits_ok = 0,
					cut = 0;
		uint64_t	cut_at = 0;

		CHECK(strstr(vf_checkpoint_plan_file(plan, &fsize), "hf/model.safetensors") != NULL &&
			  fsize == file_len);
		CHECK(vf_checkpoint_plan_split(plan, fsize + 5) == fsize);
		for (uint64_t at = 0; at <= fsize; at++)
		{
			uint64_t	s = vf_checkpoint_plan_split(plan, at);
			bool		ok = true;

			if (s != at)
			{
				cut++;
				cut_at = at;
			}
			ok &= s <= at && at - s < 8 && vf_checkpoint_plan_split(plan, s) == s;
			memset(img, 0xA5, size);
			l.n = 0;
			l.calls = l.ends = 0;
			l.prev = NULL;
			l.stop_at = 0;
			ok &= vf_checkpoint_plan_fill_range(plan, img, s, fsize, log_chunk, &l, &err) == 0;
			ok &= l.ends == 1 && l.n == fsize - s && memcmp(l.all, file + s, l.n) == 0;
			l.n = 0;
			l.ends = 0;
			l.prev = NULL;
			ok &= vf_checkpoint_plan_fill_range(plan, img, 0, s, log_chunk, &l, &err) == 0;
			ok &= l.ends == 1 && l.n == s && memcmp(l.all, file, l.n) == 0;
			ok &= memcmp(img, ref, size) == 0;
			splits_ok += ok;
			if (!ok)
				printf("FAIL filling [%llu, end) then [0, %llu)\n", (unsigned long long) s,
					   (unsigned long long) s);
		}
		CHECK(splits_ok == (int) fsize + 1);
		/* inside an element: 5 offsets of the F16 tensor, 2 of the BF16, 7 of the F64 */
		CHECK(cut == 5 + 2 + 7);
		/* a range that cuts an element is refused */
		l.ends = 0;
		l.prev = NULL;
		CHECK(vf_checkpoint_plan_fill_range(plan, img, cut_at, fsize, log_chunk, &l, &err) != 0 &&
			  strstr(err.msg, "alone") != NULL && l.ends == 0);
		CHECK(vf_checkpoint_plan_fill_range(plan, img, 0, cut_at, log_chunk, &l, &err) != 0 &&
			  l.ends == 0);
		printf("ok   chunks: filled in two ranges at all %d split points, the same image\n",
			   splits_ok);
	}

	vf_checkpoint_plan_free(plan);
	free(img);
	free(ref);
	free(file);
	free(l.all);
	free(l.prev_copy);
}

/* "checkpoint_test 3" reads 3 bytes at a time: every tensor and element is split across reads. */
int
main(int argc, char **argv)
{
	if (argc > 1)
		vf_checkpoint_read_chunk = (size_t) atoi(argv[1]);
	snprintf(dir, sizeof(dir), "/tmp/vf_ckpt_test_XXXXXX");
	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	test_valid();
	test_chunks();
	test_bad();
	{
		char		cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("warning: could not remove %s\n", dir);
	}
	printf("%s\n", failures ? "FAILED" : "all checkpoint tests passed");
	return failures ? 1 : 0;
}
