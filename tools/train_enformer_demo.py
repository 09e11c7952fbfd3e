#!/usr/bin/python3
"""Trains the demo's reference-only Enformer-style trunk (issue 11 point 2a): what Enformer is,
at toy scale. It sees only the REFERENCE sequence around each training gene's TSS and learns
the gene's expression level across genes; individual variation never enters training.

    /usr/bin/python3 tools/train_enformer_demo.py DATADIR OUTDIR [--window BP] [--steps N]
        [--batch B] [--seed S] [--threads T]

Writes OUTDIR (model_type "enformer", enformer-pytorch's names and EnformerConfig keys, the
layout of test/reference/make_predictor_fixtures.py's enformer_pt) and OUTDIR.training.json.
Weights are stored as F16 (the bundle must stay small), each tensor once under its main name
(no _trunk.* aliases, which would double the file).

config.json carries, beside EnformerConfig's keys, "window" (bases of each haplotype read),
"track" 0 and "tss_bins" 3: how predict_expression must read the model.

Target and read-out (what predict_expression must do with it, issue 10 point 3's defaults):
the human head's track 0, summed over the 3 central bins of a window of `window` bases centred
on the TSS (the window is 8 * an odd number of bases, so the TSS sits in the middle bin and
"central" is unambiguous), is trained to equal 2**y, y = the gene's mean expression over the
training individuals of the training population. The track is thus on the linear scale of the
simulator's expression (which is log2 of a summed activity), as Enformer's CAGE tracks are
counts; log2 of it is on the expression table's scale. Loss: squared error of log2(sum + 0.01)
against y. Augmentation: the window shifted by up to --shift bases (the TSS stays in the
central bin). No reverse complement: predict_expression reads the + strand unless loaded with
the reverse-complement option, so the model is trained on what it will be given.

At prediction time on a person (PyTorch side: tools/predict_demo.py; SQL side: issue 10's
default) each haplotype's window is centred on the TSS in that haplotype's own coordinates
and the two haplotypes' read-outs are averaged.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_cohort  # noqa: E402
import demo_models as dm  # noqa: E402

T0 = time.time()
TSS_BINS = 3


def log(msg):
    dm.log("train_enformer", T0, msg)


def central_sum(track, n=TSS_BINS):
    """track (b, bins) -> (b,) sum of the n central bins (bins odd)."""
    b = track.shape[1]
    start = (b - n) // 2
    return track[:, start:start + n].sum(dim=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("outdir")
    ap.add_argument("--window", type=int, default=2056, help="bases; 8 x an odd number")
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--shift", type=int, default=3)
    ap.add_argument("--population", default="pop1")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dm.seed_all(a.seed)
    rng = random.Random(a.seed)
    if a.window % 8 or (a.window // 8) % 2 == 0:
        sys.exit("--window must be 8 times an odd number (the TSS bin must be the middle one)")

    cohort = demo_cohort.Cohort(a.datadir)
    people = cohort.sample_indices(a.population, "train")
    genes = cohort.gene_ids("train")
    y = {g: float(np.nanmean(cohort.expression[g][people])) for g in genes}
    # reference windows with room for the shift augmentation
    wide = {g: cohort.window(g, None, 1, a.window + 2 * a.shift) for g in genes}
    log("%d training genes, reference windows of %d bases, mean expression over %d people"
        % (len(genes), a.window, len(people)))

    config = dm.enformer_config()
    model = dm.P.EnformerPT(config)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10) * max(0.05, 1 - s / a.steps))
    history, run = [], 0.0
    order = []
    model.train()
    for step in range(a.steps):
        if len(order) < a.batch:
            order += rng.sample(genes, len(genes))
        batch, order = order[:a.batch], order[a.batch:]
        xs = []
        for g in batch:
            s = rng.randint(0, 2 * a.shift)
            xs.append(dm.one_hot(wide[g][s:s + a.window]))
        track = model(torch.stack(xs))["human"][:, :, 0]
        pred = torch.log2(central_sum(track) + 0.01)
        loss = ((pred - torch.tensor([y[g] for g in batch])) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        run += loss.item()
        if (step + 1) % 20 == 0 or step + 1 == a.steps:
            k = 20 if (step + 1) % 20 == 0 else (step + 1) % 20
            history.append({"step": step + 1, "mse": run / k})
            log("step %d  mse %.3f (variance of the targets %.3f)" % (step + 1, run / k, np.var(list(y.values()))))
            run = 0.0
    model.eval()
    with torch.no_grad():
        fit = []
        for i in range(0, len(genes), 16):
            gs = genes[i:i + 16]
            x = torch.stack([dm.one_hot(wide[g][a.shift:a.shift + a.window]) for g in gs])
            fit += torch.log2(central_sum(model(x)["human"][:, :, 0]) + 0.01).tolist()
    r = float(np.corrcoef(fit, [y[g] for g in genes])[0, 1])
    log("training genes: Pearson r of log2(read-out) with mean expression %.3f" % r)
    # window / track / tss_bins: how predict_expression reads this model (extra keys, which
    # enformer-pytorch's EnformerConfig keeps and ignores)
    file_config = dict(config, model_type="enformer", architectures=["Enformer"], torch_dtype="float32",
                       window=a.window, track=0, tss_bins=TSS_BINS)
    # one name per tensor: the _trunk.* aliases would double the file for the same weights
    tensors = {k: v for k, v in model.state_dict().items() if not k.startswith("_trunk.")}
    dm.write_model(a.outdir, file_config, tensors)
    with open(a.outdir.rstrip("/") + ".training.json", "w") as f:
        json.dump({"args": vars(a), "history": history, "train_gene_r": r, "seconds": time.time() - T0,
                   "readout": {"track": 0, "tss_bins": TSS_BINS, "scale": "2**expression",
                               "haplotypes": "mean of the two haplotypes' read-outs"},
                   "parameters": sum(p.numel() for p in model.parameters())}, f, indent=1)
    log("wrote %s" % a.outdir)


if __name__ == "__main__":
    main()
