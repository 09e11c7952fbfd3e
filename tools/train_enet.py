#!/usr/bin/python3
"""Trains PredictDB-format elastic-net models on the simulated cohort (issue 11).

usage:
    /usr/bin/python3 tools/train_enet.py DATADIR OUT.db [--window BP] [--jobs N] [--seed S]
        [--alpha A] [--maf F] [--snps-only] [--keep-ambiguous] [--no-filter] [--genes ID,...]

DATADIR is what tools/simulate_cohort.py wrote (cohort.vcf.gz, samples.tsv, genes.tsv,
expression.tsv). Models are trained on the individuals whose split is `train` and the genes
whose split is `train`. Writes OUT.db (tables weights, extra, construction, sample_info as
PredictDB's GTEx v8 databases have them) and OUT_summary.tsv (every trained gene with its
cross-validation numbers and whether it passed the filter).

The procedure is PredictDB's (PredictDB_Pipeline_GTEx_v7, gtex_tiss_chrom_training.R) in
NumPy: cis variants = gene body +- window; dosage = number of ALT alleles; variants with
MAF < 0.01 among the training individuals dropped, and ambiguous-strand SNPs (A/T, C/G) too;
expression centred (there are no covariates to regress out); glmnet's elastic net (alpha 0.5,
x and y standardised with 1/n variances, 100 lambdas from lambda_max down to lambda_max *
(0.01 if n < p else 1e-4), coordinate descent to glmnet's convergence threshold 1e-7);
lambda chosen by 10-fold CV (min MSE, folds drawn once as generate_fold_ids does);
performance by nested CV (5 outer folds, each choosing lambda by an inner 10-fold CV):
test_R2_avg/sd, rho_avg/se, Stouffer z (rho_zscore, pred.perf.pval), Fisher's combined
p (nested_cv_fisher_pval); cv_R2 from the pre-validated predictions at the chosen lambda;
in_sample_R2 of the final fit. pred.perf.R2 = rho_avg^2. A model is written when it has
at least one weight, rho_avg > 0.1 and pred.perf.pval < 0.05 (PredictDB's filter; --no-filter
writes every model with weights).

Deviations, stated: the window defaults to 100 kb, not PredictDB's 1 Mb (the simulated
genome packs genes about 5 times denser than the human one, its regulatory elements reach
at most ~20 kb, and LD has decayed by 100 kb; --window 1000000 runs PredictDB's window);
indels are kept (--snps-only drops them, as GTEx v8's SNP-only models); the lambda path is
always 100 long (glmnet stops early when the deviance stops changing). varIDs are
CHROM_POS_REF_ALT without a build suffix (the contigs are simulated); rsid is the VCF ID.
Deterministic for a given seed.
"""
import argparse
import csv
import gzip
import math
import os
import sqlite3
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

T0 = time.time()


