#!/usr/bin/env bash
# Builds what the main job needs: the engine in release (libpsws.so), the PowerShell
# module folder out/PsWebSocket, and the PowerShell runner.
#   build/build.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/build/env.sh"
cd "$root"
cargo build --release -p psws-ffi
dotnet build PsWebSocket.slnx -p:PswsNativeDir="$root/target/release/" -nologo -clp:ErrorsOnly
echo "built: out/PsWebSocket (module), $(build/run-ps1.sh --runner-path)"
