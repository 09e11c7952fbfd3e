/* error.c: filling a VfError (plain C, no PostgreSQL). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "varformer/common/error.h"

int
vf_error(VfError *err, VfErrCode code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
vf_error_detail(VfError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
vf_error_hint(VfError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void
vf_error_clear(VfError *err)
{
	memset(err, 0, sizeof(*err));
}
