#!/usr/bin/env bash
# Sequence-to-function parity with PyTorch: regenerate the random-weight Enformer checkpoints
# (enformer-pytorch names, their _trunk.* aliases, use_tf_gamma, gReLU's EnformerModel) and
# their goldens from test/reference/ into build/generated/predictor (make fixtures), check the committed
# goldens (test/fixtures/predictor) still match them (1e-5), then run varformer's trunk (plain
# C, outside the server) on every case of every model each golden lists: 1e-4 relative.
set -euo pipefail
cd "$VF_ROOT"
out=$VF_GENERATED/predictor
make -s fixtures-predictor
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
make -s build/unit/predictor_parity
for g in test/fixtures/predictor/enformer*.json; do
  for m in $("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["models"]))' "$g"); do
    build/unit/predictor_parity "$out/models/$m" "$g" 1e-4
  done
done
