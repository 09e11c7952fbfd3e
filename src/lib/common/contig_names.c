/* contig_names.c: contig lookup with a precise message for naming-convention mismatches. */
#include <stdio.h>
#include <string.h>

#include "varformer/common/contig_names.h"

static int
find_exact(const char *want, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], want) == 0)
			return i;
	return -1;
}

static int
is_mito(const char *s)
{
	return strcmp(s, "M") == 0 || strcmp(s, "MT") == 0 ||
		strcmp(s, "chrM") == 0 || strcmp(s, "chrMT") == 0;
}

const char *
vf_contig_alias(const char *want, const char *const *names, int n)
{
	char		buf[300];
	int			i;

	if (is_mito(want))
	{
		for (i = 0; i < n; i++)
			if (names[i] != NULL && is_mito(names[i]) && strcmp(names[i], want) != 0)
				return names[i];
		return NULL;
	}
	if (strncmp(want, "chr", 3) == 0 && want[3] != '\0')
		i = find_exact(want + 3, names, n);
	else
	{
		if (strlen(want) > sizeof(buf) - 4)
			return NULL;
		snprintf(buf, sizeof(buf), "chr%s", want);
		i = find_exact(buf, names, n);
	}
	return i >= 0 ? names[i] : NULL;
}

int
vf_contig_not_found(const char *what, const char *want,
					const char *const *names, int n, VfError *err)
{
	const char *alias = vf_contig_alias(want, names, n);

	vf_error(err, VF_ERR_NOT_FOUND, "contig \"%s\" is not in the %s", want, what);
	if (alias != NULL)
	{
		vf_error_detail(err, "The %s names contigs like \"%s\"; you asked for \"%s\".", what, alias, want);
		vf_error_hint(err, "Ask for \"%s\" instead.", alias);
	}
	else if (n == 0)
		vf_error_detail(err, "The %s declares no contigs.", what);
	else
	{
		char		list[400];
		size_t		used = 0;
		int			shown = 0;

		list[0] = '\0';
		for (int i = 0; i < n && shown < 5; i++)
		{
			int			w;

			if (names[i] == NULL)
				continue;
			w = snprintf(list + used, sizeof(list) - used, "%s\"%s\"", shown ? ", " : "", names[i]);
			if (w < 0 || (size_t) w >= sizeof(list) - used)
				break;
			used += w;
			shown++;
		}
		vf_error_detail(err, "The %s has %d contig%s: %s%s.", what, n, n == 1 ? "" : "s",
						list, n > shown ? ", ..." : "");
	}
	return -1;
}

int
vf_contig_find(const char *what, const char *want,
			   const char *const *names, int n, VfError *err)
{
	int			i = find_exact(want, names, n);

	if (i >= 0)
		return i;
	return vf_contig_not_found(what, want, names, n, err);
}
