/*
 * torch_checkpoint_test.c: the PyTorch checkpoint reader outside the server (ASan/UBSan).
 *
 *   torch_checkpoint_test                  the unpickler on hand-written pickles
 *   torch_checkpoint_test dump FILE [N]    builds the checkpoint image (reading N bytes at a
 *                                          time, default 8 MB) and prints, per tensor in name
 *                                          order, "name<TAB>shape<TAB>hex of its F32 bytes":
 *                                          the format of make_torch_checkpoints.py's goldens
 *   torch_checkpoint_test refuse FILE TEXT the image must fail with a message containing TEXT
 *   torch_checkpoint_test tied FILE A B    tensors A and B share one copy in the image
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/checkpoint/torch_checkpoint.h"

static int	failures = 0;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static int
dump(const char *path, size_t chunk)
{
	void	   *img;
	size_t		size;
	VfCheckpoint c;
	VfError		err;

	vf_checkpoint_read_chunk = chunk;
	if (vf_checkpoint_image_build(path, &img, &size, (size_t) 1 << 30, &err) != 0 ||
		vf_checkpoint_open(img, size, &c, &err) != 0)
	{
		fprintf(stderr, "%s: %s\n", path, err.msg);
		return 1;
	}
	for (int i = 0; i < c.n_tensor; i++)
	{
		const VfTensorView *t = &c.tensor[i];
		const unsigned char *b = (const unsigned char *) t->data;

		printf("%s\t", t->name);
		for (int d = 0; d < t->ndim; d++)
			printf(d ? ",%lld" : "%lld", (long long) t->shape[d]);
		putchar('\t');
		for (int64_t k = 0; k < t->numel * 4; k++)
			printf("%02x", b[k]);
		putchar('\n');
	}
	vf_checkpoint_close(&c);
	free(img);
	return 0;
}

static int
refuse(const char *path, const char *text)
{
	void	   *img = NULL;
	size_t		size;
	VfError		err;

	vf_error_clear(&err);
	if (vf_checkpoint_image_build(path, &img, &size, (size_t) 1 << 30, &err) == 0)
	{
		printf("FAIL %s loaded; it must be refused\n", path);
		free(img);
		return 1;
	}
	if (strstr(err.msg, text) == NULL)
	{
		printf("FAIL %s: message \"%s\" lacks \"%s\"\n", path, err.msg, text);
		return 1;
	}
	printf("refused %s: %s\n", strrchr(path, '/') ? strrchr(path, '/') + 1 : path, err.msg);
	return 0;
}

static int
tied(const char *path, const char *a, const char *b)
{
	void	   *img;
	size_t		size;
	VfCheckpoint c;
	VfError		err;
	const VfTensorView *x,
			   *y;
	int			rc;

	if (vf_checkpoint_image_build(path, &img, &size, (size_t) 1 << 30, &err) != 0 ||
		vf_checkpoint_open(img, size, &c, &err) != 0)
	{
		printf("FAIL %s: %s\n", path, err.msg);
		return 1;
	}
	x = vf_checkpoint_tensor(&c, a);
	y = vf_checkpoint_tensor(&c, b);
	rc = !(x && y && x != y && x->data == y->data && x->numel == y->numel);
	printf("%s %s and %s share one copy (image %zu bytes)\n", rc ? "FAIL" : "ok", a, b, size);
	vf_checkpoint_close(&c);
	free(img);
	return rc;
}

/* ---- the unpickler on hand-written pickles ------------------------------------------------ */

static const char ODICT[] = "ccollections\nOrderedDict\n)R";
static const char REBUILD[] = "ctorch._utils\n_rebuild_tensor_v2\n";

/* ('storage', FloatStorage, key, 'cpu', numel) as BINPERSID, then offset, size, stride */
static size_t
put(unsigned char *p, const char *s)
{
	size_t		n = strlen(s);

	memcpy(p, s, n);
	return n;
}

static size_t
put_str(unsigned char *p, const char *s)
{
	size_t		n = strlen(s);

	p[0] = 0x8c;
	p[1] = (unsigned char) n;
	memcpy(p + 2, s, n);
	return n + 2;
}

static size_t
put_tensor(unsigned char *p, const char *cls, const char *key, int numel, int offset, int n0,
		   int n1, bool metadata)
{
	size_t		k = 0;

	k += put(p + k, REBUILD);
	k += put(p + k, "((");
	k += put_str(p + k, "storage");
	k += put(p + k, "ctorch\n");
	k += put(p + k, cls);
	k += put(p + k, "\n");
	k += put_str(p + k, key);
	k += put_str(p + k, "cpu");
	p[k++] = 'K';
	p[k++] = (unsigned char) numel;
	k += put(p + k, "tQ");
	p[k++] = 'K';
	p[k++] = (unsigned char) offset;
	p[k++] = 'K';
	p[k++] = (unsigned char) n0;
	p[k++] = 'K';
	p[k++] = (unsigned char) n1;
	p[k++] = 0x86;
	p[k++] = 'K';
	p[k++] = (unsigned char) n1;
	p[k++] = 'K';
	p[k++] = 1;
	p[k++] = 0x86;
	p[k++] = 0x88;				/* requires_grad True */
	k += put(p + k, ODICT);
	if (metadata)
		k += put(p + k, "}");
	k += put(p + k, "tR");
	return k;
}

