#!/usr/bin/python3
"""`altup export` read by python/altup_torch (docs/export.md).

  export_torch_test.py ALTUP REPO refusals   what export and the loader refuse (no torch needed)
  export_torch_test.py ALTUP REPO torch      every variant, trained briefly by the engine, exported and
                                             evaluated in PyTorch: the loss the engine wrote in result.json
                                             is reproduced (exit 77 = skipped without python3-torch)

Trials are tiny (d 16-32, 2 layers, 40 steps) on a synthetic token stream
written here, so the engine's numbers are its own and the reference is
PyTorch's, computed from the exported files alone."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

altup, repo, part = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
sys.path.insert(0, str(repo / "python"))
if part == "torch":
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: PyTorch is not installed for /usr/bin/python3 (apt-get install python3-torch)")
        sys.exit(77)

work = pathlib.Path(tempfile.mkdtemp(prefix="altup-export-"))
VOCAB, SEQ = 64, 16


def write_tokens(folder):
    """A Markov chain over VOCAB ids (each id has 4 likely successors), so training has something to learn."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    succ = rng.integers(0, VOCAB, size=(VOCAB, 4))
    for name, n in (("train.bin", 20000), ("val.bin", 3000)):
        ids = np.empty(n, dtype=np.uint16)
        ids[0] = 0
        for i in range(1, n):
            ids[i] = succ[ids[i - 1], rng.integers(0, 4)] if rng.random() < 0.9 else rng.integers(0, VOCAB)
        ids.tofile(folder / name)


def config_text(name, model_extra, data):
    return f"""name: {name}
seed: 3
model:
  preset: tiny
  vocab: {VOCAB}
  seq_len: {SEQ}
  d_model: 32
  heads: 2
  d_ff: 64
  layers: 2
{model_extra}
data:
{data}
train:
  steps: 40
  batch: 8
  lr: 1.0e-2
  warmup: 5
  checkpoint_every: 20
eval:
  every: 20
  batches: 6
  batch: 8
"""


def indent(block):
    return "\n".join("  " + line for line in block.strip().splitlines()) if block.strip() else ""


def train(name, model_yaml, data_yaml, extra_args=()):
    cfg = work / f"{name}.yaml"
    cfg.write_text(config_text(name, indent(model_yaml), indent(data_yaml)))
    run = work / "runs" / name
    p = subprocess.run([altup, "train", str(cfg), "--run-dir", str(run), "--quiet", *extra_args],
                       capture_output=True, text=True)
    assert p.returncode == 0, (name, p.returncode, p.stderr)
    return run


def export(run, out, expect=0):
    p = subprocess.run([altup, "export", str(run), str(out), "--quiet"], capture_output=True, text=True)
    assert p.returncode == expect, (str(run), p.returncode, p.stdout, p.stderr)
    return p.stderr


TOKENS = work / "tokens"
TOKEN_DATA = f"corpus: tokens\npath: {TOKENS}\ntoken_dtype: uint16"
write_tokens(TOKENS)

