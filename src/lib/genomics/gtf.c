/*
 * gtf.c: one GTF line to a gene (plain C). Written for hostile input: every field is
 * bounds-checked, numbers must be plain decimal, and a malformed line is an error that
 * says which column is wrong rather than a silently skipped gene.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/genomics/gtf.h"

static bool
parse_pos(const char *s, int64_t *out)
{
	int64_t		v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (!isdigit((unsigned char) *s) || v > INT64_C(100000000000))
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/*
 * Splits GTF column 9 (`key "value"; key2 value2;`) in place and keeps the attributes a
 * gene needs (first occurrence wins). Returns false on an unterminated quote.
 */
static bool
parse_attributes(char *p, VfGtfGene *out)
{
	while (*p)
	{
		char	   *k,
				   *v;

		while (*p == ' ' || *p == ';')
			p++;
		if (!*p)
			break;
		k = p;
		while (*p && *p != ' ' && *p != ';')
			p++;
		if (*p != ' ')
		{
			/* a key without a value */
			if (*p)
				*p++ = '\0';
			continue;
		}
		*p++ = '\0';
		while (*p == ' ')
			p++;
		if (*p == '"')
		{
			v = ++p;
			while (*p && *p != '"')
				p++;
			if (!*p)
				return false;
			*p++ = '\0';
		}
		else
		{
			v = p;
			while (*p && *p != ';' && *p != ' ')
				p++;
			if (*p)
				*p++ = '\0';
		}
		if (strcmp(k, "gene_id") == 0 && out->gene_id == NULL)
			out->gene_id = v;
		else if (strcmp(k, "gene_name") == 0 && out->gene_name == NULL)
			out->gene_name = v;
		else if ((strcmp(k, "gene_type") == 0 || strcmp(k, "gene_biotype") == 0) && out->gene_type == NULL)
			out->gene_type = v;
	}
	return true;
}

int
vf_gtf_parse_line(char *line, VfGtfGene *out, VfError *err)
{
	char	   *col[9];
	int			n = 0;
	char	   *p = line;
	size_t		len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (len > VF_GTF_MAX_LINE)
		return vf_error(err, VF_ERR_CORRUPT, "GTF line longer than %d bytes", VF_GTF_MAX_LINE);

	col[n++] = p;
	while (*p && n < 9)
	{
		if (*p == '\t')
		{
			*p = '\0';
			col[n++] = p + 1;
		}
		p++;
	}
	if (n < 9)
		return vf_error(err, VF_ERR_CORRUPT, "GTF line has %d tab-separated columns, expected 9", n);
	if (strcmp(col[2], "gene") != 0)
		return 0;

	memset(out, 0, sizeof(*out));
	out->chrom = col[0];
	if (col[0][0] == '\0')
		return vf_error(err, VF_ERR_CORRUPT, "GTF gene line with an empty seqname (column 1)");
	if (!parse_pos(col[3], &out->start) || !parse_pos(col[4], &out->end) ||
		out->start < 1 || out->end < out->start)
		return vf_error(err, VF_ERR_CORRUPT, "GTF gene line on %s with bad coordinates \"%s\"-\"%s\" (columns 4-5)",
						col[0], col[3], col[4]);
	if (strcmp(col[6], "+") != 0 && strcmp(col[6], "-") != 0)
		return vf_error(err, VF_ERR_CORRUPT, "GTF gene line at %s:%s with strand \"%s\" (column 7), expected + or -",
						col[0], col[3], col[6]);
	out->strand = col[6][0];
	out->tss = out->strand == '+' ? out->start : out->end;
	if (!parse_attributes(col[8], out))
		return vf_error(err, VF_ERR_CORRUPT, "GTF gene line at %s:%s has an unterminated quote in its attributes",
						col[0], col[3]);
	if (out->gene_id == NULL || out->gene_id[0] == '\0')
		return vf_error(err, VF_ERR_CORRUPT, "GTF gene line at %s:%s without a gene_id attribute",
						col[0], col[3]);
	if (out->gene_name != NULL && out->gene_name[0] == '\0')
		out->gene_name = NULL;
	return 1;
}
