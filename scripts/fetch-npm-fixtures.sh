#!/usr/bin/env bash
# Installs the pinned third-party npm packages the realheaps scenarios run (typescript, express,
# express-session, sql.js: fixtures/npm/package.json, every transitive version and hash pinned by
# fixtures/npm/package-lock.json) into the git-ignored cache .cache/npm-fixtures/node_modules,
# with `npm ci --ignore-scripts` (no install scripts run). Idempotent: an install made from the
# same lock file (.cache/npm-fixtures/.stamp) is kept. Safe to run concurrently (flock).
# Exits 77 (CTest: skipped) saying why when npm is missing or the registry cannot be reached.
# Prints the node_modules directory.
# Usage: scripts/fetch-npm-fixtures.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/fixtures/npm"
dest="$root/.cache/npm-fixtures"
skip=77
mkdir -p "$dest"
want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
exec 9>"$dest.lock"
flock 9
if [ "$(cat "$dest/.stamp" 2>/dev/null)" != "$want" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: npm is not installed (scripts/setup.sh installs it); no npm fixtures" >&2
    exit $skip
  fi
  rm -rf "$dest/node_modules" "$dest/.stamp"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  echo "installing the npm fixtures (fixtures/npm/package-lock.json) into $dest" >&2
  if ! (cd "$dest" && timeout 600 npm ci --silent --no-audit --no-fund --ignore-scripts >&2); then
    echo "SKIP: npm ci of fixtures/npm failed (registry $(npm config get registry 2>/dev/null)" \
         "unreachable?); the realheaps scenarios need it" >&2
    rm -rf "$dest/node_modules"
    exit $skip
  fi
  echo "$want" >"$dest/.stamp"
fi
echo "$dest/node_modules"
