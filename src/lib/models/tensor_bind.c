/*
 * tensor_bind.c: binding weights to checkpoint tensors by name and shape (see tensor_bind.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tensor_bind.h"

const VfTensorView *
vf_bind_lookup(VfBinder *b, const char *name)
{
	char		full[256];

	snprintf(full, sizeof(full), "%s%s", b->prefix, name);
	return vf_checkpoint_tensor(b->ckpt, full);
}

static void
format_shape(char *buf, size_t size, int ndim, const int64_t *shape)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < ndim && used < size; i++)
		used += snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long) shape[i]);
}

static const float *
bind_va(VfBinder *b, bool optional, int ndim, const int64_t *shape, const char *fmt, va_list ap)
__attribute__((format(printf, 5, 0)));
static const float *
bind_va(VfBinder *b, bool optional, int ndim, const int64_t *shape, const char *fmt, va_list ap)
{
	char		name[200];
	const VfTensorView *t;
	bool		ok;

	if (b->failed)
		return NULL;
	vsnprintf(name, sizeof(name), fmt, ap);
	t = vf_bind_lookup(b, name);
	if (t == NULL)
	{
		if (optional)
			return NULL;
		b->failed = true;
		vf_error(b->err, VF_ERR_DATA, "checkpoint has no tensor \"%s%s\"", b->prefix, name);
		return NULL;
	}
	ok = t->ndim == ndim;
	for (int i = 0; ok && i < ndim; i++)
		ok = t->shape[i] == shape[i];
	if (!ok)
	{
		char		want[128];

		b->failed = true;
		format_shape(want, sizeof(want), ndim, shape);
		vf_error(b->err, VF_ERR_DATA, "tensor \"%s%s\" should have shape [%s]", b->prefix, name, want);
		vf_error_detail(b->err, "It has %d dimension(s), the first %lld.", t->ndim,
						(long long) (t->ndim > 0 ? t->shape[0] : 0));
		return NULL;
	}
	return t->data;
}

const float *
vf_bind_shape(VfBinder *b, bool optional, int ndim, const int64_t *shape, const char *fmt,...)
{
	va_list		ap;
	const float *p;

	va_start(ap, fmt);
	p = bind_va(b, optional, ndim, shape, fmt, ap);
	va_end(ap);
	return p;
}

const float *
vf_bind_need(VfBinder *b, int64_t d0, int64_t d1, const char *fmt,...)
{
	va_list		ap;
	const float *p;
	int64_t		shape[2] = {d0, d1};

	va_start(ap, fmt);
	p = bind_va(b, false, d1 < 0 ? 1 : 2, shape, fmt, ap);
	va_end(ap);
	return p;
}

const float *
vf_bind_maybe(VfBinder *b, int64_t d0, int64_t d1, const char *fmt,...)
{
	va_list		ap;
	const float *p;
	int64_t		shape[2] = {d0, d1};

	va_start(ap, fmt);
	p = bind_va(b, true, d1 < 0 ? 1 : 2, shape, fmt, ap);
	va_end(ap);
	return p;
}

int
vf_cfg_int(const VfJson *config, const char *key, int64_t dflt, int64_t lo, int64_t hi,
		   int *out, VfError *err)
{
	const VfJson *v = vf_json_get(config, key);

	if (v == NULL || v->type == VF_JSON_NULL)
	{
		if (dflt < lo)
			return vf_error(err, VF_ERR_DATA, "config.json has no \"%s\"", key);
		*out = (int) dflt;
		return 0;
	}
	if (v->type != VF_JSON_NUMBER || !v->is_integer || v->integer < lo || v->integer > hi)
		return vf_error(err, VF_ERR_DATA,
						"config.json \"%s\" must be an integer between %lld and %lld",
						key, (long long) lo, (long long) hi);
	*out = (int) v->integer;
	return 0;
}
