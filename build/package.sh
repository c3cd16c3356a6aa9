#!/usr/bin/env bash
# Packs the built module folder out/PsWebSocket into out/PsWebSocket.<version>.nupkg, the
# package the PowerShell Gallery publishes and Install-Module / Install-PSResource install:
# the manifest, the assemblies, the MAML help and en-US/about_PsWebSocket.help.txt, and
# runtimes/<rid>/native/ for each native library built. The version is the manifest's ModuleVersion.
#   build/package.sh                  # after build/build.sh (or a dotnet build of the solution)
#   build/package.sh --natives DIR    # also DIR/runtimes/<rid>/native/* (libraries built on other machines)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="$root/out/PsWebSocket"
natives=""
while [ $# -gt 0 ]; do
    case "$1" in
        --natives) natives="$2"; shift 2 ;;
        *) echo "usage: build/package.sh [--natives DIR]" >&2; exit 2 ;;
    esac
done
[ -f "$module/PsWebSocket.psd1" ] || { echo "out/PsWebSocket is not built: run build/build.sh first" >&2; exit 2; }
if [ -n "$natives" ]; then
    [ -d "$natives/runtimes" ] || { echo "$natives has no runtimes/ folder" >&2; exit 2; }
    cp -R "$natives/runtimes/." "$module/runtimes/"
fi
rm -f "$root"/out/PsWebSocket.*.nupkg
"$root/build/run-ps1.sh" "$root/build/New-ModulePackage.ps1" -ModuleDir "$module" -OutDir "$root/out" \
    -PackProject "$root/powershell/src/PsWebSocket/PsWebSocket.csproj"
