/*
 * parity_io.h: what the parity drivers (encoder_parity.c, predictor_parity.c,
 * fused_parity.c) share to read a golden file and time a forward pass. Test code only.
 */
#ifndef VARFORMER_TEST_PARITY_IO_H
#define VARFORMER_TEST_PARITY_IO_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static inline char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
	{
		fclose(f);
		return NULL;
	}
	rewind(f);
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
