#!/usr/bin/env python3
"""The same random-weight encoders saved as safetensors and with the real torch.save, for
sql/41_torch_models.sql (written by test/checks/41_torch_checkpoint.sh).

    make_torch_models.py OUT_DIR

OUT_DIR/<model>_safetensors/  config.json, model.safetensors, vocab.txt or tokenizer.json
OUT_DIR/<model>_torch/        the same, with pytorch_model.bin = torch.save(model.state_dict())
OUT_DIR/<model>_legacy/       the same in torch.save's legacy (pre-1.6) format
OUT_DIR/<model>_both/         both weights files, pytorch_model.bin unreadable: safetensors wins
OUT_DIR/nt_v2.bin             a bare torch.save state_dict; nt_v2.bin.sha256 what sha256sum prints
OUT_DIR/evil/                 config.json and a pytorch_model.bin whose pickle would run os.system
Models and weights come from make_encoder_fixtures.py (real tensor names and config.json keys).
"""
import hashlib
import io
import json
import os
import pickle
import shutil
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import encoders  # noqa: E402
import make_encoder_fixtures as mef  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write_dir(path, config, name, weights):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    if name in mef.BPE_TOKENIZERS:
        shutil.copy(os.path.join(mef.TOKENIZER_FIXTURES, mef.BPE_TOKENIZERS[name]),
                    os.path.join(path, "tokenizer.json"))
    else:
        with open(os.path.join(path, "vocab.txt"), "w") as f:
            f.write("\n".join(mef.NT_VOCAB) + "\n")
    weights(path)


for seed, name in enumerate(("nt_v2", "grover"), start=4100):
    config = mef.MODELS[name]
    model = encoders.build(config).eval()
    mef.randomize(model, seed)
    sd = model.state_dict()           # an OrderedDict with _metadata, as save_pretrained writes
    write_dir(os.path.join(out, name + "_safetensors"), config, name,
              lambda p: mef.write_safetensors(os.path.join(p, "model.safetensors"), sd))
    write_dir(os.path.join(out, name + "_torch"), config, name,
              lambda p: torch.save(sd, os.path.join(p, "pytorch_model.bin")))
    write_dir(os.path.join(out, name + "_legacy"), config, name,
              lambda p: torch.save(sd, os.path.join(p, "pytorch_model.bin"), _use_new_zipfile_serialization=False))

    def both(p):
        mef.write_safetensors(os.path.join(p, "model.safetensors"), sd)
        with open(os.path.join(p, "pytorch_model.bin"), "wb") as f:
            f.write(b"not read")
    write_dir(os.path.join(out, name + "_both"), config, name, both)
    if name == "nt_v2":
        bare = os.path.join(out, "nt_v2.bin")
        torch.save(sd, bare)
        with open(bare, "rb") as f, open(bare + ".sha256", "w") as g:
            g.write(hashlib.sha256(f.read()).hexdigest() + "\n")


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/varformer_pwned",))


def evil(p):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": Evil()}, protocol=2))
        z.writestr("archive/version", b"3\n")
    with open(os.path.join(p, "pytorch_model.bin"), "wb") as f:
        f.write(buf.getvalue())


write_dir(os.path.join(out, "evil"), mef.MODELS["nt_v2"], "nt_v2", evil)
print(f"torch models written to {out}")
