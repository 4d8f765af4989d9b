#!/usr/bin/env bash
# ctest label `slurm`: `maskbench judge --executor slurm` against real daemons
# (munged, slurmctld, slurmd on this machine, contest/slurm/local-cluster.sh).
#   slurm_test.sh BUILD_DIR
# Judges 5 submissions through Slurm and locally and compares statuses and
# accuracy (bit-identical); cancels a reference's task (scancel) and SIGKILLs an
# entry's task mid-run and checks both are resubmitted and end ok; kills the head (SIGKILL)
# mid-judge, reruns it, and checks nothing is lost. Exit 77 (skipped) when not
# root or when Slurm is absent.
set -euo pipefail

build=$(cd "${1:?usage: slurm_test.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
mb=$build/maskbench
work=$(mktemp -d /tmp/maskbench-slurm-test-XXXXXX)
cluster=$work/cluster
head_pid=

cleanup() {
  rc=$?
  [[ -n "$head_pid" ]] && kill -9 "$head_pid" 2>/dev/null || true
  if [[ -f "$cluster/slurm.conf" ]]; then
    SLURM_CONF=$cluster/slurm.conf scancel --name "$job" 2>/dev/null || true
  fi
  "$here/local-cluster.sh" stop "$cluster" || true
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    echo "--- slurm test failed (rc $rc); logs kept in $work" >&2
    tail -n 30 "$work"/*.log "$work"/db.sqlite.slurm/logs/*.out 2>/dev/null | tail -n 200 >&2 || true
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
job=mbj-slurm-test-$$

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

set +e
"$here/local-cluster.sh" start "$cluster" >"$work/cluster.env"
rc=$?
set -e
if [[ $rc -eq 77 ]]; then
  echo "SKIPPED: no Slurm cluster can be started here (see above)"
  exit 77
fi
[[ $rc -eq 0 ]] || fail "the local cluster did not start"
# shellcheck disable=SC1091
source "$work/cluster.env"
echo "cluster up: $(sinfo -h -o '%P %D %c CPUs %t')"

# A data set and 5 entries: two fast ones, a slow one (the int8 baseline's
# scalar code, seconds per task), a modeled one and one that crashes.
"$mb" dataset synth --out "$work/ds" --frames 16 --seed 7 >/dev/null
mkdir -p "$work/subs"
cp -rL "$build/submissions/int8-fast" "$work/subs/int8"
cp -rL "$build/submissions/reference-baseline" "$work/subs/heavy"
cp -rL "$build/submissions/systolic-16x16" "$work/subs/systolic"
cp -rL "$build/submissions/testing/sleep-10ms" "$work/subs/sleepy"
cp -rL "$build/submissions/testing/segfault" "$work/subs/z-crashy"
common=(--submissions "$work/subs" --dataset "$work/ds" --trials 1 --no-noise-check
  --audit-frames 4 --audit-seed 99)

# The local executor, for comparison.
"$mb" judge "${common[@]}" --db "$work/local.sqlite" --json >"$work/local.json" 2>"$work/local.log" ||
  fail "the local judge failed"

# The Slurm executor; the head is killed once a first bundle has landed.
results=$work/db.sqlite.slurm
slurm_judge=("$mb" judge "${common[@]}" --db "$work/db.sqlite" --executor slurm --poll 0.3
  --job-name="$job" --json)
"${slurm_judge[@]}" >"$work/slurm1.json" 2>"$work/head1.log" &
head_pid=$!

task_of() {  # the array task id of entry $1 in the head's state
  python3 -c '
import json, sys
plan = json.load(open(sys.argv[1] + "/" + json.load(open(sys.argv[1] + "/state.json"))["plan"]))
for i, e in enumerate(plan["entries"]):
    if e["team_id"] == sys.argv[2]:
        print(i)
' "$results" "$1"
}
wait_running() {  # waits until entry $1's task runs; prints its job id
  local idx
  for _ in $(seq 600); do
    if [[ -f "$results/state.json" ]]; then
      idx=$(task_of "$1")
      local line
      line=$(squeue -h -r -n "$job" -t running -o '%i' | grep "_${idx}\$" || true)
      if [[ -n "$line" ]]; then
        echo "$line"
        return 0
      fi
    fi
    sleep 0.1
  done
  return 1
}

# The references' tasks run first. A node "fails" under the baseline's (seconds
# long): scancel it while it runs; then SIGKILL the slow entry's task mid-run.
victim=$(wait_running reference-baseline) || fail "the reference-baseline task never ran"
sleep 0.5
scancel "$victim"
echo "cancelled $victim (reference-baseline) mid-run"
victim2=$(wait_running heavy) || fail "the heavy task never ran"
sleep 0.3
pkill -9 -f -- "--task-plan .* --task-index $(task_of heavy)\$" || fail "no heavy task process to kill"
echo "killed the heavy task of $victim2 with SIGKILL"

# The head dies once something has been imported.
for _ in $(seq 600); do
  grep -q '"outcome": "imported"' "$results/state.json" 2>/dev/null && break
  sleep 0.1
done
kill -9 "$head_pid"
wait "$head_pid" 2>/dev/null || true
head_pid=
echo "killed the head; state: $(grep -c '"outcome": "imported"' "$results/state.json") imported"
"$mb" judge --status --db "$work/db.sqlite" | tee "$work/status-mid.txt"
grep -qE '^(heavy|int8|systolic|sleepy|z-crashy) +(queued|running|done|retrying|planned)' "$work/status-mid.txt" ||
  fail "--status shows no entry state"

# Rerun the head to the end.
"${slurm_judge[@]}" >"$work/slurm2.json" 2>"$work/head2.log" || fail "the rerun head failed"
"$mb" judge --status --db "$work/db.sqlite" --json >"$work/status.json"
cat "$work/status.json"

# Compare: statuses and accuracy bit-identical; both victims retried and ok.
"$mb" leaderboard --db "$work/local.sqlite" --out "$work/local-board.json" >/dev/null
"$mb" leaderboard --db "$work/db.sqlite" --out "$work/slurm-board.json" >/dev/null
python3 - "$work" <<'EOF'
import json, sys
w = sys.argv[1]
def entries(path):
    doc = json.load(open(path))
    out = {}
    for e in doc["entries"]:
        if e["status"] != "skipped":
            out[e["team_id"]] = e["status"]
    return out
local, slurm = entries(w + "/local.json"), entries(w + "/slurm2.json")
assert local == slurm, f"statuses differ: local {local} slurm {slurm}"
assert local == {"reference-baseline": "ok", "reference-fp32": "ok", "int8": "ok",
                 "systolic": "ok", "sleepy": "ok", "heavy": "ok", "z-crashy": "crashed"}, local
status = {s["team_id"]: s for s in json.load(open(w + "/status.json"))}
for victim in ("reference-baseline", "heavy"):
    assert status[victim]["attempts"] >= 2, f"{victim} was not resubmitted: {status[victim]}"
    assert status[victim]["state"] == "done", status[victim]
for name in ("reference-fp32", "int8", "sleepy", "systolic", "z-crashy"):
    assert status[name]["state"] == "done", status[name]
def board(path):
    doc = json.load(open(path))
    rows = {}
    for t in doc["tracks"]:
        for e in t["entries"]:
            rows[(t["name"], e["team_id"])] = (e["status"], json.dumps(e["accuracy"], sort_keys=True),
                                               e["frames"])
    return rows
lb, sb = board(w + "/local-board.json"), board(w + "/slurm-board.json")
assert lb == sb, "boards differ:\n" + "\n".join(
    f"{k}: local {lb.get(k)} slurm {sb.get(k)}" for k in sorted(set(lb) | set(sb)) if lb.get(k) != sb.get(k))
print(f"ok: {len(local)} entries, statuses and accuracy identical; "
      f"reference-baseline attempts {status['reference-baseline']['attempts']}, "
      f"heavy attempts {status['heavy']['attempts']}")
EOF
grep -q "submitting it again" "$work/head1.log" "$work/head2.log" || fail "no resubmission logged"
echo "PASS"
