#!/usr/bin/python3
"""Independent reference tokenizers (written from the published rules, not from our C).

    /usr/bin/python3 test/reference/tokenizers_ref.py (--vocab F | --tokenizer-json F) [--config F] < seqs

Prints one line per input line: ids separated by spaces, or "ERROR ..." (non-ASCII input,
too many tokens, a character with no token and no unk). The Hugging Face `tokenizers` crate
is not installable here (no Debian package), so this is the parity reference:

- NT k-mer (InstaDeep NucleotidesKmersTokenizer.tokenize, plus EsmTokenizer's handling of
  characters outside the vocabulary): the upper-cased text is cut into runs of vocabulary
  letters and runs of other characters; a run of others is whitespace-split and each piece
  is <unk>; a run of letters is split at N, each part chunked into k-mers from its start
  with the remainder as single letters, and N tokens between the parts; <cls> first.
- tokenizer.json: added tokens cut out leftmost-longest; each piece normalized (Python
  str methods), pre-tokenized with the `regex` patterns the crate documents (Whitespace:
  \\w+|[^\\w\\s]+), BPE as GPT-2's encoder.py does it (lowest-rank pair, all occurrences
  left to right, repeat), then the post-processor template.
- character level: one lookup per character ([SEP] appended for a vocab.txt that has it).
- DNABERT v1 (a vocab.txt of k-mers with [CLS]): dnabert_tokenizer_ref.py.
"""
import argparse
import itertools
import json
import re
import sys

import dnabert_tokenizer_ref


def fail(msg):
    return "ERROR " + msg


def splitlines_vocab(text):
    return [l.strip() for l in text.splitlines()]


# ---------------- NT ----------------
class KmerRef:
    def __init__(self, text):
        lines = splitlines_vocab(text)
        self.ids = {}
        for i, t in enumerate(lines):
            if t:
                self.ids[t] = i
        lens = {len(t) for t in self.ids if len(t) > 1 and set(t) <= set("ACGT")}
        (self.k,) = lens
        self.letters = {t for t in self.ids if len(t) == 1}
        self.vocab_size = len(lines)

    def tokenize(self, s):
        out = ["<cls>"]
        for run in re.findall("[" + re.escape("".join(sorted(self.letters))) + "]+|[^" +
                              re.escape("".join(sorted(self.letters))) + "]+", s):
            if run[0] not in self.letters:
                out += ["<unk>"] * len(run.split())
                continue
            parts = run.split("N") if "N" in self.letters else [run]
            for j, part in enumerate(parts):
                full = len(part) // self.k * self.k
                out += [part[i:i + self.k] for i in range(0, full, self.k)]
                out += list(part[full:])
                if j < len(parts) - 1:
                    out.append("N")
        ids = []
        for t in out:
            # a k-mer chunk holding a letter outside ACGT is not a k-mer: its letters stand alone
            if t in self.ids:
                ids.append(self.ids[t])
            else:
                ids += [self.ids[c] for c in t]
        return ids


# ---------------- tokenizer.json ----------------
WS = " \t\n\v\f\r"