def log(msg):
    print("[train_enet %6.1fs] %s" % (time.time() - T0, msg), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# statistics without SciPy

def betacf(a, b, x):
    """Continued fraction of the incomplete beta function (Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * betacf(b, a, 1 - x) / b


def cor_test_p(r, n):
    """Two-sided p of R's cor.test (Pearson, t with n - 2 df)."""
    df = n - 2
    if df <= 0:
        return 1.0
    if abs(r) >= 1:
        return 0.0
    t2 = r * r * df / (1 - r * r)
    return betainc(df / 2.0, 0.5, df / (df + t2))


def chisq_sf_even(x, dof):
    """P(chi2_dof > x) for even dof."""
    k = dof // 2
    term, s = 1.0, 1.0
    for i in range(1, k):
        term *= (x / 2.0) / i
        s += term
    return math.exp(-x / 2.0) * s


def calc_r2(y, yp):
    """PredictDB's calc_R2 (expression is centred, so the total sum of squares is sum(y^2))."""
    tss = float((y ** 2).sum())
    return 1.0 - float(((y - yp) ** 2).sum()) / tss if tss > 0 else 0.0


def corr(a, b):
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


# --------------------------------------------------------------------------------------
# glmnet's gaussian elastic net, many problems at once

def generate_fold_ids(rng, n, k):
    """PredictDB's generate_fold_ids: rep(1:k) cut to n, permuted."""
    return rng.permutation(np.tile(np.arange(k), (n + k - 1) // k)[:n])


class Problem:
    """One glmnet fit: x and y standardised (1/n variances); constant columns excluded."""

    def __init__(self, X, y):
        n = X.shape[0]
        self.n = n
        self.mx = X.mean(axis=0)
        self.sx = X.std(axis=0)
        self.ok = self.sx > 1e-12
        Z = np.zeros_like(X)
        Z[:, self.ok] = (X[:, self.ok] - self.mx[self.ok]) / self.sx[self.ok]
        self.my = float(y.mean())
        sy = float(y.std())
        self.sy = sy if sy > 0 else 1.0
        yz = (y - self.my) / self.sy
        self.G = Z.T @ Z / n
        self.c = Z.T @ yz / n


def active_set_solve(G, c, la, l2, A, sgn, max_iter=50):
    """The exact elastic-net solution of one problem, by a primal active-set iteration from
    a guessed active set A with signs sgn: solve (G_AA + l2 I) b_A = c_A - la sgn; drop
    coordinates whose sign disagrees; add the inactive coordinate violating the KKT
    condition |c_j - G_jA b_A| <= la the most, with the sign of its gradient. Returns the
    full coefficient vector, or None when it does not settle within max_iter."""
    p = len(c)
    A = list(A)
    sgn = list(sgn)
    for _ in range(max_iter):
        if A:
            Ai = np.array(A)
            M = G[np.ix_(Ai, Ai)] + l2 * np.eye(len(Ai))
            try:
                bA = np.linalg.solve(M, c[Ai] - la * np.array(sgn))
            except np.linalg.LinAlgError:
                return None
            bad = np.sign(bA) != np.array(sgn)
            if bad.any():
                keep = ~bad
                A = [x for x, kk in zip(A, keep) if kk]
                sgn = [x for x, kk in zip(sgn, keep) if kk]
                continue
            grad = c - G[:, Ai] @ bA
        else:
            bA = np.zeros(0)
            grad = c.copy()
        viol = np.abs(grad) - la * (1 + 1e-9) - 1e-12
        if A:
            viol[Ai] = -1.0
        j = int(np.argmax(viol))
        if viol[j] <= 0:
            b = np.zeros(p)
            if A:
                b[Ai] = bA
            return b
        A.append(j)
        sgn.append(1.0 if grad[j] > 0 else -1.0)
    return None


def solve_paths(problems, lam_std, alpha, thresh=1e-7, max_rounds=100000):
    """Elastic-net solutions along lambda paths for all problems (warm starts), to the
    exact optimum. At each lambda every problem starts from its previous solution's active
    set and signs (active_set_solve); a problem where that does not settle gets
    coordinate-descent sweeps (all such problems in lockstep) and tries again; one whose
    sweeps change no coefficient by more than glmnet's threshold counts as converged.
    lam_std (K, L): each problem's internal (standardised-y) lambdas. Returns B (K, L, p),
    coefficients in standardised units."""
    K = len(problems)
    p = problems[0].G.shape[0]
    L = lam_std.shape[1]
    Gs = np.stack([pr.G for pr in problems])                      # (K, p, p)
    Gc = np.ascontiguousarray(Gs.transpose(1, 0, 2))               # (p, K, p): Gc[j] = G[:, j, :]
    diag = np.stack([np.diag(pr.G) for pr in problems])           # (K, p)
    C = np.stack([pr.c for pr in problems])
    B = np.zeros((K, p))
    out = np.zeros((K, L, p))

    for li in range(L):
        la = lam_std[:, li] * alpha
        l2 = lam_std[:, li] * (1 - alpha)
        done = np.zeros(K, bool)
        for k in range(K):
            A = np.flatnonzero(B[k])
            b = active_set_solve(Gs[k], C[k], la[k], l2[k], A, np.sign(B[k, A]))
            if b is not None:
                B[k] = b
                done[k] = True
        rounds = 0
        while not done.all():
            rounds += 1
            if rounds > max_rounds:
                raise RuntimeError("elastic net did not converge")
            den = diag + l2[:, None]
            den[den == 0] = 1.0
            q = C - np.einsum("kij,kj->ki", Gs, B)
            dmax = np.zeros(K)
            for j in range(p):
                bj = B[:, j]
                z = q[:, j] + diag[:, j] * bj
                new = np.where(done, bj, np.sign(z) * np.maximum(np.abs(z) - la, 0.0) / den[:, j])
                d = new - bj
                if d.any():
                    B[:, j] = new
                    q -= Gc[j] * d[:, None]
                    np.maximum(dmax, d * d * diag[:, j], out=dmax)
            done |= dmax < thresh
            for k in np.flatnonzero(~done).tolist():
                A = np.flatnonzero(B[k])
                b = active_set_solve(Gs[k], C[k], la[k], l2[k], A, np.sign(B[k, A]))
                if b is not None:
                    B[k] = b
                    done[k] = True
        out[:, li, :] = B
    return out


def to_original(pr, b_std):
    """(L, p) standardised coefficients -> original-scale weights (L, p) and intercepts (L,)."""
    w = np.zeros_like(b_std)
    w[:, pr.ok] = b_std[:, pr.ok] * pr.sy / pr.sx[pr.ok]
    b0 = pr.my - w @ pr.mx
    return w, b0


def train_gene(args):
    gi, X, y, final_folds, seed, alpha, n_folds, n_outer = args
    n, p = X.shape
    rng = np.random.default_rng([seed, gi])
    if p == 0:
        nan = float("nan")
        return dict(gi=gi, w=np.zeros(0), n_snps_in_window=0, n_in_model=0, lambda_min=nan, test_R2_avg=nan,
                    test_R2_sd=nan, cv_R2_avg=nan, cv_R2_sd=nan, in_sample_R2=nan, nested_cv_fisher_pval=nan,
                    rho_avg=nan, rho_se=nan, rho_zscore=nan, rho_avg_squared=nan, zscore_pval=nan)
    outer = generate_fold_ids(rng, n, n_outer)
    # groups: the final cv.glmnet (all training people) and one per outer fold; each
    # group = its full problem followed by its n_folds fold problems
    groups = []
    idx_all = np.arange(n)
    groups.append((idx_all, final_folds))
    for o in range(n_outer):
        tr = np.flatnonzero(outer != o)
        groups.append((tr, generate_fold_ids(rng, len(tr), n_folds)))
    problems, meta = [], []
    for g, (rows, folds) in enumerate(groups):
        problems.append(Problem(X[rows], y[rows]))
        meta.append((g, -1))
        for f in range(n_folds):
            sub = rows[folds != f]
            problems.append(Problem(X[sub], y[sub]))
            meta.append((g, f))
    ratio = 0.01 if n < p else 1e-4
    L = 100
    lam_std = np.zeros((len(problems), L))
    lam_orig = {}
    for k, (g, f) in enumerate(meta):
        if f == -1:
            pr = problems[k]
            lmax = float(np.abs(pr.c).max()) / alpha if p else 0.0
            if lmax <= 0:
                lmax = 1e-6
            lam_orig[g] = lmax * pr.sy * ratio ** (np.arange(L) / (L - 1))   # glmnet reports lambda * sd(y)
        lam_std[k] = lam_orig[g] / problems[k].sy
    B = solve_paths(problems, lam_std, alpha)
    # cross-validation inside each group
    res = {}
    k = 0
    for g, (rows, folds) in enumerate(groups):
        kfull = k
        sse = np.zeros(L)
        preval = np.zeros((len(rows), L))
        for f in range(n_folds):
            k += 1
            held = np.flatnonzero(folds == f)
            w, b0 = to_original(problems[k], B[k])
            pred = X[rows[held]] @ w.T + b0[None, :]
            preval[held] = pred
            sse += ((y[rows[held]][:, None] - pred) ** 2).sum(axis=0)
        k += 1
        lmin = int(np.argmin(sse / len(rows)))
        w, b0 = to_original(problems[kfull], B[kfull])
        res[g] = dict(lmin=lmin, w=w[lmin], b0=float(b0[lmin]), preval=preval[:, lmin], rows=rows,
                      folds=folds, lam=float(lam_orig[g][lmin]))
    # nested performance
    r2f, cf, zf, pf = [], [], [], []
    for o in range(n_outer):
        r = res[o + 1]
        test = np.flatnonzero(outer == o)
        yp = X[test] @ r["w"] + r["b0"]
        yt = y[test]
        r2f.append(calc_r2(yt, yp))
        c = corr(yp, yt)
        cf.append(c)
        zf.append(math.atanh(max(min(c, 0.999999999), -0.999999999)) * math.sqrt(len(yt) - 3))
        pf.append(cor_test_p(c, len(yt)) if yp.std() > 0 else float(rng.random()))
    rho_avg = float(np.mean(cf))
    z_est = float(np.sum(zf) / math.sqrt(n_outer))
    fin = res[0]
    cv_r2 = [calc_r2(y[final_folds == f], fin["preval"][final_folds == f]) for f in range(n_folds)]
    in_sample = calc_r2(y, X @ fin["w"] + fin["b0"])
    return dict(
        gi=gi, w=fin["w"], n_snps_in_window=p, n_in_model=int((fin["w"] != 0).sum()),
        lambda_min=fin["lam"],
        test_R2_avg=float(np.mean(r2f)), test_R2_sd=float(np.std(r2f, ddof=1)),
        cv_R2_avg=float(np.mean(cv_r2)), cv_R2_sd=float(np.std(cv_r2, ddof=1)),
        in_sample_R2=in_sample,
        nested_cv_fisher_pval=chisq_sf_even(-2 * sum(math.log(max(x, 1e-300)) for x in pf), 2 * n_outer),
        rho_avg=rho_avg, rho_se=float(np.std(cf, ddof=1)), rho_zscore=z_est,
        rho_avg_squared=rho_avg ** 2, zscore_pval=math.erfc(abs(z_est) / math.sqrt(2)),
    )


# --------------------------------------------------------------------------------------

def read_tsv(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_vcf(path):
    lut = {"0|0": 0, "0|1": 1, "1|0": 1, "1|1": 2, "0/0": 0, "0/1": 1, "1/1": 2}
    samples, rows, dos = None, [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("##"):
                continue
            t = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                samples = t[9:]
                continue
            if "," in t[4]:
                continue                       # biallelic only
            rows.append((t[0], int(t[1]), t[2], t[3], t[4]))
            dos.append([lut.get(x.split(":")[0], -1) for x in t[9:]])
    return samples, rows, np.array(dos, np.int8)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("datadir")
    ap.add_argument("out")
    ap.add_argument("--window", type=int, default=100000, help="bp each side of the gene body (default 100000)")
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--maf", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=2011)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--snps-only", action="store_true")
    ap.add_argument("--keep-ambiguous", action="store_true")
    ap.add_argument("--no-filter", action="store_true")
    ap.add_argument("--genes", default=None, help="comma-separated gene ids (default: every training gene)")
    a = ap.parse_args(argv)
    d = a.datadir
    samples_tab = read_tsv(os.path.join(d, "samples.tsv"))
    genes_tab = read_tsv(os.path.join(d, "genes.tsv"))
    train_samples = [r["sample"] for r in samples_tab if r["split"] == "train"]
    genes = [g for g in genes_tab if g["split"] == "train"]
    if a.genes:
        want = set(a.genes.split(","))
        genes = [g for g in genes_tab if g["gene_id"] in want]
    vcf_samples, vrows, dos = read_vcf(os.path.join(d, "cohort.vcf.gz"))
    col = {s: i for i, s in enumerate(vcf_samples)}
    tcols = np.array([col[s] for s in train_samples])
    D = dos[:, tcols].astype(np.float64).T                 # (n, n_var)
    if (D < 0).any():
        raise SystemExit("missing or non-diploid calls among training individuals: not supported")
    expr = {}
    want_genes = {g["gene_id"] for g in genes}
    tset = set(train_samples)
    for r in read_tsv(os.path.join(d, "expression.tsv")):
        if r["gene_id"] in want_genes and r["sample"] in tset:
            expr[(r["gene_id"], r["sample"])] = float(r["expression"])
    n = len(train_samples)
    af = D.mean(axis=0) / 2
    maf = np.minimum(af, 1 - af)
    amb = {frozenset("AT"), frozenset("CG")}
    keep = maf >= a.maf
    for i, (c, pos, vid, ref, alt) in enumerate(vrows):
        snv = len(ref) == 1 and len(alt) == 1
        if a.snps_only and not snv:
            keep[i] = False
        if snv and not a.keep_ambiguous and frozenset(ref + alt) in amb:
            keep[i] = False
    vchrom = np.array([r[0] for r in vrows])
    vpos = np.array([r[1] for r in vrows])
    rng = np.random.default_rng(a.seed)
    final_folds = generate_fold_ids(rng, n, 10)
    tasks, cis = [], []
    for gi, g in enumerate(genes):
        lo, hi = int(g["gene_start"]) - a.window, int(g["gene_end"]) + a.window
        v = np.flatnonzero(keep & (vchrom == g["chrom"]) & (vpos >= lo) & (vpos <= hi))
        y = np.array([expr[(g["gene_id"], s)] for s in train_samples])
        y = y - y.mean()                                    # "adjusted" expression: centred
        cis.append(v)
        tasks.append((gi, D[:, v], y, final_folds, a.seed, a.alpha, 10, 5))
    log("%d training individuals, %d genes, %d of %d variants pass MAF/strand filters; cis windows of %d to %d variants"
        % (n, len(genes), int(keep.sum()), len(vrows), min(len(v) for v in cis), max(len(v) for v in cis)))
    results = [None] * len(tasks)
    if a.jobs > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(a.jobs) as pool:
            for r in pool.imap_unordered(train_gene, tasks):
                results[r["gi"]] = r
                log("%s: %d/%d variants in model, rho_avg %.3f" % (genes[r["gi"]]["gene_id"], r["n_in_model"],
                                                                    r["n_snps_in_window"], r["rho_avg"]))
    else:
        for t in tasks:
            r = train_gene(t)
            results[r["gi"]] = r
            log("%s: %d/%d variants in model, rho_avg %.3f" % (genes[r["gi"]]["gene_id"], r["n_in_model"],
                                                                r["n_snps_in_window"], r["rho_avg"]))
    # write the database
    out = a.out
    if os.path.exists(out):
        os.remove(out)
    db = sqlite3.connect(out)
    db.executescript("""
CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE);
CREATE TABLE extra (gene TEXT, genename TEXT, gene_type TEXT, alpha DOUBLE, n_snps_in_window INTEGER,
  "n.snps.in.model" INTEGER, test_R2_avg DOUBLE, test_R2_sd DOUBLE, cv_R2_avg DOUBLE, cv_R2_sd DOUBLE,
  in_sample_R2 DOUBLE, nested_cv_fisher_pval DOUBLE, rho_avg DOUBLE, rho_se DOUBLE, rho_zscore DOUBLE,
  "pred.perf.R2" DOUBLE, "pred.perf.pval" DOUBLE, "pred.perf.qval" DOUBLE);
CREATE TABLE construction (chrom TEXT, "cv.seed" INTEGER);
CREATE TABLE sample_info ("n.samples" INTEGER);
""")
    gene_type = {}
    gtf = os.path.join(d, "genes.gtf")
    if os.path.exists(gtf):
        with open(gtf) as f:
            for line in f:
                t = line.split("\t")
                if len(t) > 8 and t[2] == "gene":
                    attrs = dict(x.strip().split(" ", 1) for x in t[8].strip().rstrip(";").split(";") if x.strip())
                    gene_type[attrs["gene_id"].strip('"')] = attrs.get("gene_type", '"NA"').strip('"')
    summary = []
    n_written = 0
    for g, r, v in zip(genes, results, cis):
        passed = r["n_in_model"] > 0 and (a.no_filter or (r["rho_avg"] > 0.1 and r["zscore_pval"] < 0.05))
        summary.append((g["gene_id"], g["gene_name"], r["n_snps_in_window"], r["n_in_model"], r["lambda_min"],
                        r["test_R2_avg"], r["rho_avg"], r["rho_zscore"], r["zscore_pval"], r["nested_cv_fisher_pval"],
                        r["cv_R2_avg"], r["in_sample_R2"], int(passed)))
        if not passed:
            continue
        n_written += 1
        for j in np.flatnonzero(r["w"] != 0):
            c, pos, vid, ref, alt = vrows[v[j]]
            db.execute("INSERT INTO weights VALUES (?,?,?,?,?,?)",
                       (g["gene_id"], vid, "%s_%d_%s_%s" % (c, pos, ref, alt), ref, alt, float(r["w"][j])))
        db.execute("INSERT INTO extra VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (g["gene_id"], g["gene_name"], gene_type.get(g["gene_id"], "NA"), a.alpha, r["n_snps_in_window"],
                    r["n_in_model"], r["test_R2_avg"], r["test_R2_sd"], r["cv_R2_avg"], r["cv_R2_sd"],
                    r["in_sample_R2"], r["nested_cv_fisher_pval"], r["rho_avg"], r["rho_se"], r["rho_zscore"],
                    r["rho_avg_squared"], r["zscore_pval"], None))
    for c in sorted(set(g["chrom"] for g in genes)):
        db.execute("INSERT INTO construction VALUES (?,?)", (c, a.seed))
    db.execute("INSERT INTO sample_info VALUES (?)", (n,))
    db.commit()
    db.execute("VACUUM")
    db.close()
    spath = (out[:-3] if out.endswith(".db") else out) + "_summary.tsv"
    with open(spath, "w") as f:
        f.write("\t".join(["gene_id", "gene_name", "n_snps_in_window", "n_snps_in_model", "lambda_min",
                           "test_R2_avg", "rho_avg", "rho_zscore", "zscore_pval", "nested_cv_fisher_pval",
                           "cv_R2_avg", "in_sample_R2", "written"]) + "\n")
        for s in summary:
            f.write("\t".join(x if isinstance(x, str) else ("%d" % x if isinstance(x, (int, np.integer)) else "%.6g" % x)
                              for x in s) + "\n")
    log("wrote %s: %d of %d genes passed (rho_avg > 0.1, p < 0.05)%s; summary %s"
        % (out, n_written, len(genes), " [no filter]" if a.no_filter else "", spath))
    return 0


if __name__ == "__main__":
    sys.exit(main())
