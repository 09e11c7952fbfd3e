#!/usr/bin/python3
"""Simulates a cohort with known cis-regulatory truth for `make demo` (issue 11).

usage:
    /usr/bin/python3 tools/simulate_cohort.py [options] OUTDIR
    /usr/bin/python3 tools/simulate_cohort.py OUTDIR                 # the bundled demo data
    /usr/bin/python3 tools/simulate_cohort.py --small OUTDIR         # a few dozen people, 6 genes
    /usr/bin/python3 tools/simulate_cohort.py --selfcheck OUTDIR     # also verify with bcftools

Plain Python 3 + NumPy (Debian python3-numpy); needs bgzip and tabix (Debian tabix) and
samtools, and bcftools for --selfcheck. Deterministic: the same seed and parameters give the
same bytes (check with sha256sum, or compare manifest.json of two runs). Every parameter is
an option (--help) and is recorded in OUTDIR/manifest.json.

What it writes into OUTDIR:
    reference.fa.gz (+ .fai, .gzi)  bgzipped FASTA, contigs sim1 (2 Mb) and sim2 (1 Mb) by
                                    default; soft-masked (lower-case) repeats, N runs (10 kb at
                                    each contig start, a few gaps between genes)
    genes.gtf                       GENCODE-style gene/transcript/exon lines, versioned ids
                                    (gene_id "SIMG0001.2"), gene_name, both strands
    cohort.vcf.gz (+ .tbi)          phased GT of every person; SNVs and 1-20 bp indels,
                                    left-aligned, no overlapping records, REF = reference
    samples.tsv                     sample, population, split (train | heldout)
    genes.tsv                       gene_id, gene_name, chrom, tss, strand, split, h2, then
                                    the realised values and what the mechanism reads
    expression.tsv                  sample, population, gene_id, expression
    truth/motifs.tsv                the motifs: consensus, PWM, activity
    truth/elements.tsv              each gene's promoter and enhancers (1-based, inclusive)
    truth/weights.tsv               per gene, element and motif: the weight the mechanism uses
    truth/causal_variants.tsv       per gene, every variant whose reversion changes the
                                    mechanism's value for some haplotype, with its effects
    truth/genetic_values.tsv.gz     per person and gene: both haplotype scores and the
                                    noiseless genetic value
    manifest.json                   seed, every parameter, counts, tool versions, sha256s

The mechanism (details in tools/README-demo-data.md): each gene has a promoter (TSS +-1 kb)
and 1-4 enhancers (300-700 bp, 2-20 kb from the TSS). A haplotype's score for a gene is
sum over its elements e and motifs m of w[g,e,m] * A_m(haplotype sequence of e), where A_m is
the summed affinity of the PWM hits of motif m found by scanning that haplotype's own
sequence (the reference edited with the person's SNVs and indels, as bcftools consensus
would). Expression = log2(softplus(s1) + softplus(s2) + 2*basal) + noise, with noise sized
so that the genetic part explains h2 of the variance in population 1.

--selfcheck verifies the written files: bcftools view reads the VCF, bcftools norm changes
no record, samtools faidx returns the in-memory reference, and for a sample of people and
genes `samtools faidx REF region | bcftools consensus -s S -H h VCF` equals this script's
haplotype builder, and the genetic values recomputed from the bcftools sequences equal the
written ones.
"""
import argparse
import gzip
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np

# --------------------------------------------------------------------------------------
# parameters

DEFAULTS = dict(
    seed=1111,
    contigs="sim1:2000000,sim2:1000000",
    genes=100,
    pop_names="pop1,pop2",
    pop_sizes="400,200",
    founders="30,40",
    pop_ne="1.0,2.0",
    split_time=0.3,
    block_kb=20.0,
    tract_kb=150.0,
    snv_per_kb=0.9,
    indel_per_kb=0.12,
    targeted_per_gene=6.0,
    train_frac=0.75,
    heldout_gene_frac=0.25,
    h2_min=0.05,
    h2_max=0.6,
    null_frac=0.15,
    null_noise_sd=0.25,
    basal=0.05,
    promoter_flank=1000,
    enhancers_min=1,
    enhancers_max=4,
    enhancer_dist_min=2000,
    enhancer_dist_max=20000,
    flip_frac=0.15,
    gene_weight_sd=0.4,
    motif_threshold=3.0,
    repeat_frac=0.12,
    gap_runs=3,
    min_tss_spacing=6000,
)
SMALL = dict(
    contigs="sim1:300000",
    genes=6,
    pop_sizes="24,12",
    founders="8,10",
    targeted_per_gene=8.0,
    gap_runs=1,
)

# Motifs: consensus, upper case = strong position (p 0.94), lower case = weak (p 0.70);
# activity = the sign and size shared across genes; prom / enh = relative frequency with
# which they are planted in promoters / enhancers. Named after the factors whose consensus
# they resemble; they are not those factors' real PWMs.
MOTIFS = [
    ("SP1_like", "gGGGCGGGg", 0.8, 3.0, 1.0),
    ("NFY_like", "tCCAATCa", 0.6, 2.0, 0.5),
    ("ETS_like", "aCCGGAAGt", 0.7, 2.0, 2.0),
    ("CREB_like", "TGACGTCA", 0.6, 1.5, 1.5),
    ("AP1_like", "aTGAGTCAt", 0.7, 0.5, 3.0),
    ("EBOX_like", "CACGTG", 0.4, 1.0, 1.5),
    ("TATA_like", "TATAAAAGG", 1.0, 1.5, 0.0),
    ("REST_like", "gGAGCTGTCc", -1.2, 0.7, 1.0),
]
P_STRONG, P_WEAK = 0.94, 0.70
KMAX = 10
BASES = "ACGT"
COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def log(msg):
    print("[simulate_cohort %6.1fs] %s" % (time.time() - T0, msg), file=sys.stderr, flush=True)


T0 = time.time()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Defaults build the bundled demo data (~600 people, 100 genes, 3 Mb).")
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true",
                    help="test-sized cohort: one 300 kb contig, 6 genes, 24 + 12 people")
    ap.add_argument("--selfcheck", action="store_true",
                    help="verify the outputs with bcftools/samtools after writing them")
    ap.add_argument("--check-people", type=int, default=6,
                    help="people per population compared with bcftools consensus in --selfcheck")
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=None,
                        help="default %s%s" % (v, " (--small: %s)" % SMALL[k] if k in SMALL else ""))
    a = ap.parse_args(argv)
    P = dict(DEFAULTS)
    if a.small:
        P.update(SMALL)
    for k in DEFAULTS:
        if getattr(a, k) is not None:
            P[k] = getattr(a, k)
    return a, P


def derived(P):
    D = {}
    D["contigs"] = []
    for item in P["contigs"].split(","):
        name, length = item.split(":")
        D["contigs"].append((name, int(length)))
    D["pop_names"] = P["pop_names"].split(",")
    D["pop_sizes"] = [int(x) for x in P["pop_sizes"].split(",")]
    D["founders"] = [int(x) for x in P["founders"].split(",")]
    if not (len(D["pop_names"]) == len(D["pop_sizes"]) == len(D["founders"]) == 2):
        raise SystemExit("exactly two populations: --pop-names, --pop-sizes, --founders take two values")
    D["pop_ne"] = [float(x) for x in P["pop_ne"].split(",")]
    return D


# --------------------------------------------------------------------------------------
# motifs

def build_pwms(threshold):
    """Returns a list of dicts with the PWM (k x 4 probabilities), its log-odds padded to
    KMAX columns (+ an N row) for both strands, and the maximum score."""
    out = []
    for name, cons, act, prom, enh in MOTIFS:
        k = len(cons)
        prob = np.zeros((k, 4))
        for j, c in enumerate(cons):
            p = P_STRONG if c.isupper() else P_WEAK
            prob[j, :] = (1 - p) / 3
            prob[j, BASES.index(c.upper())] = p
        lo = np.log(prob / 0.25)
        fwd = np.zeros((KMAX, 5))
        rev = np.zeros((KMAX, 5))
        fwd[:k, :4] = lo
        fwd[:k, 4] = -50.0
        rc = lo[::-1, ::-1]        # reverse the positions, complement A<->T, C<->G
        rev[:k, :4] = rc
        rev[:k, 4] = -50.0
        out.append(dict(name=name, consensus=cons.upper(), iupac=cons, k=k, activity=act,
                        prom=prom, enh=enh, prob=prob, fwd=fwd, rev=rev,
                        max=float(lo.max(axis=1).sum()), threshold=threshold))
    return out


