#!/usr/bin/env bash
# bench/run.sh - broadcast fan-out benchmark: PsWebSocket side by side with the
# peers in ../shared/anchors, in ONE run, one Markdown table.
#
# For every run, regime and server: start the server pinned to CPU 0 on a free
# port, wait until it accepts TCP, run `loadgen bench ... --server-pid PID`
# pinned to CPU 1, keep its RESULT line, stop the server.  Then, per server, the
# idle-memory test (`loadgen idle`).  Runs are interleaved round-robin across
# servers; the table reports the median over runs.
#
# Quick start (from anywhere):
#   bench/run.sh --setup                      # build anchors + npm ci (once)
#   bench/run.sh --quick                      # smoke test, the three peers
#   bench/run.sh --runs 3 \
#     --server 'psws|target/release/psws-bench-server --port {port}|--envelope --path /msg'
#
# See bench/README.md for every option, the columns and the caveats.
set -euo pipefail

# ---------------------------------------------------------------- locations --
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$BENCH_DIR/.." && pwd -P)"          # repo root; server commands run here
ANCHORS="${ANCHORS:-$(cd "$ROOT/../shared/anchors" 2>/dev/null && pwd -P || echo /work/shared/anchors)}"
ANCHOR_TARGET="${ANCHOR_TARGET:-$ROOT/target/anchors}"
ANCHOR_BIN="$ANCHOR_TARGET/release"
LOADGEN="${LOADGEN:-$ANCHOR_BIN/loadgen}"
NODE_MODULES="$BENCH_DIR/node/node_modules"
BUILTIN_PEERS=(tt-tuned tt-naive node-ws)

# ----------------------------------------------------------------- settings --
# Every setting has an environment default (BENCH_*) and a flag; flags win.
# Empty means "not given": --quick fills those with its smaller values.
REGIMES="${BENCH_REGIMES:-}"          # "N:SIZE:WINDOW[:RATE],..." (default 1000:128:64,1000:128:32,1000:128:1,1000:128:1000:500)
WARMUP="${BENCH_WARMUP:-}"            # seconds (default 1)
MEASURE="${BENCH_MEASURE:-}"          # seconds (default 6)
RUNS="${BENCH_RUNS:-}"                # repetitions, median reported (default 1)
IDLE_N="${BENCH_IDLE_N:-}"            # idle connections (default 10000)
IDLE_CONC="${BENCH_IDLE_CONC:-200}"   # concurrent connects in the idle test
IDLE_SETTLE="${BENCH_IDLE_SETTLE:-}"  # seconds after connecting (default 3)
PAUSE="${BENCH_PAUSE:-}"              # seconds between measurements (default 1)
PEERS="${BENCH_PEERS-tt-tuned,tt-naive,node-ws}"  # built-ins to include ("none" = none)
REF="${BENCH_REF:-tt-tuned}"          # ratio column = server / REF
SERVER_CPU="${BENCH_SERVER_CPU:-0}"
LOADGEN_CPU="${BENCH_LOADGEN_CPU:-1}"
NOFILE="${BENCH_NOFILE:-65536}"       # wanted `ulimit -n` (capped at the hard limit)
LOADGEN_ARGS="${BENCH_LOADGEN_ARGS:-}" # extra args for every loadgen bench call
START_TIMEOUT="${BENCH_START_TIMEOUT:-20}" # seconds for a server to accept TCP
WAIT_QUIET="${BENCH_WAIT_QUIET:-0}"   # max seconds to wait for a quiet machine before each measurement
QUIET_PCT="${BENCH_QUIET_PCT:-10}"    # "quiet" = background CPU busy below this % (of all CPUs)
OUT=""                                # Markdown file (default results/<date>[-quick].md)
SAVE=1
QUICK=0
DO_IDLE=1
DO_SETUP=0
KEEP_LOGS=0
SPECS=()                              # --server arguments, in order

