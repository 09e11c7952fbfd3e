#!/usr/bin/env bash
# build/demo/demo.png from the demo database: left, predicted vs measured expression of
# held-out pop1 people for three training genes every model predicts (highest simulated h2), one colour per model
# (both standardised per model and gene, as r is scale-free); right, each model's
# per-gene r on held-out pop1 people (one point per gene).
#   plot.sh PSQL-COMMAND...
set -euo pipefail
OUT=${VF_BUILD:-build}/demo
psql=("$@")
"${psql[@]}" -At -F $'\t' -c "
WITH genes AS (SELECT gene_id FROM gene_info WHERE split = 'train' AND h2_class = 'drawn' AND every_10th ORDER BY h2 DESC LIMIT 3),
z AS (SELECT p.model, p.gene_id,
             (e.expression - avg(e.expression) OVER w) / nullif(stddev(e.expression) OVER w, 0) AS expression,
             (p.predicted - avg(p.predicted) OVER w) / nullif(stddev(p.predicted) OVER w, 0) AS zpred
      FROM prediction p JOIN genes USING (gene_id) JOIN expression e USING (sample, gene_id)
      JOIN sample_info s USING (sample)
      WHERE s.population = 'pop1' AND s.split = 'heldout'
      WINDOW w AS (PARTITION BY p.model, p.gene_id))
SELECT model || ' ' || gene_id, zpred, expression FROM z WHERE zpred IS NOT NULL ORDER BY 1" > "$OUT/scatter.tsv"
"${psql[@]}" -At -F $'\t' -c "
SELECT dense_rank() OVER (ORDER BY model), model, r FROM per_gene_export ORDER BY 1" > "$OUT/r.tsv" 2>/dev/null || true
models=$(cut -f1,2 "$OUT/r.tsv" | sort -u | awk -F'\t' '{printf "%s\"%s\" %s", (NR>1?", ":""), $2, $1}')
n=$(cut -f1 "$OUT/r.tsv" | sort -u | wc -l)
gnuplot <<GP
set terminal pngcairo size 1400,600 font ",11" noenhanced
set output "$OUT/demo.png"
set datafile separator "\t"
set multiplot layout 1,2
set title "Predicted (standardised) vs simulated expression, held-out pop1 people"
set xlabel "prediction (z-score per model and gene)"
set ylabel "simulated expression (z-score per gene)"
set key outside bottom center horizontal font ",9"
plot for [k in system("cut -f1 $OUT/scatter.tsv | sort -u | tr ' ' '~' | tr '\n' ' '")] \
  "< tr ' ' '~' < $OUT/scatter.tsv | awk -F'\t' '\$1==\"".k."\"'" using 2:3 with points pt 7 ps 0.5 title system("echo ".k." | tr '~' ' '")
set title "Cross-individual r per gene, held-out pop1 people (training genes)"
set xlabel ""
set ylabel "Pearson r"
unset key
set xtics ($models)
set xrange [0.5:$n+0.5]
set yrange [-1:1]
set grid ytics
plot "$OUT/r.tsv" using (\$1 + 0.3*(rand(0)-0.5)):3 with points pt 7 ps 0.6
unset multiplot
GP
