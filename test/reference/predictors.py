"""PyTorch reference sequence-to-function predictors, written from the published sources.

Three models, each a torch.nn.Module whose attribute paths reproduce the real checkpoints'
state_dict names (check_predictors.py lists those names literally and compares):

  EnformerPT       lucidrains/enformer-pytorch 0.8.10, enformer_pytorch/modeling_enformer.py
                   and config_enformer.py (class Enformer; names stem.*, conv_tower.{i}.*,
                   transformer.{l}.*, final_pointwise.*, _heads.human.*, and the _trunk.*
                   aliases of the same modules).
  GReluEnformer    Genentech/gReLU src/grelu/model/models.py EnformerModel = trunks/enformer.py
                   EnformerTrunk (embedding.*) + heads.py ConvHead (head.*), built from
                   blocks.py / layers.py. The copy vendored in HelloWorldLTY/UKBioLM
                   (grelu/model/...) is the same code for everything used here.
  UKBioFormer      HelloWorldLTY/UKBioLM grelu/model/models.py UKBioBERT_EnformerPretrainedModel:
                   embedding (EnformerTrunk), head (ConvHead, in_channels 2*channels, avg pool),
                   mlp (0 Linear(ext_emb_len, 512), 1 ReLU, 2 Linear(512, 1)), raw_beta [1].
                   FusedPredictor wraps it with the language model of test/reference/encoders.py
                   and the windowing of DESIGN.md.
Only what inference needs is modelled: dropout is the identity (eval()), batch norm uses its
running statistics.

Input encoding (enformer_pytorch/data.py str_to_one_hot): channels A, C, G, T (in that order),
either case; N and every other byte all zeros ('.' is 0.25 each there, a padding symbol that
DNA never contains). gReLU (grelu/sequence/format.py: ALLOWED_BASES A,C,G,T,N,
indices_to_one_hot keeps the first 4 of 5 classes) has the same order, N all zeros, and looks
bases up in upper case only. enformer-pytorch takes one-hot input of shape (batch, length, 4),
gReLU (batch, 4, length).

Verified details (source file in brackets; "ep" = enformer_pytorch/modeling_enformer.py):

GELU  every activation of both trunks is x * sigmoid(1.702 x)  [ep GELU; gReLU
      Activation("gelu_enformer") imports that class].  The transformer feed-forward uses ReLU.
BatchNorm1d eval, eps 1e-5 (torch default in both): (x - running_mean) / sqrt(running_var + eps)
      * weight + bias.  LayerNorm over channels, eps 1e-5.
ConvBlock [ep ConvBlock] = BatchNorm1d(dim_in) -> GELU -> Conv1d(dim_in, dim_out, k, padding k//2),
      i.e. norm and activation come *before* the conv.  gReLU ConvBlock(order="NACDR") is the
      same: Norm (batch norm over in_channels, because N precedes C) -> Activation -> Conv
      (padding "same" = k//2 each side for odd k) -> Dropout -> Residual add -> pool last
      [blocks.py ConvBlock].  Its residual input goes through ChannelTransform, which is
      nn.Identity when in == out (always so in the Enformer trunk) [layers.py].
Stem  Conv1d(4, dim/2, 15, padding 7, bias) -> Residual(ConvBlock(dim/2, dim/2, 1)) ->
      AttentionPool(dim/2)  [ep Enformer.__init__; gReLU EnformerConvTower block 0 =
      Sequential(Conv1d(4, half, 15, padding="same"), ConvBlock(k=1, residual, pool "attn"))].
      Note: no activation between the stem conv and the residual block's batch norm.
Conv tower  filter_list = [dim/2] + exponential_linspace_int(dim/2, dim, num_downsamples - 1,
      dim_divisible_by); block i (dim_in = filter_list[i], dim_out = filter_list[i+1]):
      ConvBlock(dim_in, dim_out, 5) -> Residual(ConvBlock(dim_out, dim_out, 1)) ->
      AttentionPool(dim_out).  So num_downsamples counts the stem: total downsampling
      2**num_downsamples, num_downsamples - 1 tower blocks (num_downsamples >= 3, else the
      linspace divides by zero).  exponential_linspace_int(start, end, num, d):
      base = exp(log(end/start)/(num-1)); [int(round(start*base**i / d) * d) for i < num] with
      Python's round (half to even: round(1.5) = 2, round(0.5) = 0).  gReLU: same with
      n_conv = num_downsamples and divisible_by fixed at 128 [trunks/enformer.py], so its
      channels must be a multiple of 128 for the tower to end at `channels`.
AttentionPool(dim, pool_size 2) [ep]: x (b, d, n); if n is odd, one zero column is appended on
      the right and marked; x viewed as (b, d, n/2, 2); logits = to_attn_logits(x), a 1x1
      Conv2d without bias, i.e. logits[o] = sum_c W[o, c, 0, 0] x[c] per position; the padded
      slot's logit is set to -FLT_MAX (every channel); softmax over the 2 slots per channel;
      out = sum over the 2 slots of x * softmax.  Output length ceil(n / 2).  (enformer-pytorch
      pads n % pool_size, right only for pool_size 2, the only size used.)  Initialised as
      2 * identity (dirac); weights are random here.
Transformer block [ep; gReLU EnformerTransformerBlock, which instantiates ep Attention]:
      x + Attention(LayerNorm(x)), then y + Linear2(ReLU(Linear1(LayerNorm(y)))), Linear1
      dim -> 2 dim, Linear2 2 dim -> dim, both with bias.  Pre-norm, no final norm.
Attention [ep Attention]: heads h, dim_key dk (attn_dim_key / key_len), dim_value dv = dim // h,
      num_rel_pos_features F = dim // h.  to_q, to_k: Linear(dim, h*dk, no bias); to_v:
      Linear(dim, h*dv, no bias); to_out: Linear(h*dv, dim, bias); to_rel_k: Linear(F, h*dk, no
      bias); rel_content_bias, rel_pos_bias: (1, h, 1, dk).  Head split is (h d): head-major
      along the projected features.  q = to_q(x) * dk**-0.5 (scaled *before* the biases are
      added; the biases are not scaled).  content[i, j] = (q_i + rel_content_bias) . k_j;
      rel[i, k] = (q_i + rel_pos_bias) . to_rel_k(P)[k] for the 2n-1 relative distances;
      after the relative shift rel[i, j] uses distance d = j - i (key minus query); logits =
      content + rel; softmax over j; out = to_out(concat_h(softmax @ v)).  No mask.
Relative shift [ep relative_shift] (b, h, n, 2n-1) -> (b, h, n, n):
      shifted[i, j] = rel[i, (n - 1) + j - i]  (row k of P is distance k - (n - 1)).
Positional features [ep get_positional_embed(n, F)], n = the transformer's sequence length
      (after pooling), distances d = -(n-1) .. n-1, nb = F // 6 basis functions per class
      (F must be a multiple of 6), columns in this order:
        [exponential(nb), central_mask(nb), gamma(nb), sign(d)*exponential, sign(d)*central_mask,
         sign(d)*gamma]   (sign(0) = 0)
      exponential: half_life_k = 2 ** linspace(3, log(n)/log(2), nb)_k; exp(-ln2 / half_life_k * |d|)
      central_mask: 1 if (2**(k+1) - 1) > |d| else 0, k = 0..nb-1
      gamma: stddev = n / (2 nb), start_mean = n / nb, mean_k = linspace(start_mean, n, nb)_k,
        concentration c = (mean/stddev)**2, rate r = mean/stddev**2,
        pdf = exp(xlogy(c - 1, |d|) - r |d| - (lgamma(c) - c log r)),  p = pdf + 1e-8,
        gamma = p / max over the nb features of the same distance (row-wise max).
        Since c >= 4, pdf(0) = 0 and every gamma feature at d = 0 is exactly 1.
      enformer-pytorch computes all of this in float32 (torch.linspace default dtype).
      use_tf_gamma (ep, only n == 1536 and nb == 32): the gamma block is replaced by the table
      enformer_pytorch/precomputed/tf_gammas.pt, (3071, 32) float32, produced by TensorFlow.
      That table is normalised per *column* (each basis function divided by its maximum over
      all distances, TF reduce_max(axis=1) over shape (1, 2n-1, nb)), not per row; at d = 0 it
      holds 1e-8 / max_k, not 1.  tf_gamma_features() rebuilds it from that rule in float64;
      TF's float32 rounding is not reproducible here, so the rebuilt table differs from the
      shipped one by up to ~3e-3 absolute (check_predictors.py --tf-gammas FILE measures it).
Crop  ep TargetLengthCrop(target_length) on (b, n, d) after the transformer: -1 keeps all;
      n < target is an error; otherwise trim = (target - n) // 2 (Python floor division of a
      value <= 0) and x[:, -trim:trim], i.e. drop = ceil((n - target) / 2) positions from *each*
      end: when n - target is odd the result has target - 1 bins, not target.
      gReLU Crop(crop_len): nn.ConstantPad1d(-crop_len) after the final activation, dropping
      crop_len positions from each end (0 = no crop).
Final pointwise [ep final_pointwise]: ConvBlock(dim, 2 dim, 1) (BN -> GELU -> Conv1d k 1) then
      GELU again.  gReLU: pointwise_conv = ConvBlock(channels, 2 channels, 1, order NACDR) then
      act = GELU.  Pointwise ops commute with the crop, so ep (crop first) and gReLU (crop last)
      give the same bins.
Heads [ep add_heads]: _heads[name] = Sequential(Linear(2 dim, tracks), Softplus()); softplus
      beta 1 threshold 20: x > 20 -> x, else log1p(exp(x)).  Output (bins, tracks).
      gReLU ConvHead: channel_transform = ChannelTransformBlock(order "CDNA", norm off):
      Conv1d(2 channels, n_tasks, 1) (ChannelTransform.layer), then Activation(final_act_func)
      (None = identity, "softplus" as above), then AdaptivePool(final_pool_func): "avg" =
      mean over all (cropped) bins, None = keep bins.  Output (n_tasks, bins) in gReLU's
      layout; the goldens store bins x tracks.
UKBioFormer [UKBioLM models.py]: the trunk is EnformerModel's embedding with its transformer
      list cut to n_transformers (ModuleList slicing renumbers 0..n-1); head = ConvHead(n_tasks,
      2*channels, act None, pool final_pool_func); mlp hidden size 512 is hard-coded and its
      output is 1 value, reshaped to the head's (b, n_tasks, 1), so n_tasks must be 1;
      beta = sigmoid(raw_beta); out = beta * head(trunk(x)) + (1 - beta) * mlp(e).  The released
      forward packs e into channel 0 of the last 768*2 input columns; here x and e are
      separate arguments.  A Lightning checkpoint (grelu.lightning.LightningModel.model)
      prefixes every name with "model.".  Its notebooks (ukbioformer_application/*.ipynb) build
      the input as (indices_to_one_hot(H1) + indices_to_one_hot(H2)) / 2 sliced to
      [100000 - seq_len//2, 100000 + seq_len//2) (seq_len 49000), then append the stored
      "<gene>_ukbiobert_emb_concat_49000_mean" vector (both haplotypes' mean-pooled UKBioBERT
      embeddings, concatenated: 2 x 768 = ext_emb_len 1536), repeated on the 4 channels.
"""
import math

