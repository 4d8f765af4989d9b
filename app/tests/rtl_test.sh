#!/usr/bin/env bash
# The RTL track end to end (docs/rtl.md), with real verilator, yosys, sealed
# runs and a real results file:
#   - `maskbench new --kind rtl` + `build` + `validate` + `run --frames 3` report
#     simulated cycles, modeled latency, energy and resources;
#   - `judge` builds the RTL entries itself (ignoring a forged .so shipped
#     beside the sources), refuses a design that uses $fopen, and ranks the
#     RTL entry in the modeled track beside systolic-16x16 with
#     reference-baseline as the reference row, cycles marked by their source;
#   - rules with a board budget the design exceeds leave it unranked with the reason;
#   - `pack` of an RTL folder holds its sources only.
#   rtl_test.sh BUILD_DIR   (exit 77 = skipped: no verilator or yosys)
set -euo pipefail
build=$(cd "${1:?usage: rtl_test.sh BUILD_DIR}" && pwd)
if ! command -v verilator >/dev/null || ! command -v yosys >/dev/null; then
  echo "SKIP: verilator or yosys is not installed (./setup.sh installs them)"
  exit 77
fi
mb=$build/maskbench
work=$(mktemp -d /tmp/maskbench-rtl-XXXXXX)
trap 'rc=$?; [[ $rc -eq 0 ]] && rm -rf "$work" || echo "kept $work" >&2' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work"
"$mb" dataset synth --out ds --frames 16 --seed 3 >/dev/null

# 1. A contestant's RTL entry: scaffold, build, validate, run.
"$mb" new volt-npu --kind rtl --team "Team Volt" >/dev/null
grep -q '"kind": "rtl"' volt-npu/submission.json || fail "no rtl submission.json"
"$mb" build volt-npu --no-synth >build.txt
grep -q "built volt-npu" build.txt || fail "build: $(cat build.txt)"
# Built sealed (bubblewrap, uid 65534, no network) wherever the runner's seal can be made.
if [[ $(id -u) -eq 0 && -x /usr/bin/bwrap ]]; then
  grep -q '"sealed": true' volt-npu/build/build.json || fail "not built sealed: $(cat volt-npu/build/build.json)"
fi
"$mb" build volt-npu --no-synth >build2.txt
grep -q "up to date" build2.txt || fail "a second build was not reused: $(cat build2.txt)"
"$mb" validate volt-npu >validate.txt || fail "validate: $(cat validate.txt)"
"$mb" run volt-npu --dataset ds --frames 3 --no-db >run.txt 2>run.err || fail "run: $(cat run.err)"
grep -q "cycles simulated by the harness" run.txt || fail "run shows no simulated cycles: $(cat run.txt)"
grep -q "^cycles       5611040 per frame" run.txt || fail "cycles: $(cat run.txt)"
grep -q "^energy .* uJ per frame" run.txt || fail "no energy: $(cat run.txt)"
grep -q "^status       ok" run.txt || fail "run not ok: $(cat run.txt)"
# The example built by CMake, as the issue's acceptance line runs it: with resources.
"$mb" run "$build/submissions/rtl-npu" --dataset ds --frames 3 --no-db >run2.txt 2>/dev/null
grep -q "^resources    [0-9]* LUT" run2.txt || fail "no resources: $(cat run2.txt)"
grep -q "^modeled      p90 28.055 ms at 200 MHz" run2.txt || fail "modeled latency: $(cat run2.txt)"

# 2. Refusals, naming the file and the line.
mkdir -p bad/rtl
cp volt-npu/rtl/npu_top.v bad/rtl/
sed 's/"volt-npu"/"bad"/' volt-npu/submission.json >bad/submission.json
printf '\nmodule sneaky; integer f; initial f = $fopen("/etc/passwd", "r"); endmodule\n' >>bad/rtl/npu_top.v
if "$mb" build bad 2>bad.err; then fail "a design with \$fopen was built"; fi
grep -q "design.v:[0-9]*: the system task \$fopen is not allowed" bad.err || fail "refusal: $(cat bad.err)"
grep -q "src/000.v = rtl/npu_top.v" bad.err || fail "the refusal does not name the source: $(cat bad.err)"

