#!/usr/bin/env python3
"""The path users take today for a fused-model prediction over a cohort, as one timed pipeline
(used by test/bench/57_fused_cohort.sh):

    fused_cohort_pytorch.py REF.FA COHORT.VCF.GZ MODELS_DIR CHROM TSS OUT.CSV [N_PEOPLE]

For every person (the VCF's samples in order, the first N_PEOPLE of them) and haplotype h:
`samtools faidx REF CHROM:LO-HI | bcftools consensus -s SAMPLE -H h -c CHAIN VCF` over the
locus around the TSS (a margin on both sides so indels cannot pull the window past its ends),
the TSS carried into the haplotype's own coordinates through the chain (a deleted TSS base
maps to the next surviving base, as make_fused_sql_goldens.py does), the trunk and encoder
windows centred there; then the PyTorch reference of the fused model (predictors.py, via
make_fused_sql_goldens.Predictor on the same checkpoint directory), one thread, eval, no_grad,
one person at a time, no memoisation across people (that is what the path does today).
Writes sample,value and prints, on the last line, the seconds spent in the consensus step, in
PyTorch, and in loading the model (the caller times the whole process, imports included).
Plus-strand genes only (the bench's GENEP): the model is loaded without reverse_complement.
"""
import csv
import gzip
import os
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import make_fused_sql_goldens as G  # noqa: E402


def samples_of(vcf):
    with gzip.open(vcf, "rt") as f:
        for line in f:
            if line.startswith("#CHROM"):
                return line.rstrip("\n").split("\t")[9:]
    raise SystemExit("%s: no #CHROM header" % vcf)


def haplotype(ref, vcf, chrom, lo, hi, sample, hap, chain):
    """(locus sequence, chain blocks in contig coordinates) of one haplotype."""
    fa = subprocess.run(["samtools", "faidx", ref, "%s:%d-%d" % (chrom, lo, hi)],
                        check=True, capture_output=True)
    r = subprocess.run(["bcftools", "consensus", "-s", sample, "-H", str(hap), "-c", chain, vcf],
                       input=fa.stdout, check=True, capture_output=True)
    seq = "".join(l.strip() for l in r.stdout.decode().splitlines() if not l.startswith(">"))
    if os.path.getsize(chain) == 0:     # nothing applied: the identity over the locus
        return seq, [(lo - 1, lo - 1, len(seq))]
    return seq, G.parse_chain(chain)


def main():
    ref, vcf, models_dir, chrom, tss = sys.argv[1:6]
    out = sys.argv[6]
    tss = int(tss)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    pred = G.Predictor(models_dir, "ukbioformer", {})
    w, e = pred.widths
    t_load = time.perf_counter() - t0
    people = samples_of(vcf)
    if len(sys.argv) > 7:
        people = people[:int(sys.argv[7])]
    margin = max(w, e) // 2 + 1000
    lo, hi = max(1, tss - margin), tss + margin
    t_cons = t_torch = 0.0
    with tempfile.TemporaryDirectory() as d, open(out, "w", newline="") as f:
        chain = os.path.join(d, "chain")
        wr = csv.writer(f)
        for s in people:
            a = time.perf_counter()
            haps = [haplotype(ref, vcf, chrom, lo, hi, s, h, chain) for h in (1, 2)]
            wins = []
            for width in (w, e):
                for seq, blocks in haps:
                    off = G.map_pos(blocks, tss) - (lo - 1)
                    win = seq[off - width // 2: off - width // 2 + width]
                    assert len(win) == width, (s, width, len(win))
                    wins.append(win)
            b = time.perf_counter()
            with torch.no_grad():
                v = pred.fused.predict(*wins)["out"].item()
            t_torch += time.perf_counter() - b
            t_cons += b - a
            wr.writerow([s, "%.9g" % v])
    print("consensus_s=%.3f torch_s=%.3f load_s=%.3f people=%d" % (t_cons, t_torch, t_load, len(people)))


if __name__ == "__main__":
    main()
