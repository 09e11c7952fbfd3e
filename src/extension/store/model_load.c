/*
 * model_load.c: turning load_model's (path, options) into a model image and its sha256.
 *
 * Dispatch: options {"ensemble": ...} build an ensemble; a file that starts with the
 * SQLite magic is a PredictDB database; anything else is a safetensors checkpoint (a file or
 * a Hugging Face style directory) whose config.json decides encoder or seq2func.
 * Every build hashes the content once, on the way (model_hash.c says what the sha256 is).
 *
 * A checkpoint is loaded in one pass: its headers are validated and the image sized first,
 * then the safetensors file streams through the hash and straight into a new DSM segment
 * that the store adopts (no private copy). The hash runs on a second core, behind the
 * reader, over the very bytes in the segment (sha256_thread.c says why a thread is safe
 * there). Only the file's first bytes are read twice: creating the segment zero-fills all
 * of it (PostgreSQL's posix_fallocate), which takes about as long as hashing a third of
 * the file, so the hashing thread starts first and reads and hashes them itself meanwhile;
 * fill_checkpoint says how they are proved to be the bytes then loaded.
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cryptohash.h"
#include "common/string.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/fmgrprotos.h"
#include "utils/wait_event.h"

#include "varformer/checkpoint/checkpoint.h"
#include "common/error_report.h"
#include "varformer/common/json.h"
#include "varformer/models/model_arch.h"
#include "varformer/models/ukbioformer.h"
#include "store/model_registry.h"
#include "varformer/scoring/ensemble.h"
#include "varformer/scoring/predictdb.h"
#include "store/sha256.h"
#include "store/sha256_thread.h"

/*
 * A PredictDB file is hashed first and read afterwards (SQLite reads it, not us); a stat
 * fingerprint taken before hashing and again after reading catches a file rewritten in
 * between (the hash would not match the weights loaded).
 */
static uint64
file_fingerprint(const char *path)
{
	struct stat st;
	uint64		h = UINT64CONST(1469598103934665603);

	if (stat(path, &st) != 0)
		return 0;
	{
		uint64		f[5] = {(uint64) st.st_ino, (uint64) st.st_size, (uint64) st.st_mtim.tv_sec,
		(uint64) st.st_mtim.tv_nsec, (uint64) st.st_ctim.tv_nsec};

		for (int i = 0; i < 5; i++)
			h = (h ^ f[i]) * UINT64CONST(1099511628211);
	}
	return h;
}

static bool
is_sqlite_file(const char *path)
{
	char		magic[16];
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	bool		yes = false;

	if (fd < 0)
		return false;
	if (read(fd, magic, 16) == 16 && memcmp(magic, "SQLite format 3\0", 16) == 0)
		yes = true;
	CloseTransientFile(fd);
	return yes;
}

typedef struct HashFeed
{
	pg_cryptohash_ctx *ctx;
	VfSha256Thread *hasher;
	const char *image;			/* chunks in here stay put; others are the fill's buffers */
	size_t		size;
	uint64		ahead;			/* the file's first bytes, already hashed by the read-ahead */
	pg_crc32c	ahead_crc;		/* their CRC-32C as the read-ahead read them */
	uint64		split;			/* the fill reads [split, end), then [0, split) */
	uint64		pos;			/* file offset of the next byte passed */
	pg_crc32c	crc;			/* CRC-32C of [0, split) as the fill reads them */
	uint8		tail[8];		/* [split, ahead): less than one element */
	bool		last_range;		/* the second fill, or the only one */
	bool		interrupted;
	bool		failed;
	bool		paused;			/* the debug pause (varformer.debug_load_pause_at) is behind */
} HashFeed;

/*
 * The debug pause: with varformer.debug_load_pause_at = N (bytes), the load stops once it has
 * passed file offset N, logs so, and goes on only when it can take the advisory lock
 * (VF_PAUSE_LOCK_CLASS, 0) in share mode; a test holding that lock knows the load is
 * mid-way and stays there until the test cancels it or lets go. Interrupts are served as
 * the fill serves them (hash_chunk must not throw): a cancel ends the wait at once.
 */
#define VF_PAUSE_LOCK_CLASS ((int32) 0x76667061)	/* "vfpa" = 1986424929 */

