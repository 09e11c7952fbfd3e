/* make_image_seed.c: writes the checkpoint image of a safetensors file (a seed for the fuzzer). */
#include <stdio.h>
#include <stdlib.h>

#include "varformer/checkpoint/checkpoint.h"

int
main(int argc, char **argv)
{
	void	   *img;
	size_t		size;
	VfError		err;
	FILE	   *f;

	if (argc != 3)
		return 2;
	if (vf_checkpoint_image_build(argv[1], &img, &size, (size_t) 1 << 30, &err) != 0)
	{
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(img, 1, size, f) != size || fclose(f) != 0)
		return 1;
	free(img);
	return 0;
}
