#!/usr/bin/python3
"""Writes test/fixtures/tokenizer/: tokenizer files in the formats real DNA models ship.

    /usr/bin/python3 test/reference/make_tokenizer_fixtures.py test/fixtures/tokenizer

Deterministic (fixed seed); rerunning must reproduce the committed files byte for byte.

- nt_vocab.txt: the Nucleotide Transformer (HF EsmTokenizer) vocab.txt: <unk> <pad> <mask>
  <cls> <eos> <bos>, the 4096 6-mers in itertools.product("ATCG") order, then A T C G N
  (4107 lines, as InstaDeepAI/nucleotide-transformer-v2-*-multi-species ship it).
- nt_config.json: the NT v2 config fields the tokenizer reads (esm, 2050 positions, pad 1).
- dnabert2_tokenizer.json: DNABERT-2 layout: added [UNK] [CLS] [SEP] [PAD] [MASK] (0-4),
  Whitespace pre-tokenizer, TemplateProcessing [CLS] $A [SEP], BPE with "a b" merges,
  trained here by plain BPE (most frequent pair, ties to the smallest pair) on a
  pseudo-random corpus with repeats, so merges chain into long tokens.
- dnabert2_pairs_tokenizer.json: the same tokenizer with ["a", "b"] merges (tokenizers >= 0.20).
- grover_tokenizer.json: GROVER-like: specials [PAD] [UNK] [CLS] [SEP] [MASK], normalizer
  Sequence[Strip, NFKC], WhitespaceSplit, BertProcessing, fuse_unk, ["a","b"] merges,
  a different training corpus and merge count.
- features_tokenizer.json: "##" prefix, "</w>" suffix, Replace + BertNormalizer, WhitespaceSplit +
  BertPreTokenizer, [MASK] with lstrip/rstrip, a single_word added token, a two-id special in a
  Sequence[ByteLevel, TemplateProcessing] post-processor.
- dnabert3_vocab.txt .. dnabert6_vocab.txt: DNABERT v1's vocab.txt (jerryji1993/DNABERT
  src/transformers/dnabert-config/bert-config-K): [PAD] [UNK] [CLS] [SEP] [MASK], then the 4^k
  k-mers in itertools.product("ATCG") order; dnabert_config.json its config.json (6-mer).
- char_vocab.txt: HyenaDNA/Caduceus CharacterTokenizer vocabulary, one token a line.
- char_tokenizer.json: GPN-style character WordLevel (lowercase a c g t, Lowercase normalizer,
  Split on "" so the crate's whole-word lookup sees characters).
- bad_*: malformed files for the error tests (see the names).
"""
import itertools
import json
import os
import random
import sys

import dnabert_tokenizer_ref

out = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/tokenizer"
os.makedirs(out, exist_ok=True)


def write(name, text):
    with open(os.path.join(out, name), "w", newline="\n") as f:
        f.write(text)


def dump(name, obj):
    write(name, json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


# ---- Nucleotide Transformer ----
kmers = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
nt = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"] + kmers + ["A", "T", "C", "G", "N"]
write("nt_vocab.txt", "\n".join(nt) + "\n")
dump("nt_config.json", {"model_type": "esm", "max_position_embeddings": 2050, "pad_token_id": 1,
                        "position_embedding_type": "rotary", "vocab_size": len(nt)})
# NT v1 style: learned absolute positions, 1002 rows -> 1000 tokens.
dump("nt_v1_config.json", {"model_type": "esm", "max_position_embeddings": 1002, "pad_token_id": 1,
                           "position_embedding_type": "absolute"})


# ---- BPE training (plain, deterministic) ----
def corpus(seed, n_seq, length):
    rng = random.Random(seed)
    motifs = ["".join(rng.choice("ACGT") for _ in range(rng.randint(4, 12))) for _ in range(12)]
    seqs = []
    for _ in range(n_seq):
        s = []
        while len(s) < length:
            if rng.random() < 0.5:
                s.extend(rng.choice(motifs))
            else:
                s.append(rng.choice("ACGT"))
        seqs.append("".join(s[:length]))
    return seqs


def learn_merges(words, n_merges, prefix=""):
    """Greedy BPE over words given as symbol lists: the most frequent adjacent pair (ties to the
    lexicographically smallest) merges next; a merged right symbol loses its continuing-subword
    prefix, as the tokenizers crate's trainer writes it."""
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w in words:
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            break
        best = max(counts.items(), key=lambda kv: (kv[1], tuple(-ord(c) for c in kv[0][0] + " " + kv[0][1])))[0]
        merges.append(best)
        new = []
        for w in words:
            o, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    o.append(w[i] + w[i + 1][len(prefix):])
                    i += 2
                else:
                    o.append(w[i])
                    i += 1
            new.append(o)
        words = new
    return merges


def train_bpe(seqs, n_merges):
    return learn_merges([list(s) for s in seqs], n_merges)


def added(tokens):
    return [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True} for t, i in tokens]


