/*
 * sha256.h: SHA-256 of files and buffers for the SQL side (PostgreSQL's cryptohash, which
 * is OpenSSL's with SHA-NI when the server is built with it). Errors are ereport()ed.
 */
#ifndef VARFORMER_SHA256_H
#define VARFORMER_SHA256_H

#include "postgres.h"

#include "common/cryptohash.h"

#define VF_SHA256_LEN 32

extern pg_cryptohash_ctx *vf_sha256_begin(void);
extern void vf_sha256_update(pg_cryptohash_ctx *ctx, const void *data, size_t len);
/* writes the digest and frees ctx */
extern void vf_sha256_end(pg_cryptohash_ctx *ctx, uint8 *out);

/* sha256 of a buffer */
extern void vf_sha256_buffer(const void *data, size_t len, uint8 *out);

/*
 * sha256 of a regular file, streamed (what sha256sum prints); false when it does not exist.
 * *size (if not NULL) gets the number of bytes hashed.
 */
extern bool vf_sha256_file(const char *path, uint8 *out, int64 *size);

/* lower-case hex, palloc'd */
extern char *vf_sha256_hex(const uint8 *sha);

#endif
