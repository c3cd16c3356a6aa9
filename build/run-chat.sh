#!/usr/bin/env bash
# The main job: builds everything and runs the browser chat (examples/chat/server.ps1)
# on http://localhost:8091. Open it in two browser windows; Ctrl+C stops it.
#   build/run-chat.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/build/build.sh"
echo "chat: open http://localhost:8091 in two browser windows (Ctrl+C stops the server)"
exec "$root/build/run-ps1.sh" "$root/examples/chat/server.ps1"
