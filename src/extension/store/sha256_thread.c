/*
 * sha256_thread.c: SHA-256 on a second core, behind the reader (see the header).
 *
 * Why a thread inside a backend is safe here:
 *   - the thread calls nothing of PostgreSQL's but pg_cryptohash_update, which in a server
 *     built with OpenSSL (src/common/cryptohash_openssl.c) is EVP_DigestUpdate on the
 *     context plus, on failure, OpenSSL's thread-local error queue (and in a server built
 *     without OpenSSL, src/common/cryptohash.c's plain-C SHA-256 over the context), and,
 *     while it reads ahead, pread() on the caller's descriptor and COMP_CRC32C (pure
 *     computation; with a runtime CPU check the function pointer was chosen in the
 *     postmaster, and choosing it again only stores the same value): no palloc, no elog,
 *     no shared state. A context is used by one thread at a time: the mutex hands it over,
 *     and the backend touches it again (final, free) only after vf_sha256_thread_wait;
 *   - it is created with every signal blocked, so PostgreSQL's handlers (cancel, die,
 *     latches) keep running in the backend's own thread only;
 *   - it holds no resources: it only waits on the mutex, reads into the buffer the caller
 *     allocated for it, or hashes memory that the caller keeps in place, and the caller
 *     joins it (vf_sha256_thread_stop, from a PG_FINALLY) before any error can unwind past
 *     that memory or close the descriptor. A FATAL exit from the backend, which runs no
 *     PG_FINALLY, can only come from CHECK_FOR_INTERRUPTS, which the caller never runs while
 *     the thread reads ahead or a chunk is out (the fill drains the thread before returning).
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>

#include "port/pg_crc32c.h"
#include "store/sha256_thread.h"

/*
 * Chunks waiting for the thread, in order. A queue rather than one slot: checkpoint tensors
 * alternate between megabytes (weights) and a few bytes (biases), and with one slot the
 * reader would wait for every large chunk's hash while holding only a small one, which
 * serializes the two cores.
 */
#define QUEUE_LEN 256

/*
 * The read-ahead's buffer: reused for every read, so it stays in the core's cache and TLB
 * between read() writing it and the CRC and hash reading it; also the most the caller
 * waits for when it stops the read-ahead.
 */
#define AHEAD_CHUNK ((size_t) 512 << 10)

typedef struct HashJob
{
	pg_cryptohash_ctx *ctx;
	const uint8 *data;
	size_t		len;
} HashJob;

struct VfSha256Thread
{
	pthread_mutex_t mu;
	pthread_cond_t cv;			/* signalled on every change of the queue or quit */
	pthread_t	thread;
	bool		running;		/* started and not yet joined */
	bool		quit;
	bool		failed;
	bool		last_unstable;	/* the next push waits until the last chunk is hashed */
	/* read-ahead, before any push: the file's first bytes, read and hashed by the thread */
	bool		reading;		/* still reading ahead */
	bool		stop_reading;
	int			fd;
	uint64		limit;			/* at most this many bytes */
	uint64		ahead;			/* bytes read and hashed so far */
	pg_crc32c	ahead_crc;		/* their CRC-32C, not yet finalized */
	pg_cryptohash_ctx *ahead_ctx;
	uint8	   *buf;			/* AHEAD_CHUNK bytes */
	uint64		head;			/* jobs pushed */
	uint64		tail;			/* jobs hashed */
	HashJob		queue[QUEUE_LEN];
};

/*
 * Reads the file from its first byte and hashes it until told to stop (checked between
 * chunks), at the limit, or at the first short read or error: those are left for the
 * caller's own pass over the file to meet and report. Called and returns with the mutex
 * held.
 */
static void
read_ahead(VfSha256Thread *t)
{
	while (!t->stop_reading && !t->quit && !t->failed && t->ahead < t->limit)
	{
		uint64		off = t->ahead;
		size_t		want = (size_t) Min((uint64) AHEAD_CHUNK, t->limit - off);
		ssize_t		r;
		bool		ok;

		pthread_mutex_unlock(&t->mu);
		r = pread(t->fd, t->buf, want, (off_t) off);
		ok = r > 0;
		if (ok)
		{
			COMP_CRC32C(t->ahead_crc, t->buf, (size_t) r);
			ok = pg_cryptohash_update(t->ahead_ctx, t->buf, (size_t) r) == 0;
		}
		pthread_mutex_lock(&t->mu);
		if (r <= 0)
			break;
		t->ahead += (uint64) r;
		if (!ok)
			t->failed = true;
	}
	t->reading = false;
	pthread_cond_broadcast(&t->cv);
}