def motif_tables(pwms):
    F = np.stack([m["fwd"] for m in pwms])
    R = np.stack([m["rev"] for m in pwms])
    mx = np.array([m["max"] for m in pwms])
    return F, R, mx


LUT = np.full(256, 4, np.uint8)
for _i, _c in enumerate("ACGT"):
    LUT[ord(_c)] = _i
    LUT[ord(_c.lower())] = _i


def to_codes(s):
    return LUT[np.frombuffer(s.encode("ascii"), np.uint8)]


def site_scores(codes, tables):
    """(M, n) best score over both strands of each motif starting at each position; (M, n)
    strand (+1 forward, -1 reverse). Windows running off the end score -inf."""
    F, R, mx = tables
    n = len(codes)
    pad = np.concatenate([codes, np.full(KMAX - 1, 4, np.uint8)])
    win = np.lib.stride_tricks.sliding_window_view(pad, KMAX)          # (n, KMAX)
    cols = np.arange(KMAX)[None, :]
    sf = F[:, cols, win].sum(axis=2)                                   # (M, n)
    sr = R[:, cols, win].sum(axis=2)
    best = np.maximum(sf, sr)
    strand = np.where(sf >= sr, 1, -1)
    return best, strand, n


def affinities(codes, tables, tau):
    """A_m: the summed affinity exp(score - max) of every site scoring >= max - tau."""
    if len(codes) == 0:
        return np.zeros(len(tables[2]))
    best, _, _ = site_scores(codes, tables)
    rel = best - tables[2][:, None]
    return np.where(rel >= -tau, np.exp(rel), 0.0).sum(axis=1)


# --------------------------------------------------------------------------------------
# layout: genes, elements, gaps

def overlaps(iv, ivs, margin=0):
    s, e = iv
    for a, b in ivs:
        if s < b + margin and a < e + margin:
            return True
    return False


