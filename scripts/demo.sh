#!/usr/bin/env bash
# `npm run demo`: the linkswitch sidecar stack (docker-compose.yml) on this machine, from nothing.
# Installs what is missing (Docker engine and HAProxy via scripts/setup.sh, docker-compose from
# Debian, the npm dependencies), builds, then hands over to scripts/demo.ts, which builds the
# images, brings the stack up and deploys and rolls back under load.
# `npm run demo -- --down` tears the stack down again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--down" ]; then
  bash scripts/setup.sh
  if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
    echo "demo: installing docker-compose"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  fi
fi
if [ ! -x node_modules/.bin/tsx ]; then
  echo "demo: installing npm dependencies"
  npm install --no-audit --no-fund
fi
if [ "${1:-}" != "--down" ]; then
  npm run --silent build
fi
exec node_modules/.bin/tsx scripts/demo.ts "$@"
