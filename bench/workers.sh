#!/usr/bin/env bash
# Benchmark of a process with worker threads: builds (once, cached in build/bench) the core of a
# process with WORKERS workers and the core of a baseline process with one isolate holding the
# same total of objects (bench/workers-heap.js), then prints, in one run, the wall time and peak
# RSS (GNU time) of `mortem objects`, `triage --no-retained` and `triage` on both, with the
# ratios, and `objects` of one worker's isolate alone: all isolates are analysed in one pass, so
# the cost should follow the total heap, not the number of isolates times the core. (The workers'
# core holds one Node bootstrap heap per isolate, maps, code and strings of Node's own, which the
# baseline holds once.)
# Usage: bench/workers.sh [WORKERS] [PER_ISOLATE]   (default 8 workers, 100000 customers each)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
workers=${1:-8}
per=${2:-100000}
version=$(grep -v '^#' "$root/scripts/node-versions.txt" | grep -v '^$' | tail -1)
node="$root/.cache/node/$version/bin/node"
mortem="$root/build/mortem"
[ -x "$node" ] || "$root/scripts/fetch-node.sh" "$version"
[ -x "$mortem" ] || { cmake -S "$root" -B "$root/build" >/dev/null && cmake --build "$root/build" -j2 --target mortem >/dev/null; }

# make_core DIR WORKERS PER_ISOLATE
make_core() {
  mkdir -p "$1"
  if [ ! -s "$1/core" ]; then
    echo "making a benchmark core (node $version, $2 workers, $3 customers per isolate)..." >&2
    rm -f "$1"/core*
    (cd "$1" && ulimit -c unlimited && exec "$node" --expose-gc "$root/bench/workers-heap.js" "$2" "$3") \
      >/dev/null 2>&1 || true
    [ -s "$1/core" ] || { echo "no core written in $1" >&2; exit 1; }
  fi
}
dir="$root/build/bench/$version-workers-$workers-$per"
base="$root/build/bench/$version-workers-0-$(( (workers + 1) * per ))"
make_core "$dir" "$workers" "$per"
make_core "$base" 0 $(( (workers + 1) * per ))

# measure LABEL CMD...: prints "LABEL seconds MB" to stderr and "seconds kib" to stdout.
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || true
  read -r secs kib < <(tail -n 1 "$dir/time.txt")
  printf '%-34s %8.2f s %10.1f MB peak RSS\n' "$label" "$secs" "$(echo "$kib / 1024" | bc -l)" >&2
  echo "$secs $kib"
}
objects_of() {  # CORE: objects walked, over every isolate
  "$mortem" info "$1" --json | python3 -c '
import json, sys
print(sum(i["walk"]["objects"] for i in json.load(sys.stdin)["isolates"]))'
}
isolates_of() {
  "$mortem" info "$1" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["isolates"]))'
}
for core in "$dir/core" "$base/core"; do cat "$core" >/dev/null; done  # warm the page cache
echo "cores: $dir/core ($(isolates_of "$dir/core") isolates, $(objects_of "$dir/core") objects," \
  "$(( $(du -k "$dir/core" | cut -f1) / 1024 )) MB on disk)"
echo "       $base/core ($(isolates_of "$base/core") isolate, $(objects_of "$base/core") objects," \
  "$(( $(du -k "$base/core" | cut -f1) / 1024 )) MB on disk); node $version, $(nproc) cores"
read -r o_s o_k < <(measure "objects ($workers workers)" "$mortem" objects "$dir/core" --json)
read -r bo_s bo_k < <(measure "objects (baseline, one isolate)" "$mortem" objects "$base/core" --json)
read -r one_s one_k < <(measure "objects --isolate 1 (one worker)" "$mortem" objects "$dir/core" --isolate 1 --json)
read -r f_s f_k < <(measure "triage --no-retained ($workers workers)" "$mortem" triage "$dir/core" --no-retained --json)
read -r bf_s bf_k < <(measure "triage --no-retained (baseline)" "$mortem" triage "$base/core" --no-retained --json)
read -r t_s t_k < <(measure "triage ($workers workers)" "$mortem" triage "$dir/core" --json)
read -r bt_s bt_k < <(measure "triage (baseline)" "$mortem" triage "$base/core" --json)
ratio() { echo "$1 / ($2 + 0.001)" | bc -l; }
printf 'with %d workers vs one isolate of the same total: objects %.2fx the time, %.2fx the peak RSS;\n' \
  "$workers" "$(ratio "$o_s" "$bo_s")" "$(ratio "$o_k" "$bo_k")"
printf '  objects of all %d isolates: %.2fx the time of one worker'"'"'s alone (one pass over the core per isolate would be %dx)\n' \
  "$((workers + 1))" "$(ratio "$o_s" "$one_s")" "$((workers + 1))"
printf '  triage --no-retained %.2fx the time, %.2fx the peak RSS; triage %.2fx the time, %.2fx the peak RSS\n' \
  "$(ratio "$f_s" "$bf_s")" "$(ratio "$f_k" "$bf_k")" "$(ratio "$t_s" "$bt_s")" "$(ratio "$t_k" "$bt_k")"