usage() {
    sed -n '/^# bench\/run.sh/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    cat <<'EOF'
Options (environment default in brackets):
  --server SPEC        add a server; repeatable.  SPEC is one of
                         NAME                          a built-in peer: tt-tuned, tt-naive, node-ws
                         'NAME|COMMAND|LOADGEN ARGS'   COMMAND contains {port}; LOADGEN ARGS optional
                         'NAME=COMMAND'                shorthand without loadgen args
                       COMMAND runs from the repo root, may start with VAR=value words and
                       must exec the server itself (its PID is measured), e.g.
                         'psws|target/release/psws-bench-server --port {port}|--envelope --path /msg'
  --peers LIST         built-in peers to include besides --server entries, comma-separated,
                       or "none" [BENCH_PEERS=tt-tuned,tt-naive,node-ws]
  --ref NAME           reference server of the ratio columns [BENCH_REF=tt-tuned]
  --regimes LIST       N:SIZE:WINDOW[:RATE],... (RATE: open loop, messages/s)
                       [BENCH_REGIMES=1000:128:64,1000:128:32,1000:128:1,1000:128:1000:500]
  --warmup S           warm-up seconds [BENCH_WARMUP=1]
  --measure S          measurement seconds [BENCH_MEASURE=6]
  --runs K             repetitions, interleaved round-robin; median reported [BENCH_RUNS=1]
  --idle-n N           idle connections [BENCH_IDLE_N=10000]
  --idle-conc C        concurrent connects in the idle test [BENCH_IDLE_CONC=200]
  --idle-settle S      settle seconds in the idle test [BENCH_IDLE_SETTLE=3]
  --no-idle            skip the idle test
  --loadgen-args ARGS  extra args for every `loadgen bench` (e.g. "--sub tt") [BENCH_LOADGEN_ARGS]
  --pause S            pause between measurements [BENCH_PAUSE=1]
  --wait-quiet S       before each measurement wait up to S seconds until background CPU load
                       is below --quiet-pct (other builds share the CPUs) [BENCH_WAIT_QUIET=0]
  --quiet-pct P        threshold for --wait-quiet and for the warning [BENCH_QUIET_PCT=10]
  --server-cpu C       CPU for servers [BENCH_SERVER_CPU=0]
  --loadgen-cpu C      CPU for the load generator [BENCH_LOADGEN_CPU=1]
  --quick              smoke test: warmup 0.5, measure 2, runs 1, idle-n 2000, settle 1, pause 0.3
                       (explicit flags still win); writes results/<date>-quick.md
  --out FILE           write the Markdown here instead of results/<date>[-quick].md
  --no-save            print only, write no file
  --keep-logs          keep server/loadgen logs (always kept when something failed)
  --setup              build the anchors and `npm ci` the node peer, then continue
  -h, --help           this text
Paths: ANCHORS=/work/shared/anchors, ANCHOR_TARGET=<root>/target/anchors, LOADGEN=<target>/release/loadgen
EOF
}

