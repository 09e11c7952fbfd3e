/*
 * haplotype_driver.c: runs the plain-C haplotype builder outside the server, reading the
 * VCF with htslib directly, so its output can be compared with bcftools consensus on
 * thousands of random cases (test/checks/30_haplotype_unit.sh). Not the SQL path: that
 * one is compared in test/checks/30_haplotype_bcftools.sh.
 *
 *   haplotype_driver REF.fa VCF SAMPLE HAP CHROM START END [map]
 * prints the haplotype sequence on one line (and with "map", then one line per reference
 * position: "pos offset").
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/faidx.h>
#include <htslib/vcf.h>

#include "varformer/genomics/haplotype.h"

int
main(int argc, char **argv)
{
	if (argc < 8)
	{
		fprintf(stderr, "usage: %s REF.fa VCF SAMPLE HAP CHROM START END [map]\n", argv[0]);
		return 2;
	}
	const char *chrom = argv[5];
	int			hap = atoi(argv[4]);
	int64_t		start = atoll(argv[6]),
				end = atoll(argv[7]);
	faidx_t    *fai = fai_load(argv[1]);
	htsFile    *fp = hts_open(argv[2], "r");
	bcf_hdr_t  *hdr;
	bcf1_t	   *rec = bcf_init();
	int			isample;
	VfCall	   *call = NULL;
	int			n = 0,
				cap = 0;
	int32_t    *gt = NULL;
	int			ngt = 0;

	if (!fai || !fp)
	{
		fprintf(stderr, "cannot open inputs\n");
		return 2;
	}
	hdr = bcf_hdr_read(fp);
	isample = bcf_hdr_id2int(hdr, BCF_DT_SAMPLE, argv[3]);
	if (isample < 0)
	{
		fprintf(stderr, "no sample %s\n", argv[3]);
		return 2;
	}
	while (bcf_read(fp, hdr, rec) == 0)
	{
		VfCall	   *c;
		int			nsmpl = bcf_hdr_nsamples(hdr);
		int			ploidy;

		if (strcmp(bcf_seqname(hdr, rec), chrom) != 0 || rec->pos + 1 < start || rec->pos + 1 > end)
			continue;
		bcf_unpack(rec, BCF_UN_ALL);
		if (n == cap)
		{
			cap = cap ? cap * 2 : 64;
			call = realloc(call, sizeof(VfCall) * cap);
		}
		c = &call[n++];
		memset(c, 0, sizeof(*c));
		c->pos = rec->pos + 1;
		c->rlen = rec->rlen;
		c->n_allele = rec->n_allele;
		c->allele = malloc(sizeof(char *) * rec->n_allele);
		for (int i = 0; i < rec->n_allele; i++)
		{
			char	   *a = strdup(rec->d.allele[i]);

			if (a[0] != '<')
				for (char *p = a; *p; p++)
					*p = toupper((unsigned char) *p);
			c->allele[i] = a;
		}
		c->gt[0] = c->gt[1] = VF_ALLELE_MISSING;
		if ((ploidy = bcf_get_genotypes(hdr, rec, &gt, &ngt)) > 0)
		{
			ploidy /= nsmpl;
			for (int k = 0; k < 2; k++)
			{
				int32_t		v;

				if (k >= ploidy || (v = gt[isample * ploidy + k]) == bcf_int32_vector_end)
					c->gt[k] = VF_ALLELE_NONE;
				else if (bcf_gt_is_missing(v))
					c->gt[k] = VF_ALLELE_MISSING;
				else
					c->gt[k] = bcf_gt_allele(v);
			}
		}
	}
	{
		VfCalls		calls = {chrom, start, end, n, call, false};	/* haplotypes read no coverage */
		VfHaplotype h;
		VfError		err;
		hts_pos_t	len;
		char	   *ref = faidx_fetch_seq64(fai, chrom, start - 1, end - 1, &len);

		if (vf_haplotype_build(&calls, hap, ref, start, end, &h, &err) != 0)
		{
			printf("ERROR: %s\n", err.msg);
			return 1;
		}
		printf("%s\n", h.seq);

		/*
		 * The map's invariants: non-decreasing, inside the sequence, and a reference base
		 * that no record touches is found where the map puts it.
		 */
		if (end - start < 100000 || argc > 8)
		{
			int64_t		prev = -1;

			for (int64_t p = start; p <= end; p++)
			{
				int64_t		o = vf_haplotype_map(&h, p);
				bool		touched = false;

				for (int i = 0; i < n; i++)
					if (call[i].pos <= p && p < call[i].pos + (int64_t) strlen(call[i].allele[0]))
						touched = true;
				if (o < prev || o > (int64_t) h.len ||
					(!touched && (o >= (int64_t) h.len || h.seq[o] != ref[p - start])))
				{
					fprintf(stderr, "map invariant broken at %lld -> %lld (prev %lld, len %zu)\n",
							(long long) p, (long long) o, (long long) prev, h.len);
					return 3;
				}
				prev = o;
				if (argc > 8)
					printf("%lld %lld\n", (long long) p, (long long) o);
			}
		}
		vf_haplotype_free(&h);
		free(ref);
	}
	return 0;
}
