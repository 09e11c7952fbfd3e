#!/usr/bin/python3
"""Accuracy of expression predictions on the simulated demo cohort, against its truth
(issue 11 point 3's table).

    /usr/bin/python3 tools/evaluate_demo.py DATADIR PREDICTIONS.tsv [--tsv OUT.tsv] [--markdown]

PREDICTIONS.tsv: columns sample, gene, model, prediction (header line; more columns ignored),
as tools/predict_demo.py or a `COPY (SELECT ...) TO` of predict_expression writes it.
DATADIR: tools/simulate_cohort.py's output (samples.tsv, genes.tsv, expression.tsv,
truth/genetic_values.tsv.gz).

For each model and each evaluation set, per gene the Pearson r across individuals between the
prediction and the measured expression; then over genes: how many genes the model predicted
(a gene with no prediction, e.g. an elastic net without a model for it, counts as "cannot
predict"; a prediction constant across the set's individuals has no r and is counted as
such), the median and mean r, the fraction of genes with r < 0 (wrong sign), and the median r
against the noiseless genetic value (truth/genetic_values: what the prediction could reach
without noise). Sets:
  heldout_pop1   training genes, held-out individuals of pop1 (the training population)
  pop2           training genes, every individual of pop2 (never seen)
  heldout_genes  held-out genes, held-out individuals of pop1
Genes whose expression does not vary genetically in the set's population (h2_class null, or no
causal variant varying there) stay in; the "drawn" columns repeat median r and wrong sign over
the genes with a drawn h2 only.
"""
import argparse
import csv
import gzip
import math
import os
import sys

import numpy as np

SETS = [("heldout_pop1", "train", "pop1", ("heldout",)),
        ("pop2", "train", "pop2", ("heldout", "train")),
        ("heldout_genes", "heldout", "pop1", ("heldout",))]


def read_tsv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def pearson(x, y, tol=0.0):
    """NaN when either side is constant (the genetic value of a gene without variation in the
    population differs only in its printed digits: tol 1e-4 for it)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) <= tol:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("predictions")
    ap.add_argument("--tsv", help="also write the table here")
    ap.add_argument("--per-gene", help="write per-gene r here")
    a = ap.parse_args()

    samples = {r["sample"]: (r["population"], r["split"]) for r in read_tsv(os.path.join(a.datadir, "samples.tsv"))}
    genes = {r["gene_id"]: r for r in read_tsv(os.path.join(a.datadir, "genes.tsv"))}
    expr = {(r["sample"], r["gene_id"]): float(r["expression"]) for r in read_tsv(os.path.join(a.datadir, "expression.tsv"))}
    gv = {(r["sample"], r["gene_id"]): float(r["genetic_value"])
          for r in read_tsv(os.path.join(a.datadir, "truth", "genetic_values.tsv.gz"))}
    preds = {}
    with open(a.predictions) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            preds.setdefault(r["model"], {})[(r["sample"], r["gene"])] = float(r["prediction"])

    rows, per_gene = [], []
    for model in sorted(preds):
        p = preds[model]
        for set_name, gene_split, pop, splits in SETS:
            people = [s for s, (po, sp) in samples.items() if po == pop and sp in splits]
            gs = [g for g, r in genes.items() if r["split"] == gene_split]
            rs, rs_gv, drawn, missing, constant = [], [], [], 0, 0
            for g in gs:
                have = [s for s in people if (s, g) in p]
                if not have:
                    missing += 1
                    continue
                x = [p[(s, g)] for s in have]
                if np.std(x) == 0:
                    constant += 1
                    continue
                r = pearson(x, [expr[(s, g)] for s in have])
                r_gv = pearson(x, [gv[(s, g)] for s in have], 1e-4)
                if math.isnan(r):
                    constant += 1
                    continue
                rs.append(r)
                if not math.isnan(r_gv):
                    rs_gv.append(r_gv)
                if genes[g]["h2_class"] == "drawn":
                    drawn.append(r)
                per_gene.append((model, set_name, g, genes[g]["h2_class"], r, r_gv))
            rs, drawn = np.array(rs), np.array(drawn)
            rows.append({
                "model": model, "set": set_name, "genes": len(gs), "predicted": len(rs),
                "cannot_predict": missing, "constant": constant,
                "median_r": float(np.median(rs)) if len(rs) else float("nan"),
                "mean_r": float(np.mean(rs)) if len(rs) else float("nan"),
                "wrong_sign": float(np.mean(rs < 0)) if len(rs) else float("nan"),
                "median_r_vs_genetic_value": float(np.median(rs_gv)) if rs_gv else float("nan"),
                "drawn_median_r": float(np.median(drawn)) if len(drawn) else float("nan"),
                "drawn_wrong_sign": float(np.mean(drawn < 0)) if len(drawn) else float("nan"),
                "people": len(people)})
    cols = ["model", "set", "people", "genes", "predicted", "cannot_predict", "constant", "median_r", "mean_r",
            "wrong_sign", "median_r_vs_genetic_value", "drawn_median_r", "drawn_wrong_sign"]

    def fmt(v):
        if isinstance(v, float):
            return "n/a" if math.isnan(v) else "%.3f" % v
        return str(v)

    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    if a.tsv:
        with open(a.tsv, "w") as f:
            f.write("\t".join(cols) + "\n")
            for r in rows:
                f.write("\t".join(fmt(r[c]) for c in cols) + "\n")
    if a.per_gene:
        with open(a.per_gene, "w") as f:
            f.write("model\tset\tgene\th2_class\tr\tr_genetic_value\n")
            for m, s, g, c, r, rg in per_gene:
                f.write("%s\t%s\t%s\t%s\t%.4f\t%.4f\n" % (m, s, g, c, r, rg))


if __name__ == "__main__":
    sys.exit(main())