def bpe_json(specials, alphabet, merges, pairs, **parts):
    vocab = {}
    for t, i in specials:
        vocab[t] = i
    for c in alphabet:
        vocab.setdefault(c, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    model = {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": parts.pop("fuse_unk", False), "byte_fallback": False,
             "vocab": vocab,
             "merges": [[a, b] for a, b in merges] if pairs else [a + " " + b for a, b in merges]}
    doc = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added(specials)}
    doc.update(parts)
    doc["decoder"] = None
    doc["model"] = model
    return doc


dnabert_specials = [("[UNK]", 0), ("[CLS]", 1), ("[SEP]", 2), ("[PAD]", 3), ("[MASK]", 4)]
dnabert_merges = train_bpe(corpus(2023, 40, 400), 160)
template = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}}
for pairs, name in ((False, "dnabert2_tokenizer.json"), (True, "dnabert2_pairs_tokenizer.json")):
    dump(name, bpe_json(dnabert_specials, "ACGTN", dnabert_merges, pairs,
                        normalizer=None, pre_tokenizer={"type": "Whitespace"}, post_processor=template))
dump("dnabert2_config.json", {"model_type": "bert", "max_position_embeddings": 512, "pad_token_id": 0,
                              "vocab_size": 4096})

grover_specials = [("[PAD]", 0), ("[UNK]", 1), ("[CLS]", 2), ("[SEP]", 3), ("[MASK]", 4)]
grover_merges = train_bpe(corpus(1958, 30, 500), 220)
dump("grover_tokenizer.json", bpe_json(
    grover_specials, "ACGT", grover_merges, True, fuse_unk=True,
    normalizer={"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": True, "strip_right": True},
                                                    {"type": "NFKC"}]},
    pre_tokenizer={"type": "WhitespaceSplit"},
    post_processor={"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}))
dump("grover_config.json", {"model_type": "bert", "max_position_embeddings": 512, "pad_token_id": 0})

# A file exercising the rest of the pipeline: "##" continuing-subword prefix and "</w>"
# suffix, BertNormalizer (lower-cases) + BertPreTokenizer, added tokens with lstrip/rstrip
# and single_word, a two-id special token, and a Sequence post-processor.
def train_bpe_affixed(seqs, n_merges, prefix, suffix):
    words = [[(prefix if i else "") + c + (suffix if i == len(w) - 1 else "") for i, c in enumerate(w)]
             for s in seqs for w in s.split()]
    return learn_merges(words, n_merges, prefix)


feat_corpus = [" ".join(s[i:i + 37] for i in range(0, len(s), 37)).lower() for s in corpus(77, 20, 300)]
feat_merges = train_bpe_affixed(feat_corpus, 150, "##", "</w>")
feat_vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "[MASK]": 4, "GATTACA": 5}
for c in "acgtn":
    for form in (c, "##" + c, c + "</w>", "##" + c + "</w>"):
        feat_vocab.setdefault(form, len(feat_vocab))
for a, b in feat_merges:
    feat_vocab.setdefault(a + b[2:], len(feat_vocab))
feat_added = added([("[UNK]", 0), ("[CLS]", 1), ("[SEP]", 2), ("[PAD]", 3)])
feat_added.append({"id": 4, "content": "[MASK]", "single_word": False, "lstrip": True, "rstrip": True,
                   "normalized": False, "special": True})
feat_added.append({"id": 5, "content": "GATTACA", "single_word": True, "lstrip": False, "rstrip": False,
                   "normalized": False, "special": False})
