/*
 * checkpoint_format.c: choosing the safetensors or the PyTorch reader for a weights file.
 *
 * The content decides before the name: a renamed checkpoint still loads, and a safetensors
 * file never starts with "PK\3\4" (its first 8 bytes are a header length far below 2^32 for
 * real files, but a zip's would read as 0x04034b50 + ...). The extension only sends files
 * that are neither (a truncated download, say) to the reader whose error message fits.
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
	unsigned char head[3] = {0};
	int			fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
	{
		ssize_t		r = read(fd, head, sizeof(head));

		close(fd);
		/* "PK\3" (zip) or PROTO 2 + LONG1 (legacy torch.save's pickled magic number) */
		if (r == 3 && ((head[0] == 'P' && head[1] == 'K' && head[2] == 3) ||
					   (head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a)))
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