static bool
pause_load(HashFeed *f)
{
	f->paused = true;
	ereport(LOG,
			(errmsg("varformer: load paused at byte %llu (varformer.debug_load_pause_at)",
					(unsigned long long) f->pos)));
	for (;;)
	{
		if (InterruptPending)
			return false;
		if (DatumGetBool(DirectFunctionCall2(pg_try_advisory_lock_shared_int4,
											 Int32GetDatum(VF_PAUSE_LOCK_CLASS), Int32GetDatum(0))))
		{
			(void) DirectFunctionCall2(pg_advisory_unlock_shared_int4,
									   Int32GetDatum(VF_PAUSE_LOCK_CLASS), Int32GetDatum(0));
			return true;
		}
		/* the latch is set by a cancel or a timeout; the timeout rechecks the lock */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Per chunk of the file, queued for the hashing thread, which runs behind the reader: a
 * chunk read into the image stays there, one in the fill's buffer until the next call
 * returns, and the last call (data NULL) waits for the thread (after the first of two
 * fills only until the buffers are free, so that it hashes on during the second). Bytes
 * the read-ahead hashed already are not queued, only checksummed. Never throws: the
 * plain-C reader has a file and buffers open.
 */
static int
hash_chunk(void *arg, const void *data, size_t len)
{
	HashFeed   *f = arg;
	bool		stable;

	if (data == NULL)
	{
		if (!(f->last_range ? vf_sha256_thread_wait(f->hasher) : vf_sha256_thread_release(f->hasher)))
			f->failed = true;
		return 0;
	}
	if (InterruptPending ||
		(vf_debug_load_pause_at > 0 && !f->paused && f->pos >= (uint64) vf_debug_load_pause_at &&
		 !pause_load(f)))
	{
		f->interrupted = true;
		return 1;
	}
	stable = (const char *) data >= f->image && (const char *) data + len <= f->image + f->size;
	if (f->pos < f->ahead)
	{
		size_t		n = (size_t) Min((uint64) len, f->ahead - f->pos);

		if (f->pos < f->split)
			COMP_CRC32C(f->crc, data, n);	/* a range ends at split */
		else
			memcpy(f->tail + (f->pos - f->split), data, n);
		f->pos += n;
		data = (const char *) data + n;
		len -= n;
		if (len == 0)
			return 0;
	}
	f->pos += len;
	if (!vf_sha256_thread_push(f->hasher, f->ctx, data, len, stable))
	{
		f->failed = true;
		return 1;
	}
	return 0;
}

/* The digests of a checkpoint's files as loaded: the text files from the plan's copies. */
typedef struct PlanDigests
{
	const VfCheckpointPlan *plan;
	const uint8 *weights;		/* the safetensors file's, hashed on the way */
} PlanDigests;

static bool
plan_digest(void *arg, const char *path, const char *file, bool weights, uint8 *out)
{
	PlanDigests *d = arg;

	if (weights)
	{
		memcpy(out, d->weights, VF_SHA256_LEN);
		return true;
	}
	for (int i = 0; i < 3; i++)
	{
		const char *name;
		size_t		len;
		const char *text = vf_checkpoint_plan_text(d->plan, i, &name, &len);

		if (text != NULL && strcmp(name, file) == 0)
		{
			vf_sha256_buffer(text, len, out);
			return true;
		}
	}
	return false;
}

/*
 * The image, built in a new DSM segment while the safetensors file is hashed in the same
 * pass; out->sha256 is the content sha256 (model_hash.c) of the very bytes loaded.
 *
 * The hashing thread reads the file's first bytes itself while dsm_create runs, so those
 * are hashed from a read of their own, not from the segment. The fill then reads the rest
 * first, for the thread to hash on at once, and the read-ahead's part last, with a CRC-32C
 * only: every byte is hashed exactly once and in order. The fill's CRC-32C of the
 * read-ahead's bytes, as it reads them from the file (before any conversion), must equal
 * the read-ahead's, or the load fails, so the digest is that of the bytes loaded. What
 * the check catches is the file being written between the two reads; it does not defend
 * against a writer who aims for a CRC collision, and need not: whoever can write the file
 * can change it before the load.
 */
static void
fill_checkpoint(const char *path, int64 max_bytes, VfModelBuild *out)
{
	VfError		err;
	VfCheckpointPlan *plan;
	size_t		size;
	VfSha256Thread *volatile hasher = NULL;
	pg_cryptohash_ctx *volatile ahead_ctx = NULL;
	volatile int ahead_fd = -1;

	vf_error_clear(&err);
	if (vf_checkpoint_plan(path, (size_t) max_bytes, &plan, &size, &err) != 0)
		vf_ereport(&err);
	PG_TRY();
	{
		uint8		st_sha[VF_SHA256_LEN];
		HashFeed	feed = {0};
		int			rc;
		uint64		file_size;
		const char *st_path = vf_checkpoint_plan_file(plan, &file_size);

		/* no read-ahead when the file cannot be opened: the fill reports why */
		ahead_ctx = vf_sha256_begin();
		ahead_fd = OpenTransientFile(st_path, O_RDONLY | PG_BINARY);
		hasher = vf_sha256_thread_start(ahead_fd, file_size, ahead_ctx);
		out->seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
		if (out->seg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("too many dynamic shared memory segments to load \"%s\"", path)));
		out->image = dsm_segment_address(out->seg);
		out->size = size;
		feed.ahead = vf_sha256_thread_stop_reading(hasher, &feed.ahead_crc);
		/* the fill maps the segment's pages chunk by chunk, just ahead of each read */
		feed.hasher = hasher;
		feed.image = out->image;
		feed.size = size;
		feed.ctx = ahead_ctx;
		ahead_ctx = NULL;
		for (;;)
		{
			if (feed.ctx == NULL)
				feed.ctx = vf_sha256_begin();
			/* fewer than 8 bytes from ahead: an element that F16/BF16/F64 convert whole */
			feed.split = vf_checkpoint_plan_split(plan, feed.ahead);
			Assert(feed.ahead - feed.split <= sizeof(feed.tail));
			INIT_CRC32C(feed.crc);
			feed.interrupted = feed.failed = false;
			feed.pos = feed.split;
			feed.last_range = feed.split == 0;
			rc = vf_checkpoint_plan_fill_range(plan, out->image, feed.split, file_size,
											   hash_chunk, &feed, &err);
			if (rc == 0 && !feed.last_range)
			{
				feed.pos = 0;
				feed.last_range = true;
				rc = vf_checkpoint_plan_fill_range(plan, out->image, 0, feed.split,
												   hash_chunk, &feed, &err);
			}
			if (rc == 0 || !feed.interrupted)
				break;
			/*
			 * A cancel throws here; any other interrupt is served and the pass starts over,
			 * hashing everything from the segment (the read-ahead's digest went with ctx).
			 */
			if (!feed.last_range)
				(void) vf_sha256_thread_wait(hasher);
			pg_cryptohash_free(feed.ctx);
			feed.ctx = NULL;
			feed.ahead = 0;
			CHECK_FOR_INTERRUPTS();
		}
		vf_sha256_thread_stop(hasher);
		if (feed.failed)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not compute SHA-256: %s", pg_cryptohash_error(feed.ctx))));
		if (rc == 0 && feed.ahead > 0)
		{
			COMP_CRC32C(feed.crc, feed.tail, feed.ahead - feed.split);
			FIN_CRC32C(feed.crc);
		}
		if (rc == 0 && feed.ahead > 0 && !EQ_CRC32C(feed.crc, feed.ahead_crc))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("\"%s\" changed while it was being loaded", st_path),
					 errhint("Load it again once the file is complete.")));
		if (rc != 0)
			vf_ereport(&err);
		vf_sha256_end(feed.ctx, st_sha);
		{
			PlanDigests digests = {.plan = plan, .weights = st_sha};

			vf_model_files_sha256(path, plan_digest, &digests, out->sha256);
		}
	}
	PG_FINALLY();
	{
		/* joined before an error unwinds past the segment it may be reading */
		if (hasher != NULL)
			vf_sha256_thread_stop(hasher);
		if (ahead_fd >= 0)
			CloseTransientFile(ahead_fd);
		if (ahead_ctx != NULL)
			pg_cryptohash_free(ahead_ctx);
		vf_checkpoint_plan_free(plan);
	}
	PG_END_TRY();
}

