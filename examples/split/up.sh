#!/usr/bin/env bash
# Brings up the split layout and waits until the MCP hub answers.
set -euo pipefail
. "$(dirname "$0")/env.sh"
compose up -d
for _ in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$BERTH_SPLIT_PORT/mcp" \
    -H "Authorization: Bearer $BERTH_MCP_TOKEN" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"up.sh","version":"1"}}}' \
    || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || { compose logs --tail 20; echo "split: the hub did not answer" >&2; exit 1; }
echo "MCP hub:  http://127.0.0.1:$BERTH_SPLIT_PORT/mcp"
echo "token:    $BERTH_MCP_TOKEN   (also in $here/.berth-split.env)"
