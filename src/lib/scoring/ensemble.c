/*
 * ensemble.c: a fixed-weight combination of other loaded models (plain C).
 *
 * Declared through load_model's options (the model store treats any options with an
 * "ensemble" member as an ensemble, loaded without a file), e.g.
 *   {"ensemble": {"fused_blood": 0.7, "enet_blood": 0.3}}
 *   {"ensemble": [{"model": "fused_blood", "weight": 0.7}, ...], "intercept": 0.1}
 * The image only names the members: they are resolved at prediction time, so an ensemble
 * follows a member that is reloaded (a model name denotes fixed content, so that is safe).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/scoring/ensemble.h"

#define VF_ENS_MAGIC "VFENS01"
#define MAX_NAME 63				/* NAMEDATALEN - 1: model names are SQL names */

typedef struct EnsHeader
{
	char		magic[8];
	uint32_t	n_member;
	uint32_t	pad;
	double		intercept;
	uint64_t	total_size;
} EnsHeader;

typedef struct EnsMember
{
	double		weight;
	char		name[MAX_NAME + 1];
} EnsMember;

static const VfJson *
member_of(const VfJson *obj, const char *key)
{
	if (obj == NULL || obj->type != VF_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

static int
add_member(EnsMember *m, uint32_t *n, const char *name, size_t len, const VfJson *w, VfError *err)
{
	if (len == 0 || len > MAX_NAME || strlen(name) != len)
		return vf_error(err, VF_ERR_INVALID, "ensemble member name \"%s\" must be 1 to %d bytes",
						name, MAX_NAME);
	if (w == NULL || w->type != VF_JSON_NUMBER || !isfinite(w->number))
		return vf_error(err, VF_ERR_INVALID, "ensemble member \"%s\" needs a finite numeric weight", name);
	for (uint32_t i = 0; i < *n; i++)
		if (strcmp(m[i].name, name) == 0)
			return vf_error(err, VF_ERR_INVALID, "ensemble member \"%s\" is listed twice", name);
	if (*n == VF_ENSEMBLE_MAX_MEMBERS)
		return vf_error(err, VF_ERR_LIMIT, "an ensemble has at most %d members", VF_ENSEMBLE_MAX_MEMBERS);
	memcpy(m[*n].name, name, len + 1);
	m[*n].weight = w->number;
	(*n)++;
	return 0;
}

int
vf_ensemble_image_build(const VfJson *options, void **image, size_t *size, VfError *err)
{
	const VfJson *members = member_of(options, "ensemble");
	const VfJson *icpt = member_of(options, "intercept");
	EnsMember	m[VF_ENSEMBLE_MAX_MEMBERS];
	uint32_t	n = 0;
	EnsHeader  *h;
	size_t		total;

	*image = NULL;
	*size = 0;
	memset(m, 0, sizeof(m));
	if (members == NULL)
	{
		vf_error(err, VF_ERR_INVALID, "an ensemble needs \"ensemble\" in load_model's options");
		vf_error_hint(err, "e.g. {\"ensemble\": {\"fused_blood\": 0.7, \"enet_blood\": 0.3}}");
		return -1;
	}
	if (members->type == VF_JSON_OBJECT)
	{
		for (size_t i = 0; i < members->len; i++)
			if (add_member(m, &n, members->keys[i], members->key_lens[i], &members->items[i], err) < 0)
				return -1;
	}
	else if (members->type == VF_JSON_ARRAY)
	{
		for (size_t i = 0; i < members->len; i++)
		{
			const VfJson *e = &members->items[i];
			const VfJson *name = member_of(e, "model");

			if (name == NULL || name->type != VF_JSON_STRING)
				return vf_error(err, VF_ERR_INVALID, "ensemble member %zu needs a \"model\" name (a string)", i + 1);
			if (add_member(m, &n, name->str, name->len, member_of(e, "weight"), err) < 0)
				return -1;
		}
	}
	else
	{
		vf_error(err, VF_ERR_INVALID, "\"ensemble\" must list the members: an object {name: weight} or an array");
		vf_error_hint(err, "e.g. {\"ensemble\": {\"fused_blood\": 0.7, \"enet_blood\": 0.3}}");
		return -1;
	}
	if (n == 0)
		return vf_error(err, VF_ERR_INVALID, "an ensemble needs at least one member");
	if (icpt != NULL && icpt->type != VF_JSON_NULL &&
		(icpt->type != VF_JSON_NUMBER || !isfinite(icpt->number)))
		return vf_error(err, VF_ERR_INVALID, "ensemble \"intercept\" must be a finite number");

	total = sizeof(EnsHeader) + n * sizeof(EnsMember);
	h = calloc(1, total);
	if (!h)
		return vf_error(err, VF_ERR_NOMEM, "out of memory building an ensemble");
	memcpy(h->magic, VF_ENS_MAGIC, 8);
	h->n_member = n;
	h->intercept = (icpt && icpt->type == VF_JSON_NUMBER) ? icpt->number : 0.0;
	h->total_size = total;
	memcpy(h + 1, m, n * sizeof(EnsMember));
	*image = h;
	*size = total;
	return 0;
}

int
vf_ensemble_image_check(const void *image, size_t size, VfError *err)
{
	const EnsHeader *h = image;

	if (image == NULL || size < sizeof(EnsHeader) || memcmp(h->magic, VF_ENS_MAGIC, 8) != 0 ||
		h->n_member == 0 || h->n_member > VF_ENSEMBLE_MAX_MEMBERS ||
		sizeof(EnsHeader) + h->n_member * sizeof(EnsMember) > size)
		return vf_error(err, VF_ERR_CORRUPT, "model image is not an ensemble image");
	for (uint32_t i = 0; i < h->n_member; i++)
		if (memchr(((const EnsMember *) (h + 1))[i].name, '\0', MAX_NAME + 1) == NULL)
			return vf_error(err, VF_ERR_CORRUPT, "ensemble image is corrupt");
	return 0;
}

uint32_t
vf_ensemble_n_members(const void *image)
{
	return ((const EnsHeader *) image)->n_member;
}

const char *
vf_ensemble_member(const void *image, uint32_t i, double *weight)
{
	const EnsMember *m = (const EnsMember *) ((const EnsHeader *) image + 1) + i;

	*weight = m->weight;
	return m->name;
}

double
vf_ensemble_intercept(const void *image)
{
	return ((const EnsHeader *) image)->intercept;
}
