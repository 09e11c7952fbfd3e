/*
 * model_hash.c: a model's content sha256, the one definition (what the catalog records, the
 * models view shows and a load is compared with):
 *   - an ensemble (options with an "ensemble" member): the sha256 of its options text;
 *   - a file: what sha256sum prints for it;
 *   - a directory: the sha256 of the output of
 *       sha256sum config.json WEIGHTS tokenizer.json vocab.txt
 *     over the files present, in that order (so `... | sha256sum` in the directory gives it),
 *     WEIGHTS being the weights file (weights_file: model.safetensors, else pytorch_model.bin),
 *     followed, for a fused model, by the same lines for encoder/config.json, encoder/WEIGHTS,
 *     encoder/tokenizer.json, encoder/vocab.txt: one name denotes both checkpoints.
 * Any other model has none (all zero bytes).
 *
 * The digest of each file comes from the caller when it hashed the bytes while loading them
 * (model_load.c's single pass over a checkpoint), else from reading the file.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "varformer/checkpoint/checkpoint_format.h"
#include "varformer/common/json.h"
#include "common/error_report.h"
#include "store/model_registry.h"

/* The weights file of a model directory: the one a load streams (model_load.c). */
static const char *
weights_file(const char *dir)
{
	return vf_checkpoint_weights_file(dir);
}

static bool
is_ensemble(const char *options_json)
{
	VfError		err;
	VfJsonDoc  *doc;
	bool		ensemble;

	vf_error_clear(&err);
	doc = vf_json_parse(options_json, strlen(options_json), &err);
	if (doc == NULL)
		vf_ereport(&err);
	ensemble = vf_json_get(vf_json_root(doc), "ensemble") != NULL;
	vf_json_free(doc);
	return ensemble;
}

/* The digest of path read from disk; false when it does not exist. */
static bool
read_digest(void *arg, const char *path, const char *file, bool weights, uint8 *out)
{
	return vf_sha256_file(path, out, NULL);
}

void
vf_model_content_sha256(const char *path, const char *options_json, uint8 *out)
{
	if (is_ensemble(options_json))
		vf_sha256_buffer(options_json, strlen(options_json), out);
	else if (path != NULL)
		vf_model_files_sha256(path, NULL, NULL, out);
	else
		memset(out, 0, VF_SHA256_LEN);
}

void
vf_model_files_sha256(const char *path, VfFileDigestFn digest, void *arg, uint8 *out)
{
	struct stat st;
	pg_cryptohash_ctx *listing;

	if (digest == NULL)
		digest = read_digest;
	/* before opening anything: opening a FIFO would block, a device might never end */
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file or directory", path)));
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
	{
		if (!digest(arg, path, NULL, true, out))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open file \"%s\": %m", path)));
		return;
	}
	listing = vf_sha256_begin();
	/* the second round: a fused model's encoder/ (absent elsewhere: no lines) */
	for (int i = 0; i < 8; i++)
	{
		const char *dir = i < 4 ? path : psprintf("%s/encoder", path);
		const char *base = i % 4 == 0 ? "config.json" : i % 4 == 1 ? weights_file(dir) :
			i % 4 == 2 ? "tokenizer.json" : "vocab.txt";
		const char *file = i < 4 ? base : psprintf("encoder/%s", base);
		char	   *p = psprintf("%s/%s", path, file);
		uint8		h[VF_SHA256_LEN];

		if (digest(arg, p, file, i == 1, h))
		{
			char	   *line = psprintf("%s  %s\n", vf_sha256_hex(h), file);

			vf_sha256_update(listing, line, strlen(line));
			pfree(line);
		}
		pfree(p);
	}
	vf_sha256_end(listing, out);
}
