#!/usr/bin/env python3
"""Random reference + VCF for differential tests of haplotype construction against
bcftools consensus: dense, overlapping, multi-allelic records with every GT shape
(missing, half-missing, unphased, haploid) and the symbolic alleles bcftools applies.

  haplotype_fuzz_vcf.py OUTDIR SEED [NREC] [CONTIG_LEN]
writes OUTDIR/ref.fa (60-column, mixed case) and OUTDIR/calls.vcf (unsorted ties kept in
generation order, sorted by POS), one contig "c1", samples S0..S3.
"""
import os
import random
import sys

out, seed = sys.argv[1], int(sys.argv[2])
nrec = int(sys.argv[3]) if len(sys.argv) > 3 else 40
clen = int(sys.argv[4]) if len(sys.argv) > 4 else 300
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)

seq = []
lower = False
for i in range(clen):
    if rng.random() < 0.05:
        lower = not lower
    b = rng.choice("ACGT") if rng.random() > 0.02 else "N"
    seq.append(b.lower() if lower else b)
seq = "".join(seq)
with open(os.path.join(out, "ref.fa"), "w") as f:
    f.write(">c1\n")
    for i in range(0, clen, 60):
        f.write(seq[i:i + 60] + "\n")


def rbase(exclude=""):
    return rng.choice([b for b in "ACGT" if b not in exclude.upper()])


def rseq(n):
    return "".join(rbase() for _ in range(n))


recs = []
for _ in range(nrec):
    pos = rng.randint(1, clen - 1)
    kind = rng.random()
    maxr = clen - pos + 1
    if kind < 0.35:
        rl = 1
    elif kind < 0.55:
        rl = min(maxr, rng.randint(2, 6))
    else:
        rl = min(maxr, rng.randint(1, 4))
    ref = seq[pos - 1:pos - 1 + rl].upper()
    nalt = 1 if rng.random() < 0.7 else rng.randint(2, 3)
    alts = []
    for _ in range(nalt):
        t = rng.random()
        if t < 0.3 and rl == 1:
            a = rbase(ref[0])                               # SNV
        elif t < 0.45:
            a = ref[0] + rseq(rng.randint(1, 5))            # insertion (anchored)
            if rl > 1:
                a = ref + rseq(rng.randint(1, 3))
        elif t < 0.6 and rl > 1:
            a = ref[:rng.randint(1, rl - 1)]                # deletion (anchored)
        elif t < 0.7:
            a = rseq(rl)                                    # MNP / same length
        elif t < 0.78:
            a = rseq(rng.randint(1, 4))                     # complex / unanchored
        elif t < 0.82:
            a = "<DEL>"
        elif t < 0.85:
            a = "<*>" if rng.random() < 0.5 else "<NON_REF>"
        elif t < 0.88:
            a = "*"
        else:
            a = rbase(ref[0]) + ref[1:]
        if a == ref or a in alts:
            a = ref[0] + rseq(2)
        if a == ref or a in alts:
            continue
        alts.append(a)
    if not alts:
        continue
    if rng.random() < float(os.environ.get("VF_FUZZ_BADREF", "0.01")):  # REF that does not match
        ref = rbase(ref[0]) + ref[1:]
    gts = []
    for s in range(4):
        r = rng.random()
        def al():
            x = rng.random()
            if x < 0.12:
                return "."
            return str(rng.randint(0, len(alts)))
        if r < 0.08:
            gts.append(al())                                # haploid
        else:
            gts.append(al() + ("|" if rng.random() < 0.75 else "/") + al())
    info = "."
    if "<DEL>" in alts and rl > 1:
        info = "END=%d" % (pos + rl - 1)
    recs.append((pos, ref, ",".join(alts), info, gts))

recs.sort(key=lambda r: r[0])
with open(os.path.join(out, "calls.vcf"), "w") as f:
    f.write("##fileformat=VCFv4.2\n")
    f.write("##contig=<ID=c1,length=%d>\n" % clen)
    f.write('##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n')
    f.write('##ALT=<ID=DEL,Description="Deletion">\n')
    f.write('##ALT=<ID=*,Description="Any">\n')
    f.write('##ALT=<ID=NON_REF,Description="Any">\n')
    f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS0\tS1\tS2\tS3\n")
    for pos, ref, alt, info, gts in recs:
        f.write("c1\t%d\t.\t%s\t%s\t.\t.\t%s\tGT\t%s\n" % (pos, ref, alt, info, "\t".join(gts)))
