#!/usr/bin/env bash
# A real Slurm job array: starts a one-node cluster on localhost (munge,
# slurmctld, slurmd with a config written here), submits a 4-trial tiny sweep
# with `altup sweep --launcher slurm`, waits for it, and checks all four
# results. Then a two-stage sweep with the fake trainer: the fine-tune trials
# go into a second array that runs after the first (--dependency=afterany),
# get --pretrained, and are recorded failed when their pretraining diverged.
# Exit 77 (CTest: skipped) with the reason when the daemons cannot run.
# Usage: slurm_array_test.sh ALTUP_BINARY WORKDIR
set -uo pipefail
altup=$(readlink -f "$1")
fake=$(readlink -f "$(dirname "$0")/fake_trainer.sh")
work=$2
rm -rf "$work" && mkdir -p "$work"
work=$(readlink -f "$work")
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; for f in "$work"/slurm/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

for tool in munged slurmctld slurmd sbatch squeue sinfo flock; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" -eq 0 ] || skip "the test cluster runs its daemons as root"

# munge: the package creates the key; start the daemon if it is not running.
mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  munged --force >/dev/null 2>&1 || skip "munged does not start"
  sleep 1
  munge -n | unmunge >/dev/null 2>&1 || skip "munge credentials do not verify"
fi

