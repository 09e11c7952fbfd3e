#!/usr/bin/env python3
"""Checkpoints load_model must refuse, naming the tensor (sql/55_predict_tracks.sql), derived
from make_predictor_fixtures.py's: one with a tensor missing (under both of its
enformer-pytorch names), one with a misshapen tensor, a gReLU one missing a bias.

    make_broken_predictors.py MODELS_DIR
"""
import json, os, shutil, struct, sys
models = sys.argv[1]

def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v, data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}

def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        meta, blob = tensors[name]
        header[name] = {"dtype": meta["dtype"], "shape": meta["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

def derive(src, dst, edit):
    os.makedirs(os.path.join(models, dst), exist_ok=True)
    shutil.copy(os.path.join(models, src, "config.json"), os.path.join(models, dst, "config.json"))
    t = read(os.path.join(models, src, "model.safetensors"))
    edit(t)
    write(os.path.join(models, dst, "model.safetensors"), t)

def drop(*names):
    return lambda t: [t.pop(n) for n in names]

def reshape(name, shape):
    def edit(t):
        meta, blob = t[name]
        t[name] = (dict(meta, shape=shape), blob)
    return edit

derive("enformer_pt", "broken_enformer_missing",
       drop("transformer.1.0.fn.1.to_rel_k.weight", "_trunk.4.1.0.fn.1.to_rel_k.weight"))
derive("enformer_trunk_alias", "broken_enformer_misshapen",
       reshape("_trunk.2.1.0.2.weight", [24, 32, 5]))   # [out, in, k] with out and in swapped
derive("enformer_grelu", "broken_grelu_missing", drop("embedding.pointwise_conv.conv.bias"))
