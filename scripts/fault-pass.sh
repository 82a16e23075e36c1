#!/usr/bin/env bash
# A fault pass over the built altup (docs/reliability.md, "A fresh pass"): full disks,
# two runners at once, SIGKILL of the runner and of the trainers at random points,
# and whether the resumed trials are bit-identical to uninterrupted ones. Needs root (tmpfs).
# usage: scripts/fault-pass.sh BUILD/altup REPO_DIR   (ALTUP_DATA_DIR: a built token cache)
set -u
ALTUP=$1; REPO=$2
export ALTUP_DATA_DIR=${ALTUP_DATA_DIR:-$REPO/data-cache} OMP_NUM_THREADS=1
W=$(mktemp -d /tmp/fp.XXXX); cd "$W"
cat > sw.yaml <<Y
name: fp
base: $REPO/experiments/configs/quickstart.yaml
set: {train.steps: 6, train.checkpoint_every: 2, eval.every: 0, eval.batches: 2}
variants:
  baseline: {}
  altup-k2: {model.altup.k: 2}
seeds: [1, 2]
Y
echo "### A. full disk under a standalone trainer (tmpfs 300K)"
mkdir -p full && mount -t tmpfs -o size=300k tmpfs full
$ALTUP train $REPO/experiments/configs/quickstart.yaml --set train.steps=4 --set train.checkpoint_every=2 --set eval.every=0 --set eval.batches=2 --run-dir full/t > a.out 2>&1; echo "exit $?"
tail -3 a.out; ls -la full/t; df -k full | tail -1
echo "result.json status: $(grep -o '"status": *"[a-z]*"' full/t/result.json 2>/dev/null)"
umount full
echo "### B. full disk under a sweep (tmpfs 2M: the first trials fit)"
mount -t tmpfs -o size=2m tmpfs full
$ALTUP sweep sw.yaml --out full > b.out 2>&1; echo "exit $?"
tail -6 b.out; for d in full/fp/*/; do echo "$d $(grep -o '"status": *"[a-z]*"' $d/result.json 2>/dev/null) files: $(ls $d | tr '\n' ' ')"; done
cp -r full/fp b-kept; umount full
echo "### B2. the same sweep resumed with room (copied to a normal disk)"
mkdir -p bb && cp -r b-kept bb/fp && $ALTUP sweep sw.yaml --out bb > b2.out 2>&1; echo "exit $?"; tail -3 b2.out
echo "### C. two runners at once on one folder"
rm -rf two; ( $ALTUP sweep sw.yaml --out two > c1.out 2>&1; echo "runner1 exit $?" ) & ( sleep 0.5; $ALTUP sweep sw.yaml --out two > c2.out 2>&1; echo "runner2 exit $?" ) & wait
for d in two/fp/*/; do echo "$d attempts=$(grep -c '=== altup sweep: attempt' $d/train.log) $(grep -o '"status": *"[a-z]*"' $d/result.json)"; done
echo "### D. runner SIGKILLed at random points, restarted (12 kills)"
rm -rf kk; for i in $(seq 1 12); do
  $ALTUP sweep sw.yaml --out kk > d$i.out 2>&1 & p=$!; sleep $(awk -v s=$i 'BEGIN{srand(s); printf "%.2f", 0.5+rand()*3}'); kill -KILL $p 2>/dev/null; wait $p 2>/dev/null
done
$ALTUP sweep sw.yaml --out kk > dfinal.out 2>&1; echo "final exit $?"; tail -2 dfinal.out
for d in kk/fp/*/; do echo "$d attempts=$(grep -c '=== altup sweep: attempt' $d/train.log) $(grep -o '"status": *"[a-z]*"' $d/result.json) steps=$(grep -o '"steps_done": *[0-9]*' $d/result.json)"; done
echo "ls tmp leftovers: $(find kk -name '*.tmp.*' | wc -l)"
echo "### E. SIGKILL of the trainers only, at random points (8 kills), then resume"
rm -rf tk; for i in $(seq 1 8); do
  $ALTUP sweep sw.yaml --out tk > e$i.out 2>&1 & p=$!; sleep $(awk -v s=$((i+50)) 'BEGIN{srand(s); printf "%.2f", 1+rand()*3}'); pkill -KILL -f "altup train.*tk/fp" ; wait $p; echo "  runner exit $?"
done
$ALTUP sweep sw.yaml --out tk --retry-failed > efinal.out 2>&1; echo "final exit $?"; tail -2 efinal.out
for d in tk/fp/*/; do echo "$d attempts=$(grep -c '=== altup sweep: attempt' $d/train.log) $(grep -o '"status": *"[a-z]*"' $d/result.json)"; done
echo "### F. are resumed trials bit-identical to uninterrupted ones? (eval/test loss of kk vs two)"
for d in two/fp/*/; do t=$(basename $d); echo "$t $(grep -o '"eval_loss": *[0-9.e-]*' two/fp/$t/result.json) | $(grep -o '"eval_loss": *[0-9.e-]*' kk/fp/$t/result.json) | $(grep -o '"eval_loss": *[0-9.e-]*' tk/fp/$t/result.json)"; done
echo "workdir $W"
