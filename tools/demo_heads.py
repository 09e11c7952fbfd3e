"""Training loop shared by the fused model (train_fused_demo.py) and the embeddings-only model
(train_embedding_mlp_demo.py): both are trained on demo_features.py's vectors, the trunk and
the language model frozen.

Rows: (gene, person) for the training genes and the training individuals of the training
population, each person twice, with the two haplotypes' embeddings in both orders (phase
order carries no meaning in the simulation, so the models are taught to ignore it; the
checkpoint is still not exactly symmetric). Inputs are standardised while training and the
standardisation is folded into the first layer's weights when saving, so the saved model takes
raw trunk means / raw pooled embeddings as varformer computes them.

Loss = squared error of the prediction against expression + squared error of the
within-gene-centred prediction against within-gene-centred expression (each batch is whole
genes), so the cross-individual part of expression, small next to between-gene differences,
is not drowned. Model selection: 20% of the training individuals and 20% of the training
genes are set aside (inner validation, all inside the training split); the step with the best
mean cross-individual Pearson r on the set-aside individuals is kept. The held-out individuals,
the second population and the held-out genes are never seen.
"""
import json
import random

import numpy as np
import torch
from torch import nn

import demo_models as dm


class Heads(nn.Module):
    """t = head(trunk mean) (optional), m = mlp.2(relu(mlp.0([e1, e2]))), beta = sigmoid(raw_beta)."""

    def __init__(self, trunk_dim, emb_dim, hidden, with_trunk):
        super().__init__()
        self.with_trunk = with_trunk
        if with_trunk:
            self.head = nn.Linear(trunk_dim, 1)
            self.raw_beta = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(2 * emb_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, f, e):
        m = self.mlp(e)[:, 0]
        if not self.with_trunk:
            return m
        b = torch.sigmoid(self.raw_beta)
        return b * self.head(f)[:, 0] + (1 - b) * m


def load_features(path):
    z = np.load(path)
    return z["trunk"], z["emb"], json.loads(str(z["meta"]))


def pearson_within(pred, y, groups):
    rs = []
    for g in np.unique(groups):
        s = groups == g
        if np.std(pred[s]) > 0 and np.std(y[s]) > 0:
            rs.append(np.corrcoef(pred[s], y[s])[0, 1])
    return float(np.mean(rs)) if rs else float("nan")