static void
build_checkpoint(const char *path, const VfJson *opts, int64 max_bytes, VfModelBuild *out)
{
	VfError		err;
	VfCheckpoint ckpt;
	const char *arch = NULL;
	VfModelKind kind = VF_KIND_ENCODER;
	int			rc;

	vf_error_clear(&err);
	fill_checkpoint(path, max_bytes, out);
	if (vf_checkpoint_open(out->image, out->size, &ckpt, &err) != 0)
	{
		vf_model_build_free(out);
		vf_ereport(&err);
	}
	if (ckpt.config_json)
		rc = vf_model_arch_detect(ckpt.config_json, ckpt.config_len, &arch, &kind, &err);
	else
	{
		/* a bare .safetensors file: the options may say what it is */
		const char *k = vf_json_get_string(opts, "architecture", NULL);
		char		cfg[160];

		rc = 0;
		if (k)
		{
			snprintf(cfg, sizeof(cfg), "{\"model_type\": \"%.100s\"}", k);
			rc = vf_model_arch_detect(cfg, strlen(cfg), &arch, &kind, &err);
		}
	}
	if (rc == 0 && arch)
		rc = vf_model_arch_check(arch, &ckpt, &err);
	out->parameters = vf_checkpoint_parameters(&ckpt);
	vf_checkpoint_close(&ckpt);
	if (rc != 0)
	{
		vf_model_build_free(out);
		vf_ereport(&err);
	}
	out->kind = kind;
	strlcpy(out->arch, arch ? arch : "unknown", VF_ARCH_LEN);
}

