#!/usr/bin/env bash
# HyenaDNA benchmark (make bench): one forward pass over a long input in varformer's plain-C
# engine against the PyTorch reference (test/reference/hyena.py, written from the authors'
# sources) on the same weights and token ids, one thread each (OpenBLAS 1 thread;
# torch.set_num_threads(1), eval, no_grad). The model has the shape of LongSafari's
# hyenadna-medium-160k-seqlen-hf (d_model 256, 8 layers, d_inner 1024, filter_order 64,
# emb_dim 5, max_seq_len 160,002) with random weights and the real tensor names; the input is
# 160,001 bases (+ [SEP] = max_seq_len tokens). Reports seconds, the peak resident memory of
# each process during the pass (reset after loading), and the relative difference of the two
# last hidden states. Then, when FFTW 3 is installed (libfftw3-dev), varformer's own FFT
# against FFTW's on the transform sizes of the long convolution.
# Goal: at least as fast as PyTorch. VF_HYENA_BASES overrides the input length.
set -euo pipefail
cd "$VF_ROOT"
dir=$VF_GENERATED/bench/hyena
bases=${VF_HYENA_BASES:-160001}
mkdir -p "$dir"
make -s build/bench/70_hyena_bench

"$PYTHON" - "$dir" "$bases" <<'PY'
import json, os, random, sys
import torch
sys.path.insert(0, "test/reference")
import hyena
import make_hyena_fixtures as F
d, bases = sys.argv[1], int(sys.argv[2])
model_dir = os.path.join(d, "medium_160k")
if not os.path.exists(os.path.join(model_dir, "pytorch_model.bin")):
    cfg = hyena.default_config(d_model=256, n_layer=8, d_inner=1024, filter_order=64, emb_dim=5,
                               max_seq_len=160002, activation_freq=10)
    torch.manual_seed(0)
    m = hyena.HyenaDNAForCausalLM(cfg).eval()
    F.randomize(m, 5)
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    state = m.state_dict()
    F.write_safetensors(os.path.join(model_dir, "model.safetensors"),
                        {k: v for k, v in state.items() if not k.endswith((".3.freq", ".5.freq"))})
    torch.save(state, os.path.join(model_dir, "pytorch_model.bin"))
rng = random.Random(11)
with open(os.path.join(d, "seq.txt"), "w") as f:
    f.write("".join(rng.choice("ACGTACGTACGTN") for _ in range(bases)))
PY
chmod -R a+rX "$dir"

c_out=$(build/bench/70_hyena_bench "$dir/medium_160k" "$dir/seq.txt" "$dir/c_hidden.f32")
echo "varformer: $c_out"

"$PYTHON" - "$dir" <<'PY'
import os, sys, time
import torch
sys.path.insert(0, "test/reference")
import hyena
d = sys.argv[1]
torch.set_num_threads(1)
import json
cfg = json.load(open(os.path.join(d, "medium_160k", "config.json")))
m = hyena.HyenaDNAForCausalLM(cfg).eval()
m.load_state_dict(torch.load(os.path.join(d, "medium_160k", "pytorch_model.bin")))
ids = torch.tensor([hyena.tokenize(open(os.path.join(d, "seq.txt")).read().strip())])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
with torch.no_grad():
    t0 = time.time()
    h = m(ids)[0]
    dt = time.time() - t0
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
ours = torch.from_file(os.path.join(d, "c_hidden.f32"), size=h.numel(), dtype=torch.float32).view_as(h)
rel = ((ours - h).abs().max() / h.abs().max()).item()
print(f"pytorch: torch_seconds {dt:.3f} tokens {ids.shape[1]} peak_rss_mb {int(peak) / 1024:.0f}")
print(f"relative difference of the last hidden states: {rel:.2e}")
print(f"TORCH_SECONDS {dt:.3f}")
PY

# varformer's FFT against FFTW 3 (single precision, FFTW_MEASURE) where libfftw3-dev is
# installed; FFTW is no dependency of varformer itself, only of this comparison.
if [ -f /usr/include/fftw3.h ]; then
  ${CC:-cc} -std=gnu11 -O2 -ftree-vectorize -Wall -Wextra -Iinclude -o build/bench/fft_vs_fftw \
    test/bench/fft_vs_fftw.c build/libvarformer.a -lfftw3f -lm
  echo "real FFT, forward + inverse per transform (n = 2^19 is the 160k model's, 2^21 the 1 Mb model's):"
  build/bench/fft_vs_fftw 12 21
else
  echo "fftw3.h not found (apt-get install libfftw3-dev): FFT comparison skipped"
fi
