/*
 * varid.c: parsing PredictDB variant ids (plain C).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/scoring/predictdb.h"
#include "varid.h"

bool
vf_varid_allele_ok(char *a)
{
	if (a[0] == '\0')
		return false;
	for (char *c = a; *c; c++)
	{
		*c = (char) toupper((unsigned char) *c);
		if (*c != 'A' && *c != 'C' && *c != 'G' && *c != 'T')
			return false;
	}
	return true;
}

bool
vf_varid_parse(const char *s, char *buf, size_t bufsize, char *chrom, int64_t *pos,
			   char **ref, char **alt)
{
	char	   *f[5];
	int			n = 0;
	char	   *save = NULL,
			   *tok,
			   *end;
	size_t		len = strlen(s);

	if (len == 0 || len >= bufsize)
		return false;
	memcpy(buf, s, len + 1);
	for (tok = strtok_r(buf, "_", &save); tok; tok = strtok_r(NULL, "_", &save))
	{
		if (n == 5)
			return false;
		f[n++] = tok;
	}
	if (n < 4)
		return false;
	errno = 0;
	long long	p = strtoll(f[1], &end, 10);

	if (errno || *end || p < 1 || f[1][0] == '\0')
		return false;
	if (!vf_varid_allele_ok(f[2]) || !vf_varid_allele_ok(f[3]) || strlen(f[0]) >= 60)
		return false;
	vf_pdb_chrom_norm(f[0], chrom, 64);
	if (chrom[0] == '\0')
		return false;
	*pos = p;
	*ref = f[2];
	*alt = f[3];
	return true;
}
