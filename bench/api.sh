#!/bin/bash
# bench/api.sh: the same operations through LXD's REST API (Debian's LXD
# 5.0.2 `lxc` client -> `minictr serve` on the unix socket) and through
# minictr's own CLI, side by side in one run, plus the server's idle
# memory:
#
#   lxc launch busybox C        vs  minictr launch busybox C
#   lxc exec C -- /bin/true     vs  minictr exec C -- /bin/true
#   lxc stop --force C          vs  minictr stop --force C
#   lxc start C                 vs  minictr start C
#   lxc list                    vs  minictr list
#   lxc file push 1MiB C/root/f vs  minictr file push 1MiB C/root/f
#   (target for each: ratio <= 1.50)
#   the same operations from a client that stays connected
#   (bench/api-client.py: no client start in the figure) vs the CLI
#   (target: exec <= 10 ms, each ratio <= 1.50)
#   the same operations with minictr's CLI as the API's client
#   (`minictr exec api:C`, a remote on the same socket) vs the CLI on the
#   store (target: exec <= 10 ms; the ratios for reference: they include
#   the client's start, its library loading and one connection per request)
#   exec through the API with curl: POST .../exec (no websockets) and
#   GET /1.0/operations/ID/wait, two curl runs (for reference)
#   the server's RSS and PSS, idle after its first requests and again
#   after the whole run (target: RSS <= 5 MiB)
#
#   bench/api.sh                (run as root; about a minute)
#
# LXD itself, on this kind of machine (issue #15's measurements, LXD
# 5.0.2's daemon and client): launch 306 ms, exec 18.5 ms, stop --force
# 629 ms; its daemon's idle RSS 107 MiB.  `lxc --version` is timed too:
# the Go client's own start, which every `lxc` figure includes.
#
# Environment: RUNS (timed runs per command, >= 5, default 30),
# BENCH_STRICT=1 (exit 1 when a target is missed), BUILDDIR (default
# build).  Otherwise the exit status is 0 whatever the figures.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lxc.sh
. "$here/lxc.sh"
cd "$here/.."

RUNS=${RUNS:-30}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILDDIR=${BUILDDIR:-build}
case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$RUNS" -ge 5 ] || bench_die "RUNS must be at least 5"

bench_sbs_setup
minictr=$bench_minictr
work=$bench_sbs_work
for t in lxc curl python3; do
    command -v "$t" >/dev/null || bench_die "$t is missing (scripts/install-deps.sh test and bench: lxd-client, curl, python3)"
done
export LXD_DIR=$bench_sbs_state LXD_CONF=$work/lxc-conf
sock=$bench_sbs_state/unix.socket
server=

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    bench_sbs_cleanup
}
trap cleanup EXIT

bench_sbs_import_busybox
"$minictr" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 200); do
    curl -sf --unix-socket "$sock" http://lxd/1.0 >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || bench_die "minictr serve died: $(cat "$work/serve.log")"
    sleep 0.05
done
lxc list >/dev/null 2>&1 || true # the client's first run writes its config
lxc list >/dev/null || bench_die "lxc list through minictr serve failed"

# Idle memory, after one request of each kind was served.
rss_pss=$(bench_smaps_kb "$server" Rss Pss)

head -c $((1024 * 1024)) /dev/urandom >"$work/f1m"
"$minictr" launch busybox m1 >/dev/null
lxc launch busybox a1 >/dev/null 2>&1 || bench_die "lxc launch through minictr serve failed"

echo "== LXD's API (lxc -> minictr serve) vs minictr's CLI =="
echo "minictr:   $minictr (built $(stat -c %y "$minictr" | cut -d. -f1)); private MINICTR_DIR"
echo "client:    Debian's lxc $(lxc --version) (lxd-client $(dpkg-query -W -f='${Version}' lxd-client 2>/dev/null || echo '?')), LXD_DIR=the state dir"
echo "image:     the built-in busybox, fingerprint ${bench_sbs_fp:0:12}"
echo "cgroups:   $(bench_cgroup_layout)"
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:     $(hyperfine --version); --warmup 3 --runs $RUNS, -N (no shell); medians"
echo

summary=()
missed=0

