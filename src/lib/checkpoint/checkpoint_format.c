/*
 * checkpoint_format.c: choosing the safetensors or the PyTorch reader for a weights file.
 *
 * The content decides first, so a renamed checkpoint still loads; the name only sends a file
 * whose first bytes say neither (a truncated download, an HTML error page saved as
 * pytorch_model.bin) to the reader whose error message fits. The magics cannot be mistaken:
 * a safetensors file starts with its header length, and PyTorch's legacy magic read as one is
 * far beyond the 100 MB cap; "PK\3\4" would be a header of exactly 67,324,752 bytes only if
 * the next 4 bytes were zero, where a zip has its version and flags.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "varformer/checkpoint/checkpoint_format.h"
#include "varformer/checkpoint/torch_checkpoint.h"

const char *
vf_checkpoint_weights_file(const char *dir)
{
	size_t		n = strlen(dir) + 32;
	char	   *p = malloc(n);
	const char *which = "model.safetensors";

	if (p == NULL)
		return which;
	snprintf(p, n, "%s/model.safetensors", dir);
	if (access(p, F_OK) != 0)
	{
		snprintf(p, n, "%s/pytorch_model.bin", dir);
		if (access(p, F_OK) == 0)
			which = "pytorch_model.bin";
	}
	free(p);
	return which;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		a = strlen(s),
				b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool
vf_checkpoint_is_torch(const char *path)
{
	/* legacy torch.save: PROTO 2, LONG1 of 10 bytes, the magic number's first bytes */
	static const unsigned char legacy[8] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46};
	unsigned char head[8] = {0};
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
	{
		ssize_t		r = read(fd, head, sizeof(head));

		close(fd);
		if (r == 8 && (memcmp(head, legacy, 8) == 0 ||
					   (vf_torch_is_zip(head, 8) && (head[4] | head[5] | head[6] | head[7]) != 0)))
			return true;
	}
	return ends_with(path, ".bin") || ends_with(path, ".pt") || ends_with(path, ".pth");
}

int
vf_checkpoint_read_tensors(const char *path, VfSafetensors *out, VfError *err)
{
	if (vf_checkpoint_is_torch(path))
		return vf_torch_read_file(path, out, err);
	return vf_safetensors_read_file(path, out, err);
}
