#!/usr/bin/env bash
# Installs what mortem's build and tests need, then fetches the Node.js binaries of the test
# matrix. Idempotent: apt runs only when a package is missing; cached Node binaries are kept.
# Works as root without sudo (CI containers); uses sudo only when not root and sudo exists.
# Usage: scripts/setup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake g++ pkg-config          # toolchain
  libelf-dev libdw-dev libunwind-dev            # core and binary readers
  libboost-program-options-dev                  # CLI options
  doctest-dev nlohmann-json3-dev                # tests, JSON output
  liblldb-dev lldb python3-lldb-14              # LLDB plugin
  gdb                                           # gcore, for the gcore e2e path
  python3-jsonschema                            # e2e: --json output against docs/schema
  clang-format elfutils                         # formatting check, eu-readelf
  clang libclang-rt-14-dev                      # libFuzzer targets (tests/fuzz)
  time bc                                       # bench/run.sh (GNU time, arithmetic)
  npm                                           # scripts/fetch-node.sh (npm pack)
)

missing=()
for p in "${packages[@]}"; do
  # Installed means dpkg status "install ok installed" (not just known to dpkg).
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
# npm may come from elsewhere (nodesource, nvm): only a missing command matters.
if command -v npm >/dev/null 2>&1; then
  kept=()
  for p in "${missing[@]}"; do [ "$p" = npm ] || kept+=("$p"); done
  missing=("${kept[@]+"${kept[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup: missing packages (${missing[*]}) and not root, no sudo: install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null
else
  echo "setup: all packages present" >&2
fi

"$root/scripts/fetch-node.sh"
echo "setup: node $(tr '\n' ' ' < <(cat "$root/scripts/node-versions.txt" "$root/scripts/node-older-patches.txt" | grep -v '^#' | grep -v '^$'))ready" >&2
