#!/usr/bin/python3
"""What the fused and embedding models read, computed once per distinct input for every person
and gene of the demo cohort (issue 11 point 2c/2d): the trunk's bin-averaged output on the
diploid one-hot, and the language model's pooled embedding of each haplotype.

    /usr/bin/python3 tools/demo_features.py DATADIR ENFORMER_DIR ENCODER_DIR OUT.npz
        [--window BP] [--encoder-window BP] [--encoder-chunk BP] [--threads T] [--part K/N]
    /usr/bin/python3 tools/demo_features.py merge OUT.npz PART.npz...

ENFORMER_DIR is train_enformer_demo.py's output; its trunk, renamed to gReLU's EnformerTrunk
(demo_models.trunk_pairs), is the fused model's trunk, which fine-tuning leaves frozen.
ENCODER_DIR is train_lm_demo.py's encoder. Both are read back from their files (F16 weights
widened to F32, exactly what varformer computes with).

Per gene g and person i (all people, all genes):
  trunk[g][i]   (2 * channels,) = mean over bins of trunk(x), x = (onehot(h1) + onehot(h2)) / 2
                over `window` bases centred on the TSS in each haplotype's own coordinates. The
                fused model's head is a 1x1 convolution then the mean over bins, so head(mean)
                = mean(head): the head can be trained on these vectors alone.
  emb[g][i]     (2, hidden) = the pooled embeddings of haplotypes 1 and 2 over `encoder_window`
                bases, cut into `encoder_chunk`-base pieces whose embeddings are averaged
                (DESIGN.md's encoder_chunk rule).
Distinct haplotype sequences and distinct unordered pairs are computed once (people share
founder haplotypes), as varformer's cache does.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_cohort  # noqa: E402
import demo_models as dm  # noqa: E402

T0 = time.time()


def log(msg):
    dm.log("demo_features", T0, msg)


def grelu_trunk_from_enformer(enformer_dir):
    """The enformer-pytorch checkpoint's trunk as a gReLU EnformerTrunk (same weights)."""
    with open(os.path.join(enformer_dir, "config.json")) as f:
        cfg = json.load(f)
    ep = dm.P.EnformerPT(cfg)
    ep.load_state_dict(dm.read_safetensors(os.path.join(enformer_dir, "model.safetensors")), strict=False)
    trunk_cfg = trunk_config(cfg)
    ukb = dm.P.UKBioFormer(dict(trunk_cfg, n_tasks=1, final_pool_func="avg", ext_emb_len=2))
    es, gs = ep.state_dict(), ukb.state_dict()
    for a, b in dm.trunk_pairs(ep, ukb):
        gs[b] = es[a]
    ukb.load_state_dict(gs)
    return ep, ukb, trunk_cfg


def trunk_config(enformer_cfg):
    """gReLU argument names of the same trunk (gReLU's divisible_by is fixed at 128)."""
    if enformer_cfg["dim_divisible_by"] != 128:
        raise ValueError("gReLU's conv tower rounds channels to 128: dim_divisible_by must be 128")
    return {"n_conv": enformer_cfg["num_downsamples"], "channels": enformer_cfg["dim"],
            "n_transformers": enformer_cfg["depth"], "n_heads": enformer_cfg["heads"],
            "key_len": enformer_cfg["attn_dim_key"], "crop_len": 0}


def distinct_windows(cohort, gene, people, width):
    """-> (list of distinct sequences, (len(people), 2) index into it)."""
    seqs, index, by_key = [], np.zeros((len(people), 2), dtype=np.int64), {}
    by_seq = {}
    for row, i in enumerate(people):
        for h in (1, 2):
            key = cohort.window_key(gene, i, h, width)
            if key not in by_key:
                s = cohort.window(gene, i, h, width, key=key)
                if s not in by_seq:
                    by_seq[s] = len(seqs)
                    seqs.append(s)
                by_key[key] = by_seq[s]
            index[row, h - 1] = by_key[key]
    return seqs, index


def trunk_means(trunk, seqs, pairs, batch=8):
    """Mean over bins of trunk((onehot(a) + onehot(b)) / 2) for each distinct (a, b) pair."""
    onehots = [dm.one_hot(s) for s in seqs]
    out = []
    with torch.no_grad():
        for k in range(0, len(pairs), batch):
            x = torch.stack([(onehots[a] + onehots[b]) / 2 for a, b in pairs[k:k + batch]])
            out.append(trunk(x.transpose(1, 2)).mean(dim=2))
    return torch.cat(out).numpy()


