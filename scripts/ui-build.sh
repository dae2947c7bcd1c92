#!/usr/bin/env bash
# Installs the UI's npm dependencies (from the lock file) when they are missing or stale, then builds ui/dist,
# which the desktop binary embeds.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