host=$(hostname -s)
mkdir -p "$work/slurm/state" "$work/slurm/spool"
cat > "$work/slurm/slurm.conf" <<CONF
ClusterName=altuptest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm/slurm.conf
cleanup() {
  for pid in "$work/slurm/slurmd.pid" "$work/slurm/slurmctld.pid"; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
}
trap cleanup EXIT
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start: $(tail -3 "$work/slurm/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" || skip "slurmd does not start: $(tail -3 "$work/slurm/slurmd.log" 2>/dev/null)"
for _ in $(seq 1 30); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %t 2>/dev/null | grep -q idle || skip "the node never became idle: $(sinfo 2>&1 | tail -2)"

# A tiny sweep on a generated corpus: 2 variants x 2 seeds = 4 trials.
python3 "$(dirname "$0")/../support/make_text_corpus.py" "$work/corpus.txt" 40 7
cat > "$work/sweep.yaml" <<YAML
name: slurm-check
base:
  model: {preset: tiny, vocab: 256, d_model: 32, heads: 2, d_ff: 64, seq_len: 16}
  data: {corpus: text, path: $work/corpus.txt, tokenizer: bytes, cache_dir: $work/cache}
  train: {steps: 20, batch: 4, warmup: 2, checkpoint_every: 10}
  eval: {every: 10, batches: 2, batch: 4}
variants:
  baseline: {}
  altup-k2: {model.altup.k: 2}
seeds: 2
YAML
cd "$work"
"$altup" sweep sweep.yaml --launcher slurm --dry-run --out runs > dry.txt || fail "dry run"
grep -q -- "--array=0-3%2" dry.txt || grep -q -- "--array=0-3" dry.txt || fail "dry-run script has no 4-task array: $(cat dry.txt)"
[ ! -e runs/slurm-check ] || fail "the dry run wrote into runs/slurm-check: $(find runs | head)"
"$altup" sweep sweep.yaml --launcher slurm --max-parallel 2 --cpus-per-task 1 --out runs > submit.txt || fail "submission: $(cat submit.txt)"
job=$(sed -n 's/^submitted job array \([0-9]*\).*/\1/p' submit.txt)
[ -n "$job" ] || fail "no job id in: $(cat submit.txt)"
echo "submitted job array $job"
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "job array $job still running after 300 s"

completed=$(grep -l '"status": "completed"' runs/slurm-check/*/result.json 2>/dev/null | wc -l)
[ "$completed" -eq 4 ] || { cat runs/slurm-check/slurm/*.out 2>/dev/null | tail -20; fail "$completed of 4 trials completed"; }
# Each task wrote its attempt line (under the trial's lock) before the trainer ran.
for log in runs/slurm-check/*/train.log; do
  [ "$(grep -c '^=== altup sweep: attempt 1 at .*, slurm task ' "$log")" -eq 1 ] || fail "$log has no single attempt-1 line: $(head -3 "$log")"
done
"$altup" sweep sweep.yaml --status --out runs | tee status.txt
grep -q "4/4 done" status.txt || grep -q "4 done" status.txt || fail "--status does not report 4 done"
"$altup" sweep sweep.yaml --launcher slurm --out runs | grep -q "nothing to submit" || fail "resubmission should find nothing pending"
echo "4 trials ran as Slurm array $job; resubmission found nothing pending"

# Two stages: baseline and `bad` pretraining trials (bad diverges), each with a pos fine-tune trial.
cat > "$work/two.yaml" <<YAML
name: two-stage
base: {model: {preset: tiny}, train: {steps: 10}}
set: {finetune.from: pretrain}
variants: {baseline: {}, bad: {model.altup.k: 2}}
grid: {finetune.task: [pos, none]}
YAML
export FAKE_EVENTS=$work/events FAKE_DIVERGE_LABEL=variant=bad FAKE_STEPS=3 FAKE_STEP_SLEEP=0.3 FAKE_FAIL_LABEL=
"$altup" sweep two.yaml --launcher slurm --dry-run --out runs --trainer "/bin/sh $fake" > dry2.txt || fail "two-stage dry run"
grep -q -- "--dependency=afterany:" dry2.txt || fail "the dry run shows no dependent sbatch command: $(cat dry2.txt)"
"$altup" sweep two.yaml --launcher slurm --out runs --trainer "/bin/sh $fake" --cpus-per-task 1 > submit2.txt || fail "two-stage submission: $(cat submit2.txt)"
cat submit2.txt
jobs=$(sed -n 's/^submitted job array \([0-9]*\).*/\1/p' submit2.txt | tr '\n' ' ')
[ "$(echo $jobs | wc -w)" -eq 2 ] || fail "expected two job arrays, got: $(cat submit2.txt)"
for _ in $(seq 1 120); do
  [ -z "$(squeue -h -j "${jobs// /,}" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "${jobs// /,}" 2>/dev/null)" ] || fail "two-stage arrays $jobs still running after 120 s"
cat "$FAKE_EVENTS"
ok=$(grep -l '"status":"completed"' runs/two-stage/*/result.json 2>/dev/null | wc -l)
[ "$ok" -eq 2 ] || fail "$ok of 2 baseline trials completed"
grep -q '"status": "diverged"\|"status":"diverged"' runs/two-stage/*/result.json || fail "the bad pretraining trial did not diverge"
not_run=$(grep -l 'diverged; not fine-tuned' runs/two-stage/*/result.json 2>/dev/null | wc -l)
[ "$not_run" -eq 1 ] || fail "the bad fine-tune trial was not recorded as not fine-tuned"
[ "$(grep -c '^start' "$FAKE_EVENTS")" -eq 3 ] || fail "expected 3 trainer starts (the bad fine-tune trial must not start)"
line=$(grep -n '^start .* pretrained=/' "$FAKE_EVENTS") || fail "no fine-tune trial started with --pretrained"
pre=$(basename "${line##*pretrained=}")
[ -f "runs/two-stage/$pre/result.json" ] || fail "--pretrained $pre is not a trial folder of the sweep"
finish=$(grep -n "^finish $pre\$" "$FAKE_EVENTS" | cut -d: -f1)
[ -n "$finish" ] && [ "$finish" -lt "${line%%:*}" ] || fail "the fine-tune trial started before its pretraining trial $pre finished"
"$altup" sweep two.yaml --status --out runs | tee status2.txt
echo "two-stage sweep: fine-tune array ran after the pretraining array; the diverged trial's fine-tune was not started"
