#!/usr/bin/env bash
# Fuzzes every parser of outside input (docs/fuzzing.md) with libFuzzer under
# ASan+UBSan: builds build/fuzz with clang, then runs each target for
# SECONDS (default 60), two at a time, from its seeds (fuzz/corpus/), its
# past finds (fuzz/regressions/) and what earlier runs here found
# (build/fuzz/fuzz/corpus/). Prints per target the executions, the coverage
# and the time; exits 1 if anything was found, 2 if it could not build.
#
#   bash scripts/fuzz.sh [SECONDS]
#   SINKKIT_FUZZ_RUNS=1000000 bash scripts/fuzz.sh 3600   # stop at 10^6 executions each
#   SINKKIT_FUZZ_TARGETS="wire_responses trace_json" bash scripts/fuzz.sh 30
#   bash scripts/fuzz.sh --build                          # only build; then `ctest --test-dir build/fuzz` is the smoke
#
# A find is written, then minimised, to build/fuzz/fuzz/finds/<target>/: fix
# the bug, then add the minimised input to fuzz/regressions/<target>/, where
# the normal test builds replay it (fuzz.<target>.corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${SINKKIT_JOBS:-2}
BUILD=build/fuzz
ALL_TARGETS=(wire_responses wire_requests suite_report bench_results bench_targets allow_list sink_configs jsonl_read_back trace_json)

build_only=false
seconds=60
case ${1:-} in
  --build) build_only=true ;;
  '') ;;
  *) [[ $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || { echo "usage: $0 [SECONDS | --build]" >&2; exit 2; }
     seconds=$1 ;;
esac
runs=${SINKKIT_FUZZ_RUNS:-0}
[[ $runs =~ ^[0-9]+$ ]] || { echo "SINKKIT_FUZZ_RUNS must be a number of executions, not '$runs'" >&2; exit 2; }
read -r -a targets <<<"${SINKKIT_FUZZ_TARGETS:-${ALL_TARGETS[*]}}"
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "unknown fuzz target '$t' (${ALL_TARGETS[*]})" >&2; exit 2; }
done

if ! $build_only; then bash scripts/setup.sh --fuzz; fi
mkdir -p build
# Only the fuzz targets and what they link: no tests, benchmarks or CLI.
# -O1: libFuzzer's advice (fast enough, and every check kept).
if [[ -f $BUILD/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD/CMakeCache.txt"; then
  rm -rf "$BUILD"
fi
CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DSINKKIT_WERROR=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" \
  -DSINKKIT_SANITIZE=address,undefined -DSINKKIT_FUZZ=ON -DSINKKIT_ENABLE_TESTS=OFF -DSINKKIT_ENABLE_BENCH=OFF \
  -DSINKKIT_INSTALL=OFF -DSINKKIT_HEADER_CHECKS=OFF -DSINKKIT_MUTANT_ZOO=OFF >"$BUILD.configure.log" 2>&1 \
  || { cat "$BUILD.configure.log"; echo "[fuzz] configure failed (is clang installed? scripts/setup.sh --fuzz)" >&2; exit 2; }
target_args=()
for t in "${ALL_TARGETS[@]}"; do target_args+=(--target "sinkkit_fuzz_$t"); done
set +e
cmake --build "$BUILD" -j"$JOBS" "${target_args[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 0 ]] || { echo "[fuzz] build failed" >&2; exit 2; }
$build_only && exit 0

# fuzz_one TARGET: runs it, then keeps its log and minimises any find.
fuzz_one() {
  local t=$1 bin=$BUILD/fuzz/sinkkit_fuzz_$1
  local work=$BUILD/fuzz/corpus/$t finds=$BUILD/fuzz/finds/$t log=$BUILD/fuzz/$t.log
  mkdir -p "$work" "$finds"
  local inputs=(fuzz/corpus/"$t")
  [[ -d fuzz/regressions/$t ]] && inputs+=(fuzz/regressions/"$t")
  local start=$SECONDS status=0
  "$bin" -max_total_time="$seconds" -runs="$((runs > 0 ? runs : -1))" -timeout=10 -rss_limit_mb=2048 \
    -dict=fuzz/dict/"$t".dict -print_final_stats=1 -artifact_prefix="$finds/" \
    "$work" "${inputs[@]}" >"$log" 2>&1 || status=$?
  local execs cov ft
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  ft=$(grep -oE ' ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  local verdict=clean
  if [[ $status -ne 0 ]]; then
    verdict="FOUND (exit $status): $(grep -m1 -E 'ERROR|expectation failed|terminate called|runtime error' "$log" || echo 'see the log')"
    for crash in "$finds"/crash-* "$finds"/timeout-* "$finds"/leak-* "$finds"/oom-*; do
      [[ -f $crash && $crash != *.min && $crash != *.log ]] || continue
      [[ -f $crash.min ]] && continue  # minimised by an earlier run
      "$bin" -minimize_crash=1 -runs=20000 -exact_artifact_path="$crash.min" "$crash" >"$crash.minimise.log" 2>&1 || true
    done
  fi
  printf '%-16s %10s execs %6s s  cov %5s  ft %6s  %s  (log: %s)\n' \
    "$t" "${execs:-?}" "$((SECONDS - start))" "$cov" "$ft" "$verdict" "$log"
  [[ $status -eq 0 ]]
}

echo "=== fuzzing ${#targets[@]} targets, ${seconds}s each$( ((runs > 0)) && echo " or $runs executions"), $JOBS at a time"
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  rm -f "$BUILD/fuzz/$t.status"
  ( st=0; fuzz_one "$t" || st=$?; echo "$st" >"$BUILD/fuzz/$t.status" ) &
done
wait
failed=0
for t in "${targets[@]}"; do [[ $(cat "$BUILD/fuzz/$t.status" 2>/dev/null) == 0 ]] || failed=1; done
if ((failed)); then
  echo "fuzzing found something: the inputs (and .min, minimised) are in $BUILD/fuzz/finds/" >&2
  exit 1
fi
echo "fuzzing found nothing"
