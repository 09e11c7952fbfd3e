/*
 * json.h: a small, hostile-input-safe JSON reader (plain C).
 *
 * Used for safetensors headers, config.json, tokenizer.json and load_model options.
 * The whole document lives in one arena: vf_json_free() releases everything at once,
 * so in-server callers free it in a PG_FINALLY or let it go with the error.
 * Limits: nesting depth VF_JSON_MAX_DEPTH, input size set by the caller.
 */
#ifndef VARFORMER_JSON_H
#define VARFORMER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"

#define VF_JSON_MAX_DEPTH 128

typedef enum VfJsonType
{
	VF_JSON_NULL,
	VF_JSON_BOOL,
	VF_JSON_NUMBER,
	VF_JSON_STRING,
	VF_JSON_ARRAY,
	VF_JSON_OBJECT
} VfJsonType;

typedef struct VfJson VfJson;
struct VfJson
{
	VfJsonType	type;
	bool		boolean;
	double		number;
	bool		is_integer;		/* number written without fraction/exponent and fits int64 */
	int64_t		integer;
	const char *str;			/* STRING: NUL-terminated, decoded UTF-8 (may contain \0: use len) */
	size_t		len;			/* STRING: bytes; ARRAY/OBJECT: element count */
	VfJson	   *items;			/* ARRAY/OBJECT: elements in document order */
	const char **keys;			/* OBJECT: keys[i] names items[i] */
	size_t	   *key_lens;
};

typedef struct VfJsonDoc VfJsonDoc;

/* Parses text[0..len). Returns NULL and fills err on malformed input or allocation failure. */
VfJsonDoc  *vf_json_parse(const char *text, size_t len, VfError *err);
const VfJson *vf_json_root(const VfJsonDoc *doc);
void		vf_json_free(VfJsonDoc *doc);

/* Object member by key (first match), or NULL when absent or obj is not an object. */
const VfJson *vf_json_get(const VfJson *obj, const char *key);
/* Typed accessors with a default for absent/null members. */
double		vf_json_get_number(const VfJson *obj, const char *key, double dflt);
int64_t		vf_json_get_int(const VfJson *obj, const char *key, int64_t dflt);
bool		vf_json_get_bool(const VfJson *obj, const char *key, bool dflt);
const char *vf_json_get_string(const VfJson *obj, const char *key, const char *dflt);

#endif
