/*
 * predictdb_bench.c: PredictDB scoring per genotype outside the server, by phase, on the data
 * of test/bench/60_predictdb.sh (its model, sites and simulated dosages), so the phases of
 * predict_expression's work can be timed (CPU time) and profiled without PostgreSQL around:
 *   decode : vf_calls_decode_pos of a stored genotype (what predict_expression decodes for a
 *            varID-keyed model), and for comparison vf_calls_decode_no_ids (every call in full)
 *   match  : vf_pdb_scratch_set_pos_calls (set_calls for the full form), the sample matched
 *            against the whole model
 *   genes  : every gene of the model looked up by id and scored (vf_pdb_score_grex)
 *   build/bench/predictdb_bench MODEL.db DOSAGES.npy SITES.tsv [SAMPLES [ROUNDS [pos]]]
 * (make bench writes the three files under build/generated/bench/predictdb/.) Under
 * valgrind --tool=callgrind --branch-sim=yes it counts instructions and mispredicted
 * branches per phase, which a shared machine's clock cannot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "varformer/scoring/predictdb.h"
#include "varformer/types/genotype_codec.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
die(const char *what, const VfError *err)
{
	fprintf(stderr, "%s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

typedef struct Site
{
	int64_t		pos;
	char		id[32];
	char		ref[8];
	char		alt[8];
} Site;

int
main(int argc, char **argv)
{
	VfError		err;
	void	   *img;
	size_t		size;
	FILE	   *f;
	Site	   *sites = NULL;
	int			n_site = 0,
				cap = 0;
	char		line[512];
	uint8_t    *dos;
	long		n_sample_file;
	int			n_sample = argc > 4 ? atoi(argv[4]) : 500;
	int			rounds = argc > 5 ? atoi(argv[5]) : 5;
	int			n_form = argc > 6 && strcmp(argv[6], "pos") == 0 ? 1 : 2;	/* "pos": that form only */
	VfBuf	   *geno;
	VfPdbInfo	info;
	const char **gene_id;
	double		best_decode = 1e9,
				best_match = 1e9,
				best_genes = 1e9,
				checksum = 0;
	VfPdbScratch *s;

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s MODEL.db DOSAGES.npy SITES.tsv [SAMPLES [ROUNDS]]\n", argv[0]);
		return 2;
	}
	if (vf_predictdb_image_build(argv[1], NULL, &img, &size, 0, &err) < 0)
		die("model", &err);
	vf_pdb_image_info(img, &info);

	if ((f = fopen(argv[3], "r")) == NULL)
		die(argv[3], NULL);
	while (fgets(line, sizeof(line), f))
	{
		char		chrom[32];
		long long	pos;

		if (n_site == cap)
		{
			cap = cap ? cap * 2 : 1024;
			sites = realloc(sites, cap * sizeof(Site));
		}
		if (sscanf(line, "%31s %lld %31s %7s %7s", chrom, &pos, sites[n_site].id,
				   sites[n_site].ref, sites[n_site].alt) != 5)
			die("sites line", NULL);
		sites[n_site++].pos = pos;
	}
	fclose(f);

	/* the .npy: uint8 dosages in 64ths, sites x samples, C order */
	{
		long		len;
		unsigned	hlen;
		char	   *hdr;

		if ((f = fopen(argv[2], "rb")) == NULL)
			die(argv[2], NULL);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		dos = malloc(len);
		fseek(f, 0, SEEK_SET);
		if (fread(dos, 1, len, f) != (size_t) len)
			die("npy read", NULL);
		fclose(f);
		hlen = dos[8] | dos[9] << 8;
		hdr = (char *) dos + 10;
		if (memcmp(dos, "\x93NUMPY", 6) != 0 || dos[6] != 1 || strstr(hdr, "'|u1'") == NULL)
			die("npy: expected version 1, dtype |u1", NULL);
		n_sample_file = (len - 10 - hlen) / n_site;
		dos += 10 + hlen;
	}
	if (n_sample > n_sample_file)
		n_sample = (int) n_sample_file;

	/* the genotypes as stored (GT from the dosage, DS exact in 64ths) */
	geno = calloc(n_sample, sizeof(VfBuf));
	{
		VfCall	   *calls = calloc(n_site, sizeof(VfCall));
		const char **al = calloc(2 * n_site, sizeof(char *));
		float	   *ds = calloc(n_site, sizeof(float));

		for (int j = 0; j < n_sample; j++)
		{
			VfCalls		cs = {"chr22", 1, sites[n_site - 1].pos + 100, n_site, calls, false};

			for (int i = 0; i < n_site; i++)
			{
				int			d = dos[(long) i * n_sample_file + j];

				al[2 * i] = sites[i].ref;
				al[2 * i + 1] = sites[i].alt;
				ds[i] = d / 64.0f;
				calls[i] = (VfCall) {sites[i].pos, sites[i].id, 2, &al[2 * i],
				{d >= 96, d >= 32}, true, &ds[i], 1};
			}
			vf_buf_init(&geno[j], NULL);
			if (vf_calls_encode(&cs, &geno[j], &err) < 0)
				die("encode", &err);
		}
		free(calls);
		free(al);
		free(ds);
	}

	gene_id = calloc(info.n_gene, sizeof(char *));
	for (uint32_t g = 0; g < info.n_gene; g++)
	{
		VfPdbGeneInfo gi;

		vf_pdb_gene_info(img, g, &gi);
		gene_id[g] = gi.gene;
	}
	if ((s = vf_pdb_scratch_new(img, &err)) == NULL)
		die("scratch", &err);

	for (int form = 0; form < n_form; form++)
	{
		double		first_checksum = checksum;

		best_decode = best_match = best_genes = 1e300;
		for (int r = 0; r < rounds; r++)
		{
			double		t0,
						t1,
						t_decode = 0,
						t_match = 0,
						t_genes = 0;

			checksum = 0;
			for (int j = 0; j < n_sample; j++)
			{
				void	   *calls;

				t0 = now();
				calls = form == 0 ? (void *) vf_calls_decode_pos(geno[j].data, geno[j].len, NULL, &err)
					: (void *) vf_calls_decode_no_ids(geno[j].data, geno[j].len, NULL, &err);
				if (calls == NULL)
					die("decode", &err);
				t1 = now();
				if ((form == 0 ? vf_pdb_scratch_set_pos_calls(s, img, calls, &err)
					 : vf_pdb_scratch_set_calls(s, img, calls, &err)) < 0)
					die("match", &err);
				t_decode += t1 - t0;
				t_match += now() - t1;
				free(calls);
				t0 = now();
				for (uint32_t g = 0; g < info.n_gene; g++)
				{
					uint32_t	n_used;
					double		grex;
					int64_t		k = vf_pdb_find_gene(img, gene_id[g], &err);

					if (k < 0 || vf_pdb_score_grex(img, s, (uint32_t) k, &grex, &n_used, &err) < 0)
						die("score", &err);
					checksum += grex;
				}
				t_genes += now() - t0;
			}
			if (t_decode < best_decode)
				best_decode = t_decode;
			if (t_match < best_match)
				best_match = t_match;
			if (t_genes < best_genes)
				best_genes = t_genes;
		}
		printf("%s form: %d samples x %d sites (%.1f kB encoded per genotype), %u genes; best of %d rounds, us per genotype:\n",
			   form == 0 ? "VfPosCalls" : "VfCalls", n_sample, n_site, geno[0].len / 1024.0, info.n_gene, rounds);
		printf("  decode                  %8.1f\n", 1e6 * best_decode / n_sample);
		printf("  match                   %8.1f\n", 1e6 * best_match / n_sample);
		printf("  %u genes (find + score) %8.1f\n", info.n_gene, 1e6 * best_genes / n_sample);
		printf("  sum of predictions      %.17g\n", checksum);
		if (form == 1 && checksum != first_checksum)
		{
			fprintf(stderr, "the two forms' predictions differ\n");
			return 1;
		}
	}
	return 0;
}