def train(cohort, features, with_trunk, hidden, steps, seed, log, population="pop1", lr=1e-3,
          weight_decay=1e-3, genes_per_batch=8):
    trunk, emb, meta = features
    dm.seed_all(seed)
    rng = random.Random(seed)
    gene_pos = {g: k for k, g in enumerate(meta["genes"])}
    genes = [g for g in cohort.gene_ids("train") if g in gene_pos]
    people = cohort.sample_indices(population, "train")
    val_people = set(rng.sample(people, len(people) // 5))
    val_genes = set(rng.sample(genes, len(genes) // 5))
    fit_people = [i for i in people if i not in val_people]
    fit_genes = [g for g in genes if g not in val_genes]

    def rows(gs, ps, both_orders):
        F, E, Y, G = [], [], [], []
        for g in gs:
            k = gene_pos[g]
            y = cohort.expression[g][ps]
            e = emb[k, ps]
            orders = [e.reshape(len(ps), -1)]
            if both_orders:
                orders.append(e[:, ::-1].reshape(len(ps), -1))
            for eo in orders:
                F.append(trunk[k, ps])
                E.append(eo)
                Y.append(y)
                G.append(np.full(len(ps), k))
        return np.concatenate(F), np.concatenate(E), np.concatenate(Y), np.concatenate(G)

    Ft, Et, Yt, Gt = rows(fit_genes, fit_people, True)
    Fv, Ev, Yv, Gv = rows(fit_genes, sorted(val_people), False)
    f_mu, f_sd = Ft.mean(0), Ft.std(0) + 1e-6
    e_mu, e_sd = Et.mean(0), Et.std(0) + 1e-6
    y_mu = float(Yt.mean())

    def tensors(F, E, Y):
        return (torch.tensor((F - f_mu) / f_sd, dtype=torch.float32),
                torch.tensor((E - e_mu) / e_sd, dtype=torch.float32),
                torch.tensor(Y - y_mu, dtype=torch.float32))

    ft, et, yt = tensors(Ft, Et, Yt)
    fv, ev, yv = tensors(Fv, Ev, Yv)
    model = Heads(trunk.shape[2], emb.shape[3], hidden, with_trunk)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    gene_rows = {k: np.flatnonzero(Gt == k) for k in np.unique(Gt)}
    keys = sorted(gene_rows)
    best = (-2.0, None, -1)
    history = []
    for step in range(steps):
        model.train()
        batch_genes = rng.sample(keys, min(genes_per_batch, len(keys)))
        loss = 0.0
        for k in batch_genes:
            r = torch.tensor(gene_rows[k])
            p = model(ft[r], et[r])
            y = yt[r]
            loss = loss + ((p - y) ** 2).mean() + (((p - p.mean()) - (y - y.mean())) ** 2).mean()
        loss = loss / len(batch_genes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 25 == 0 or step + 1 == steps:
            model.eval()
            with torch.no_grad():
                pv = model(fv, ev).numpy()
            r_val = pearson_within(pv, Yv - y_mu, Gv)
            history.append({"step": step + 1, "loss": float(loss), "val_within_gene_r": r_val})
            if r_val > best[0]:
                best = (r_val, {k: v.clone() for k, v in model.state_dict().items()}, step + 1)
            if (step + 1) % 500 == 0 or step + 1 == steps:
                log("step %d  loss %.4f  set-aside individuals: mean within-gene r %.3f" % (step + 1, float(loss), r_val))
    model.load_state_dict(best[1])
    log("kept step %d (set-aside mean within-gene r %.3f)" % (best[2], best[0]))

    # fold the standardisation into the weights: out(raw) = model(standardised) + y_mu
    sd = {}
    with torch.no_grad():
        w0, b0 = model.mlp[0].weight, model.mlp[0].bias
        e_mu_t, e_sd_t = torch.tensor(e_mu, dtype=torch.float32), torch.tensor(e_sd, dtype=torch.float32)
        sd["mlp.0.weight"] = w0 / e_sd_t[None, :]
        sd["mlp.0.bias"] = b0 - (w0 * (e_mu_t / e_sd_t)[None, :]).sum(1)
        sd["mlp.2.weight"] = model.mlp[2].weight.clone()
        sd["mlp.2.bias"] = model.mlp[2].bias + y_mu
        if with_trunk:
            wh, bh = model.head.weight, model.head.bias
            f_mu_t, f_sd_t = torch.tensor(f_mu, dtype=torch.float32), torch.tensor(f_sd, dtype=torch.float32)
            sd["head.channel_transform.conv.layer.weight"] = (wh / f_sd_t[None, :])[:, :, None]
            sd["head.channel_transform.conv.layer.bias"] = bh - (wh * (f_mu_t / f_sd_t)[None, :]).sum(1) + y_mu
            sd["raw_beta"] = model.raw_beta.clone()
    info = {"best_step": best[2], "set_aside_within_gene_r": best[0], "history": history,
            "fit_people": len(fit_people), "fit_genes": len(fit_genes), "set_aside_people": len(val_people),
            "set_aside_genes": sorted(val_genes)}
    if with_trunk:
        info["beta"] = float(torch.sigmoid(model.raw_beta))
    return sd, info


def predict(sd, trunk_means, emb_pairs, with_trunk):
    """The saved weights applied to raw features: trunk_means (n, 2C), emb_pairs (n, 2, H)."""
    e = torch.tensor(emb_pairs.reshape(len(emb_pairs), -1))
    h = torch.relu(e @ sd["mlp.0.weight"].T + sd["mlp.0.bias"])
    m = (h @ sd["mlp.2.weight"].T + sd["mlp.2.bias"])[:, 0]
    if not with_trunk:
        return m.numpy()
    f = torch.tensor(trunk_means)
    t = (f @ sd["head.channel_transform.conv.layer.weight"][:, :, 0].T + sd["head.channel_transform.conv.layer.bias"])[:, 0]
    b = torch.sigmoid(sd["raw_beta"])
    return (b * t + (1 - b) * m).numpy()
