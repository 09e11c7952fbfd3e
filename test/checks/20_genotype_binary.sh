#!/usr/bin/env bash
# genotype binary send/recv: COPY ... (FORMAT binary) out and back in gives equal values,
# and corrupt binary input is refused with an error (not a crash).
set -euo pipefail
PSQL=("$VF_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d postgres)
f=$(mktemp -d)/gt.bin
trap 'rm -rf "$(dirname "$f")"' EXIT
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
DROP TABLE IF EXISTS gt20_bin, gt20_bin2;
CREATE TABLE gt20_bin (i int, g genotype);
INSERT INTO gt20_bin VALUES
  (1, '22:100-200'),
  (2, '22:100-200 150:rs7:A:G:0|1:DS=0.98 170:C:CT,CTT:1/2 180:A:<DEL>:1:END=199'),
  (3, 'chrX:1-1000 5:A:T:./. 6:A:T:.|1 7:G:A:1 8:G:A:. 9:C:T:1/0:DS=0.3333333 10:A:G,T:1|2:DS=0.5,.');
CREATE TABLE gt20_bin2 (LIKE gt20_bin);
\copy gt20_bin TO '$f' (FORMAT binary)
\copy gt20_bin2 FROM '$f' (FORMAT binary)
SQL
same=$("${PSQL[@]}" -c "SELECT count(*) FROM gt20_bin a JOIN gt20_bin2 b USING (i) WHERE a.g = b.g AND a.g::text = b.g::text")
[ "$same" = 3 ] || { echo "binary round trip: $same of 3 values equal"; exit 1; }
echo "ok   binary round trip of 3 values"

# COPY binary: 19-byte header, then per row int16 field count, int32 length + data per field;
# the genotype of row 1 starts at 19 + 2 + (4 + 4) + 4 = 33 with its version byte.
corrupt() { # corrupt OFFSET BYTE WHAT
  cp "$f" "$f.bad"
  printf "\\x$2" | dd of="$f.bad" bs=1 seek="$1" conv=notrunc status=none
  if out=$("${PSQL[@]}" -c "\\copy gt20_bin2 FROM '$f.bad' (FORMAT binary)" 2>&1); then
    echo "FAIL corrupt $3 accepted"; exit 1
  fi
  echo "$out" | grep -q "invalid genotype bytes" || { echo "FAIL corrupt $3: $out"; exit 1; }
  echo "ok   corrupt $3 refused: $(echo "$out" | head -n1)"
}
corrupt 33 07 "version byte"
corrupt 34 00 "contig length"
"${PSQL[@]}" -c "DROP TABLE gt20_bin, gt20_bin2"
