#!/usr/bin/env bash
# Tokenizers: token ids from the plain-C tokenizers (ASan/UBSan build) against the
# independent Python reference (test/reference/tokenizers_ref.py), run live on the same
# fixtures and sequences; then every malformed tokenizer file must fail with its own error.
set -euo pipefail
cd "$VF_ROOT"
PY=${PYTHON:-/usr/bin/python3}
F=test/fixtures/tokenizer
OUT=${VF_GENERATED:-build/generated}/tokenizer
mkdir -p "$OUT"
make -s build/unit/tokenize_main
BIN=build/unit/tokenize_main
fail=0

# 1. The committed fixtures are what the documented script writes.
rm -rf "$OUT/fixtures"
$PY test/reference/make_tokenizer_fixtures.py "$OUT/fixtures"
diff -r "$OUT/fixtures" "$F" >/dev/null || { echo "FAIL fixtures differ from make_tokenizer_fixtures.py output"; fail=1; }

# 2. Parity on the sequence set, per tokenizer.
$PY test/reference/tokenizer_sequences.py > "$OUT/seqs.txt"
parity() { # name args...
  local name=$1; shift
  "$BIN" "$@" < "$OUT/seqs.txt" | sed 's/^ERROR .*/ERROR/' > "$OUT/$name.c.txt"
  $PY test/reference/tokenizers_ref.py "$@" < "$OUT/seqs.txt" | sed 's/^ERROR .*/ERROR/' > "$OUT/$name.py.txt"
  local n ok errs
  n=$(wc -l < "$OUT/seqs.txt")
  [ "$n" -gt 0 ] || { echo "FAIL no sequences"; fail=1; return; }
  errs=$(grep -c '^ERROR' "$OUT/$name.c.txt" || true)
  if [ "$(wc -l < "$OUT/$name.c.txt")" -ne "$n" ] || ! cmp -s "$OUT/$name.c.txt" "$OUT/$name.py.txt"; then
    echo "FAIL parity $name"; diff "$OUT/$name.c.txt" "$OUT/$name.py.txt" | head -n 10; fail=1
  else
    echo "ok   parity $name: $n sequences identical ($errs refused by both)"
  fi
}
parity nt        --vocab $F/nt_vocab.txt --config $F/nt_config.json
parity nt_v1     --vocab $F/nt_vocab.txt --config $F/nt_v1_config.json
parity dnabert2  --tokenizer-json $F/dnabert2_tokenizer.json --config $F/dnabert2_config.json
parity dnabert2_nolimit --tokenizer-json $F/dnabert2_tokenizer.json
parity dnabert2_pairs --tokenizer-json $F/dnabert2_pairs_tokenizer.json
parity grover    --tokenizer-json $F/grover_tokenizer.json --config $F/grover_config.json
parity features  --tokenizer-json $F/features_tokenizer.json
parity char_txt  --vocab $F/char_vocab.txt
for k in 3 4 5 6; do
  parity dnabert$k --vocab $F/dnabert${k}_vocab.txt --config $F/dnabert_config.json
done
parity dnabert6_40 --vocab $F/dnabert6_vocab.txt --max-tokens 40
parity char_json --tokenizer-json $F/char_tokenizer.json

# Both merge encodings are one tokenizer.
cmp -s "$OUT/dnabert2_nolimit.c.txt" "$OUT/dnabert2_pairs.c.txt" \
  && echo "ok   \"a b\" and [a, b] merges give the same ids" \
  || { echo "FAIL merge encodings differ"; fail=1; }

# 2b. The tokenizers.js reference (Hugging Face's JavaScript port) is its own check,
# 45_tokenizer_hfjs.sh, so that it is counted as skipped where node/npm are missing.

