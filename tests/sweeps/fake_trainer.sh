#!/bin/sh
# A stand-in for `altup train` that follows the runner protocol (docs/sweeps.md):
#   fake_trainer.sh CONFIG --run-dir DIR --resume --quiet --progress-every S --sweep NAME --label k=v ...
# Each "step" sleeps FAKE_STEP_SLEEP seconds and records its progress in
# DIR/progress (the checkpoint) and a training line in DIR/metrics.jsonl (one
# made-up second a step); --resume continues from it. On SIGTERM/SIGINT it
# stops after the current step and exits 143. Completion appends the trial folder
# name to $FAKE_COMPLETIONS, so tests can count how often each trial finished.
# FAKE_FAIL_LABEL=k=v fails (exit 1, no result.json) trials with that label;
# FAKE_DIVERGE_LABEL=k=v makes them diverge (result.json diverged, exit 3).
# Two-stage sweeps: --pretrained DIR is echoed to the log, and with $FAKE_EVENTS
# set every start ("start TRIAL pretrained=DIR") and completion ("finish TRIAL")
# is appended to that file, so tests can check the order of the trials.
# After writing its final result (completed or diverged), FAKE_KILL_AFTER_RESULT=1
# makes it kill itself with SIGKILL, FAKE_EXIT_AFTER_RESULT=N exit with N: a
# trainer that finished but died on its way out.
# FAKE_BROKEN_RESULT=TEXT makes it end by writing TEXT as its result.json
# (exit 0): a trainer that leaves a result that fails the schema check.
config="$1"; shift
run_dir=""; labels=""; sweep=""; pretrained=""
while [ $# -gt 0 ]; do
  case "$1" in
    --run-dir) run_dir="$2"; shift 2 ;;
    --sweep) sweep="$2"; shift 2 ;;
    --label) labels="$labels $2"; shift 2 ;;
    --pretrained) pretrained="$2"; shift 2 ;;
    *) shift ;;
  esac
done
trial=$(basename "$run_dir")
step=0
[ -f "$run_dir/progress" ] && step=$(cat "$run_dir/progress")
echo "fake trainer: config=$config sweep=$sweep labels=$labels OMP_NUM_THREADS=$OMP_NUM_THREADS"
echo "fake trainer: start at step $step"
[ -n "$pretrained" ] && echo "fake trainer: pretrained=$pretrained"
[ -n "$FAKE_EVENTS" ] && echo "start $trial pretrained=$pretrained" >> "$FAKE_EVENTS"

# The labels as a JSON object, in the order given ({"variant":"baseline","seed":"1"}).
labels_json=""
for kv in $labels; do labels_json="$labels_json${labels_json:+,}\"${kv%%=*}\":\"${kv#*=}\""; done

# A result that holds the schema altup checks (util/result_file.cpp): the
# sections analysis reads, with made-up numbers; no params, an empty config.
write_result() {  # status
  printf '{"schema_version":1,"trial_id":"%s","name":"fake","sweep":"%s","labels":{%s},"status":"%s","message":"","config":{},"params":null,"quality":{"eval_loss":2.5,"perplexity":12.18,"token_accuracy":0.25},"speed":{"train_tokens_per_s":1000.0,"ms_per_step":{"median":4.0},"eval_tokens_per_s":3000.0},"train":{"steps_done":%s,"wall_time_s":0.5}}\n' \
    "$trial" "$sweep" "$labels_json" "$1" "$step" > "$run_dir/result.json.tmp"
  mv "$run_dir/result.json.tmp" "$run_dir/result.json"
}

stop=0
trap 'stop=1' TERM INT
write_result running
has_label() { [ -n "$1" ] && case " $labels " in *" $1 "*) true ;; *) false ;; esac; }
if has_label "$FAKE_FAIL_LABEL"; then echo "fake failure: refusing to train" >&2; exit 1; fi
while [ "$step" -lt "${FAKE_STEPS:-4}" ]; do
  sleep "${FAKE_STEP_SLEEP:-0.02}"
  step=$((step + 1))
  echo "$step" > "$run_dir/progress.tmp" && mv "$run_dir/progress.tmp" "$run_dir/progress"
  # The trainer's training line, with a made-up clock of one second a step and loss step + 0.5.
  printf '{"kind":"train","step":%s,"loss":%s.5,"time_s":%s}\n' "$step" "$step" "$step" >> "$run_dir/metrics.jsonl"
  if [ "$stop" = 1 ]; then echo "fake trainer: interrupted at step $step"; exit 143; fi
done
after_result() {  # the usual exit code
  [ "$FAKE_KILL_AFTER_RESULT" = 1 ] && kill -KILL $$
  [ -n "$FAKE_EXIT_AFTER_RESULT" ] && exit "$FAKE_EXIT_AFTER_RESULT"
  exit "$1"
}
if has_label "$FAKE_DIVERGE_LABEL"; then write_result diverged; echo "loss is nan"; after_result 3; fi
trap '' TERM INT  # finishing is quick and must not be cut in half
write_result completed
if [ -n "$FAKE_BROKEN_RESULT" ]; then printf '%s' "$FAKE_BROKEN_RESULT" > "$run_dir/result.json"; exit 0; fi
[ -n "$FAKE_COMPLETIONS" ] && echo "$trial" >> "$FAKE_COMPLETIONS"
[ -n "$FAKE_EVENTS" ] && echo "finish $trial" >> "$FAKE_EVENTS"
echo "fake trainer: completed"
after_result 0
