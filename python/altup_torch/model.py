"""The engine's language model, written again in PyTorch from its description
(docs/architecture.md, docs/export.md): embeddings -> N blocks (plain, AltUp,
Recycled-AltUp, Gemma 3n-style AltUp, Sequence-AltUp; dense FFN or MoE) ->
final norm -> head. Attribute names follow the engine's parameter names, so
state_dict() keys are the names in model.safetensors.

The widened representation is kept as [B, T, K, d]: block i of a token is
x[..., i, :] (the engine stores the same blocks token-major as [N, K*d])."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .files import ExportError, read_config, read_export, read_safetensors

LAYERNORM_EPS = 1e-5
RMSNORM_EPS = 1e-6
GEMMA_CLIP = 120.0


def _param(*shape):
    return nn.Parameter(torch.zeros(*shape))


def rms(x, eps=RMSNORM_EPS):
    return torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rms_match(y, ref):
    """y rescaled, row by row, to ref's RMS (Gemma 3n keeps every block at block 0's magnitude)."""
    return y * (rms(ref) / rms(y))


class Norm(nn.Module):
    def __init__(self, width, kind):
        super().__init__()
        if kind not in ("layernorm", "rmsnorm"):
            raise ExportError(f"model.norm: {kind!r}, expected layernorm or rmsnorm")
        self.kind = kind
        self.weight = _param(width)
        if kind == "layernorm":
            self.bias = _param(width)

    def forward(self, x):
        if self.kind == "layernorm":
            return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, LAYERNORM_EPS)
        return x / rms(x) * self.weight


class Weight(nn.Module):
    """A bare matrix used as y = x W^T (the engine's linear without bias)."""

    def __init__(self, rows, cols):
        super().__init__()
        self.weight = _param(rows, cols)

    def forward(self, x):
        return x @ self.weight.t()


class Attention(nn.Module):
    """Causal multi-head self-attention: softmax(q k^T / sqrt(d/H)) v, keys up to the query."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        B, T, d = x.shape
        H = self.heads
        q, k, v = (proj(x).view(B, T, H, d // H).transpose(1, 2) for proj in (self.q, self.k, self.v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // H)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        attn = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        return self.o((attn @ v).transpose(1, 2).reshape(B, T, d))


class FeedForward(nn.Module):
    def __init__(self, d, d_ff, activation):
        super().__init__()
        if activation not in ("gelu", "relu"):
            raise ExportError(f"model.activation: {activation!r}, expected gelu or relu")
        self.activation = activation
        self.w_in, self.b_in = _param(d_ff, d), _param(d_ff)
        self.w_out, self.b_out = _param(d, d_ff), _param(d)

    def forward(self, x):
        h = F.linear(x, self.w_in, self.b_in)
        h = F.gelu(h, approximate="tanh") if self.activation == "gelu" else F.relu(h)
        return F.linear(h, self.w_out, self.b_out)


class MixtureOfExperts(nn.Module):
    """Top-k routing by the softmax router's probabilities (ties to the lower
    expert), each chosen expert's output weighted by its probability. As in the
    engine's evaluation mode, no token is dropped."""

    def __init__(self, d, d_ff, activation, experts, top_k):
        super().__init__()
        self.top_k = top_k
        self.router = Weight(experts, d)
        self.experts = nn.ModuleList(FeedForward(d, d_ff, activation) for _ in range(experts))

    def forward(self, x):
        probs = torch.softmax(self.router(x), dim=-1)                     # [..., E]
        order = torch.sort(probs, dim=-1, descending=True, stable=True).indices[..., : self.top_k]
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            chosen = (order == e).any(-1)                                 # tokens routed to e
            if chosen.any():
                out[chosen] = out[chosen] + probs[chosen][:, e : e + 1] * expert(x[chosen])
        return out