try:
    if part == "refusals":
        run = train("base", "", TOKEN_DATA)
        out = work / "out"
        export(run, out)
        manifest = json.loads((out / "export.json").read_text())
        assert sorted(manifest["files"]) == ["config.json", "model.safetensors"], manifest["files"]  # token files: no tokenizer
        result = json.loads((run / "result.json").read_text())
        assert manifest["trial_id"] == result["trial_id"] and manifest["step"] == 40
        assert manifest["engine_eval"]["loss"] == result["quality"]["eval_loss"]
        # The recorded CRC-32 is the file's (zlib's, as any reader computes it).
        import zlib
        assert manifest["files"]["config.json"]["crc32"] == "%08x" % zlib.crc32((out / "config.json").read_bytes())

        # "OUT_DIR/" names the same folder; nothing is left beside it.
        export(run, str(work / "slash") + "/")
        assert (work / "slash" / "export.json").is_file()
        assert not [p for p in work.iterdir() if ".partial." in p.name], list(work.iterdir())
        # An export is never written over other files.
        err = export(run, out, expect=2)
        assert "exists and is not empty" in err, err
        # A trial that did not complete is not a model to export; its result file is checked first.
        r = json.loads((run / "result.json").read_text())
        r["status"] = "running"
        (run / "result.json").write_text(json.dumps(r))
        err = export(run, work / "out2", expect=2)
        assert "is running, not completed" in err, err
        (run / "result.json").write_text("{ torn")
        err = export(run, work / "out2", expect=2)
        assert "result.json" in err, err
        assert not (work / "out2").exists()
        # Weights that are not this trial's: another trial's checkpoint copied in.
        other = train("other", "altup:\n  k: 1\nnorm: rmsnorm", TOKEN_DATA)
        (run / "result.json").write_text(json.dumps(result))
        shutil.copy(other / "ckpt.safetensors", run / "ckpt.safetensors")
        err = export(run, work / "out2", expect=2)
        assert "belongs to trial" in err, err
        (run / "ckpt.safetensors").unlink()
        err = export(run, work / "out2", expect=2)
        assert "ckpt.safetensors: missing" in err, err
        # A folder that is no trial is named.
        err = export(work / "nowhere", work / "out2", expect=2)
        assert "no such trial folder" in err, err

        # The loader checks each file against export.json before it trusts it.
        sys.path.insert(0, str(repo / "python"))
        from altup_torch.files import ExportError, read_export
        data = bytearray((out / "model.safetensors").read_bytes())
        data[-3] ^= 0x10
        (out / "model.safetensors").write_bytes(bytes(data))
        try:
            read_export(out)
            raise AssertionError("a flipped bit in model.safetensors was not caught")
        except ExportError as e:
            assert "CRC-32" in str(e), e
        (out / "model.safetensors").write_bytes(bytes(data[:-4]))
        try:
            read_export(out)
            raise AssertionError("a truncated model.safetensors was not caught")
        except ExportError as e:
            assert "bytes" in str(e), e
        print("ok: refusals")

    elif part == "torch":
        import altup_torch
        import torch
        variants = {
            "baseline": "",
            "altup-k2": "altup:\n  k: 2",
            "altup-k2-sum-prediction-same": "altup:\n  k: 2\n  output: sum\n  compute_on: prediction\n  selection: same",
            "altup-k4-mean": "altup:\n  k: 4\n  output: mean",
            "recycled-k2": "altup:\n  k: 2\n  recycled: true\n  output: sum",
            "gemma3n-k2": "altup:\n  k: 2\n  style: gemma3n",
            "seq-s2-alternating": "sequence_altup:\n  stride: 2\n  offset: alternating",
            "seq-s4-skip-fixed": "sequence_altup:\n  stride: 4\n  mode: skip",
            "moe-e4-top2": "moe:\n  experts: 4\n  top_k: 2\n  every: 1",
            "altup-k2-moe-e2": "altup:\n  k: 2\nmoe:\n  experts: 2",
            "dense-2x-rmsnorm-relu": "width_mult: 2\nnorm: rmsnorm\nactivation: relu",
        }
        val = altup_torch.read_tokens(str(TOKENS / "val.bin"), "uint16")
        worst = 0.0
        for name, model_yaml in variants.items():
            run = train(name, model_yaml, TOKEN_DATA)
            out = work / "exports" / name
            export(run, out)
            result = json.loads((run / "result.json").read_text())
            model = altup_torch.load(str(out))
            got = altup_torch.evaluate(model, val, batch=8, batches=6)
            want_loss, want_acc = result["quality"]["eval_loss"], result["quality"]["token_accuracy"]
            assert got["tokens"] == 6 * 8 * SEQ, got
            # f32 both sides, other summation orders: agreement to about 1e-7 here (1e-6 allowed), far below
            # what any difference of computation (a missing term, a wrong block) would leave.
            assert abs(got["loss"] - want_loss) <= 1e-6 * want_loss, (name, got["loss"], want_loss)
            # Argmax ties aside, the same predictions (at most one token of 768 may flip).
            assert abs(got["token_accuracy"] - want_acc) * got["tokens"] <= 1.0 + 1e-9, (name, got["token_accuracy"], want_acc)
            # The model is trained, not at its initialisation: the loss is well below uniform.
            assert want_loss < 0.8 * np.log(VOCAB), (name, want_loss)
            worst = max(worst, abs(got["loss"] - want_loss) / want_loss)
            print(f"ok: {name}: engine {want_loss:.7f}, torch {got['loss']:.7f}")

        # A SentencePiece trial: the tokenizer travels with the export, and the engine's cached
        # validation tokens (int32) give its loss back.
        corpus = work / "corpus.txt"
        subprocess.run([sys.executable, str(repo / "tests/support/make_text_corpus.py"), str(corpus), "80"], check=True)
        cache = work / "cache"
        run = train("text", "", f"corpus: text\npath: {corpus}\ncache_dir: {cache}\ntokenizer: sentencepiece",
                    ("--set", "model.vocab=40"))  # what this small text can make
        out = work / "exports" / "text"
        export(run, out)
        manifest = json.loads((out / "export.json").read_text())
        assert "tokenizer.model" in manifest["files"], manifest["files"]
        (valid,) = list(cache.glob("tokens-*/valid.bin"))
        model = altup_torch.load(str(out))
        got = altup_torch.evaluate(model, altup_torch.read_tokens(str(valid), "int32le"), batch=8, batches=6)
        want = json.loads((run / "result.json").read_text())["quality"]["eval_loss"]
        assert abs(got["loss"] - want) <= 1e-6 * want, (got["loss"], want)
        print(f"ok: text corpus with its tokenizer: engine {want:.7f}, torch {got['loss']:.7f}; worst relative gap {worst:.2e}")
    else:
        sys.exit(f"unknown part {part!r}")
finally:
    shutil.rmtree(work, ignore_errors=True)
