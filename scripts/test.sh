#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs
# every test in two builds, each in its own folder:
#   build/asan   ASan + UBSan, warnings as errors: every test (unit, property,
#                conformance, mutant zoo, wire, CLI, package, header checks,
#                doc examples, benchmark smoke)
#   build/tsan   ThreadSanitizer: the tests labelled "threads", the ones that
#                run the kit's threads (sinkkit_concurrency_tests: the
#                simulator's threaded mode and the async bridge; the reference
#                sinks' conformance rules with concurrent workers or a bridge)
# Ends with one line "N passed, N failed" over both; exit 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${SINKKIT_JOBS:-2}

bash scripts/setup.sh --tests

total_passed=0
total_failed=0
failed_builds=()

# run_build NAME TARGETS CTEST_ARGS CMAKE_ARGS...: configure, build TARGETS
# ("" = all), run ctest with CTEST_ARGS; tally the counts.
run_build() {
  local name=$1; shift
  local targets=$1; shift
  local ctest_args=$1; shift
  local dir=build/$name
  mkdir -p build
  echo "=== [$name] configure + build"
  # Ninja schedules the whole build at once (make goes target by target);
  # a folder configured with another generator is started afresh.
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  cmake -S . -B "$dir" -G Ninja -DSINKKIT_WERROR=ON "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; echo "[$name] configure failed" >&2; exit 2; }
  local build_status test_status
  set +e
  local target_args=()
  for t in $targets; do target_args+=(--target "$t"); done
  cmake --build "$dir" -j"$JOBS" "${target_args[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
  build_status=${PIPESTATUS[0]}
  set -e
  [[ $build_status -eq 0 ]] || { echo "[$name] build failed" >&2; exit 2; }
  echo "=== [$name] built at $(elapsed)"
  echo "=== [$name] test"
  local log=$dir/ctest.log
  set +e
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" -j"$JOBS" --output-on-failure --timeout 600 $ctest_args 2>&1 | tee "$log" \
    | grep -vE '^ *(Start|[0-9]+/[0-9]+ Test) '
  test_status=${PIPESTATUS[0]}
  set -e
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  if [[ -z $line ]]; then
    echo "[$name] ctest printed no summary" >&2; failed_builds+=("$name"); return
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  total_passed=$((total_passed + total - failed))
  total_failed=$((total_failed + failed))
  [[ $test_status -eq 0 && $failed -eq 0 ]] || failed_builds+=("$name")
  echo "=== [$name] tested at $(elapsed)"
}

# Time since the command started, for the phase lines (the whole command
# must stay under 10 minutes on 2 cores; these show where it goes).
elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }

# Most of this command's time is compiling, so it compiles twice, not three
# times: the ASan+UBSan build runs everything (an optimised build of its own
# would only repeat it; the main job, scripts/run.sh, builds optimised for the
# benchmarks), the TSan build only what runs threads. Both make line tables
# only (-g1: file:line in sanitizer reports, a third less compile time than
# -g). ASan+UBSan at -Og: UBSan's checks make -O1 slow to compile (57 s for
# the heaviest test file, 36 s at -Og), and -Og keeps the tests nearly as
# fast. TSan at -O1, as it recommends.
# The conformance checks run fewer cases per rule under the sanitizers than
# the default 100 (they run 5-20x slower there; the main job, scripts/run.sh,
# runs the bundled sinks at 100): 25 under ASan+UBSan (the mutant zoo sets
# its own budget), 20 under TSan, whose concern is the
# threads of each case rather than many cases. Most rules run their cases in
# the simulator's single-threaded deterministic mode, where TSan has nothing
# to find: the TSan build runs only what runs threads.
SINKKIT_BUDGET=25 run_build asan "" "" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -Og" \
  -DSINKKIT_SANITIZE=address,undefined
SINKKIT_BUDGET=20 run_build tsan "sinkkit_concurrency_tests sinkkit_reference_conformance" "-L threads" \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" -DSINKKIT_SANITIZE=thread \
  -DSINKKIT_ENABLE_BENCH=OFF -DSINKKIT_HEADER_CHECKS=OFF -DSINKKIT_MUTANT_ZOO=OFF

if ((${#failed_builds[@]})); then
  echo "failing builds: ${failed_builds[*]}"
fi
echo "all builds done at $(elapsed)"
echo "$total_passed passed, $total_failed failed"
((${#failed_builds[@]} == 0))
