"""The simulated demo cohort (tools/simulate_cohort.py's output) as the training scripts read it.

    import demo_cohort
    c = demo_cohort.Cohort("build/sim")
    c.genes["SIMG0001.1"]            # dict from genes.tsv (tss 1-based, strand, split, ...)
    c.samples                        # [(sample, population, split)] in VCF column order
    c.expression[gene]               # float64 array over c.samples (NaN where absent)
    seq = c.window(gene, sample_index, hap, width)   # haplotype_window semantics

Haplotype windows follow varformer's haplotype_window (README "Coordinate map"): the haplotype
is the reference with that haplotype's ALT alleles applied as bcftools consensus does (the
simulator writes no overlapping or adjacent records, so no skipping rule is ever needed here),
the gene's TSS is mapped into the haplotype's own coordinates (a deleted base maps to the next
surviving one) and the window is `width` haplotype bases with the TSS at 0-based index
width // 2. Case is kept (lower case = soft-masked reference); models upper-case or not as
their input rules say.

Everything is plain Python + NumPy; identical haplotypes over a window share one key
(`window_key`), which is how the feature scripts compute each distinct sequence once.
"""
import bisect
import csv
import gzip
import os

import numpy as np


def read_tsv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_fasta(path):
    opener = gzip.open if path.endswith(".gz") else open
    seqs, name, parts = {}, None, []
    with opener(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if name is not None:
                    seqs[name] = "".join(parts)
                name, parts = line[1:].split()[0], []
            else:
                parts.append(line.strip())
    if name is not None:
        seqs[name] = "".join(parts)
    return seqs


class Cohort:
    def __init__(self, datadir):
        self.dir = datadir
        self.reference = read_fasta(os.path.join(datadir, "reference.fa.gz"))
        self.gene_list = read_tsv(os.path.join(datadir, "genes.tsv"))
        self.genes = {g["gene_id"]: g for g in self.gene_list}
        for g in self.gene_list:
            g["tss"] = int(g["tss"])
        split = {r["sample"]: (r["population"], r["split"]) for r in read_tsv(os.path.join(datadir, "samples.tsv"))}
        self._read_vcf(os.path.join(datadir, "cohort.vcf.gz"))
        self.samples = [(s,) + split[s] for s in self.sample_names]
        self.index = {s: i for i, s in enumerate(self.sample_names)}
        self.expression = {g["gene_id"]: np.full(len(self.samples), np.nan) for g in self.gene_list}
        for r in read_tsv(os.path.join(datadir, "expression.tsv")):
            self.expression[r["gene_id"]][self.index[r["sample"]]] = float(r["expression"])

    def _read_vcf(self, path):
        self.var = {}   # chrom -> dict(pos (1-based, sorted), ref, alt, id, gt (n_var, n_samples, 2) int8)
        rows = {}
        with gzip.open(path, "rt") as f:
            for line in f:
                if line.startswith("##"):
                    continue
                fields = line.rstrip("\n").split("\t")
                if line.startswith("#"):
                    self.sample_names = fields[9:]
                    continue
                if "," in fields[4]:
                    raise ValueError("multi-allelic record at %s:%s: the simulator writes none" % (fields[0], fields[1]))
                gt = [(int(g[0]), int(g[2])) if g[1] == "|" else (-1, -1) for g in fields[9:]]
                rows.setdefault(fields[0], []).append((int(fields[1]), fields[3], fields[4], fields[2], gt))
        for chrom, rs in rows.items():
            rs.sort(key=lambda r: r[0])
            self.var[chrom] = {"pos": [r[0] for r in rs], "ref": [r[1] for r in rs], "alt": [r[2] for r in rs],
                               "id": [r[3] for r in rs], "gt": np.array([r[4] for r in rs], dtype=np.int8)}
            if (self.var[chrom]["gt"] < 0).any():
                raise ValueError("unphased or missing calls on %s: the windows need phased haplotypes" % chrom)

    # ------------------------------------------------------------------ splits

    def sample_indices(self, population=None, split=None):
        return [i for i, (_, pop, spl) in enumerate(self.samples)
                if (population is None or pop == population) and (split is None or spl == split)]

    def gene_ids(self, split=None):
        return [g["gene_id"] for g in self.gene_list if split is None or g["split"] == split]

    # ------------------------------------------------------------------ haplotypes

    def _span(self, chrom, lo, hi):
        """Indices of the records lying wholly inside [lo, hi] (1-based inclusive)."""
        v = self.var.get(chrom)
        if v is None:
            return range(0)
        a = bisect.bisect_left(v["pos"], lo)
        b = bisect.bisect_right(v["pos"], hi)
        while b > a and v["pos"][b - 1] + len(v["ref"][b - 1]) - 1 > hi:
            b -= 1
        return range(a, b)

    def _bounds(self, gene, width):
        g = self.genes[gene]
        return self._region(g["chrom"], g["tss"], width)

    def _region(self, chrom, centre, width):
        pad = width // 2 + 2000   # room for deletions before the window is cut
        lo = max(1, centre - width // 2 - pad)
        hi = min(len(self.reference[chrom]), centre + width // 2 + pad)
        return chrom, centre, lo, hi

    def centred(self, chrom, centre, width, sample, hap):
        """Any window: `width` haplotype bases with reference position `centre` at width // 2."""
        chrom, centre, lo, hi = self._region(chrom, centre, width)
        span = self._span(chrom, lo, hi)
        key = ()
        if sample is not None and len(span):
            alleles = self.var[chrom]["gt"][span.start:span.stop, sample, hap - 1]
            key = tuple(span.start + np.flatnonzero(alleles))
        return self.window_from_key(chrom, centre, lo, hi, key, width)

    def window_key(self, gene, sample, hap, width):
        """Hashable identity of a haplotype over the region its window is cut from."""
        chrom, _, lo, hi = self._bounds(gene, width)
        span = self._span(chrom, lo, hi)
        if not len(span):
            return ()
        alleles = self.var[chrom]["gt"][span.start:span.stop, sample, hap - 1]
        return tuple(span.start + np.flatnonzero(alleles)) if alleles.any() else ()

    def window(self, gene, sample, hap, width, key=None):
        """`width` bases of haplotype `hap` (1 or 2) of sample index `sample` (None = reference)
        centred on the gene's TSS in the haplotype's own coordinates."""
        chrom, centre, lo, hi = self._bounds(gene, width)
        if key is None:
            key = () if sample is None else self.window_key(gene, sample, hap, width)
        return self.window_from_key(chrom, centre, lo, hi, key, width)

    def window_from_key(self, chrom, centre, lo, hi, key, width):
        ref = self.reference[chrom]
        v = self.var.get(chrom)
        parts, cur, length, at = [], lo, 0, None
        for i in key:
            pos, r, a = v["pos"][i], v["ref"][i], v["alt"][i]
            if ref[pos - 1:pos - 1 + len(r)].upper() != r.upper():
                raise ValueError("REF %s at %s:%d does not match the reference" % (r, chrom, pos))
            if at is None and cur <= centre < pos:
                at = length + centre - cur
            parts.append(ref[cur - 1:pos - 1])
            length += pos - cur
            if at is None and pos <= centre < pos + len(r):
                k = centre - pos
                at = length + (k if k < len(a) else len(a))
            # ALT takes the case of the reference base it starts on (bcftools consensus)
            parts.append(a.lower() if ref[pos - 1].islower() else a.upper())
            length += len(a)
            cur = pos + len(r)
        if at is None:
            at = length + centre - cur
        parts.append(ref[cur - 1:hi])
        seq = "".join(parts)
        start = at - width // 2
        if start < 0 or start + width > len(seq):
            raise ValueError("window of %d bases around %s:%d runs off the built region" % (width, chrom, centre))
        return seq[start:start + width]
