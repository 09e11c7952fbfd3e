#!/usr/bin/env python3
"""PyTorch checkpoints for the torch checkpoint reader (test/checks/41_torch_checkpoint.sh).

    make_torch_checkpoints.py OUT_DIR

OUT_DIR/good/NAME.pt     written by the real torch.save (or a hand-made zip that torch.load reads)
OUT_DIR/good/NAME.golden what torch.load reports: per floating-point tensor, sorted by name,
                         "name<TAB>shape<TAB>hex of its float32 bytes" (integer tensors are not
                         loaded by varformer, so not listed)
OUT_DIR/bad/NAME.pt      files that must be refused (hostile pickles, broken zips, absurd sizes)
OUT_DIR/bad/NAME.expect  a fragment of the error message the refusal must carry

Everything is seeded: two runs give the same bytes for the same torch build.
"""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import torch

OUT = sys.argv[1]
GOOD = os.path.join(OUT, "good")
BAD = os.path.join(OUT, "bad")
os.makedirs(GOOD, exist_ok=True)
os.makedirs(BAD, exist_ok=True)
torch.manual_seed(41)

FLOATS = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


def golden(path, weights_only=True):
    # torch 1.13's weights_only unpickler lacks STACK_GLOBAL; that file is ours, so load it fully
    sd = torch.load(path, map_location="cpu", weights_only=weights_only)
    lines = []
    for name in sorted(sd, key=lambda s: s.encode()):
        t = sd[name]
        if t.dtype not in FLOATS:
            continue
        shape = ",".join(str(d) for d in t.shape)
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes().hex()
        lines.append(f"{name}\t{shape}\t{data}\n")
    return "".join(lines)


def good(name, obj=None, raw=None, weights_only=True):
    path = os.path.join(GOOD, name + ".pt")
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    else:
        torch.save(obj, path)
    with open(os.path.join(GOOD, name + ".golden"), "w") as f:
        f.write(golden(path, weights_only))


def bad(name, data, expect):
    with open(os.path.join(BAD, name + ".pt"), "wb") as f:
        f.write(data)
    with open(os.path.join(BAD, name + ".expect"), "w") as f:
        f.write(expect + "\n")


# ---- real torch.save output ----------------------------------------------------------------
sd = collections.OrderedDict()
sd["scalar"] = torch.tensor(3.25)
sd["vec"] = torch.randn(7)
sd["mat"] = torch.randn(3, 5)
sd["cube"] = torch.randn(2, 3, 4)
sd["four"] = torch.randn(2, 1, 3, 2)
sd["empty"] = torch.zeros(0, 4)
sd["ones"] = torch.randn(1, 6)
good("f32", sd)

mixed = collections.OrderedDict()
mixed["h.weight"] = torch.randn(4, 9).to(torch.float16)
mixed["h.special"] = torch.tensor([0.0, -0.0, 6e-8, 65504.0, float("inf"), -float("inf"), 1e-5, 3.0],
                                  dtype=torch.float16)
mixed["b.weight"] = torch.randn(5, 3).to(torch.bfloat16)
mixed["d.weight"] = torch.randn(3, 3, dtype=torch.float64)
mixed["position_ids"] = torch.arange(12).unsqueeze(0)
mixed["num_batches_tracked"] = torch.tensor(5)
good("dtypes", mixed)


