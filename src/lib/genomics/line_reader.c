/*
 * line_reader.c: capped line reading over BGZF (see line_reader.h for why not bgzf_getline).
 * bgzf_read reads plain files as well as compressed ones.
 */
#include <stdlib.h>
#include <string.h>

#include "varformer/genomics/line_reader.h"

void
vf_line_reader_init(VfLineReader *r, BGZF *fp, size_t cap)
{
	r->fp = fp;
	r->cap = cap;
	r->line = NULL;
	r->len = 0;
	r->alloc = 0;
	r->pos = 0;
	r->end = 0;
}

/* Appends n bytes to the line; the cap was checked by the caller. */
static int
append(VfLineReader *r, const char *p, size_t n)
{
	if (r->len + n + 1 > r->alloc)
	{
		size_t		want = r->alloc ? r->alloc : 256;
		char	   *grown;

		while (want < r->len + n + 1)
			want *= 2;
		grown = realloc(r->line, want);
		if (grown == NULL)
			return VF_LINE_NO_MEMORY;
		r->line = grown;
		r->alloc = want;
	}
	memcpy(r->line + r->len, p, n);
	r->len += n;
	r->line[r->len] = '\0';
	return 0;
}

int
vf_line_reader_next(VfLineReader *r)
{
	int			any = 0;

	r->len = 0;
	if (append(r, "", 0) != 0)
		return VF_LINE_NO_MEMORY;
	for (;;)
	{
		char	   *nl;
		size_t		n;

		if (r->pos == r->end)
		{
			ssize_t		got = bgzf_read(r->fp, r->buf, sizeof(r->buf));

			if (got < 0)
				return VF_LINE_IO_ERROR;
			if (got == 0)
				break;
			r->pos = 0;
			r->end = (size_t) got;
		}
		any = 1;
		nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
		n = (nl ? (size_t) (nl - r->buf) : r->end) - r->pos;
		/* one byte more than the cap may be a "\r" that the ending drops */
		if (r->len + n > r->cap + 1)
			return VF_LINE_TOO_LONG;
		if (append(r, r->buf + r->pos, n) != 0)
			return VF_LINE_NO_MEMORY;
		r->pos += n;
		if (nl)
		{
			r->pos++;
			break;
		}
	}
	if (!any)
		return VF_LINE_EOF;
	if (r->len > 0 && r->line[r->len - 1] == '\r')
		r->line[--r->len] = '\0';
	if (r->len > r->cap)
		return VF_LINE_TOO_LONG;
	return 1;
}

void
vf_line_reader_free(VfLineReader *r)
{
	free(r->line);
	r->line = NULL;
	r->alloc = 0;
}
