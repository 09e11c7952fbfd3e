"""Model pieces the demo training scripts share: the PyTorch reference modules of
test/reference (the same classes the parity goldens come from, so a checkpoint trained here has
exactly the tensor names and forward pass varformer is checked against), the NT 6-mer
tokenizer, the masked-LM head, checkpoint writers, and the cached feature extractors.

Checkpoint layouts written (DESIGN.md "Checkpoint formats of the deep predictors",
test/reference/make_predictor_fixtures.py, make_encoder_fixtures.py):
  encoder directory   config.json (esm, NT v2 keys) + model.safetensors (EsmForMaskedLM
                      state_dict: esm.* and lm_head.*) + vocab.txt (NT: 4107 lines)
  enformer directory  config.json (model_type enformer + enformer-pytorch keys) +
                      model.safetensors (Enformer.state_dict() with the _trunk.* aliases)
  ukbioformer dir     config.json (UKBioBERT_EnformerPretrainedModel's argument names + window,
                      encoder_window, encoder_chunk) + model.safetensors + encoder/
"""
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "test", "reference")
sys.path.insert(0, REFERENCE)
import encoders  # noqa: E402
import make_encoder_fixtures as mef  # noqa: E402
import make_predictor_fixtures as mpf  # noqa: E402
import predictors as P  # noqa: E402

NT_VOCAB = mef.NT_VOCAB
NT_INDEX = mef.NT_INDEX
PAD_ID, MASK_ID, CLS_ID = NT_INDEX["<pad>"], NT_INDEX["<mask>"], NT_INDEX["<cls>"]
FIRST_KMER = len(mef.NT_SPECIALS)
N_KMERS = 4096


def nt_tokenize(seq):
    """NT tokens exactly as varformer and make_encoder_fixtures.nt_tokenize produce them."""
    return mef.nt_tokenize(seq)


def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))


def log(tag, t0, msg):
    import time
    print("[%s %7.1fs] %s" % (tag, time.time() - t0, msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- language model

def lm_config(hidden=64, layers=2, heads=4, intermediate=128):
    """A shrunk Nucleotide Transformer v2 (rotary positions, SwiGLU, no FFN biases)."""
    return mef.esm_config(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                          intermediate_size=intermediate, max_position_embeddings=2050,
                          position_embedding_type="rotary", token_dropout=False, add_bias_fnn=False,
                          auto_map={"AutoConfig": "esm_config.EsmConfig",
                                    "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM"})


def mlm_logits(model, ids, where=None):
    """HF EsmLMHead: decoder(layer_norm(gelu(dense(h)))) + bias; with `where` (a boolean mask
    of ids' shape) only at those positions, which is all a masked-token loss needs."""
    h = model.esm(ids)
    if where is not None:
        h = h[where]
    head = model.lm_head
    x = head.layer_norm(encoders.gelu_exact(head.dense(h)))
    return head.decoder(x) + head.bias


def init_lm(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name.lower() or "LayerNorm" in name:
                p.copy_(torch.ones_like(p) if name.endswith("weight") else torch.zeros_like(p))
            elif p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
            else:
                p.zero_()


def write_safetensors(path, tensors, dtype="F16", keep_f32=()):
    """safetensors as safetensors.torch.save_file writes it: floating tensors in `dtype` (F16
    halves the bundled models; varformer converts F16 to F32 once at load) except names
    starting with one of `keep_f32` (small heads fitted to tiny differences), int64 tensors
    (batch norm's num_batches_tracked) as I64, names sorted, header padded to 8 bytes."""
    import struct
    np_dtype = {"F16": np.float16, "F32": np.float32}[dtype]
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            dt, data = "I64", t.numpy().tobytes()
        else:
            dt = "F32" if name.startswith(tuple(keep_f32)) else dtype
            data = t.float().numpy().astype(np.float32 if dt == "F32" else np_dtype).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_model(out, config, tensors, dtype="F16", keep_f32=()):
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), tensors, dtype, keep_f32)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


def write_encoder(out, config, model, keep_lm_head=True, dtype="F16"):
    """An NT-style encoder directory; without the masked-LM head when only embeddings are
    needed (varformer keeps lm_head.* but never reads it)."""
    sd = {k: v for k, v in model.state_dict().items() if keep_lm_head or not k.startswith("lm_head.")}
    write_model(out, config, sd, dtype)
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(NT_VOCAB) + "\n")


