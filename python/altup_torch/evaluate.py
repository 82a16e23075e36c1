"""The engine's held-out evaluation (experiments/trainer/evaluate.cpp): window w
covers tokens [w*seq_len, w*seq_len + seq_len]; inputs are its first seq_len
tokens, targets its last; at most `batches` batches of `batch` windows (0 = all).
Loss is the mean next-token cross-entropy over every target, accuracy the share
of targets that are the logits' first maximum."""
import torch
import torch.nn.functional as F


def eval_windows(tokens, seq_len, batch=16, batches=0):
    """The (inputs, targets) batches, as LongTensors [b, seq_len]."""
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    windows = (len(tokens) - 1) // seq_len if len(tokens) >= seq_len + 1 else 0
    if windows == 0:
        raise ValueError(f"the split has {len(tokens)} tokens, fewer than one window of seq_len+1 = {seq_len + 1}")
    budget = min(windows, batches * batch) if batches > 0 else windows
    for first in range(0, budget, batch):
        count = min(batch, budget - first)
        starts = (torch.arange(first, first + count) * seq_len).unsqueeze(1) + torch.arange(seq_len + 1)
        w = tokens[starts]
        yield w[:, :-1], w[:, 1:]


@torch.no_grad()
def evaluate(model, tokens, seq_len=None, batch=16, batches=0):
    """{"loss", "perplexity", "token_accuracy", "tokens"} of `model` on a token stream."""
    seq_len = seq_len or model.config["model"]["seq_len"]
    loss_sum, correct, count = 0.0, 0, 0
    for inputs, targets in eval_windows(tokens, seq_len, batch, batches):
        logits = model(inputs)
        n = targets.numel()
        loss_sum += float(F.cross_entropy(logits.reshape(n, -1), targets.reshape(n))) * n
        correct += int((logits.argmax(-1) == targets).sum())
        count += n
    loss = loss_sum / count
    return {"loss": loss, "perplexity": float(torch.exp(torch.tensor(loss, dtype=torch.float64))),
            "token_accuracy": correct / count, "tokens": count}
