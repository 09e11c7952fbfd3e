#!/usr/bin/env python3
"""Random-weight sequence-to-function and fused checkpoints with the real tensor names and
config keys, and the golden outputs PyTorch computes for them (test/reference/predictors.py).

    /usr/bin/python3 test/reference/make_predictor_fixtures.py build/generated/predictor/models test/fixtures/predictor

(the committed goldens in test/fixtures/predictor are that command's output for the default
seed; `--seed N` gives another set, for a parity run on fresh weights). It writes

  MODELS_DIR/enformer_pt/             config.json (model_type "enformer" + enformer-pytorch's
                                      EnformerConfig keys), model.safetensors = Enformer.state_dict()
                                      as is: stem.*, conv_tower.*, transformer.*, final_pointwise.*,
                                      _heads.human.* AND the _trunk.* aliases of the same tensors
  MODELS_DIR/enformer_trunk_alias/    the same weights under _trunk.* and _heads.* only (what is left
                                      when a writer drops one name of each shared tensor and keeps
                                      the alias); same goldens as enformer_pt; HF default dropouts
                                      in its config, which inference ignores
  MODELS_DIR/enformer_pt_tf_gamma/    use_tf_gamma true: 1536 transformer positions, dim/heads = 192
                                      (32 gamma basis functions), the gamma block rebuilt from TF's
                                      per-column rule (predictors.tf_gamma_features)
  MODELS_DIR/enformer_grelu/          gReLU EnformerModel: embedding.* + head.*; config.json is
                                      model_type "enformer", architectures ["EnformerModel"] and
                                      EnformerModel's own argument names (n_tasks, n_conv, channels,
                                      n_transformers, n_heads, key_len, attn_dropout, pos_dropout,
                                      ff_dropout, crop_len, final_act_func, final_pool_func)
  MODELS_DIR/ukbioformer/             UKBioBERT_EnformerPretrainedModel.state_dict() + config.json
                                      (DESIGN.md keys) + encoder/ (DNABERT-2 style MosaicBERT:
                                      config.json, model.safetensors, tokenizer.json)
  MODELS_DIR/ukbioformer_lightning/   the same with every name prefixed "model." (Lightning)
  MODELS_DIR/ukbioformer_chunked/     the same weights, encoder_window 1100 cut into 256-base pieces
                                      (the last one 76 bases)
  MODELS_DIR/embedding_mlp/           the embeddings-only model (predictors.EmbeddingMLP): config.json
                                      (model_type "embedding_mlp", ext_emb_len, hidden, encoder_window
                                      256, encoder_chunk 0, pooling "mean"), mlp.0/mlp.2 + encoder/ (as
                                      ukbioformer's); embedding_mlp_chunked: other weights, two
                                      outputs, encoder_window 1100 in 256-base pieces
  GOLDENS_DIR/<golden>.json           inputs, outputs and per-stage checksums (see below)

Batch norms get random running_mean / running_var / weight / bias and an int64
num_batches_tracked (shape [], as torch stores it). Shapes are tiny but structurally real.

Golden JSON: {"model", "models" (the MODELS_DIR entries it applies to), "config", "layout",
"cases": [...]}. A trunk case has "seq" and "output" (bins x tracks: what enformer-pytorch
returns for the human head; gReLU's (tasks, bins) transposed). A fused case has the two
haplotypes ("h1", "h2"), the exact slices each part reads ("h1_window", "h2_window": the trunk,
`window` bases; "h1_encoder", "h2_encoder": the encoder, `encoder_window` bases, both centred:
start (len - w) // 2), the token ids per encoder piece, the pooled embeddings "e1", "e2",
"t" (trunk + head averaged over bins), "m" (MLP), "beta" and "output". "stages" summarise each
intermediate tensor as positions x channels: shape, sum, abs_sum (float64 sums of the float32
values) and the first / last 4 values of the first / last position; "pos_features" summarise
the relative position feature table (2n-1 rows, row k = distance k - (n - 1)) per length n.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import encoders  # noqa: E402
import make_encoder_fixtures as mef  # noqa: E402  (encoder configs, randomize, safetensors writer)
import predictors as P  # noqa: E402
import tokenizers_ref  # noqa: E402

ENFORMER_PT = {
    "dim": 48, "depth": 2, "heads": 2, "attn_dim_key": 8, "num_downsamples": 4, "dim_divisible_by": 8,
    "target_length": 40, "output_heads": {"human": 5}, "use_tf_gamma": False,
    "dropout_rate": 0.0, "attn_dropout": 0.0, "pos_dropout": 0.0, "use_checkpointing": False,
    "use_convnext": False,
}
# transformer at 1536 positions (12288 bases / 2**3), 192 features per head = 32 per class
ENFORMER_TF = dict(ENFORMER_PT, dim=192, depth=1, heads=1, attn_dim_key=16, num_downsamples=3,
                   dim_divisible_by=32, target_length=64, output_heads={"human": 3}, use_tf_gamma=True)
GRELU = {
    "n_tasks": 4, "n_conv": 4, "channels": 384, "n_transformers": 2, "n_heads": 4, "key_len": 16,
    "attn_dropout": 0.0, "pos_dropout": 0.0, "ff_dropout": 0.0, "crop_len": 3,
    "final_act_func": "softplus", "final_pool_func": None,
}
UKBIO = {
    "model_type": "ukbioformer", "n_tasks": 1, "n_conv": 3, "channels": 384, "n_transformers": 1,
    "n_heads": 4, "key_len": 16, "crop_len": 2, "final_pool_func": "avg",
    "ext_emb_len": 2 * mef.MODELS["dnabert2"]["hidden_size"],
    "window": 1024, "encoder_window": 256, "encoder_chunk": 0,
}
UKBIO_CHUNKED = dict(UKBIO, encoder_window=1100, encoder_chunk=256)
EMB_MLP = {"model_type": "embedding_mlp", "ext_emb_len": 2 * mef.MODELS["dnabert2"]["hidden_size"],
           "hidden": 32, "encoder_window": 256, "encoder_chunk": 0, "pooling": "mean"}
EMB_MLP_CHUNKED = dict(EMB_MLP, encoder_window=1100, encoder_chunk=256, hidden=24)

ENFORMER_LENGTHS = [("len_1536_n_run", 1536), ("len_1000_odd_pooling_lower_case", 1000),
                    ("len_777_odd_pooling", 777)]
ENFORMER_TF_LENGTHS = [("len_12288", 12288), ("len_12283_odd_pooling", 12283)]
GRELU_LENGTHS = [("len_1024", 1024), ("len_1000_odd_pooling_lower_case", 1000), ("len_777_odd_pooling", 777)]


def fmt(v):
    return float("%.7g" % v)


def fmt_list(t):
    return [fmt(v) for v in t.reshape(-1).tolist()]


def summary(t):
    """t: positions x channels (float32)."""
    d = t.detach().double()
    return {"shape": list(t.shape), "sum": float("%.10g" % d.sum().item()),
            "abs_sum": float("%.10g" % d.abs().sum().item()),
            "first": fmt_list(t[0, :4]), "last": fmt_list(t[-1, -4:])}


# ---------------------------------------------------------------- weights

def randomize(model, seed):
    """Seeded weights at scales that keep activations O(1) through every block."""
    g = torch.Generator().manual_seed(seed)

    def r(shape):
        return torch.randn(shape, generator=g)

    with torch.no_grad():
        for m in model.modules():   # modules() visits each shared module once
            if isinstance(m, torch.nn.BatchNorm1d):
                m.weight.copy_(1.0 + 0.2 * r(m.weight.shape))
                m.bias.copy_(0.1 * r(m.bias.shape))
                m.running_mean.copy_(0.2 * r(m.running_mean.shape))
                m.running_var.copy_(torch.exp(0.4 * r(m.running_var.shape)))
                m.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,), generator=g)))
            elif isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(1.0 + 0.2 * r(m.weight.shape))
                m.bias.copy_(0.1 * r(m.bias.shape))
            elif isinstance(m, torch.nn.Conv2d):   # attention pool logits, near the 2 * identity init
                d = m.weight.shape[0]
                m.weight.copy_(2.0 * torch.eye(d)[:, :, None, None] + 0.5 * d ** -0.5 * r(m.weight.shape))
            elif isinstance(m, (torch.nn.Conv1d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(r(m.weight.shape) * fan_in ** -0.5)
                if m.bias is not None:
                    m.bias.copy_(0.1 * r(m.bias.shape))
            elif isinstance(m, P.RelPosAttention):
                m.rel_content_bias.copy_(0.5 * r(m.rel_content_bias.shape))
                m.rel_pos_bias.copy_(0.5 * r(m.rel_pos_bias.shape))
            elif isinstance(m, P.UKBioFormer):
                m.raw_beta.copy_(0.5 * r(m.raw_beta.shape))


def write_safetensors(path, tensors):
    """As make_encoder_fixtures.write_safetensors, but keeping int64 tensors (batch norm's
    num_batches_tracked, shape []) as I64 the way safetensors.torch.save_file stores them."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            dtype, data = "I64", t.numpy().tobytes()
        else:
            dtype, data = "F32", t.float().numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_model(models_dir, name, config, tensors):
    out = os.path.join(models_dir, name)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), tensors)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    return out