# ------------------------------------------------------------------ helpers --
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
trim() { local s=$1; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# kv LINE KEY -> value of KEY=value in a RESULT line (empty if absent)
kv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$1"; }

# median V... -> median of the numeric arguments ("NA" ignored; NA if none)
median() {
    { printf '%s\n' "$@" | grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' || true; } | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Number formatting for the table (mawk-safe awk).
fmt_rate() { awk -v v="$1" 'BEGIN { if (v == "NA" || v == "") print "-"; else if (v >= 1e6) printf "%.2f M", v / 1e6; else printf "%.3f M", v / 1e6 }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "NA" || v == "") print "-"; else if (v < 10000) printf "%.2f", v / 1000; else printf "%.0f", v / 1000 }'; }
fmt_num() { awk -v v="$1" -v p="${2:-1}" 'BEGIN { if (v == "NA" || v == "") print "-"; else printf "%." p "f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || a == "" || b == "" || b + 0 == 0) print "-"; else { r = a / b; printf (r < 0.1 ? "%.3fx" : "%.2fx"), r } }'; }

# shquote ARG -> ARG, single-quoted if it holds anything but plain characters
shquote() { if [[ $1 =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi; }

is_builtin() { local p; for p in "${BUILTIN_PEERS[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

# builtin_spec NAME -> "COMMAND|LOADGEN ARGS" of a built-in peer
builtin_spec() {
    case $1 in
        tt-tuned) printf 'TT_READ_BUF=4096 %q {port}|' "$ANCHOR_BIN/tt-tuned" ;;
        tt-naive) printf '%q {port}|' "$ANCHOR_BIN/tt-naive" ;;
        node-ws) printf 'NODE_PATH=%q node %q {port}|' "$NODE_MODULES" "$ANCHORS/node-ws/server.js" ;;
        *) return 1 ;;
    esac
}

# ------------------------------------------------------------ server table --
NAMES=()                 # server names in table order
declare -A CMD=()        # name -> command template with {port}
declare -A LGARGS=()     # name -> extra loadgen args for this server

add_server() { # NAME COMMAND LOADGEN_ARGS
    local name=$1 cmd=$2 extra=$3 n
    [[ $name =~ ^[A-Za-z0-9_.+-]+$ ]] || die "bad server name '$name' (letters, digits, _ . + - only)"
    [[ $cmd == *"{port}"* ]] || die "server '$name': command has no {port} placeholder: $cmd"
    for n in "${NAMES[@]}"; do [[ $n == "$name" ]] && die "server '$name' given twice"; done
    NAMES+=("$name"); CMD[$name]=$cmd; LGARGS[$name]=$extra
}

parse_spec() { # SPEC -> add_server
    local spec=$1 name cmd="" extra="" b
    if [[ $spec == *"|"* ]]; then
        IFS='|' read -r name cmd extra <<<"$spec"
    elif [[ $spec =~ ^([A-Za-z0-9_.+-]+)=(.+)$ ]]; then
        name=${BASH_REMATCH[1]}; cmd=${BASH_REMATCH[2]}
    else
        name=$spec
    fi
    name=$(trim "$name"); cmd=$(trim "$cmd"); extra=$(trim "$extra")
    if [[ -z $cmd ]]; then
        is_builtin "$name" || die "'$name' is not a built-in peer (${BUILTIN_PEERS[*]}); give 'NAME|COMMAND|ARGS'"
        b=$(builtin_spec "$name"); cmd=${b%%|*}
        [[ -n $extra ]] || extra=${b#*|}
    fi
    add_server "$name" "$cmd" "$extra"
}

# -------------------------------------------------------- process handling --
SERVER_PID=""            # running server (killed by the EXIT trap)
LOADGEN_PID=""           # running loadgen (killed by the EXIT trap)
WORK=""                  # scratch dir for logs
FAILED=0

cleanup() {
    local rc=$?
    [[ -n $LOADGEN_PID ]] && kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    [[ -n $SERVER_PID ]] && stop_server || true
    if [[ -n $WORK && -d $WORK ]]; then
        if ((FAILED || KEEP_LOGS || rc != 0)); then
            log "logs kept in $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# free_port -> a TCP port below the ephemeral range that nothing listens on
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] && { echo "$p"; return 0; }
    done
    die "no free port found"
}

# start_server NAME PORT LOGFILE -> sets SERVER_PID
start_server() {
    local name=$1 port=$2 logf=$3 cmd words
    cmd=${CMD[$name]//\{port\}/$port}
    eval "words=($cmd)"                      # shell-style quoting, VAR=value prefixes
    # taskset and env both exec, so $! is the server process itself.
    ( cd "$ROOT" && exec taskset -c "$SERVER_CPU" env "${words[@]}" ) >"$logf" 2>&1 </dev/null &
    SERVER_PID=$!
}

# wait_for_port PORT -> 0 when something accepts TCP, 1 on timeout, 2 if the server died
wait_for_port() {
    local port=$1 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$SERVER_PID" 2>/dev/null || return 2
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

stop_server() {
    local pid=$SERVER_PID i
    [[ -n $pid ]] || return 0
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# run_loadgen OUTFILE ERRFILE TIMEOUT ARGS... -> loadgen's exit status
run_loadgen() {
    local out=$1 err=$2 tmo=$3 rc=0; shift 3
    # Background + wait so that the INT/TERM trap can stop it at once.
    taskset -c "$LOADGEN_CPU" timeout "$tmo" "$LOADGEN" "$@" >"$out" 2>"$err" </dev/null &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID" || rc=$?
    LOADGEN_PID=""
    return "$rc"
}

# measure KIND NAME TAG LOADGEN_ARGS... -> sets RES to the RESULT line or "FAIL <reason>"
#   KIND is bench or idle; TAG names the log files.  Not called in $(...):
#   the EXIT trap must see SERVER_PID / LOADGEN_PID.
RES=""
measure() {
    local kind=$1 name=$2 tag=$3; shift 3
    local port slog="$WORK/$tag.server.log" out="$WORK/$tag.out" err="$WORK/$tag.err"
    local rc=0 st=0 tmo line alive=1
    port=$(free_port)
    start_server "$name" "$port" "$slog"
    wait_for_port "$port" || rc=$?
    if ((rc == 2)); then
        wait "$SERVER_PID" 2>/dev/null || st=$?
        SERVER_PID=""
        RES="FAIL server exited at start (status $st): $(tail -n 2 "$slog" | tr '\n' ' ')"
        return 0
    elif ((rc == 1)); then
        stop_server
        RES="FAIL server did not accept TCP on :$port within ${START_TIMEOUT}s"
        return 0
    fi
    if [[ $kind == bench ]]; then   # connect + warmup + measure + up to 20 s drain
        tmo=$(awk -v w="$WARMUP" -v m="$MEASURE" 'BEGIN { printf "%d", w + m + 90 }')
    else
        tmo=$(awk -v s="$IDLE_SETTLE" 'BEGIN { printf "%d", s + 180 }')
    fi
    run_loadgen "$out" "$err" "$tmo" "$kind" --port "$port" --server-pid "$SERVER_PID" --label "$name" "$@" || st=$?
    kill -0 "$SERVER_PID" 2>/dev/null || alive=0
    stop_server
    line=$(grep -m1 '^RESULT ' "$out" || true)
    if [[ -n $line ]]; then
        RES=$line
    elif ((alive == 0)); then
        RES="FAIL server died during the run: $(tail -n 2 "$slog" | tr '\n' ' ')"
    elif ((st == 124)); then
        RES="FAIL loadgen timed out after ${tmo}s"
    else
        RES="FAIL loadgen status $st: $(grep -v '^\[' "$err" | tail -n 2 | tr '\n' ' ')"
    fi
}

# ----------------------------------------------------------------- options --
parse_args() {
    while (($#)); do
        case $1 in
            --server) SPECS+=("${2:?--server needs a value}"); shift ;;
            --peers) PEERS=${2?}; shift ;;
            --ref) REF=${2:?}; shift ;;
            --regimes) REGIMES=${2:?}; shift ;;
            --warmup) WARMUP=${2:?}; shift ;;
            --measure) MEASURE=${2:?}; shift ;;
            --runs) RUNS=${2:?}; shift ;;
            --idle-n) IDLE_N=${2:?}; shift ;;
            --idle-conc) IDLE_CONC=${2:?}; shift ;;
            --idle-settle) IDLE_SETTLE=${2:?}; shift ;;
            --no-idle) DO_IDLE=0 ;;
            --loadgen-args) LOADGEN_ARGS=${2?}; shift ;;
            --pause) PAUSE=${2:?}; shift ;;
            --wait-quiet) WAIT_QUIET=${2:?}; shift ;;
            --quiet-pct) QUIET_PCT=${2:?}; shift ;;
            --server-cpu) SERVER_CPU=${2:?}; shift ;;
            --loadgen-cpu) LOADGEN_CPU=${2:?}; shift ;;
            --quick) QUICK=1 ;;
            --out) OUT=${2:?}; shift ;;
            --no-save) SAVE=0 ;;
            --keep-logs) KEEP_LOGS=1 ;;
            --setup) DO_SETUP=1 ;;
            -h | --help) usage; exit 0 ;;
            *) die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
    # Defaults; --quick only fills what was not given explicitly.
    if ((QUICK)); then
        : "${WARMUP:=0.5}" "${MEASURE:=2}" "${RUNS:=1}" "${IDLE_N:=2000}" "${IDLE_SETTLE:=1}" "${PAUSE:=0.3}"
    fi
    : "${REGIMES:=1000:128:64,1000:128:32,1000:128:1,1000:128:1000:500}" "${WARMUP:=1}" "${MEASURE:=6}" "${RUNS:=1}"
    : "${IDLE_N:=10000}" "${IDLE_SETTLE:=3}" "${PAUSE:=1}"
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
    local r
    IFS=',' read -r -a REGIME_LIST <<<"$REGIMES"
    for r in "${REGIME_LIST[@]}"; do
        [[ $r =~ ^[1-9][0-9]*:([0-9]+):[1-9][0-9]*(:[1-9][0-9]*)?$ ]] || die "bad regime '$r' (want N:SIZE:WINDOW[:RATE], all > 0)"
        ((BASH_REMATCH[1] >= 16)) || die "regime '$r': size must be >= 16 (16-hex-digit timestamp)"
    done
}

