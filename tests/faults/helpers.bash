# Shared by the fault suites (issue #18): the integration helpers, and
# running many minictr commands at once.
# shellcheck shell=bash

load ../integration/helpers

# The integration suites' teardown, run after every process still held
# at a step of the test hook is let go (one left waiting on its FIFO
# would outlive the test).
eval "integration_$(declare -f teardown)"
teardown() {
    local fifo
    for fifo in "${WORK:-/nonexistent}"/stops/*.go; do
        [ -p "$fifo" ] || continue
        # shellcheck disable=SC2016 # $1 is the inner shell's
        timeout 2 bash -c 'echo >"$1"' _ "$fifo" 2>/dev/null || true
    done
    # Containers, then networks, before a state dir on a filesystem of
    # the test's own (full-disk.bats) is unmounted by the teardown.
    stop_all_containers
    delete_networks
    integration_teardown
}

# parallel OUT < LINES: run each line of stdin as one minictr command (its
# arguments, split on blanks), all at once: every one waits on a shared
# flock(1) of OUT/.go that this shell holds exclusively until all have
# been started.  OUT/N.out holds line N's stdout and stderr, OUT/N.rc its
# exit status.  Returns once all have ended.
parallel() {
    local out=$1 n=0 line pids=() gofd rc
    mkdir -p "$out"
    exec {gofd}>"$out/.go"
    flock -x "$gofd"
    while read -r line; do
        n=$((n + 1))
        # shellcheck disable=SC2086 # the line is the argument list
        (
            exec {gofd}>&-
            flock -s "$out/.go" true
            rc=0
            "$MINICTR_BIN" $line >"$out/$n.out" 2>&1 || rc=$?
            echo "$rc" >"$out/$n.rc"
        ) 3>&- &
        pids+=($!)
    done
    exec {gofd}>&-
    wait "${pids[@]}"
}

# The number of OUT/*.rc files that say 0.
succeeded() {
    grep -lx 0 "$1"/*.rc 2>/dev/null | wc -l
}

# Every failure's output, prefixed with its line number (for messages).
failures() {
    local rc
    for rc in "$1"/*.rc; do
        [ "$(cat "$rc")" = 0 ] || sed "s|^|${rc##*/}: |" "${rc%.rc}.out"
    done
}

# The test hook (lib/testhook.h): `held STEP CMD...` runs the minictr
# command CMD in the background with MINICTR_TEST_STOP_AT=STEP, and
# returns once a process of it (the command or its monitor) waits at STEP;
# HELD_PID is the background command, HELD_AT the process that waits.
# `release STEP` lets it go on; `wait_held` waits for the command (its
# status in HELD_RC, its output in $WORK/held.out).
held() {
    local step=$1 _
    shift
    mkdir -p "$WORK/stops"
    rm -f "$WORK/stops/$step"
    MINICTR_TEST_STOP_AT=$step MINICTR_TEST_STOP_DIR=$WORK/stops \
        "$MINICTR_BIN" "$@" >"$WORK/held.out" 2>&1 3>&- &
    HELD_PID=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $HELD_PID"
    for _ in $(seq 600); do
        [ -s "$WORK/stops/$step" ] && break
        kill -0 "$HELD_PID" 2>/dev/null || fail "minictr $* ended before $step: $(cat "$WORK/held.out")"
        sleep 0.05
    done
    [ -s "$WORK/stops/$step" ] || fail "minictr $* never reached $step"
    # shellcheck disable=SC2034 # read by the tests
    HELD_AT=$(cat "$WORK/stops/$step")
}

release() {
    echo >"$WORK/stops/$1.go"
}

# shellcheck disable=SC2034 # read by the tests
wait_held() {
    HELD_RC=0
    wait "$HELD_PID" || HELD_RC=$?
}

# The container's cgroup in the hierarchy that has `memory.max` (cgroup2)
# or `memory.limit_in_bytes` (cgroup1) and the value it holds.
memory_limit_of() {
    local d
    for d in $(ctr_cgroups "$1"); do
        if [ -f "$d/memory.max" ]; then cat "$d/memory.max"; return; fi
        if [ -f "$d/memory.limit_in_bytes" ]; then cat "$d/memory.limit_in_bytes"; return; fi
    done
    echo "no memory cgroup for $1"
}

# Every cpuset cgroup of the container has CPUs and memory nodes (a
# cgroup1 cpuset cgroup without them takes no task).
assert_cpusets_filled() {
    local d
    for d in $(ctr_cgroups "$1"); do
        if [ ! -f "$d/cpuset.cpus" ] || [ -f "$d/cgroup.subtree_control" ]; then
            continue
        fi
        [ -n "$(tr -d '\n' <"$d/cpuset.cpus")" ] || fail "$1: empty cpuset.cpus in $d"
        [ -n "$(tr -d '\n' <"$d/cpuset.mems")" ] || fail "$1: empty cpuset.mems in $d"
        [ -n "$(tr -d '\n' <"${d%/*}/cpuset.cpus")" ] || fail "$1: empty cpuset.cpus in ${d%/*}"
    done
}

# blocked_or_gone PID: until PID has ended or waits for a flock(2) (a
# `->` line of its own in /proc/locks).
blocked_or_gone() {
    local _
    for _ in $(seq 600); do
        kill -0 "$1" 2>/dev/null || return 0
        grep -qE "^[0-9]+: -> FLOCK +ADVISORY +(READ|WRITE) +$1 " /proc/locks && return 0
        sleep 0.05
    done
    fail "process $1 neither ended nor waits for a lock"
}

# crash_at STEP CMD...: the minictr command CMD, SIGKILLed at STEP (the
# process that reaches it: the command or its monitor).  CRASH_RC is the
# command's status, $WORK/held.out its output.
crash_at() {
    held "$@"
    kill -KILL "$HELD_AT"
    wait_gone "$HELD_AT"
    wait_held
    # shellcheck disable=SC2034 # read by the tests
    CRASH_RC=$HELD_RC
}

# After a crash: list, image list and network list work, and each names
# exactly what the store holds (no temp dir of a dead command left, once
# they have looked).
assert_consistent() {
    local output
    run mc list --format csv -c n
    assert_success
    assert_equal "$output" "$(find "$MINICTR_DIR/containers" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' 2>/dev/null | sort)"
    run mc image list --format json
    assert_success
    assert_equal "$(jq -r '.[].fingerprint' <<<"$output" | sort)" \
        "$(find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' 2>/dev/null | sort)"
    run mc network list --format csv
    assert_success
    local d
    for d in "$MINICTR_DIR/containers" "$MINICTR_DIR/images"; do
        [ ! -d "$d" ] || [ -z "$(find "$d" -mindepth 1 -maxdepth 1 -name '.tmp-*')" ] ||
            fail "temp dirs left in $d: $(find "$d" -mindepth 1 -maxdepth 1 -name '.tmp-*')"
    done
}
