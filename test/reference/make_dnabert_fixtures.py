#!/usr/bin/env python3
"""Random-weight DNABERT v1 checkpoints (test/reference/dnabert_ref.py: the authors' tensor
names, config.json keys and vocab.txt) and the token ids and last hidden states the reference
computes for them.

    make_dnabert_fixtures.py MODELS_DIR GOLDENS_DIR

MODELS_DIR/dnabert<k>/        config.json, model.safetensors, vocab.txt
MODELS_DIR/dnabert<k>_torch/  the same weights as torch.save(state_dict()) (pytorch_model.bin,
                              decoder tied to the word embeddings: one shared storage)
MODELS_DIR/dnabert<k>_legacy/ the same in torch.save's legacy (pre-1.6) format, which the
                              authors' DNABERT checkpoints were published in
GOLDENS_DIR/dnabert<k>.json   per case: the sequence, its ids, hidden states and their mean
Seeded: `make goldens` writes GOLDENS_DIR = test/fixtures/dnabert, `make fixtures` regenerates
both under build/generated/dnabert and test/checks/51_dnabert_parity.sh compares them. Shapes
are small but max_position_embeddings is the real 512, so the longest case is the real limit.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnabert_ref  # noqa: E402
import dnabert_tokenizer_ref as dtr  # noqa: E402
import make_encoder_fixtures as mef  # noqa: E402

MODELS = {
    3: dnabert_ref.config(3, hidden_size=24, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48),
    6: dnabert_ref.config(6, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64),
}


def sequences(k, max_tokens):
    base = "ACGTTGCAATCGGATCCTAGGCTTAACG"
    longest = (base * 40)[:max_tokens - 2 + k - 1]   # exactly max_tokens tokens
    return [
        ("seq_with_n", "ACGTACGTNNACGTACGTACGTACGTTTGAN"),
        ("seq_lower_case", "acgtacGTACGTttgacCANnagt"),
        ("seq_odd_length", "ACGTTGCAAGCTTGA"),
        ("seq_iupac", "ACGRYTTTGAKMSWACGT"),
        ("seq_k_bases", "GATTAC"[:k]),
        ("seq_shorter_than_k", "GA"),
        ("seq_max_length", longest.lower()[:50] + longest[50:]),
    ]


def main():
    models_dir, goldens_dir = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    os.makedirs(goldens_dir, exist_ok=True)
    for k, config in sorted(MODELS.items()):
        name = "dnabert%d" % k
        model = dnabert_ref.DnabertForMaskedLM(config).eval()
        mef.randomize(model, 5100 + k)
        sd = model.state_dict()
        for d, save in ((name, lambda p: mef.write_safetensors(os.path.join(p, "model.safetensors"), sd)),
                        (name + "_torch", lambda p: torch.save(sd, os.path.join(p, "pytorch_model.bin"))),
                        (name + "_legacy", lambda p: torch.save(sd, os.path.join(p, "pytorch_model.bin"),
                                                                _use_new_zipfile_serialization=False))):
            out = os.path.join(models_dir, d)
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "config.json"), "w") as f:
                json.dump(config, f, indent=2, sort_keys=True)
            with open(os.path.join(out, "vocab.txt"), "w", newline="\n") as f:
                f.write(dtr.vocab_text(k))
            save(out)
        tok = dtr.DNATokenizer(dtr.vocab_text(k))
        assert tok.kmer == k
        cases = []
        with torch.no_grad():
            for case, seq in sequences(k, config["max_position_embeddings"]):
                ids = dtr.varformer_ids(tok, seq, config["max_position_embeddings"])
                hidden = model(torch.tensor([ids]))[0]
                cases.append({"name": case, "seq": seq, "ids": ids,
                              "hidden": [[float("%.7g" % v) for v in row] for row in hidden.tolist()],
                              "pooled": [float("%.7g" % v) for v in hidden.mean(dim=0).tolist()]})
        with open(os.path.join(goldens_dir, name + ".json"), "w") as f:
            json.dump({"model": name, "hidden_size": config["hidden_size"], "cases": cases}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
