#!/usr/bin/env bash
# e2e: memlab (a real heap snapshot client, pinned by scripts/fetch-memlab.sh) loads the snapshot
# `mortem snapshot` writes of the classes core and finds what it finds in V8's own snapshot of
# the same heap:
#  - `memlab analyze object-size`: the scenario's `records` array with the same edge count and
#    retained size;
#  - `memlab analyze shape`: the same headline rows (shape, total size, count) for the three
#    biggest shapes, sizes and counts within 2%.
# Usage: tests/e2e/snapshot_memlab.sh MORTEM CORES_DIR SCRATCH NODE
# Exits 77 (skipped) when memlab cannot be installed here.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mortem=$1 dir=$2/classes scratch=$3 node=$4
[ -s "$dir/core" ] && [ -s "$dir/heap.heapsnapshot" ] || { echo "SKIP: no classes core in $dir"; exit 77; }
memlab=$("$root/scripts/fetch-memlab.sh") || { echo "SKIP: memlab could not be installed"; exit 77; }
mkdir -p "$scratch"
ours=$scratch/memlab-classes.heapsnapshot
"$mortem" snapshot "$dir/core" -o "$ours" >/dev/null || { echo "FAIL: mortem snapshot exited $?"; exit 1; }
run() {  # analysis snapshot: memlab's report without its progress lines and colours
  "$node" --expose-gc --max-old-space-size=4096 "$memlab" analyze "$1" --snapshot "$2" 2>&1 |
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tr '\r' '\n'
}
# The same rows: names equal, sizes and counts within 2% (the core is taken a moment after V8's
# snapshot, and a few strings live or die in between).
same() {
  python3 - "$1" "$2" <<'PY'
import re, sys
def rows(text):
    out = []
    for line in text.split("\n"):
        m = re.match(r"^(.*?): ([0-9.]+)([KMG]?B)(?: N ([0-9]+))?(.*)$", line.strip())
        if not m: return None
        scale = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(3)]
        out.append((m.group(1), float(m.group(2)) * scale, int(m.group(4) or 0), m.group(5)))
    return out
want, got = rows(sys.argv[1]), rows(sys.argv[2])
close = lambda a, b: abs(a - b) <= 0.02 * max(a, b, 1)
ok = want is not None and got is not None and len(want) == len(got) and all(
    w[0] == g[0] and w[3] == g[3] and close(w[1], g[1]) and close(w[2], g[2])
    for w, g in zip(want, got))
sys.exit(0 if ok else 1)
PY
}
status=0
for analysis in object-size shape; do
  theirs_out=$(run $analysis "$dir/heap.heapsnapshot") || { echo "FAIL: memlab on V8's snapshot"; exit 1; }
  ours_out=$(run $analysis "$ours") || { echo "FAIL: memlab $analysis on mortem's snapshot exited non-zero:"; echo "$ours_out" | tail -20; exit 1; }
  if [ $analysis = object-size ]; then
    pick() { grep 'refs: \[records\]' | sed 's/^.*@[0-9]* //'; }
  else
    pick() { grep '^· ' | head -3 | sed 's/ (N: \([0-9]*\), Examples.*/ N \1/'; }
  fi
  want=$(echo "$theirs_out" | pick) got=$(echo "$ours_out" | pick)
  echo "memlab $analysis, V8's snapshot:    ${want//$'\n'/ | }"
  echo "memlab $analysis, mortem's snapshot: ${got//$'\n'/ | }"
  if [ -z "$want" ] || { [ $analysis = object-size ] && [ "$want" != "$got" ]; } ||
     { [ $analysis = shape ] && ! same "$want" "$got"; }; then
    echo "FAIL: memlab $analysis differs"
    status=1
  fi
done
rm -f "$ours"
exit $status
