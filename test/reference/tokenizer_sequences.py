#!/usr/bin/python3
"""Prints the parity test sequences, one a line (deterministic; seed fixed).

    /usr/bin/python3 test/reference/tokenizer_sequences.py > seqs.txt

Edge cases first (empty, every length 1..14, N placement around k-mer frames, lower case,
IUPAC codes, whitespace, special-token text, non-ASCII), then random sequences with N runs
and soft-masked stretches up to 12 kb, and the NT length boundaries (2048 / 2049 tokens).
"""
import random

rng = random.Random(45)
seqs = ["", "A", "N", "NNNN", "acgt", "ACGTAC", "ACGTACG", "ATTCCGATTCCGAAN", "NATTCCG", "ATTCCNGATTCCG",
        "ACGTNACGTACGTTTGACCAGTAGGACCCAANNNACGTACGT", "acgtnACGTACGTAC", "ACGRYTTT GA", "AC GT  ACGTAC",
        "ACGT[MASK]ACGT", "[CLS]ACGT", "ACGT[SEP]", "[MASK][MASK]", "acgt[mask]acgt", "ACG-TTA.CC",
        "ACGT\tACGT", "XQZ", "ACG [MASK] TTAC", "GATTACA", "AGATTACA", "GATTACA GATTACA-GATTACA",
        "ACGU UUACG", "ACGT\x01\x7fACGT", "AC.GT,,AC", "acgt acgtacgtaaccggtt acg", "AC\u00e9GT", "<cls>ACGTAC", "ACGTACGTACGTACGTACGTACGTACGTACGT",
        "GATTACA" * 9, "N" * 13 + "ACGTAC" * 3 + "N"]
for n in range(1, 15):
    seqs.append("".join(rng.choice("ACGT") for _ in range(n)))
for n in range(6, 14):
    s = list("".join(rng.choice("ACGT") for _ in range(n)))
    for pos in range(n):
        t = s[:]
        t[pos] = "N"
        seqs.append("".join(t))
for n in (50, 101, 333, 1000, 2999, 5994, 6000, 12000):
    s = []
    while len(s) < n:
        r = rng.random()
        if r < 0.03:
            s.extend("N" * rng.randint(1, 20))
        elif r < 0.08:
            s.extend("".join(rng.choice("acgt") for _ in range(rng.randint(1, 40))))
        elif r < 0.085:
            s.append(rng.choice("RYKMSW"))
        else:
            s.append(rng.choice("ACGT"))
    seqs.append("".join(s[:n]))
seqs.append("".join(rng.choice("ACGT") for _ in range(6 * 2047)))       # NT v2: exactly 2048 tokens
seqs.append("".join(rng.choice("ACGT") for _ in range(6 * 2047 + 1)))   # 2049 tokens
with open(1, "w", encoding="utf-8", newline="\n", closefd=False) as out:
    for s in seqs:
        out.write(s + "\n")
