#!/usr/bin/env python3
"""The canonical configs of bench/train_step in PyTorch (Debian's python3-torch),
trained the same way (random tokens, forward + backward + clip + AdamW), and a
--compare mode that runs both side by side and prints the ratio.

PyTorch is set up well, as the performance issue requires: Debian's OpenMP
OpenBLAS (LD_LIBRARY_PATH to openblas-openmp, one thread pool with torch),
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (the script sets the first itself,
below), torch.set_num_threads(threads), and glibc kept from
returning large buffers every step (MALLOC_MMAP_MAX_=0,
MALLOC_TRIM_THRESHOLD_=1e11). The script re-executes itself once with that
environment.

OpenBLAS picks its kernels ("core") from the CPU it detects. Debian's 0.3.21
does not know every CPU: on the Intel Xeon 5th gen it falls back to SSE3
kernels ("Prescott") and PyTorch runs about 3x slower than it can. So after
importing torch the script asks the loaded OpenBLAS which core it picked
(openblas_get_corename); when that core is weaker than what /proc/cpuinfo's
flags offer (AVX-512, AVX-512 BF16), it re-executes itself once more with
OPENBLAS_CORETYPE set to the matching core (SkylakeX, Cooperlake) before
torch is imported. The header line names the core that ran.

  /usr/bin/python3 bench/torch_reference.py [--preset small] [--batch 16] [--steps 10] [--threads 2]
  /usr/bin/python3 bench/torch_reference.py --compare build/bench/bench_train_step [--bf16] [--rounds 3]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
PRESETS = {"tiny": (128, 2), "small": (256, 4), "base": (384, 6), "large": (512, 8)}
CONFIGS = ["baseline", "dense-2x", "altup-k2", "altup-k4", "recycled-k2", "moe-e4", "altup-k2+moe-e4"]


# OpenBLAS cores by the x86 instruction set their kernels need, weakest first
# (lower-case, as openblas_get_corename spells them in 0.3.21), and the core
# to ask for when the CPU's flags include all of a level's features.
CORE_LEVELS = [
    ({"katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington", "nehalem", "atom",
      "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "nano", "unknown"}, None, set()),
    ({"sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"}, "Sandybridge", {"avx"}),
    ({"haswell", "zen"}, "Haswell", {"avx2", "fma"}),
    ({"skylakex"}, "SkylakeX", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"}),
    ({"cooperlake", "sapphirerapids"}, "Cooperlake", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd",
                                                      "avx512_bf16"}),
]


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The first processor's flags in /proc/cpuinfo (an empty set where there are none)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return set(value.split())
    except OSError:
        pass
    return set()


def core_level(corename):
    """The index in CORE_LEVELS of an OpenBLAS core name (0 for an unknown one)."""
    name = corename.strip().lower()
    return next((i for i, (names, _, _) in enumerate(CORE_LEVELS) if name in names), 0)


def best_core(flags):
    """(level, OPENBLAS_CORETYPE value) of the strongest core whose features the CPU has."""
    best = (0, None)
    for i, (_, coretype, needs) in enumerate(CORE_LEVELS):
        if coretype and needs <= flags:
            best = (i, coretype)
    return best


def loaded_openblas_core():
    """The core the OpenBLAS loaded into this process runs (torch imported first), or None."""
    import ctypes
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "/" in line and ("openblas" in line or "libblas" in line)})
    for lib in libs:
        try:
            get = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        return get().decode()
    return None


def ensure_openblas_core():
    """With torch imported: re-executes the script with OPENBLAS_CORETYPE set when
    OpenBLAS detected a weaker core than the CPU's flags offer. Returns a line
    saying which core runs, and why."""
    import torch  # noqa: F401  (loads OpenBLAS)
    core = loaded_openblas_core()
    if core is None:
        return "OpenBLAS core: unknown (no OpenBLAS loaded)"
    detected = os.environ.get("ALTUP_OPENBLAS_DETECTED")
    if detected:
        return f"OpenBLAS core: {core} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; it detected {detected})"
    level, coretype = best_core(cpu_flags())
    if core_level(core) < level:
        env = dict(os.environ, OPENBLAS_CORETYPE=coretype, ALTUP_OPENBLAS_DETECTED=core)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    return f"OpenBLAS core: {core} (detected)"


def ensure_environment(threads):
    if os.environ.get("ALTUP_TORCH_ENV") == "1":
        return
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("ALTUP_OPENBLAS_DETECTED", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["LD_LIBRARY_PATH"] = OPENBLAS_OPENMP + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["MALLOC_MMAP_MAX_"] = "0"
    env["MALLOC_TRIM_THRESHOLD_"] = "100000000000"
    env["OMP_NUM_THREADS"] = str(threads)
    env["ALTUP_TORCH_ENV"] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def model_config(name, preset):
    d, layers = PRESETS[preset]
    cfg = dict(vocab=8192, d=d, layers=layers, heads=d // 64, d_ff=4 * d, seq=128, k=1, recycled=False, experts=0)
    if name == "dense-2x":
        cfg.update(d=2 * d, heads=2 * (d // 64), d_ff=8 * d)
    if name.startswith("altup-k2"):
        cfg["k"] = 2
    if name == "altup-k4":
        cfg["k"] = 4
    if name == "recycled-k2":
        cfg.update(k=2, recycled=True)
    if "moe-e4" in name:
        cfg["experts"] = 4
    return cfg


def build(cfg):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    d, K, V, H = cfg["d"], cfg["k"], cfg["vocab"], cfg["heads"]

    class FFN(nn.Module):
        def __init__(self):
            super().__init__()
            self.w_in, self.w_out = nn.Linear(d, cfg["d_ff"]), nn.Linear(cfg["d_ff"], d)

        def forward(self, x):
            return self.w_out(F.gelu(self.w_in(x), approximate="tanh"))

    class MoE(nn.Module):  # top-1, capacity 1.25, Switch aux loss, as layers/moe.cpp
        def __init__(self):
            super().__init__()
            self.router = nn.Linear(d, cfg["experts"], bias=False)
            self.experts = nn.ModuleList(FFN() for _ in range(cfg["experts"]))

        def forward(self, x):
            n, E = x.shape[0], cfg["experts"]
            probs = F.softmax(self.router(x), dim=-1)
            top = probs.argmax(dim=-1)
            capacity = math.ceil(1.25 * n / E)
            out = torch.zeros_like(x)
            for e in range(E):
                rows = (top == e).nonzero(as_tuple=True)[0][:capacity]
                if rows.numel():
                    out.index_add_(0, rows, self.experts[e](x[rows]) * probs[rows, e:e + 1])
            f = torch.bincount(top, minlength=E).float() / n
            return out, E * (f * probs.mean(0)).sum()

    class Block(nn.Module):
        def __init__(self, moe):
            super().__init__()
            self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ffn = MoE() if moe else FFN()

        def forward(self, x, B, T):
            q, k, v = self.qkv(self.n1(x)).view(B, T, 3, H, d // H).permute(2, 0, 3, 1, 4)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(d // H)
            s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
            h = x + self.o((F.softmax(s, -1) @ v).transpose(1, 2).reshape(B * T, d))
            f = self.ffn(self.n2(h))
            if isinstance(f, tuple):
                return h + f[0], f[1]
            return h + f, None

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, d if cfg["recycled"] else K * d)
            self.pos = nn.Embedding(cfg["seq"], d)
            self.blocks = nn.ModuleList(Block(cfg["experts"] > 0 and (l + 1) % 2 == 0) for l in range(cfg["layers"]))
            if K > 1:  # AltUp predict (K x K) and correct (K) per layer, p = I, g = 1
                self.p = nn.Parameter(torch.eye(K).repeat(cfg["layers"], 1, 1))
                self.g = nn.Parameter(torch.ones(cfg["layers"], K))
            w = d if (cfg["recycled"] or K == 1) else K * d
            self.norm, self.head = nn.LayerNorm(w), nn.Linear(w, V, bias=False)

        def forward(self, ids, targets, B, T):
            pos = self.pos(torch.arange(T).repeat(B))
            if K == 1:
                x = self.tok(ids) + pos
            elif cfg["recycled"]:
                x = (self.tok(ids) + pos).unsqueeze(1).expand(-1, K, -1).contiguous()
            else:
                x = self.tok(ids).view(-1, K, d) + pos.unsqueeze(1)
            aux = 0.0
            for l, blk in enumerate(self.blocks):
                if K == 1:
                    x, a = blk(x, B, T)
                else:
                    j = l % K
                    xhat = torch.einsum("ij,njd->nid", self.p[l], x)
                    xt, a = blk(x[:, j], B, T)
                    x = xhat + self.g[l].view(1, K, 1) * (xt - xhat[:, j]).unsqueeze(1)
                if a is not None:
                    aux = aux + a
            h = x if K == 1 else (x.sum(1) if cfg["recycled"] else x.reshape(-1, K * d))
            loss = F.cross_entropy(self.head(self.norm(h)), targets)
            return loss + 0.01 * aux

    return LM()


def time_torch(name, args):
    """Median/p10/p90 ms of a full training step of config `name` in PyTorch."""
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = model_config(name, args.preset)
    model = build(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    B, T = args.batch, cfg["seq"]
    ids = torch.randint(0, cfg["vocab"], (B * T,))
    targets = torch.randint(0, cfg["vocab"], (B * T,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(ids, targets, B, T)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    q = lambda p: times[int(p * (len(times) - 1))]
    return {"config": name, "ms_per_step": statistics.median(times), "p10": q(0.1), "p90": q(0.9),
            "tokens_per_s": B * T / (statistics.median(times) / 1000)}


def time_ours(args, name, dtype):
    out = subprocess.run([args.compare, "--preset", args.preset, "--batch", str(args.batch), "--steps", str(args.steps),
                          "--only", name, "--dtype", dtype, "--json"], check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS=str(args.threads))).stdout
    return json.loads(out)[0]


def spread(values, fmt):
    """The median, and with several rounds the range: '1.52x (1.44-1.60)'."""
    m = statistics.median(values)
    return fmt.format(m) + (f" ({fmt.format(min(values))}-{fmt.format(max(values))})" if len(values) > 1 else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="small", choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--compare", metavar="BENCH_TRAIN_STEP", help="also run our bench binary and print the ratio")
    ap.add_argument("--bf16", action="store_true", help="with --compare: also run ours with train.dtype bf16")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the measurements; each round times every config in PyTorch and then in ours, "
                         "back to back, and the ratios are taken per round (the machine's speed drifts)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ensure_environment(args.threads)
    core_line = ensure_openblas_core()
    print(core_line, file=sys.stderr if args.json else sys.stdout, flush=True)
    names = args.configs.split(",")
    # Per config and round: PyTorch, then ours right after it, so that a
    # ratio never spans more than a minute or two of the machine's drift.
    runs = {n: {"torch": [], "f32": [], "bf16": []} for n in names}
    for _ in range(max(1, args.rounds)):
        for n in names:
            runs[n]["torch"].append(time_torch(n, args))
            if args.compare:
                runs[n]["f32"].append(time_ours(args, n, "f32"))
                if args.bf16:
                    runs[n]["bf16"].append(time_ours(args, n, "bf16"))
    if args.json:
        print(json.dumps({"rounds": args.rounds, "configs": runs}, indent=2))
        return
    import torch
    print(f"PyTorch {torch.__version__}, {args.threads} threads, OpenBLAS from {OPENBLAS_OPENMP}; preset {args.preset}, "
          f"batch {args.batch}, seq 128, AdamW; {args.rounds} round(s) of {args.steps} timed steps, "
          "ratios of tokens/s per round (median, range)")
    ms = lambda rows: statistics.median(r["ms_per_step"] for r in rows)
    for n in names:
        r = runs[n]
        line = f"{n:<18} torch {ms(r['torch']):7.1f} ms"
        if r["f32"]:
            ratio = [t["ms_per_step"] / o["ms_per_step"] for t, o in zip(r["torch"], r["f32"])]
            line += f" | ours {ms(r['f32']):7.1f} ms, {spread(ratio, '{:.2f}x')}"
        if r["bf16"]:
            ratio = [t["ms_per_step"] / h["ms_per_step"] for t, h in zip(r["torch"], r["bf16"])]
            line += f" | bf16 {ms(r['bf16']):7.1f} ms, {spread(ratio, '{:.2f}x')}"
            if r["f32"]:
                vs = [o["ms_per_step"] / h["ms_per_step"] for o, h in zip(r["f32"], r["bf16"])]
                line += f", {spread(vs, '{:.2f}x')} our f32"
        print(line)


if __name__ == "__main__":
    main()
