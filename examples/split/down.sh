#!/usr/bin/env bash
# Removes the project containers (through the side-car, which owns them), then the layout.
set -euo pipefail
. "$(dirname "$0")/env.sh"
compose exec -T sidecar node /opt/berth/bin/berth.js -f "$here/berth.yaml" down >/dev/null 2>&1 || true
compose down -t 2 --volumes
