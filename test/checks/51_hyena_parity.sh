#!/usr/bin/env bash
# HyenaDNA parity with PyTorch: the FFT unit test (against a direct DFT), then the
# random-weight checkpoints and goldens `make fixtures` builds (build/generated/hyena, from
# test/reference/make_hyena_fixtures.py), each as model.safetensors and as pytorch_model.bin:
# token ids equal, hidden states within 1e-4 relative, over-long input refused.
set -euo pipefail
cd "$VF_ROOT"
out=build/generated/hyena
make -s fixtures-hyena build/unit/hyena_parity build/unit/fft_test
build/unit/fft_test
n=0
for g in "$out"/goldens/*.json; do
  m=$(basename "$g" .json)
  for kind in safetensors torch; do
    build/unit/hyena_parity "$out/models/${m}_$kind" "$g" 1e-4
    n=$((n + 1))
  done
done
[ "$n" -ge 4 ] || { echo "expected 2 HyenaDNA models x 2 formats in $out, found $n"; exit 1; }
