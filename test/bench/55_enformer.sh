#!/usr/bin/env bash
# Enformer benchmark (make bench): one forward pass of the Enformer trunk in varformer's plain-C
# engine against the PyTorch reference (test/reference/predictors.py EnformerPT, written from
# enformer-pytorch) on the same safetensors bytes and the same sequence, one thread each
# (OpenBLAS 1 thread; torch.set_num_threads(1), eval, no_grad). Random weights with the real
# tensor names (enformer-pytorch's, without the _trunk.* aliases). Sizes:
#   tiny    the parity fixture's config (dim 48, 2 blocks), 1,536 bases
#   medium  dim 768, 4 transformer blocks, 7 downsamplings, 49,152 bases -> 384 positions
#   full    Enformer as published: dim 1536, 11 blocks, 196,608 bases, human 5,313 + mouse
#           1,643 tracks (~250M parameters, 1 GB of float32 weights)
# Reports seconds (first pass, best pass), GFLOP/s of the matrix products, the peak resident
# memory during the passes (weights touched + activations; reset after loading), and the
# relative difference of the two outputs. Goal: at least as fast as PyTorch.
# VF_ENFORMER_SIZES="tiny medium" limits the sizes (default: all three).
set -euo pipefail
cd "$VF_ROOT"
dir=$VF_GENERATED/bench/enformer
mkdir -p "$dir"
make -s build/bench/55_enformer_bench

py() { "$PYTHON" - "$@" <<'PY'
import gc, json, math, os, struct, sys, time
import torch
sys.path.insert(0, "test/reference")
import make_predictor_fixtures as F
import predictors as P

SIZES = {
    "tiny": (F.ENFORMER_PT, 1536, 3),
    "medium": (dict(F.ENFORMER_PT, dim=768, depth=4, heads=8, attn_dim_key=64, num_downsamples=7,
                    dim_divisible_by=128, target_length=256, output_heads={"human": 5313}), 49152, 2),
    "full": (dict(P.ENFORMER_DEFAULTS), 196608, 1),
}

def rss_reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

def rss_peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024

def read_safetensors(path):
    out = {}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        for name, meta in header.items():
            if name == "__metadata__" or meta["dtype"] != "F32":
                continue
            b, e = meta["data_offsets"]
            f.seek(base + b)
            out[name] = torch.frombuffer(bytearray(f.read(e - b)), dtype=torch.float32).reshape(meta["shape"])
    return out

mode, size, d = sys.argv[1], sys.argv[2], sys.argv[3]
config, length, reps = SIZES[size]
torch.set_num_threads(1)
if mode == "write":
    model = P.EnformerPT(config).eval()
    F.randomize(model, 5500)
    sd = {k: v for k, v in model.state_dict().items() if not k.startswith("_trunk.")}
    F.write_model(os.path.dirname(d), os.path.basename(d), dict(config, model_type="enformer"), sd)
    g = torch.Generator().manual_seed(5501)
    with open(os.path.join(d, "seq.txt"), "w") as f:
        f.write(F.random_seq(g, length, lower=(length // 3, length // 10), n_runs=[(length // 2, 50)]) + "\n")
    print("reps %d" % reps)
elif mode == "time":
    model = P.EnformerPT(json.load(open(os.path.join(d, "config.json")))).eval()
    missing, unexpected = model.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors")), strict=False)
    assert not unexpected and all(k.startswith("_trunk.") or k.endswith("num_batches_tracked") for k in missing), missing
    x = P.one_hot(open(os.path.join(d, "seq.txt")).read().strip())[None]
    gc.collect()
    rss_reset()
    times = []
    with torch.no_grad():
        for _ in range(reps):
            t0 = time.perf_counter()
            y = model(x)["human"][0]
            times.append(time.perf_counter() - t0)
    y.numpy().astype("float32").tofile(os.path.join(d, "torch_out.f32"))
    best = min(times[1:]) if len(times) > 1 else times[0]
    print("torch_seconds %.4f %.4f peak_rss_mb %.0f" % (times[0], best, rss_peak_mb()))
else:   # compare
    import numpy as np
    a = np.fromfile(os.path.join(d, "c_out.f32"), dtype=np.float32).astype(np.float64)
    b = np.fromfile(os.path.join(d, "torch_out.f32"), dtype=np.float32).astype(np.float64)
    print("rel_diff %.2e" % (np.abs(a - b).max() / np.abs(b).max() if a.shape == b.shape else float("inf")))
PY
}

for size in ${VF_ENFORMER_SIZES:-tiny medium full}; do
  m=$dir/$size
  if [ ! -f "$m/model.safetensors" ] || [ ! -f "$m/seq.txt" ]; then
    py write "$size" "$m" >/dev/null
  fi
  case $size in tiny) reps=3;; medium) reps=2;; *) reps=1;; esac
  cat "$m/model.safetensors" > /dev/null   # warm page cache for both
  t=$(py time "$size" "$m")
  c=$(build/bench/55_enformer_bench "$m" "$m/seq.txt" "$m/c_out.f32" "$reps")
  r=$(py compare "$size" "$m")
  read -r _ tf tb _ tr <<<"$t"
  read -r _ cf cb _ bases _ rows _ cols _ gf _ cr <<<"$c"
  printf "enformer %-6s %6d bases -> %d x %d: varformer %.4f s (first %.4f, %s GFLOP/s, peak %s MB) | PyTorch %.4f s (first %.4f, peak %s MB) | speed-up %.2fx | %s\n" \
    "$size" "$bases" "$rows" "$cols" "$cb" "$cf" "$gf" "$cr" "$tb" "$tf" "$tr" \
    "$(awk -v a="$tb" -v b="$cb" 'BEGIN { print a / b }')" "$r"
done