def make_layout(rng, P, D):
    contigs = D["contigs"]
    total = sum(L for _, L in contigs)
    # genes per contig proportional to length, largest remainder
    raw = [P["genes"] * L / total for _, L in contigs]
    ng = [int(x) for x in raw]
    for i in np.argsort([-(x - int(x)) for x in raw])[: P["genes"] - sum(ng)]:
        ng[i] += 1
    flank = P["enhancer_dist_max"] + 1000
    layout = []
    for (chrom, L), n in zip(contigs, ng):
        gaps = [(0, min(10000, L // 20))]           # telomere-like N run at the contig start
        tss = []
        n_runs = max(0, round(P["gap_runs"] * L / total)) if len(contigs) > 1 else P["gap_runs"]
        # genes first, then internal gaps in the space the genes leave
        lo, hi = gaps[0][1] + flank + 1000, L - flank - 1000
        tries = 0
        while len(tss) < n:
            tries += 1
            if tries > 100000:
                raise SystemExit("cannot place %d genes on %s (%d bp): use fewer genes or longer contigs" % (n, chrom, L))
            t = int(rng.integers(lo, hi))
            if all(abs(t - u) >= P["min_tss_spacing"] for u in tss):
                tss.append(t)
        tss.sort()
        protected = [(t - flank - 5000, t + flank + 5000) for t in tss]
        for _ in range(n_runs):
            for _try in range(200):
                glen = int(rng.integers(1000, 20000))
                s = int(rng.integers(gaps[0][1] + 1000, L - glen - 1000))
                if not overlaps((s, s + glen), protected + gaps, 2000):
                    gaps.append((s, s + glen))
                    break
        gaps.sort()
        layout.append(dict(chrom=chrom, length=L, tss=tss, gaps=gaps))
    # genes: strand, body, elements
    genes = []
    for c in layout:
        chrom, L, tss, gaps = c["chrom"], c["length"], c["tss"], c["gaps"]
        elements = []
        for i, t in enumerate(tss):
            strand = "+" if rng.random() < 0.5 else "-"
            glen = int(np.clip(rng.lognormal(math.log(12000), 0.8), 1500, 60000))
            if strand == "+":
                nxt = tss[i + 1] if i + 1 < len(tss) else L - 1000
                nxt = min([nxt] + [a for a, b in gaps if a > t])
                start, end = t, min(t + glen, nxt - 1000)
            else:
                prv = tss[i - 1] if i > 0 else 1000
                prv = max([prv] + [b for a, b in gaps if b < t])
                start, end = max(t - glen, prv + 1000), t + 1
            pf = P["promoter_flank"]
            prom = (t - pf, t + pf)                 # 0-based half-open; the TSS is base t
            elements.append(prom)
            els = [dict(kind="promoter", start=prom[0], end=prom[1], scale=1.0)]
            n_enh = int(rng.integers(P["enhancers_min"], P["enhancers_max"] + 1))
            for j in range(n_enh):
                for _try in range(50):
                    d = int(rng.integers(P["enhancer_dist_min"], P["enhancer_dist_max"] + 1))
                    side = 1 if rng.random() < 0.5 else -1
                    ln = int(rng.integers(300, 701))
                    cen = t + side * d
                    iv = (cen - ln // 2, cen - ln // 2 + ln)
                    if iv[0] < 1000 or iv[1] > L - 1000:
                        continue
                    if overlaps(iv, elements, 100) or overlaps(iv, gaps, 1000):
                        continue
                    elements.append(iv)
                    els.append(dict(kind="enhancer", start=iv[0], end=iv[1],
                                    scale=float(rng.uniform(0.3, 1.0)), distance=side * d))
                    break
            genes.append(dict(chrom=chrom, tss0=t, strand=strand, start0=start, end0=end,
                              elements=els))
    # number the enhancers by position
    for g in genes:
        k = 0
        for e in sorted(g["elements"][1:], key=lambda e: e["start"]):
            k += 1
            e["name"] = "enh%d" % k
        g["elements"][0]["name"] = "promoter"
    return layout, genes


# --------------------------------------------------------------------------------------
# reference

def mutate(rng, codes, rate):
    out = codes.copy()
    hit = rng.random(len(out)) < rate
    out[hit] = (out[hit] + rng.integers(1, 4, hit.sum())) % 4
    return out


def make_reference(rng, P, layout, genes, pwms, tables):
    """Returns {chrom: (cased sequence str, upper-case codes uint8 with N=4)} and the planted
    motif instances per gene element."""
    ref = {}
    element_iv = {}
    for g in genes:
        element_iv.setdefault(g["chrom"], []).extend((e["start"], e["end"]) for e in g["elements"])
    # repeat families: SINE-like (GC-rich, poly-A tail), LINE-like (AT-rich, long), simple repeats
    fam = []
    for _ in range(3):
        gc = 0.55
        fam.append(("sine", rng.choice(4, 280, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]).astype(np.uint8)))
    for _ in range(2):
        gc = 0.38
        fam.append(("line", rng.choice(4, 6000, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]).astype(np.uint8)))
    units = ["CA", "A", "T", "TG", "TTTA", "AAAT", "AGG", "GT", "TTC"]
    for c in layout:
        chrom, L = c["chrom"], c["length"]
        nblk = (L + 99999) // 100000
        gc = np.clip(rng.normal(0.41, 0.04, nblk), 0.34, 0.54)
        gcp = np.repeat(gc, 100000)[:L]
        u = rng.random(L)
        codes = np.where(u < (1 - gcp) / 2, 0, np.where(u < 1 - gcp, 3, np.where(u < 1 - gcp / 2, 1, 2))).astype(np.uint8)
        island = np.zeros(L, bool)
        for g in genes:
            if g["chrom"] != chrom:
                continue
            s, e = g["elements"][0]["start"], g["elements"][0]["end"]
            # CpG island promoter: GC-rich and not CpG-depleted
            codes[s:e] = rng.choice(4, e - s, p=[0.19, 0.31, 0.31, 0.19]).astype(np.uint8)
            island[s:e] = True
        # CpG depletion by deamination outside islands: 75% of CG become TG or CA
        cg = np.flatnonzero((codes[:-1] == 1) & (codes[1:] == 2) & ~island[:-1] & ~island[1:])
        cg = cg[rng.random(len(cg)) < 0.75]
        toT = rng.random(len(cg)) < 0.5
        codes[cg[toT]] = 3
        codes[cg[~toT] + 1] = 0
        # soft-masked repeats, never within 200 bp of a regulatory element
        lower = np.zeros(L, bool)
        protect = np.zeros(L, bool)
        for s, e in element_iv.get(chrom, []):
            protect[max(0, s - 200):e + 200] = True
        for s, e in c["gaps"]:
            protect[max(0, s - 50):e + 50] = True
        target = int(P["repeat_frac"] * L)
        covered = 0
        tries = 0
        while covered < target and tries < 100000:
            tries += 1
            r = rng.random()
            if r < 0.25:
                unit = units[int(rng.integers(len(units)))]
                n = int(rng.integers(20, 81))
                frag = to_codes((unit * (n // len(unit) + 1))[:n])
                frag = mutate(rng, frag, 0.03)
            else:
                kind, cons = fam[int(rng.integers(len(fam)))]
                if kind == "sine":
                    frag = np.concatenate([cons, np.zeros(int(rng.integers(10, 30)), np.uint8)])
                else:
                    ln = int(rng.integers(300, 3000))
                    s0 = int(rng.integers(0, len(cons) - ln))
                    frag = cons[s0:s0 + ln]
                frag = mutate(rng, frag, float(rng.uniform(0.05, 0.2)))
                if rng.random() < 0.5:
                    frag = (3 - frag)[::-1]
            n = len(frag)
            pos = int(rng.integers(0, L - n))
            if protect[pos:pos + n].any():
                continue
            codes[pos:pos + n] = frag
            lower[pos:pos + n] = True
            covered += n
        for s, e in c["gaps"]:
            codes[s:e] = 4
            lower[s:e] = False
        ref[chrom] = [codes, lower]
    # plant motif instances into the elements (upper case)
    prom_p = np.array([m["prom"] for m in pwms]); prom_p /= prom_p.sum()
    enh_p = np.array([m["enh"] for m in pwms]); enh_p /= enh_p.sum()
    tau = P["motif_threshold"]
    for g in genes:
        codes, lower = ref[g["chrom"]]
        for e in g["elements"]:
            occ = []
            planted = []
            if e["kind"] == "promoter":
                n = int(rng.integers(2, 7))
                probs = prom_p
                # mostly upstream of the TSS, in the gene's orientation
                lo_rel, hi_rel = (-600, 100) if g["strand"] == "+" else (-100, 600)
                lo, hi = g["tss0"] + lo_rel, g["tss0"] + hi_rel
            else:
                n = int(rng.integers(1, 5))
                probs = enh_p
                lo, hi = e["start"] + 5, e["end"] - 15
            for _ in range(n):
                mi = int(rng.choice(len(pwms), p=probs))
                m = pwms[mi]
                while True:          # an instance drawn from the PWM that scores as a site
                    inst = np.array([rng.choice(4, p=m["prob"][j]) for j in range(m["k"])], np.uint8)
                    sc = m["fwd"][np.arange(m["k"]), inst].sum()
                    if sc >= m["max"] - tau:
                        break
                strand = 1
                if rng.random() < 0.5:
                    inst = (3 - inst)[::-1]
                    strand = -1
                for _try in range(50):
                    p = int(rng.integers(lo, hi - m["k"]))
                    if not overlaps((p, p + m["k"]), occ, 3):
                        occ.append((p, p + m["k"]))
                        codes[p:p + m["k"]] = inst
                        lower[p:p + m["k"]] = False
                        planted.append((m["name"], p, strand))
                        break
            e["planted"] = planted
    out = {}
    for chrom, (codes, lower) in ref.items():
        up = np.frombuffer(b"ACGTN", np.uint8)[codes]
        lo = np.frombuffer(b"acgtN", np.uint8)[codes]
        seq = np.where(lower, lo, up).tobytes().decode("ascii")
        out[chrom] = dict(seq=seq, up=seq.upper(), codes=codes)
    return out


# --------------------------------------------------------------------------------------
# variants

def left_align(up, p0, ref, alt):
    """Left-aligns a biallelic indel whose alleles share their first base (VCF anchor)."""
    if len(ref) == len(alt):
        return p0, ref, alt
    while ref[-1] == alt[-1] and p0 > 0 and up[p0 - 1] != "N":
        b = up[p0 - 1]
        ref, alt, p0 = b + ref[:-1], b + alt[:-1], p0 - 1
    return p0, ref, alt


def geometric_len(rng, maxlen=20, p=0.45):
    while True:
        n = int(rng.geometric(p))
        if n <= maxlen:
            return n


TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}


def snv_alt(rng, b):
    """An ALT base: the transition with probability 2/3 (Ts/Tv about 2, as in human data)."""
    if rng.random() < 2 / 3:
        return TRANSITION[b]
    return [x for x in BASES if x != b and x != TRANSITION[b]][int(rng.integers(0, 2))]


def rand_bases(rng, n):
    return "".join(BASES[i] for i in rng.integers(0, 4, n))


def make_variants(rng, P, D, layout, genes, ref, pwms, tables):
    """Candidate variants (background + targeted at motif sites), normalized, with overlaps
    removed. Returns a list of dicts sorted by (contig order, position)."""
    cands = []
    tau = P["motif_threshold"]
    for c in layout:
        chrom, L = c["chrom"], c["length"]
        up = ref[chrom]["up"]
        rate = (P["snv_per_kb"] + P["indel_per_kb"]) / 1000.0
        n = int(rng.poisson(rate * L))
        pos = np.sort(rng.integers(1, L - 30, n))
        isindel = rng.random(n) < P["indel_per_kb"] / (P["snv_per_kb"] + P["indel_per_kb"])
        for p, ind in zip(pos.tolist(), isindel.tolist()):
            p = int(p)
            if not ind:
                b = up[p]
                if b == "N":
                    continue
                cands.append((1, chrom, p, b, snv_alt(rng, b), "background"))
            elif rng.random() < 0.5:                      # deletion of bases p+1..p+n
                ln = geometric_len(rng)
                cands.append((1, chrom, p, up[p:p + ln + 1], up[p], "background"))
            else:                                         # insertion after base p
                ln = geometric_len(rng)
                ins = up[p + 1:p + 1 + ln] if rng.random() < 0.5 else rand_bases(rng, ln)
                cands.append((1, chrom, p, up[p], up[p] + ins, "background"))
    # targeted: variants that destroy, create, shift or break motif sites in the elements
    kinds = ["snv_destroy", "snv_create", "del_site", "ins_motif", "ins_break"]
    kp = np.array([0.35, 0.2, 0.2, 0.15, 0.1])
    for gi, g in enumerate(genes):
        up = ref[g["chrom"]]["up"]
        codes = ref[g["chrom"]]["codes"]
        n = int(rng.poisson(P["targeted_per_gene"]))
        for _ in range(n):
            e = g["elements"][0] if rng.random() < 0.6 or len(g["elements"]) == 1 else \
                g["elements"][int(rng.integers(1, len(g["elements"])))]
            s0, e0 = e["start"], e["end"]
            seg = codes[s0:e0]
            best, strand, _ = site_scores(seg, tables)
            rel = best - tables[2][:, None]
            hits = np.argwhere(rel >= -tau)               # (motif, offset)
            hits = hits[(hits[:, 1] >= 2) & (hits[:, 1] < len(seg) - KMAX - 2)]
            kind = kinds[int(rng.choice(len(kinds), p=kp))]
            if kind in ("snv_destroy", "del_site", "ins_break") and len(hits) == 0:
                kind = "ins_motif"
            if kind == "snv_destroy":
                mi, off = hits[int(rng.integers(len(hits)))]
                m = pwms[mi]
                strong = [j for j, c in enumerate(m["iupac"]) if c.isupper()]
                j = strong[int(rng.integers(len(strong)))]
                if strand[mi, off] < 0:
                    j = m["k"] - 1 - j
                p = s0 + int(off) + j
                b = up[p]
                cands.append((0, g["chrom"], p, b, snv_alt(rng, b), "targeted:" + kind))
            elif kind == "del_site":
                mi, off = hits[int(rng.integers(len(hits)))]
                m = pwms[mi]
                ln = geometric_len(rng, 20, 0.3)
                p = s0 + int(off) + int(rng.integers(-1, m["k"] - 1))   # anchor; deletes p+1..
                cands.append((0, g["chrom"], p, up[p:p + ln + 1], up[p], "targeted:" + kind))
            elif kind == "ins_break":
                mi, off = hits[int(rng.integers(len(hits)))]
                m = pwms[mi]
                p = s0 + int(off) + int(rng.integers(0, m["k"] - 1))
                ins = rand_bases(rng, int(rng.integers(1, 7)))
                cands.append((0, g["chrom"], p, up[p], up[p] + ins, "targeted:" + kind))
            elif kind == "ins_motif":
                mi = int(rng.choice(len(pwms), p=np.array([m["prom"] + m["enh"] for m in pwms]) /
                                    sum(m["prom"] + m["enh"] for m in pwms)))
                m = pwms[mi]
                ins = m["consensus"]
                if rng.random() < 0.5:
                    ins = ins.translate(COMP)[::-1]
                extra = int(rng.integers(0, 20 - len(ins) + 1))
                ins = rand_bases(rng, extra // 2) + ins + rand_bases(rng, extra - extra // 2)
                p = int(rng.integers(s0 + 5, e0 - 5))
                cands.append((0, g["chrom"], p, up[p], up[p] + ins, "targeted:" + kind))
            else:                                     # snv_create: one substitution away from a site
                found = None
                order = rng.permutation(len(pwms))
                for mi in order:
                    m = pwms[mi]
                    cons = to_codes(m["consensus"])
                    for orient in (1, -1) if rng.random() < 0.5 else (-1, 1):
                        cc = cons if orient == 1 else (3 - cons)[::-1]
                        k = m["k"]
                        if len(seg) < k + 4:
                            continue
                        win = np.lib.stride_tricks.sliding_window_view(seg, k)
                        mism = (win != cc[None, :]).sum(axis=1)
                        cand = np.flatnonzero(mism == 1)
                        cand = cand[(cand >= 2) & (cand < len(seg) - k - 2)]
                        if len(cand):
                            off = int(cand[int(rng.integers(len(cand)))])
                            j = int(np.flatnonzero(win[off] != cc)[0])
                            if seg[off + j] == 4:
                                continue
                            found = (s0 + off + j, BASES[cc[j]])
                            break
                    if found:
                        break
                if found is None:
                    continue
                p, alt = found
                cands.append((0, g["chrom"], p, up[p], alt, "targeted:" + kind))
    # normalize, validate, resolve overlaps (targeted first), no record within 1 bp of another
    chrom_index = {c["chrom"]: i for i, c in enumerate(layout)}
    gap_masks = {}
    elem_edges = {}
    for c in layout:
        m = np.zeros(c["length"] + 1, bool)
        for s, e in c["gaps"]:
            m[max(0, s - 50):e + 50] = True
        gap_masks[c["chrom"]] = m
    for g in genes:
        for e in g["elements"]:
            elem_edges.setdefault(g["chrom"], []).append((e["start"], e["end"]))
    order = sorted(range(len(cands)), key=lambda i: cands[i][0])
    pri = [cands[i] for i in order]
    # shuffle within priority classes, deterministically
    t = [c for c in pri if c[0] == 0]
    b = [c for c in pri if c[0] == 1]
    t = [t[i] for i in rng.permutation(len(t))]
    b = [b[i] for i in rng.permutation(len(b))]
    occupied = {c["chrom"]: np.zeros(c["length"] + 2, bool) for c in layout}
    kept = []
    for _, chrom, p, r, a, origin in t + b:
        up = ref[chrom]["up"]
        if "N" in r or "N" in a or up[p:p + len(r)] != r or r == a:
            continue
        p, r, a = left_align(up, p, r, a)
        span = (p, p + len(r))
        if gap_masks[chrom][span[0]:span[1] + 1].any():
            continue
        # a record lies inside an element or outside all of them, never across an edge
        if any(span[0] < e and s < span[1] and not (s <= span[0] and span[1] <= e)
               for s, e in elem_edges.get(chrom, [])):
            continue
        occ = occupied[chrom]
        if occ[max(0, span[0] - 1):span[1] + 1].any():
            continue
        occ[span[0]:span[1]] = True
        kept.append(dict(chrom=chrom, pos0=p, ref=r, alt=a, origin=origin))
    kept.sort(key=lambda v: (chrom_index[v["chrom"]], v["pos0"]))
    for v in kept:
        v["kind"] = "snv" if len(v["ref"]) == len(v["alt"]) else ("ins" if len(v["alt"]) > len(v["ref"]) else "del")
    return kept


# --------------------------------------------------------------------------------------
# populations

def mosaic_sources(rng, positions, L, n_hap, mean_tract, weights):
    """(n_hap, n_pos) index of the source haplotype each position copies, tracts of
    exponential length (mean mean_tract bp) each copying a source drawn with `weights`."""
    out = np.empty((n_hap, len(positions)), np.int32)
    for h in range(n_hap):
        br = np.cumsum(rng.exponential(mean_tract, int(L / mean_tract * 2) + 20))
        while br[-1] < L:
            br = np.concatenate([br, br[-1] + np.cumsum(rng.exponential(mean_tract, 20))])
        br = br[br < L]
        src = rng.choice(len(weights), size=len(br) + 1, p=weights)
        out[h] = src[np.searchsorted(br, positions, side="right")]
    return out


def block_genealogy(rng, n_founders, ne, split_time):
    """One genealogy of all founders (population 1's, then population 2's) under an
    isolation model: each population's lineages coalesce among themselves at rate
    C(n,2)/Ne_k until split_time (coalescent units of the ancestral population, Ne = 1),
    then all remaining lineages coalesce together. Returns the branches as (leaf masks
    (n_branches, n_leaves) bool, lengths, 1 + the population of a branch below the split
    or 0 for an ancestral branch)."""
    n = sum(n_founders)
    masks, lengths, where = [], [], []
    remaining = []
    off = 0
    for k, nk in enumerate(n_founders):
        lins = []
        for i in range(nk):
            m = np.zeros(n, bool)
            m[off + i] = True
            lins.append((m, 0.0))
        off += nk
        t = 0.0
        while len(lins) > 1:
            c = len(lins) * (len(lins) - 1) / 2 / ne[k]
            dt = rng.exponential(1.0 / c)
            if t + dt > split_time:
                break
            t += dt
            i, j = rng.choice(len(lins), 2, replace=False)
            for x in (i, j):
                masks.append(lins[x][0])
                lengths.append(t - lins[x][1])
                where.append(k + 1)
            merged = (lins[i][0] | lins[j][0], t)
            lins = [l for x, l in enumerate(lins) if x not in (i, j)] + [merged]
        for m, birth in lins:            # the part of the branch below the split is private
            masks.append(m)
            lengths.append(split_time - birth)
            where.append(k + 1)
            remaining.append((m, split_time))
    t = split_time
    lins = remaining
    while len(lins) > 1:
        c = len(lins) * (len(lins) - 1) / 2
        t += rng.exponential(1.0 / c)
        i, j = rng.choice(len(lins), 2, replace=False)
        for x in (i, j):
            masks.append(lins[x][0])
            lengths.append(t - lins[x][1])
            where.append(0)
        merged = (lins[i][0] | lins[j][0], t)
        lins = [l for x, l in enumerate(lins) if x not in (i, j)] + [merged]
    return np.array(masks), np.array(lengths), np.array(where)


def make_population(rng, P, D, layout, variants):
    """Phased haplotypes: (n_var, 2N) uint8 allele matrix (columns 2i, 2i+1 = person i),
    plus each variant's class (0: carried by founders of both populations, 1/2: of one only).

    Founders: the genome is cut into blocks of exponential length (mean block_kb); each
    block has its own genealogy of all founders (block_genealogy), and each variant in it
    arises on a branch drawn with probability proportional to branch length (infinite
    sites), so its carriers are the founders below that branch: nested, tree-like LD
    inside blocks and the neutral frequency spectrum. People: each haplotype is a mosaic of
    its population's founders, tracts of exponential length (mean tract_kb) each copying a
    founder drawn with Dirichlet(1.5) weights (unequal founder contributions: drift)."""
    nv = len(variants)
    F1, F2 = D["founders"]
    N1, N2 = D["pop_sizes"]
    fa_all = np.zeros((F1 + F2, nv), np.uint8)
    cls = np.zeros(nv, np.int8)
    chrom_of = np.array([v["chrom"] for v in variants])
    pos_of = np.array([v["pos0"] for v in variants])
    for c in layout:
        idx = np.flatnonzero(chrom_of == c["chrom"])
        br = np.cumsum(rng.exponential(P["block_kb"] * 1000, int(c["length"] / (P["block_kb"] * 1000) * 2) + 20))
        while br[-1] < c["length"]:
            br = np.concatenate([br, br[-1] + np.cumsum(rng.exponential(P["block_kb"] * 1000, 20))])
        block = np.searchsorted(br, pos_of[idx], side="right")
        for b in np.unique(block).tolist():
            vi = idx[block == b]
            masks, lengths, _ = block_genealogy(rng, (F1, F2), D["pop_ne"], P["split_time"])
            pick = rng.choice(len(lengths), size=len(vi), p=lengths / lengths.sum())
            fa_all[:, vi] = masks[pick].T
    # class by carriers: founders of both populations, or of one only
    in1, in2 = fa_all[:F1].any(axis=0), fa_all[F1:].any(axis=0)
    cls[:] = np.where(in1 & in2, 0, np.where(in1, 1, 2))
    founders = [fa_all[:F1], fa_all[F1:]]
    haps = []
    for k, (Nk, fa) in enumerate(zip((N1, N2), founders)):
        w = rng.dirichlet(np.full(fa.shape[0], 1.5))
        hk = np.zeros((nv, 2 * Nk), np.uint8)
        for c in layout:
            idx = np.flatnonzero(chrom_of == c["chrom"])
            src = mosaic_sources(rng, pos_of[idx], c["length"], 2 * Nk, P["tract_kb"] * 1000, w)
            hk[idx, :] = fa[src, idx[None, :]].T
        haps.append(hk)
    G = np.concatenate(haps, axis=1)
    return G, cls


# --------------------------------------------------------------------------------------
# haplotype builder (bcftools consensus semantics for biallelic, non-overlapping records)

def apply_variants(seq, start, end, recs):
    """One haplotype of seq[start:end] (0-based, half-open) edited with recs, a sorted list
    of (pos0, REF, ALT), as `samtools faidx | bcftools consensus` builds it: records starting
    outside the window are ignored, one running past its end is cut there (REF to the
    window, a longer ALT to the cut REF's length), a record starting on a base an earlier
    record consumed is skipped, the REF must match (case-insensitively), the ALT takes the
    case of the reference base at POS, and an indel's shared first base is kept as it is.
    Returns (sequence, shifts) where shifts lists (first reference position after a
    length-changing record, cumulative length change) for hap_coord()."""
    out = []
    cur = start
    delta = 0
    shifts = []
    last = -1
    for p0, r, a in recs:
        if p0 < start or p0 >= end or p0 <= last:
            continue
        if p0 + len(r) > end:
            r = r[:end - p0]
            if len(a) > len(r):
                a = a[:len(r)]
        if seq[p0:p0 + len(r)].upper() != r.upper():
            raise ValueError("REF %s does not match the reference (%s) at 0-based %d" % (r, seq[p0:p0 + len(r)], p0))
        out.append(seq[cur:p0])
        a = a.upper() if seq[p0].isupper() else a.lower()
        if len(r) != len(a) and r[0].upper() == a[0].upper():
            out.append(seq[p0])
            out.append(a[1:])
        else:
            out.append(a)
        cur = p0 + len(r)
        last = cur - 1
        if len(a) != len(r):
            delta += len(a) - len(r)
            shifts.append((cur, delta))
    out.append(seq[cur:end])
    return "".join(out), shifts


def hap_coord(start, shifts, p):
    """Haplotype offset of reference position p (0-based; p must not be deleted)."""
    d = 0
    for q, dd in shifts:
        if q <= p:
            d = dd
        else:
            break
    return p - start + d


# --------------------------------------------------------------------------------------
# the mechanism

def softplus(x):
    return np.logaddexp(0.0, x)


def gene_weights(rng, P, genes, pwms):
    acts = np.array([m["activity"] for m in pwms])
    for g in genes:
        u = rng.lognormal(0.0, P["gene_weight_sd"], len(pwms))
        flip = rng.random(len(pwms)) < P["flip_frac"]
        g["motif_mult"] = np.where(flip, -u, u)
        g["flipped"] = [pwms[i]["name"] for i in np.flatnonzero(flip)]
        for e in g["elements"]:
            e["w"] = acts * g["motif_mult"] * e["scale"]


class Mechanism:
    """Element haplotype sequences built with apply_variants and scanned for motif sites,
    cached by the set of alleles the element carries."""

    def __init__(self, P, ref, variants, tables):
        self.ref = ref
        self.variants = variants
        self.tables = tables
        self.tau = P["motif_threshold"]
        self.cache = {}
        self.by_chrom = {}
        for i, v in enumerate(variants):
            self.by_chrom.setdefault(v["chrom"], []).append(i)
        self.pos = {c: np.array([variants[i]["pos0"] for i in ix]) for c, ix in self.by_chrom.items()}
        self.end = {c: np.array([variants[i]["pos0"] + len(variants[i]["ref"]) for i in ix])
                    for c, ix in self.by_chrom.items()}
        self.scans = 0

    def element_variants(self, chrom, s, e):
        if chrom not in self.pos:
            return np.zeros(0, int)
        lo = np.searchsorted(self.pos[chrom], s, side="left")
        hi = np.searchsorted(self.pos[chrom], e, side="left")
        ix = np.arange(lo, hi)
        ix = ix[self.end[chrom][ix] <= e]
        return np.array(self.by_chrom[chrom], int)[ix]

    def element_seq(self, chrom, s, e, carried):
        recs = [(self.variants[i]["pos0"], self.variants[i]["ref"], self.variants[i]["alt"]) for i in carried]
        return apply_variants(self.ref[chrom]["seq"], s, e, recs)[0]

    def affinity(self, chrom, s, e, carried):
        key = (chrom, s, e, tuple(carried))
        a = self.cache.get(key)
        if a is None:
            seq = self.element_seq(chrom, s, e, carried)
            a = affinities(to_codes(seq), self.tables, self.tau)
            self.cache[key] = a
            self.scans += 1
        return a


def compute_genetics(P, genes, variants, G, mech, pwms):
    """Per gene: haplotype scores (2N,), element-level causal variant effects."""
    n_hap = G.shape[1]
    causal = []
    for g in genes:
        score = np.zeros(n_hap)
        score_prom = np.zeros(n_hap)
        ref_score = 0.0
        g["element_scores"] = {}
        for ei, e in enumerate(g["elements"]):
            vix = mech.element_variants(g["chrom"], e["start"], e["end"])
            e["variants"] = vix
            a_ref = mech.affinity(g["chrom"], e["start"], e["end"], ())
            e["ref_affinity"] = a_ref
            s_ref = float(a_ref @ e["w"])
            ref_score += s_ref
            if len(vix) == 0:
                score += s_ref
                if ei == 0:
                    score_prom += s_ref
                continue
            sub = G[vix, :].T                              # (n_hap, k)
            combos, inv = np.unique(sub, axis=0, return_inverse=True)
            inv = inv.reshape(-1)
            vals = np.empty(len(combos))
            for ci, cmb in enumerate(combos):
                carried = tuple(vix[np.flatnonzero(cmb)].tolist())
                vals[ci] = mech.affinity(g["chrom"], e["start"], e["end"], carried) @ e["w"]
            score += vals[inv]
            if ei == 0:
                score_prom += vals[inv]
            # causal variants: reversion changes the element's value in some carried combo,
            # or the variant alone changes it on the reference background
            for j, vi in enumerate(vix.tolist()):
                alone = mech.affinity(g["chrom"], e["start"], e["end"], (vi,))
                d_aff = alone - a_ref
                d_ref = float(alone @ e["w"]) - s_ref
                d_max = abs(d_ref)
                for ci, cmb in enumerate(combos):
                    if not cmb[j]:
                        continue
                    without = tuple(vix[np.flatnonzero(cmb)].tolist())
                    without = tuple(x for x in without if x != vi)
                    dv = vals[ci] - float(mech.affinity(g["chrom"], e["start"], e["end"], without) @ e["w"])
                    d_max = max(d_max, abs(dv))
                if d_max > 1e-9:
                    causal.append(dict(gene=g, variant=vi, element=e["name"], d_ref=d_ref, d_max=d_max,
                                       motifs=",".join("%s%+.3f" % (pwms[m]["name"], d_aff[m])
                                                       for m in np.flatnonzero(np.abs(d_aff) > 1e-9))))
        g["hap_score"] = score
        g["ref_score"] = ref_score
        # score with only the promoter varying: the share of the genetic variance it carries
        g["hap_score_prom_only"] = score_prom + (ref_score - float(g["elements"][0]["ref_affinity"] @ g["elements"][0]["w"]))
    return causal


def rate(P, s):
    return softplus(s) + P["basal"]


def expression_from_scores(P, s1, s2):
    return np.log2(rate(P, s1) + rate(P, s2))


# --------------------------------------------------------------------------------------
# writers

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r


def bgzip_to(path, text_bytes):
    with open(path, "wb") as f:
        r = subprocess.run(["bgzip", "-c"], input=text_bytes, stdout=f, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("bgzip failed: " + r.stderr.decode(errors="replace"))


def write_fasta(path, layout, ref):
    buf = io.StringIO()
    for c in layout:
        s = ref[c["chrom"]]["seq"]
        buf.write(">%s\n" % c["chrom"])
        buf.write("\n".join(s[i:i + 60] for i in range(0, len(s), 60)))
        buf.write("\n")
    bgzip_to(path, buf.getvalue().encode("ascii"))
    for ext in (".fai", ".gzi"):
        if os.path.exists(path + ext):
            os.remove(path + ext)
    run(["samtools", "faidx", path])


def gene_names(rng, n):
    letters = "ABCDEFGHKLMNPRSTVWZ"
    names, seen = [], set()
    while len(names) < n:
        nm = "".join(letters[i] for i in rng.integers(0, len(letters), 3)) + str(int(rng.integers(1, 20)))
        if nm not in seen:
            seen.add(nm)
            names.append(nm)
    return names


def write_gtf(path, rng, genes):
    lines = []
    n_tx = 0
    for g in genes:
        s1, e1 = g["start0"] + 1, g["end0"]      # 1-based inclusive
        gid = g["gene_id"]
        attrs = 'gene_id "%s"; gene_version "%s"; gene_name "%s"; gene_type "%s";' % (
            gid, gid.split(".")[1], g["gene_name"], g["gene_type"])
        lines.append("\t".join([g["chrom"], "varformer_sim", "gene", str(s1), str(e1), ".", g["strand"], ".", attrs]))
        # transcript 1: all exons; transcript 2 (some genes): skips one interior exon
        L = e1 - s1 + 1
        n_ex = int(rng.integers(2, 9)) if L > 3000 else 2
        first = int(rng.integers(80, 300))
        last = int(rng.integers(200, 800))
        last = min(last, L // 3)
        first = min(first, L // 3)
        inner = []
        if n_ex > 2:
            lo, hi = s1 + first + 100, e1 - last - 100
            if hi - lo > 400 * (n_ex - 2):
                cuts = np.sort(rng.choice(np.arange(lo, hi - 300, 50), size=n_ex - 2, replace=False))
                prev_end = lo - 100
                for c in cuts.tolist():
                    c = max(int(c), prev_end + 100)
                    ln = int(rng.integers(60, 250))
                    if c + ln > hi:
                        break
                    inner.append((c, c + ln - 1))
                    prev_end = c + ln - 1
        exons = [(s1, s1 + first - 1)] + inner + [(e1 - last + 1, e1)]
        n_tx += 1
        txs = [("SIMT%05d.1" % n_tx, exons)]
        if len(inner) >= 1 and rng.random() < 0.4:
            skip = int(rng.integers(0, len(inner)))
            n_tx += 1
            txs.append(("SIMT%05d.1" % n_tx, [x for i, x in enumerate(exons) if i != skip + 1]))
        for ti, (tid, exs) in enumerate(txs):
            tattrs = attrs + ' transcript_id "%s"; transcript_name "%s-%d"; transcript_type "%s";' % (
                tid, g["gene_name"], 201 + ti, g["gene_type"])
            lines.append("\t".join([g["chrom"], "varformer_sim", "transcript", str(s1), str(e1), ".", g["strand"], ".", tattrs]))
            order = exs if g["strand"] == "+" else exs[::-1]
            for k, (a, b) in enumerate(order):
                lines.append("\t".join([g["chrom"], "varformer_sim", "exon", str(a), str(b), ".", g["strand"], ".",
                                        tattrs + ' exon_number %d;' % (k + 1)]))
    with open(path, "w") as f:
        f.write("##description: simulated annotation (tools/simulate_cohort.py)\n")
        f.write("##format: gtf\n")
        f.write("\n".join(lines) + "\n")


def write_vcf(path, P, layout, variants, G, samples):
    codes = np.array(["0|0", "0|1", "1|0", "1|1"])
    gt = codes[G[:, 0::2].astype(np.int64) * 2 + G[:, 1::2]]
    buf = io.StringIO()
    buf.write("##fileformat=VCFv4.2\n")
    buf.write("##source=varformer tools/simulate_cohort.py seed=%d\n" % P["seed"])
    buf.write("##reference=reference.fa.gz\n")
    for c in layout:
        buf.write("##contig=<ID=%s,length=%d>\n" % (c["chrom"], c["length"]))
    buf.write('##FILTER=<ID=PASS,Description="All filters passed">\n')
    buf.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    buf.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples) + "\n")
    for i, v in enumerate(variants):
        buf.write("%s\t%d\t%s\t%s\t%s\t.\tPASS\t.\tGT\t" % (v["chrom"], v["pos0"] + 1, v["id"], v["ref"], v["alt"]))
        buf.write("\t".join(gt[i].tolist()))
        buf.write("\n")
    bgzip_to(path, buf.getvalue().encode("ascii"))
    if os.path.exists(path + ".tbi"):
        os.remove(path + ".tbi")
    run(["tabix", "-p", "vcf", path])


def write_tsv(path, header, rows, gz=False):
    text = "\t".join(header) + "\n" + "".join("\t".join(str(x) for x in r) + "\n" for r in rows)
    if gz:
        with open(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
                f.write(text.encode())
    else:
        with open(path, "w") as f:
            f.write(text)


def fmt(x, nd=5):
    s = "%.*f" % (nd, x)
    return "0" if s.strip("-0.") == "" else s


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True)
        return (r.stdout or r.stderr).decode(errors="replace").splitlines()[0].strip()
    except (OSError, IndexError):
        return None


# --------------------------------------------------------------------------------------
# self-check

def selfcheck(a, P, D, out, layout, genes, ref, variants, G, samples, gv, mech):
    log("selfcheck: bcftools view / norm, samtools faidx, bcftools consensus")
    vcf = os.path.join(out, "cohort.vcf.gz")
    fa = os.path.join(out, "reference.fa.gz")
    n = int(run(["bcftools", "view", "-H", vcf]).stdout.count(b"\n"))
    assert n == len(variants), "bcftools view reads %d records, wrote %d" % (n, len(variants))
    before = run(["bcftools", "view", "-H", vcf]).stdout
    after = run(["bash", "-c", "bcftools norm -c e -f '%s' '%s' -Ov 2>/dev/null | bcftools view -H" % (fa, vcf)]).stdout
    assert before == after, "bcftools norm changes records: not normalized"
    rng = np.random.default_rng(P["seed"] + 7)
    for c in layout:
        for _ in range(5):
            s = int(rng.integers(0, c["length"] - 500))
            got = run(["samtools", "faidx", fa, "%s:%d-%d" % (c["chrom"], s + 1, s + 500)]).stdout.decode().split("\n", 1)[1].replace("\n", "")
            assert got == ref[c["chrom"]]["seq"][s:s + 500], "samtools faidx differs at %s:%d" % (c["chrom"], s + 1)
    # people: check_people from each population; genes: all in --small, else 8 (those with
    # the most indels in their elements first, then random)
    N1, N2 = D["pop_sizes"]
    people = list(rng.choice(N1, min(a.check_people, N1), replace=False)) + \
        list(N1 + rng.choice(N2, min(a.check_people, N2), replace=False))
    def n_indels(g):
        return sum(sum(variants[i]["kind"] != "snv" for i in e["variants"]) for e in g["elements"])
    order = sorted(range(len(genes)), key=lambda i: -n_indels(genes[i]))
    gsel = order[:4] + list(rng.choice(order[4:], min(4, max(0, len(order) - 4)), replace=False)) if len(genes) > 8 else order
    n_cmp = n_applied = n_ind = n_lower = 0
    for gi in gsel:
        g = genes[gi]
        chrom = g["chrom"]
        lo = max(0, min(e["start"] for e in g["elements"]) - 500)
        hi = min(len(ref[chrom]["seq"]), max(e["end"] for e in g["elements"]) + 500)
        vix = [i for i, v in enumerate(variants) if v["chrom"] == chrom and lo <= v["pos0"] < hi]
        for p in people:
            for h in (0, 1):
                carried = [i for i in vix if G[i, 2 * p + h]]
                recs = [(variants[i]["pos0"], variants[i]["ref"], variants[i]["alt"]) for i in carried]
                mine, shifts = apply_variants(ref[chrom]["seq"], lo, hi, recs)
                cmd = "samtools faidx '%s' %s:%d-%d | bcftools consensus -s %s -H %d '%s' 2>/dev/null" % (
                    fa, chrom, lo + 1, hi, samples[p], h + 1, vcf)
                theirs = "".join(run(["bash", "-c", cmd]).stdout.decode().split("\n")[1:])
                assert mine == theirs, "haplotype differs from bcftools consensus: %s hap %d gene %s" % (
                    samples[p], h + 1, g["gene_id"])
                n_cmp += 1
                n_applied += len(carried)
                n_ind += sum(variants[i]["kind"] != "snv" for i in carried)
                n_lower += sum(ref[chrom]["seq"][variants[i]["pos0"]].islower() for i in carried)
                # the genetic value recomputed from the bcftools sequence
                tot = 0.0
                for e in g["elements"]:
                    a0 = hap_coord(lo, shifts, e["start"])
                    a1 = hap_coord(lo, shifts, e["end"])
                    el = theirs[a0:a1]
                    carried_e = tuple(i for i in e["variants"].tolist() if G[i, 2 * p + h])
                    assert el == mech.element_seq(chrom, e["start"], e["end"], carried_e), \
                        "element %s of %s differs" % (e["name"], g["gene_id"])
                    tot += float(affinities(to_codes(el), mech.tables, mech.tau) @ e["w"])
                assert abs(tot - g["hap_score"][2 * p + h]) < 1e-9, "score differs for %s %s" % (samples[p], g["gene_id"])
    log("selfcheck ok: %d records read and already normalized; %d haplotype windows of %d genes equal "
        "bcftools consensus (%d variant applications, %d indels, %d in soft-masked sequence); "
        "scores recomputed from those sequences match" % (n, n_cmp, len(gsel), n_applied, n_ind, n_lower))


# --------------------------------------------------------------------------------------

def recorded_args(argv, outdir):
    """The command line as the manifest records it: without the self-check options and
    with OUTDIR for the output directory, so the manifest does not depend on either."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
            continue
        if x == "--selfcheck" or x.startswith("--check-people="):
            continue
        if x == "--check-people":
            skip = True
            continue
        out.append("OUTDIR" if x == outdir else x)
    return out


def main(argv=None):
    a, P = parse_args(argv if argv is not None else sys.argv[1:])
    D = derived(P)
    for tool in ("bgzip", "tabix", "samtools") + (("bcftools",) if a.selfcheck else ()):
        if shutil.which(tool) is None:
            raise SystemExit("%s not found (Debian: apt-get install tabix samtools bcftools)" % tool)
    out = a.outdir
    os.makedirs(os.path.join(out, "truth"), exist_ok=True)
    ss = np.random.SeedSequence(P["seed"])
    r_layout, r_ref, r_var, r_pop, r_w, r_noise, r_split, r_gtf = [np.random.default_rng(s) for s in ss.spawn(8)]

    pwms = build_pwms(P["motif_threshold"])
    tables = motif_tables(pwms)
    layout, genes = make_layout(r_layout, P, D)
    names = gene_names(r_layout, len(genes))
    for i, g in enumerate(genes):
        g["gene_id"] = "SIMG%04d.%d" % (i + 1, int(r_layout.integers(1, 6)))
        g["gene_name"] = names[i]
        g["gene_type"] = "lncRNA" if r_layout.random() < 0.1 else "protein_coding"
    log("layout: %d contigs, %d genes" % (len(layout), len(genes)))
    ref = make_reference(r_ref, P, layout, genes, pwms, tables)
    log("reference: %d bp" % sum(len(r["seq"]) for r in ref.values()))
    variants = make_variants(r_var, P, D, layout, genes, ref, pwms, tables)
    G, cls = make_population(r_pop, P, D, layout, variants)
    keep = G.any(axis=1)                                 # polymorphic (or fixed) in the cohort
    variants = [v for v, k in zip(variants, keep.tolist()) if k]
    G, cls = G[keep], cls[keep]
    for i, v in enumerate(variants):
        v["id"] = "sv%06d" % (i + 1)
        v["class"] = ["shared", "private_" + D["pop_names"][0], "private_" + D["pop_names"][1]][cls[i]]
    log("variants: %d (%d SNV, %d insertions, %d deletions)" % (
        len(variants), sum(v["kind"] == "snv" for v in variants), sum(v["kind"] == "ins" for v in variants),
        sum(v["kind"] == "del" for v in variants)))

    N1, N2 = D["pop_sizes"]
    samples = ["%s_%04d" % (D["pop_names"][0], i + 1) for i in range(N1)] + \
              ["%s_%04d" % (D["pop_names"][1], i + 1) for i in range(N2)]
    pop_of = [D["pop_names"][0]] * N1 + [D["pop_names"][1]] * N2

    # mechanism
    gene_weights(r_w, P, genes, pwms)
    mech = Mechanism(P, ref, variants, tables)
    causal = compute_genetics(P, genes, variants, G, mech, pwms)
    log("mechanism: %d element haplotypes scanned, %d causal (gene, variant) pairs" % (mech.scans, len(causal)))

    # heritability and noise (population 1 defines the variance)
    n = N1 + N2
    expr = np.zeros((len(genes), n))
    gval = np.zeros((len(genes), n))
    in_pop1 = np.arange(n) < N1
    for gi, g in enumerate(genes):
        s = g["hap_score"]
        gv = expression_from_scores(P, s[0::2], s[1::2])
        gref = float(expression_from_scores(P, g["ref_score"], g["ref_score"]))
        var_g = float(gv[in_pop1].var())
        u = r_noise.random()
        h2 = float(r_noise.uniform(P["h2_min"], P["h2_max"]))
        if u < P["null_frac"]:
            g["h2_class"], g["h2"] = "null", 0.0
        elif var_g < 1e-10:
            g["h2_class"], g["h2"] = "no_variation", 0.0
        else:
            g["h2_class"], g["h2"] = "drawn", h2
        if g["h2_class"] == "drawn":
            sd = math.sqrt(var_g * (1 - h2) / h2)
            genetic = gv
        elif g["h2_class"] == "no_variation":       # the mechanism holds; population 1 does not vary
            sd = P["null_noise_sd"]
            genetic = gv
        else:                                       # null: expression does not follow the haplotypes
            sd = P["null_noise_sd"]
            genetic = np.full(n, gref)
        eps = r_noise.normal(0.0, sd, n)
        expr[gi] = genetic + eps
        gval[gi] = genetic
        g["noise_sd"] = sd
        g["gref"] = gref
        g["gv_mech"] = gv
        g["var_g_pop1"] = var_g
        for k, mask in (("pop1", in_pop1), ("pop2", ~in_pop1)):
            vy = float(expr[gi][mask].var())
            g["h2_" + k] = float(genetic[mask].var()) / vy if vy > 0 else 0.0
        sp = g["hap_score_prom_only"]
        gp = expression_from_scores(P, sp[0::2], sp[1::2])
        g["prom_frac"] = float(gp[in_pop1].var()) / var_g if var_g > 1e-12 else 0.0

    # splits
    train1 = np.zeros(N1, bool)
    train1[r_split.permutation(N1)[: int(round(P["train_frac"] * N1))]] = True
    split = ["train" if train1[i] else "heldout" for i in range(N1)] + ["heldout"] * N2
    order = sorted(range(len(genes)), key=lambda i: (genes[i]["h2"], i))
    n_hold = int(round(P["heldout_gene_frac"] * len(genes)))
    step = len(genes) / n_hold if n_hold else 0
    held = set(order[int(step * k + r_split.integers(0, max(1, int(step))))] for k in range(n_hold)) if n_hold else set()
    for gi, g in enumerate(genes):
        g["split"] = "heldout" if gi in held else "train"

    # ---- write
    fa = os.path.join(out, "reference.fa.gz")
    write_fasta(fa, layout, ref)
    write_gtf(os.path.join(out, "genes.gtf"), r_gtf, genes)
    write_vcf(os.path.join(out, "cohort.vcf.gz"), P, layout, variants, G, samples)
    log("wrote reference, GTF, VCF")
    write_tsv(os.path.join(out, "samples.tsv"), ["sample", "population", "split"],
              [(s, p, sp) for s, p, sp in zip(samples, pop_of, split)])
    grows = []
    for g in genes:
        els = g["elements"]
        grows.append((g["gene_id"], g["gene_name"], g["chrom"], g["tss0"] + 1, g["strand"], g["split"],
                      fmt(g["h2"], 4), g["h2_class"], fmt(g["h2_pop1"], 4), fmt(g["h2_pop2"], 4),
                      fmt(math.sqrt(g["var_g_pop1"]), 5), fmt(g["noise_sd"], 5), fmt(g["gref"], 5),
                      g["start0"] + 1, g["end0"], len(els) - 1,
                      min(e["start"] for e in els) + 1, max(e["end"] for e in els),
                      max(max(abs(e["start"] - g["tss0"]), abs(e["end"] - 1 - g["tss0"])) for e in els),
                      fmt(g["prom_frac"], 4),
                      sum(1 for c in causal if c["gene"] is g),
                      ",".join(g["flipped"]) or "."))
    write_tsv(os.path.join(out, "genes.tsv"),
              ["gene_id", "gene_name", "chrom", "tss", "strand", "split", "h2", "h2_class", "h2_pop1", "h2_pop2",
               "genetic_sd_pop1", "noise_sd", "ref_expression", "gene_start", "gene_end", "n_enhancers",
               "mechanism_start", "mechanism_end", "mechanism_reach", "promoter_var_frac", "n_causal",
               "flipped_motifs"], grows)
    erows = []
    for i, s in enumerate(samples):
        for gi, g in enumerate(genes):
            erows.append((s, pop_of[i], g["gene_id"], fmt(expr[gi, i], 5)))
    write_tsv(os.path.join(out, "expression.tsv"), ["sample", "population", "gene_id", "expression"], erows)
    # truth
    write_tsv(os.path.join(out, "truth", "motifs.tsv"),
              ["motif", "consensus", "strength", "length", "activity", "max_score", "threshold",
               "prob_A", "prob_C", "prob_G", "prob_T"],
              [(m["name"], m["consensus"], m["iupac"], m["k"], m["activity"], fmt(m["max"], 4), P["motif_threshold"])
               + tuple(",".join("%.4f" % x for x in m["prob"][:, b]) for b in range(4)) for m in pwms])
    el_rows, w_rows = [], []
    for g in genes:
        for e in g["elements"]:
            el_rows.append((g["gene_id"], e["name"], g["chrom"], e["start"] + 1, e["end"],
                            (e["start"] + e["end"]) // 2 - g["tss0"], fmt(e["scale"], 4), len(e["variants"]),
                            fmt(float(e["ref_affinity"] @ e["w"]), 5),
                            ",".join("%s@%d%s" % (nm, p + 1, "+" if st > 0 else "-") for nm, p, st in e["planted"]) or "."))
            for mi, m in enumerate(pwms):
                w_rows.append((g["gene_id"], e["name"], m["name"], fmt(e["w"][mi], 5), fmt(e["ref_affinity"][mi], 5)))
    write_tsv(os.path.join(out, "truth", "elements.tsv"),
              ["gene_id", "element", "chrom", "start", "end", "offset_from_tss", "scale", "n_variants",
               "ref_score", "planted_sites"], el_rows)
    write_tsv(os.path.join(out, "truth", "weights.tsv"),
              ["gene_id", "element", "motif", "weight", "ref_affinity"], w_rows)
    af = {}
    for k, mask in ((0, in_pop1), (1, ~in_pop1)):
        cols = np.repeat(mask, 2)
        af[k] = G[:, cols].mean(axis=1)
    c_rows = []
    for c in causal:
        g, v = c["gene"], variants[c["variant"]]
        d_expr = float(expression_from_scores(P, g["ref_score"] + c["d_ref"], g["ref_score"]) -
                       expression_from_scores(P, g["ref_score"], g["ref_score"]))
        c_rows.append((g["gene_id"], v["chrom"], v["pos0"] + 1, v["id"], v["ref"], v["alt"], v["kind"],
                       c["element"], v["origin"], v["class"], fmt(c["d_ref"], 5), fmt(c["d_max"], 5),
                       fmt(d_expr, 5), fmt(af[0][c["variant"]], 4), fmt(af[1][c["variant"]], 4),
                       0 if g["h2_class"] == "null" else 1, c["motifs"] or "."))
    write_tsv(os.path.join(out, "truth", "causal_variants.tsv"),
              ["gene_id", "chrom", "pos", "id", "ref", "alt", "kind", "element", "origin", "class",
               "score_effect_ref", "score_effect_max", "expression_effect_ref", "af_" + D["pop_names"][0],
               "af_" + D["pop_names"][1], "in_expression", "motif_affinity_change"], c_rows)
    gv_rows = []
    for i, s in enumerate(samples):
        for gi, g in enumerate(genes):
            gv_rows.append((s, g["gene_id"], fmt(g["hap_score"][2 * i], 5), fmt(g["hap_score"][2 * i + 1], 5),
                            fmt(g["gv_mech"][i], 5), fmt(gval[gi, i], 5)))
    write_tsv(os.path.join(out, "truth", "genetic_values.tsv.gz"),
              ["sample", "gene_id", "hap1_score", "hap2_score", "mechanism_value", "genetic_value"], gv_rows, gz=True)

    files = ["reference.fa.gz", "reference.fa.gz.fai", "reference.fa.gz.gzi", "genes.gtf", "cohort.vcf.gz",
             "cohort.vcf.gz.tbi", "samples.tsv", "genes.tsv", "expression.tsv", "truth/motifs.tsv",
             "truth/elements.tsv", "truth/weights.tsv", "truth/causal_variants.tsv", "truth/genetic_values.tsv.gz"]
    counts = dict(
        contigs={c["chrom"]: c["length"] for c in layout},
        n_bases=sum(c["length"] for c in layout),
        soft_masked_bases=int(sum((np.frombuffer(r["seq"].encode(), np.uint8) >= 97).sum() for r in ref.values())),
        n_bases_N=int(sum((r["codes"] == 4).sum() for r in ref.values())),
        n_genes=len(genes), n_genes_train=sum(g["split"] == "train" for g in genes),
        n_genes_null=sum(g["h2"] == 0 for g in genes),
        n_samples=n, n_samples_train=int(train1.sum()),
        n_variants=len(variants), n_snv=sum(v["kind"] == "snv" for v in variants),
        n_ins=sum(v["kind"] == "ins" for v in variants), n_del=sum(v["kind"] == "del" for v in variants),
        n_targeted=sum(v["origin"] != "background" for v in variants),
        n_causal_pairs=len(causal), n_causal_variants=len(set(c["variant"] for c in causal)),
        n_causal_indels=len(set(c["variant"] for c in causal if variants[c["variant"]]["kind"] != "snv")),
    )
    manifest = dict(
        generator="tools/simulate_cohort.py",
        command=" ".join(["/usr/bin/python3", "tools/simulate_cohort.py"] + recorded_args(argv if argv is not None else sys.argv[1:], a.outdir)),
        seed=P["seed"],
        small=a.small,
        parameters=P,
        motifs=[dict(name=m["name"], consensus=m["consensus"], strength=m["iupac"], activity=m["activity"],
                     promoter_weight=m["prom"], enhancer_weight=m["enh"]) for m in pwms],
        model=dict(
            haplotype_score="s(h) = sum over the gene's elements e and motifs m of w[g,e,m] * A_m(seq_e(h)); "
                            "A_m = sum over positions of exp(score - max) for sites scoring >= max - threshold "
                            "(best of both strands); w[g,e,m] = activity_m * scale_e * u[g,m], "
                            "u ~ lognormal(0, gene_weight_sd), negated with probability flip_frac",
            expression="log2(softplus(s(h1)) + softplus(s(h2)) + 2*basal) + N(0, noise_sd^2); noise_sd from h2 "
                       "in population %s; null genes: the reference value + N(0, null_noise_sd^2)" % D["pop_names"][0]),
        counts=counts,
        versions=dict(python=sys.version.split()[0], numpy=np.__version__, bgzip=tool_version(["bgzip", "--version"]),
                      samtools=tool_version(["samtools", "--version"])),
        files={f: sha256(os.path.join(out, f)) for f in files},
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    log("wrote %s (%d people, %d genes, %d variants)" % (out, n, len(genes), len(variants)))
    if a.selfcheck:
        selfcheck(a, P, D, out, layout, genes, ref, variants, G, samples, gval, mech)
    return 0


if __name__ == "__main__":
    sys.exit(main())
