#!/usr/bin/env bash
# Installs the pinned memlab (npm package memlab@VERSION) into the git-ignored cache
# .cache/memlab, for the e2e test that loads mortem's snapshots into it. Puppeteer's browser
# download is skipped (PUPPETEER_SKIP_DOWNLOAD=1): `memlab analyze` reads snapshot files only.
# Idempotent: a cached install of the pinned version is kept. Prints the memlab CLI's path.
# Usage: scripts/fetch-memlab.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=2.0.5
dest="$root/.cache/memlab/$version"
cli="$dest/node_modules/memlab/bin/memlab"
if [ ! -f "$cli" ]; then
  mkdir -p "$dest"
  echo "installing memlab@$version into $dest" >&2
  (cd "$dest" && PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
     npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dest" "memlab@$version" >&2)
fi
[ -f "$cli" ] || { echo "memlab@$version did not install: no $cli" >&2; exit 1; }
echo "$cli"
