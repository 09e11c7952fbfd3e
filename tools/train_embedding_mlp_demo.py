#!/usr/bin/python3
"""Trains the demo's embeddings-only model (issue 11 point 2d), as Ramprasad et al. use
Nucleotide Transformer embeddings: the language model's pooled embeddings of a person's two
haplotypes, concatenated, go through a small MLP that predicts expression. No trunk.

    /usr/bin/python3 tools/train_embedding_mlp_demo.py DATADIR FEATURES.npz ENCODER_DIR OUTDIR
        [--hidden H] [--steps N] [--seed S] [--threads T]

(Ramprasad et al. put a small transformer over embeddings of many windows; here one pooled
window per haplotype and an MLP, the part of the fused model the embeddings feed, so the two
models differ only by the trunk.) Training rows and model selection: demo_heads.py.

On-disk format (varformer's architecture embedding_mlp, load_model kind embedding_head), a directory:
  config.json        {"model_type": "embedding_mlp", "ext_emb_len": 2 * hidden_size of the
                     encoder, "hidden": H, "encoder_window", "encoder_chunk", "pooling": "mean"}
  model.safetensors  mlp.0.weight [H, ext_emb_len], mlp.0.bias [H], mlp.2.weight [1, H],
                     mlp.2.bias [1] (the names of the fused model's MLP), F32
  encoder/           the language model, as in the ukbioformer directory
One prediction: e1, e2 = the encoder's pooled embeddings of haplotype 1 and 2 over
`encoder_window` bases centred on the TSS in each haplotype's own coordinates (pieces of
`encoder_chunk` bases averaged, exactly as the ukbioformer kind); output =
mlp.2(relu(mlp.0([e1, e2]))). That is the ukbioformer computation with beta = 0 and no trunk,
so varformer serves it with the fused model's encoder branch and MLP code
(src/lib/models/pooled_encoder.c, pair_mlp.c) and no trunk.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_cohort  # noqa: E402
import demo_heads  # noqa: E402
import demo_models as dm  # noqa: E402

T0 = time.time()


def log(msg):
    dm.log("train_embedding_mlp", T0, msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("features")
    ap.add_argument("encoder_dir")
    ap.add_argument("outdir")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    cohort = demo_cohort.Cohort(a.datadir)
    features = demo_heads.load_features(a.features)
    meta = features[2]
    if meta["encoder_sha256"] != dm.sha256_dir(a.encoder_dir):
        sys.exit("%s was computed with another encoder than %s" % (a.features, a.encoder_dir))
    heads, info = demo_heads.train(cohort, features, False, a.hidden, a.steps, a.seed, log)
    enc_cfg, enc = dm.load_encoder(a.encoder_dir)
    config = {"model_type": "embedding_mlp", "ext_emb_len": 2 * enc_cfg["hidden_size"], "hidden": a.hidden,
              "encoder_window": meta["encoder_window"], "encoder_chunk": meta["encoder_chunk"], "pooling": "mean"}
    dm.write_model(a.outdir, config, heads, dtype="F32")
    dm.write_encoder(os.path.join(a.outdir, "encoder"), enc_cfg, enc, keep_lm_head=False)
    with open(a.outdir.rstrip("/") + ".training.json", "w") as f:
        json.dump(dict(info, args=vars(a), seconds=time.time() - T0), f, indent=1)
    log("wrote %s" % a.outdir)


if __name__ == "__main__":
    main()