def write_golden(goldens_dir, name, golden):
    os.makedirs(goldens_dir, exist_ok=True)
    with open(os.path.join(goldens_dir, name + ".json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


# ---------------------------------------------------------------- sequences

def random_seq(g, n, lower=None, n_runs=()):
    """Seeded ACGT with optional lower-case stretch (start, len) and N runs [(start, len)]."""
    s = ["ACGT"[i] for i in torch.randint(0, 4, (n,), generator=g).tolist()]
    if lower:
        a, k = lower
        s[a:a + k] = [c.lower() for c in s[a:a + k]]
    for a, k in n_runs:
        s[a:a + k] = ["N"] * k
    return "".join(s)


def trunk_seq(g, case, n):
    if "lower_case" in case:
        return random_seq(g, n, lower=(n // 5, n // 3), n_runs=[(n // 2, 7), (n - 3, 3)])
    if "n_run" in case:
        return random_seq(g, n, n_runs=[(17, 40)])
    return random_seq(g, n, lower=(n - 50, 20), n_runs=[(0, 1), (n // 3, 2)])


def centre(seq, w):
    a = (len(seq) - w) // 2
    return seq[a:a + w]


# ---------------------------------------------------------------- trunks

def pos_summaries(config, lengths_n):
    f = config["dim"] // config["heads"] if "dim" in config else config["channels"] // config["n_heads"]
    tf = config.get("use_tf_gamma", False)
    return {str(n): summary(P.relative_position_features(n, f, tf)) for n in sorted(set(lengths_n))}


def transformer_length(stages):
    return next(s.shape[1] for k, s in stages if k.startswith("transformer"))


def enformer_cases(model, g, lengths):
    cases, ns = [], []
    with torch.no_grad():
        for case, n in lengths:
            seq = trunk_seq(g, case, n)
            out, stages = model(P.one_hot(seq)[None], with_stages=True)
            y = out["human"][0]
            ns.append(transformer_length(stages))
            cases.append({"name": case, "seq": seq, "length": n, "bins": y.shape[0], "tracks": y.shape[1],
                          "output": [fmt_list(row) for row in y],
                          "stages": {k: summary(s[0]) for k, s in stages}})
    return cases, ns


ENFORMER_LAYOUT = ("input one-hot A,C,G,T (N and other letters zero, case-insensitive); output bins x tracks "
                   "of the human head (softplus); stages are positions x channels; stem = after the "
                   "stem's attention pool, conv_tower.i = after tower block i, transformer.l = after "
                   "block l, crop = after TargetLengthCrop, final_pointwise = after its final GELU")


def build_enformer(models_dir, goldens_dir, seed):
    model = P.EnformerPT(ENFORMER_PT).eval()
    randomize(model, seed)
    sd = model.state_dict()
    config = dict(ENFORMER_PT, model_type="enformer", architectures=["Enformer"], torch_dtype="float32")
    write_model(models_dir, "enformer_pt", config, sd)
    alias = {k: v for k, v in sd.items() if k.startswith(("_trunk.", "_heads."))}
    alias_config = dict(config, dropout_rate=0.4, attn_dropout=0.05, pos_dropout=0.01)
    write_model(models_dir, "enformer_trunk_alias", alias_config, alias)
    cases, ns = enformer_cases(model, torch.Generator().manual_seed(seed + 1), ENFORMER_LENGTHS)
    write_golden(goldens_dir, "enformer_pt", {
        "model": "enformer_pt", "models": ["enformer_pt", "enformer_trunk_alias"], "config": config,
        "filter_list": model.filter_list, "layout": ENFORMER_LAYOUT,
        "pos_features": pos_summaries(ENFORMER_PT, ns), "cases": cases})

    model = P.EnformerPT(ENFORMER_TF).eval()
    randomize(model, seed + 10)
    config = dict(ENFORMER_TF, model_type="enformer", architectures=["Enformer"], torch_dtype="float32")
    write_model(models_dir, "enformer_pt_tf_gamma", config, model.state_dict())
    cases, ns = enformer_cases(model, torch.Generator().manual_seed(seed + 11), ENFORMER_TF_LENGTHS)
    table = P.tf_gamma_features()
    write_golden(goldens_dir, "enformer_pt_tf_gamma", {
        "model": "enformer_pt_tf_gamma", "models": ["enformer_pt_tf_gamma"], "config": config,
        "filter_list": model.filter_list, "layout": ENFORMER_LAYOUT,
        "gamma_table": {"rule": "per-column max normalisation (TF), float64, cast to float32",
                        "summary": summary(table), "row_distance_0": fmt_list(table[1535]),
                        "row_distance_100": fmt_list(table[1635]),
                        "row_distance_-1535": fmt_list(table[0])},
        "pos_features": pos_summaries(ENFORMER_TF, ns), "cases": cases})


def build_grelu(models_dir, goldens_dir, seed):
    model = P.GReluEnformer(GRELU).eval()
    randomize(model, seed + 20)
    config = dict(GRELU, model_type="enformer", architectures=["EnformerModel"], torch_dtype="float32")
    write_model(models_dir, "enformer_grelu", config, model.state_dict())
    g = torch.Generator().manual_seed(seed + 21)
    cases, ns = [], []
    with torch.no_grad():
        for case, n in GRELU_LENGTHS:
            seq = trunk_seq(g, case, n)
            y, stages = model(P.one_hot(seq)[None], with_stages=True)
            y = y[0]
            ns.append(transformer_length(stages))
            cases.append({"name": case, "seq": seq, "length": n, "bins": y.shape[0], "tracks": y.shape[1],
                          "output": [fmt_list(row) for row in y],
                          "stages": {k: summary(s[0]) for k, s in stages}})
    write_golden(goldens_dir, "enformer_grelu", {
        "model": "enformer_grelu", "models": ["enformer_grelu"], "config": config,
        "filter_list": model.embedding.conv_tower.filters,
        "layout": "input one-hot A,C,G,T; output bins x tasks (gReLU's (tasks, bins) transposed), "
                  "after ConvHead's softplus; stages positions x channels: conv_tower.blocks.i after "
                  "block i (0 = stem), transformer_tower.blocks.l, pointwise_conv+act (before the crop), crop",
        "pos_features": pos_summaries(GRELU, ns), "cases": cases})


# ---------------------------------------------------------------- fused

def dnabert2_encoder(seed):
    config = mef.MODELS["dnabert2"]
    enc = encoders.build(config).eval()
    mef.randomize(enc, seed)
    path = os.path.join(mef.TOKENIZER_FIXTURES, mef.BPE_TOKENIZERS["dnabert2"])
    with open(path) as f:
        tok = tokenizers_ref.JsonRef(f.read())
    return config, enc, tok, path


def write_fused(models_dir, name, config, tensors, enc_config, enc, tok_path):
    out = write_model(models_dir, name, config, tensors)
    enc_dir = os.path.join(out, "encoder")
    os.makedirs(enc_dir, exist_ok=True)
    mef.write_safetensors(os.path.join(enc_dir, "model.safetensors"), enc.state_dict())
    with open(os.path.join(enc_dir, "config.json"), "w") as f:
        json.dump(enc_config, f, indent=2, sort_keys=True)
    shutil.copyfile(tok_path, os.path.join(enc_dir, "tokenizer.json"))


def fused_cases(predictor, g):
    c = predictor.c
    n = max(c["window"], c["encoder_window"])
    base = random_seq(g, n)
    snv = sorted(torch.randperm(n, generator=g)[:12].tolist())
    alt = list(base)
    for p in snv:
        alt[p] = "ACGT"[("ACGT".index(alt[p]) + 1 + p % 3) % 4]
    alt = "".join(alt)
    masked = random_seq(g, n, lower=(n // 4, n // 3), n_runs=[(n // 2 - 5, 9), (3, 2)])
    pairs = [("homozygous", base, base), ("heterozygous_snvs", base, alt),
             ("n_runs_lower_case", masked, alt.lower())]
    cases = []
    with torch.no_grad():
        for case, h1, h2 in pairs:
            args = [centre(h1, c["window"]), centre(h2, c["window"]),
                    centre(h1, c["encoder_window"]), centre(h2, c["encoder_window"])]
            r = predictor.predict(*args)
            cases.append({"name": case, "h1": h1, "h2": h2, "h1_window": args[0], "h2_window": args[1],
                          "h1_encoder": args[2], "h2_encoder": args[3],
                          "encoder_ids": {"h1": r["ids1"], "h2": r["ids2"]},
                          "e1": fmt_list(r["e1"]), "e2": fmt_list(r["e2"]),
                          "t": fmt(r["t"].item()), "m": fmt(r["m"].item()), "beta": fmt(r["beta"].item()),
                          "output": fmt(r["out"].item()),
                          "stages": {k: summary(s[0]) for k, s in r["stages"]}})
    return cases


FUSED_LAYOUT = ("x = (onehot(h1_window) + onehot(h2_window)) / 2; t = mean over bins of head(trunk(x)); "
                "e1/e2 = mean of the encoder's last hidden state over all tokens of the upper-cased "
                "h1_encoder / h2_encoder ([CLS] and [SEP] included; with encoder_chunk > 0 each piece is "
                "tokenized and pooled alone and the pieces' embeddings averaged); m = mlp.2(relu(mlp.0([e1, e2]))); "
                "beta = sigmoid(raw_beta); output = beta * t + (1 - beta) * m; stages as the gReLU trunk's")


def build_ukbio(models_dir, goldens_dir, seed):
    enc_config, enc, tok, tok_path = dnabert2_encoder(seed + 30)
    model = P.UKBioFormer(UKBIO).eval()
    randomize(model, seed + 31)
    sd = model.state_dict()
    for name, config, tensors in (("ukbioformer", UKBIO, sd),
                                  ("ukbioformer_lightning", UKBIO, {"model." + k: v for k, v in sd.items()}),
                                  ("ukbioformer_chunked", UKBIO_CHUNKED, sd)):
        write_fused(models_dir, name, config, tensors, enc_config, enc, tok_path)
    for golden, config, models, gseed in (("ukbioformer", UKBIO, ["ukbioformer", "ukbioformer_lightning"], 32),
                                          ("ukbioformer_chunked", UKBIO_CHUNKED, ["ukbioformer_chunked"], 33)):
        m = P.UKBioFormer(config).eval()
        m.load_state_dict(sd)
        predictor = P.FusedPredictor(m, enc, tok.tokenize)
        cases = fused_cases(predictor, torch.Generator().manual_seed(seed + gseed))
        write_golden(goldens_dir, golden, {
            "model": golden, "models": models, "config": config,
            "encoder": {"model_type": enc_config["model_type"], "hidden_size": enc_config["hidden_size"],
                        "tokenizer": "test/fixtures/tokenizer/" + mef.BPE_TOKENIZERS["dnabert2"]},
            "filter_list": m.embedding.conv_tower.filters, "layout": FUSED_LAYOUT, "cases": cases})


def embedding_cases(predictor, g):
    c = predictor.c
    n = c["encoder_window"]
    base = random_seq(g, n)
    alt = list(base)
    for p in sorted(torch.randperm(n, generator=g)[:12].tolist()):
        alt[p] = "ACGT"[("ACGT".index(alt[p]) + 1 + p % 3) % 4]
    alt = "".join(alt)
    # an indel: 7 bases deleted in the middle, 7 others appended, same length
    indel = alt[:n // 2] + alt[n // 2 + 7:] + "GATTACA"
    masked = random_seq(g, n, lower=(n // 4, n // 3), n_runs=[(n // 2 - 5, 9), (3, 2)])
    pairs = [("homozygous", base, base), ("heterozygous_snvs", base, alt),
             ("swapped_haplotypes", alt, base), ("indel", indel, alt),
             ("n_runs_lower_case", masked, alt.lower())]
    cases = []
    with torch.no_grad():
        for case, h1, h2 in pairs:
            r = predictor.predict(h1, h2)
            cases.append({"name": case, "h1_encoder": h1, "h2_encoder": h2,
                          "encoder_ids": {"h1": r["ids1"], "h2": r["ids2"]},
                          "e1": fmt_list(r["e1"]), "e2": fmt_list(r["e2"]), "output": fmt_list(r["out"])})
    return cases


EMB_LAYOUT = ("e1/e2 = mean of the encoder's last hidden state over all tokens of the upper-cased "
              "h1_encoder / h2_encoder ([CLS] and [SEP] included; with encoder_chunk > 0 each piece is "
              "tokenized and pooled alone and the pieces' embeddings averaged); output = "
              "mlp.2(relu(mlp.0([e1, e2]))), n_out values")


def build_embedding_mlp(models_dir, goldens_dir, seed):
    enc_config, enc, tok, tok_path = dnabert2_encoder(seed + 30)
    for name, config, wseed, gseed in (("embedding_mlp", EMB_MLP, 41, 42),
                                       ("embedding_mlp_chunked", dict(EMB_MLP_CHUNKED, n_out=2), 43, 44)):
        model = P.EmbeddingMLP(config).eval()
        randomize(model, seed + wseed)
        file_config = {k: v for k, v in config.items() if k != "n_out"}
        write_fused(models_dir, name, file_config, model.state_dict(), enc_config, enc, tok_path)
        predictor = P.EmbeddingPredictor(model, enc, tok.tokenize)
        cases = embedding_cases(predictor, torch.Generator().manual_seed(seed + gseed))
        write_golden(goldens_dir, name, {
            "model": name, "models": [name], "config": file_config,
            "encoder": {"model_type": enc_config["model_type"], "hidden_size": enc_config["hidden_size"],
                        "tokenizer": "test/fixtures/tokenizer/" + mef.BPE_TOKENIZERS["dnabert2"]},
            "layout": EMB_LAYOUT, "cases": cases})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models_dir")
    ap.add_argument("goldens_dir")
    ap.add_argument("--seed", type=int, default=5000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    build_enformer(a.models_dir, a.goldens_dir, a.seed)
    build_grelu(a.models_dir, a.goldens_dir, a.seed)
    build_ukbio(a.models_dir, a.goldens_dir, a.seed)
    build_embedding_mlp(a.models_dir, a.goldens_dir, a.seed)


if __name__ == "__main__":
    main()
