#!/usr/bin/env python3
"""Writes a phased, GT-only VCF of N samples x M biallelic SNVs to stdout (for benchmarks).

Allele frequencies follow a skewed Beta(0.3, 1.5) as in human cohorts (most sites rare),
and positions are spread ~100 bp apart on one contig, so the data has the shape of a
real imputed panel without being one.
usage: simulate_vcf.py N_SAMPLES N_SITES [CHROM] [SEED]
"""
import sys

import numpy as np


def main():
    n_samples, n_sites = int(sys.argv[1]), int(sys.argv[2])
    chrom = sys.argv[3] if len(sys.argv) > 3 else "chr22"
    rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 20)
    out = sys.stdout
    out.write("##fileformat=VCFv4.2\n")
    out.write(f"##contig=<ID={chrom},length={16_000_000 + n_sites * 200}>\n")
    out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t")
    out.write("\t".join(f"S{i:04d}" for i in range(n_samples)) + "\n")
    pos = 16_000_000 + np.cumsum(rng.integers(1, 200, n_sites))
    af = np.minimum(rng.beta(0.3, 1.5, n_sites), 0.99)
    bases = np.array(list("ACGT"))
    ref = rng.integers(0, 4, n_sites)
    alt = (ref + rng.integers(1, 4, n_sites)) % 4
    codes = np.array(["0|0", "0|1", "1|0", "1|1"])
    chunk = 1000
    for lo in range(0, n_sites, chunk):
        hi = min(n_sites, lo + chunk)
        haps = rng.random((hi - lo, n_samples, 2)) < af[lo:hi, None, None]
        gt = codes[haps[:, :, 0] * 2 + haps[:, :, 1]]
        lines = []
        for k in range(hi - lo):
            i = lo + k
            lines.append(f"{chrom}\t{pos[i]}\trs{1_000_000 + i}\t{bases[ref[i]]}\t{bases[alt[i]]}\t.\tPASS\t.\tGT\t"
                         + "\t".join(gt[k]) + "\n")
        out.write("".join(lines))


if __name__ == "__main__":
    main()
