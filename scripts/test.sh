#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs
# every test in two builds, each in its own folder:
#   build/asan   ASan + UBSan, warnings as errors: every test (unit, property,
#                conformance, mutant zoo, wire, CLI, package, header checks,
#                doc examples, benchmark smoke)
#   build/tsan   ThreadSanitizer: the tests labelled "threads", the ones that
#                run the kit's threads (sinkkit_concurrency_tests: the
#                simulator's threaded mode and the async bridge; the reference
#                sinks' conformance rules with concurrent workers or a bridge;
#                package.sanitizer_twin, a sink project's SANITIZE thread twin
#                built against this build tree, which must fail SK-2.10 on
#                its data race with ThreadSanitizer's report)
# The fuzz targets' seeds and past finds are replayed in build/asan (tests
# fuzz.<target>.corpus); fuzzing itself is scripts/fuzz.sh's (clang and
# libFuzzer, its own build/fuzz: docs/fuzzing.md). Its smoke was here until
# 2026-12-07: a third build (3 CPU-minutes, the last minute of a command that
# must stay under 10) for 3 s of fuzzing per target.
# Ends with one line "N passed, N failed" over both; exit 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${SINKKIT_JOBS:-2}

bash scripts/setup.sh --tests

total_passed=0
total_failed=0
failed_builds=()

# configure_and_build NAME TARGETS CMAKE_ARGS...: configure build/NAME and
# build TARGETS ("" = all); exits 2 if either fails.
configure_and_build() {
  local name=$1; shift
  local targets=$1; shift
  local dir=build/$name
  mkdir -p build
  # Ninja schedules the whole build at once (make goes target by target);
  # a folder configured with another generator is started afresh.
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  cmake -S . -B "$dir" -G Ninja -DSINKKIT_WERROR=ON "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; echo "[$name] configure failed" >&2; exit 2; }
  local target_args=()
  for t in $targets; do target_args+=(--target "$t"); done
  set +e
  cmake --build "$dir" -j"$JOBS" "${target_args[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
  local build_status=${PIPESTATUS[0]}
  set -e
  [[ $build_status -eq 0 ]] || { echo "[$name] build failed" >&2; exit 2; }
}

# run_tests NAME CTEST_ARGS: run build/NAME's tests; tally the counts.
run_tests() {
  local name=$1 ctest_args=$2
  local dir=build/$name log=build/$name/ctest.log
  echo "=== [$name] test"
  local test_status
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
# runs the bundled sinks at 100): 20 under both (the mutant zoo sets its own
# budget); under ASan+UBSan the point is every code path run instrumented,
# under TSan the threads of each case rather than many cases. Most rules run their cases in
# the simulator's single-threaded deterministic mode, where TSan has nothing
# to find: the TSan build runs only what runs threads.
# The TSan build runs beside the ASan build and tests, at the lowest CPU
# priority: it takes only the cores those leave idle (the tail of a build
# waiting on its last links; tests waiting on fsync, timeouts, child
# processes), and so costs little time of its own. Its output is shown when
# it is done.
# ASan's defaults record a 30-frame stack at every malloc and free and keep
# 256 MB of freed memory in quarantine. The tests start thousands of short
# ASan processes, many allocating much (JSON): 10 frames and 64 MB take a
# tenth off their CPU time (measured on the longest tests: 172 s -> 153 s)
# and still name where a block was allocated and catch a use after free.
# A value set by the caller wins.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=10:quarantine_size_mb=64}

tsan_log=build/tsan.build.log
mkdir -p build
echo "=== [tsan] configure + build, in the background at the lowest priority ($tsan_log)"
export JOBS
export -f configure_and_build
# Its own process group (job control on for this one job), so that a failed
# or interrupted run can stop the whole build, compilers included. Not a
# session of its own (setsid): the kernel's autogroups would then share the
# cores between the two sessions equally, whatever the nice value.
set -m
nice -n 19 bash -c 'set -euo pipefail; configure_and_build tsan "$@"' _ \
  "sinkkit_concurrency_tests sinkkit_reference_conformance" \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -O1" -DSINKKIT_SANITIZE=thread \
  -DSINKKIT_ENABLE_BENCH=OFF -DSINKKIT_HEADER_CHECKS=OFF -DSINKKIT_MUTANT_ZOO=OFF </dev/null >"$tsan_log" 2>&1 &
tsan_pid=$!
set +m
# A failed or interrupted run does not leave the background build behind.
trap 'kill -- "-$tsan_pid" 2>/dev/null || true' EXIT

echo "=== [asan] configure + build"
configure_and_build asan "" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g1 -Og" \
  -DSINKKIT_SANITIZE=address,undefined -DSINKKIT_FUZZ_REPLAY=ON
echo "=== [asan] built at $(elapsed)"
SINKKIT_BUDGET=20 run_tests asan ""

tsan_status=0
wait "$tsan_pid" || tsan_status=$?
trap - EXIT
cat "$tsan_log"
[[ $tsan_status -eq 0 ]] || { echo "[tsan] configure or build failed" >&2; exit 2; }
echo "=== [tsan] built at $(elapsed)"
SINKKIT_BUDGET=20 run_tests tsan "-L threads"

if ((${#failed_builds[@]})); then
  echo "failing builds: ${failed_builds[*]}"
fi
echo "all builds done at $(elapsed)"
echo "$total_passed passed, $total_failed failed"
((${#failed_builds[@]} == 0))
