/*
 * sha256_thread.c: SHA-256 on a second core, behind the reader (see the header).
 *
 * Why a thread inside a backend is safe here:
 *   - the thread calls nothing of PostgreSQL's but pg_cryptohash_update, which in a server
 *     built with OpenSSL (src/common/cryptohash_openssl.c) is EVP_DigestUpdate on the
 *     context plus, on failure, OpenSSL's thread-local error queue (and in a server built
 *     without OpenSSL, src/common/cryptohash.c's plain-C SHA-256 over the context): no
 *     palloc, no elog, no shared state. A context is used by one thread at a time: the mutex hands it over, and
 *     the backend touches it again (final, free) only after vf_sha256_thread_wait;
 *   - it is created with every signal blocked, so PostgreSQL's handlers (cancel, die,
 *     latches) keep running in the backend's own thread only;
 *   - it holds no resources: it only waits on the mutex or hashes memory that the caller
 *     keeps in place, and the caller joins it (vf_sha256_thread_stop, from a PG_FINALLY)
 *     before any error can unwind past that memory. A FATAL exit from the backend, which
 *     runs no PG_FINALLY, can only come from CHECK_FOR_INTERRUPTS, which the caller never
 *     runs while a chunk is out (the fill drains the thread before returning).
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>

#include "varformer/sha256_thread.h"

/*
 * Chunks waiting for the thread, in order. A queue rather than one slot: checkpoint tensors
 * alternate between megabytes (weights) and a few bytes (biases), and with one slot the
 * reader would wait for every large chunk's hash while holding only a small one, which
 * serializes the two cores.
 */
#define QUEUE_LEN 256

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
	uint64		head;			/* jobs pushed */
	uint64		tail;			/* jobs hashed */
	HashJob		queue[QUEUE_LEN];
};

static void *
hash_loop(void *arg)
{
	VfSha256Thread *t = arg;

	pthread_mutex_lock(&t->mu);
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
vf_sha256_thread_start(void)
{
	VfSha256Thread *t = palloc0(sizeof(*t));
	sigset_t	all,
				old;

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
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
	}
	return t;
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

bool
vf_sha256_thread_wait(VfSha256Thread *t)
{
	bool		ok;

	if (!t->running)
		return !t->failed;
	pthread_mutex_lock(&t->mu);
	while (t->tail != t->head)
		pthread_cond_wait(&t->cv, &t->mu);
	ok = !t->failed;
	pthread_mutex_unlock(&t->mu);
	return ok;
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
