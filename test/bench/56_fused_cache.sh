#!/usr/bin/env bash
# The prediction cache on a cohort with realistic haplotype sharing: 1,000 people whose two
# haplotypes over GENEP's windows are drawn from 30 founder haplotypes (SNVs and indels on the
# test/fixtures/fused reference), through the small fused model of the tests, one backend,
# no parallel workers: the whole cohort with the cache (default size) and 100 people without
# it (varformer.prediction_cache_mb = 0), time per person and hit rate.
# Needs the generated checkpoints (make check, or test/checks/56_fused_parity.sh) and a running
# instance (test/run.sh bench starts one).
set -euo pipefail
cd "$VF_ROOT"
source test/instance.sh
out=$VF_GENERATED/fused_bench
mkdir -p "$out"
"${PYTHON:-/usr/bin/python3}" - "$out" <<'PY'
import random, subprocess, sys
out = sys.argv[1]
ref = "".join(l.strip() for l in open("test/fixtures/fused/ref.fa") if not l.startswith(">"))
rng = random.Random(561)
sites = sorted(rng.sample(range(1500, 4500), 120))
sites = [p for i, p in enumerate(sites) if i == 0 or p - sites[i - 1] > 12]
def alt(p):
    r = ref[p - 1].upper()
    k = rng.random()
    if k < 0.8:
        return r, "ACGT"[("ACGT".index(r) + 1 + rng.randrange(3)) % 4]
    if k < 0.9:
        return r, r + "".join(rng.choice("ACGT") for _ in range(rng.randrange(1, 6)))
    n = rng.randrange(2, 8)
    return ref[p - 1:p - 1 + n].upper(), r
recs = [(p,) + alt(p) for p in sites]
founders = [[1 if rng.random() < 0.3 else 0 for _ in recs] for _ in range(30)]
people = [(rng.randrange(30), rng.randrange(30)) for _ in range(1000)]
with open(out + "/cohort.vcf", "w") as f:
    f.write("##fileformat=VCFv4.2\n##contig=<ID=chr5,length=8000>\n")
    f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join("P%04d" % i for i in range(1000)) + "\n")
    for j, (p, r, a) in enumerate(recs):
        f.write("chr5\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t%s\n" % (p, r, a, "\t".join(
            "%d|%d" % (founders[x][j], founders[y][j]) for x, y in people)))
subprocess.run(["bgzip", "-f", out + "/cohort.vcf"], check=True)
subprocess.run(["tabix", "-f", "-p", "vcf", out + "/cohort.vcf.gz"], check=True)
PY
chmod -R a+rX "$out"
as_test_user "$VF_BIN/psql" -X -q -h "$VF_SOCK" -p "$VF_PORT" -d postgres -v ON_ERROR_STOP=1 <<'SQL'
DROP DATABASE IF EXISTS fz_bench;
CREATE DATABASE fz_bench;
\c fz_bench
SET client_min_messages = warning;
CREATE EXTENSION varformer;
SET max_parallel_workers_per_gather = 0;
SELECT register_reference('fzb_ref', 'fixtures/fused/ref.fa') IS NOT NULL AS registered \gset
SELECT import_gtf('fixtures/fused/genes.gtf') AS genes \gset
SELECT load_model('fzb', 'generated/predictor/models/ukbioformer', '{"reference": "fzb_ref"}') AS loaded \gset
CREATE TABLE cohort AS SELECT sample, gt FROM read_genotypes('generated/fused_bench/cohort.vcf.gz', 'chr5:1-8000');
\timing on
SELECT count(predict_expression(gt, 'GENEP', 'fzb')) AS people_cached FROM cohort;
\timing off
SELECT hits, misses, round(hit_rate::numeric, 3) AS hit_rate, entries FROM varformer_cache_stats();
SET varformer.prediction_cache_mb = 0;
\timing on
SELECT count(predict_expression(gt, 'GENEP', 'fzb')) AS people_uncached FROM (SELECT gt FROM cohort LIMIT 100) c;
\timing off
\c postgres
DROP DATABASE fz_bench;
SQL
