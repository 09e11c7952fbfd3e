#!/usr/bin/env python3
"""Random-weight encoder checkpoints with the real tensor names and config.json keys, and the
golden last hidden states PyTorch computes for them (test/reference/encoders.py).

    make_encoder_fixtures.py MODELS_DIR GOLDENS_DIR

writes MODELS_DIR/<model>/{config.json, model.safetensors, vocab.txt} and GOLDENS_DIR/<model>.json.
Everything is seeded, so two runs give the same bytes for the same torch build; `make goldens`
runs it with GOLDENS_DIR = test/fixtures/encoder, the parity check with build/generated.
Shapes are small (the test suite must stay fast); the structure is the real one.
"""
import itertools
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import encoders  # noqa: E402
import tokenizers_ref  # noqa: E402  (the tokenizer module's independent Python reference)

# BPE models take the tokenizer module's fixtures (DNABERT-2 and GROVER style tokenizer.json)
TOKENIZER_FIXTURES = os.path.join(HERE, "..", "fixtures", "tokenizer")
BPE_TOKENIZERS = {"dnabert2": "dnabert2_tokenizer.json", "grover": "grover_tokenizer.json"}


def bpe_vocab_size(name):
    with open(os.path.join(TOKENIZER_FIXTURES, BPE_TOKENIZERS[name])) as f:
        return tokenizers_ref.JsonRef(f.read()).vocab_size

NT_SPECIALS = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
NT_KMERS = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
NT_VOCAB = NT_SPECIALS + NT_KMERS + ["A", "T", "C", "G", "N"]
NT_INDEX = {t: i for i, t in enumerate(NT_VOCAB)}


def nt_tokenize(seq):
    """Nucleotide Transformer: <cls>, then per stretch between Ns non-overlapping 6-mers and the
    leftover bases one by one; each N is its own token; no <eos>. Input is upper-cased first."""
    ids = [NT_INDEX["<cls>"]]
    for i, run in enumerate(seq.upper().split("N")):
        if i > 0:
            ids.append(NT_INDEX["N"])
        full = len(run) - len(run) % 6
        ids += [NT_INDEX[run[j:j + 6]] for j in range(0, full, 6)]
        ids += [NT_INDEX[b] for b in run[full:]]
    return ids


def esm_config(**kw):
    c = {
        "architectures": ["EsmForMaskedLM"], "model_type": "esm", "attention_probs_dropout_prob": 0.0,
        "hidden_dropout_prob": 0.0, "hidden_act": "gelu", "initializer_range": 0.02,
        "is_folding_model": False, "esmfold_config": None, "vocab_list": None,
        "emb_layer_norm_before": False, "layer_norm_eps": 1e-12, "mask_token_id": 2,
        "pad_token_id": 1, "vocab_size": len(NT_VOCAB), "tie_word_embeddings": False,
        "torch_dtype": "float32", "use_cache": False,
    }
    c.update(kw)
    return c


def bert_config(**kw):
    c = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "attention_probs_dropout_prob": 0.0,
        "hidden_dropout_prob": 0.0, "hidden_act": "gelu", "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
        "type_vocab_size": 2, "torch_dtype": "float32", "use_cache": True,
    }
    c.update(kw)
    return c


MODELS = {
    # NT v1 (e.g. InstaDeepAI/nucleotide-transformer-500m-human-ref), shrunk
    "nt_v1": esm_config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                        max_position_embeddings=66, position_embedding_type="absolute", token_dropout=True),
    # NT v2 (InstaDeepAI/nucleotide-transformer-v2-50m-multi-species), shrunk
    "nt_v2": esm_config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                        max_position_embeddings=66, position_embedding_type="rotary", token_dropout=False,
                        add_bias_fnn=False,
                        auto_map={"AutoConfig": "esm_config.EsmConfig",
                                  "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM"}),
    # DNABERT-2 (zhihan1996/DNABERT-2-117M), shrunk; 6 heads exercise the non-power-of-two slopes
    "dnabert2": bert_config(hidden_size=48, num_hidden_layers=2, num_attention_heads=6, intermediate_size=64,
                            vocab_size=bpe_vocab_size("dnabert2"), max_position_embeddings=512,
                            alibi_starting_size=64,
                            auto_map={"AutoConfig": "configuration_bert.BertConfig",
                                      "AutoModel": "bert_layers.BertModel",
                                      "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM"}),
    # GROVER (PoetschLab/GROVER): plain BERT, shrunk
    "grover": bert_config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                          vocab_size=bpe_vocab_size("grover"), max_position_embeddings=40),
    # the GELU approximations through hidden_act
    "bert_gelu_tanh": bert_config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=32, vocab_size=50, max_position_embeddings=24,
                                  hidden_act="gelu_new"),
    "bert_quick_gelu": bert_config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=32, vocab_size=50, max_position_embeddings=24,
                                   hidden_act="quick_gelu"),
    # EBERT-style: per-token epigenetic state embedding added to the token embedding
    "ebert": bert_config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                         vocab_size=len(NT_VOCAB), max_position_embeddings=40, num_epigenetic_states=16),
}

