/* region.c: "chrom:start-end" strings into VfRegion (plain C, no PostgreSQL). */
#include <ctype.h>
#include <string.h>

#include "varformer/common/region.h"

#define REGION_HINT "Write a region as chrom, chrom:start or chrom:start-end, e.g. 22:100-200 or 22:1,000,000-2,000,000."

/*
 * Parses a position in [s, e): digits with optional ',' thousands separators.
 * Returns 0 and *out, or -1 when it is not a number or too large.
 */
static int
parse_pos(const char *s, const char *e, int64_t *out)
{
	int64_t		v = 0;
	int			ndigit = 0;

	if (s >= e || *s == ',')
		return -1;
	for (; s < e; s++)
	{
		if (*s == ',')
		{
			if (s + 1 >= e || s[1] == ',')
				return -1;
			continue;
		}
		if (!isdigit((unsigned char) *s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > VF_POS_MAX)
			return -1;
		ndigit++;
	}
	*out = v;
	return ndigit > 0 ? 0 : -1;
}

static int
bad_region(VfError *err, const char *s, const char *what)
{
	vf_error(err, VF_ERR_SYNTAX, "region \"%.300s\" %s", s, what);
	vf_error_hint(err, REGION_HINT);
	return -1;
}

int
vf_region_parse(const char *s, VfRegion *out, VfError *err)
{
	const char *colon;
	const char *dash;
	const char *end = s + strlen(s);
	size_t		chrom_len;

	memset(out, 0, sizeof(*out));
	out->start = 1;
	out->end = VF_REGION_OPEN_END;
	if (*s == '\0')
		return bad_region(err, s, "is empty");
	for (const char *p = s; p < end; p++)
		if (isspace((unsigned char) *p) || !isprint((unsigned char) *p))
			return bad_region(err, s, "contains whitespace or a control character");

	/*
	 * Everything after the last ':' must be a range. (A contig whose name contains ':'
	 * therefore needs an explicit range: HLA-A*01:01:1-3000.)
	 */
	colon = strrchr(s, ':');
	if (colon != NULL)
	{
		if (colon[1] == '\0')
			return bad_region(err, s, "has nothing after ':'");
		for (const char *p = colon + 1; *p; p++)
			if (!isdigit((unsigned char) *p) && *p != ',' && *p != '-')
				return bad_region(err, s, "has a malformed range after ':'");
	}
	chrom_len = colon ? (size_t) (colon - s) : strlen(s);
	if (chrom_len == 0)
		return bad_region(err, s, "has no contig name before ':'");
	if (chrom_len > VF_CHROM_MAX)
		return bad_region(err, s, "has a contig name longer than 255 bytes");
	memcpy(out->chrom, s, chrom_len);
	out->chrom[chrom_len] = '\0';
	if (colon == NULL)
		return 0;

	dash = strchr(colon + 1, '-');
	if (parse_pos(colon + 1, dash ? dash : end, &out->start) != 0)
		return bad_region(err, s, "has an invalid start position");
	if (dash != NULL && dash + 1 < end && parse_pos(dash + 1, end, &out->end) != 0)
		return bad_region(err, s, "has an invalid end position");
	if (out->start < 1)
		return bad_region(err, s, "starts at 0, but positions are 1-based");
	if (out->end < out->start)
		return bad_region(err, s, "ends before it starts");
	return 0;
}
