#!/usr/bin/python3
"""An independent re-implementation of PrediXcan's prediction rules, for parity tests.

Written from the rules as MetaXcan's Predict.py applies them (hakyimlab/MetaXcan,
software/Predict.py and metax/misc/GWASAndModels.match_alleles), not from varformer's code:

  * the genotype line gives (REF, ALT_a) and the dosage of ALT_a; the model gives
    (ref_allele = non-effect, eff_allele = effect)
  * single-base pairs: exact -> d; swapped -> 2 - d; base-by-base complement -> d;
    complement and swapped -> 2 - d; otherwise skipped
  * other pairs (indels): exact or complement only
  * rules are tried in that order, so palindromic pairs (A/T, C/G) read as exact or swapped;
    --palindromic skip drops them first (MetaXcan's --skip_palindromic)
  * dosage: DS when the record has it (and the sample's value is not '.'), else the count of
    ALT_a in GT; a missing GT without DS makes the variant missing for that sample
  * GReX = sum of weight x dosage over matched variants; missing variants contribute nothing

Usage:
  predixcan_ref.py --vcf F --db F [--key varid|rsid] [--palindromic keep|skip] [--region 22:1-5000]
      prints: sample gene grex n_snps_in_model n_used n_flipped n_complemented n_skipped n_missing
  predixcan_ref.py --vcf F --db F --plink-weights OUT
      writes a plink2 --score file (ID, A1, one column per gene, VCF IDs) for exact/swapped rows
  predixcan_ref.py --vcf F --genotype-text 22:1-5000
      prints "sample<TAB>genotype" in varformer's genotype text form (a VCF-to-SQL loader for
      the parity tests; every record of the region is listed, 0|0 calls included, and the
      genotype says "/listed": a site the file does not list was not assayed, as here)

A model variant the VCF does not list is missing, as PrediXcan counts it. A record without
an ALT (ALT ".", a monomorphic array site) offers no allele to match: the variant is skipped.
"""
import argparse
import sqlite3
import sys

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def complement(s):
    if any(c not in COMP for c in s):
        return None
    return "".join(COMP[c] for c in s)


def rule(g_ref, g_alt, m_ref, m_eff):
    """0 skip, 1 exact, 2 swapped, 3 complement, 4 complement+swapped"""
    single = len(g_ref) == 1 and len(g_alt) == 1
    if (g_ref, g_alt) == (m_ref, m_eff):
        return 1
    if single and (g_ref, g_alt) == (m_eff, m_ref):
        return 2
    cr, ce = complement(m_ref), complement(m_eff)
    if cr is not None and ce is not None:
        if (g_ref, g_alt) == (cr, ce):
            return 3
        if single and (g_ref, g_alt) == (ce, cr):
            return 4
    return 0


def palindromic(ref, alt):
    rc = complement(ref[::-1])
    return rc is not None and rc == alt


def chrom_norm(c):
    c = c[3:] if c.lower().startswith("chr") else c
    c = c.upper()
    return "MT" if c == "M" else c


def read_vcf(path, region):
    chrom_r, start, end = None, None, None
    if region:
        chrom_r, rng = region.split(":")
        start, end = (int(x) for x in rng.split("-"))
    samples, recs = None, []
    with open(path) as f:
        for line in f:
            if line.startswith("##"):
                continue
            t = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                samples = t[9:]
                continue
            chrom, pos = t[0], int(t[1])
            if region and (chrom_norm(chrom) != chrom_norm(chrom_r) or pos < start or pos > end):
                continue
            fmt = t[8].split(":")
            calls = []
            for s in t[9:]:
                v = dict(zip(fmt, s.split(":")))
                gt = v.get("GT", ".").replace("|", "/").split("/")
                ds = v.get("DS")
                ds = None if ds is None else [None if x == "." else float(x) for x in ds.split(",")]
                calls.append((gt, ds))
            recs.append(dict(chrom=chrom_norm(chrom), pos=pos, ids=t[2].split(";"), ref=t[3].upper(),
                             alts=[a.upper() for a in t[4].split(",")], calls=calls))
    return samples, recs


def dosage(call, a):
    gt, ds = call
    if ds is not None and ds[a - 1] is not None:
        return ds[a - 1]
    if "." in gt:
        return None
    return float(sum(1 for x in gt if x == str(a)))