NT_SEQUENCES = [
    ("with_n", "ACGTACGTNNACGTACGTACGTACGTTTGAN"),
    ("odd_length", "ACGTTGCAAGCTTGA"),
    ("lower_case", "acgtacGTACGTttgacCANnagt"),
    ("single_base", "G"),
    ("max_length", ("ACGTTGCA" * 100)[:6 * 63]),
]


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            norm = any(k in name for k in ("LayerNorm", "layer_norm", "layernorm"))
            if norm and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * r)
            elif "embeddings" in name:
                p.copy_(r)
            elif p.dim() == 2:
                p.copy_(r * (1.0 / p.shape[1]) ** 0.5)
            else:
                p.copy_(0.1 * r)


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


def bpe_cases(name, config):
    """Sequences through the reference BPE tokenizer: with N, odd length, lower case, and the
    longest prefix of a long sequence that still fits the model's maximum token count."""
    with open(os.path.join(TOKENIZER_FIXTURES, BPE_TOKENIZERS[name])) as f:
        tok = tokenizers_ref.JsonRef(f.read())
    limit = config["max_position_embeddings"]
    seqs = [("seq_with_n", "ACGTAGCATCGGATCTANNNTCTATCGACACTTGG"),
            ("seq_odd_length", "ACGTTGCAAGCTTGATTACA"),
            ("seq_lower_case", "acgtagcatcGGATCTatctatcgACACttggtta")]
    long_seq = ("ACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC" * 200)
    n = 1
    while len(tok.tokenize(long_seq[:n + 1])) <= limit:
        n += 1
    seqs.append(("seq_max_length", long_seq[:n]))
    return [{"name": case, "seq": seq, "ids": tok.tokenize(seq.upper())} for case, seq in seqs]


def cases_for(name, config, g):
    cases = bpe_cases(name, config) if name in BPE_TOKENIZERS else []
    if config["model_type"] == "esm":
        for case, seq in NT_SEQUENCES:
            cases.append({"name": case, "seq": seq, "ids": nt_tokenize(seq)})
        if config.get("token_dropout"):
            cases.append({"name": "mask_tokens", "ids": [3, 2, 40, 2, 900, 17, 4000]})
        return cases
    vocab = config["vocab_size"]
    if "alibi_starting_size" in config:
        lengths = [3, 17, config["alibi_starting_size"], 2 * config["alibi_starting_size"] + 3]
    else:
        lengths = [1, 7, config["max_position_embeddings"] // 2 + 1, config["max_position_embeddings"]]
    for n in lengths:
        ids = torch.randint(0, vocab, (n,), generator=g).tolist()
        case = {"name": "length_%d" % n, "ids": ids}
        if config.get("num_epigenetic_states"):
            case["states"] = torch.randint(0, config["num_epigenetic_states"], (n,), generator=g).tolist()
        cases.append(case)
    return cases


def write_broken(models_dir):
    """Checkpoints that must be refused at first use, naming what is wrong: nt_v2 without one
    tensor, and nt_v2 claiming a position scheme varformer does not implement."""
    config = dict(MODELS["nt_v2"])
    model = encoders.build(config).eval()
    randomize(model, 7)
    tensors = model.state_dict()
    del tensors["esm.encoder.layer.1.attention.self.key.bias"]
    for name, cfg, ts in (("broken_missing_tensor", config, tensors),
                          ("broken_relative_key", dict(config, position_embedding_type="relative_key"),
                           model.state_dict())):
        out = os.path.join(models_dir, name)
        os.makedirs(out, exist_ok=True)
        write_safetensors(os.path.join(out, "model.safetensors"), ts)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)


def main():
    models_dir, goldens_dir = sys.argv[1], sys.argv[2]
    write_broken(models_dir)
    torch.set_num_threads(1)
    for seed, (name, config) in enumerate(sorted(MODELS.items()), start=1):
        model = encoders.build(config).eval()
        randomize(model, 1000 + seed)
        out = os.path.join(models_dir, name)
        os.makedirs(out, exist_ok=True)
        write_safetensors(os.path.join(out, "model.safetensors"), model.state_dict())
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
        if config["model_type"] == "esm" or config.get("num_epigenetic_states"):
            with open(os.path.join(out, "vocab.txt"), "w") as f:
                f.write("\n".join(NT_VOCAB) + "\n")
        if name in BPE_TOKENIZERS:
            with open(os.path.join(TOKENIZER_FIXTURES, BPE_TOKENIZERS[name])) as src, \
                    open(os.path.join(out, "tokenizer.json"), "w") as dst:
                dst.write(src.read())
        g = torch.Generator().manual_seed(2000 + seed)
        cases = cases_for(name, config, g)
        with torch.no_grad():
            for case in cases:
                ids = torch.tensor([case["ids"]])
                states = torch.tensor([case["states"]]) if "states" in case else None
                hidden = model(ids, states)[0]
                case["hidden"] = [[float("%.7g" % v) for v in row] for row in hidden.tolist()]
                case["pooled"] = [float("%.7g" % v) for v in hidden.mean(dim=0).tolist()]
        os.makedirs(goldens_dir, exist_ok=True)
        with open(os.path.join(goldens_dir, name + ".json"), "w") as f:
            json.dump({"model": name, "hidden_size": config["hidden_size"], "cases": cases}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