static void
build_ensemble(const char *options_json, const VfJson *opts, VfModelBuild *out)
{
	VfError		err;

	vf_error_clear(&err);
	if (vf_ensemble_image_build(opts, &out->image, &out->size, &err) != 0)
		vf_ereport(&err);
	out->kind = VF_KIND_ENSEMBLE;
	strlcpy(out->arch, "ensemble", VF_ARCH_LEN);
	vf_model_content_sha256(NULL, options_json, out->sha256);
}

static void
build_predictdb(const char *name, const char *path, const VfJson *opts, int64 max_bytes,
				VfModelBuild *out)
{
	VfError		err;
	uint64		before = file_fingerprint(path);

	vf_error_clear(&err);
	vf_model_files_sha256(path, NULL, NULL, out->sha256);
	if (vf_predictdb_image_build(path, opts, &out->image, &out->size, (size_t) max_bytes, &err) != 0)
		vf_ereport(&err);
	out->kind = VF_KIND_PREDICTDB;
	strlcpy(out->arch, "elastic_net", VF_ARCH_LEN);
	if (file_fingerprint(path) != before)
	{
		vf_model_build_free(out);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("\"%s\" changed while model \"%s\" was being loaded", path, name),
				 errhint("Load it again once the file is complete.")));
	}
}

/*
 * True when path is a directory whose config.json names the fused architecture (its
 * encoder/ is then part of the model).
 */
bool
vf_model_path_is_fused(const char *path, int *window)
{
	struct stat st;
	char	   *cfg = psprintf("%s/config.json", path);
	FILE	   *f;
	char	   *text;
	size_t		len;
	const char *arch;
	VfModelKind kind;
	VfError		err;
	bool		yes = false;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || stat(cfg, &st) != 0 || !S_ISREG(st.st_mode) ||
		st.st_size > (off_t) VF_CKPT_MAX_CONFIG || (f = AllocateFile(cfg, PG_BINARY_R)) == NULL)
		return false;
	text = palloc(st.st_size + 1);
	len = fread(text, 1, st.st_size, f);
	FreeFile(f);
	text[len] = '\0';
	if (vf_model_arch_detect(text, len, &arch, &kind, &err) == 0 && kind == VF_KIND_FUSED)
	{
		VfJsonDoc  *doc = vf_json_parse(text, len, &err);

		yes = true;
		if (window)
			*window = doc ? (int) vf_json_get_int(vf_json_root(doc), "window", 0) : 0;
		if (doc)
			vf_json_free(doc);
	}
	pfree(text);
	pfree(cfg);
	return yes;
}

/*
 * The kind a load will build when the path or options tell it before anything is read (an
 * ensemble, a PredictDB database, a fused directory); 0 when only the checkpoint will.
 */
int
vf_model_kind_early(const char *path, bool ensemble)
{
	struct stat sb;

	if (ensemble)
		return VF_KIND_ENSEMBLE;
	if (path == NULL || stat(path, &sb) != 0)
		return 0;
	if (S_ISREG(sb.st_mode) && (is_sqlite_file(path) || pg_str_endswith(path, ".db")))
		return VF_KIND_PREDICTDB;
	if (S_ISDIR(sb.st_mode) && vf_model_path_is_fused(path, NULL))
		return VF_KIND_FUSED;
	return 0;
}