# 3. Specific expectations that must not drift with the reference (from the NT rules).
expect() { # name expected-output args... (stdin: one sequence)
  local name=$1 want=$2; shift 2
  local got; got=$("$BIN" "$@")
  if [ "$got" = "$want" ]; then echo "ok   $name"; else echo "FAIL $name: got [$got] want [$want]"; fail=1; fi
}
# <cls>=3, ATTCCG=369, A=4102 T=4103 C=4104 G=4105 N=4106: k-mer, leftovers single, N single, no <eos>.
printf 'ATTCCGATTCCGAAN\n' | expect "NT k-mers, leftovers, N, no <eos>" "3 369 369 4102 4102 4106" --vocab $F/nt_vocab.txt
printf 'attccgATTCCG\n' | expect "NT upper-cases first" "3 369 369" --vocab $F/nt_vocab.txt
printf 'ATTNCCGATTA\n' | expect "NT frame restarts after N (CCGATT=2763)" "3 4102 4103 4103 4106 2763 4102" --vocab $F/nt_vocab.txt
{ head -c 12276 /dev/zero | tr '\0' 'A'; echo NN; } | expect "NT too long names both lengths" \
  "ERROR 5 sequence of 12278 bases gives 2049 tokens, more than the model's maximum of 2048 tokens" \
  --vocab $F/nt_vocab.txt --config $F/nt_config.json
# longer than (2048 - 1) * 6 bases: refused from the length alone, before tokenizing (16 Mb at once)
head -c 12283 /dev/zero | tr '\0' 'A' | { cat; echo; } | expect "NT too long refused before tokenizing" \
  "ERROR 5 sequence of 12283 bases is longer than the 12282 bases the model's 2048 tokens can hold" \
  --vocab $F/nt_vocab.txt --config $F/nt_config.json
head -c 16000000 /dev/zero | tr '\0' 'A' | { cat; echo; } | expect "NT 16 Mb refused from its length" \
  "ERROR 5 sequence of 16000000 bases is longer than the 12282 bases the model's 2048 tokens can hold" \
  --vocab $F/nt_vocab.txt --config $F/nt_config.json
printf 'ACGT\xc3\xa9\n' | expect "non-ASCII refused" "ERROR 2 sequence has a non-ASCII byte 0xC3 at position 5" --vocab $F/nt_vocab.txt
expect "info NT" "kind=kmer vocab_size=4107 pad_id=1 max_tokens=2048" --info --vocab $F/nt_vocab.txt --config $F/nt_config.json < /dev/null
expect "info NT v1" "kind=kmer vocab_size=4107 pad_id=1 max_tokens=1000" --info --vocab $F/nt_vocab.txt --config $F/nt_v1_config.json < /dev/null
expect "info DNABERT-2" "kind=bpe vocab_size=170 pad_id=3 max_tokens=512" --info --tokenizer-json $F/dnabert2_tokenizer.json --config $F/dnabert2_config.json < /dev/null
# DNABERT v1: ids are the vocab.txt lines (authors' order A T C G: AAAAAA=5 AAAAAT=6 AAAATC=11,
# TTTTTA=1369 TTTTTT=1370), [CLS]=2 ... [SEP]=3, a k-mer holding N or another letter is [UNK]=1.
printf 'AAAAAATC\n' | expect "DNABERT 6-mers overlap, vocab order" "2 5 6 11 3" --vocab $F/dnabert6_vocab.txt
printf 'tttttTANAAAAAA\n' | expect "DNABERT upper-cases, N k-mers are [UNK]" "2 1370 1369 1 1 1 1 1 1 5 3" --vocab $F/dnabert6_vocab.txt
printf 'AC\n\n' | expect "DNABERT shorter than k: [CLS] [SEP]" "$(printf '2 3\n2 3')" --vocab $F/dnabert3_vocab.txt
head -c 516 /dev/zero | tr '\0' 'A' | { cat; echo; } | expect "DNABERT too long names both lengths" \
  "ERROR 5 sequence of 516 bases gives 511 6-mers, 513 tokens with [CLS] and [SEP], more than the model's maximum of 512 tokens (515 bases)" \
  --vocab $F/dnabert6_vocab.txt --config $F/dnabert_config.json
printf 'ACGT ACGT\n' | expect "DNABERT refuses a character that splits a k-mer" \
  "ERROR 2 character 0x20 at position 5 cannot be part of a DNABERT k-mer" --vocab $F/dnabert6_vocab.txt
for k in 3 4 5 6; do
  expect "info DNABERT k=$k" "kind=kmer_overlap vocab_size=$((4 ** k + 5)) pad_id=0 max_tokens=512" --info \
    --vocab $F/dnabert${k}_vocab.txt --config $F/dnabert_config.json < /dev/null
