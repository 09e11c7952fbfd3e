#!/usr/bin/env bash
# PyTorch checkpoints (torch.save's zip format) read by the plain-C reader, outside the server
# (ASan/UBSan): every tensor of every file written by the real torch.save matches, byte for
# byte as F32, what torch.load reports; hostile and broken files are refused with the message
# naming the problem. Inputs and goldens: test/reference/make_torch_checkpoints.py.
set -euo pipefail
cd "$VF_ROOT"
out="$VF_GENERATED/torch"
rm -rf "$out"
"$PYTHON" test/reference/make_torch_checkpoints.py "$out"
make -s build/unit/torch_checkpoint_test
build/unit/torch_checkpoint_test
n=0
for f in "$out"/good/*.pt; do
  g="${f%.pt}.golden"
  # whole-file reads, and 7-byte reads that split every F16/BF16/F64 element and every header
  build/unit/torch_checkpoint_test dump "$f" | cmp - "$g"
  build/unit/torch_checkpoint_test dump "$f" 7 | cmp - "$g"
  n=$((n + 1))
done
echo "$n torch.save checkpoints match torch.load byte for byte"
build/unit/torch_checkpoint_test tied "$out/good/shared.pt" emb.weight lm_head.weight
build/unit/torch_checkpoint_test tied "$out/good/hf_state_dict.pt" word_embeddings.weight decoder.weight
n=0
for f in "$out"/bad/*.pt; do
  build/unit/torch_checkpoint_test refuse "$f" "$(cat "${f%.pt}.expect")" > /dev/null
  n=$((n + 1))
done
echo "$n hostile or broken checkpoints refused with the expected message"

# inputs of sql/41_torch_models.sql: encoders saved both ways must give the same image
models="$VF_GENERATED/torch_models"
rm -rf "$models"
"$PYTHON" test/reference/make_torch_models.py "$models"
for m in nt_v2 grover; do
  build/unit/torch_checkpoint_test dump "$models/${m}_torch" | cmp - <(build/unit/torch_checkpoint_test dump "$models/${m}_safetensors")
  build/unit/torch_checkpoint_test dump "$models/${m}_legacy" | cmp - <(build/unit/torch_checkpoint_test dump "$models/${m}_safetensors")
  # a directory's digest: sha256sum over its files, piped to sha256sum
  ( cd "$models/${m}_torch" && sha256sum config.json pytorch_model.bin $(ls tokenizer.json vocab.txt 2>/dev/null) | sha256sum | cut -d' ' -f1 ) \
    > "$models/${m}_torch.sha256"
done
echo "torch.save and safetensors encoders give identical images"
chmod -R a+rX "$out" "$models"
[ "$(id -u)" -eq 0 ] && chown -R varformer_test "$out" "$models"
true
