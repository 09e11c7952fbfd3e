/* gtf_test.c: the GTF line parser takes GENCODE and Ensembl gene lines and rejects bad ones. */
#include <stdio.h>
#include <string.h>

#include "varformer/genomics/gtf.h"

static int	failures = 0;

static void
check(int cond, const char *what)
{
	if (!cond)
	{
		printf("FAIL %s\n", what);
		failures++;
	}
}

static int
parse(const char *text, VfGtfGene *g, VfError *err)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s", text);
	return vf_gtf_parse_line(buf, g, err);
}

int
main(void)
{
	VfGtfGene	g;
	VfError		err;

	check(parse("chr22\tHAVANA\tgene\t101\t400\t.\t+\t.\tgene_id \"ENSG00000100030.15\"; gene_type \"protein_coding\"; gene_name \"MAPK1\"; level 2;", &g, &err) == 1,
		  "GENCODE gene line");
	check(strcmp(g.chrom, "chr22") == 0 && g.start == 101 && g.end == 400 && g.strand == '+' && g.tss == 101,
		  "GENCODE coordinates");
	check(strcmp(g.gene_id, "ENSG00000100030.15") == 0 && strcmp(g.gene_name, "MAPK1") == 0 &&
		  strcmp(g.gene_type, "protein_coding") == 0, "GENCODE attributes");

	check(parse("22\tensembl_havana\tgene\t600\t1100\t.\t-\t.\tgene_id \"ENSG00000099999\"; gene_version \"3\"; gene_biotype \"lncRNA\";\r", &g, &err) == 1,
		  "Ensembl gene line with CRLF");
	check(g.tss == 1100 && g.gene_name == NULL && strcmp(g.gene_type, "lncRNA") == 0 &&
		  strcmp(g.gene_id, "ENSG00000099999") == 0, "Ensembl minus strand, no name, biotype");

	check(parse("chr1\tX\tgene\t5\t9\t.\t+\t.\tgene_id x1;gene_name  \"with space\";", &g, &err) == 1 &&
		  strcmp(g.gene_id, "x1") == 0 && strcmp(g.gene_name, "with space") == 0, "unquoted value, odd spacing");

	check(parse("#!genome-build GRCh38", &g, &err) == 0, "comment");
	check(parse("", &g, &err) == 0, "blank");
	check(parse("chr22\tHAVANA\texon\t101\t180\t.\t+\t.\tgene_id \"G\";", &g, &err) == 0, "other feature");

	check(parse("chr22\tHAVANA\tgene\t101", &g, &err) == -1 && err.code == VF_ERR_CORRUPT, "too few columns");
	check(parse("chr22\tH\tgene\t10x\t400\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "bad start");
	check(parse("chr22\tH\tgene\t400\t100\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "end before start");
	check(parse("chr22\tH\tgene\t0\t100\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "start 0");
	check(parse("chr22\tH\tgene\t1\t99999999999999999999\t.\t+\t.\tgene_id \"G\";", &g, &err) == -1, "huge end");
	check(parse("chr22\tH\tgene\t1\t100\t.\t?\t.\tgene_id \"G\";", &g, &err) == -1, "bad strand");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_name \"N\";", &g, &err) == -1, "no gene_id");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_id \"G", &g, &err) == -1, "unterminated quote");
	check(parse("chr22\tH\tgene\t1\t100\t.\t+\t.\tgene_id", &g, &err) == -1, "key without value");

	printf("%s\n", failures ? "gtf_test: FAILED" : "gtf_test: ok");
	return failures ? 1 : 0;
}
