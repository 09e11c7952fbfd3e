#!/usr/bin/env bash
# Fused model (ukbioformer) parity with PyTorch, outside the server: the random-weight
# UKBioFormer checkpoints (plain, Lightning "model." prefix, chunked encoder window) and their
# goldens from test/reference/make_predictor_fixtures.py (regenerated into
# build/generated/predictor by make fixtures; committed goldens compared by 55_predictor_parity.sh),
# then varformer's fused predictor on every case: pooled embeddings, trunk, MLP, beta and
# output within 1e-4 relative. Then the load-time refusals, each naming its problem: a
# missing tensor, a misshapen one, ext_emb_len not twice the encoder's hidden size.
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/predictor
make -s fixtures-predictor
make -s build/unit/fused_parity
for g in test/fixtures/predictor/ukbioformer*.json; do
  for m in $("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["models"]))' "$g"); do
    build/unit/fused_parity "$out/models/$m" "$g" 1e-4
  done
done

bad=$VF_GENERATED/fused_bad
rm -rf "$bad"; mkdir -p "$bad"
"$PYTHON" - "$out/models/ukbioformer" "$bad" <<'PY'
import json, os, shutil, sys
import torch
sys.path.insert(0, "test/reference")
import make_encoder_fixtures as mef
src, bad = sys.argv[1], sys.argv[2]
def read_st(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__" or v["dtype"] != "F32":
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
variant("missing_mlp2_bias", {k: v for k, v in base.items() if k != "mlp.2.bias"})
variant("missing_trunk_tensor", {k: v for k, v in base.items() if k != "embedding.transformer_tower.blocks.0.mha.to_q.weight"})
variant("misshapen_mlp0", dict(base, **{"mlp.0.weight": base["mlp.0.weight"][:, :-2]}))
variant("misshapen_head", dict(base, **{"head.channel_transform.conv.layer.weight": base["head.channel_transform.conv.layer.weight"][:, :-1]}))
w0 = base["mlp.0.weight"]
variant("ext_emb_len", dict(base, **{"mlp.0.weight": torch.cat([w0, w0[:, :4]], 1)}), {"ext_emb_len": w0.shape[1] + 4})
PY
expect() {  # dir, text the refusal must contain
  msg=$(build/unit/fused_parity --refuse "$bad/$1")
  echo "$msg"
  case "$msg" in *"$2"*) ;; *) echo "FAIL: $1 refused without naming $2"; exit 1;; esac
}
expect missing_mlp2_bias 'mlp.2.bias'
expect missing_trunk_tensor 'embedding.transformer_tower.blocks.0.mha.to_q.weight'
expect misshapen_mlp0 'mlp.0.weight'
expect misshapen_head 'head.channel_transform.conv.layer.weight'
expect ext_emb_len 'ext_emb_len 100 is not twice the encoder'

# SQL-level goldens (sql/56_fused.sql reads test/fixtures/fused): regenerated live from
# bcftools consensus + the PyTorch references by their one command, then compared with the
# committed ones: fixture files identical, values within 1e-6 of each model's prediction scale.
fresh=$VF_GENERATED/fused_sql
rm -rf "$fresh"
"$PYTHON" test/reference/make_fused_sql_goldens.py "$out/models" "$fresh"
for f in ref.fa genes.gtf; do cmp "$fresh/$f" "test/fixtures/fused/$f"; done
cmp <(bgzip -dc "$fresh/people.vcf.gz") <(bgzip -dc test/fixtures/fused/people.vcf.gz)
"$PYTHON" - test/fixtures/fused "$fresh" <<'PY'
import csv, os, sys
committed, fresh = sys.argv[1], sys.argv[2]
scale = {}
for r in csv.DictReader(open(os.path.join(committed, "expected.csv"))):
    scale[r["model"]] = max(scale.get(r["model"], 0), abs(float(r["value"])))
bad = False
for name in ("expected.csv", "effects.csv", "explain.csv"):
    a = list(csv.DictReader(open(os.path.join(committed, name))))
    b = list(csv.DictReader(open(os.path.join(fresh, name))))
    keys = lambda r: tuple(v for k, v in r.items() if k != "value")
    if [keys(r) for r in a] != [keys(r) for r in b]:
        print("%s: rows differ" % name); bad = True; continue
    worst = max(abs(float(x["value"]) - float(y["value"])) / scale[x["model"]] for x, y in zip(a, b))
    print("%-14s %3d rows, max difference %.1e of the prediction scale %s" % (name, len(a), worst, "ok" if worst <= 1e-6 else "FAIL"))
    bad |= worst > 1e-6
sys.exit(1 if bad else 0)
PY
