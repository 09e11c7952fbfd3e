#!/usr/bin/python3
"""Fine-tunes the demo's fused UKBioFormer model (issue 11 point 2c) on personal haplotypes of
the training individuals: the Enformer-style trunk of train_enformer_demo.py (renamed to
gReLU's EnformerTrunk) reads the diploid one-hot, the language model of train_lm_demo.py
embeds each haplotype, and beta * head(trunk) + (1 - beta) * MLP([e1, e2]) is fitted to
expression with beta learned.

    /usr/bin/python3 tools/train_fused_demo.py DATADIR FEATURES.npz ENFORMER_DIR ENCODER_DIR OUTDIR
        [--steps N] [--seed S] [--threads T] [--check N]

FEATURES.npz is demo_features.py's output for the same ENFORMER_DIR and ENCODER_DIR (their
sha256 is checked). What is trained: the head (1x1 conv over the 2*channels trunk output),
the MLP (ext_emb_len -> 512 -> 1, as UKBioLM hard-codes it) and raw_beta. The trunk and the
language model stay frozen (trunk = the reference-trained Enformer weights, unchanged):
fine-tuning the 2.5M-parameter trunk on every distinct diploid window does not fit the
30-minute, 2-core budget of `make train-demo`. Training rows and model selection: see
demo_heads.py.

Writes OUTDIR in DESIGN.md's ukbioformer format, loadable by varformer unchanged:
  model.safetensors  UKBioBERT_EnformerPretrainedModel.state_dict() names (embedding.*, head.*,
                     mlp.0.*, mlp.2.*, raw_beta): trunk F16, head/MLP/raw_beta F32,
                     int64 num_batches_tracked as I64
  config.json        model_type ukbioformer, n_tasks 1, n_conv, channels, n_transformers, n_heads,
                     key_len, crop_len 0, final_pool_func avg, ext_emb_len, window,
                     encoder_window, encoder_chunk
  encoder/           the language model (esm.* only, config.json, vocab.txt)
and OUTDIR.training.json. With --check N, N (gene, person) predictions are recomputed from the
written files through test/reference/predictors.py's FusedPredictor on freshly built haplotype
windows and must equal the feature path's to 1% of the gene's cross-individual SD.
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
import demo_features  # noqa: E402
import demo_heads  # noqa: E402
import demo_models as dm  # noqa: E402

T0 = time.time()


def log(msg):
    dm.log("train_fused", T0, msg)


def check_files(outdir, cohort, features, n, seed):
    """Recompute n predictions from the written directory and compare with the feature path."""
    trunk, emb, meta = features
    with open(os.path.join(outdir, "config.json")) as f:
        c = json.load(f)
    model = dm.P.UKBioFormer(c).eval()
    model.load_state_dict(dm.read_safetensors(os.path.join(outdir, "model.safetensors")))
    _, enc = dm.load_encoder(os.path.join(outdir, "encoder"))
    fp = dm.P.FusedPredictor(model, enc, dm.nt_tokenize)
    sd = model.state_dict()
    rng = random.Random(seed)
    worst = 0.0
    all_fast = {}
    for _ in range(n):
        g = rng.choice(meta["genes"])
        i = rng.randrange(len(meta["samples"]))
        args = [cohort.window(g, i, 1, c["window"]), cohort.window(g, i, 2, c["window"]),
                cohort.window(g, i, 1, c["encoder_window"]), cohort.window(g, i, 2, c["encoder_window"])]
        with torch.no_grad():
            full = fp.predict(*args)["out"].item()
        k = meta["genes"].index(g)
        if k not in all_fast:
            all_fast[k] = demo_heads.predict(sd, trunk[k], emb[k], True)
        # relative to the spread across people: the MLP reads differences between pooled
        # embeddings that are far smaller than the embeddings, so float32 summation order
        # alone moves a prediction by ~1e-6 of the embedding scale
        spread = float(np.std(all_fast[k])) + 1e-6
        worst = max(worst, abs(full - all_fast[k][i]) / spread)
    log("check: %d predictions from the written files vs the feature path, worst difference %.2e "
        "of the gene's cross-individual SD" % (n, worst))
    if worst > 1e-2:
        sys.exit("the written model does not reproduce the trained one")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("features")
    ap.add_argument("enformer_dir")
    ap.add_argument("encoder_dir")
    ap.add_argument("outdir")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--check", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    cohort = demo_cohort.Cohort(a.datadir)
    features = demo_heads.load_features(a.features)
    meta = features[2]
    if meta["enformer_sha256"] != dm.sha256_dir(a.enformer_dir) or meta["encoder_sha256"] != dm.sha256_dir(a.encoder_dir):
        sys.exit("%s was computed with other models than %s and %s" % (a.features, a.enformer_dir, a.encoder_dir))
    heads, info = demo_heads.train(cohort, features, True, dm.P.MLP_HIDDEN, a.steps, a.seed, log)
    log("beta = sigmoid(raw_beta) = %.3f" % info["beta"])

    _, ukb, trunk_cfg = demo_features.grelu_trunk_from_enformer(a.enformer_dir)
    config = dict(trunk_cfg, model_type="ukbioformer", n_tasks=1, final_pool_func="avg",
                  ext_emb_len=2 * features[1].shape[3], window=meta["window"],
                  encoder_window=meta["encoder_window"], encoder_chunk=meta["encoder_chunk"])
    model = dm.P.UKBioFormer(config)
    sd = model.state_dict()
    for k, v in ukb.state_dict().items():
        if k.startswith("embedding."):
            sd[k] = v
    sd.update(heads)
    model.load_state_dict(sd)
    dm.write_model(a.outdir, config, model.state_dict(), keep_f32=("head.", "mlp.", "raw_beta"))
    enc_cfg, enc = dm.load_encoder(a.encoder_dir)
    dm.write_encoder(os.path.join(a.outdir, "encoder"), enc_cfg, enc, keep_lm_head=False)
    info["check_worst_relative_difference"] = check_files(a.outdir, cohort, features, a.check, a.seed) if a.check else None
    with open(a.outdir.rstrip("/") + ".training.json", "w") as f:
        json.dump(dict(info, args=vars(a), seconds=time.time() - T0), f, indent=1)
    log("wrote %s" % a.outdir)


if __name__ == "__main__":
    main()