dump("features_tokenizer.json", {
    "version": "1.0", "truncation": None, "padding": {"pad_id": 3, "pad_token": "[PAD]"},
    "added_tokens": feat_added,
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Replace", "pattern": {"String": "U"}, "content": "T"},
        {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
         "lowercase": True}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "BertPreTokenizer"}]},
    "post_processor": {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<s2>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
         "pair": [],
         "special_tokens": {"<s2>": {"id": "<s2>", "ids": [1, 4], "tokens": ["[CLS]", "[MASK]"]},
                            "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}}]},
    "decoder": None,
    "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "vocab": feat_vocab,
              "merges": [a + " " + b for a, b in feat_merges]}})

# ---- DNABERT v1 ----
for k in (3, 4, 5, 6):
    write("dnabert%d_vocab.txt" % k, dnabert_tokenizer_ref.vocab_text(k))
dump("dnabert_config.json", {"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1,
                             "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
                             "initializer_range": 0.02, "intermediate_size": 3072,
                             "max_position_embeddings": 512, "num_attention_heads": 12,
                             "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 4101})

# ---- character level ----
write("char_vocab.txt", "\n".join(["[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]",
                                   "A", "C", "G", "T", "N"]) + "\n")
dump("char_tokenizer.json", {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": added([("[PAD]", 0), ("[MASK]", 1), ("[UNK]", 2)]),
    "normalizer": {"type": "Lowercase"},
    "pre_tokenizer": {"type": "Split", "pattern": {"Regex": ""}, "behavior": "Isolated", "invert": False},
    "post_processor": None, "decoder": None,
    "model": {"type": "WordLevel", "vocab": {"[PAD]": 0, "[MASK]": 1, "[UNK]": 2, "a": 3, "c": 4, "g": 5, "t": 6},
              "unk_token": "[UNK]"}})

# ---- malformed ----
good = bpe_json(dnabert_specials, "ACGTN", dnabert_merges[:20], False,
                normalizer=None, pre_tokenizer={"type": "Whitespace"}, post_processor=template)
text = json.dumps(good)
write("bad_truncated.json", text[: len(text) // 2])
write("bad_trailing_comma.json", text[:-1] + ",}")


def variant(name, edit):
    d = json.loads(text)
    edit(d)
    dump(name, d)


variant("bad_merge_oov.json", lambda d: d["model"]["merges"].append("A QQ"))
variant("bad_merge_format.json", lambda d: d["model"]["merges"].insert(3, "A C G"))
variant("bad_merge_mixed.json", lambda d: d["model"]["merges"].insert(3, ["A", "C"]))
variant("bad_model_type.json", lambda d: d["model"].update(type="Unigram"))
variant("bad_no_model.json", lambda d: d.pop("model"))
variant("bad_vocab_id.json", lambda d: d["model"]["vocab"].update(GATTACA="seven"))
variant("bad_unk.json", lambda d: d["model"].update(unk_token="<unk>"))
variant("bad_dropout.json", lambda d: d["model"].update(dropout=0.1))
variant("bad_normalizer.json", lambda d: d.update(normalizer={"type": "Precompiled", "precompiled_charsmap": "AA=="}))
variant("bad_pre_tokenizer.json", lambda d: d.update(pre_tokenizer={"type": "ByteLevel", "add_prefix_space": False}))
variant("bad_template.json", lambda d: d["post_processor"]["special_tokens"].pop("[SEP]"))
variant("bad_added.json", lambda d: d["added_tokens"].append({"id": -3, "content": "[X]"}))
dnabert3 = dnabert_tokenizer_ref.vocab_lines(3)
write("bad_dnabert_k2_vocab.txt", "\n".join(dnabert_tokenizer_ref.vocab_lines(2)) + "\n")
write("bad_dnabert_letters_vocab.txt", "\n".join(dnabert3 + ["N"]) + "\n")
write("bad_dnabert_missing_vocab.txt", "\n".join(dnabert3[:-1] + [dnabert3[-2]]) + "\n")
write("bad_dnabert_no_sep_vocab.txt", "\n".join([t for t in dnabert3 if t != "[SEP]"]) + "\n")
write("bad_words_vocab.txt", "\n".join(["<unk>", "<pad>", "<cls>", "hello", "world", "A", "C"]) + "\n")
write("bad_incomplete_kmers_vocab.txt", "\n".join(nt[:-300]) + "\n")
