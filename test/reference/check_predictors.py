#!/usr/bin/env python3
"""Self-check of test/reference/predictors.py against the published sources' facts.

    /usr/bin/python3 test/reference/check_predictors.py [--tf-gammas tf_gammas.pt] [--compare GOLDENS_DIR]

1. state_dict names and shapes: the expected names are spelled out below, literally, from
   the sources (enformer_pytorch/modeling_enformer.py Enformer.__init__, ConvBlock, Residual,
   AttentionPool, Attention; gReLU trunks/enformer.py EnformerTrunk, blocks.py ConvBlock /
   LinearBlock / FeedForwardBlock / ChannelTransformBlock, layers.py Norm / Pool /
   ChannelTransform, heads.py ConvHead, models.py EnformerModel; UKBioLM models.py
   UKBioBERT_EnformerPretrainedModel) and must equal the modules' state_dict keys and shapes.
2. Relative position features (use_tf_gamma false) against the formulas evaluated per element
   in float64 with Python's math module; the relative shift against the pad / reshape / drop-row
   procedure of Transformer-XL that enformer-pytorch uses; attention pooling against a loop;
   the crop rule; the conv tower's channel list for the published Enformer (768 ... 1536).
3. Safetensors round trip (F32 and I64), and how far the float32 reference is from float64.
4. --tf-gammas FILE: the rebuilt TF gamma table against enformer-pytorch's
   precomputed/tf_gammas.pt, if you have that file.
5. --compare DIR: regenerate the goldens into a temporary directory and compare them with DIR
   (strings and token ids exactly, numbers to 1e-5 relative to each array's largest value).
Exit status 1 on any failure.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_predictor_fixtures as F  # noqa: E402
import predictors as P  # noqa: E402

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def bn(prefix, c):
    return {prefix + "." + s: ([] if s == "num_batches_tracked" else [c]) for s in BN}


def attention(prefix, dim, h, dk):
    dv = dim // h
    return {prefix + ".to_q.weight": [h * dk, dim], prefix + ".to_k.weight": [h * dk, dim],
            prefix + ".to_v.weight": [h * dv, dim], prefix + ".to_out.weight": [dim, h * dv],
            prefix + ".to_out.bias": [dim], prefix + ".to_rel_k.weight": [h * dk, dim // h],
            prefix + ".rel_content_bias": [1, h, 1, dk], prefix + ".rel_pos_bias": [1, h, 1, dk]}


def expected_enformer_pt(c):
    """enformer-pytorch Enformer.state_dict(): names and shapes."""
    dim, half, h, dk = c["dim"], c["dim"] // 2, c["heads"], c["attn_dim_key"]
    f = P.enformer_filter_list(c)
    core = {"stem.0.weight": [half, 4, 15], "stem.0.bias": [half],
            "stem.1.fn.2.weight": [half, half, 1], "stem.1.fn.2.bias": [half],
            "stem.2.to_attn_logits.weight": [half, half, 1, 1]}
    core.update(bn("stem.1.fn.0", half))
    for i, (a, b) in enumerate(zip(f[:-1], f[1:])):
        p = "conv_tower.%d." % i
        core.update(bn(p + "0.0", a))
        core.update({p + "0.2.weight": [b, a, 5], p + "0.2.bias": [b]})
        core.update(bn(p + "1.fn.0", b))
        core.update({p + "1.fn.2.weight": [b, b, 1], p + "1.fn.2.bias": [b],
                     p + "2.to_attn_logits.weight": [b, b, 1, 1]})
    for l in range(c["depth"]):
        p = "transformer.%d." % l
        core.update({p + "0.fn.0.weight": [dim], p + "0.fn.0.bias": [dim],
                     p + "1.fn.0.weight": [dim], p + "1.fn.0.bias": [dim],
                     p + "1.fn.1.weight": [2 * dim, dim], p + "1.fn.1.bias": [2 * dim],
                     p + "1.fn.4.weight": [dim, 2 * dim], p + "1.fn.4.bias": [dim]})
        core.update(attention(p + "0.fn.1", dim, h, dk))
    core.update(bn("final_pointwise.1.0", f[-1]))
    core.update({"final_pointwise.1.2.weight": [2 * dim, f[-1], 1], "final_pointwise.1.2.bias": [2 * dim]})
    # _trunk = Sequential(Rearrange, stem, conv_tower, Rearrange, transformer, crop_final, final_pointwise)
    alias = {"stem.": "_trunk.1.", "conv_tower.": "_trunk.2.", "transformer.": "_trunk.4.",
             "final_pointwise.": "_trunk.6."}
    out = dict(core)
    for k, v in core.items():
        for src, dst in alias.items():
            if k.startswith(src):
                out[dst + k[len(src):]] = v
    for name, n in c["output_heads"].items():
        out.update({"_heads.%s.0.weight" % name: [n, 2 * dim], "_heads.%s.0.bias" % name: [n]})
    return out


def expected_grelu_trunk(c, prefix="embedding."):
    """gReLU EnformerTrunk under EnformerModel.embedding."""
    C, half, h, dk = c["channels"], c["channels"] // 2, c["n_heads"], c["key_len"]
    f = [half] + P.exponential_linspace_int(half, C, c["n_conv"] - 1, 128)
    t = prefix + "conv_tower.blocks."
    out = {t + "0.0.weight": [half, 4, 15], t + "0.0.bias": [half],
           t + "0.1.conv.weight": [half, half, 1], t + "0.1.conv.bias": [half],
           t + "0.1.pool.layer.to_attn_logits.weight": [half, half, 1, 1]}
    out.update(bn(t + "0.1.norm.layer", half))
    for i in range(1, c["n_conv"]):
        a, b = f[i - 1], f[i]
        p = t + "%d." % i
        out.update(bn(p + "0.norm.layer", a))
        out.update({p + "0.conv.weight": [b, a, 5], p + "0.conv.bias": [b]})
        out.update(bn(p + "1.norm.layer", b))
        out.update({p + "1.conv.weight": [b, b, 1], p + "1.conv.bias": [b],
                    p + "1.pool.layer.to_attn_logits.weight": [b, b, 1, 1]})
    for l in range(c["n_transformers"]):
        p = prefix + "transformer_tower.blocks.%d." % l
        out.update({p + "norm.layer.weight": [C], p + "norm.layer.bias": [C],
                    p + "ffn.dense1.norm.layer.weight": [C], p + "ffn.dense1.norm.layer.bias": [C],
                    p + "ffn.dense1.linear.weight": [2 * C, C], p + "ffn.dense1.linear.bias": [2 * C],
                    p + "ffn.dense2.linear.weight": [C, 2 * C], p + "ffn.dense2.linear.bias": [C]})
        out.update(attention(p + "mha", C, h, dk))
    out.update(bn(prefix + "pointwise_conv.norm.layer", C))
    out.update({prefix + "pointwise_conv.conv.weight": [2 * C, C, 1], prefix + "pointwise_conv.conv.bias": [2 * C]})
    return out


def expected_grelu_model(c):
    out = expected_grelu_trunk(c)
    out.update({"head.channel_transform.conv.layer.weight": [c["n_tasks"], 2 * c["channels"], 1],
                "head.channel_transform.conv.layer.bias": [c["n_tasks"]]})
    return out


def expected_ukbio(c):
    out = expected_grelu_model(c)
    out.update({"mlp.0.weight": [512, c["ext_emb_len"]], "mlp.0.bias": [512],
                "mlp.2.weight": [1, 512], "mlp.2.bias": [1], "raw_beta": [1]})
    return out


def check_names():
    for what, model, expected in (
            ("enformer-pytorch (fixture config)", P.EnformerPT(F.ENFORMER_PT), expected_enformer_pt(F.ENFORMER_PT)),
            ("enformer-pytorch (use_tf_gamma config)", P.EnformerPT(F.ENFORMER_TF), expected_enformer_pt(F.ENFORMER_TF)),
            ("gReLU EnformerModel", P.GReluEnformer(F.GRELU), expected_grelu_model(F.GRELU)),
            ("UKBioBERT_EnformerPretrainedModel", P.UKBioFormer(F.UKBIO), expected_ukbio(F.UKBIO))):
        got = {k: list(v.shape) for k, v in model.state_dict().items()}
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        check(not missing and not extra, "%s: %d state_dict names as the source builds them%s" % (
            what, len(expected), "" if not (missing or extra) else " missing %s extra %s" % (missing[:5], extra[:5])))
        bad = [k for k in expected if k in got and got[k] != expected[k]]
        check(not bad, "%s: shapes%s" % (what, "" if not bad else " differ at %s" % bad[:5]))
    sd = P.EnformerPT(F.ENFORMER_PT).state_dict()
    check(sd["stem.0.weight"].data_ptr() == sd["_trunk.1.0.weight"].data_ptr(),
          "enformer-pytorch: stem.* and _trunk.1.* are the same tensors (state_dict lists both)")


# ---------------------------------------------------------------- formulas

def formula_features(n, nf):
    """Relative position features per element in float64 (enformer-pytorch, use_tf_gamma false)."""
    nb = nf // 6
    max_range = math.log(n) / math.log(2.0)
    half_lives = [2 ** (3.0 + (max_range - 3.0) * k / (nb - 1)) if nb > 1 else 2 ** 3.0 for k in range(nb)]
    stddev, start = n / (2 * nb), n / nb
    means = [start + (n - start) * k / (nb - 1) if nb > 1 else start for k in range(nb)]
    rows = []
    for d in range(-(n - 1), n):
        a = abs(d)
        expo = [math.exp(-math.log(2.0) / hl * a) for hl in half_lives]
        mask = [1.0 if 2 ** (k + 1) - 1 > a else 0.0 for k in range(nb)]
        gam = []
        for m in means:
            conc, rate = (m / stddev) ** 2, m / stddev ** 2
            logp = ((conc - 1) * math.log(a) if a > 0 else (0.0 if conc == 1 else -math.inf)) - rate * a
            logp -= math.lgamma(conc) - conc * math.log(rate)
            gam.append(math.exp(logp) + 1e-8)
        top = max(gam)
        gam = [g / top for g in gam]
        half = expo + mask + gam
        s = (d > 0) - (d < 0)
        rows.append(half + [s * v for v in half])
    return torch.tensor(rows, dtype=torch.float64)


def transformer_xl_shift(x):
    """Pad a zero column on the left, view (2n, n) per head, drop the first row, view back
    (n, 2n-1), keep the first n columns."""
    b, h, n, m = x.shape
    x = torch.cat([x.new_zeros(b, h, n, 1), x], dim=-1)
    x = x.reshape(b, h, m + 1, n)[:, :, 1:]
    return x.reshape(b, h, n, m)[..., :(m + 2) // 2]


def loop_attention_pool(x, w):
    d, n = x.shape
    out = torch.zeros(d, (n + 1) // 2, dtype=torch.float64)
    for j in range(0, n, 2):
        slots = [x[:, j]] + ([x[:, j + 1]] if j + 1 < n else [])
        logits = [w @ s for s in slots]
        for c in range(d):
            mx = max(float(l[c]) for l in logits)
            e = [math.exp(float(l[c]) - mx) for l in logits]
            out[c, j // 2] = sum(float(s[c]) * ei for s, ei in zip(slots, e)) / sum(e)
    return out


def check_formulas():
    worst64, worst32 = 0.0, [0.0, 0.0, 0.0]
    for n, nf in ((5, 12), (17, 24), (49, 24), (98, 48), (96, 6)):
        ref = formula_features(n, nf)
        nb = nf // 6
        worst64 = max(worst64, (ref - P.relative_position_features(n, nf, dtype=torch.float64)).abs().max().item())
        got = P.relative_position_features(n, nf).double()
        for k in range(3):
            worst32[k] = max(worst32[k], (ref - got)[:, k * nb:(k + 1) * nb].abs().max().item())
        check(torch.equal(got[n - 1, 2 * nb:3 * nb], torch.ones(nb, dtype=torch.float64)),
              "gamma features at distance 0 are all exactly 1 (n=%d, F=%d)" % (n, nf))
        check(torch.equal(got[:, nb:2 * nb], ref[:, nb:2 * nb]), "central mask exact (n=%d, F=%d)" % (n, nf))
        check(torch.equal(got[:, 3 * nb:], torch.sign(torch.arange(-(n - 1), n)).double()[:, None] * got[:, :3 * nb]),
              "second half = sign(key - query) * first half, sign(0) = 0 (n=%d)" % n)
    check(worst64 < 1e-12, "relative position features in float64 = per-element formulas: max abs diff %.1e" % worst64)
    check(worst32[0] < 1e-6, "exponential features in float32 (as enformer-pytorch): max abs diff %.1e" % worst32[0])
    check(worst32[2] < 2e-4, "gamma features in float32 (as enformer-pytorch): max abs diff %.1e "
          "(float32 rounding of lgamma and xlogy terms; grows with the basis count)" % worst32[2])
    big = (P.relative_position_features(1536, 192) - P.relative_position_features(1536, 192, dtype=torch.float64)).abs()
    print("     at the published size (1536 positions, 32 basis functions) float32 gamma features are "
          "%.1e from float64; exponential %.1e" % (big[:, 64:96].max().item(), big[:, :32].max().item()))

    g = torch.Generator().manual_seed(1)
    for n in (1, 2, 7, 16):
        x = torch.randn(2, 3, n, 2 * n - 1, generator=g)
        check(torch.equal(P.shift_relative(x), transformer_xl_shift(x)),
              "relative shift = Transformer-XL pad/reshape (n=%d): out[i, j] = in[i, n-1+j-i]" % n)

    for n in (6, 7, 1):
        pool = P.AttentionPool(5)
        with torch.no_grad():
            pool.to_attn_logits.weight.copy_(torch.randn(5, 5, 1, 1, generator=g))
            x = torch.randn(1, 5, n, generator=g)
            got = pool(x)[0].double()
        ref = loop_attention_pool(x[0].double(), pool.to_attn_logits.weight[:, :, 0, 0].double())
        check((got - ref).abs().max().item() < 1e-6,
              "attention pool vs loop, length %d (odd: last slot alone, padding gets no weight)" % n)

    x = torch.arange(100.0).view(1, 100, 1)
    for n, t, want in ((100, 90, (5, 95)), (100, 89, (6, 94)), (63, 40, (12, 51)), (49, 40, (5, 44)),
                       (40, 40, (0, 40)), (41, 40, (1, 40)), (100, -1, (0, 100))):
        got = P.TargetLengthCrop(t)(x[:, :n])
        check(got[0, :, 0].tolist() == list(range(want[0], want[1])),
              "TargetLengthCrop(%d) of %d positions keeps [%d, %d)" % (t, n, want[0], want[1]))

    tf = P.tf_gamma_features().double()
    check(tuple(tf.shape) == (3071, 32) and torch.allclose(tf.amax(dim=0), torch.ones(32, dtype=torch.float64))
          and tf[1535].max().item() < 1e-5 and torch.equal(tf, tf.flip(0)),
          "rebuilt TF gamma table: (3071, 32), each column's maximum 1, tiny at distance 0, symmetric")

    published = dict(P.ENFORMER_DEFAULTS)
    check(P.enformer_filter_list(published) == [768, 768, 896, 1024, 1152, 1280, 1536],
          "published Enformer conv tower channels 768 768 896 1024 1152 1280 1536")
    check(P.exponential_linspace_int(192, 384, 2, 128) == [256, 384],
          "gReLU channels 384: round(1.5) = 2 (half to even) gives 256")
    check(P.exponential_linspace_int(64, 128, 2, 128) == [0, 128],
          "gReLU channels 128 would give a 0-channel block (round(0.5) = 0): channels >= 256")


# ---------------------------------------------------------------- numerics

def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dtype = {"F32": torch.float32, "I64": torch.int64}[v["dtype"]]
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=dtype) if b > a else torch.empty(0, dtype=dtype)
        out[k] = t.reshape(v["shape"])
    return out


def check_numerics():
    model = P.EnformerPT(F.ENFORMER_PT).eval()
    F.randomize(model, 3)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.safetensors")
        F.write_safetensors(path, model.state_dict())
        back = read_safetensors(path)
    sd = model.state_dict()
    check(set(back) == set(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
          and back["stem.1.fn.0.num_batches_tracked"].dtype == torch.int64
          and list(back["stem.1.fn.0.num_batches_tracked"].shape) == [],
          "safetensors writer round trip (F32, and I64 num_batches_tracked of shape [])")

    g = torch.Generator().manual_seed(7)
    for what, build, cfg, n in (("enformer_pt", P.EnformerPT, F.ENFORMER_PT, 1000),
                                ("enformer_grelu", P.GReluEnformer, F.GRELU, 1000)):
        m32 = build(cfg).eval()
        F.randomize(m32, 11)
        m64 = build(cfg).double().eval()
        m64.load_state_dict(m32.state_dict())
        x = P.one_hot(F.random_seq(g, n, n_runs=[(10, 5)]))[None]
        with torch.no_grad():
            y32, y64 = m32(x), m64(x.double())
        if isinstance(y32, dict):
            y32, y64 = y32["human"], y64["human"]
        rel = ((y32.double() - y64).abs().max() / y64.abs().max()).item()
        check(rel < 1e-5, "%s: float32 reference within %.1e of float64 (goldens are float32)" % (what, rel))


def check_tf_gammas(path):
    table = torch.load(path)
    mine = P.tf_gamma_features()
    diff = (mine.double() - table.double()).abs()
    print("     tf_gammas.pt %s vs rebuilt: max abs %.2e, max rel %.2e" % (
        tuple(table.shape), diff.max().item(), (diff / table.double().abs()).max().item()))
    check(tuple(table.shape) == tuple(mine.shape) and diff.max().item() < 5e-3,
          "rebuilt TF gamma table within TF's float32 rounding of tf_gammas.pt")


def close(a, b, tol, path, errs):
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            errs.append("%s: keys differ" % path)
        for k in a:
            if k in b:
                close(a[k], b[k], tol, path + "." + k, errs)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errs.append("%s: lengths differ" % path)
            return
        flat_a = list(flatten(a))
        flat_b = list(flatten(b))
        if flat_a and all(isinstance(v, float) for v in flat_a + flat_b):
            scale = max(abs(v) for v in flat_b) or 1.0
            worst = max(abs(x - y) for x, y in zip(flat_a, flat_b)) / scale
            if worst > tol:
                errs.append("%s: %.2e" % (path, worst))
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                close(x, y, tol, "%s[%d]" % (path, i), errs)
    elif isinstance(a, float) and isinstance(b, (float, int)):
        if abs(a - b) > tol * max(abs(b), 1e-3):
            errs.append("%s: %r vs %r" % (path, a, b))
    elif a != b:
        errs.append("%s: %r vs %r" % (path, a, b) if not isinstance(a, str) or len(a) < 80 else "%s differs" % path)


def flatten(x):
    for v in x:
        if isinstance(v, list):
            yield from flatten(v)
        else:
            yield v


def check_compare(committed):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(HERE, "make_predictor_fixtures.py"),
                        os.path.join(d, "models"), os.path.join(d, "goldens")], check=True)
        names = sorted(f for f in os.listdir(committed) if f.endswith(".json"))
        fresh = sorted(f for f in os.listdir(os.path.join(d, "goldens")) if f.endswith(".json"))
        check(names == fresh, "golden sets equal: %s" % names)
        for name in names:
            errs = []
            with open(os.path.join(committed, name)) as f1, open(os.path.join(d, "goldens", name)) as f2:
                close(json.load(f1), json.load(f2), 1e-5, name[:-5], errs)
            check(not errs, "%s regenerated within 1e-5%s" % (name, "" if not errs else ": " + "; ".join(errs[:5])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tf-gammas", help="enformer_pytorch/precomputed/tf_gammas.pt, to measure the rebuilt table")
    ap.add_argument("--compare", metavar="GOLDENS_DIR", help="regenerate and compare with these goldens")
    a = ap.parse_args()
    torch.set_num_threads(1)
    check_names()
    check_formulas()
    check_numerics()
    if a.tf_gammas:
        check_tf_gammas(a.tf_gammas)
    if a.compare:
        check_compare(a.compare)
    print("%d failed" % len(FAILURES) if FAILURES else "all checks passed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
