#!/usr/bin/env python3
"""A/B two builds of bench_train_step on the same configs, rounds interleaved.

The VM's speed drifts by 10-25% within minutes, so two binaries timed one
after the other disagree by more than most changes are worth. This runs A,
then B, then A again, ... and reports per config the median over rounds of
B's ms/step divided by A's in the same round (with the range), which is
what a change should be judged by. --paired does the same for configs inside
one binary; this is for comparing a change against the commit before it.

  OMP_NUM_THREADS=2 bench/compare_builds.py OLD/bench_train_step NEW/bench_train_step \\
      [--rounds 5] -- --dtype bf16 --only baseline,recycled-k2 --steps 20
"""
import argparse
import os
import statistics
import subprocess
import sys


def step_times(exe, args):
    """ms/step per config from one bench_train_step run (its table's third column)."""
    out = subprocess.run([exe] + args, capture_output=True, text=True, env=dict(os.environ))
    if out.returncode != 0:
        sys.exit(f"{exe} failed ({out.returncode}):\n{out.stderr}")
    times = {}
    for line in out.stdout.splitlines():
        cols = line.split()
        if len(cols) > 3 and cols[1].isdigit():  # config, params, ms/step, ...
            times[cols[0]] = float(cols[2])
    if not times:
        sys.exit(f"{exe}: no timing rows in its output")
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="baseline build's bench_train_step")
    ap.add_argument("b", help="changed build's bench_train_step")
    ap.add_argument("--rounds", type=int, default=5)
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    opts = ap.parse_args(argv[:cut])
    args = argv[cut + 1:]  # after --: the arguments both binaries get
    runs = {"A": [], "B": []}
    for r in range(opts.rounds):
        for name, exe in (("A", opts.a), ("B", opts.b)):
            runs[name].append(step_times(exe, args))
        print(f"round {r + 1}/{opts.rounds} done", file=sys.stderr)
    print(f"{'config':20s} {'A ms':>8s} {'B ms':>8s}  B/A median (range over {opts.rounds} rounds)")
    for cfg in runs["A"][0]:
        a = [t[cfg] for t in runs["A"]]
        b = [t[cfg] for t in runs["B"]]
        ratios = [y / x for x, y in zip(a, b)]
        print(f"{cfg:20s} {statistics.median(a):8.1f} {statistics.median(b):8.1f}  "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main()
