#!/usr/bin/env python3
"""SQL-level goldens of predict_expression / variant_effect / explain_expression for the
deep predictors, from bcftools consensus and the PyTorch references (predictors.py).

    /usr/bin/python3 test/reference/make_fused_sql_goldens.py build/generated/predictor/models test/fixtures/fused

MODELS_DIR holds the random-weight checkpoints make_predictor_fixtures.py writes (ukbioformer,
enformer_pt). OUT_DIR receives the fixture the SQL test reads and the expected values:

  ref.fa (+ .fai)       one seeded random contig "chr5" (8 kb, a soft-masked stretch)
  genes.gtf             GENEP (+ strand, TSS 3000) and GENEM (- strand, TSS 5600)
  people.vcf.gz (+.tbi) phased SNVs, insertions and deletions around both TSSs: a deletion
                        that removes GENEP's TSS base on one haplotype, one that removes
                        GENEM's TSS (its gene end) on another, indels before the TSSs that
                        shift the windows, sites far outside every window, a sample with
                        its first haplotype swapped with another's, and one unphased
                        heterozygous call (S5) near GENEP's TSS
  expected.csv          model,sample,gene,value: predict_expression per model of the test
  effects.csv           model,pos,ref,alt,gene,value: variant_effect
  explain.csv           model,sample,gene,pos,ref,alt,hap,value: explain_expression

How a value is made (independently of varformer): each haplotype is
`bcftools consensus -f ref.fa -s S -H h -c chain` over the whole contig; the TSS is carried
into haplotype coordinates through the chain file (a deleted TSS base maps to the next
surviving base); the model window is the `w` bases starting w // 2 before it, reverse-
complemented for a minus-strand gene when the model was loaded with reverse_complement. Then:
  fused (ukbioformer)   predictors.FusedPredictor on the trunk and encoder windows
  seq2func (enformer_pt) the human head, summed over the tss_bins central bins
                        (bins // 2 - tss_bins // 2 onwards) of track `track`, averaged over
                        the two haplotypes, or of the averaged one-hot (diploid_onehot)
The models and their options are MODELS below; the SQL test loads them the same way.
"""
import argparse
import csv
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import encoders  # noqa: E402
import predictors as P  # noqa: E402
import tokenizers_ref  # noqa: E402

CONTIG, LENGTH = "chr5", 8000
GENES = [("GENEP", "ENSG00000900001.1", 3000, 3500, "+"), ("GENEM", "ENSG00000900002.1", 5000, 5600, "-")]
# name -> (checkpoint directory, load options); the SQL test loads exactly these
MODELS = {
    "fz": ("ukbioformer", {}),
    "fz_rc": ("ukbioformer_lightning", {"reverse_complement": True}),
    "fz_chunk": ("ukbioformer_chunked", {}),
    "s2f": ("enformer_pt", {"window": 1280}),
    "s2f_dip": ("enformer_pt", {"window": 1280, "diploid_onehot": True, "tss_bins": 5, "track": 2,
                                "reverse_complement": True}),
}
SAMPLES = ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]


def tss(g):
    return g[2] if g[4] == "+" else g[3]


def reference(rng):
    seq = [rng.choice("ACGT") for _ in range(LENGTH)]
    for i in range(3400, 3460):     # soft-masked repeat inside GENEP's windows
        seq[i] = seq[i].lower()
    return "".join(seq)