class JsonRef:
    def __init__(self, text):
        d = json.loads(text)
        self.d = d
        m = d["model"]
        self.vocab = m["vocab"]
        self.type = m.get("type", "BPE")
        self.unk = m.get("unk_token")
        self.unk_id = self.vocab[self.unk] if self.unk is not None else None
        self.added = [(a["content"], a["id"], a.get("lstrip", False), a.get("rstrip", False),
                       a.get("single_word", False)) for a in d.get("added_tokens") or []]
        if self.type == "BPE":
            self.prefix = m.get("continuing_subword_prefix") or ""
            self.suffix = m.get("end_of_word_suffix") or ""
            self.fuse_unk = bool(m.get("fuse_unk"))
            self.byte_fallback = bool(m.get("byte_fallback"))
            self.ignore_merges = bool(m.get("ignore_merges"))
            self.ranks = {}
            for r, mg in enumerate(m.get("merges") or []):
                a, b = mg.split(" ") if isinstance(mg, str) else mg
                self.ranks[(a, b)] = r          # a later duplicate wins
        ids = list(self.vocab.values()) + [a[1] for a in self.added]
        self.vocab_size = max(ids) + 1

    # normalizers on ASCII text
    def normalize(self, n, s):
        if n is None:
            return s
        t = n["type"]
        if t == "Sequence":
            for x in n["normalizers"]:
                s = self.normalize(x, s)
            return s
        if t in ("NFC", "NFD", "NFKC", "NFKD", "StripAccents"):
            return s
        if t == "Lowercase":
            return s.lower()
        if t == "Strip":
            if n.get("strip_left", True):
                s = s.lstrip(WS)
            if n.get("strip_right", True):
                s = s.rstrip(WS)
            return s
        if t == "BertNormalizer":
            if n.get("clean_text", True):
                s = "".join(" " if c in "\t\n\r" else c for c in s
                            if not (ord(c) < 32 and c not in "\t\n\r") and ord(c) != 127)
            if n.get("lowercase", True):
                s = s.lower()
            return s
        if t == "Replace":
            return s.replace(n["pattern"]["String"], n["content"])
        if t == "Prepend":
            return n["prepend"] + s if s else s
        raise ValueError(t)

    def pre(self, p, words):
        if p is None:
            return words
        t = p["type"]
        if t == "Sequence":
            for x in p["pretokenizers"]:
                words = self.pre(x, words)
            return words
        out = []
        for w in words:
            if t == "Whitespace":
                out += re.findall(r"\w+|[^\w\s]+", w, flags=re.ASCII)
            elif t == "WhitespaceSplit":
                out += w.split()
            elif t == "Split" and self.type == "WordLevel" and p.get("behavior") != "Removed":
                out += list(w)   # the files split into characters; every character is kept
            elif t == "BertPreTokenizer":
                out += re.findall(r"[!-/:-@\[-`{-~]|[^\s!-/:-@\[-`{-~]+", w)
            else:
                raise ValueError(t)
        return out

    def bpe(self, w):
        if self.ignore_merges and w in self.vocab:
            return [self.vocab[w]]
        syms, pending = [], False
        for i, c in enumerate(w):
            piece = (self.prefix if i > 0 else "") + c + (self.suffix if i == len(w) - 1 else "")
            if piece in self.vocab or (self.byte_fallback and "<0x%02X>" % ord(c) in self.vocab):
                if pending:
                    syms.append(self.unk)
                pending = False
                syms.append(piece if piece in self.vocab else "<0x%02X>" % ord(c))
            elif self.unk is None:
                raise KeyError(c)
            else:
                if pending and not self.fuse_unk:
                    syms.append(self.unk)
                pending = True
        if pending:
            syms.append(self.unk)
        # GPT-2 encoder.py style: take the lowest-ranked pair present, merge every occurrence
        # left to right, repeat. Equal to the crate's one-merge-at-a-time heap whenever each
        # merge's halves come from earlier merges (true of trained files, ours included).
        while len(syms) > 1:
            pairs = {(a, b) for a, b in zip(syms, syms[1:]) if (a, b) in self.ranks}
            if not pairs:
                break
            first, second = min(pairs, key=lambda p: self.ranks[p])
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == first and syms[i + 1] == second:
                    out.append(first + second[len(self.prefix):])
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        return [self.vocab[x] for x in syms]

    def chars(self, w):
        out = []
        for c in w:
            if c in self.vocab:
                out.append(self.vocab[c])
            elif self.unk_id is not None:
                out.append(self.unk_id)
            else:
                raise KeyError(c)
        return out

    def segment(self, s):
        s = self.normalize(self.d.get("normalizer"), s)
        if not s:
            return []
        ids = []
        for w in self.pre(self.d.get("pre_tokenizer"), [s]):
            ids += self.bpe(w) if self.type == "BPE" else self.chars(w)
        return ids

    def split_added(self, s):
        """[(is_added, text_or_id)] by leftmost-longest matching of the added tokens."""
        out, seg, i = [], 0, 0
        isw = lambda c: c.isascii() and (c.isalnum() or c == "_")
        while i < len(s):
            cands = [a for a in self.added if s.startswith(a[0], i)]
            if not cands:
                i += 1
                continue
            content, tid, lstrip, rstrip, single = max(cands, key=lambda a: len(a[0]))  # first longest
            end = i + len(content)
            if single and ((i > 0 and isw(s[i - 1])) or (end < len(s) and isw(s[end]))):
                i = end
                continue
            b, e = i, end
            if lstrip:
                while b > seg and s[b - 1] in WS:
                    b -= 1
            if rstrip:
                while e < len(s) and s[e] in WS:
                    e += 1
            out.append((False, s[seg:b]))
            out.append((True, tid))
            seg = i = e
        out.append((False, s[seg:]))
        return out

    def post(self, p, ids):
        if p is None:
            return ids
        t = p["type"]
        if t == "Sequence":
            for x in p["processors"]:
                ids = self.post(x, ids)
            return ids
        if t == "ByteLevel":
            return ids
        if t in ("BertProcessing", "RobertaProcessing"):
            return [p["cls"][1]] + ids + [p["sep"][1]]
        if t == "TemplateProcessing":
            out = []
            for piece in p["single"]:
                if "Sequence" in piece:
                    out += ids
                else:
                    out += p["special_tokens"][piece["SpecialToken"]["id"]]["ids"]
            return out
        raise ValueError(t)

    def tokenize(self, s):
        ids = []
        for is_added, x in self.split_added(s):
            ids += [x] if is_added else self.segment(x)
        return self.post(self.d.get("post_processor"), ids)


