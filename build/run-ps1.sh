#!/usr/bin/env bash
# Runs a PowerShell script with the PsWebSocket module importable (out/PsWebSocket), as
# `pwsh -NoProfile -File script.ps1 args`: with the installed pwsh when there is one,
# otherwise with powershell/src/PwshRunner (PowerShell 7.6's own console host from the SDK,
# built by build/build.sh), whose `pwsh` link also serves Start-Job.
#   build/run-ps1.sh path/to/script.ps1 [args...]
#   build/run-ps1.sh --runner-path        # prints the runner's pwsh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runner="$root/powershell/src/PwshRunner/bin/Debug/net10.0/linux-x64/pwsh"
if [ "${1:-}" = "--runner-path" ]; then
    echo "$runner"
    exit 0
fi
[ $# -ge 1 ] || { echo "usage: build/run-ps1.sh script.ps1 [args...]" >&2; exit 2; }
export PSModulePath="$root/out${PSModulePath:+:$PSModulePath}"
if command -v pwsh >/dev/null 2>&1 && [ -z "${PSWS_USE_RUNNER:-}" ]; then
    exec pwsh -NoLogo -NoProfile -File "$@"
fi
[ -x "$runner" ] || { echo "the runner is not built: run build/build.sh first" >&2; exit 2; }
exec "$runner" -NoLogo -NoProfile -File "$@"
