#!/usr/bin/env bash
# A contestant's first day, outside the source tree (issue: contestant
# experience): install maskbench to a temp prefix, `maskbench new`, configure
# and build against the installed package, validate, run on a synthetic set,
# pack, and judge the archive; a tampered archive is refused with the reason;
# then an RTL scaffold built and run with the installed RTL kit alone.
#   contestant_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: contestant_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d /tmp/maskbench-contestant-XXXXXX)
trap 'rc=$?; [[ $rc -eq 0 ]] && rm -rf "$work" || echo "kept $work" >&2' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Install.
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mb=$work/prefix/bin/maskbench
[[ -x "$mb" ]] || fail "no $mb"
[[ -f "$work/prefix/include/maskbench/accelerator.hpp" ]] || fail "no ABI headers installed"
PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig pkg-config --cflags maskbench | grep -q -- "-I$work/prefix/include" ||
  fail "pkg-config gives no include path"

cd "$work"
# 2. Scaffold (identity given once); refusals first.
if "$mb" new my-npu </dev/null 2>err.txt; then fail "new without --team on no terminal succeeded"; fi
grep -q -- "--team" err.txt || fail "new without a team: $(cat err.txt)"
"$mb" new my-npu --team "Team Volt" >/dev/null
if "$mb" new my-npu --team "Team Volt" 2>err.txt; then fail "new over an existing folder succeeded"; fi
grep -q "exists and is not empty" err.txt || fail "new twice: $(cat err.txt)"
[[ $(grep -c "Team Volt" my-npu/CMakeLists.txt) -eq 1 ]] || fail "the team is not written once"
grep -q "Team Volt" my-npu/src/accelerator.cc && fail "the team is written in the sources too"
grep -q "Cycles()" my-npu/src/accelerator.cc && fail "a cpp scaffold reports cycles"

# 3. Configure and build out of the tree, against the installed package only.
cmake -S my-npu -B my-npu/build -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build my-npu/build >/dev/null
python3 - my-npu/build/submission/submission.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "my-npu" and d["team"] == "Team Volt" and d["latency_kind"] == "measured", d
PY

# 4. Validate.
"$mb" validate my-npu/build/submission | tail -1 | grep -q "validate: PASS" || fail "validate did not pass"

# 5. Run on a synthetic set.
"$mb" dataset synth --out ds --frames 6 --seed 5 >/dev/null
"$mb" run my-npu/build/submission --dataset ds --json >run.json 2>/dev/null
python3 - run.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok", d["status"]
assert d["submission"]["name"] == "my-npu", d["submission"]
PY

# 6. Pack.
"$mb" pack my-npu/build/submission -o entries/my-npu.tar.gz >/dev/null
tar tzf entries/my-npu.tar.gz >list.txt
for f in MANIFEST.sha256 submission/libmy-npu.so submission/submission.json sources/CMakeLists.txt \
  sources/src/accelerator.cc; do
  grep -qx "$f" list.txt || fail "the archive lacks $f"
done
grep -q '^sources/build/' list.txt && fail "the archive holds the build folder"
(mkdir -p check && cd check && tar xzf ../entries/my-npu.tar.gz && sha256sum --quiet -c MANIFEST.sha256) ||
  fail "the manifest does not check with sha256sum"

# A tampered copy: one byte of the plugin changed after packing.
python3 - entries/my-npu.tar.gz entries/tampered.tar.gz <<'PY'
import io, sys, tarfile
src = tarfile.open(sys.argv[1], "r:gz")
with tarfile.open(sys.argv[2], "w:gz", format=tarfile.USTAR_FORMAT) as out:
    for m in src.getmembers():
        data = src.extractfile(m).read() if m.isfile() else None
        if m.name == "submission/libmy-npu.so":
            data = data[:-1] + bytes([data[-1] ^ 1])
        out.addfile(m, io.BytesIO(data) if data is not None else None)
PY

# 7. Judge the archives.
"$mb" judge --submissions entries --dataset ds --db results.sqlite --trials 1 --no-noise-check \
  --audit-frames 2 --json >judge.json 2>judge.log
python3 - judge.json <<'PY'
import json, sys
e = {x["team_id"]: x for x in json.load(open(sys.argv[1]))["entries"]}
assert e["my-npu"]["status"] == "ok", e["my-npu"]
assert e["tampered.tar.gz"]["status"] == "skipped", e["tampered.tar.gz"]
assert "its SHA-256 differs from MANIFEST.sha256" in e["tampered.tar.gz"]["message"], e["tampered.tar.gz"]
assert e["reference-baseline"]["status"] == "ok" and e["reference-fp32"]["status"] == "ok", e
PY
# 8. The RTL path with the installed package alone: its kit builds the scaffold (docs/rtl.md).
if command -v verilator >/dev/null; then
  "$mb" new my-rtl --kind rtl --team "Team Volt" >/dev/null
  "$mb" build my-rtl --no-synth >rtl-build.txt 2>&1 || fail "RTL build with the installed kit: $(cat rtl-build.txt)"
  "$mb" run my-rtl --dataset ds --frames 1 --no-db >rtl-run.txt 2>/dev/null || fail "RTL run: $(cat rtl-run.txt)"
  grep -q "cycles simulated by the harness" rtl-run.txt || fail "RTL run: $(cat rtl-run.txt)"
else
  echo "note: verilator is not installed: the installed RTL path is not checked"
fi
echo PASS
