#!/usr/bin/env python3
"""The DNABERT-6-shaped benchmark encoder: write it, or time PyTorch on it.

    bench_dnabert_torch.py write MODEL_DIR          random weights, the authors' names and config
    bench_dnabert_torch.py time MODEL_DIR SEQ_FILE  PyTorch eval/no_grad, one thread

Shape of zhihan1996/DNA_bert_6 (src/transformers/dnabert-config/bert-config-6): hidden 768,
12 layers, 12 heads, intermediate 3072, 512 positions, 4101-token vocabulary. `time` reads the
weights back from the safetensors file (both engines use the same bytes), tokenizes SEQ_FILE
as the authors do (dnabert_tokenizer_ref.py) and prints "torch_seconds S tokens N" (best of 3).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_encoder_torch  # noqa: E402
import dnabert_ref  # noqa: E402
import dnabert_tokenizer_ref as dtr  # noqa: E402
import make_encoder_fixtures as fx  # noqa: E402

CONFIG = dnabert_ref.config(6)


def main():
    torch.set_num_threads(1)
    mode, model_dir = sys.argv[1], sys.argv[2]
    model = dnabert_ref.DnabertForMaskedLM(CONFIG).eval()
    if mode == "write":
        fx.randomize(model, 4343)
        os.makedirs(model_dir, exist_ok=True)
        fx.write_safetensors(os.path.join(model_dir, "model.safetensors"), model.state_dict())
        with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2, sort_keys=True)
        with open(os.path.join(model_dir, "vocab.txt"), "w", newline="\n") as f:
            f.write(dtr.vocab_text(6))
        return
    model.load_state_dict(bench_encoder_torch.read_safetensors(os.path.join(model_dir, "model.safetensors")))
    seq = open(sys.argv[3]).read().strip()
    tok = dtr.DNATokenizer(dtr.vocab_text(6))
    ids = torch.tensor([dtr.varformer_ids(tok, seq, CONFIG["max_position_embeddings"])])
    best = float("inf")
    with torch.no_grad():
        model(ids)   # warm-up
        for _ in range(3):
            t0 = time.perf_counter()
            hidden = model(ids)
            best = min(best, time.perf_counter() - t0)
    pooled = hidden[0].mean(dim=0)
    print("torch_seconds %.4f tokens %d" % (best, ids.shape[1]))
    print("torch_pooled_head %s" % " ".join("%.6g" % v for v in pooled[:4].tolist()))


if __name__ == "__main__":
    main()
