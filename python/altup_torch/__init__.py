"""altup_torch: run a model that `altup export` wrote, in PyTorch.

    import altup_torch
    model = altup_torch.load("exports/my-model")           # checks export.json, builds the model, loads the weights
    logits = model(ids)                                      # ids: LongTensor [B, T] -> [B, T, vocab]
    result = altup_torch.evaluate(model, tokens, batches=100)  # the engine's evaluation windows

The model is an ordinary torch.nn.Module whose state_dict keys are the
engine's parameter names (docs/export.md), so it can be fine-tuned or
inspected like any other. It computes what the engine computes in evaluation
mode (MoE layers drop no token); training-time MoE capacity limits are not
reproduced.
"""
from .files import ExportError, read_export, read_tokens

try:
    from .model import AltUpLM, build_model, load
    from .evaluate import evaluate, eval_windows
except ModuleNotFoundError as e:  # the file checks above work without PyTorch; the model needs it
    if e.name != "torch":
        raise

    def _needs_torch(*_args, **_kwargs):
        raise ImportError("altup_torch: the model needs PyTorch (Debian: apt-get install python3-torch)")

    AltUpLM = build_model = load = evaluate = eval_windows = _needs_torch

__all__ = ["ExportError", "read_export", "read_tokens", "AltUpLM", "build_model", "load", "evaluate", "eval_windows"]
