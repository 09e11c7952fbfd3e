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

# inputs of sql/41_torch_models.sql (make fixtures): encoders saved both ways give the same image
make -s fixtures-torch_models
models="$VF_GENERATED/torch_models"
for m in nt_v2 grover; do
  build/unit/torch_checkpoint_test dump "$models/${m}_torch" | cmp - <(build/unit/torch_checkpoint_test dump "$models/${m}_safetensors")
  build/unit/torch_checkpoint_test dump "$models/${m}_legacy" | cmp - <(build/unit/torch_checkpoint_test dump "$models/${m}_safetensors")
done
echo "torch.save and safetensors encoders give identical images"