def variants(ref):
    """(pos, ref, alt, {sample: gt}) with REF read from the reference."""
    def r(pos, n=1):
        return ref[pos - 1:pos - 1 + n].upper()

    def alt_base(b):
        return "ACGT"[("ACGT".index(b) + 1) % 4]

    v = []

    def add(pos, n, alt, gts):
        v.append((pos, r(pos, n), alt(r(pos, n)) if callable(alt) else alt, gts))

    add(1200, 1, alt_base, {"S1": "1|0", "S2": "1|1"})                        # far outside every window
    add(2900, 11, lambda a: a[0], {"S4": "1|1"})                               # 10-base deletion before GENEP's TSS
    add(2950, 1, lambda a: a + "TTTG", {"S2": "1|0", "S7": "0|1"})             # insertion before the TSS
    add(2990, 1, alt_base, {"S1": "1|0", "S3": "0|1", "S7": "0|1"})           # SNV in the encoder window
    add(2998, 5, lambda a: a[0], {"S3": "1|0"})                                # deletes 2999-3002: GENEP's TSS base
    add(3000, 1, alt_base, {"S2": "0|1", "S1": "0|1"})                        # the TSS base itself
    add(3010, 1, alt_base, {"S5": "0/1", "S4": "0|1"})                        # unphased for S5
    add(3200, 1, alt_base, {"S1": "1|1", "S6": "0|0"})                        # trunk window only
    add(3420, 1, lambda a: alt_base(a), {"S2": "0|1"})                         # in the soft-masked stretch
    add(5400, 1, alt_base, {"S1": "0|1", "S4": "1|0"})                        # GENEM trunk window
    add(5580, 3, lambda a: a[0], {"S2": "1|0"})                                # deletion before GENEM's TSS
    add(5599, 3, lambda a: a[0], {"S3": "0|1", "S7": "1|0"})                  # deletes 5600-5601: GENEM's TSS
    add(5610, 1, lambda a: a + "GA", {"S1": "1|0", "S4": "1|1"})               # insertion after it (upstream on -)
    add(5650, 1, alt_base, {"S2": "1|1", "S3": "1|0"})
    add(7600, 1, alt_base, {"S4": "0|1"})                                      # far outside
    return v


