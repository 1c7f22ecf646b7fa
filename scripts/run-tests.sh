#!/usr/bin/env bash
# The whole test suite in one command (what CI runs):
#   1. scripts/setup.sh             packages and the Node.js binaries of the test matrix
#      clang-format check           the checked-in .clang-format, no diff allowed
#   2. build/       -Werror         configure, build, ctest: unit + e2e tiers (makes the cores)
#   3. build-asan/  ASan+UBSan      configure, build, ctest: unit + e2e on the same cores (the
#                                   newest release of each line; not the older patches), the
#                                   e2e drivers of build/ running this tree's CLI
#   4. build-fuzz/  clang libFuzzer  configure, build, ctest: replay regressions and seeds, then
#                                   fuzz each target for MORTEM_FUZZ_SECONDS (60)
# Every step runs even after a failure; the exit status is non-zero if any failed.
# Environment: MORTEM_JOBS (parallel jobs, default nproc), MORTEM_SKIP_SETUP=1,
#   MORTEM_SKIP_ASAN=1, MORTEM_SKIP_FUZZ=1, MORTEM_FUZZ_SECONDS, MORTEM_BUILD_PLUGIN=ON|OFF (default ON for build/, always OFF for asan),
#   MORTEM_E2E_REQUIRED=1 (a skipped e2e test - no cores could be made - counts as a failure).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${MORTEM_JOBS:-$(nproc 2>/dev/null || echo 2)}
plugin=${MORTEM_BUILD_PLUGIN:-ON}
failed=()
start=$SECONDS

step() { echo; echo "==== $* ($((SECONDS - start))s)"; }
run() {  # name command...
  local name=$1
  shift
  if ! "$@"; then
    echo "==== FAILED: $name" >&2
    failed+=("$name")
    return 1
  fi
}
summaries() {  # build dir: the per-version [e2e] lines the tests print
  local log=$1/Testing/Temporary/LastTest.log
  [ -f "$log" ] && grep -a '^\[e2e\]' "$log" | sed 's/^/  /'
  return 0
}
suite() {  # name build-dir cmake-args...
  local name=$1 dir=$2
  shift 2
  step "$name: configure $dir"
  run "$name configure" cmake -S "$root" -B "$dir" -DMORTEM_WERROR=ON "$@" || return
  step "$name: build"
  run "$name build" cmake --build "$dir" -j "$jobs" || return
  step "$name: ctest"
  run "$name ctest" ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 1800
  step "$name: e2e summary"
  summaries "$dir"
}

# The sanitizer trees at -O1 (AddressSanitizer's own advice) with line tables only, not -O2 -g:
# about half the build time, and their reports still name file:line.
sanitizer_flags="-O1 -DNDEBUG"

if [ "${MORTEM_SKIP_SETUP:-0}" != 1 ]; then
  step "setup"
  run setup bash "$root/scripts/setup.sh"
fi

step "format: clang-format --dry-run over the C++ sources"
run format bash -c 'git ls-files "*.cpp" "*.h" | xargs clang-format --dry-run --Werror'

suite default "$root/build" -DMORTEM_BUILD_PLUGIN="$plugin"

if [ "${MORTEM_SKIP_ASAN:-0}" != 1 ]; then
  # Same cores as build/ (MORTEM_E2E_CORES_DIR): the asan fixtures find and reuse them.
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
    suite asan "$root/build-asan" -DMORTEM_SANITIZE=ON -DMORTEM_BUILD_PLUGIN=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$sanitizer_flags -g1" \
      -DMORTEM_E2E_OLDER_PATCHES=OFF \
      -DMORTEM_E2E_CORES_DIR="$root/build/cores" \
      -DMORTEM_E2E_DRIVERS_DIR="$root/build/tests"
fi

if [ "${MORTEM_SKIP_FUZZ:-0}" != 1 ]; then
  suite fuzz "$root/build-fuzz" -DCMAKE_CXX_COMPILER=clang++ -DMORTEM_FUZZ=ON -DMORTEM_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$sanitizer_flags -gline-tables-only" \
    -DMORTEM_FUZZ_SECONDS="${MORTEM_FUZZ_SECONDS:-60}" \
    -DMORTEM_E2E_CORES_DIR="$root/build/cores"
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "==== run-tests: FAILED: ${failed[*]} ($((SECONDS - start))s)"
  exit 1
fi
echo "==== run-tests: all passed ($((SECONDS - start))s)"
