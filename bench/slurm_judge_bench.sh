#!/usr/bin/env bash
# Wall time to judge 6 entries with the local executor and through Slurm on a
# one-node cluster on this machine (contest/slurm/local-cluster.sh; root,
# slurm-wlm and munge), from fresh results stores, the frame cache warm.
#   bench/slurm_judge_bench.sh BUILD_DIR [FRAMES] [TRIALS]
# Prints one line per executor and the ratio. docs/benchmarks.md has the figures.
set -euo pipefail

build=$(cd "${1:?usage: slurm_judge_bench.sh BUILD_DIR [FRAMES] [TRIALS]}" && pwd)
frames=${2:-40}
trials=${3:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
mb=$build/maskbench
work=$(mktemp -d /tmp/maskbench-slurm-bench-XXXXXX)
trap '"$here/contest/slurm/local-cluster.sh" stop "$work/cluster"; rm -rf "$work"' EXIT

"$here/contest/slurm/local-cluster.sh" start "$work/cluster" >"$work/env"
# shellcheck disable=SC1091
source "$work/env"
"$mb" dataset synth --out "$work/ds" --frames "$frames" --seed 3 >/dev/null
mkdir "$work/subs"
cp -rL "$build/submissions/int8-fast" "$work/subs/int8-fast"
cp -rL "$build/submissions/systolic-16x16" "$work/subs/systolic"
cp -rL "$build/submissions/reference-fp32" "$work/subs/fp32-team"
cp -rL "$build/submissions/testing/sleep-10ms" "$work/subs/sleepy"
cp -rL "$build/submissions/testing/echo" "$work/subs/echo"
cp -rL "$build/submissions/testing/segfault" "$work/subs/crashy"
args=(--submissions "$work/subs" --dataset "$work/ds" --trials "$trials" --no-noise-check --quiet)
# Warm the frame cache (both executors then start from a decoded set).
"$mb" judge "${args[@]}" --frames 1 --db "$work/warm.sqlite" >/dev/null

now() { date +%s.%N; }
t0=$(now)
"$mb" judge "${args[@]}" --db "$work/local.sqlite" >/dev/null
t1=$(now)
"$mb" judge "${args[@]}" --db "$work/slurm.sqlite" --executor slurm --poll 0.5 >/dev/null
t2=$(now)
python3 - "$t0" "$t1" "$t2" "$frames" "$trials" "$(nproc)" <<'EOF'
import sys
t0, t1, t2 = map(float, sys.argv[1:4])
frames, trials, cpus = sys.argv[4], sys.argv[5], sys.argv[6]
local, slurm = t1 - t0, t2 - t1
print(f"6 entries + 2 references, {frames} frames, {trials} trial(s), {cpus} CPUs")
print(f"local executor (one run at a time): {local:7.1f} s")
print(f"slurm executor (one node, 1 CPU per task): {slurm:7.1f} s")
print(f"local / slurm: {local / slurm:.2f}x")
EOF