import torch
from torch import nn

ONE_HOT_ORDER = "ACGT"
BN_EPS = 1e-5
LN_EPS = 1e-5


def one_hot(seq):
    """(len, 4) float32, channels A,C,G,T, case-insensitive, anything else all zeros."""
    table = torch.zeros(256, 4)
    for i, b in enumerate(ONE_HOT_ORDER):
        table[ord(b), i] = 1.0
        table[ord(b.lower()), i] = 1.0
    codes = torch.tensor(list(seq.encode("ascii")), dtype=torch.long)
    return table[codes]


def gelu_enformer(x):
    return x * torch.sigmoid(1.702 * x)


def exponential_linspace_int(start, end, num, divisible_by=1):
    """Channel counts of the conv tower; Python round() (half to even) as the source uses."""
    base = math.exp(math.log(end / start) / (num - 1))
    return [int(round(start * base ** i / divisible_by) * divisible_by) for i in range(num)]


# ---------------------------------------------------------------- relative positions

def exponential_features(d_abs, n, nb, dtype):
    half_life = 2 ** torch.linspace(3.0, math.log(n) / math.log(2.0), nb, dtype=dtype)
    return torch.exp(-math.log(2.0) / half_life[None, :] * d_abs[:, None])


def central_mask_features(d_abs, nb, dtype):
    widths = 2.0 ** torch.arange(1, nb + 1, dtype=dtype) - 1
    return (widths[None, :] > d_abs[:, None]).to(dtype)