static void
test_unpickler(void)
{
	unsigned char p[4096];
	size_t		k = 0;
	VfTorchDict d;
	VfError		err;

	/* a 7-argument _rebuild_tensor_v2 (metadata, newer torch), a Parameter, a shared storage */
	k += put(p + k, "\x80\x02");
	k += put(p + k, "ccollections\nOrderedDict\nq\x01)R(");
	k += put_str(p + k, "w");
	k += put(p + k, "ctorch._utils\n_rebuild_parameter\n(");
	k += put_tensor(p + k, "HalfStorage", "s0", 12, 0, 2, 3, true);
	k += put(p + k, "\x89");
	k += put(p + k, ODICT);
	k += put(p + k, "tR");
	k += put_str(p + k, "v");
	k += put_tensor(p + k, "HalfStorage", "s0", 12, 6, 3, 2, false);
	k += put(p + k, "u}");
	k += put_str(p + k, "_metadata");
	k += put(p + k, "h\x01)Rsb.");
	if (vf_torch_unpickle(p, k, &d, &err) != 0)
		printf("%s\n", err.msg);
	if (d.n_tensor == 2)
	{
		CHECK(strcmp(d.tensor[0].name, "w") == 0 && d.tensor[0].dtype == VF_DT_F16);
		CHECK(d.tensor[0].ndim == 2 && d.tensor[0].shape[0] == 2 && d.tensor[0].shape[1] == 3);
		CHECK(strcmp(d.tensor[1].storage_key, "s0") == 0 && d.tensor[1].offset == 6);
		CHECK(d.tensor[1].stride[0] == 2 && d.tensor[1].stride[1] == 1);
	}
	else
		CHECK(!"two tensors");
	vf_torch_dict_free(&d);

	/* a list that holds itself: no recursion anywhere, refused as a non-dict */
	k = put(p, "\x80\x02]q\x01h\x01" "a.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0 && strstr(err.msg, "not a state_dict") != NULL);

	/* LONG1: negative and 8-byte values are ints; a negative storage offset is refused */
	k = 0;
	k += put(p + k, "\x80\x02");
	k += put(p + k, ODICT);
	k += put(p + k, "(");
	k += put_str(p + k, "x");
	k += put(p + k, REBUILD);
	k += put(p + k, "((");
	k += put_str(p + k, "storage");
	k += put(p + k, "ctorch\nFloatStorage\n");
	k += put_str(p + k, "0");
	k += put_str(p + k, "cpu");
	k += put(p + k, "K\x04tQ\x8a\x01\xff(K\x04t(K\x01t\x89");
	k += put(p + k, ODICT);
	k += put(p + k, "tRu.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0 && strstr(err.msg, "wrong types") != NULL);

	/* every byte string that is a prefix of a valid pickle fails cleanly */
	k = 0;
	k += put(p + k, "\x80\x02");
	k += put(p + k, ODICT);
	k += put(p + k, "(");
	k += put_str(p + k, "a");
	k += put_tensor(p + k, "FloatStorage", "0", 6, 0, 2, 3, false);
	k += put(p + k, "u.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) == 0 && d.n_tensor == 1);
	vf_torch_dict_free(&d);
	for (size_t n = 0; n < k; n++)
		CHECK(vf_torch_unpickle(p, n, &d, &err) != 0);

	/* SETITEMS with an odd item count, APPEND to a dict, a MARK left open */
	k = put(p, "\x80\x02}(K\x01u.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0 && strstr(err.msg, "odd number") != NULL);
	k = put(p, "\x80\x02}K\x01" "a.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0 && strstr(err.msg, "other than a list") != NULL);
	k = put(p, "\x80\x02(}.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) == 0 && d.n_tensor == 0);
	vf_torch_dict_free(&d);
	/* the items under a MARK cannot be reached past it */
	k = put(p, "\x80\x02}(s.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0);
	k = put(p, "\x80\x02}(\x85.");
	CHECK(vf_torch_unpickle(p, k, &d, &err) != 0 && strstr(err.msg, "underflow") != NULL);
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2], argc > 3 ? (size_t) strtoull(argv[3], NULL, 10) : (size_t) 8 << 20);
	if (argc == 4 && strcmp(argv[1], "refuse") == 0)
		return refuse(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "tied") == 0)
		return tied(argv[2], argv[3], argv[4]);
	test_unpickler();
	if (failures)
	{
		printf("%d failures\n", failures);
		return 1;
	}
	printf("torch_checkpoint_test: all passed\n");
	return 0;
}