class CharTxtRef:
    def __init__(self, text):
        lines = splitlines_vocab(text)
        self.ids = {t: i for i, t in enumerate(lines) if t}
        self.unk = self.ids.get("[UNK]", self.ids.get("<unk>"))
        self.sep = self.ids.get("[SEP]")
        self.vocab_size = len(lines)

    def tokenize(self, s):
        out = []
        for c in s:
            if c in self.ids:
                out.append(self.ids[c])
            elif self.unk is not None:
                out.append(self.unk)
            else:
                raise KeyError(c)
        return out + ([self.sep] if self.sep is not None else [])


class DnabertTxtRef:
    """DNABERT v1 (dnabert_tokenizer_ref.py): the authors' seq2kmer + DNATokenizer, refused
    where varformer refuses (a split k-mer, a sequence the authors would truncate)."""

    def __init__(self, text):
        self.tok = dnabert_tokenizer_ref.DNATokenizer(text)
        self.limit = 0

    def tokenize(self, s):
        return dnabert_tokenizer_ref.varformer_ids(self.tok, s, self.limit)


def max_tokens(cfg):
    if cfg is None:
        return 0
    mpe = cfg.get("max_position_embeddings")
    if mpe:
        if cfg.get("model_type") in ("esm", "roberta", "xlm-roberta", "camembert"):
            mpe -= cfg.get("pad_token_id", 1) + 1
        return mpe
    return cfg.get("n_positions") or cfg.get("max_seq_len") or 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab")
    ap.add_argument("--tokenizer-json")
    ap.add_argument("--config")
    ap.add_argument("--max-tokens", type=int)
    a = ap.parse_args()
    if a.tokenizer_json:
        tok = JsonRef(open(a.tokenizer_json, encoding="utf-8").read())
    else:
        text = open(a.vocab, encoding="utf-8").read()
        lines = [l for l in splitlines_vocab(text) if l]
        if "[CLS]" in lines and any(len(l) > 1 and set(l) <= set("ACGT") for l in lines):
            tok = DnabertTxtRef(text)
        elif any(len(l) > 1 and set(l) <= set("ACGT") for l in lines):
            tok = KmerRef(text)
        else:
            tok = CharTxtRef(text)
    limit = max_tokens(json.load(open(a.config)) if a.config else None)
    if a.max_tokens is not None:
        limit = a.max_tokens
    tok.limit = limit
    for line in sys.stdin.buffer.read().split(b"\n")[:-1]:
        if any(b >= 0x80 for b in line):
            print(fail("non-ASCII"))
            continue
        s = line.decode("ascii").upper()
        try:
            ids = tok.tokenize(s)
        except KeyError as e:
            print(fail("no token for %r" % e.args[0]))
            continue
        except dnabert_tokenizer_ref.RefusedError as e:
            print(fail(str(e)))
            continue
        if limit and len(ids) > limit:
            print(fail("%d tokens > %d" % (len(ids), limit)))
            continue
        print(" ".join(map(str, ids)))


if __name__ == "__main__":
    main()
