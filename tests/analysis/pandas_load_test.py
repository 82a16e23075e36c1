#!/usr/bin/python3
"""`altup analyze --format csv --table trials|curves` read by pandas, as
docs/analysis.md ("Into Python") shows: one row per completed trial, one per
logged step, the numbers those of the result files. Exit 77 (skip) without
pandas (scripts/install-deps.sh installs python3-pandas)."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

try:
    import pandas as pd
except ImportError:
    print("skipped: pandas is not installed for /usr/bin/python3 (apt-get install python3-pandas)")
    sys.exit(77)

altup, fixtures = sys.argv[1], pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="altup-pandas-"))
try:
    # Trials: the analysis fixture sweep, whose completed results are counted here independently.
    subprocess.run([altup, "analyze", str(fixtures), "--format", "csv", "--table", "trials",
                    "-o", str(work / "trials.csv"), "--quiet"], check=True)
    # The fixture's usable results are its folders not named x-* (those are unusable on purpose).
    completed = {}
    for path in fixtures.glob("*/result.json"):
        if not path.parent.name.startswith("x-"):
            r = json.loads(path.read_text())
            completed[r["trial_id"]] = r
    trials = pd.read_csv(work / "trials.csv")
    assert trials.shape[0] == len(completed), (trials.shape, len(completed))
    assert trials["trial_id"].is_unique
    assert set(trials["trial_id"]) == set(completed), set(trials["trial_id"]) ^ set(completed)
    for _, row in trials.iterrows():
        expected = completed[row["trial_id"]]["quality"]["token_accuracy"]
        assert abs(row["token_accuracy"] - expected) <= 1e-11 * abs(expected), (row["trial_id"], row["token_accuracy"], expected)
        assert row["variant"] == completed[row["trial_id"]]["labels"]["variant"]
    assert pd.api.types.is_float_dtype(trials["eval_loss"])

    # Curves: one trial with five logged steps (two of them evaluations).
    trial = work / "runs" / "s" / "t1"
    trial.mkdir(parents=True)
    shutil.copy(fixtures / "at1" / "result.json", trial / "result.json")
    lines = [{"kind": "train", "step": s, "loss": 6.0 - 0.25 * s / 10, "lr": 1e-3, "time_s": s / 10, "tokens_per_s": 900.0}
             for s in (10, 20, 30, 40, 50)]
    lines += [{"kind": "eval", "step": s, "loss": 5.5 - 0.25 * s / 10, "perplexity": 1.0, "token_accuracy": 0.1, "time_s": s / 10}
              for s in (30, 50)]
    (trial / "metrics.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    subprocess.run([altup, "analyze", str(work / "runs"), "--format", "csv", "--table", "curves",
                    "-o", str(work / "curves.csv"), "--quiet"], check=True)
    curves = pd.read_csv(work / "curves.csv")
    assert curves.shape[0] == 5, curves.shape
    assert list(curves["step"]) == [10, 20, 30, 40, 50]
    evaluated = curves.dropna(subset=["eval_loss"])
    assert list(evaluated["step"]) == [30, 50]
    assert abs(evaluated["eval_loss"].iloc[1] - (5.5 - 1.25)) < 1e-12
    assert abs(curves["train_loss"].iloc[0] - 5.75) < 1e-12
    print(f"ok: {trials.shape[0]} trial rows, {curves.shape[0]} curve rows")
finally:
    shutil.rmtree(work)