def gamma_unnormalized(d_abs, n, nb, dtype):
    stddev = n / (2 * nb)
    mean = torch.linspace(n / nb, n, nb, dtype=dtype)[None, :]
    conc = (mean / stddev) ** 2
    rate = mean / stddev ** 2
    log_p = torch.xlogy(conc - 1.0, d_abs[:, None]) - rate * d_abs[:, None]
    log_norm = torch.lgamma(conc) - conc * torch.log(rate)
    return torch.exp(log_p - log_norm) + 1e-8


def gamma_features(d_abs, n, nb, dtype):
    """enformer-pytorch: each distance's nb values divided by their maximum (row-wise)."""
    p = gamma_unnormalized(d_abs, n, nb, dtype)
    return p / p.amax(dim=1, keepdim=True)


def tf_gamma_features(n=1536, nb=32):
    """The TensorFlow gamma block enformer-pytorch ships as tf_gammas.pt, rebuilt from TF's
    rule (each basis function divided by its maximum over all distances) in float64."""
    d_abs = torch.arange(-(n - 1), n, dtype=torch.float64).abs()
    p = gamma_unnormalized(d_abs, n, nb, torch.float64)
    return (p / p.amax(dim=0, keepdim=True)).float()


def relative_position_features(n, n_features, tf_gamma=False, dtype=torch.float32):
    """(2n-1, n_features); row k is distance k - (n - 1) (key minus query)."""
    if n_features % 6:
        raise ValueError("feature size %d is not a multiple of 6" % n_features)
    nb = n_features // 6
    d = torch.arange(-(n - 1), n)
    d_abs = d.abs().to(dtype)
    if tf_gamma:
        if n != 1536 or nb != 32:
            raise ValueError("use_tf_gamma needs 1536 positions and 32 gamma basis functions")
        gamma = tf_gamma_features(n, nb).to(dtype)
    else:
        gamma = gamma_features(d_abs, n, nb, dtype)
    half = torch.cat([exponential_features(d_abs, n, nb, dtype),
                      central_mask_features(d_abs, nb, dtype), gamma], dim=1)
    return torch.cat([half, torch.sign(d).to(dtype)[:, None] * half], dim=1)


