#!/usr/bin/env bash
# Builds the C tests of libpsws (and examples/c/chat_server.c) with
# gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -pthread and runs each under valgrind:
# an invalid read or write, a use of uninitialised memory or a definitely lost block fails
# the run (exit code 99 from valgrind). "Still reachable" and "possibly lost" blocks are
# expected: the engine's tokio threads are still alive when the program exits.
#
# Usage: tests/c/run.sh [LIBDIR]
#   LIBDIR, or PSWS_LIB_DIR: the directory holding libpsws.so. Without one, the script runs
#   `cargo build -p psws-ffi` (--release when PSWS_PROFILE=release) and uses target/<profile>.
# Environment:
#   PSWS_PROFILE=debug|release   profile to build and use when no LIBDIR is given (debug)
#   PSWS_VALGRIND=0              run the programs without valgrind (quicker)
#   PSWS_TEST_TIMEOUT_MS         bound of every wait inside the tests (10000; 30000 under valgrind)
#   PSWS_TEST_VERBOSE=1          print the library's log events
#   PSWS_C_BUILD_DIR             binaries and logs (target/c-tests)
#   CC                           C compiler (gcc)
# Prints one line per program and a final summary line; exits non-zero on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=${PSWS_PROFILE:-debug}
libdir=${1:-${PSWS_LIB_DIR:-}}
build=${PSWS_C_BUILD_DIR:-$root/target/c-tests}
cc=${CC:-gcc}
use_valgrind=${PSWS_VALGRIND:-1}
# Upper bound of a whole program run, so that a hang fails instead of blocking CI.
run_limit=${PSWS_C_RUN_LIMIT:-600}
cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -g -pthread -I"$root/ffi/include" -I"$here")

failed=()
passed=()
note() { printf '%s\n' "$*"; }

if [ -z "$libdir" ]; then
  case "$profile" in
    debug) cargo_flags=() ;;
    release) cargo_flags=(--release) ;;
    *) note "run.sh: PSWS_PROFILE must be debug or release, not '$profile'"; exit 2 ;;
  esac
  if ! (cd "$root" && cargo build -q -p psws-ffi "${cargo_flags[@]}"); then
    note "C tests: FAIL (cargo build -p psws-ffi failed)"
    exit 1
  fi
  libdir=$root/target/$profile
fi
libdir=$(cd "$libdir" 2>/dev/null && pwd) || { note "run.sh: no directory '$1${PSWS_LIB_DIR:-}'"; exit 2; }
if [ ! -e "$libdir/libpsws.so" ]; then
  note "C tests: FAIL (no libpsws.so in $libdir)"
  exit 1
fi
if [ "$use_valgrind" != 0 ] && ! command -v valgrind >/dev/null; then
  note "C tests: FAIL (valgrind not found; PSWS_VALGRIND=0 runs without it)"
  exit 1
fi
if [ "$use_valgrind" != 0 ]; then
  export PSWS_TEST_TIMEOUT_MS=${PSWS_TEST_TIMEOUT_MS:-30000}
else
  export PSWS_TEST_TIMEOUT_MS=${PSWS_TEST_TIMEOUT_MS:-10000}
fi
mkdir -p "$build"
ldflags=(-L"$libdir" -lpsws -Wl,-rpath,"$libdir")

# ---- build --------------------------------------------------------------------------
compile() { # name sources... [-- extra flags]
  local name=$1
  shift
  if ! "$cc" "${cflags[@]}" "$@" -o "$build/$name" "${ldflags[@]}" 2>"$build/$name.build.log"; then
    note "$name: FAIL (does not compile)"
    sed 's/^/    /' "$build/$name.build.log"
    failed+=("$name")
    return 1
  fi
}
built=()
for program in server_client bad_inputs chat_smoke backplane; do
  compile "$program" -O0 "$here/$program.c" "$here/common.c" && built+=("$program")
done
compile chat_server -O2 "$root/examples/c/chat_server.c" && built+=(chat_server)
has() { local x; for x in "${built[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

# ---- run ----------------------------------------------------------------------------
# Prefix for running a program: valgrind with its log in $build/<name>.valgrind.log.
runner() { # name
  if [ "$use_valgrind" != 0 ]; then
    printf '%s\0' valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      --show-leak-kinds=definite --num-callers=40 --log-file="$build/$1.valgrind.log"
  fi
}

# "valgrind: 0 errors, 0 bytes definitely lost" from a log, or "" without valgrind.
valgrind_summary() { # name
  local log=$build/$1.valgrind.log errors lost
  [ "$use_valgrind" != 0 ] && [ -f "$log" ] || return 0
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1)
  lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
  printf 'valgrind: %s errors, %s bytes definitely lost' "${errors:-?}" "${lost:-0}"
}

