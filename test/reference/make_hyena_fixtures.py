#!/usr/bin/env python3
"""Random-weight HyenaDNA checkpoints (test/reference/hyena.py: the -hf repositories' config.json
keys and tensor names, tiny shapes) and the last hidden states PyTorch computes for them.

    make_hyena_fixtures.py MODELS_DIR GOLDENS_DIR

writes, per model, MODELS_DIR/<model>_safetensors/{config.json, model.safetensors} and
MODELS_DIR/<model>_torch/{config.json, pytorch_model.bin} (torch.save of the same state_dict),
and GOLDENS_DIR/<model>.json: per case the sequence, the token ids of the reference tokenizer
and the hidden states. Neither directory has a tokenizer file, as the -hf repositories ship
theirs as code. Everything is seeded.
"""
import json
import os
import random
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hyena  # noqa: E402

MODELS = {
    # HyenaDNAForCausalLM ("hyena.backbone." names), the tiny-1k layout scaled down; the
    # safetensors file keeps the shared Sin frequency under its first name only
    "hyena_tiny": (hyena.HyenaDNAForCausalLM, dict(d_model=16, n_layer=2, d_inner=64, filter_order=16,
                                                    emb_dim=5, max_seq_len=66, activation_freq=10), 1),
    # the bare HyenaDNAModel ("backbone."), a d_model that is not a multiple of 16, one inner
    # MLP, three positional features, a max_seq_len that is no power of two and spans several of
    # the engine's 512-row chunks; the safetensors file keeps the shared frequency under a
    # later name
    "hyena_bare": (hyena.HyenaDNAModel, dict(architectures=["HyenaDNAModel"], d_model=24, n_layer=3,
                                             d_inner=48, filter_order=8, emb_dim=3, num_inner_mlps=1,
                                             max_seq_len=1301, activation_freq=1, vocab_size=12), 3),
}


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if name.endswith(("norm1.weight", "norm2.weight", "ln_f.weight")):
                p.copy_(1.0 + 0.2 * r)
            elif name.endswith("freq"):
                p.mul_(1.0 + 0.1 * r)
            elif name.endswith("pos_emb.z"):
                p.add_(0.05 * r)  # read from the checkpoint, not rebuilt
            elif name.endswith("filter_fn.bias") or "word_embeddings" in name:
                p.copy_(r)
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(r * (1.0 / fan_in) ** 0.5)
            else:
                p.copy_(0.1 * r)
        for name, b in model.named_buffers():
            if name.endswith("deltas"):
                b.mul_(1.0 + 0.1 * torch.randn(b.shape, generator=g))


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def sequences(max_len, rng):
    """Every case must tokenize to at most max_seq_len tokens ([SEP] included)."""
    rand = lambda n, alphabet="ACGT": "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    return [
        ("single", "G"),
        ("short", "ACGTTGCA"),
        ("with_n", "ACGNNTACGTNA" + rand(9) + "NNNN"),
        ("lower_case", "acgtNacgTTga" + rand(11, "acgtn")),
        ("unknown", "ACGRYKT-.ACxG"),
        ("odd_length", rand(37, "ACGTN")),
        ("max_length", rand(max_len - 1, "ACGTNacgt")),
    ]


def main():
    models_dir, goldens_dir = sys.argv[1], sys.argv[2]
    os.makedirs(goldens_dir, exist_ok=True)
    torch.manual_seed(0)
    for i, (name, (cls, kw, freq_name)) in enumerate(sorted(MODELS.items())):
        cfg = hyena.default_config(**kw)
        model = cls(cfg).eval()
        randomize(model, 100 + i)
        state = model.state_dict()
        # a safetensors file stores a shared tensor once: keep one of the Sin's names
        freq_keys = [k for k in state if k.endswith(".freq")]
        st = {k: v for k, v in state.items()
              if not k.endswith(".freq") or k.endswith(f"implicit_filter.{freq_name}.freq")}
        assert len(st) == len(state) - len(freq_keys) + cfg["n_layer"]
        for kind in ("safetensors", "torch"):
            d = os.path.join(models_dir, f"{name}_{kind}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg, f, indent=2, sort_keys=True)
            if kind == "safetensors":
                write_safetensors(os.path.join(d, "model.safetensors"), st)
            else:
                torch.save(state, os.path.join(d, "pytorch_model.bin"))
        cases = []
        rng = random.Random(7 + i)
        with torch.no_grad():
            for cname, seq in sequences(cfg["max_seq_len"], rng):
                ids = hyena.tokenize(seq)
                assert len(ids) <= cfg["max_seq_len"]
                h = model(torch.tensor([ids]))[0]
                cases.append({"name": cname, "seq": seq, "ids": ids,
                              "hidden": [[float(x) for x in row] for row in h],
                              "pooled": [float(x) for x in h.mean(0)]})
        with open(os.path.join(goldens_dir, f"{name}.json"), "w") as f:
            json.dump({"model": name, "config": cfg, "cases": cases}, f)
        print(f"{name}: {len(cases)} cases, max_seq_len {cfg['max_seq_len']}")


if __name__ == "__main__":
    main()