def write_fixture(out, ref, var):
    with open(os.path.join(out, "ref.fa"), "w") as f:
        f.write(">%s\n" % CONTIG)
        for i in range(0, len(ref), 60):
            f.write(ref[i:i + 60] + "\n")
    subprocess.run(["samtools", "faidx", os.path.join(out, "ref.fa")], check=True)
    with open(os.path.join(out, "genes.gtf"), "w") as f:
        f.write("##description: varformer fused-model test genes\n")
        for name, gid, start, end, strand in GENES:
            f.write('%s\tTEST\tgene\t%d\t%d\t.\t%s\t.\tgene_id "%s"; gene_type "protein_coding"; gene_name "%s";\n'
                    % (CONTIG, start, end, strand, gid, name))
    vcf = os.path.join(out, "people.vcf")
    with open(vcf, "w") as f:
        f.write("##fileformat=VCFv4.2\n##contig=<ID=%s,length=%d>\n" % (CONTIG, LENGTH))
        f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(SAMPLES) + "\n")
        for pos, r, a, gts in var:
            f.write("%s\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t%s\n"
                    % (CONTIG, pos, r, a, "\t".join(gts.get(s, "0|0") for s in SAMPLES)))
    subprocess.run(["bgzip", "-f", vcf], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", vcf + ".gz"], check=True)


def parse_chain(path):
    """[(t_start, q_start, size)] ungapped blocks, 0-based."""
    blocks = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "chain":
                t, q = int(w[5]), int(w[10])
                continue
            size = int(w[0])
            blocks.append((t, q, size))
            t += size
            q += size
            if len(w) == 3:
                t += int(w[1])
                q += int(w[2])
    return blocks


def map_pos(blocks, pos1):
    """1-based reference position -> 0-based haplotype offset; deleted: the next surviving base."""
    p = pos1 - 1
    for t, q, size in blocks:
        if p < t:
            return q
        if p < t + size:
            return q + p - t
    raise ValueError("position past the last block")


def consensus(out, vcf, sample, hap, sites=None):
    """(sequence, chain blocks) of one haplotype; sites, if given, is an edited VCF."""
    if sites and sites.endswith(".vcf"):
        with open(sites + ".gz", "wb") as z:
            subprocess.run(["bgzip", "-c", sites], check=True, stdout=z)
        sites += ".gz"
        subprocess.run(["tabix", "-f", "-p", "vcf", sites], check=True)
    with tempfile.TemporaryDirectory() as d:
        chain = os.path.join(d, "chain")
        r = subprocess.run(["bcftools", "consensus", "-f", os.path.join(out, "ref.fa"), "-s", sample,
                            "-H", str(hap), "-c", chain, sites or vcf], check=True, capture_output=True, text=True)
        seq = "".join(l.strip() for l in r.stdout.splitlines() if not l.startswith(">"))
        if not os.path.exists(chain) or os.path.getsize(chain) == 0:
            return seq, [(0, 0, len(seq))]
        return seq, parse_chain(chain)


def window(seq, blocks, pos1, w, rc):
    off = map_pos(blocks, pos1)
    s = seq[off - w // 2: off - w // 2 + w]
    assert len(s) == w
    if rc:
        s = s[::-1].translate(str.maketrans("ACGTNacgtn", "TGCANtgcan"))
    return s


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__" or v["dtype"] != "F32":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])
    return out


def load_into(model, path, strip=""):
    sd = {k[len(strip):] if k.startswith(strip) else k: v for k, v in read_safetensors(path).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit("%s: missing %s unexpected %s" % (path, missing[:3], unexpected[:3]))
    return model.eval()


class Predictor:
    def __init__(self, models_dir, ckpt, options):
        d = os.path.join(models_dir, ckpt)
        self.config = json.load(open(os.path.join(d, "config.json")))
        self.options = options
        self.rc = options.get("reverse_complement", False)
        if self.config["model_type"] == "ukbioformer":
            model = load_into(P.UKBioFormer(self.config), os.path.join(d, "model.safetensors"),
                              "model." if "lightning" in ckpt else "")
            ec = json.load(open(os.path.join(d, "encoder", "config.json")))
            enc = load_into(encoders.build(ec), os.path.join(d, "encoder", "model.safetensors"))
            tok = tokenizers_ref.JsonRef(open(os.path.join(d, "encoder", "tokenizer.json")).read())
            self.fused = P.FusedPredictor(model, enc, tok.tokenize)
            self.widths = (self.config["window"], self.config["encoder_window"])
        else:
            self.fused = None
            self.model = load_into(P.EnformerPT(self.config), os.path.join(d, "model.safetensors"))
            self.widths = (options["window"],)

    def predict(self, haps, pos1, minus):
        """haps: [(seq, blocks)] x 2."""
        rc = self.rc and minus
        with torch.no_grad():
            if self.fused:
                w, e = self.widths
                args = [window(s, b, pos1, w, rc) for s, b in haps] + [window(s, b, pos1, e, rc) for s, b in haps]
                return self.fused.predict(*args)["out"].item()
            w = self.widths[0]
            wins = [window(s, b, pos1, w, rc) for s, b in haps]
            track, nb = self.options.get("track", 0), self.options.get("tss_bins", 3)
            if self.options.get("diploid_onehot"):
                xs = [(P.one_hot(wins[0]) + P.one_hot(wins[1])) / 2]
            else:
                xs = [P.one_hot(s) for s in wins]
            vals = []
            for x in xs:
                y = self.model(x[None])["human"][0]
                first = y.shape[0] // 2 - nb // 2
                vals.append(y[first:first + nb, track].double().sum().item())
            return sum(vals) / len(vals)


def edited_vcf(out, var, sample, site, hap, path):
    """The fixture VCF with sample's allele at site (index into var) on hap set to 0."""
    with open(path, "w") as f:
        f.write("##fileformat=VCFv4.2\n##contig=<ID=%s,length=%d>\n" % (CONTIG, LENGTH))
        f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t%s\n" % sample)
        for i, (pos, r, a, gts) in enumerate(var):
            gt = gts.get(sample, "0|0").split("|")
            if i == site:
                gt[hap - 1] = "0"
            f.write("%s\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t%s\n" % (CONTIG, pos, r, a, "|".join(gt)))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models_dir")
    ap.add_argument("out_dir")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out_dir, exist_ok=True)
    ref = reference(random.Random(56))
    var = variants(ref)
    write_fixture(a.out_dir, ref, var)
    vcf = os.path.join(a.out_dir, "people.vcf.gz")
    preds = {name: Predictor(a.models_dir, ckpt, opts) for name, (ckpt, opts) in MODELS.items()}
    haps = {s: [consensus(a.out_dir, vcf, s, h) for h in (1, 2)] for s in SAMPLES if s != "S5"}

    with open(os.path.join(a.out_dir, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "sample", "gene", "value"])
        for name, p in preds.items():
            for s in SAMPLES:
                if s == "S5":
                    continue
                for g in GENES:
                    w.writerow([name, s, g[0], "%.9g" % p.predict(haps[s], tss(g), g[4] == "-")])

    # variant_effect: the variant on both haplotypes of the reference, minus the reference
    effects = [(2990, "GENEP"), (3000, "GENEP"), (2950, "GENEP"), (5599, "GENEM"), (5650, "GENEM")]
    with open(os.path.join(a.out_dir, "effects.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "pos", "ref", "alt", "gene", "value"])
        with tempfile.TemporaryDirectory() as d:
            for pos, gname in effects:
                v = next(x for x in var if x[0] == pos)
                g = next(x for x in GENES if x[0] == gname)
                one = os.path.join(d, "one.vcf")
                with open(one, "w") as o:
                    o.write("##fileformat=VCFv4.2\n##contig=<ID=%s,length=%d>\n" % (CONTIG, LENGTH))
                    o.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
                    o.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tX\n")
                    o.write("%s\t%d\t.\t%s\t%s\t.\tPASS\t.\tGT\t1|1\n" % (CONTIG, v[0], v[1], v[2]))
                alt = [consensus(a.out_dir, vcf, "X", h, one) for h in (1, 2)]
                refh = [(ref, [(0, 0, LENGTH)])] * 2
                for name in ("fz", "s2f"):
                    p = preds[name]
                    w.writerow([name, pos, v[1], v[2], gname,
                                "%.9g" % (p.predict(alt, tss(g), g[4] == "-") - p.predict(refh, tss(g), g[4] == "-"))])

    # explain_expression for S3 and S1 on GENEP (fz) and S2 on GENEM (s2f): each carried allele
    # in the haplotype's build window (the widest window plus its margin), reverted alone
    with open(os.path.join(a.out_dir, "explain.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "sample", "gene", "pos", "ref", "alt", "hap", "value"])
        with tempfile.TemporaryDirectory() as d:
            for name, s, gname in (("fz", "S3", "GENEP"), ("fz", "S1", "GENEP"), ("s2f", "S2", "GENEM")):
                p = preds[name]
                g = next(x for x in GENES if x[0] == gname)
                wmax = max(p.widths)
                margin = wmax // 4 + 1000
                lo = max(1, tss(g) - wmax // 2 - margin)
                hi = min(LENGTH, tss(g) - wmax // 2 + wmax - 1 + margin)
                full = p.predict(haps[s], tss(g), g[4] == "-")
                for i, (pos, r, alt, gts) in enumerate(var):
                    if not lo <= pos <= hi:
                        continue
                    for h in (1, 2):
                        if gts.get(s, "0|0").split("|")[h - 1] != "1":
                            continue
                        path = edited_vcf(a.out_dir, var, s, i, h, os.path.join(d, "e.vcf"))
                        edited = [consensus(a.out_dir, vcf, s, k, path) for k in (1, 2)]
                        w.writerow([name, s, gname, pos, r, alt, h,
                                    "%.9g" % (full - p.predict(edited, tss(g), g[4] == "-"))])


if __name__ == "__main__":
    main()
