"""HyenaDNA in PyTorch, written for varformer's parity tests from the authors' description
and sources (HazyResearch/hyena-dna standalone_hyenadna.py; the Hugging Face port in the
LongSafari/hyenadna-*-hf repositories, modeling_hyena.py and tokenization_hyena.py), with the
same module tree, so state_dict() gives the checkpoints' tensor names:

    hyena.backbone.embeddings.word_embeddings.weight       [vocab padded to a multiple of 8, d]
    hyena.backbone.layers.{i}.norm1 / norm2                LayerNorm(d), eps 1e-5
    hyena.backbone.layers.{i}.mixer.in_proj                Linear(d, 3d)
    hyena.backbone.layers.{i}.mixer.short_filter           Conv1d(3d, 3d, 3, padding=2, groups=3d)
    hyena.backbone.layers.{i}.mixer.filter_fn.bias         [d] (the long convolution's skip)
    hyena.backbone.layers.{i}.mixer.filter_fn.pos_emb.z/t  positional features over max_seq_len
    hyena.backbone.layers.{i}.mixer.filter_fn.implicit_filter.{0,2,..}  Linear; {1,3,..}.freq: one Sin
    hyena.backbone.layers.{i}.mixer.filter_fn.modulation.deltas
    hyena.backbone.layers.{i}.mixer.out_proj               Linear(d, d)
    hyena.backbone.layers.{i}.mlp.fc1 / fc2                Linear, GELU (tanh approximation)
    hyena.backbone.ln_f                                    LayerNorm(d, layer_norm_epsilon)
    lm_head.weight

The long convolution is computed here by torch.fft (rfft / irfft of 2L points), as the
authors do; varformer computes it with its own FFT.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# tokenization_hyena.py: seven special tokens, then the characters
SPECIALS = ["[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]"]
CHARS = ["A", "C", "G", "T", "N"]
VOCAB = {t: i for i, t in enumerate(SPECIALS + CHARS)}


def tokenize(seq):
    """HyenaDNATokenizer with add_special_tokens: one id per character, unknown ones [UNK],
    [SEP] appended (no [CLS]). The input is upper-cased first, as varformer does for every
    model (lower case is soft-masking; the authors' downstream loaders call seq.upper())."""
    return [VOCAB.get(ch, VOCAB["[UNK]"]) for ch in seq.upper()] + [VOCAB["[SEP]"]]


def default_config(**kw):
    c = {
        "architectures": ["HyenaDNAForCausalLM"], "model_type": "hyenadna",
        "activation_freq": 10, "d_inner": None, "d_model": 128, "emb_dim": 5,
        "embed_dropout": 0.1, "filter_order": 64, "hyena_dropout": 0.0,
        "hyena_filter_dropout": 0.0, "hyena_order": 2, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-5, "max_seq_len": 1026, "n_layer": 2, "num_inner_mlps": 2,
        "pad_vocab_size_multiple": 8, "short_filter_order": 3, "train_freq": True,
        "use_bias": True, "vocab_size": 12, "torch_dtype": "float32",
    }
    c.update(kw)
    if c["d_inner"] is None:
        c["d_inner"] = 4 * c["d_model"]
    return c


class Sin(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.freq = nn.Parameter(cfg["activation_freq"] * torch.ones(1, cfg["filter_order"]))

    def forward(self, x):
        return torch.sin(self.freq * x)


class PositionalFeatures(nn.Module):
    """Time t in [0, 1] and (emb_dim - 1) / 2 complex exponentials over max_seq_len positions."""

    def __init__(self, cfg):
        super().__init__()
        L = cfg["max_seq_len"]
        bands = (cfg["emb_dim"] - 1) // 2
        t = torch.linspace(0, 1, L)[None, :, None]
        w = 2 * math.pi * torch.linspace(0, L - 1, L)[None, :, None] / L
        f = torch.linspace(1e-4, bands - 1, bands)[None, None]
        self.z = nn.Parameter(torch.cat([t, torch.cos(-f * w), torch.sin(-f * w)], dim=-1))
        self.register_buffer("t", t)


class DecayWindow(nn.Module):
    def __init__(self, d, fast=0.3, slow=1.5, target=1e-2, shift=0.05):
        super().__init__()
        self.shift = shift
        deltas = torch.linspace(math.log(target) / slow, math.log(target) / fast, d)[None, None]
        self.register_buffer("deltas", deltas)

    def forward(self, t, h):
        return h * (torch.exp(-t * self.deltas.abs()) + self.shift)


class ImplicitFilter(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, order = cfg["d_model"], cfg["filter_order"]
        self.bias = nn.Parameter(torch.randn(d))
        self.pos_emb = PositionalFeatures(cfg)
        act = Sin(cfg)  # one module at every activation position: its freq is shared
        layers = [nn.Linear(cfg["emb_dim"], order), act]
        for _ in range(cfg["num_inner_mlps"]):
            layers += [nn.Linear(order, order), act]
        layers.append(nn.Linear(order, d, bias=False))
        self.implicit_filter = nn.Sequential(*layers)
        self.modulation = DecayWindow(d)

    def kernel(self, L):
        """[d, L]: the filter of every channel over positions 0 .. L - 1."""
        z, t = self.pos_emb.z[:, :L], self.pos_emb.t[:, :L]
        return self.modulation(t, self.implicit_filter(z))[0].transpose(0, 1)


def causal_conv(v, k, skip):
    """y[c, t] = sum_{s <= t} k[c, s] v[c, t - s] + skip[c] v[c, t], by FFT of 2L points."""
    L = v.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(v, n=2 * L) * torch.fft.rfft(k, n=2 * L), n=2 * L)[..., :L]
    return y + v * skip[:, None]


class HyenaOperator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = self.d = cfg["d_model"]
        self.in_proj = nn.Linear(d, 3 * d)
        self.out_proj = nn.Linear(d, d)
        self.short_filter = nn.Conv1d(3 * d, 3 * d, cfg["short_filter_order"], padding=2, groups=3 * d)
        self.filter_fn = ImplicitFilter(cfg)

    def forward(self, u):
        L = u.shape[1]
        uc = self.short_filter(self.in_proj(u).transpose(1, 2))[..., :L]
        x0, x1, v = uc.split(self.d, dim=1)
        v = causal_conv(v * x1, self.filter_fn.kernel(L), self.filter_fn.bias)
        return self.out_proj((v * x0).transpose(1, 2))


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc1 = nn.Linear(cfg["d_model"], cfg["d_inner"])
        self.fc2 = nn.Linear(cfg["d_inner"], cfg["d_model"])

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.mixer = HyenaOperator(cfg)
        self.norm1 = nn.LayerNorm(cfg["d_model"])
        self.mlp = Mlp(cfg)
        self.norm2 = nn.LayerNorm(cfg["d_model"])

    def forward(self, x):
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def padded_vocab(cfg):
    m = cfg["pad_vocab_size_multiple"]
    return (cfg["vocab_size"] + m - 1) // m * m


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.word_embeddings = nn.Embedding(padded_vocab(cfg), cfg["d_model"])


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["d_model"], eps=cfg["layer_norm_epsilon"])

    def forward(self, ids):
        x = self.embeddings.word_embeddings(ids)
        for layer in self.layers:
            x = layer(x)
        return self.ln_f(x)


class HyenaDNAModel(nn.Module):
    """The bare model: tensor names start with "backbone."."""

    def __init__(self, cfg):
        super().__init__()
        self.backbone = Backbone(cfg)

    def forward(self, ids):
        return self.backbone(ids)


class HyenaDNAForCausalLM(nn.Module):
    """What the -hf repositories save: "hyena.backbone..." and lm_head."""

    def __init__(self, cfg):
        super().__init__()
        self.hyena = HyenaDNAModel(cfg)
        self.lm_head = nn.Linear(cfg["d_model"], padded_vocab(cfg), bias=False)

    def forward(self, ids):
        return self.hyena(ids)  # the last hidden state (what varformer embeds)
