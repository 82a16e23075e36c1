"""python3 -m altup_torch EXPORT_DIR --tokens FILE [--dtype uint16|uint32|int32le] [--batch N] [--batches N] [--float64]

Evaluates an exported model on a token file and prints the result as JSON,
beside what the engine measured at export (export.json's engine_eval)."""
import argparse
import json
import sys

import torch

from . import ExportError, evaluate, load, read_tokens


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m altup_torch", description=__doc__.split("\n\n")[1])
    ap.add_argument("export_dir")
    ap.add_argument("--tokens", required=True, help="token file (nanoGPT-style .bin, or the engine's cache valid.bin)")
    ap.add_argument("--dtype", default="uint16", help="uint16 | uint32 (nanoGPT-style) | int32le (the engine's token cache)")
    ap.add_argument("--batch", type=int, default=None, help="windows per batch (default: the trial's eval.batch)")
    ap.add_argument("--batches", type=int, default=None, help="at most this many batches, 0 = all (default: the trial's eval.batches)")
    ap.add_argument("--float64", action="store_true", help="compute in float64 (a reference for the float32 result)")
    args = ap.parse_args(argv)
    try:
        model = load(args.export_dir, torch.float64 if args.float64 else torch.float32)
        tokens = read_tokens(args.tokens, args.dtype)
    except (ExportError, OSError) as e:
        print(f"altup_torch: {e}", file=sys.stderr)
        return 2
    engine = model.manifest.get("engine_eval", {})
    batch = args.batch if args.batch is not None else engine.get("batch", 16)
    batches = args.batches if args.batches is not None else engine.get("batches", 0)
    result = evaluate(model, tokens, batch=batch, batches=batches)
    print(json.dumps({"torch": result, "engine_eval": engine}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