# Servers: --server entries in the given order, then the --peers built-ins.
collect_servers() {
    local s p
    for s in "${SPECS[@]}"; do parse_spec "$s"; done
    if [[ -n $PEERS && $PEERS != none ]]; then
        IFS=',' read -r -a p <<<"$PEERS"
        for s in "${p[@]}"; do
            s=$(trim "$s")
            is_builtin "$s" || die "--peers: unknown peer '$s' (${BUILTIN_PEERS[*]})"
            [[ -n ${CMD[$s]+x} ]] || parse_spec "$s"
        done
    fi
    ((${#NAMES[@]})) || die "no servers to measure"
}

# ------------------------------------------------------------------- setup --
setup() {
    log "building anchors into $ANCHOR_TARGET"
    (cd "$ANCHORS" && CARGO_TARGET_DIR="$ANCHOR_TARGET" cargo build --release --manifest-path "$ANCHORS/Cargo.toml")
    log "installing ws for the node peer (bench/node)"
    (cd "$BENCH_DIR/node" && npm ci --no-audit --no-fund)
}

# check_command NAME: the program of a server command exists (skips VAR=value words)
check_command() {
    local name=$1 words w prog=""
    eval "words=(${CMD[$name]//\{port\}/0})"
    for w in "${words[@]}"; do [[ $w =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { prog=$w; break; }; done
    [[ -n $prog ]] || die "$name: command has no program: ${CMD[$name]}"
    if [[ $prog == */* ]]; then
        [[ $prog == /* ]] || prog="$ROOT/$prog"
        [[ -x $prog ]] || die "$name: $prog not found or not executable$(is_builtin "$name" && echo ' (run with --setup)')"
    else
        command -v "$prog" >/dev/null || die "$name: '$prog' not on PATH"
    fi
    if [[ $name == node-ws && ${CMD[$name]} == *"$NODE_MODULES"* && ! -d $NODE_MODULES/ws ]]; then
        die "node-ws: $NODE_MODULES/ws missing (run with --setup, or npm ci in bench/node)"
    fi
}

preflight() {
    local n hard need
    [[ -x $LOADGEN ]] || die "loadgen not found at $LOADGEN (run with --setup, or build the anchors)"
    for n in "${NAMES[@]}"; do check_command "$n"; done
    command -v taskset >/dev/null || die "taskset not found (util-linux)"
    command -v ss >/dev/null || die "ss not found (iproute2)"
    (($(nproc) >= 2)) || log "WARNING: fewer than 2 CPUs: server and loadgen share a CPU"
    # Raise the fd limit: the idle test holds IDLE_N sockets in each process.
    hard=$(ulimit -Hn)
    need=$((IDLE_N + 1000))
    if [[ $hard != unlimited ]] && ((hard < NOFILE)); then NOFILE=$hard; fi
    ulimit -n "$NOFILE" 2>/dev/null || log "WARNING: could not raise ulimit -n to $NOFILE"
    if ((DO_IDLE)) && (($(ulimit -n) < need)); then
        die "ulimit -n is $(ulimit -n) (hard $hard); the idle test needs >= $need (raise the hard limit or lower --idle-n)"
    fi
}

# ------------------------------------------------------- background load --
# Between measurements none of our processes runs, so whatever keeps the CPUs
# busy then (other builds, other benchmarks) also competes during measurements.
BG_SAMPLES=()            # background busy % right before each measurement

# cpu_jiffies -> "busy total" over all CPUs from /proc/stat
cpu_jiffies() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }

# bg_sample SECONDS -> sleeps; sets BG_PCT to the busy % of all CPUs meanwhile
BG_PCT=0
bg_sample() {
    local b0 t0 b1 t1
    read -r b0 t0 < <(cpu_jiffies)
    sleep "$1"
    read -r b1 t1 < <(cpu_jiffies)
    BG_PCT=$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.1f", (t > 0) ? 100 * b / t : 0 }')
}
busy() { awk -v p="$1" -v q="$QUIET_PCT" 'BEGIN { exit !(p >= q) }'; }

# pause_between: the pause before each measurement, used to sample background
# load (left in BG_PCT and BG_SAMPLES); with --wait-quiet, keeps waiting (up to
# WAIT_QUIET s) while the machine is busy.
pause_between() {
    local t0=$SECONDS deadline=$((SECONDS + ${WAIT_QUIET%.*}))
    bg_sample "$PAUSE"
    if busy "$BG_PCT" && ((SECONDS < deadline)); then
        log "  background CPU load ${BG_PCT}%: waiting up to $((deadline - SECONDS))s for < ${QUIET_PCT}%"
        while busy "$BG_PCT" && ((SECONDS < deadline)); do bg_sample 1; done
        log "  waited $((SECONDS - t0))s, background CPU load now ${BG_PCT}%"
    fi
    busy "$BG_PCT" && log "  WARNING: background CPU load ${BG_PCT}%: other processes compete with this measurement"
    BG_SAMPLES+=("$BG_PCT")
}

# ---------------------------------------------------------------- the runs --
declare -A BENCH=()      # "regime_index|name|run" -> RESULT line or "FAIL ..."
declare -A IDLE=()       # "name|run" -> RESULT line or "FAIL ..."
RAW_LINES=()

record() { # KEY-DESCRIPTION LINE
    RAW_LINES+=("$1 $2")
    if [[ $2 == FAIL* ]]; then FAILED=1; log "  -> $2"; fi
}

# regime_label N SIZE WINDOW [RATE] -> "N=1000 S=128 W=64" (", R=500/s" for an open loop)
regime_label() {
    echo "N=$1 S=$2 W=$3${4:+ R=$4/s}"
}

run_all() {
    local run ri name n size win rate res tag summary pathargs a prev
    for ((run = 1; run <= RUNS; run++)); do
        for ri in "${!REGIME_LIST[@]}"; do
            IFS=: read -r n size win rate <<<"${REGIME_LIST[$ri]}"
            for name in "${NAMES[@]}"; do
                pause_between
                log "run $run/$RUNS  $(regime_label "$n" "$size" "$win" "$rate")  $name"
                tag="r${run}-g${ri}-${name}"
                # shellcheck disable=SC2086  # the extra args are split on purpose
                measure bench "$name" "$tag" --n "$n" --size "$size" --window "$win" \
                    --warmup "$WARMUP" --measure "$MEASURE" ${rate:+--rate "$rate"} $LOADGEN_ARGS ${LGARGS[$name]}
                res=$RES
                BENCH["$ri|$name|$run"]=$res
                record "run=$run regime=${REGIME_LIST[$ri]} server=$name background_cpu_pct=$BG_PCT" "$res"
                if [[ $res == RESULT* ]]; then
                    summary="$(fmt_rate "$(kv "$res" deliveries_per_s)")/s p50 $(fmt_ms "$(kv "$res" p50_us)") ms, server CPU $(kv "$res" server_cpu_pct) %, other CPU $(other_cpu "$res") %, missing $(kv "$res" missing)"
                    log "  -> $summary"
                fi
            done
        done
        ((DO_IDLE)) || continue
        for name in "${NAMES[@]}"; do
            pause_between
            log "run $run/$RUNS  idle n=$IDLE_N  $name"
            # Only the path matters for idle clients (no publisher): pass --path if given.
            pathargs=(); prev=""
            for a in ${LGARGS[$name]}; do [[ $prev == --path ]] && pathargs=(--path "$a"); prev=$a; done
            measure idle "$name" "r${run}-idle-${name}" --n "$IDLE_N" --connect-conc "$IDLE_CONC" \
                --settle "$IDLE_SETTLE" "${pathargs[@]}"
            res=$RES
            IDLE["$name|$run"]=$res
            record "run=$run idle server=$name background_cpu_pct=$BG_PCT" "$res"
            if [[ $res == RESULT* ]]; then log "  -> $(kv "$res" kib_per_conn) KiB/conn"; fi
        done
    done
}

# ------------------------------------------------------------------ report --
# bench_median REGIME_INDEX NAME METRIC -> median of METRIC over the runs ("NA" if none)
bench_median() {
    local vals=() run line
    for ((run = 1; run <= RUNS; run++)); do
        line=${BENCH["$1|$2|$run"]:-}
        [[ $line == RESULT* ]] && vals+=("$(kv "$line" "$3")")
    done
    median "${vals[@]}"
}
# idle_median NAME METRIC -> the same for the idle test
idle_median() {
    local vals=() run line
    for ((run = 1; run <= RUNS; run++)); do
        line=${IDLE["$1|$run"]:-}
        [[ $line == RESULT* ]] && vals+=("$(kv "$line" "$2")")
    done
    median "${vals[@]}"
}
# other_cpu LINE -> CPU used during the window by neither the server nor the loadgen
#   (cpu0 + cpu1 busy - server - loadgen, in % of one CPU).  About 2 on a quiet
#   machine; more means other processes competed with this measurement.
other_cpu() {
    awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } }
        END { if (v["cpu0_busy_pct"] == "" || v["cpu0_busy_pct"] == "NA" || v["server_cpu_pct"] == "NA") print "NA"
              else printf "%.1f\n", v["cpu0_busy_pct"] + v["cpu1_busy_pct"] - v["server_cpu_pct"] - v["loadgen_cpu_pct"] }' <<<"$1"
}
other_median() { # REGIME_INDEX NAME
    local vals=() run line
    for ((run = 1; run <= RUNS; run++)); do
        line=${BENCH["$1|$2|$run"]:-}
        [[ $line == RESULT* ]] && vals+=("$(other_cpu "$line")")
    done
    median "${vals[@]}"
}

# paired_ratio REGIME_INDEX NAME -> median over runs of (NAME / REF deliveries/s in
#   the same run): pairs measured back to back, so drift between runs cancels.
paired_ratio() {
    local vals=() run a b
    for ((run = 1; run <= RUNS; run++)); do
        a=${BENCH["$1|$2|$run"]:-}; b=${BENCH["$1|$REF|$run"]:-}
        [[ $a == RESULT* && $b == RESULT* ]] || continue
        vals+=("$(awk -v x="$(kv "$a" deliveries_per_s)" -v y="$(kv "$b" deliveries_per_s)" 'BEGIN { if (y > 0) printf "%.6f", x / y; else print "NA" }')")
    done
    median "${vals[@]}"
}

# first failure reason for a cell, if every run failed
bench_fail() {
    local run line
    for ((run = 1; run <= RUNS; run++)); do line=${BENCH["$1|$2|$run"]:-}; [[ $line == FAIL* ]] && { echo "${line#FAIL }"; return 0; }; done
    return 0
}

# notes for one table row: failures, loss, lagging subscribers, loadgen limit, run spread
row_notes() { # REGIME_INDEX NAME DELIV PUBXN MISSING CPU1 SERVER_CPU
    local ri=$1 name=$2 d=$3 px=$4 miss=$5 cpu1=$6 scpu=$7 notes=() run line vals=() fails=0
    for ((run = 1; run <= RUNS; run++)); do
        line=${BENCH["$ri|$name|$run"]:-}
        if [[ $line == RESULT* ]]; then vals+=("$(fmt_rate "$(kv "$line" deliveries_per_s)")"); else ((fails++)) || true; fi
    done
    ((fails)) && notes+=("$fails/$RUNS runs failed")
    local bgs=() o
    for ((run = 1; run <= RUNS; run++)); do
        line=${BENCH["$ri|$name|$run"]:-}
        [[ $line == RESULT* ]] || continue
        o=$(other_cpu "$line")
        [[ $o != NA ]] && busy "$o" && bgs+=("$o%")
    done
    ((${#bgs[@]})) && notes+=("**machine busy** in ${#bgs[@]}/$RUNS runs (other CPU $(IFS=/; echo "${bgs[*]}"))")
    awk -v m="$miss" 'BEGIN { exit !(m != "NA" && m > 0) }' && notes+=("missing=$miss")
    awk -v d="$d" -v p="$px" 'BEGIN { exit !(d != "NA" && p != "NA" && p > 1.15 * d) }' &&
        notes+=("subscribers behind (publisher side $(fmt_rate "$px"))")
    # Bottleneck hint (meaningless when other processes took CPU time).
    if ((${#bgs[@]} == 0)) && awk -v c="$cpu1" 'BEGIN { exit !(c != "NA" && c >= 90) }'; then
        if awk -v s="$scpu" 'BEGIN { exit !(s != "NA" && s >= 90) }'; then
            notes+=("both CPUs busy (CPU1 ${cpu1}%): loadgen near its limit too")
        else
            notes+=("loadgen-bound? server ${scpu}% CPU, CPU1 ${cpu1}% busy")
        fi
    fi
    ((RUNS > 1)) && notes+=("runs: $(IFS=/; echo "${vals[*]// M/}") M")
    local IFS=';'; printf '%s' "${notes[*]}" | sed 's/;/; /g'
}

report() {
    local ri n size win rate label name d kib ref_kib px miss cpu1 scpu reason
    echo "# Broadcast fan-out benchmark, $(date '+%Y-%m-%d %H:%M')$( ((QUICK)) && echo ' (QUICK smoke run: not for comparison)')"
    echo
    echo "Median of $RUNS run(s) per cell (fresh server process per measurement, servers interleaved round-robin)."
    echo "Warm-up ${WARMUP} s, measurement ${MEASURE} s. Server pinned to CPU $SERVER_CPU, loadgen to CPU $LOADGEN_CPU; \`ulimit -n\` $(ulimit -n)."
    echo "Ratio column: deliveries/s of the row / those of **$REF** in the same regime and run, median over runs."
    local bgmed bgmax
    bgmed=$(median "${BG_SAMPLES[@]}")
    bgmax=$(printf '%s\n' "${BG_SAMPLES[@]}" | sort -g | tail -n 1)
    local nbusy=0 nmeas=0 k o
    for k in "${!BENCH[@]}"; do
        [[ ${BENCH[$k]} == RESULT* ]] || continue
        nmeas=$((nmeas + 1)); o=$(other_cpu "${BENCH[$k]}")
        [[ $o != NA ]] && busy "$o" && nbusy=$((nbusy + 1))
    done
    echo "Other processes: $nbusy of $nmeas bench measurements had >= ${QUIET_PCT} % of a CPU used by neither server nor loadgen during the window (column *other CPU %*); background load sampled just before the measurements: median ${bgmed} %, max ${bgmax:-NA} % of all CPUs."
    if ((nbusy)); then
        echo
        echo "> **Warning:** other processes used the CPUs during this run; they compete with the pinned server and loadgen, so the rows marked *machine busy* are lower and noisier than on a quiet machine. Rerun them with \`--wait-quiet 300\`, more \`--runs\`, or on an idle machine."
    fi
    echo
    echo "| regime | server | deliveries/s | vs $REF | p50 ms | p99 ms | server CPU % | loadgen CPU % | other CPU % | KiB/idle conn | notes |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for ri in "${!REGIME_LIST[@]}"; do
        IFS=: read -r n size win rate <<<"${REGIME_LIST[$ri]}"
        label=$(regime_label "$n" "$size" "$win" "$rate")
        for name in "${NAMES[@]}"; do
            kib=$(idle_median "$name" kib_per_conn)
            d=$(bench_median "$ri" "$name" deliveries_per_s)
            if [[ $d == NA ]]; then
                reason=$(bench_fail "$ri" "$name")
                printf '| %s | %s | FAIL | - | - | - | - | - | - | %s | %s |\n' "$label" "$name" \
                    "$(fmt_num "$kib" 1)" "${reason//|//}"
                continue
            fi
            px=$(bench_median "$ri" "$name" pubxn_per_s)
            miss=$(bench_median "$ri" "$name" missing)
            cpu1=$(bench_median "$ri" "$name" cpu1_busy_pct)
            scpu=$(bench_median "$ri" "$name" server_cpu_pct)
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$name" \
                "$(fmt_rate "$d")" "$(ratio "$(paired_ratio "$ri" "$name")" 1)" \
                "$(fmt_ms "$(bench_median "$ri" "$name" p50_us)")" "$(fmt_ms "$(bench_median "$ri" "$name" p99_us)")" \
                "$(fmt_num "$scpu" 1)" \
                "$(fmt_num "$(bench_median "$ri" "$name" loadgen_cpu_pct)" 1)" "$(fmt_num "$(other_median "$ri" "$name")" 1)" \
                "$(fmt_num "$kib" 1)" "$(row_notes "$ri" "$name" "$d" "$px" "$miss" "$cpu1" "$scpu")"
        done
    done
    if ((DO_IDLE)); then
        echo
        echo "Idle memory: \`loadgen idle --n $IDLE_N --connect-conc $IDLE_CONC --settle $IDLE_SETTLE\`, (VmRSS after - VmRSS before) / n."
        echo
        echo "| server | KiB/idle conn | vs $REF | RSS before MiB | RSS after MiB | connect s |"
        echo "|---|---:|---:|---:|---:|---:|"
        ref_kib=$(idle_median "$REF" kib_per_conn)
        for name in "${NAMES[@]}"; do
            kib=$(idle_median "$name" kib_per_conn)
            if [[ $kib == NA ]]; then
                local run line r=""
                for ((run = 1; run <= RUNS; run++)); do line=${IDLE["$name|$run"]:-}; [[ $line == FAIL* ]] && r=${line#FAIL }; done
                echo "| $name | FAIL | - | - | - | ${r//|//} |"
                continue
            fi
            printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$(fmt_num "$kib" 2)" "$(ratio "$kib" "$ref_kib")" \
                "$(awk -v v="$(idle_median "$name" rss_before_kib)" 'BEGIN { printf "%.1f", v / 1024 }')" \
                "$(awk -v v="$(idle_median "$name" rss_after_settle_kib)" 'BEGIN { printf "%.1f", v / 1024 }')" \
                "$(fmt_num "$(idle_median "$name" connect_s)" 2)"
        done
    fi
    echo
    echo "Servers (run from \`$ROOT\`; \`{port}\` = a free port per measurement):"
    echo
    for name in "${NAMES[@]}"; do
        echo "- **$name**: \`${CMD[$name]}\`$([[ -n ${LGARGS[$name]} ]] && echo " - loadgen args \`${LGARGS[$name]}\`")"
    done
    echo
    echo "Environment: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Linux $(uname -r);" \
        "$(rustc --version 2>/dev/null || echo 'rustc ?'); node $(node --version 2>/dev/null || echo '?')," \
        "ws $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$NODE_MODULES/ws/package.json" 2>/dev/null | head -1);" \
        "anchors lock: tokio-tungstenite $(awk '/^name = "tokio-tungstenite"/ { getline; gsub(/[^0-9.]/, ""); print }' "$ANCHORS/Cargo.lock" 2>/dev/null);" \
        "net.ipv4.tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null || echo '?')."
    echo
    echo "Command: \`$INVOCATION\`"
}

# -------------------------------------------------------------------- main --
main() {
    local a
    INVOCATION="bench/run.sh"
    for a in "$@"; do INVOCATION+=" $(shquote "$a")"; done
    parse_args "$@"
    ((DO_SETUP)) && setup
    collect_servers
    if [[ -z ${CMD[$REF]+x} ]]; then
        log "WARNING: reference '$REF' is not among the servers; ratio columns will be '-'"
    fi
    preflight
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/psws-bench.XXXXXX")
    log "servers: ${NAMES[*]}; regimes: $REGIMES; runs: $RUNS; warmup ${WARMUP}s measure ${MEASURE}s; idle n=$IDLE_N$( ((DO_IDLE)) || echo ' (skipped)')"
    run_all

    local md stem
    md=$(report)
    printf '%s\n' "$md"
    if ((SAVE)); then
        if [[ -z $OUT ]]; then
            stem="$BENCH_DIR/results/$(date +%Y-%m-%d)"
            ((QUICK)) && stem+="-quick"
            OUT="$stem.md"
            local i=2
            while [[ -e $OUT ]]; do OUT="$stem-$i.md"; ((i++)); done
        fi
        mkdir -p "$(dirname "$OUT")"
        {
            printf '%s\n' "$md"
            echo
            echo '## Raw RESULT lines'
            echo
            echo '```'
            printf '%s\n' "${RAW_LINES[@]}"
            echo '```'
        } >"$OUT"
        log "wrote $OUT"
    fi
    ((FAILED == 0)) || { log "some measurements FAILED (see notes and logs)"; return 1; }
}

main "$@"
