/*
 * string_pool.c: interned strings in one buffer (open addressing over their offsets).
 */
#include <stdlib.h>
#include <string.h>

#include "predictdb_image.h"
#include "string_pool.h"

int
vf_string_pool_init(VfStringPool *p, VfError *err)
{
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->buf = malloc(p->cap);
	p->n_slot = 1024;
	p->slots = calloc(p->n_slot, sizeof(uint32_t));
	if (!p->buf || !p->slots)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	p->buf[0] = '\0';			/* offset 0 is the empty string */
	p->len = 1;
	return 0;
}

void
vf_string_pool_free(VfStringPool *p)
{
	free(p->buf);
	free(p->slots);
}

static int
grow_slots(VfStringPool *p, VfError *err)
{
	size_t		n = p->n_slot * 2;
	uint32_t   *s = calloc(n, sizeof(uint32_t));

	if (!s)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	for (size_t i = 0; i < p->n_slot; i++)
	{
		if (p->slots[i] == 0)
			continue;
		size_t		j = vf_pdb_hash(p->buf + p->slots[i] - 1, 0) & (n - 1);

		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = s;
	p->n_slot = n;
	return 0;
}

/* Appends key (len bytes and its NUL) to the buffer; its offset, or -1 with err. */
static int64_t
append(VfStringPool *p, const char *key, size_t len, VfError *err)
{
	int64_t		off;

	if (p->len + len + 1 > UINT32_MAX - 1)
		return vf_error(err, VF_ERR_LIMIT, "PredictDB strings exceed 4 GB");
	if (p->len + len + 1 > p->cap)
	{
		size_t		cap = p->cap;
		char	   *b;

		while (p->len + len + 1 > cap)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
			return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
		p->buf = b;
		p->cap = cap;
	}
	off = (int64_t) p->len;
	memcpy(p->buf + off, key, len + 1);
	p->len += len + 1;
	return off;
}

int64_t
vf_string_pool_intern(VfStringPool *p, const char *s, size_t len, VfError *err)
{
	char		tmp[64];
	char	   *key = len < sizeof(tmp) ? tmp : malloc(len + 1);
	int64_t		off = -1;
	size_t		j;

	if (len == 0)
		return 0;
	if (!key)
		return vf_error(err, VF_ERR_NOMEM, "out of memory reading a PredictDB file");
	memcpy(key, s, len);
	key[len] = '\0';
	if ((p->n_used + 1) * 2 > p->n_slot && grow_slots(p, err) < 0)
		goto done;
	for (j = vf_pdb_hash(key, 0) & (p->n_slot - 1); p->slots[j]; j = (j + 1) & (p->n_slot - 1))
	{
		if (strcmp(p->buf + p->slots[j] - 1, key) == 0)
		{
			off = p->slots[j] - 1;
			goto done;
		}
	}
	off = append(p, key, len, err);
	if (off >= 0)
	{
		p->slots[j] = (uint32_t) off + 1;
		p->n_used++;
	}
done:
	if (key != tmp)
		free(key);
	return off;
}
