"""PyTorch reference encoders, written from the published architectures.

Module attribute paths reproduce the real checkpoints' tensor names, so state_dict() of these
modules is what the public model repositories ship:

  EsmForMaskedLM   Hugging Face transformers models/esm/modeling_esm.py as Nucleotide Transformer
                   v1 uses it (absolute positions counted from pad_token_id + 1, token_dropout,
                   GELU MLP with biases), and InstaDeep's nucleotide-transformer-v2 esm code
                   (rotary embeddings, intermediate.dense producing 2 x intermediate_size for
                   SwiGLU, add_bias_fnn false). Pre-LN, encoder.emb_layer_norm_after at the end.
  MosaicBertForMaskedLM  DNABERT-2's bert_layers.py (MosaicBERT): fused Wqkv, post-LN, ALiBi
                   bias from _get_alibi_head_slopes, GEGLU mlp.gated_layers with the exact GELU
                   applied to the first half, no position table.
  BertForMaskedLM  HF models/bert/modeling_bert.py (GROVER): learned absolute positions, token
                   type 0, post-LN, hidden_act.
EBERT-style option (any family): config num_epigenetic_states K adds
embeddings.epigenetic_state_embeddings [K, hidden] looked up by a per-token state.
Only what inference needs is modelled (dropout is the identity in eval()).
"""
import math

import torch
from torch import nn