def shift_relative(rel):
    """(b, h, n, 2n-1) -> (b, h, n, n): out[i, j] = rel[i, n - 1 + j - i]."""
    n = rel.shape[-2]
    idx = (n - 1) + torch.arange(n)[None, :] - torch.arange(n)[:, None]
    return rel.gather(-1, idx.expand(rel.shape[0], rel.shape[1], n, n))


# ---------------------------------------------------------------- shared layers

class EnformerGELU(nn.Module):
    def forward(self, x):
        return gelu_enformer(x)


class Transpose(nn.Module):
    """(b, n, d) <-> (b, d, n); stands where enformer-pytorch has einops Rearrange (no weights)."""

    def forward(self, x):
        return x.transpose(1, 2)


class Residual(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


class AttentionPool(nn.Module):
    """Softmax pooling over pairs of positions, per channel (pool size 2)."""

    def __init__(self, dim):
        super().__init__()
        self.to_attn_logits = nn.Conv2d(dim, dim, 1, bias=False)

    def forward(self, x):
        b, d, n = x.shape
        odd = n % 2
        if odd:
            x = torch.cat([x, x.new_zeros(b, d, 1)], dim=2)
        pairs = x.view(b, d, (n + odd) // 2, 2)
        logits = torch.einsum("oc,bcnp->bonp", self.to_attn_logits.weight[:, :, 0, 0], pairs)
        if odd:
            logits[:, :, -1, 1] = -torch.finfo(logits.dtype).max
        return (pairs * logits.softmax(dim=-1)).sum(dim=-1)


def enformer_conv_block(dim_in, dim_out, kernel):
    """enformer-pytorch ConvBlock: .0 BatchNorm1d, .1 GELU, .2 Conv1d."""
    return nn.Sequential(nn.BatchNorm1d(dim_in, eps=BN_EPS), EnformerGELU(),
                         nn.Conv1d(dim_in, dim_out, kernel, padding=kernel // 2))


class RelPosAttention(nn.Module):
    """enformer-pytorch Attention (also what gReLU's EnformerTrunk instantiates as `mha`)."""

    def __init__(self, dim, heads, dim_key, dim_value, n_pos_features, tf_gamma=False):
        super().__init__()
        self.heads, self.dim_key, self.n_pos_features, self.tf_gamma = heads, dim_key, n_pos_features, tf_gamma
        self.to_q = nn.Linear(dim, dim_key * heads, bias=False)
        self.to_k = nn.Linear(dim, dim_key * heads, bias=False)
        self.to_v = nn.Linear(dim, dim_value * heads, bias=False)
        self.to_out = nn.Linear(dim_value * heads, dim)
        self.to_rel_k = nn.Linear(n_pos_features, dim_key * heads, bias=False)
        self.rel_content_bias = nn.Parameter(torch.zeros(1, heads, 1, dim_key))
        self.rel_pos_bias = nn.Parameter(torch.zeros(1, heads, 1, dim_key))

    def split(self, t):
        b, n, hd = t.shape
        return t.view(b, n, self.heads, hd // self.heads).transpose(1, 2)

    def forward(self, x):
        b, n, _ = x.shape
        q = self.split(self.to_q(x)) * self.dim_key ** -0.5
        k, v = self.split(self.to_k(x)), self.split(self.to_v(x))
        content = (q + self.rel_content_bias) @ k.transpose(-1, -2)
        pos = relative_position_features(n, self.n_pos_features, self.tf_gamma, x.dtype)
        rel_k = self.to_rel_k(pos).view(2 * n - 1, self.heads, self.dim_key).transpose(0, 1)
        rel = shift_relative((q + self.rel_pos_bias) @ rel_k.transpose(-1, -2))
        attn = (content + rel).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out)


# ---------------------------------------------------------------- enformer-pytorch

ENFORMER_DEFAULTS = {"dim": 1536, "depth": 11, "heads": 8, "output_heads": {"human": 5313, "mouse": 1643},
                     "target_length": 896, "attn_dim_key": 64, "num_downsamples": 7,
                     "dim_divisible_by": 128, "use_tf_gamma": False}


def enformer_filter_list(c):
    half = c["dim"] // 2
    return [half] + exponential_linspace_int(half, c["dim"], c["num_downsamples"] - 1, c["dim_divisible_by"])


class TargetLengthCrop(nn.Module):
    def __init__(self, target_length):
        super().__init__()
        self.target_length = target_length

    def forward(self, x):
        n, t = x.shape[1], self.target_length
        if t == -1:
            return x
        if n < t:
            raise ValueError("sequence length %d is less than target length %d" % (n, t))
        drop = (n - t + 1) // 2   # ceil((n - t) / 2) from each end
        return x[:, drop:n - drop]


class EnformerPT(nn.Module):
    """enformer-pytorch Enformer; forward takes (b, len, 4) one-hot, returns {head: (b, bins, tracks)}."""

    def __init__(self, config):
        super().__init__()
        c = dict(ENFORMER_DEFAULTS, **config)
        self.config = c
        dim, half = c["dim"], c["dim"] // 2
        self.stem = nn.Sequential(nn.Conv1d(4, half, 15, padding=7),
                                  Residual(enformer_conv_block(half, half, 1)),
                                  AttentionPool(half))
        filters = enformer_filter_list(c)
        self.filter_list = filters
        self.conv_tower = nn.Sequential(*[
            nn.Sequential(enformer_conv_block(a, b, 5), Residual(enformer_conv_block(b, b, 1)), AttentionPool(b))
            for a, b in zip(filters[:-1], filters[1:])])
        self.transformer = nn.Sequential(*[
            nn.Sequential(
                Residual(nn.Sequential(nn.LayerNorm(dim, eps=LN_EPS),
                                       RelPosAttention(dim, c["heads"], c["attn_dim_key"], dim // c["heads"],
                                                       dim // c["heads"], c["use_tf_gamma"]),
                                       nn.Identity())),
                Residual(nn.Sequential(nn.LayerNorm(dim, eps=LN_EPS), nn.Linear(dim, 2 * dim), nn.Identity(),
                                       nn.ReLU(), nn.Linear(2 * dim, dim), nn.Identity())))
            for _ in range(c["depth"])])
        self.crop_final = TargetLengthCrop(c["target_length"])
        self.final_pointwise = nn.Sequential(Transpose(), enformer_conv_block(filters[-1], 2 * dim, 1),
                                             Transpose(), nn.Identity(), EnformerGELU())
        # the same modules again under _trunk (state_dict() lists them under both names)
        self._trunk = nn.Sequential(Transpose(), self.stem, self.conv_tower, Transpose(),
                                    self.transformer, self.crop_final, self.final_pointwise)
        self._heads = nn.ModuleDict({name: nn.Sequential(nn.Linear(2 * dim, n), nn.Softplus())
                                     for name, n in c["output_heads"].items()})

    def trunk_stages(self, x):
        """x (b, len, 4) -> list of (stage name, (b, positions, channels) tensor)."""
        stages = []
        x = x.transpose(1, 2)
        x = self.stem(x)
        stages.append(("stem", x.transpose(1, 2)))
        for i, block in enumerate(self.conv_tower):
            x = block(x)
            stages.append(("conv_tower.%d" % i, x.transpose(1, 2)))
        x = x.transpose(1, 2)
        for l, block in enumerate(self.transformer):
            x = block(x)
            stages.append(("transformer.%d" % l, x))
        x = self.crop_final(x)
        stages.append(("crop", x))
        x = self.final_pointwise(x)
        stages.append(("final_pointwise", x))
        return stages

    def forward(self, x, with_stages=False):
        stages = self.trunk_stages(x)
        out = {name: head(stages[-1][1]) for name, head in self._heads.items()}
        return (out, stages) if with_stages else out


# ---------------------------------------------------------------- gReLU

class Norm(nn.Module):
    def __init__(self, func=None, dim=None):
        super().__init__()
        if func == "batch":
            self.layer = nn.BatchNorm1d(dim, eps=BN_EPS)
        elif func == "layer":
            self.layer = nn.LayerNorm(dim, eps=LN_EPS)
        else:
            self.layer = nn.Identity()

    def forward(self, x):
        return self.layer(x)


class Pool(nn.Module):
    def __init__(self, func=None, dim=None):
        super().__init__()
        self.layer = AttentionPool(dim) if func == "attn" else nn.Identity()

    def forward(self, x):
        return self.layer(x)


class AdaptivePool(nn.Module):
    def __init__(self, func=None):
        super().__init__()
        if func not in (None, "avg", "max"):
            raise ValueError("final_pool_func %r" % func)
        self.func = func

    def forward(self, x):
        if self.func == "avg":
            return x.mean(dim=2, keepdim=True)
        if self.func == "max":
            return x.amax(dim=2, keepdim=True)
        return x


class ChannelTransform(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.layer = nn.Identity() if dim_in == dim_out else nn.Conv1d(dim_in, dim_out, 1)

    def forward(self, x):
        return self.layer(x)


class Activation(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        if self.func == "gelu_enformer":
            return gelu_enformer(x)
        if self.func == "relu":
            return torch.relu(x)
        if self.func == "softplus":
            return nn.functional.softplus(x)
        if self.func is None:
            return x
        raise ValueError("activation %r" % self.func)


class GConvBlock(nn.Module):
    """gReLU ConvBlock with order "NACDR" (the only order the Enformer trunk uses)."""

    def __init__(self, dim_in, dim_out, kernel, residual=False, pool=None):
        super().__init__()
        self.norm = Norm("batch", dim_in)
        self.conv = nn.Conv1d(dim_in, dim_out, kernel, padding=kernel // 2)
        self.pool = Pool(pool, dim_out)
        self.residual = residual
        if residual:
            self.channel_transform = ChannelTransform(dim_in, dim_out)

    def forward(self, x):
        y = self.conv(gelu_enformer(self.norm(x)))
        if self.residual:
            y = y + self.channel_transform(x)
        return self.pool(y)


class EnformerConvTower(nn.Module):
    def __init__(self, n_blocks, channels):
        super().__init__()
        half = channels // 2
        filters = [half] + exponential_linspace_int(half, channels, n_blocks - 1, 128)
        self.filters = filters
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv1d(4, half, 15, padding=7),
                                                   GConvBlock(half, half, 1, residual=True, pool="attn"))])
        for i in range(1, n_blocks):
            self.blocks.append(nn.Sequential(GConvBlock(filters[i - 1], filters[i], 5),
                                             GConvBlock(filters[i], filters[i], 1, residual=True, pool="attn")))


class LinearBlock(nn.Module):
    def __init__(self, dim_in, dim_out, act, norm):
        super().__init__()
        self.norm = Norm("layer" if norm else None, dim_in)
        self.linear = nn.Linear(dim_in, dim_out)
        self.act = Activation(act)

    def forward(self, x):
        return self.act(self.linear(self.norm(x)))


class FeedForwardBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dense1 = LinearBlock(dim, 2 * dim, "relu", norm=True)
        self.dense2 = LinearBlock(2 * dim, dim, None, norm=False)

    def forward(self, x):
        return self.dense2(self.dense1(x))


class EnformerTransformerBlock(nn.Module):
    def __init__(self, dim, heads, key_len):
        super().__init__()
        self.norm = Norm("layer", dim)
        self.mha = RelPosAttention(dim, heads, key_len, dim // heads, dim // heads)
        self.ffn = FeedForwardBlock(dim)

    def forward(self, x):
        x = x + self.mha(self.norm(x))
        return x + self.ffn(x)


class EnformerTransformerTower(nn.Module):
    def __init__(self, dim, n_blocks, heads, key_len):
        super().__init__()
        self.blocks = nn.ModuleList([EnformerTransformerBlock(dim, heads, key_len) for _ in range(n_blocks)])


class EnformerTrunk(nn.Module):
    """gReLU EnformerTrunk; input (b, 4, len), output (b, 2*channels, bins)."""

    def __init__(self, n_conv=7, channels=1536, n_transformers=11, n_heads=8, key_len=64, crop_len=0):
        super().__init__()
        self.conv_tower = EnformerConvTower(n_conv, channels)
        self.transformer_tower = EnformerTransformerTower(channels, n_transformers, n_heads, key_len)
        self.pointwise_conv = GConvBlock(channels, 2 * channels, 1)
        self.crop_len = crop_len

    def stages(self, x):
        out = []
        for i, block in enumerate(self.conv_tower.blocks):
            x = block(x)
            out.append(("conv_tower.blocks.%d" % i, x.transpose(1, 2)))
        x = x.transpose(1, 2)
        for l, block in enumerate(self.transformer_tower.blocks):
            x = block(x)
            out.append(("transformer_tower.blocks.%d" % l, x))
        x = gelu_enformer(self.pointwise_conv(x.transpose(1, 2)))
        out.append(("pointwise_conv+act", x.transpose(1, 2)))
        if self.crop_len:
            x = x[:, :, self.crop_len:x.shape[2] - self.crop_len]
        out.append(("crop", x.transpose(1, 2)))
        return x, out

    def forward(self, x):
        return self.stages(x)[0]


class ChannelTransformBlock(nn.Module):
    def __init__(self, dim_in, dim_out, act):
        super().__init__()
        self.conv = ChannelTransform(dim_in, dim_out)
        self.norm = Norm(None)
        self.act = Activation(act)

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class ConvHead(nn.Module):
    def __init__(self, n_tasks, in_channels, act_func=None, pool_func=None):
        super().__init__()
        self.channel_transform = ChannelTransformBlock(in_channels, n_tasks, act_func)
        self.pool = AdaptivePool(pool_func)

    def forward(self, x):
        return self.pool(self.channel_transform(x))


GRELU_DEFAULTS = {"n_conv": 7, "channels": 1536, "n_transformers": 11, "n_heads": 8, "key_len": 64,
                  "crop_len": 0, "final_act_func": None, "final_pool_func": "avg"}


class GReluEnformer(nn.Module):
    """gReLU EnformerModel: embedding.* (EnformerTrunk) + head.* (ConvHead)."""

    def __init__(self, config):
        super().__init__()
        c = dict(GRELU_DEFAULTS, **config)
        self.config = c
        self.embedding = EnformerTrunk(c["n_conv"], c["channels"], c["n_transformers"], c["n_heads"],
                                       c["key_len"], c["crop_len"])
        self.head = ConvHead(c["n_tasks"], 2 * c["channels"], c["final_act_func"], c["final_pool_func"])

    def forward(self, x, with_stages=False):
        """x (b, len, 4) one-hot -> (b, bins, tasks) (gReLU's (b, tasks, bins) transposed)."""
        h, stages = self.embedding.stages(x.transpose(1, 2))
        out = self.head(h).transpose(1, 2)
        return (out, stages) if with_stages else out


# ---------------------------------------------------------------- UKBioFormer

MLP_HIDDEN = 512   # hard-coded in UKBioBERT_EnformerPretrainedModel


class UKBioFormer(nn.Module):
    """UKBioBERT_EnformerPretrainedModel's weights: embedding.*, head.*, mlp.0/2.*, raw_beta."""

    def __init__(self, config):
        super().__init__()
        c = dict(GRELU_DEFAULTS, **config)
        self.config = c
        if c["n_tasks"] != 1:
            raise ValueError("the released forward reshapes the 1-output MLP to the head: n_tasks must be 1")
        self.embedding = EnformerTrunk(c["n_conv"], c["channels"], c["n_transformers"], c["n_heads"],
                                       c["key_len"], c["crop_len"])
        self.head = ConvHead(c["n_tasks"], 2 * c["channels"], None, c["final_pool_func"])
        self.mlp = nn.Sequential(nn.Linear(c["ext_emb_len"], MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, 1))
        self.raw_beta = nn.Parameter(torch.zeros(1))

    def forward(self, x, e):
        """x (b, len, 4) diploid one-hot, e (b, ext_emb_len) -> dict of out, t, m, beta, stages."""
        h, stages = self.embedding.stages(x.transpose(1, 2))
        t = self.head(h).reshape(x.shape[0])
        m = self.mlp(e).reshape(x.shape[0])
        beta = torch.sigmoid(self.raw_beta)
        return {"out": beta * t + (1 - beta) * m, "t": t, "m": m, "beta": beta, "stages": stages}


def chunks(seq, size):
    if not size:
        return [seq]
    return [seq[i:i + size] for i in range(0, len(seq), size)]


class FusedPredictor:
    """DESIGN.md's fused prediction around UKBioFormer and a reference encoder.

    tokenize(seq) -> ids (input already upper-cased here); encoder(ids (1, T)) -> (1, T, H).
    """

    def __init__(self, model, encoder, tokenize):
        self.model, self.encoder, self.tokenize = model, encoder, tokenize
        self.c = model.config

    def pooled(self, seq):
        """Mean of the last hidden state over all tokens (specials included); with encoder_chunk,
        the mean of the consecutive pieces' pooled embeddings (the last piece may be shorter)."""
        embs, ids = [], []
        for piece in chunks(seq.upper(), self.c["encoder_chunk"]):
            tok = self.tokenize(piece)
            ids.append(tok)
            embs.append(self.encoder(torch.tensor([tok]))[0].mean(dim=0))
        return torch.stack(embs).mean(dim=0), ids

    def predict(self, h1_window, h2_window, h1_encoder, h2_encoder):
        c = self.c
        if not len(h1_window) == len(h2_window) == c["window"]:
            raise ValueError("trunk inputs must be %d bases" % c["window"])
        if not len(h1_encoder) == len(h2_encoder) == c["encoder_window"]:
            raise ValueError("encoder inputs must be %d bases" % c["encoder_window"])
        x = ((one_hot(h1_window) + one_hot(h2_window)) / 2)[None]
        e1, ids1 = self.pooled(h1_encoder)
        e2, ids2 = self.pooled(h2_encoder)
        r = self.model(x, torch.cat([e1, e2])[None])
        r.update(e1=e1, e2=e2, ids1=ids1, ids2=ids2)
        return r


# ---------------------------------------------------------------- embeddings-only (embedding_mlp)

class EmbeddingMLP(nn.Module):
    """The embeddings-only model (model_type embedding_mlp, tools/train_embedding_mlp_demo.py):
    mlp.0 / mlp.2 over the two haplotypes' pooled embeddings side by side, as Ramprasad et al.
    predict expression from Nucleotide Transformer embeddings. UKBioFormer without the trunk."""

    def __init__(self, config):
        super().__init__()
        self.config = dict({"encoder_chunk": 0, "pooling": "mean", "n_out": 1}, **config)
        c = self.config
        self.mlp = nn.Sequential(nn.Linear(c["ext_emb_len"], c["hidden"]), nn.ReLU(),
                                 nn.Linear(c["hidden"], c["n_out"]))

    def forward(self, e):
        """e (b, ext_emb_len) -> (b, n_out)."""
        return self.mlp(e)


class EmbeddingPredictor(FusedPredictor):
    """One prediction of an embedding_mlp model: FusedPredictor's pooling, no trunk."""

    def predict(self, h1_encoder, h2_encoder):
        c = self.c
        if not len(h1_encoder) == len(h2_encoder) == c["encoder_window"]:
            raise ValueError("encoder inputs must be %d bases" % c["encoder_window"])
        e1, ids1 = self.pooled(h1_encoder)
        e2, ids2 = self.pooled(h2_encoder)
        out = self.model(torch.cat([e1, e2])[None])[0]
        return {"out": out, "e1": e1, "e2": e2, "ids1": ids1, "ids2": ids2}
