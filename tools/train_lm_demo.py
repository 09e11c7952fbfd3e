#!/usr/bin/python3
"""Pre-trains the demo's variant-aware language model (issue 11 point 2b, UKBioBERT's recipe
at toy scale): masked-token training on reference windows edited with the population's
variants, SNVs and indels really applied, each window taken from one haplotype of one
training individual of the training population.

    /usr/bin/python3 tools/train_lm_demo.py DATADIR OUTDIR [--steps N] [--batch B] [--window BP]
        [--hidden H] [--layers L] [--seed S] [--threads T]

Writes OUTDIR = a Nucleotide-Transformer-v2-style encoder directory that varformer's
load_model reads by itself: config.json (model_type esm, rotary positions, SwiGLU, no FFN
biases), model.safetensors (EsmForMaskedLM.state_dict(): esm.* and the lm_head.* the encoder
ignores; F16), vocab.txt (NT's 4107 tokens); plus OUTDIR.training.json (losses, settings).

Why NT 6-mer tokens and not a DNABERT-2 BPE vocabulary: varformer loads both (esm with rotary
positions; MosaicBERT with ALiBi and tokenizer.json), but the fused and embedding models embed
a ~16 kb window of every distinct haplotype of every gene, about 10^5 pieces; 6-mer tokens
are computed in microseconds and cannot drift from the C tokenizer, whereas the repository's
BPE trainer (make_tokenizer_fixtures.learn_merges: one full pass over the corpus per merge)
and its reference encoder (tokenizers_ref: GPT-2-style pair loop, quadratic in a word, and a
DNA window is one word) are far too slow for that within the 30-minute budget on 2 cores.

Masking is NT's / BERT's: 15% of the non-special tokens are chosen; of those 80% become
<mask>, 10% a random 6-mer, 10% stay; the loss is cross-entropy on the chosen ones.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_cohort  # noqa: E402
import demo_models as dm  # noqa: E402

T0 = time.time()


def log(msg):
    dm.log("train_lm", T0, msg)


def sample_windows(cohort, rng, samples, n, width):
    contigs = sorted(cohort.reference)
    lengths = [len(cohort.reference[c]) for c in contigs]
    out = []
    while len(out) < n:
        chrom = rng.choices(contigs, weights=lengths)[0]
        centre = rng.randrange(width + 2000, len(cohort.reference[chrom]) - width - 2000)
        seq = cohort.centred(chrom, centre, width, rng.choice(samples), rng.choice((1, 2)))
        if seq.upper().count("N") <= width // 10:
            out.append(seq)
    return out


def mask_batch(ids, rng_t):
    ids = ids.clone()
    labels = torch.full_like(ids, -100)
    maskable = ids >= dm.FIRST_KMER
    chosen = (torch.rand(ids.shape, generator=rng_t) < 0.15) & maskable
    labels[chosen] = ids[chosen]
    r = torch.rand(ids.shape, generator=rng_t)
    ids[chosen & (r < 0.8)] = dm.MASK_ID
    rnd = chosen & (r >= 0.8) & (r < 0.9)
    ids[rnd] = dm.FIRST_KMER + torch.randint(0, dm.N_KMERS, (int(rnd.sum()),), generator=rng_t)
    return ids, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datadir")
    ap.add_argument("outdir")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--window", type=int, default=1024, help="bases per training window (= encoder_chunk)")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--population", default="pop1")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dm.seed_all(a.seed)
    rng = random.Random(a.seed)
    rng_t = torch.Generator().manual_seed(a.seed)

    cohort = demo_cohort.Cohort(a.datadir)
    samples = cohort.sample_indices(a.population, "train")
    log("%d training haplotypes of %s; %d steps of %d windows of %d bases"
        % (2 * len(samples), a.population, a.steps, a.batch, a.window))
    config = dm.lm_config(a.hidden, a.layers, a.heads, 2 * a.hidden)
    model = dm.encoders.build(config)
    dm.init_lm(model, a.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    warm = max(1, a.steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / a.steps))
    history = []
    run_loss = run_acc = 0.0
    model.train()
    for step in range(a.steps):
        seqs = sample_windows(cohort, rng, samples, a.batch, a.window)
        toks = [dm.nt_tokenize(s) for s in seqs]
        n = min(len(t) for t in toks)
        ids = torch.tensor([t[:n] for t in toks])
        inp, labels = mask_batch(ids, rng_t)
        sel = labels >= 0
        logits = dm.mlm_logits(model, inp, sel)
        loss = torch.nn.functional.cross_entropy(logits, labels[sel])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        acc = (logits.argmax(-1) == labels[sel]).float().mean().item()
        run_loss += loss.item()
        run_acc += acc
        if (step + 1) % 50 == 0 or step + 1 == a.steps:
            k = 50 if (step + 1) % 50 == 0 else (step + 1) % 50
            history.append({"step": step + 1, "loss": run_loss / k, "masked_accuracy": run_acc / k})
            log("step %d  masked-token loss %.3f (uniform over 6-mers: %.3f)  accuracy %.3f"
                % (step + 1, run_loss / k, np.log(dm.N_KMERS), run_acc / k))
            run_loss = run_acc = 0.0
    model.eval()
    dm.write_encoder(a.outdir, config, model)
    with open(a.outdir.rstrip("/") + ".training.json", "w") as f:
        json.dump({"args": vars(a), "history": history, "seconds": time.time() - T0,
                   "parameters": sum(p.numel() for p in model.parameters())}, f, indent=1)
    log("wrote %s (%d parameters)" % (a.outdir, sum(p.numel() for p in model.parameters())))


if __name__ == "__main__":
    main()