done
expect "info char" "kind=char vocab_size=12 pad_id=4 max_tokens=0" --info --vocab $F/char_vocab.txt < /dev/null

# 4. Malformed tokenizer files: a clean error each, naming the problem.
bad() { # file-arg file expected-substring
  local out; out=$("$BIN" "$1" "$F/$2" < /dev/null || true)
  case "$out" in
    "CREATE_ERROR "*"$3"*) echo "ok   refuses $2";;
    *) echo "FAIL $2: got [$out], want [$3]"; fail=1;;
  esac
}
bad --tokenizer-json bad_truncated.json 'tokenizer.json does not parse: invalid JSON at offset'
bad --tokenizer-json bad_trailing_comma.json 'tokenizer.json does not parse'
bad --tokenizer-json bad_no_model.json 'no "model" object'
bad --tokenizer-json bad_model_type.json 'model type "Unigram" is not supported'
bad --tokenizer-json bad_merge_oov.json 'merge 21 uses "QQ", which is not in the vocabulary'
bad --tokenizer-json bad_merge_format.json 'merge 4 is not two tokens separated by one space'
bad --tokenizer-json bad_merge_mixed.json 'merges mix'
bad --tokenizer-json bad_vocab_id.json 'vocabulary token "GATTACA" has no valid id'
bad --tokenizer-json bad_unk.json 'unk_token "<unk>" is not in the vocabulary'
bad --tokenizer-json bad_dropout.json 'dropout'
bad --tokenizer-json bad_normalizer.json 'normalizer "Precompiled" is not supported'
bad --tokenizer-json bad_pre_tokenizer.json 'pre_tokenizer "ByteLevel" is not supported'
bad --tokenizer-json bad_template.json 'names "[SEP]", which is not in its special_tokens'
bad --tokenizer-json bad_added.json 'added token 6 has no valid "id"'
bad --vocab bad_dnabert_k2_vocab.txt 'holds all 2-mers with [CLS]-style special tokens, but DNABERT v1 uses k = 3 to 6'
bad --vocab bad_dnabert_letters_vocab.txt 'holds all 3-mers with [CLS]-style special tokens (DNABERT v1) and also single letters'
bad --vocab bad_dnabert_missing_vocab.txt 'DNABERT vocab.txt lacks the 3-mer GGG'
bad --vocab bad_dnabert_no_sep_vocab.txt 'DNABERT vocab.txt lacks the special token [SEP]'
bad --vocab bad_words_vocab.txt 'other tokens such as "hello"'
bad --vocab bad_incomplete_kmers_vocab.txt 'not a complete 4^k set'
# one extra multi-letter line used to change k silently (every base then a single letter)
{ cat $F/nt_vocab.txt; echo NN; } > "$OUT/extra_line_vocab.txt"
out=$("$BIN" --vocab "$OUT/extra_line_vocab.txt" < /dev/null || true)
case "$out" in
  "CREATE_ERROR "*'all 6-mers and also "NN" on line 4108'*) echo "ok   refuses a k-mer vocab.txt with an extra multi-letter line, naming it";;
  *) echo "FAIL extra multi-letter line: got [$out]"; fail=1;;
esac
out=$("$BIN" < /dev/null || true)
case "$out" in *"neither tokenizer.json nor vocab.txt"*) echo "ok   no tokenizer files";; *) echo "FAIL empty checkpoint: $out"; fail=1;; esac

# 5. Long input stays fast (rank hash + heap, not rescans): 1 Mb through BPE, NT and DNABERT.
$PY -c "import random; r=random.Random(7); print(''.join(r.choice('ACGT') for _ in range(1000000)))" > "$OUT/long.txt"
for args in "--tokenizer-json $F/dnabert2_tokenizer.json" "--vocab $F/nt_vocab.txt" "--vocab $F/dnabert6_vocab.txt"; do
  t0=$(date +%s%N)
  n=$("$BIN" $args < "$OUT/long.txt" | wc -w)
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "ok   1 Mb -> $n tokens in ${ms} ms (ASan build) with $args"
  [ "$ms" -lt 20000 ] || { echo "FAIL too slow"; fail=1; }
done
exit $fail
