#!/usr/bin/env bash
# CTest fixture setup of the e2e tier: makes (or reuses) one scenario core per scenario for one
# Node version, via fixtures/make-core.sh.
# Usage: tests/e2e/make-cores.sh VERSION OUTROOT abort|gcore|gcore2|busy|oracle SCENARIO...
#   abort: OUTROOT/SCENARIO/{core,heap.heapsnapshot,scenario.json}; falls back to gcore when the
#          kernel writes no core file (e.g. core_pattern pipes to systemd-coredump)
#   gcore: OUTROOT/SCENARIO-gcore/... made by gdb's gcore
#   gcore2: OUTROOT/SCENARIO/{core-before,core,...}: two gcore cores of one run (before, after)
#   busy:   OUTROOT/SCENARIO/{core,...}: a gcore core, the snapshot written after it
#   oracle: OUTROOT/SCENARIO/{core,scenario.json,smaps,malloc_info.xml}: a kernel core with
#           glibc's malloc_info() and the process's smaps, no snapshot
# A directory whose .stamp matches the scenario script, make-core.sh and the mode is reused, so
# several build trees (e.g. build and build-asan) can share OUTROOT and make each core once.
# A scenario with a line "// needs: npm-fixtures" runs third-party packages: they are installed
# first (scripts/fetch-npm-fixtures.sh, pinned by fixtures/npm/package-lock.json, which is part
# of the stamp); when they cannot be, the scenario is skipped (77).
# Environment: MORTEM_CORE_VARIANT=NAME with MORTEM_PRELOAD=LIBRARY: the cores go to
#   OUTROOT/SCENARIO-NAME, made with node running under LD_PRELOAD=LIBRARY (make-core.sh).
# Exits 77 (CTest: skipped) when cores cannot be made here, saying why.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$1 outroot=$2 mode=$3
shift 3
skip=77

variant=${MORTEM_CORE_VARIANT:-}
needs_npm() {  # scenario
  grep -q '^// needs: npm-fixtures' "$root/fixtures/scenarios/$1.js"
}
stamp_of() {  # scenario mode
  { echo "version $version mode $2 variant $variant"
    sha256sum "$root/fixtures/scenarios/$1.js" "$root/fixtures/make-core.sh" | cut -d' ' -f1
    # The preload's source, not its build: build trees sharing OUTROOT share its cores.
    [ -z "${MORTEM_PRELOAD:-}" ] || cat "$root"/fixtures/preload/*.cpp | sha256sum | cut -d' ' -f1
    # A scenario's addon (a "// node-addon: NAME" line) by its source.
    addon=$(sed -n 's|^// node-addon: *||p' "$root/fixtures/scenarios/$1.js" | head -1)
    [ -z "$addon" ] || sha256sum "$root/fixtures/addon/$addon.c" | cut -d' ' -f1
    ! needs_npm "$1" || sha256sum "$root/fixtures/npm/package-lock.json" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
}

node="$root/.cache/node/$version/bin/node"
if [ ! -x "$node" ]; then
  if ! "$root/scripts/fetch-node.sh" "$version"; then
    echo "SKIP: node $version is not in .cache/node and could not be fetched (run scripts/fetch-node.sh)"
    exit $skip
  fi
fi
if [ "$mode" != abort ] && ! command -v gcore >/dev/null 2>&1; then
  echo "SKIP: gcore (from gdb) is not installed; the gcore-path e2e test needs it (apt-get install gdb)"
  exit $skip
fi

mkdir -p "$outroot"
status=0
for scenario in "$@"; do
  if needs_npm "$scenario" && ! "$root/scripts/fetch-npm-fixtures.sh" >/dev/null; then
    echo "SKIP: scenario $scenario needs the npm fixtures, which could not be installed (see above)"
    status=$skip
    continue
  fi
  name=$scenario
  [ "$mode" = gcore ] && name=$scenario-gcore
  [ -n "$variant" ] && name=$name-$variant
  dir=$outroot/$name
  want=$(stamp_of "$scenario" "$mode")
  mkdir -p "$dir"
  (
    # One maker per directory at a time (build trees sharing OUTROOT may run concurrently).
    flock 9
    complete() {
      [ -s "$dir/core" ] && [ -s "$dir/scenario.json" ] &&
        { [ "$mode" = oracle ] || [ -s "$dir/heap.heapsnapshot" ]; } &&
        { [ "$mode" != oracle ] || { [ -s "$dir/smaps" ] && [ -s "$dir/malloc_info.xml" ]; }; } &&
        { [ "$mode" != gcore2 ] || [ -s "$dir/core-before" ]; }
    }
    if complete && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ]; then
      echo "reusing $dir ($(du -h "$dir/core" | cut -f1) core)"
      exit 0
    fi
    rm -f "$dir/.stamp" "$dir/core" "$dir/core-before" "$dir/heap.heapsnapshot" "$dir/scenario.json" \
      "$dir/smaps" "$dir/malloc_info.xml"
    start=$SECONDS
    used=$mode
    if ! "$root/fixtures/make-core.sh" "$version" "$scenario" "$dir" "$mode"; then
      if [ "$mode" = abort ] && command -v gcore >/dev/null 2>&1; then
        echo "no kernel core for $scenario (core_pattern: $(cat /proc/sys/kernel/core_pattern));" \
             "falling back to gcore"
        used=gcore
        "$root/fixtures/make-core.sh" "$version" "$scenario" "$dir" gcore || true
      fi
    fi
    if ! complete; then
      echo "SKIP: could not make a $mode core for scenario $scenario on node $version."
      echo "  core_pattern: $(cat /proc/sys/kernel/core_pattern); ulimit -c: $(ulimit -c)"
      echo "  (kernel cores need core_pattern 'core' or 'core.%p' and 'ulimit -c unlimited';"
      echo "   otherwise install gdb for gcore)"
      tail -5 "$dir/stderr.txt" 2>/dev/null | sed 's/^/  node: /'
      rm -f "$dir/core" "$dir/core-before"
      exit $skip
    fi
    echo "$want" >"$dir/.stamp"
    echo "made $dir ($used, $(du -h "$dir/core" | cut -f1) core, $((SECONDS - start))s)"
  ) 9>"$dir.lock"
  rc=$?
  if [ $rc -ne 0 ]; then status=$rc; fi
done
exit $status
