#!/usr/bin/env bash
# Installs the Debian 12 packages sinkkit needs, and only those that are
# missing (with --tests, also what only the tests need; with --fuzz, what
# scripts/fuzz.sh needs). Idempotent: with everything present it changes nothing and needs
# no network. Runs as root (or through sudo when not root).
set -euo pipefail

PACKAGES=(
  g++ make cmake ninja-build           # toolchain (CMake >= 3.25; the test command builds with Ninja)
  libgtest-dev libgmock-dev            # GoogleTest
  librapidcheck-dev                    # RapidCheck (static only)
  libbenchmark-dev                     # Google Benchmark
  nlohmann-json3-dev                   # nlohmann_json
  libcli11-dev                         # CLI11, for the sinkkit command
  libsqlite3-dev                       # SQLite, for the table sink
  python3                              # the language adapter and repo checks
  postgresql python3-psycopg           # the PostgreSQL table sink, on a throwaway cluster (scripts/with_postgres.sh)
  liblmdb-dev                          # LMDB: the power-loss model checked against a real library (property-tests/real-storage)
)
# Only the tests need these (scripts/test.sh passes --tests).
TEST_PACKAGES=(
  libxml2-utils                        # xmllint: the JUnit report is validated against its schema
  chromium                             # headless, to test the HTML report in a real browser
  python3-pytest                       # the adapter's pytest plugin, and docs/python.md's quick start
  python3-kubernetes                   # the Kubernetes Job example checked against Kubernetes' schema (scripts/check_ci_examples.py)
)
# Only scripts/fuzz.sh needs these (it passes --fuzz).
FUZZ_PACKAGES=(
  clang libclang-rt-14-dev             # libFuzzer (docs/fuzzing.md)
)
if [[ ${1:-} == --tests ]]; then
  PACKAGES+=("${TEST_PACKAGES[@]}")
elif [[ ${1:-} == --fuzz ]]; then
  PACKAGES+=("${FUZZ_PACKAGES[@]}")
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