# pair LABEL API_CMD CLI_CMD [hyperfine options...]: one hyperfine run of
# both; sets med_a, med_c.
pair() {
    local label=$1 a=$2 c=$3 json
    shift 3
    json=$work/hyperfine-${label// /-}.json
    bench_log ""
    bench_log "---- $label ----"
    bench_run hyperfine -N --style basic --warmup 3 --runs "$RUNS" "$@" \
        --export-json "$json" -n "lxc $label (API)" "$a" -n "minictr $label" "$c" >&2 ||
        bench_die "hyperfine failed for '$label' (see above)"
    med_a=$(bench_median "$json" 0)
    med_c=$(bench_median "$json" 1)
}

# report WHAT TARGET: a summary line from med_a and med_c (the lxc client).
report() {
    local what=$1 target=$2 r v line
    r=$(bench_ratio "$med_a" "$med_c")
    v=$(bench_verdict "$r" "$target")
    [ "$v" = met ] || missed=1
    line=$(printf '%-18s API %8s ms   CLI %8s ms   ratio %s   target <= %s: %s' \
        "$what (lxc)" "$(bench_ms "$med_a")" "$(bench_ms "$med_c")" "$r" "$target" "$v")
    summary+=("$line")
    echo "$line"
}

# Each launch replaces the container the previous one made (hyperfine's
# --prepare deletes it, untimed).
pair launch "lxc launch busybox a2" "$minictr launch busybox m2" \
    --prepare "sh -c '$minictr delete -f a2 >/dev/null 2>&1; $minictr delete -f m2 >/dev/null 2>&1; true'"
report launch 1.50
pair exec "lxc exec a1 -- /bin/true" "$minictr exec m1 -- /bin/true"
report exec 1.50
pair "stop --force" "lxc stop --force a1" "$minictr stop --force m1" \
    --prepare "sh -c '$minictr start a1 >/dev/null 2>&1; $minictr start m1 >/dev/null 2>&1; true'"
report "stop --force" 1.50
pair start "lxc start a1" "$minictr start m1" \
    --prepare "sh -c '$minictr stop --force a1 >/dev/null 2>&1; $minictr stop --force m1 >/dev/null 2>&1; true'"
report start 1.50
"$minictr" start a1 >/dev/null 2>&1 || true
"$minictr" start m1 >/dev/null 2>&1 || true
pair list "lxc list" "$minictr list"
report list 1.50
pair "file push" "lxc file push $work/f1m a1/root/f" "$minictr file push $work/f1m m1/root/f"
report "file push" 1.50

# The API's own exec, without the Go client: two requests with curl.
cat >"$work/exec-api.sh" <<SH
#!/bin/sh
id=\$(curl -s --unix-socket $sock -X POST --data '{"command": ["/bin/true"], "wait-for-websocket": false}' \\
    http://lxd/1.0/instances/a1/exec | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
curl -sf --unix-socket $sock "http://lxd/1.0/operations/\$id/wait?timeout=10" >/dev/null
SH
chmod +x "$work/exec-api.sh"
"$work/exec-api.sh" || bench_die "exec through the API with curl failed"
bench_log ""
bench_log "---- exec through the API with curl; lxc --version (the Go client's start) ----"
bench_run hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$work/raw.json" \
    -n "curl POST exec + wait" "$work/exec-api.sh" -n "curl GET /1.0" "curl -s --unix-socket $sock http://lxd/1.0" \
    -n "lxc --version" "lxc --version" >&2 || bench_die "hyperfine failed"
raw_exec=$(bench_median "$work/raw.json" 0)
raw_get=$(bench_median "$work/raw.json" 1)
go_start=$(bench_median "$work/raw.json" 2)
summary+=("$(printf '%-18s %8s ms (two curl runs; one curl GET /1.0 alone: %s ms)' \
    "exec, curl" "$(bench_ms "$raw_exec")" "$(bench_ms "$raw_get")")")
summary+=("$(printf '%-18s %8s ms (in every lxc figure above)' "lxc --version" "$(bench_ms "$go_start")")")

# The server's own time: one connected client, the CLI's medians beside.
bench_log ""
bench_log "---- a connected client (bench/api-client.py, $RUNS rounds) ----"
"$minictr" start a1 >/dev/null 2>&1 || true
python3 bench/api-client.py "$sock" a1 "$work/f1m" "$RUNS" >"$work/client.txt" ||
    bench_die "bench/api-client.py failed"
declare -A cli=([exec]=exec ["stop --force"]="stop --force" [start]=start [list]=list ["file push"]="file push"
    [launch]=launch)
for op in exec list "stop --force" start "file push" launch; do
    med_a=$(awk -v k="$op" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$work/client.txt")
    med_c=$(bench_median "$work/hyperfine-${cli[$op]// /-}.json" 1)
    r=$(bench_ratio "$med_a" "$med_c")
    v=$(bench_verdict "$r" 1.50)
    extra=
    if [ "$op" = exec ]; then
        v10=$(awk -v s="$med_a" 'BEGIN { print (s * 1000 <= 10 ? "met" : "MISSED") }')
        [ "$v10" = met ] || missed=1
        extra="; <= 10 ms: $v10"
    fi
    [ "$v" = met ] || missed=1
    summary+=("$(printf '%-18s API %8s ms   CLI %8s ms   ratio %s   target <= 1.50: %s%s' \
        "$op (connected)" "$(bench_ms "$med_a")" "$(bench_ms "$med_c")" "$r" "$v" "$extra")")
done

# minictr's own CLI as the API's client (a REMOTE: name on the same
# server): a client that starts as fast as the CLI, so the figure is the
# API's cost plus one connection.
export MINICTR_CONF=$work/mc-conf
"$minictr" remote add api "unix://$sock" >/dev/null || bench_die "minictr remote add failed"
"$minictr" start a1 >/dev/null 2>&1 || true
"$minictr" start m1 >/dev/null 2>&1 || true
rpair() {
    local label=$1 a=$2 c=$3 json
    shift 3
    json=$work/hyperfine-remote-${label// /-}.json
    bench_log ""
    bench_log "---- $label: minictr on api: (the API) vs minictr on the store ----"
    bench_run hyperfine -N --style basic --warmup 3 --runs "$RUNS" "$@" \
        --export-json "$json" -n "minictr $label api:" "$a" -n "minictr $label" "$c" >&2 ||
        bench_die "hyperfine failed for '$label' (see above)"
    med_a=$(bench_median "$json" 0)
    med_c=$(bench_median "$json" 1)
    r=$(bench_ratio "$med_a" "$med_c")
    extra=
    if [ "$label" = exec ]; then
        v10=$(awk -v s="$med_a" 'BEGIN { print (s * 1000 <= 10 ? "met" : "MISSED") }')
        [ "$v10" = met ] || missed=1
        extra="   exec through the API <= 10 ms: $v10"
    fi
    # (the client's own start and connections are in the figure: for
    # reference, the 1.5x targets are the connected client's, above)
    summary+=("$(printf '%-18s API %8s ms   CLI %8s ms   ratio %s%s' \
        "$label (minictr)" "$(bench_ms "$med_a")" "$(bench_ms "$med_c")" "$r" "$extra")")
}
rpair launch "$minictr launch busybox api:a2" "$minictr launch busybox m2" \
    --prepare "sh -c '$minictr delete -f a2 >/dev/null 2>&1; $minictr delete -f m2 >/dev/null 2>&1; true'"
rpair exec "$minictr exec api:a1 -- /bin/true" "$minictr exec m1 -- /bin/true"
rpair "stop --force" "$minictr stop --force api:a1" "$minictr stop --force m1" \
    --prepare "sh -c '$minictr start a1 >/dev/null 2>&1; $minictr start m1 >/dev/null 2>&1; true'"
rpair start "$minictr start api:a1" "$minictr start m1" \
    --prepare "sh -c '$minictr stop --force a1 >/dev/null 2>&1; $minictr stop --force m1 >/dev/null 2>&1; true'"
"$minictr" start a1 >/dev/null 2>&1 || true
"$minictr" start m1 >/dev/null 2>&1 || true
rpair list "$minictr list api:" "$minictr list"
rpair "file push" "$minictr file push $work/f1m api:a1/root/f" "$minictr file push $work/f1m m1/root/f"

read -r rss pss <<<"$rss_pss"
read -r rss2 pss2 < <(bench_smaps_kb "$server" Rss Pss)
v=$([ "$rss" -le 5120 ] && echo met || echo MISSED)
[ "$v" = met ] || missed=1
summary+=("$(printf '%-18s RSS %s KiB, PSS %s KiB idle after its first requests (target RSS <= 5120 KiB: %s); after the run: RSS %s KiB, PSS %s KiB' \
    "server memory" "$rss" "$pss" "$v" "$rss2" "$pss2")")

echo
echo "== summary (bench/api.sh, RUNS=$RUNS, medians; LXD 5.0.2 for reference: launch 306 ms, exec 18.5 ms, stop --force 629 ms, daemon RSS 107 MiB) =="
printf '%s\n' "${summary[@]}"
echo "whole script: ${SECONDS} s"
if [ "$missed" = 1 ] && [ "$BENCH_STRICT" = 1 ]; then
    exit 1
fi
exit 0
