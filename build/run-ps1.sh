#!/usr/bin/env bash
# Runs a PowerShell script with the PsWebSocket module importable (out/PsWebSocket):
# with pwsh when it is installed, otherwise with the PowerShell 7.6 engine hosted by
# powershell/src/PwshRunner (built by build/build.sh).
#   build/run-ps1.sh path/to/script.ps1 [args...]
#   build/run-ps1.sh --runner-path        # prints the runner's path
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runner="$root/powershell/src/PwshRunner/bin/Debug/net10.0/linux-x64/PwshRunner"
if [ "${1:-}" = "--runner-path" ]; then
    echo "$runner"
    exit 0
fi
[ $# -ge 1 ] || { echo "usage: build/run-ps1.sh script.ps1 [args...]" >&2; exit 2; }
if command -v pwsh >/dev/null 2>&1 && [ -z "${PSWS_USE_RUNNER:-}" ]; then
    export PSModulePath="$root/out${PSModulePath:+:$PSModulePath}"
    exec pwsh -NoLogo -NoProfile -File "$@"
fi
[ -x "$runner" ] || { echo "the runner is not built: run build/build.sh first" >&2; exit 2; }
export PWSH_RUNNER_MODULES="$root/out"
exec "$runner" "$@"
