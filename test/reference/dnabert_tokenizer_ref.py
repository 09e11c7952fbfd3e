"""DNABERT v1 tokenizer reference (github jerryji1993/DNABERT; Hugging Face
zhihan1996/DNA_bert_3 .. _6), written from the authors' sources, not from varformer's C:

- the vocabulary as src/transformers/dnabert-config/bert-config-K/vocab.txt ships it:
  [PAD] [UNK] [CLS] [SEP] [MASK], then the 4^k k-mers in itertools.product("ATCG") order;
- seq2kmer (motif/motif_utils.py): every k-mer at stride 1, joined by spaces;
- DNATokenizer (src/transformers/tokenization_dna.py): load_vocab (readlines, rstrip "\\n"),
  k from the vocabulary size (VOCAB_KMER), BasicTokenizer with do_lower_case False (clean
  text, whitespace split, punctuation split), unknown pieces -> [UNK],
  build_inputs_with_special_tokens (with its 510-k-mer pieces), and prepare_for_model's
  truncation for encode_plus(max_length=...) (tokenization_utils.py).
The model is in dnabert_ref.py; this file needs no torch (tokenizers_ref.py imports it).

varformer's one departure, applied by `varformer_ids`: where the authors' encode_plus would
truncate (more than max_length - 2 k-mers) varformer refuses, and it refuses characters at
which BasicTokenizer splits a k-mer (whitespace, punctuation, control characters), so ids
are always one per position. Everything else is the authors' pipeline.
"""
import io
import itertools
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB_KMER = {"69": "3", "261": "4", "1029": "5", "4101": "6"}


def vocab_lines(k):
    return SPECIALS + ["".join(p) for p in itertools.product("ATCG", repeat=k)]


def vocab_text(k):
    """Byte for byte the authors' file: only the 6-mer one ends with a newline."""
    return "\n".join(vocab_lines(k)) + ("\n" if k == 6 else "")


def seq2kmer(seq, k):
    kmer = [seq[x:x + k] for x in range(len(seq) + 1 - k)]
    return " ".join(kmer)


# ---------------------------------------------------------------- DNATokenizer


def _is_whitespace(ch):
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class DNATokenizer:
    """tokenization_dna.DNATokenizer with do_lower_case=False, as the authors construct it."""

    def __init__(self, vocab_file_text, max_len=512):
        self.vocab = {}
        for index, token in enumerate(io.StringIO(vocab_file_text, newline=None).readlines()):
            self.vocab[token.rstrip("\n")] = index
        self.kmer = int(VOCAB_KMER[str(len(self.vocab))])
        self.max_len = max_len
        self.specials = set(SPECIALS)

    # BasicTokenizer.tokenize (do_lower_case False; never_split = the special tokens)
    def _basic(self, text):
        text = "".join(" " if _is_whitespace(c) else c for c in text
                       if not (ord(c) == 0 or ord(c) == 0xFFFD or _is_control(c)))
        out = []
        for token in text.strip().split():
            if token in self.specials:
                out.append(token)
                continue
            pieces, start = [], True
            for ch in token:
                if _is_punctuation(ch):
                    pieces.append([ch])
                    start = True
                else:
                    if start:
                        pieces.append([])
                    start = False
                    pieces[-1].append(ch)
            out += ["".join(p) for p in pieces]
        return " ".join(out).strip().split()

    def tokenize(self, text):
        # PreTrainedTokenizer.tokenize cuts the special tokens out of the text first
        out, rest = [], [text]
        for sp in SPECIALS:
            nxt = []
            for piece in rest:
                if piece in self.specials:
                    nxt.append(piece)
                    continue
                parts = piece.split(sp)
                for i, p in enumerate(parts):
                    if i:
                        nxt.append(sp)
                    if p:
                        nxt.append(p)
            rest = nxt
        for piece in rest:
            out += [piece] if piece in self.specials else self._basic(piece)
        return out

    def convert_tokens_to_ids(self, tokens):
        return [self.vocab.get(t, self.vocab["[UNK]"]) for t in tokens]

    def build_inputs_with_special_tokens(self, ids):
        cls, sep = [self.vocab["[CLS]"]], [self.vocab["[SEP]"]]
        if len(ids) < 510:
            return cls + ids + sep
        output = []
        num_pieces = int(len(ids) // 510) + 1
        for i in range(num_pieces):
            output.extend(cls + ids[510 * i:min(len(ids), 510 * (i + 1))] + sep)
        return output

    def encode_plus(self, kmer_text, max_length=None):
        """prepare_for_model for one sequence, truncation_strategy longest_first."""
        ids = self.convert_tokens_to_ids(self.tokenize(kmer_text))
        total = len(ids) + 2
        if max_length and total > max_length:
            ids = ids[:len(ids) - (total - max_length)]
        seq = self.build_inputs_with_special_tokens(ids)
        if max_length and len(seq) > max_length:
            seq = seq[:max_length]
        return seq


class RefusedError(Exception):
    pass


def varformer_ids(tok, seq, max_tokens):
    """The authors' ids for seq (upper-cased, as the pre-training data was), or RefusedError
    where varformer refuses instead (see the module docstring)."""
    seq = seq.upper()
    for i, c in enumerate(seq):
        if not (c.isascii() and c.isalnum()):
            raise RefusedError("character %r at position %d" % (c, i + 1))
    n_kmers = max(len(seq) - tok.kmer + 1, 0)
    if max_tokens and n_kmers + 2 > max_tokens:
        raise RefusedError("%d tokens > %d" % (n_kmers + 2, max_tokens))
    ids = tok.encode_plus(seq2kmer(seq, tok.kmer), max_length=max_tokens or None)
    assert len(ids) == n_kmers + 2, (len(ids), n_kmers)
    return ids
