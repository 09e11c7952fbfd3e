#!/usr/bin/env bash
# Writes COPY ... (FORMAT binary) files for sql/10_embedding.sql: one well-formed file and
# one per way a binary embedding can be malformed. embedding_recv takes `internal` and
# cannot be called from SQL, so COPY FROM a file is the real path by which a client's
# bytes reach it. Layout (PostgreSQL docs, "COPY", binary format): 11-byte signature,
# int32 flags, int32 header-extension length; per row int16 field count, then per field
# int32 length and the bytes; int16 -1 at the end. Everything big-endian.
set -euo pipefail
out="$VF_GENERATED/embedding"
mkdir -p "$out"
"$PYTHON" - "$out" <<'PY'
import struct, sys, os
out = sys.argv[1]

def copyfile(name, fields):
    body = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for f in fields:
        body += struct.pack(">h", 1) + struct.pack(">i", len(f)) + f
    body += struct.pack(">h", -1)
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(body)

def emb(dim, values, unused=0):
    return struct.pack(">hh", dim, unused) + b"".join(struct.pack(">f", v) for v in values)

copyfile("good.bin", [emb(3, [1.0, -2.5, 3e-2]), emb(3, [0.0, 0.0, 1.0])])
copyfile("short.bin", [emb(3, [1.0, 2.0])])              # header says 3, 2 floats follow
copyfile("long.bin", [emb(2, [1.0, 2.0, 3.0])])          # header says 2, 3 floats follow
copyfile("header_only.bin", [struct.pack(">h", 3)])      # 2 bytes: not even a header
copyfile("dim_zero.bin", [emb(0, [])])
copyfile("dim_negative.bin", [emb(-1, [])])
copyfile("dim_over.bin", [struct.pack(">hh", 16001, 0)])
copyfile("unused.bin", [emb(2, [1.0, 2.0], unused=7)])
copyfile("nan.bin", [emb(2, [1.0, float("nan")])])
copyfile("inf.bin", [emb(2, [float("inf"), 1.0])])
PY
chmod -R a+rX "$out"
ls -l "$out"
