#!/usr/bin/env bash
# PowerShell-side benchmark: signal-route dispatch vs the same script block looped in
# one runspace, and a timer's Send-PodeSignal to 1,000 clients. Prints a Markdown table.
#   bench/run-pwsh.sh [--threads 2] [--clients 16] [--seconds 5] [--loop 40000] [--rounds 3] [--fanout 1000]
# Needs build/build.sh first (engine in release, module folder out/PsWebSocket).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dotnet build "$root/bench/pwsh/PsBench.csproj" -c Release -nologo -clp:ErrorsOnly -p:PswsNativeDir="$root/target/release/" >/dev/null
exec dotnet "$root/bench/pwsh/bin/Release/net10.0/PsBench.dll" "$@"
