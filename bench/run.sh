#!/usr/bin/env bash
# Benchmark: builds (once, cached in build/bench) a core of about 1 GB with millions of objects,
# then prints, in one run, the wall time and peak RSS of `mortem objects` (live, and --all)
# and the other commands next to a raw sequential read of the same core (the baseline), with
# ratios.
# Usage: bench/run.sh [SCALE] [VERSION]   (default 1.0: about 16 million objects; VERSION: a
#        Node release such as 24.11.1, default the newest line's release in
#        scripts/node-versions.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=${1:-1}
version=${2:-$(grep -v '^#' "$root/scripts/node-versions.txt" | grep -v '^$' | tail -1)}
node="$root/.cache/node/$version/bin/node"
mortem="$root/build/mortem"
[ -x "$node" ] || "$root/scripts/fetch-node.sh" "$version"
[ -x "$mortem" ] || { cmake -S "$root" -B "$root/build" >/dev/null && cmake --build "$root/build" -j"$(nproc)" --target mortem >/dev/null; }
dir="$root/build/bench/$version-$scale"
mkdir -p "$dir"
if [ ! -s "$dir/core" ]; then
  echo "making the benchmark core (node $version, scale $scale)..." >&2
  rm -f "$dir"/core*
  (cd "$dir" && ulimit -c unlimited && exec "$node" --max-old-space-size=8192 --expose-gc \
     "$root/bench/big-heap.js" "$scale") >/dev/null 2>&1 || true
  [ -s "$dir/core" ] || { echo "no core written" >&2; exit 1; }
fi
core="$dir/core"
cat "$core" >/dev/null  # warm the page cache

# measure LABEL CMD...: prints "LABEL seconds MB" to stderr and "seconds kib" to stdout.
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || true
  # GNU time puts "Command exited with non-zero status N" first when the command fails.
  read -r secs kib < <(tail -n 1 "$dir/time.txt")
  printf '%-22s %8.2f s %10.1f MB peak RSS\n' "$label" "$secs" "$(echo "$kib / 1024" | bc -l)" >&2
  echo "$secs $kib"
}
size_mb=$(( $(stat -c %s "$core") / 1024 / 1024 ))
echo "core: $core ($size_mb MB, node $version), $(nproc) cores"
read -r base_s base_k < <(measure "raw read (cat)" cat "$core")
read -r all_s all_k < <(measure "mortem objects --all" "$mortem" objects "$core" --all --json)
read -r objects_s objects_k < <(measure "mortem objects" "$mortem" objects "$core" --json)
read -r info_s info_k < <(measure "mortem info" "$mortem" info "$core" --json)
read -r buffers_s buffers_k < <(measure "mortem buffers" "$mortem" buffers "$core" --json)
read -r stack_s stack_k < <(measure "mortem stack --all" "$mortem" stack "$core" --all --json)
read -r fast_s fast_k < <(measure "triage --no-retained" "$mortem" triage "$core" --no-retained --json)
read -r triage_s triage_k < <(measure "mortem triage" "$mortem" triage "$core" --json)
read -r dom_s dom_k < <(measure "mortem dominators" "$mortem" dominators "$core" --json)
read -r diff_s diff_k < <(measure "mortem diff (itself)" "$mortem" diff "$core" "$core" --json)
read -r snap_s snap_k < <(measure "mortem snapshot" "$mortem" snapshot "$core" -o "$dir/bench.heapsnapshot" --json)
rm -f "$dir/bench.heapsnapshot"
count=$("$mortem" info "$core" --json | tr -d ' \n' | grep -o '"objects":[0-9]*' | tail -1 | grep -o '[0-9]*$')
echo "objects walked: $count"
printf 'mortem objects: %.2fx the raw read time, %.0f ns per object, %.0f MB peak RSS (%.2f of the core size)\n' \
  "$(echo "$objects_s / ($base_s + 0.001)" | bc -l)" "$(echo "$objects_s * 1000000000 / $count" | bc -l)" \
  "$(echo "$objects_k / 1024" | bc -l)" "$(echo "$objects_k / 1024 / $size_mb" | bc -l)"
printf 'mortem objects (live, marked from the roots): %.2fx objects --all (target: at most 2x)\n' \
  "$(echo "$objects_s / ($all_s + 0.001)" | bc -l)"
printf 'mortem triage: %.1f s (target 20 s), %.2fx the raw read; %.0f bytes of peak RSS per object\n' \
  "$triage_s" "$(echo "$triage_s / ($base_s + 0.001)" | bc -l)" "$(echo "$triage_k * 1024 / $count" | bc -l)"
printf 'mortem diff of two such cores: %.1f s (target: twice triage, %.1f s)\n' "$diff_s" \
  "$(echo "2 * $triage_s" | bc -l)"
printf 'mortem snapshot: %.1f s (target 30 s at 16 M objects), %.0f MB peak RSS (target 1.5 GB)\n' \
  "$snap_s" "$(echo "$snap_k / 1024" | bc -l)"