def read_safetensors(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64}[meta["dtype"]]
        arr = np.frombuffer(data[a:b], dtype=dt).reshape(meta["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if dt == np.float16 else arr.copy())
    return out


def load_encoder(path):
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    model = encoders.build(config).eval()
    model.load_state_dict(read_safetensors(os.path.join(path, "model.safetensors")), strict=False)
    return config, model


class PooledEncoder:
    """encode_sequence's pooling over a haplotype window, DESIGN.md's encoder_chunk rule: the
    upper-cased window is cut into consecutive pieces of `chunk` bases, each piece tokenized
    and embedded alone (mean of the last hidden state over all its tokens, <cls> included),
    and the pieces' embeddings averaged. Pieces are cached by content: across a cohort most
    pieces of most haplotypes are identical."""

    def __init__(self, model, chunk, batch=64):
        self.model, self.chunk, self.batch = model, chunk, batch
        self.cache = {}
        self.hits = self.misses = 0

    def pieces(self, seq):
        s = seq.upper()
        return [s[i:i + self.chunk] for i in range(0, len(s), self.chunk)] if self.chunk else [s]

    def embed_many(self, seqs):
        """seqs: list of windows -> (len(seqs), hidden) float32 tensor."""
        todo = {}
        split = []
        for s in seqs:
            ps = self.pieces(s)
            split.append(ps)
            for p in ps:
                if p in self.cache:
                    self.hits += 1
                elif p not in todo:
                    todo[p] = nt_tokenize(p)
                    self.misses += 1
                else:
                    self.hits += 1
        by_len = {}
        for p, ids in todo.items():
            by_len.setdefault(len(ids), []).append((p, ids))
        with torch.no_grad():
            for n, items in by_len.items():
                for i in range(0, len(items), self.batch):
                    part = items[i:i + self.batch]
                    h = self.model.esm(torch.tensor([ids for _, ids in part]))
                    for (p, _), e in zip(part, h.mean(dim=1)):
                        self.cache[p] = e
        return torch.stack([torch.stack([self.cache[p] for p in ps]).mean(dim=0) for ps in split])


# ---------------------------------------------------------------- trunks

def enformer_config(window_bins_log2=3, dim=384, depth=1, heads=4, key=16):
    return {"dim": dim, "depth": depth, "heads": heads, "attn_dim_key": key,
            "num_downsamples": window_bins_log2, "dim_divisible_by": 128, "target_length": -1,
            "output_heads": {"human": 1}, "use_tf_gamma": False, "dropout_rate": 0.0,
            "attn_dropout": 0.0, "pos_dropout": 0.0, "use_checkpointing": False, "use_convnext": False}


def trunk_pairs(enformer, grelu):
    """(enformer-pytorch name, gReLU name) of every trunk tensor: both modules register the same
    layers in the same order (predictors.py docstring), which the shapes confirm."""
    e = [k for k in enformer.state_dict() if not k.startswith(("_trunk.", "_heads."))]
    g = [k for k in grelu.state_dict() if k.startswith("embedding.")]
    es, gs = enformer.state_dict(), grelu.state_dict()
    if len(e) != len(g):
        raise ValueError("trunks differ in size: %d vs %d tensors" % (len(e), len(g)))
    for a, b in zip(e, g):
        if es[a].shape != gs[b].shape or a.rsplit(".", 1)[1] != b.rsplit(".", 1)[1]:
            raise ValueError("trunk tensors do not line up: %s %s vs %s %s" % (a, es[a].shape, b, gs[b].shape))
    return list(zip(e, g))


def sha256_dir(path):
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(path)):
        for f in sorted(files):
            with open(os.path.join(root, f), "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def copy_encoder(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def one_hot(seq):
    return P.one_hot(seq)
