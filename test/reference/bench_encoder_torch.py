#!/usr/bin/env python3
"""The NT-v2-50M-shaped benchmark encoder: write it, or time PyTorch on it.

    bench_encoder_torch.py write MODEL_DIR          random weights, real names and config
    bench_encoder_torch.py time MODEL_DIR SEQ_FILE [RUNS]
                                                    PyTorch eval/no_grad, one thread
    bench_encoder_torch.py table MODEL_DIR SEQS_FILE THREADS BATCH
                                                    every line of SEQS_FILE, BATCH at a time

Shape of InstaDeepAI/nucleotide-transformer-v2-50m-multi-species: hidden 512, 12 layers,
16 heads, SwiGLU intermediate 2048, rotary, no FFN biases. `time` reads the weights back from
the safetensors file (so both engines use the same bytes), tokenizes SEQ_FILE as NT does and
prints "torch_seconds S tokens N" (best of RUNS runs after a warm-up, default 3).
`table` is the throughput peer of encoding a table: torch.set_num_threads(THREADS), the lines
tokenized and encoded BATCH at a time (sequences of equal token counts, so no padding), the
pooled embedding taken per sequence; prints "torch_table_seconds S sequences N" (tokenizing and
the forward passes after one warm-up batch; the model load is not counted) and the first
sequence's pooled head. The OpenBLAS threads PyTorch's products run on are the caller's
OPENBLAS_NUM_THREADS: torch.set_num_threads does not reach Debian's OpenBLAS, whose pool has a
thread per core unless told otherwise.
"""
import json
import os
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoders  # noqa: E402
import make_encoder_fixtures as fx  # noqa: E402

CONFIG = fx.esm_config(hidden_size=512, num_hidden_layers=12, num_attention_heads=16,
                       intermediate_size=2048, max_position_embeddings=2050,
                       position_embedding_type="rotary", token_dropout=False, add_bias_fnn=False,
                       auto_map={"AutoConfig": "esm_config.EsmConfig",
                                 "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM"})


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(meta["shape"])
    return out


def table(model, seqs_file, batch):
    seqs = [line.strip() for line in open(seqs_file) if line.strip()]
    with torch.no_grad():
        model(torch.tensor([fx.nt_tokenize(s) for s in seqs[:batch]]))   # warm-up
        t0 = time.perf_counter()
        pooled = []
        for b in range(0, len(seqs), batch):
            ids = torch.tensor([fx.nt_tokenize(s) for s in seqs[b:b + batch]])
            pooled.append(model(ids).mean(dim=1))
        dt = time.perf_counter() - t0
    print("torch_table_seconds %.4f sequences %d threads %d batch %d" % (dt, len(seqs), torch.get_num_threads(), batch))
    print("torch_pooled_head %s" % " ".join("%.6g" % v for v in pooled[0][0, :4].tolist()))


def main():
    mode, model_dir = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[4]) if mode == "table" else 1)
    model = encoders.build(CONFIG).eval()
    if mode == "write":
        fx.randomize(model, 4242)
        os.makedirs(model_dir, exist_ok=True)
        fx.write_safetensors(os.path.join(model_dir, "model.safetensors"), model.state_dict())
        with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2, sort_keys=True)
        with open(os.path.join(model_dir, "vocab.txt"), "w") as f:
            f.write("\n".join(fx.NT_VOCAB) + "\n")
        return
    model.load_state_dict(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    if mode == "table":
        table(model, sys.argv[3], int(sys.argv[5]))
        return
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    seq = open(sys.argv[3]).read().strip()
    ids = torch.tensor([fx.nt_tokenize(seq)])
    best = float("inf")
    with torch.no_grad():
        model(ids)   # warm-up
        for _ in range(runs):
            t0 = time.perf_counter()
            hidden = model(ids)
            best = min(best, time.perf_counter() - t0)
    pooled = hidden[0].mean(dim=0)
    print("torch_seconds %.4f tokens %d" % (best, ids.shape[1]))
    print("torch_pooled_head %s" % " ".join("%.6g" % v for v in pooled[:4].tolist()))


if __name__ == "__main__":
    main()
