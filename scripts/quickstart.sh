#!/usr/bin/env bash
# One command for a fresh Debian machine: installs what mortem needs, builds it, and analyses a
# core. With no core given, it makes a demo core from fixtures/demo/leaky-app.js under a pinned
# official Node.js and analyses that.
# Usage: scripts/quickstart.sh [CORE [NODE_BINARY]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target mortem >/dev/null
mortem="$root/build/mortem"
core=${1:-}
binary=${2:-}
if [ -z "$core" ]; then
  version=$(grep -v '^#' "$root/scripts/node-versions.txt" | grep -v '^$' | tail -1)
  node="$root/.cache/node/$version/bin/node"
  demo="$root/build/demo"
  mkdir -p "$demo"
  rm -f "$demo"/core "$demo"/core.*
  echo "making a demo core: node $version running fixtures/demo/leaky-app.js" >&2
  (cd "$demo" && ulimit -c unlimited && exec "$node" --expose-gc "$root/fixtures/demo/leaky-app.js") \
    >/dev/null 2>&1 || true
  core=$(ls -t "$demo"/core* 2>/dev/null | head -1 || true)
  if [ -z "$core" ]; then
    echo "no core was written (core_pattern: $(cat /proc/sys/kernel/core_pattern));" \
         "set it to 'core' or pass a core" >&2
    exit 1
  fi
  binary=$node
fi
args=("$core")
[ -n "$binary" ] && args+=(--binary "$binary")
"$mortem" info "${args[@]}"
echo
"$mortem" objects "${args[@]}" --top 25
echo
"$mortem" triage "${args[@]}"