/* Stat fingerprint of a fused directory's files, its encoder/ included. */
static uint64
fused_fingerprint(const char *path)
{
	static const char *const files[] = {"config.json", "model.safetensors", "encoder/config.json",
	"encoder/model.safetensors", "encoder/pytorch_model.bin", "encoder/tokenizer.json", "encoder/vocab.txt"};
	uint64		h = UINT64CONST(1469598103934665603);

	for (size_t i = 0; i < lengthof(files); i++)
	{
		char	   *p = psprintf("%s/%s", path, files[i]);

		h = (h ^ file_fingerprint(p)) * UINT64CONST(1099511628211);
		pfree(p);
	}
	return h;
}

/*
 * A fused directory: one image of its checkpoint and its encoder/, refused at load (naming
 * the problem) when the model could not be built from it. The files are hashed before they
 * are read (a fused model is small next to the trunks alone); stat fingerprints taken before
 * hashing and after reading catch a rewrite in between.
 */
static void
build_fused(const char *name, const char *path, int64 max_bytes, VfModelBuild *out)
{
	VfError		err;
	VfCheckpoint main_ck,
				enc_ck;
	VfFused    *f;
	uint64		before = fused_fingerprint(path);

	vf_error_clear(&err);
	vf_model_files_sha256(path, NULL, NULL, out->sha256);
	if (vf_fused_image_build(path, &out->image, &out->size, (size_t) max_bytes, &err) != 0)
		vf_ereport(&err);
	if (vf_fused_image_open(out->image, out->size, &main_ck, &enc_ck, &err) != 0)
	{
		vf_model_build_free(out);
		vf_ereport(&err);
	}
	if (vf_model_arch_check("ukbioformer", &main_ck, &err) != 0 ||
		(f = vf_fused_create(&main_ck, &enc_ck, &err)) == NULL)
	{
		char		m[sizeof(err.msg)];

		vf_checkpoint_close(&main_ck);
		vf_checkpoint_close(&enc_ck);
		vf_model_build_free(out);
		snprintf(m, sizeof(m), "%s", err.msg);
		vf_error(&err, err.code, "fused model \"%s\" cannot be loaded: %s", path, m);
		vf_ereport(&err);
	}
	vf_fused_free(f);
	out->parameters = vf_checkpoint_parameters(&main_ck) + vf_checkpoint_parameters(&enc_ck);
	vf_checkpoint_close(&main_ck);
	vf_checkpoint_close(&enc_ck);
	out->kind = VF_KIND_FUSED;
	strlcpy(out->arch, "ukbioformer", VF_ARCH_LEN);
	if (fused_fingerprint(path) != before)
	{
		vf_model_build_free(out);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("\"%s\" changed while model \"%s\" was being loaded", path, name),
				 errhint("Load it again once the files are complete.")));
	}
}

void
vf_model_build(const char *name, const char *path, const char *options_json, int64 max_bytes,
			   VfModelBuild *out)
{
	VfError		err;
	VfJsonDoc  *doc;
	const VfJson *opts;

	memset(out, 0, sizeof(*out));
	vf_error_clear(&err);
	doc = vf_json_parse(options_json, strlen(options_json), &err);
	if (doc == NULL)
		vf_ereport(&err);
	opts = vf_json_root(doc);

	PG_TRY();
	{
		struct stat sb;

		if (vf_json_get(opts, "ensemble") != NULL)
			build_ensemble(options_json, opts, out);
		else if (path == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("load_model needs a path for model \"%s\"", name),
					 errhint("Only ensembles ({\"ensemble\": ...} in options) are loaded without a file.")));
		/* before opening anything: opening a FIFO would block, a device might never end */
		else if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a regular file or directory", path)));
		/* a .db that is not SQLite gets the PredictDB reader's "not a SQLite database" */
		else if (is_sqlite_file(path) || pg_str_endswith(path, ".db"))
			build_predictdb(name, path, opts, max_bytes, out);
		else if (vf_model_path_is_fused(path, NULL))
			build_fused(name, path, max_bytes, out);
		else
			build_checkpoint(path, opts, max_bytes, out);
	}
	PG_FINALLY();
	{
		vf_json_free(doc);
	}
	PG_END_TRY();
}

void
vf_model_build_free(VfModelBuild *b)
{
	if (b->seg != NULL)
		dsm_detach(b->seg);
	else
		free(b->image);
	b->seg = NULL;
	b->image = NULL;
	b->size = 0;
}