def gelu_exact(x):
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {
    "gelu": gelu_exact,
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_fast": gelu_tanh,
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "silu": torch.nn.functional.silu,
    "swish": torch.nn.functional.silu,
    "relu": torch.relu,
}


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class RotaryEmbedding(nn.Module):
    """ESM rotary embedding: inv_freq = 1 / 10000^(2i/d), cos/sin of cat(freqs, freqs)."""

    def __init__(self, dim):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim)),
                             persistent=False)

    def forward(self, q, k):
        t = torch.arange(k.shape[-2], dtype=self.inv_freq.dtype)
        freqs = torch.outer(t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def split_heads(x, n_heads):
    b, n, h = x.shape
    return x.view(b, n, n_heads, h // n_heads).permute(0, 2, 1, 3)


def merge_heads(x):
    b, nh, n, d = x.shape
    return x.permute(0, 2, 1, 3).reshape(b, n, nh * d)


# ---------------------------------------------------------------- ESM (NT v1 / v2)

class EsmEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.pad = c["pad_token_id"]
        self.mask = c.get("mask_token_id")
        self.token_dropout = c.get("token_dropout", False)
        self.absolute = c.get("position_embedding_type", "absolute") == "absolute"
        if self.absolute:
            self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"],
                                                    padding_idx=c["pad_token_id"])
        self.layer_norm = (nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
                           if c.get("emb_layer_norm_before") else None)
        if c.get("num_epigenetic_states"):
            self.epigenetic_state_embeddings = nn.Embedding(c["num_epigenetic_states"], c["hidden_size"])

    def forward(self, ids, states):
        attention_mask = torch.ones_like(ids)
        # positions count non-pad tokens from pad + 1; pad tokens get pad itself
        not_pad = ids.ne(self.pad).int()
        positions = torch.cumsum(not_pad, dim=1) * not_pad + self.pad
        x = self.word_embeddings(ids)
        if self.token_dropout:
            is_mask = (ids == self.mask).unsqueeze(-1)
            x = x.masked_fill(is_mask, 0.0)
            train_ratio = 0.15 * 0.8
            observed = (ids == self.mask).sum(-1).float() / attention_mask.sum(-1)
            x = x * (1 - train_ratio) / (1 - observed)[:, None, None]
        if hasattr(self, "epigenetic_state_embeddings"):
            x = x + self.epigenetic_state_embeddings(states)
        if self.absolute:
            x = x + self.position_embeddings(positions)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        return x * attention_mask.unsqueeze(-1)


class EsmSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.n_heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.rotary = (RotaryEmbedding(h // self.n_heads)
                       if c.get("position_embedding_type") == "rotary" else None)

    def forward(self, x):
        d = x.shape[-1] // self.n_heads
        q = split_heads(self.query(x), self.n_heads) * d ** -0.5
        k = split_heads(self.key(x), self.n_heads)
        v = split_heads(self.value(x), self.n_heads)
        if self.rotary is not None:
            q, k = self.rotary(q, k)
        probs = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return merge_heads(probs @ v)


class Dense(nn.Module):
    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out, bias=bias)


class EsmAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = EsmSelfAttention(c)
        self.output = Dense(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return x + self.output.dense(self.self(self.LayerNorm(x)))


class EsmLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        bias = c.get("add_bias_fnn", True)
        self.swiglu = c.get("position_embedding_type") == "rotary"   # NT v2 code path
        self.attention = EsmAttention(c)
        self.intermediate = Dense(h, 2 * i if self.swiglu else i, bias)
        self.output = Dense(i, h, bias)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, x):
        x = self.attention(x)
        y = self.intermediate.dense(self.LayerNorm(x))
        if self.swiglu:
            x1, x2 = y.split(y.shape[-1] // 2, dim=-1)
            y = torch.nn.functional.silu(x1) * x2
        else:
            y = gelu_exact(y)
        return x + self.output.dense(y)


class EsmEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([EsmLayer(c) for _ in range(c["num_hidden_layers"])])
        self.emb_layer_norm_after = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return self.emb_layer_norm_after(x)


class EsmModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = EsmEmbeddings(c)
        self.encoder = EsmEncoder(c)

    def forward(self, ids, states=None):
        return self.encoder(self.embeddings(ids, states))


class EsmLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.dense = nn.Linear(h, h)
        self.layer_norm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.decoder = nn.Linear(h, c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class EsmForMaskedLM(nn.Module):
    """Checkpoint layout of NT v1/v2: esm.* plus the lm_head.* the encoder ignores."""

    def __init__(self, c):
        super().__init__()
        self.esm = EsmModel(c)
        self.lm_head = EsmLMHead(c)

    def forward(self, ids, states=None):
        return self.esm(ids, states)


# ---------------------------------------------------------------- BERT (GROVER) and MosaicBERT (DNABERT-2)

class BertEmbeddings(nn.Module):
    def __init__(self, c, positions):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        if positions:
            self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        if c.get("num_epigenetic_states"):
            self.epigenetic_state_embeddings = nn.Embedding(c["num_epigenetic_states"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, ids, states):
        x = self.word_embeddings(ids)
        if hasattr(self, "epigenetic_state_embeddings"):
            x = x + self.epigenetic_state_embeddings(states)
        x = x + self.token_type_embeddings(torch.zeros_like(ids))
        if hasattr(self, "position_embeddings"):
            x = x + self.position_embeddings(torch.arange(ids.shape[1])[None])
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.n_heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def forward(self, x):
        d = x.shape[-1] // self.n_heads
        q, k, v = (split_heads(f(x), self.n_heads) for f in (self.query, self.key, self.value))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        return merge_heads(probs @ v)


def alibi_head_slopes(n_heads):
    """MosaicBERT: geometric slopes for a power of two; otherwise the closest power of two's
    slopes followed by every other slope of the next power of two."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    if math.log2(n_heads).is_integer():
        return power_of_2(n_heads)
    closest = 2 ** math.floor(math.log2(n_heads))
    return power_of_2(closest) + alibi_head_slopes(2 * closest)[0::2][:n_heads - closest]


class MosaicSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.n_heads = c["num_attention_heads"]
        self.Wqkv = nn.Linear(h, 3 * h)
        self.register_buffer("slopes", torch.tensor(alibi_head_slopes(self.n_heads)), persistent=False)

    def forward(self, x):
        b, n, h = x.shape
        d = h // self.n_heads
        qkv = self.Wqkv(x).view(b, n, 3, self.n_heads, d)
        q, k, v = (qkv[:, :, i].permute(0, 2, 1, 3) for i in range(3))
        pos = torch.arange(n)
        distance = (pos[None, :] - pos[:, None]).abs()
        alibi = self.slopes[:, None, None] * -distance[None]
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + alibi[None]
        return merge_heads(torch.softmax(scores, dim=-1) @ v)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, y, x):
        return self.LayerNorm(self.dense(y) + x)


class BertAttention(nn.Module):
    def __init__(self, c, mosaic):
        super().__init__()
        self.self = MosaicSelfAttention(c) if mosaic else BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x):
        return self.output(self.self(x), x)


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = ACTIVATIONS[c.get("hidden_act", "gelu")]
        self.attention = BertAttention(c, False)
        self.intermediate = Dense(c["hidden_size"], c["intermediate_size"])
        self.output = BertOutput(c)

    def forward(self, x):
        x = self.attention(x)
        y = self.output.dense(self.act(self.intermediate.dense(x)))
        return self.output.LayerNorm(y + x)


class GatedMLP(nn.Module):
    """GEGLU: gated_layers to 2I without bias, GELU(first half) * second half, wo, post-LN."""

    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.i = i
        self.gated_layers = nn.Linear(h, 2 * i, bias=False)
        self.wo = nn.Linear(i, h)
        self.layernorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, x):
        y = self.gated_layers(x)
        y = gelu_exact(y[..., :self.i]) * y[..., self.i:]
        return self.layernorm(self.wo(y) + x)


class MosaicBertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c, True)
        self.mlp = GatedMLP(c)

    def forward(self, x):
        return self.mlp(self.attention(x))


class BertEncoder(nn.Module):
    def __init__(self, c, mosaic):
        super().__init__()
        make = MosaicBertLayer if mosaic else BertLayer
        self.layer = nn.ModuleList([make(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class BertModel(nn.Module):
    def __init__(self, c, mosaic):
        super().__init__()
        self.embeddings = BertEmbeddings(c, positions=not mosaic)
        self.encoder = BertEncoder(c, mosaic)

    def forward(self, ids, states=None):
        return self.encoder(self.embeddings(ids, states))


class BertPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertPredictionHead(c)


class BertForMaskedLM(nn.Module):
    """bert.* plus the cls.* head the encoder ignores (GROVER, DNABERT-2 layouts)."""

    def __init__(self, c, mosaic=False):
        super().__init__()
        self.bert = BertModel(c, mosaic)
        self.cls = BertOnlyMLMHead(c)

    def forward(self, ids, states=None):
        return self.bert(ids, states)


def build(config):
    if config["model_type"] == "esm":
        return EsmForMaskedLM(config)
    return BertForMaskedLM(config, mosaic="alibi_starting_size" in config)