# 3. Judge: the RTL entry (with a forged .so beside its sources), systolic, the refused one.
mkdir entries
for s in reference-baseline reference-fp32 systolic-16x16; do cp -r "$build/submissions/$s" entries/; done
mkdir -p entries/rtl-npu/rtl
cp "$build/submissions/rtl-npu/submission.json" entries/rtl-npu/
cp "$build/submissions/rtl-npu/rtl/npu_top.v" entries/rtl-npu/rtl/
cp "$build/submissions/testing/echo/libecho.so" entries/rtl-npu/  # forged: must be ignored
cp -r bad entries/bad
# An RTL archive holds submission.json and the sources only (nothing built); the
# judge builds it like a folder. Same sources as rtl-npu: one build serves both.
mkdir packed && cp -r entries/rtl-npu/submission.json entries/rtl-npu/rtl packed/
"$mb" pack packed -o entries/packed.tar.gz >/dev/null
[[ "$(tar tzf entries/packed.tar.gz | sort | tr '\n' ' ')" == "MANIFEST.sha256 submission/rtl/npu_top.v submission/submission.json " ]] ||
  fail "RTL archive: $(tar tzf entries/packed.tar.gz)"
"$mb" judge --submissions entries --dataset ds --db results.sqlite --trials 1 --no-noise-check \
  --audit-frames 2 --json >judge.json 2>judge.log || fail "judge: $(tail -5 judge.log)"
grep -q "rtl-npu: RTL built" judge.log || fail "the judge did not build rtl-npu: $(cat judge.log)"
"$mb" leaderboard --db results.sqlite --out board.json >/dev/null
python3 - judge.json board.json <<'PY'
import json, sys
j = {x["team_id"]: x for x in json.load(open(sys.argv[1]))["entries"]}
assert j["rtl-npu"]["status"] == "ok", j["rtl-npu"]
assert j["packed"]["status"] == "ok", j["packed"]
assert j["bad"]["status"] == "skipped" and "$fopen" in j["bad"]["message"], j["bad"]
b = json.load(open(sys.argv[2]))
t = {x["name"]: x for x in b["tracks"]}["modeled"]
e = {x["team_id"]: x for x in t["entries"]}
r, s = e["rtl-npu"], e["systolic-16x16"]
assert r["rank"] is not None and s["rank"] is not None, (r["unranked_reason"], s["unranked_reason"])
assert e["reference-baseline"]["reference"], e["reference-baseline"]
assert r["cycles"] == "simulated by the harness", r["cycles"]
assert s["cycles"] == "self-reported", s["cycles"]
assert abs(r["modeled_latency_ms"] - 28.0552) < 1e-3, r["modeled_latency_ms"]
assert r["resources"]["luts"] > 1000 and r["resources"]["dsps"] > 0, r["resources"]
assert r["energy_uj"] > 100 and s["energy_uj"] > 100, (r["energy_uj"], s["energy_uj"])
# The forged .so did not run: the entry's plugin is the judge's own build.
assert r["speedup"] > 1, r["speedup"]
PY

# 4. A board budget the design exceeds: unranked, with the reason.
python3 - rules.json <<'PY'
import json, sys
rules = {
  "format_version": 2, "name": "tiny board", "split": "val", "headline_percentile": 90,
  "references": {"baseline": "reference-baseline", "gate": "reference-fp32"},
  "tracks": [{"name": "modeled", "latency_kind": "modeled",
              "primary": {"key": "energy_uj", "better": "lower"},
              "gate": {"enabled": True, "metric": "mAP50", "min_ratio": 0.99},
              "board": {"part": "xc7z020", "luts": 5000}}]}
json.dump(rules, open(sys.argv[1], "w"))
PY
"$mb" leaderboard --db results.sqlite --rules rules.json --out tiny.json >/dev/null
python3 - tiny.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tracks"][0]
e = {x["team_id"]: x for x in t["entries"]}
r = e["rtl-npu"]
assert r["rank"] is None, r
assert "does not fit xc7z020" in r["unranked_reason"] and "LUT > 5,000" in r["unranked_reason"], r["unranked_reason"]
assert "no FPGA resources" in e["systolic-16x16"]["unranked_reason"], e["systolic-16x16"]["unranked_reason"]
PY
echo PASS
