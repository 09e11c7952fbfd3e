#!/usr/bin/env bash
# Sequence-to-function parity with PyTorch: regenerate the random-weight Enformer checkpoints
# (enformer-pytorch names, their _trunk.* aliases, use_tf_gamma, gReLU's EnformerModel) and
# their goldens from test/reference/ into build/generated/predictor, check the committed
# goldens (test/fixtures/predictor) still match them (1e-5), then run varformer's trunk (plain
# C, outside the server) on every case of every model each golden lists: 1e-4 relative.
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/predictor
rm -rf "$out"; mkdir -p "$out"
"$PYTHON" test/reference/make_predictor_fixtures.py "$out/models" "$out/goldens"
chmod -R a+rX "$out"
"$PYTHON" - test/fixtures/predictor "$out/goldens" <<'PY'
import json, os, sys
sys.path.insert(0, "test/reference")
import check_predictors as C
committed, fresh = sys.argv[1], sys.argv[2]
names = sorted(f for f in os.listdir(committed) if f.endswith(".json"))
bad = names != sorted(f for f in os.listdir(fresh) if f.endswith(".json"))
for name in names:
    errs = []
    C.close(json.load(open(os.path.join(committed, name))), json.load(open(os.path.join(fresh, name))),
            1e-5, name[:-5], errs)
    print("%-28s %s" % (name, "regenerated within 1e-5" if not errs else "DIFFERS: " + "; ".join(errs[:3])))
    bad |= bool(errs)
sys.exit(1 if bad else 0)
PY
# Checkpoints load_model must refuse, naming the tensor: one with a tensor missing (under
# both of its enformer-pytorch names), one with a misshapen tensor, a gReLU one missing a bias.
"$PYTHON" - "$out/models" <<'PY'
import json, os, shutil, struct, sys
models = sys.argv[1]

def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v, data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}

def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        meta, blob = tensors[name]
        header[name] = {"dtype": meta["dtype"], "shape": meta["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

def derive(src, dst, edit):
    os.makedirs(os.path.join(models, dst), exist_ok=True)
    shutil.copy(os.path.join(models, src, "config.json"), os.path.join(models, dst, "config.json"))
    t = read(os.path.join(models, src, "model.safetensors"))
    edit(t)
    write(os.path.join(models, dst, "model.safetensors"), t)

def drop(*names):
    return lambda t: [t.pop(n) for n in names]

def reshape(name, shape):
    def edit(t):
        meta, blob = t[name]
        t[name] = (dict(meta, shape=shape), blob)
    return edit

derive("enformer_pt", "broken_enformer_missing",
       drop("transformer.1.0.fn.1.to_rel_k.weight", "_trunk.4.1.0.fn.1.to_rel_k.weight"))
derive("enformer_trunk_alias", "broken_enformer_misshapen",
       reshape("_trunk.2.1.0.2.weight", [24, 32, 5]))   # [out, in, k] with out and in swapped
derive("enformer_grelu", "broken_grelu_missing", drop("embedding.pointwise_conv.conv.bias"))
PY
make -s build/unit/predictor_parity
for g in test/fixtures/predictor/enformer*.json; do
  for m in $("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["models"]))' "$g"); do
    build/unit/predictor_parity "$out/models/$m" "$g" 1e-4
  done
done
