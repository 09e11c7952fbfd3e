#!/usr/bin/python3
"""PyTorch-side predictions of the demo's trained models for every person and gene, read back
from the model files, so the accuracy is known before (and independently of) the SQL side.

    /usr/bin/python3 tools/predict_demo.py DATADIR MODELSDIR FEATURES.npz OUT.tsv [--threads T]

MODELSDIR is what tools/train_demo.sh wrote (enformer/, fused/, embedding_mlp/, lm/,
enet.db); FEATURES.npz is demo_features.py's output for MODELSDIR's enformer and lm. Writes
OUT.tsv with columns sample, gene, model, prediction; models:
  enformer       each haplotype's window (the trained width, centred on the TSS in the
                 haplotype's own coordinates) through the enformer-pytorch reference module,
                 human track 0 summed over the 3 central bins; the mean of the two haplotypes
                 (linear scale, see train_enformer_demo.py). Distinct haplotypes computed once.
  fused          the ukbioformer directory's head, MLP and beta applied to the features, after
                 checking that its trunk and encoder tensors equal the ones the features were
                 computed with (train_fused_demo.py --check compares the full forward pass).
  embedding_mlp  the same for the embeddings-only model.
  elastic_net    PredictDB's score: sum over the gene's weights of weight x dosage of eff_allele,
                 variants matched by varID CHROM_POS_REF_ALT (the simulator's alleles never need
                 flipping); genes without a model in the database get no rows.
"""
import argparse
import json
import os
import sqlite3
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_cohort  # noqa: E402
import demo_features  # noqa: E402
import demo_heads  # noqa: E402
import demo_models as dm  # noqa: E402
import train_enformer_demo  # noqa: E402

T0 = time.time()


def log(msg):
    dm.log("predict_demo", T0, msg)


def enformer_predictions(cohort, path, genes, window):
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    window = cfg.get("window", window)
    model = dm.P.EnformerPT(cfg).eval()
    model.load_state_dict(dm.read_safetensors(os.path.join(path, "model.safetensors")), strict=False)
    people = list(range(len(cohort.samples)))
    out = {}
    for g in genes:
        seqs, idx = demo_features.distinct_windows(cohort, g, people, window)
        with torch.no_grad():
            vals = []
            for k in range(0, len(seqs), 8):
                x = torch.stack([dm.one_hot(s) for s in seqs[k:k + 8]])
                vals += train_enformer_demo.central_sum(model(x)["human"][:, :, 0]).tolist()
        vals = np.array(vals)
        out[g] = (vals[idx[:, 0]] + vals[idx[:, 1]]) / 2
    return out


def same_tensors(a, b, pairs):
    return all(torch.equal(a[x], b[y]) for x, y in pairs)


def head_predictions(path, features, with_trunk, enformer_dir, lm_dir, genes):
    trunk, emb, meta = features
    sd = dm.read_safetensors(os.path.join(path, "model.safetensors"))
    enc = dm.read_safetensors(os.path.join(path, "encoder", "model.safetensors"))
    lm = dm.read_safetensors(os.path.join(lm_dir, "model.safetensors"))
    if not same_tensors(enc, lm, [(k, k) for k in enc]):
        sys.exit("%s/encoder is not %s's encoder" % (path, lm_dir))
    if with_trunk:
        ep, ukb, _ = demo_features.grelu_trunk_from_enformer(enformer_dir)
        ref = ukb.state_dict()
        if not same_tensors(sd, ref, [(k, k) for k in ref if k.startswith("embedding.")]):
            sys.exit("%s's trunk is not %s's" % (path, enformer_dir))
    return {g: demo_heads.predict(sd, trunk[k], emb[k], with_trunk) for k, g in enumerate(meta["genes"])
            if g in genes}


def enet_predictions(cohort, db):
    con = sqlite3.connect(db)
    weights = {}
    for gene, var_id, ref, eff, w in con.execute("SELECT gene, varID, ref_allele, eff_allele, weight FROM weights"):
        weights.setdefault(gene, []).append((var_id, ref, eff, w))
    lookup = {}
    for chrom, v in cohort.var.items():
        for i, (pos, ref, alt) in enumerate(zip(v["pos"], v["ref"], v["alt"])):
            lookup["%s_%d_%s_%s" % (chrom, pos, ref, alt)] = (chrom, i)
    out = {}
    for gene, ws in weights.items():
        score = np.zeros(len(cohort.samples))
        for var_id, ref, eff, w in ws:
            chrom, i = lookup[var_id]
            dosage = cohort.var[chrom]["gt"][i].sum(axis=1).astype(float)   # ALT count
            if eff == cohort.var[chrom]["alt"][i]:
                score += w * dosage
            elif eff == cohort.var[chrom]["ref"][i]:
                score += w * (2 - dosage)
            else:
                sys.exit("%s: effect allele %s is neither REF nor ALT" % (var_id, eff))
        out[gene] = score
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("modelsdir")
    ap.add_argument("features")
    ap.add_argument("out")
    ap.add_argument("--genes", default=None, help="comma-separated subset (default: the features' genes)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cohort = demo_cohort.Cohort(a.datadir)
    features = demo_heads.load_features(a.features)
    genes = a.genes.split(",") if a.genes else features[2]["genes"]
    m = a.modelsdir
    preds = {}
    if os.path.exists(os.path.join(m, "enet.db")):
        preds["elastic_net"] = {g: p for g, p in enet_predictions(cohort, os.path.join(m, "enet.db")).items()
                                if g in genes}
        log("elastic net: %d genes with a model" % len(preds["elastic_net"]))
    preds["fused"] = head_predictions(os.path.join(m, "fused"), features, True, os.path.join(m, "enformer"), os.path.join(m, "lm"), genes)
    preds["embedding_mlp"] = head_predictions(os.path.join(m, "embedding_mlp"), features, False, None,
                                              os.path.join(m, "lm"), genes)
    log("fused and embedding_mlp done")
    preds["enformer"] = enformer_predictions(cohort, os.path.join(m, "enformer"), genes, features[2]["window"])
    log("enformer done")
    with open(a.out, "w") as f:
        f.write("sample\tgene\tmodel\tprediction\n")
        for model, by_gene in preds.items():
            for g in genes:
                if g in by_gene:
                    for i, s in enumerate(cohort.sample_names):
                        f.write("%s\t%s\t%s\t%.7g\n" % (s, g, model, by_gene[g][i]))
    log("wrote %s" % a.out)


if __name__ == "__main__":
    main()
