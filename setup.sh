#!/usr/bin/env bash
# Installs every Debian 12 package maskbench needs (idempotent), then configures
# and builds it in Release into ./build (or $MASKBENCH_BUILD_DIR).
#   ./setup.sh            install + build
#   ./setup.sh --no-apt   build only (packages already present)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libopencv-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev sqlite3 libssl-dev libpugixml-dev libseccomp-dev libtbb-dev zlib1g-dev
  bubblewrap libturbojpeg0-dev
  clang clang-format libclang-rt-14-dev libfuzzer-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium python3-jsonschema
  slurm-wlm munge verilator yosys
)

if [[ "${1:-}" != "--no-apt" ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: all Debian packages present" >&2
  fi
fi

BUILD_DIR="${MASKBENCH_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >&2
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2
echo "setup: built $BUILD_DIR/maskbench" >&2
