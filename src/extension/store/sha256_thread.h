/*
 * sha256_thread.h: SHA-256 on a second core, behind whoever produces the bytes.
 *
 * load_model reads a checkpoint into shared memory and hashes every byte; hashing alone
 * runs at about the speed of the rest of the load together, so doing it on another core
 * nearly halves the load. The caller creates and finalizes the hash context itself (those
 * allocate and may ereport); the thread only ever runs the context's update.
 *
 * The thread can also start before the bytes have a place in memory (while the caller
 * creates the shared memory segment), reading the file's first bytes itself.
 */
#ifndef VARFORMER_SHA256_THREAD_H
#define VARFORMER_SHA256_THREAD_H

#include "postgres.h"

#include "common/cryptohash.h"
#include "port/pg_crc32c.h"

typedef struct VfSha256Thread VfSha256Thread;

/*
 * Starts the hashing thread (palloc'd handle). Never fails: when no thread can be started,
 * vf_sha256_thread_push hashes in the calling thread instead. With fd >= 0 the thread
 * first reads ahead: it reads the file fd from its first byte (with pread, at most limit
 * bytes, into a buffer of its own) and hashes the bytes into ctx until
 * vf_sha256_thread_stop_reading; fd and ctx must stay open until then.
 */
extern VfSha256Thread *vf_sha256_thread_start(int fd, uint64 limit, pg_cryptohash_ctx *ctx);

/*
 * Ends the read-ahead at the end of the read it is on and returns how many of the file's
 * first bytes it hashed into ctx (0 when there was no read-ahead or thread), *crc their
 * CRC-32C, so that the caller can check that it then loads the same bytes. The caller's
 * pushes for ctx continue from that byte. Never ereports.
 */
extern uint64 vf_sha256_thread_stop_reading(VfSha256Thread *t, pg_crc32c *crc);

/*
 * Queues a chunk for the thread (after the chunks pushed before) and returns at once. data
 * must stay in place and unchanged until vf_sha256_thread_wait returns; when !stable (a
 * buffer about to be reused) only until the next push or wait returns, which then waits
 * for it. false if hashing failed (for this or an earlier chunk; see
 * pg_cryptohash_error(ctx)). Never ereports.
 */
extern bool vf_sha256_thread_push(VfSha256Thread *t, pg_cryptohash_ctx *ctx,
								  const void *data, size_t len, bool stable);

/* Waits until every chunk pushed is hashed; false if any failed. Never ereports. */
extern bool vf_sha256_thread_wait(VfSha256Thread *t);

/*
 * Waits only until the thread is done with the last chunk if that was pushed !stable
 * (its buffer may then go), leaving the stable ones queued; false if any failed. Never
 * ereports.
 */
extern bool vf_sha256_thread_release(VfSha256Thread *t);

/* Waits, then ends and joins the thread; harmless to call again. Never ereports. */
extern void vf_sha256_thread_stop(VfSha256Thread *t);

#endif
