#!/usr/bin/env bash
# Embeddings-only model (embedding_mlp) parity with PyTorch, outside the server: the
# random-weight checkpoints (one output, whole 256-base window; two outputs, 1100 bases in
# 256-base pieces) and their goldens from test/reference/make_predictor_fixtures.py
# (regenerated into build/generated/predictor by make fixtures; committed goldens compared by
# 55_predictor_parity.sh), then varformer's model on every case (haplotypes swapped, an
# indel, N runs and lower case among them): pooled embeddings and outputs within 1e-4
# relative. Then the load-time refusals, each naming its problem.
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/predictor
make -s fixtures-predictor
make -s build/unit/embedding_mlp_parity
for g in test/fixtures/predictor/embedding_mlp*.json; do
  for m in $("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["models"]))' "$g"); do
    build/unit/embedding_mlp_parity "$out/models/$m" "$g" 1e-4
  done
done

bad=$VF_GENERATED/embedding_mlp_bad
rm -rf "$bad"; mkdir -p "$bad"
"$PYTHON" - "$out/models/embedding_mlp" "$bad" <<'PY'
import json, os, shutil, struct, sys
import torch
sys.path.insert(0, "test/reference")
import make_encoder_fixtures as mef
src, bad = sys.argv[1], sys.argv[2]
def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])
    return out
base = read_st(os.path.join(src, "model.safetensors"))
def variant(name, tensors=None, config=None):
    d = os.path.join(bad, name)
    shutil.copytree(src, d)
    if tensors is not None:
        mef.write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    if config is not None:
        c = json.load(open(os.path.join(d, "config.json")))
        c.update(config)
        json.dump(c, open(os.path.join(d, "config.json"), "w"))
w0 = base["mlp.0.weight"]
variant("missing_mlp2_bias", {k: v for k, v in base.items() if k != "mlp.2.bias"})
variant("misshapen_mlp0", dict(base, **{"mlp.0.weight": w0[:, :-2]}))
variant("misshapen_mlp2", dict(base, **{"mlp.2.weight": base["mlp.2.weight"][:, :-1]}))
variant("ext_emb_len", dict(base, **{"mlp.0.weight": torch.cat([w0, w0[:, :4]], 1)}), {"ext_emb_len": w0.shape[1] + 4})
variant("hidden", config={"hidden": w0.shape[0] + 1})
variant("pooling", config={"pooling": "cls"})
variant("no_encoder_window", config={"encoder_window": None})
PY
expect() {  # dir, text the refusal must contain
  msg=$(build/unit/embedding_mlp_parity --refuse "$bad/$1")
  echo "$msg"
  case "$msg" in *"$2"*) ;; *) echo "FAIL: $1 refused without naming $2"; exit 1;; esac
}
expect missing_mlp2_bias 'mlp.2.bias'
expect misshapen_mlp0 'mlp.0.weight'
expect misshapen_mlp2 'mlp.2.weight'
expect ext_emb_len 'ext_emb_len 100 is not twice the encoder'
expect hidden 'hidden 33'
expect pooling 'pooling "cls"'
expect no_encoder_window 'encoder_window'