static void *
hash_loop(void *arg)
{
	VfSha256Thread *t = arg;

	pthread_mutex_lock(&t->mu);
	if (t->reading)
		read_ahead(t);
	for (;;)
	{
		HashJob		job;
		bool		ok;

		while (t->tail == t->head && !t->quit)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->tail == t->head)
			break;
		job = t->queue[t->tail % QUEUE_LEN];
		ok = !t->failed;
		pthread_mutex_unlock(&t->mu);

		/* after a failure the rest is skipped: the digest is not used */
		if (ok)
			ok = pg_cryptohash_update(job.ctx, job.data, job.len) == 0;

		pthread_mutex_lock(&t->mu);
		if (!ok)
			t->failed = true;
		t->tail++;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

VfSha256Thread *
vf_sha256_thread_start(int fd, uint64 limit, pg_cryptohash_ctx *ctx)
{
	VfSha256Thread *t = palloc0(sizeof(*t));
	sigset_t	all,
				old;

	INIT_CRC32C(t->ahead_crc);
	if (fd >= 0 && limit > 0)
	{
		t->fd = fd;
		t->limit = limit;
		t->ahead_ctx = ctx;
		t->buf = palloc(AHEAD_CHUNK);
		t->reading = true;
	}

	if (pthread_mutex_init(&t->mu, NULL) != 0)
		return t;
	if (pthread_cond_init(&t->cv, NULL) != 0)
	{
		pthread_mutex_destroy(&t->mu);
		return t;
	}
	/* the thread inherits this mask: every signal stays with the backend's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t->running = pthread_create(&t->thread, NULL, hash_loop, t) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!t->running)
	{
		t->reading = false;
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
	}
	return t;
}

uint64
vf_sha256_thread_stop_reading(VfSha256Thread *t, pg_crc32c *crc)
{
	if (t->running)
	{
		pthread_mutex_lock(&t->mu);
		t->stop_reading = true;
		while (t->reading)
			pthread_cond_wait(&t->cv, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
	*crc = t->ahead_crc;
	FIN_CRC32C(*crc);
	return t->ahead;
}

bool
vf_sha256_thread_push(VfSha256Thread *t, pg_cryptohash_ctx *ctx, const void *data, size_t len,
					  bool stable)
{
	bool		ok;

	if (!t->running)
	{
		/* no second core to use: hash here */
		if (pg_cryptohash_update(ctx, data, len) < 0)
			t->failed = true;
		return !t->failed;
	}
	pthread_mutex_lock(&t->mu);
	while (t->head - t->tail == QUEUE_LEN || (t->last_unstable && t->tail != t->head))
		pthread_cond_wait(&t->cv, &t->mu);
	ok = !t->failed;
	if (ok)
	{
		HashJob    *job = &t->queue[t->head % QUEUE_LEN];

		job->ctx = ctx;
		job->data = data;
		job->len = len;
		t->head++;
		t->last_unstable = !stable;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

/* Waits until the queue is empty, or (unstable_only) until no buffer about to be reused is in it. */
static bool
drain(VfSha256Thread *t, bool unstable_only)
{
	bool		ok;

	if (!t->running)
		return !t->failed;
	pthread_mutex_lock(&t->mu);
	while ((!unstable_only || t->last_unstable) && t->tail != t->head)
		pthread_cond_wait(&t->cv, &t->mu);
	ok = !t->failed;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

bool
vf_sha256_thread_wait(VfSha256Thread *t)
{
	return drain(t, false);
}

bool
vf_sha256_thread_release(VfSha256Thread *t)
{
	return drain(t, true);
}

void
vf_sha256_thread_stop(VfSha256Thread *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->mu);
	t->quit = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	/* the loop hashes the chunks still queued before it sees quit */
	pthread_join(t->thread, NULL);
	t->running = false;
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}
