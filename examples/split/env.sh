# Sourced by up.sh and down.sh: paths, and tokens generated once into .berth-split.env (0600).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BERTH_EXAMPLES BERTH_REPO NODE_BIN
BERTH_EXAMPLES=$(cd "$here/.." && pwd)
BERTH_REPO=$(cd "$here/../.." && pwd)
NODE_BIN=$(command -v node)
export BERTH_SPLIT_PORT=${BERTH_SPLIT_PORT:-7878}
if [ ! -f "$here/.berth-split.env" ]; then
  umask 077
  {
    echo "BERTH_OPS_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "BERTH_MCP_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  } > "$here/.berth-split.env"
fi
set -a
# shellcheck disable=SC1091
. "$here/.berth-split.env"
set +a
compose() { docker-compose -p berth-split -f "$here/docker-compose.yml" "$@"; }
