/*
 * sha256.c: SHA-256 of buffers and files (content identity of models and references).
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"

#include "store/sha256.h"

char *
vf_sha256_hex(const uint8 *sha)
{
	char	   *s = palloc(VF_SHA256_LEN * 2 + 1);

	for (int i = 0; i < VF_SHA256_LEN; i++)
		snprintf(s + 2 * i, 3, "%02x", sha[i]);
	return s;
}

pg_cryptohash_ctx *
vf_sha256_begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialise SHA-256: %s", pg_cryptohash_error(ctx))));
	return ctx;
}

void
vf_sha256_update(pg_cryptohash_ctx *ctx, const void *data, size_t len)
{
	if (pg_cryptohash_update(ctx, data, len) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute SHA-256: %s", pg_cryptohash_error(ctx))));
}

void
vf_sha256_end(pg_cryptohash_ctx *ctx, uint8 *out)
{
	if (pg_cryptohash_final(ctx, out, VF_SHA256_LEN) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute SHA-256: %s", pg_cryptohash_error(ctx))));
	pg_cryptohash_free(ctx);
}

void
vf_sha256_buffer(const void *data, size_t len, uint8 *out)
{
	pg_cryptohash_ctx *ctx = vf_sha256_begin();

	vf_sha256_update(ctx, data, len);
	vf_sha256_end(ctx, out);
}

bool
vf_sha256_file(const char *path, uint8 *out, int64 *size)
{
	int			fd;
	pg_cryptohash_ctx *ctx;
	char	   *buf;
	ssize_t		r;
	int64		total;
	struct stat st;

	/* before opening: opening a FIFO would block, reading a device might never end */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", path)));
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	ctx = vf_sha256_begin();
	buf = palloc(1 << 20);
	total = 0;
	while ((r = read(fd, buf, 1 << 20)) != 0)
	{
		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		}
		vf_sha256_update(ctx, buf, (size_t) r);
		total += r;
		CHECK_FOR_INTERRUPTS();
	}
	pfree(buf);
	CloseTransientFile(fd);
	vf_sha256_end(ctx, out);
	if (size)
		*size = total;
	return true;
}