def read_model(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    cols = [r[1].lower() for r in db.execute("PRAGMA table_info(weights)")]
    varid = "varid" in cols
    q = "SELECT gene, rsid, %s, upper(ref_allele), upper(eff_allele), weight FROM weights" % (
        "varID" if varid else "NULL")
    rows = [r for r in db.execute(q) if r[5] is not None]
    db.close()
    return rows


def parse_varid(v):
    f = v.split("_")
    return chrom_norm(f[0]), int(f[1])


def predict(vcf, dbpath, key, pal, region):
    samples, recs = read_vcf(vcf, region)
    by_pos, by_id = {}, {}
    for r in recs:
        by_pos.setdefault((r["chrom"], r["pos"]), []).append(r)
        for i in r["ids"]:
            by_id.setdefault(i, []).append(r)
    genes = {}
    for gene, rsid, varid, ref, eff, w in read_model(dbpath):
        genes.setdefault(gene, []).append((rsid, varid, ref, eff, float(w)))
    out = []
    for si, s in enumerate(samples):
        for gene in sorted(genes):
            grex, used, flipped, comp, skipped, missing = 0.0, 0, 0, 0, 0, 0
            for rsid, varid, ref, eff, w in genes[gene]:
                cand = by_pos.get(parse_varid(varid), []) if key == "varid" else by_id.get(rsid, [])
                if not cand:
                    missing += 1
                    continue
                found = None
                for r in cand:
                    for a, alt in enumerate(r["alts"], start=1):
                        if pal == "skip" and palindromic(r["ref"], alt):
                            continue
                        k = rule(r["ref"], alt, ref, eff)
                        if k:
                            found = (k, dosage(r["calls"][si], a))
                            break
                    if found:
                        break
                if found is None:
                    skipped += 1
                    continue
                k, d = found
                if d is None:
                    missing += 1
                    continue
                used += 1
                if k in (2, 4):
                    d = 2.0 - d
                    flipped += 1
                if k in (3, 4):
                    comp += 1
                grex += w * d
            out.append((s, gene, grex, len(genes[gene]), used, flipped, comp, skipped, missing))
    return out


def plink_weights(vcf, dbpath, path):
    """A plink2 --score file for rows plink2 resolves itself (allele codes present in the VCF)."""
    _, recs = read_vcf(vcf, None)
    by_pos = {(r["chrom"], r["pos"]): r for r in recs}
    genes, rows = [], {}
    for gene, rsid, varid, ref, eff, w in read_model(dbpath):
        r = by_pos[parse_varid(varid)]
        k = rule(r["ref"], r["alts"][0], ref, eff)
        if k not in (1, 2):
            sys.exit("plink fixture row %s %s is neither exact nor swapped" % (gene, varid))
        if gene not in genes:
            genes.append(gene)
        rows.setdefault((r["ids"][0], eff), {})[gene] = w
    genes.sort()
    with open(path, "w") as f:
        f.write("ID\tA1\t" + "\t".join(genes) + "\n")
        for (vid, a1), ws in sorted(rows.items()):
            f.write("%s\t%s\t%s\n" % (vid, a1, "\t".join(repr(ws.get(g, 0.0)) for g in genes)))


def genotype_text(vcf, region):
    samples, recs = read_vcf(vcf, region)
    for si, s in enumerate(samples):
        calls = []
        for r in recs:
            gt, ds = r["calls"][si]
            sep = "/" if len(gt) == 2 and gt == ["."] * 2 else "|"
            c = "%d:%s:%s:%s:%s" % (r["pos"], ";".join(r["ids"]), r["ref"], ",".join(r["alts"]), sep.join(gt))
            if ds is not None:
                c += ":DS=" + ",".join("." if x is None else repr(x) for x in ds)
            calls.append(c)
        print("%s\t%s/listed %s" % (s, region, " ".join(calls)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vcf", required=True)
    ap.add_argument("--db")
    ap.add_argument("--genotype-text")
    ap.add_argument("--key", default="varid", choices=["varid", "rsid"])
    ap.add_argument("--palindromic", default="keep", choices=["keep", "skip"])
    ap.add_argument("--region")
    ap.add_argument("--plink-weights")
    a = ap.parse_args()
    if a.genotype_text:
        genotype_text(a.vcf, a.genotype_text)
        return
    if a.plink_weights:
        plink_weights(a.vcf, a.db, a.plink_weights)
        return
    for row in predict(a.vcf, a.db, a.key, a.palindromic, a.region):
        print("%s\t%s\t%.10f\t%d\t%d\t%d\t%d\t%d\t%d" % row)


if __name__ == "__main__":
    main()