# Records the outcome of one program from its exit code.
judge() { # name exit-code
  local name=$1 rc=$2 why summary
  summary=$(valgrind_summary "$name")
  case $rc in
    0) note "$name: ok${summary:+ ($summary)}"; passed+=("$name"); return 0 ;;
    99) why="valgrind found errors" ;;
    124|137) why="did not finish within ${run_limit}s" ;;
    *) why="exit code $rc" ;;
  esac
  note "$name: FAIL ($why${summary:+; $summary})"
  sed 's/^/    /' "$build/$name.out"
  if [ "$rc" = 99 ]; then
    note "    --- $build/$name.valgrind.log (errors) ---"
    grep -v '^==[0-9]*== *$' "$build/$name.valgrind.log" | sed -n '/Invalid\|uninitialised\|definitely lost in\|Mismatched\|Syscall param/,+25p' | head -120 | sed 's/^/    /'
  fi
  failed+=("$name")
  return 1
}

run_program() { # name args...
  local name=$1 rc
  shift
  local -a pre=()
  while IFS= read -r -d '' arg; do pre+=("$arg"); done < <(runner "$name")
  timeout -k 10 "$run_limit" "${pre[@]}" "$build/$name" "$@" >"$build/$name.out" 2>&1
  rc=$?
  judge "$name" "$rc"
}

for program in server_client bad_inputs backplane; do
  has "$program" && run_program "$program"
done

# The example: start it on a free port, chat with it, stop it with SIGINT.
if has chat_server && has chat_smoke; then
  declare -a pre=()
  while IFS= read -r -d '' arg; do pre+=("$arg"); done < <(runner chat_server)
  "${pre[@]}" "$build/chat_server" 0 >"$build/chat_server.out" 2>&1 &
  server_pid=$!
  port=
  deadline=$((SECONDS + 120)) # an upper bound only: the loop ends as soon as the port is known
  while [ -z "$port" ] && [ $SECONDS -lt $deadline ] && kill -0 "$server_pid" 2>/dev/null; do
    port=$(sed -n 's|^chat server on ws://localhost:\([0-9]*\)/msg.*|\1|p' "$build/chat_server.out")
    [ -n "$port" ] || sleep 0.2
  done
  if [ -z "$port" ]; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    note "chat_server: FAIL (it did not report its port)"
    sed 's/^/    /' "$build/chat_server.out"
    failed+=(chat_server)
  else
    run_program chat_smoke "$port"
    kill -INT "$server_pid"
    # Bounded wait for a clean exit: the stop itself is bounded by the close timeout.
    deadline=$((SECONDS + 60))
    while kill -0 "$server_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -KILL "$server_pid"
      wait "$server_pid" 2>/dev/null
      judge chat_server 124
    else
      wait "$server_pid"
      rc=$?
      if [ "$rc" = 0 ] && ! grep -q '^stopping on signal 2$' "$build/chat_server.out"; then
        note "chat_server: FAIL (exited without reporting SIGINT)"
        failed+=(chat_server)
      else
        judge chat_server "$rc"
      fi
    fi
  fi
fi

# The README's program must be the example, byte for byte.
if "$here/readme_sync.sh" --check >"$build/readme.out" 2>&1; then
  note "readme: ok (ffi/README.md shows examples/c/chat_server.c unchanged)"
  passed+=(readme)
else
  note "readme: FAIL"
  sed 's/^/    /' "$build/readme.out"
  failed+=(readme)
fi

mode=$([ "$use_valgrind" != 0 ] && echo "under valgrind" || echo "without valgrind")
if [ ${#failed[@]} -eq 0 ]; then
  note "C tests: PASS (${#passed[@]} passed $mode: ${passed[*]}; lib $libdir)"
  exit 0
fi
note "C tests: FAIL (${#failed[@]} failed: ${failed[*]}; ${#passed[@]} passed $mode; logs in $build)"
exit 1
