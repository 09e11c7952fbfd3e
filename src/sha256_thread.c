/*
 * sha256_thread.c: SHA-256 on a second core, one chunk behind the reader (see the header).
 *
 * Why a thread inside a backend is safe here:
 *   - the thread calls nothing of PostgreSQL's but pg_cryptohash_update, which in a server
 *     built with OpenSSL (src/common/cryptohash_openssl.c) is EVP_DigestUpdate on the
 *     context plus, on failure, OpenSSL's thread-local error queue: no palloc, no elog, no
 *     shared state. A context is used by one thread at a time: the mutex hands it over, and
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

struct VfSha256Thread
{
	pthread_mutex_t mu;
	pthread_cond_t cv;			/* signalled on every change of busy or quit */
	pthread_t	thread;
	bool		running;		/* started and not yet joined */
	bool		busy;			/* a chunk is handed over and not yet hashed */
	bool		quit;
	bool		failed;
	pg_cryptohash_ctx *ctx;
	const uint8 *data;
	size_t		len;
};

static void *
hash_loop(void *arg)
{
	VfSha256Thread *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;)
	{
		pg_cryptohash_ctx *ctx;
		const uint8 *data;
		size_t		len;
		bool		ok;

		while (!t->busy && !t->quit)
			pthread_cond_wait(&t->cv, &t->mu);
		if (!t->busy)
			break;
		ctx = t->ctx;
		data = t->data;
		len = t->len;
		pthread_mutex_unlock(&t->mu);

		ok = pg_cryptohash_update(ctx, data, len) == 0;

		pthread_mutex_lock(&t->mu);
		if (!ok)
			t->failed = true;
		t->busy = false;
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
vf_sha256_thread_push(VfSha256Thread *t, pg_cryptohash_ctx *ctx, const void *data, size_t len)
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
	while (t->busy)
		pthread_cond_wait(&t->cv, &t->mu);
	ok = !t->failed;
	if (ok)
	{
		t->ctx = ctx;
		t->data = data;
		t->len = len;
		t->busy = true;
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
	while (t->busy)
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
	/* the loop hashes a chunk still handed over before it sees quit */
	pthread_join(t->thread, NULL);
	t->running = false;
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}
