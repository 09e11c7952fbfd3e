#!/usr/bin/env python3
"""Reference + VCF for the haplotype benchmark (test/bench/30_haplotype.sh).

  simulate_haplotype_bench.py OUTDIR N_SAMPLES N_SITES [SEED]
writes OUTDIR/ref.fa (one contig chr22, 100 bp per site + 20 kb, 60-column lines, upper
case with lower-case stretches like soft-masked repeats) and OUTDIR/bench.vcf (phased GT,
80% SNVs, 10% insertions of 1-10 bases, 10% deletions of 1-10 bases; REF taken from the
reference so bcftools consensus accepts every record).
"""
import os
import sys

import numpy as np

out, n_samples, n_sites = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 30)
os.makedirs(out, exist_ok=True)
length = n_sites * 100 + 20_000
codes = rng.integers(0, 4, length)
seq = np.array(list("ACGT"))[codes]
# soft-masked stretches: ~10% of the sequence in runs of 100-1000 bases
for start in rng.integers(0, length - 1000, length // 5000):
    run = slice(start, start + int(rng.integers(100, 1000)))
    seq[run] = np.char.lower(seq[run])
seqs = "".join(seq.tolist())
with open(os.path.join(out, "ref.fa"), "w") as f:
    f.write(">chr22\n")
    for i in range(0, length, 60):
        f.write(seqs[i:i + 60] + "\n")

pos = np.sort(rng.choice(np.arange(10_000, length - 10_000), n_sites, replace=False)) + 1
kind = rng.random(n_sites)
af = np.minimum(rng.beta(0.3, 1.5, n_sites), 0.99)
gtcode = np.array(["0|0", "0|1", "1|0", "1|1"])
with open(os.path.join(out, "bench.vcf"), "w") as f:
    f.write("##fileformat=VCFv4.2\n##contig=<ID=chr22,length=%d>\n" % length)
    f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t")
    f.write("\t".join("S%04d" % i for i in range(n_samples)) + "\n")
    for lo in range(0, n_sites, 1000):
        hi = min(n_sites, lo + 1000)
        haps = rng.random((hi - lo, n_samples, 2)) < af[lo:hi, None, None]
        gts = gtcode[haps[:, :, 0] * 2 + haps[:, :, 1]]
        lines = []
        for k in range(hi - lo):
            i = lo + k
            p = int(pos[i])
            r0 = seqs[p - 1].upper()
            if kind[i] < 0.8:
                ref, alt = r0, "ACGT"[("ACGT".index(r0) + int(rng.integers(1, 4))) % 4] if r0 in "ACGT" else "A"
            elif kind[i] < 0.9:
                ref, alt = r0, r0 + "".join(rng.choice(list("ACGT"), int(rng.integers(1, 11))))
            else:
                ref, alt = seqs[p - 1:p + int(rng.integers(1, 11))].upper(), r0
            lines.append("chr22\t%d\tv%d\t%s\t%s\t.\tPASS\t.\tGT\t%s\n" % (p, i, ref, alt, "\t".join(gts[k])))
        f.write("".join(lines))
