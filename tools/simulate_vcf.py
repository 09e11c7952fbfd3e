#!/usr/bin/env python3
"""Writes a phased VCF (GT only, or GT:DS) of N samples x M biallelic SNVs to stdout (for benchmarks).

Allele frequencies follow a skewed Beta(0.3, 1.5) as in human cohorts (most sites rare),
and positions are spread ~100 bp apart on one contig, so the data has the shape of a
real imputed panel without being one.

With --dosage NPY each call also carries an imputed dosage, GT:DS, DS = the GT's ALT count
(plus noise for a fifth of the calls), clipped to [0, 2] and rounded to a multiple of 1/64.
Multiples of 1/64 are exact in float32 (how varformer keeps DS), in plink2's .pgen (1/16384
steps) and in decimal, so every tool sees the same numbers and sums can be compared to 1e-8.
The dosages, in 64ths, are also written to NPY (uint8, sites x samples) for an independent
NumPy reference.
usage: simulate_vcf.py N_SAMPLES N_SITES [CHROM] [SEED] [--dosage NPY]
"""
import sys

import numpy as np


def main():
    args = sys.argv[1:]
    ds_path = None
    if "--dosage" in args:
        i = args.index("--dosage")
        ds_path = args[i + 1]
        del args[i:i + 2]
    n_samples, n_sites = int(args[0]), int(args[1])
    chrom = args[2] if len(args) > 2 else "chr22"
    rng = np.random.default_rng(int(args[3]) if len(args) > 3 else 20)
    out = sys.stdout
    out.write("##fileformat=VCFv4.2\n")
    out.write(f"##contig=<ID={chrom},length={16_000_000 + n_sites * 200}>\n")
    out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    if ds_path:
        out.write('##FORMAT=<ID=DS,Number=A,Type=Float,Description="Imputed ALT dosage">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t")
    out.write("\t".join(f"S{i:04d}" for i in range(n_samples)) + "\n")
    pos = 16_000_000 + np.cumsum(rng.integers(1, 200, n_sites))
    af = np.minimum(rng.beta(0.3, 1.5, n_sites), 0.99)
    bases = np.array(list("ACGT"))
    ref = rng.integers(0, 4, n_sites)
    alt = (ref + rng.integers(1, 4, n_sites)) % 4
    codes = np.array(["0|0", "0|1", "1|0", "1|1"])
    fmt = "GT"
    if ds_path:
        fmt = "GT:DS"
        # every (GT, dosage in 64ths) pair spelled once; a call is an index into this table
        ds_text = [repr(k / 64) if k % 64 else str(k // 64) for k in range(129)]
        codes = np.array([c + ":" + d for c in codes for d in ds_text])
        dosages = np.zeros((n_sites, n_samples), dtype=np.uint8)
    chunk = 1000
    for lo in range(0, n_sites, chunk):
        hi = min(n_sites, lo + chunk)
        haps = rng.random((hi - lo, n_samples, 2)) < af[lo:hi, None, None]
        code = haps[:, :, 0] * 2 + haps[:, :, 1]
        if ds_path:
            n_alt = haps.sum(axis=2)
            # a fifth of the calls uncertain (imputation noise), the rest exactly their GT count
            noise = rng.normal(0, 0.15, n_alt.shape) * (rng.random(n_alt.shape) < 0.2)
            k64 = np.clip(np.rint((n_alt + noise) * 64), 0, 128).astype(np.uint8)
            dosages[lo:hi] = k64
            code = code * 129 + k64
        gt = codes[code]
        lines = []
        for k in range(hi - lo):
            i = lo + k
            lines.append(f"{chrom}\t{pos[i]}\trs{1_000_000 + i}\t{bases[ref[i]]}\t{bases[alt[i]]}\t.\tPASS\t.\t{fmt}\t"
                         + "\t".join(gt[k]) + "\n")
        out.write("".join(lines))
    if ds_path:
        np.save(ds_path, dosages)


if __name__ == "__main__":
    main()