class TinyBert(torch.nn.Module):
    """BERT-shaped module: its state_dict has _metadata, a position_ids buffer and a tied decoder."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(11, 8)
        self.LayerNorm = torch.nn.LayerNorm(8)
        self.dense = torch.nn.Linear(8, 8)
        self.decoder = torch.nn.Linear(8, 11)
        self.decoder.weight = self.word_embeddings.weight
        self.register_buffer("position_ids", torch.arange(16).expand((1, -1)))


m = TinyBert()
hf = m.state_dict()
assert hasattr(hf, "_metadata")
good("hf_state_dict", hf)

# shared storages: tied names, and disjoint views at offsets into one storage
base = torch.randn(10, 4)
shared = collections.OrderedDict()
shared["emb.weight"] = base
shared["lm_head.weight"] = base           # tied: the same bytes under two names
qkv = torch.randn(3 * 6, 5)
q, k, v = qkv.split(6)                     # contiguous views at offsets 0, 30, 60
shared["attn.q"] = q
shared["attn.k"] = k
shared["attn.v"] = v
flat = torch.randn(40)
shared["part.a"] = flat[3:11].view(2, 4)
shared["part.b"] = flat[20:32].view(3, 4)
good("shared", shared)

# nn.Parameter values go through torch._utils._rebuild_parameter
params = collections.OrderedDict(w=torch.nn.Parameter(torch.randn(3, 2)),
                                 b=torch.nn.Parameter(torch.randn(2).half(), requires_grad=False))
good("parameters", params)

# a plain dict (no OrderedDict) and unicode names
good("plain_dict", {"caf\u00e9.w": torch.randn(2, 2), "z": torch.randn(1)})

# a state_dict large enough for many read chunks and a storage bigger than its tensors
big = collections.OrderedDict(big=torch.randn(300, 70), tail=torch.randn(33).half())
good("big", big)


# ---- hand-made zips ------------------------------------------------------------------------
def S(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def I(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -2**31 <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    nb = (n.bit_length() + 8) // 8
    return b"\x8a" + bytes([nb]) + n.to_bytes(nb, "little", signed=True)


def T(items):
    return b"(" + b"".join(I(x) for x in items) + b"t"


ODICT = b"ccollections\nOrderedDict\n)R"


def tensor(cls, key, numel, offset, shape, stride, nargs=6):
    pid = b"(" + S("storage") + b"ctorch\n" + cls.encode() + b"\n" + S(key) + S("cpu") + I(numel) + b"tQ"
    args = pid + I(offset) + T(shape) + T(stride) + b"\x89" + ODICT
    if nargs == 7:
        args += b"N"
    return b"ctorch._utils\n_rebuild_tensor_v2\n(" + args + b"tR"


def state_dict(entries):
    return b"\x80\x02" + ODICT + b"(" + b"".join(S(k) + v for k, v in entries) + b"u."


def make_zip(pkl, storages, archive="archive", zip64=False, method=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    limit = zipfile.ZIP64_LIMIT
    if zip64:
        zipfile.ZIP64_LIMIT = 1      # every record in its ZIP64 form, as torch.save above 4 GB
    try:
        with zipfile.ZipFile(buf, "w", compression=method) as z:
            z.writestr(archive + "/data.pkl", pkl)
            for key, data in storages.items():
                z.writestr(archive + "/data/" + key, data)
            z.writestr(archive + "/version", b"3\n")
    finally:
        zipfile.ZIP64_LIMIT = limit
    return buf.getvalue()


f32 = struct.pack("<12f", *[i * 0.5 - 2 for i in range(12)])
ok_pkl = state_dict([("a", tensor("FloatStorage", "0", 12, 0, (2, 4), (4, 1))),
                     ("b", tensor("FloatStorage", "0", 12, 8, (2, 2), (2, 1)))])
good("handmade", raw=make_zip(ok_pkl, {"0": f32}))
good("handmade_zip64", raw=make_zip(ok_pkl, {"0": f32}, zip64=True))
good("handmade_stack_global", raw=make_zip(
    b"\x80\x04" + S("collections") + S("OrderedDict") + b"\x93\x94)R\x94(" + S("x") +
    tensor("FloatStorage", "0", 12, 0, (12,), (1,)) + b"u.", {"0": f32}), weights_only=False)


def legal_file(entries, storages, **kw):
    return make_zip(state_dict(entries), storages, **kw)


# ---- refused: code execution ---------------------------------------------------------------
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


bad("os_system", make_zip(pickle.dumps({"w": Evil()}, protocol=2), {}), 'global "posix.system" is not allowed')
bad("os_system_global", make_zip(b"\x80\x02cos\nsystem\n" + S("echo pwned") + b"\x85R.", {}),
    'global "os.system" is not allowed')
bad("builtins_eval", make_zip(b"\x80\x02cbuiltins\neval\n" + S("1+1") + b"\x85R.", {}),
    'global "builtins.eval" is not allowed')
bad("posix_system_stack_global", make_zip(b"\x80\x04" + S("posix") + S("system") + b"\x93" + S("id") + b"\x85R.", {}),
    'global "posix.system" is not allowed')
bad("torch_load_nested", make_zip(b"\x80\x02ctorch\nload\n" + S("x") + b"\x85R.", {}),
    'global "torch.load" is not allowed')
bad("reduce_storage_class", make_zip(b"\x80\x02ctorch\nFloatStorage\n" + I(3) + b"\x85R.", {}),
    "REDUCE of a storage class is not allowed")
bad("reduce_string", make_zip(b"\x80\x02" + S("os.system") + b")R.", {}), "REDUCE of a str is not allowed")
bad("inst_opcode", make_zip(b"\x80\x02(ios\nsystem\n.", {}), "opcode 0x69 ('i') is not allowed")
bad("obj_opcode", make_zip(b"\x80\x02(ccollections\nOrderedDict\no.", {}), "opcode 0x6f ('o') is not allowed")
bad("build_on_tensor", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (12,), (1,)) + b"}b")], {"0": f32}),
    "BUILD of something other than a dict")
bad("not_a_dict", make_zip(b"\x80\x02]" + S("x") + b"a.", {}), "not a state_dict")
bad("non_tensor_value", legal_file([("a", I(5))], {}), 'entry "a" is a int, not a tensor')

# ---- refused: malformed pickles --------------------------------------------------------------
bad("memo_get_unset", make_zip(b"\x80\x02h\x05.", {}), "memo GET of an index never PUT")
bad("stack_underflow", make_zip(b"\x80\x02R.", {}), "stack underflow")
bad("no_stop", make_zip(b"\x80\x02" + ODICT, {}), "ends without STOP")
bad("huge_binunicode", make_zip(b"\x80\x02X\xff\xff\xff\xff", {}), "string runs past the end")
bad("huge_memo_index", make_zip(b"\x80\x02)r\xff\xff\xff\xff.", {}), "memo index beyond the limit")
bad("deep_marks", make_zip(b"\x80\x02" + b"(" * 100000 + b".", {}), "MARKs nest deeper than the limit")
bad("long_too_wide", make_zip(b"\x80\x02\x8a\x09" + b"\x01" * 9 + b".", {}), "integer wider than 64 bits")
bad("protocol_0", make_zip(b"\x80\x00.", {}), "pickle protocol is not 2 to 5")
bad("duplicate_names", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (4,), (1,))),
                                   ("a", tensor("FloatStorage", "0", 12, 4, (4,), (1,)))], {"0": f32}),
    'names tensor "a" twice')
bad("bad_persistent_id", make_zip(b"\x80\x02(" + S("module") + b"tQ.", {}),
    "persistent id is not ('storage', type, key, location, numel)")

# ---- refused: tensors that do not fit their storage ----------------------------------------
bad("absurd_numel", legal_file([("a", tensor("FloatStorage", "0", 10**15, 0, (10**15,), (1,)))], {"0": f32}),
    "does not match its 48 bytes")
bad("absurd_shape", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (2**40, 2**40, 2**40), (2**80 % 2**62, 2**40, 1)))],
                               {"0": f32}), "more elements than its storage")
bad("offset_past_storage", legal_file([("a", tensor("FloatStorage", "0", 12, 10, (4,), (1,)))], {"0": f32}),
    "runs past its storage")
bad("huge_offset", legal_file([("a", tensor("FloatStorage", "0", 12, 2**62, (4,), (1,)))], {"0": f32}),
    "runs past its storage")
bad("negative_dim", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (-4,), (1,)))], {"0": f32}),
    "holds something other than a non-negative int")
bad("missing_storage", legal_file([("a", tensor("FloatStorage", "7", 12, 0, (4,), (1,)))], {"0": f32}),
    'names storage "7", which the archive lacks')
bad("storage_dtype_clash", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (4,), (1,))),
                                       ("b", tensor("HalfStorage", "0", 24, 0, (4,), (1,)))], {"0": f32}),
    "one storage key is given two dtypes or sizes")
bad("overlapping_views", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (8,), (1,))),
                                     ("b", tensor("FloatStorage", "0", 12, 4, (8,), (1,)))], {"0": f32}),
    "view overlapping parts of one storage")
# integer tensors are not loaded: how they overlap does not matter
i64 = struct.pack("<6q", *range(6))
good("overlapping_int_views", raw=make_zip(
    state_dict([("a", tensor("FloatStorage", "0", 12, 0, (12,), (1,))),
                ("ids", tensor("LongStorage", "1", 6, 0, (1, 6), (6, 1))),
                ("ids_tail", tensor("LongStorage", "1", 6, 2, (4,), (1,)))]), {"0": f32, "1": i64}))
bad("non_contiguous", legal_file([("a", tensor("FloatStorage", "0", 12, 0, (4, 3), (1, 4)))], {"0": f32}),
    "is not contiguous")
nc = collections.OrderedDict(wt=torch.randn(3, 5).t())
buf = io.BytesIO()
torch.save(nc, buf)
bad("non_contiguous_torch", buf.getvalue(), 'tensor "wt" is not contiguous')

# ---- refused: broken containers ------------------------------------------------------------
with open(os.path.join(GOOD, "f32.pt"), "rb") as f:
    real = f.read()
bad("truncated_half", real[:len(real) // 2], "no zip end-of-central-directory record")
bad("truncated_tail", real[:-1], "no zip end-of-central-directory record")
bad("truncated_header", real[:3], "not a PyTorch checkpoint")
bad("empty", b"", "not a PyTorch checkpoint")
# torch.save always writes the ZIP64 end records, which take precedence over the 32-bit ones
eocd64 = real.rfind(b"PK\x06\x06")
cd_off = struct.unpack_from("<Q", real, eocd64 + 48)[0]
c64 = bytearray(real)
struct.pack_into("<Q", c64, eocd64 + 48, len(real) + 1000)
bad("cdir_offset_past_end", bytes(c64), "central directory")
small = make_zip(ok_pkl, {"0": f32})           # 32-bit records only
eocd = small.rfind(b"PK\x05\x06")
c32 = bytearray(small)
struct.pack_into("<I", c32, eocd + 16, len(small) + 1000)
bad("cdir_offset_past_end_32", bytes(c32), "central directory")
loc = bytearray(real)
struct.pack_into("<Q", loc, real.rfind(b"PK\x06\x07") + 8, 2**63)
bad("zip64_locator_past_end", bytes(loc), "ZIP64 end record offset")
lho = bytearray(real)
struct.pack_into("<I", lho, cd_off + 42, 0x7fffffff)
bad("local_header_offset_past_end", bytes(lho), "outside the archive")
ent = bytearray(real)
struct.pack_into("<Q", ent, eocd64 + 24, 2**40)
struct.pack_into("<Q", ent, eocd64 + 32, 2**40)
bad("absurd_entry_count", bytes(ent), "exceeds the limit")
ent = bytearray(real)
struct.pack_into("<Q", ent, eocd64 + 24, 5000)
struct.pack_into("<Q", ent, eocd64 + 32, 5000)
bad("too_many_entries", bytes(ent), "cannot fit in a")
size = bytearray(real)
struct.pack_into("<I", size, cd_off + 20, 0x7ffffff0)
struct.pack_into("<I", size, cd_off + 24, 0x7ffffff0)
bad("member_size_past_end", bytes(size), "runs past the archive's members")
bad("deflated", make_zip(ok_pkl, {"0": f32}, method=zipfile.ZIP_DEFLATED), "is compressed or encrypted")
bad("no_data_pkl", make_zip(ok_pkl, {"0": f32}, archive="a").replace(b"a/data.pkl", b"a/data.pkX"),
    "has no <archive>/data.pkl")


# ---- the legacy format (torch.save before 1.6) ---------------------------------------------
def legacy(obj):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    return buf.getvalue()


good("legacy_f32", raw=legacy(sd))
good("legacy_dtypes", raw=legacy(mixed))
good("legacy_hf_state_dict", raw=legacy(hf))
good("legacy_shared", raw=legacy(shared))
good("legacy_parameters", raw=legacy(params))
leg = legacy(sd)
bad("legacy_truncated", leg[:-5], "runs past the end of the file")
bad("legacy_truncated_pickle", leg[:200], "ends")
# the prelude as torch writes it, then a pickle that would run code
prelude_end = leg.index(b".", leg.index(b"type_sizes")) + 1
bad("legacy_os_system", leg[:prelude_end] + pickle.dumps({"w": Evil()}, protocol=2),
    'global "posix.system" is not allowed')
le_at = leg.index(b"little_endianq") + len(b"little_endianq") + 1     # past BINPUT's index: NEWTRUE
assert leg[le_at] == 0x88
bad("legacy_big_endian", leg[:le_at] + b"\x89" + leg[le_at + 1:],
    "big-endian")
view = state_dict([("a", b"ctorch._utils\n_rebuild_tensor_v2\n((" + S("storage") + b"ctorch\nFloatStorage\n" +
                    S("0") + S("cpu") + I(12) + b"(" + S("1") + I(0) + I(4) + b"ttQ" + I(0) + T((4,)) + T((1,)) +
                    b"\x89" + ODICT + b"tR")])
bad("legacy_storage_view", leg[:prelude_end] + view + pickle.dumps(["0"], protocol=2) + struct.pack("<Q", 12) + f32,
    "persistent id")
print(f"torch checkpoints written to {OUT}")