class SequenceAltUp(nn.Module):
    """The layer sees the tokens at positions o, o+s, ... only; token t after a
    computed token c gets a x_t + b x_c + g (L(x)_c - x_c) (or x_t in skip mode);
    tokens before o pass through."""

    def __init__(self, stride, mode, offset):
        super().__init__()
        if mode not in ("predict_correct", "skip"):
            raise ExportError(f"model.sequence_altup.mode: {mode!r}, expected predict_correct or skip")
        self.stride, self.offset = stride, offset
        if mode == "predict_correct":
            self.coef = _param(3)
        else:
            self.coef = None

    def forward(self, x, layer):
        B, T, d = x.shape
        s, o = self.stride, self.offset
        if T % s:
            raise ValueError(f"Sequence-AltUp: a sequence of {T} tokens is not a multiple of the stride {s}")
        computed = o + s * torch.arange(T // s, device=x.device)
        xt = layer(x[:, computed])                                        # [B, T/s, d]
        t = torch.arange(T, device=x.device)
        m = torch.clamp((t - o) // s, min=0)                              # t's computed token, as an index
        xc, xtc = x[:, o + m * s], xt[:, m]
        if self.coef is None:
            mixed = x
        else:
            a, b, g = self.coef
            mixed = a * x + b * xc + g * (xtc - xc)
        y = torch.where(((t - o) % s == 0).view(1, T, 1), xtc, mixed)
        return torch.where((t < o).view(1, T, 1), x, y)


class PaperAltUp(nn.Module):
    """xhat_i = sum_j p[i][j] x_j; xtilde = L(x_j* or xhat_j*); y_i = xhat_i + g_i (xtilde - xhat_j*)."""

    def __init__(self, k, j, compute_on):
        super().__init__()
        if compute_on not in ("input", "prediction"):
            raise ExportError(f"model.altup.compute_on: {compute_on!r}, expected input or prediction")
        self.j, self.compute_on = j, compute_on
        self.predict, self.correct = _param(k, k), _param(k)

    def forward(self, x, layer):                                          # x [B, T, K, d]
        xhat = torch.einsum("ij,btjd->btid", self.predict, x)
        xtilde = layer(x[:, :, self.j] if self.compute_on == "input" else xhat[:, :, self.j])
        return xhat + self.correct.view(1, 1, -1, 1) * (xtilde - xhat[:, :, self.j]).unsqueeze(2)


class Gemma3nAltUp(nn.Module):
    """Per-token coefficients from a router m = tanh(W_r RMSNorm(x_0) / d):
    xhat = x + C(m) x, the layer on xhat_0, y_i = xhat_i + g_i (xtilde - xhat_0),
    g = 1 + W_c m' with m' the router of the layer's output; both clipped to +-120."""

    def __init__(self, k, d):
        super().__init__()
        self.k, self.d = k, d
        self.router_norm = Norm(d, "rmsnorm")
        self.router = Weight(k, d)
        self.predict_coefs, self.correct_coefs = _param(k * k, k), _param(k, k)

    def modalities(self, block):
        return torch.tanh(self.router(self.router_norm(block) / self.d))

    def forward(self, x, layer):                                          # x [B, T, K, d]
        B, T, K, d = x.shape
        coefs = torch.clamp(self.modalities(x[:, :, 0]) @ self.predict_coefs.t(), -GEMMA_CLIP, GEMMA_CLIP).view(B, T, K, K)
        xhat = x + coefs @ x
        xtilde = layer(xhat[:, :, 0])
        gains = torch.clamp(self.modalities(xtilde) @ self.correct_coefs.t(), -GEMMA_CLIP, GEMMA_CLIP) + 1.0
        return xhat + gains.unsqueeze(-1) * (xtilde - xhat[:, :, 0]).unsqueeze(2)


class Block(nn.Module):
    """One layer: pre-norm attention and FFN (or MoE) residual block, with its
    AltUp and Sequence-AltUp wrappers (named as the engine names them)."""

    def __init__(self, m, l, d, heads, d_ff, k, altup_on, gemma):
        super().__init__()
        self.norm1, self.norm2 = Norm(d, m["norm"]), Norm(d, m["norm"])
        self.attn = Attention(d, heads)
        moe = m["moe"]
        if moe["experts"] > 0 and (l + 1) % moe["every"] == 0:
            self.moe = MixtureOfExperts(d, d_ff, m["activation"], moe["experts"], moe["top_k"])
        else:
            self.ffn = FeedForward(d, d_ff, m["activation"])
        a = m["altup"]
        if gemma:
            self.altup = Gemma3nAltUp(k, d)
        elif altup_on:
            if a["selection"] not in ("alternating", "same"):
                raise ExportError(f"model.altup.selection: {a['selection']!r}, expected alternating or same")
            self.altup = PaperAltUp(k, l % k if a["selection"] == "alternating" else 0, a["compute_on"])
        sa = m["sequence_altup"]
        if sa["stride"] > 1:
            if sa["offset"] not in ("fixed", "alternating"):
                raise ExportError(f"model.sequence_altup.offset: {sa['offset']!r}, expected fixed or alternating")
            self.seq_altup = SequenceAltUp(sa["stride"], sa["mode"], l % sa["stride"] if sa["offset"] == "alternating" else 0)

    def transformer(self, x):                                             # [B, T, d] -> [B, T, d]
        h = x + self.attn(self.norm1(x))
        n = self.norm2(h)
        return h + (self.moe(n) if hasattr(self, "moe") else self.ffn(n))

    def layer(self, x):
        return self.seq_altup(x, self.transformer) if hasattr(self, "seq_altup") else self.transformer(x)

    def forward(self, x):
        return self.altup(x, self.layer) if hasattr(self, "altup") else self.layer(x)


class AltUpLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        m = config["model"]
        self.config = config
        mult = m["width_mult"]
        d, heads, d_ff = m["d_model"] * mult, m["heads"] * mult, m["d_ff"] * mult
        if d % heads:
            raise ExportError(f"model: d_model {d} is not divisible by heads {heads}")
        a = m["altup"]
        k = a["k"]
        self.d, self.k = d, k
        self.altup_on = k > 1
        self.gemma = self.altup_on and a["style"] == "gemma3n"
        self.recycled = self.altup_on and a["recycled"]
        if a["style"] not in ("paper", "gemma3n"):
            raise ExportError(f"model.altup.style: {a['style']!r}, expected paper or gemma3n")
        output = "mean" if self.gemma else a["output"]
        if output not in ("concat", "sum", "mean"):
            raise ExportError(f"model.altup.output: {output!r}, expected concat, sum or mean")
        self.concat_out = not self.altup_on or (not self.recycled and output == "concat")
        self.reduce_weight = 1.0 / k if output == "mean" else 1.0

        self.embed = nn.Module()
        self.embed.tok = _param(m["vocab"], d if (self.recycled or self.gemma or not self.altup_on) else d * k)
        self.embed.pos = _param(m["seq_len"], d)
        if self.gemma:
            self.embed.altup_proj = nn.ParameterDict({str(i): _param(d, d) for i in range(1, k)})
        self.blocks = nn.ModuleList(Block(m, l, d, heads, d_ff, k, self.altup_on, self.gemma) for l in range(m["layers"]))
        if self.gemma:
            self.altup_unembed_proj = nn.ParameterDict({str(i): _param(d, d) for i in range(1, k)})
        out_width = d * k if self.concat_out else d
        self.final_norm = Norm(out_width, m["norm"])
        self.head = Weight(m["vocab"], out_width)

    def embeddings(self, ids):
        B, T = ids.shape
        if T > self.embed.pos.shape[0]:
            raise ValueError(f"a sequence of {T} tokens exceeds model.seq_len {self.embed.pos.shape[0]}")
        pos = self.embed.pos[:T].unsqueeze(0)                             # [1, T, d]
        tok = self.embed.tok[ids]
        if not self.altup_on:
            return tok + pos
        if self.recycled:
            return (tok + pos).unsqueeze(2).expand(B, T, self.k, self.d)
        if self.gemma:
            e = tok + pos
            blocks = [e] + [rms_match(e @ self.embed.altup_proj[str(i)].t(), e) for i in range(1, self.k)]
            return torch.stack(blocks, dim=2)
        return tok.view(B, T, self.k, self.d) + pos.unsqueeze(2)

    def features(self, ids):
        """The final norm of the (reduced) representation: what the head reads."""
        x = self.embeddings(ids)
        for block in self.blocks:
            x = block(x)
        if self.altup_on:
            if self.concat_out:
                x = x.flatten(2)
            elif self.gemma:
                blocks = [x[:, :, 0]] + [rms_match(x[:, :, i] @ self.altup_unembed_proj[str(i)].t(), x[:, :, 0]) for i in range(1, self.k)]
                x = self.reduce_weight * sum(blocks)
            else:
                x = self.reduce_weight * x.sum(2)
        return self.final_norm(x)

    def forward(self, ids):
        """ids LongTensor [B, T] -> logits [B, T, vocab]."""
        return self.head(self.features(ids))


def build_model(config):
    """The architecture of a resolved config (config.json), with zero weights."""
    return AltUpLM(config)


def load(folder, dtype=torch.float32):
    """The exported model, checked (export.json, sizes, CRC-32, every parameter
    name and shape) and in evaluation mode."""
    manifest = read_export(folder)
    model = build_model(read_config(folder))
    tensors, metadata = read_safetensors(f"{folder}/model.safetensors")
    if metadata.get("trial_id") != manifest.get("trial_id"):
        raise ExportError(f"{folder}/model.safetensors: trial {metadata.get('trial_id')}, export.json says {manifest.get('trial_id')}")
    expected = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ExportError(f"{folder}/model.safetensors: does not fit config.json's model: missing {missing}, unexpected {extra}")
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != shape:
            raise ExportError(f"{folder}/model.safetensors: {name} has shape {tuple(tensors[name].shape)}, the config's model expects {shape}")
    model.load_state_dict({name: torch.from_numpy(t) for name, t in tensors.items()}, strict=True)
    model.manifest = manifest
    return model.to(dtype).eval()
