#!/bin/sh
# Trains every model of `make demo` on the simulated cohort, seeded, end to end (issue 11
# point 2; the body of `make train-demo`).
#
#   tools/train_demo.sh DATADIR MODELSDIR [--evaluate]
#
# DATADIR: tools/simulate_cohort.py's output. MODELSDIR receives
#   lm/              the variant-aware language model (NT-v2-style ESM encoder + MLM head)
#   enformer/        the reference-only Enformer-style trunk (model_type enformer)
#   fused/           the fused UKBioFormer model (model_type ukbioformer, encoder/ inside)
#   embedding_mlp/   the embeddings-only model (model_type embedding_mlp, encoder/ inside)
#   enet.db          PredictDB elastic-net models (tools/train_enet.py), enet_summary.tsv
#   *.training.json  each model's training log (settings, losses, model selection)
# Intermediate features (about 200 MB) go to MODELSDIR.work/, which can be deleted.
# --evaluate adds PyTorch-side predictions for every person and gene
# (MODELSDIR.work/predictions.tsv) and the accuracy table (MODELSDIR/evaluation.tsv, printed).
#
# At most 2 processes run at once, each PyTorch process with one thread (two single-threaded
# trainings side by side use 2 cores better than one with 2 threads at these small shapes).
# VF_TRAIN_FROM=N restarts at phase N (1-3) with the earlier phases' outputs in place.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DATADIR MODELSDIR [--evaluate]" >&2; exit 2; }
data=$1
models=$2
evaluate=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
from=${VF_TRAIN_FROM:-1}
work=$models.work
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$models" "$work"
start=$(date +%s)
phase() { echo "== train_demo $(( $(date +%s) - start ))s: $*" >&2; }

# bg runs its arguments in the background; join waits for all of them and fails if one failed.
pids=""
bg() { "$@" & pids="$pids $!"; }
join() {
    rc=0
    for p in $pids; do wait "$p" || rc=1; done
    pids=""
    [ $rc -eq 0 ] || { echo "train_demo: a step failed" >&2; exit 1; }
}

if [ "$from" -le 1 ]; then
    phase "1/3 language model and reference-only trunk, then elastic net (two at a time)"
    bg "$py" "$here/train_lm_demo.py" "$data" "$models/lm"
    bg "$py" "$here/train_enformer_demo.py" "$data" "$models/enformer"
    join
    "$py" "$here/train_enet.py" "$data" "$models/enet.db" --jobs 2
fi

if [ "$from" -le 2 ]; then
    phase "2/3 trunk outputs and haplotype embeddings of every person and gene (two halves)"
    for k in 0 1; do
        bg "$py" "$here/demo_features.py" "$data" "$models/enformer" "$models/lm" "$work/features.$k.npz" \
            --window 2056 --encoder-window 32768 --encoder-chunk 1024 --part $k/2
    done
    join
    "$py" "$here/demo_features.py" merge "$work/features.npz" "$work/features.0.npz" "$work/features.1.npz"
    rm -f "$work/features.0.npz" "$work/features.1.npz"
fi

phase "3/3 fused model and embeddings-only model (side by side)"
bg "$py" "$here/train_fused_demo.py" "$data" "$work/features.npz" "$models/enformer" "$models/lm" "$models/fused"
bg "$py" "$here/train_embedding_mlp_demo.py" "$data" "$work/features.npz" "$models/lm" "$models/embedding_mlp"
join

phase "models written"
du -sh "$models"/lm "$models"/enformer "$models"/fused "$models"/embedding_mlp "$models"/enet.db >&2
du -sch "$models"/lm "$models"/enformer "$models"/fused "$models"/embedding_mlp "$models"/enet.db | tail -1 >&2
if [ "$evaluate" = "--evaluate" ]; then
    phase "PyTorch-side predictions and evaluation"
    "$py" "$here/predict_demo.py" "$data" "$models" "$work/features.npz" "$work/predictions.tsv"
    "$py" "$here/evaluate_demo.py" "$data" "$work/predictions.tsv" --tsv "$models/evaluation.tsv" \
        --per-gene "$work/per_gene_r.tsv"
fi
phase "done; CPU time of this shell and its children (user system):"
times >&2
