#!/usr/bin/env bash
# Builds and runs every test: the engine and the C ABI (cargo test), the C programs
# under valgrind, the generated header against the committed one, and the .NET suites
# (C# interop, hosted PowerShell module, Chromium browser tests), then packs the module
# (build/package.sh) and runs its Pester specs (tests/pester, the install test among them) in
# pwsh. Prints one line per suite and a final "N passed, M failed" line; exits non-zero if
# anything failed. The backplane tests start their own redis-server processes.
#   build/test.sh
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/build/env.sh"
psws_require_packages valgrind chromium redis-server || exit 1
# The metrics tests parse /metrics with the Prometheus project's own parser.
psws_require_python_module prometheus_client python3-prometheus-client || exit 1
cd "$root"
logs="$root/target/test-logs"
mkdir -p "$logs"
passed=0
failed=0
results=()

# run NAME COMMAND...: runs a step with its output in target/test-logs/NAME.log.
run() {
    local name="$1"
    shift
    echo "==> $name"
    if "$@" >"$logs/$name.log" 2>&1; then
        return 0
    fi
    echo "    $name failed; last lines of $logs/$name.log:"
    tail -n 40 "$logs/$name.log" | sed 's/^/    /'
    return 1
}

# record NAME PASSED FAILED OK
record() {
    passed=$((passed + $2))
    failed=$((failed + $3))
    results+=("$(printf '%-28s %5d passed %5d failed%s' "$1" "$2" "$3" "$([ "$4" = 0 ] && echo "" || echo "  (FAILED)")")")
    [ "$4" = 0 ] || [ "$3" -gt 0 ] || failed=$((failed + 1))
}

fatal() {
    echo "FATAL: $1 (see $logs)"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
}

# Peers the tests start (Node's ws for the external-client tests).
run npm-peers npm ci --prefix tests/peers --no-audit --no-fund || fatal "npm ci in tests/peers"

# Rust: engine + ABI. Building also regenerates ffi/include/psws.h.
run cargo-build cargo build --workspace --all-targets || fatal "cargo build"
if git -C "$root" ls-files --error-unmatch ffi/include/psws.h >/dev/null 2>&1; then
    if run header-check git -C "$root" diff --exit-code -- ffi/include/psws.h; then
        record "psws.h matches the code" 1 0 0
    else
        record "psws.h matches the code" 0 1 1
    fi
fi
run cargo-test cargo test --workspace --no-fail-fast
status=$?
read -r p f < <(grep -E '^test result:' "$logs/cargo-test.log" | awk '{p+=$4; f+=$6} END {print p+0, f+0}')
record "Rust (cargo test)" "$p" "$f" "$status"

# C programs against libpsws, under valgrind.
run c-tests tests/c/run.sh "$root/target/debug"
status=$?
p=$(grep -cE '^[a-z_]+: ok' "$logs/c-tests.log")
f=$(grep -cE '^[a-z_]+: FAIL' "$logs/c-tests.log")
record "C (valgrind)" "$p" "$f" "$status"

# .NET: the module over the debug engine built above.
run dotnet-build dotnet build PsWebSocket.slnx -p:PswsNativeDir="$root/target/debug/" -nologo || fatal "dotnet build"
for project in tests/dotnet/*/*.csproj; do
    name="$(basename "$project" .csproj)"
    run "$name" dotnet test "$project" --no-build --nologo
    status=$?
    read -r p f < <(grep -E '(Passed|Failed)!' "$logs/$name.log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\2 \1/' | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
    record "$name" "$p" "$f" "$status"
done

# The installable package (out/PsWebSocket.<version>.nupkg) that tests/pester/Install.Tests.ps1 installs.
if run package build/package.sh; then
    record "package (build/package.sh)" 1 0 0
else
    record "package (build/package.sh)" 0 1 1
fi

# Pester: the module's behaviour as a user tests it, in pwsh (the runner's, or an installed one).
pwsh_runner="$(build/run-ps1.sh --runner-path)"
run pester build/run-ps1.sh tests/pester/Invoke-PesterSuite.ps1 \
    -PesterPath "$(cat "$(dirname "$pwsh_runner")/pester.path")" -ResultPath "$logs/pester.xml"
status=$?
read -r p f < <(sed -nE 's/^Pester: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$logs/pester.log" | tail -n 1)
record "Pester (tests/pester)" "${p:-0}" "${f:-0}" "$status"

echo
printf '%s\n' "${results[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