def merge(out, parts):
    """One features file from --part files: genes in the cohort's order, the rest equal."""
    zs = [np.load(p) for p in parts]
    metas = [json.loads(str(z["meta"])) for z in zs]
    for m in metas[1:]:
        for k in ("samples", "window", "encoder_window", "encoder_chunk", "trunk_config",
                  "encoder_sha256", "enformer_sha256"):
            if m[k] != metas[0][k]:
                sys.exit("%s differs between the parts" % k)
    where = {g: (i, j) for i, m in enumerate(metas) for j, g in enumerate(m["genes"])}
    genes = [g for g in metas[0]["order"] if g in where]
    trunk = np.stack([zs[where[g][0]]["trunk"][where[g][1]] for g in genes])
    emb = np.stack([zs[where[g][0]]["emb"][where[g][1]] for g in genes])
    meta = dict(metas[0], genes=genes, parts=len(parts))
    for k in ("pieces_computed", "pieces_reused", "seconds", "cpu_seconds"):
        meta[k] = sum(m[k] for m in metas)
    meta["stats"] = {k: sum(m["stats"][k] for m in metas) for k in metas[0]["stats"]}
    np.savez(out, trunk=trunk, emb=emb, meta=json.dumps(meta))
    log("merged %d parts into %s (%d genes)" % (len(parts), out, len(genes)))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "merge":
        return merge(sys.argv[2], sys.argv[3:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("enformer_dir")
    ap.add_argument("encoder_dir")
    ap.add_argument("out")
    ap.add_argument("--window", type=int, default=2056)
    ap.add_argument("--encoder-window", type=int, default=16384)
    ap.add_argument("--encoder-chunk", type=int, default=1024)
    ap.add_argument("--genes", default=None, help="comma-separated subset (default: all)")
    ap.add_argument("--part", default=None, help="K/N: only the genes whose index modulo N is K "
                    "(N processes side by side; then `demo_features.py merge OUT PART...`)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    cohort = demo_cohort.Cohort(a.datadir)
    _, ukb, trunk_cfg = grelu_trunk_from_enformer(a.enformer_dir)
    trunk = ukb.embedding.eval()
    enc_cfg, enc = dm.load_encoder(a.encoder_dir)
    pooled = dm.PooledEncoder(enc, a.encoder_chunk)
    genes = a.genes.split(",") if a.genes else cohort.gene_ids()
    if a.part:
        k, n = map(int, a.part.split("/"))
        genes = [g for j, g in enumerate(genes) if j % n == k]
    people = list(range(len(cohort.samples)))
    trunk_out = np.zeros((len(genes), len(people), 2 * trunk_cfg["channels"]), dtype=np.float32)
    emb_out = np.zeros((len(genes), len(people), 2, enc_cfg["hidden_size"]), dtype=np.float32)
    stats = {"trunk_pairs": 0, "haplotypes": 0}
    for gi, g in enumerate(genes):
        seqs, idx = distinct_windows(cohort, g, people, a.window)
        pairs = sorted({(min(p), max(p)) for p in map(tuple, idx)})
        where = {p: k for k, p in enumerate(pairs)}
        means = trunk_means(trunk, seqs, pairs)
        trunk_out[gi] = means[[where[(min(p), max(p))] for p in map(tuple, idx)]]
        eseqs, eidx = distinct_windows(cohort, g, people, a.encoder_window)
        e = pooled.embed_many(eseqs).numpy()
        emb_out[gi] = e[eidx]
        stats["trunk_pairs"] += len(pairs)
        stats["haplotypes"] += len(eseqs)
        if (gi + 1) % 10 == 0 or gi + 1 == len(genes):
            log("%d/%d genes: %d distinct diploid trunk windows, %d distinct encoder windows, "
                "encoder pieces %d computed / %d reused"
                % (gi + 1, len(genes), stats["trunk_pairs"], stats["haplotypes"], pooled.misses, pooled.hits))
    meta = {"genes": genes, "samples": cohort.sample_names, "window": a.window,
            "encoder_window": a.encoder_window, "encoder_chunk": a.encoder_chunk,
            "trunk_config": trunk_cfg, "encoder_sha256": dm.sha256_dir(a.encoder_dir),
            "enformer_sha256": dm.sha256_dir(a.enformer_dir), "stats": stats,
            "pieces_computed": pooled.misses, "pieces_reused": pooled.hits, "seconds": time.time() - T0,
            "cpu_seconds": time.process_time(), "order": cohort.gene_ids()}
    np.savez(a.out, trunk=trunk_out, emb=emb_out, meta=json.dumps(meta))
    log("wrote %s" % a.out)


if __name__ == "__main__":
    main()
