#!/usr/bin/env bats
# `minictr serve`: LXD's REST API on $MINICTR_DIR/unix.socket, driven by a
# client no one here wrote: Debian's lxd-client (LXD 5.0.2's `lxc`), with
# LXD_DIR pointing at the state dir, and curl for the raw answers.  The
# server runs in the background; its PID is in STARTED_PIDS, which
# teardown ends (set in the test's own shell, where teardown runs).
# shellcheck disable=SC2030,SC2031

load helpers

setup() {
    setup_state
    import_busybox
    command -v lxc >/dev/null || fail "precondition failed: no lxc client (scripts/install-deps.sh test installs lxd-client)"
    export LXD_DIR=$MINICTR_DIR LXD_CONF=$WORK/lxc-conf
    SOCK=$MINICTR_DIR/unix.socket
}

# Start the server and wait for its socket.
serve() {
    local _
    "$MINICTR_BIN" serve >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $SERVER_PID"
    for _ in $(seq 100); do
        if [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://lxd/1.0 >/dev/null; then
            # The client's first run writes its config and says so.
            [ -e "$LXD_CONF/config.yml" ] || lxc list >/dev/null 2>&1
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died: $(cat "$WORK/serve.log")"
        sleep 0.05
    done
    fail "the server did not answer on $SOCK"
}

# api METHOD PATH [BODY]: the raw answer, then its HTTP status on a line
# (BODY @FILE: the file's content).
api() {
    curl -s --unix-socket "$SOCK" -X "$1" ${3:+--data-binary "$3"} -w '%{http_code}\n' "http://lxd$2"
}

@test "LXD's lxc client reads the server and its containers: info, list (table, csv, json) as minictr's own" {
    local pid
    mc launch busybox c1
    mc init busybox c2 </dev/null
    serve
    run lxc info
    assert_success
    assert_line "  server: minictr"
    assert_line "  server_version: $("$MINICTR_BIN" version | awk '{ print $NF }')"
    assert_line "  kernel_version: $(uname -r)"
    run lxc list -c ns --format csv
    assert_success
    assert_output "$(printf 'c1,RUNNING\nc2,STOPPED')"
    run lxc list
    assert_success
    assert_line --regexp '^\| c1 +\| RUNNING \|'
    # The JSON is LXD's instance shape: the same objects `minictr list`
    # gives, with the state of a running one.
    pid=$(init_pid c1)
    assert_equal "$(lxc list --format json | jq -c '[.[] | {name, status, status_code, type, pid: .state.pid}]')" \
        "[{\"name\":\"c1\",\"status\":\"Running\",\"status_code\":103,\"type\":\"container\",\"pid\":$pid},{\"name\":\"c2\",\"status\":\"Stopped\",\"status_code\":102,\"type\":\"container\",\"pid\":0}]"
    run lxc info c1
    assert_success
    assert_line "Status: RUNNING"
    assert_line "PID: $pid"
    run lxc info nosuch
    assert_failure
    assert_output "Error: Instance not found"
}

@test "state changes are operations: lxc stop -f, start, pause, restart; lifecycle events reach lxc monitor" {
    local mon
    mc launch busybox s1
    serve
    mon=$WORK/monitor.json
    lxc monitor --type lifecycle --format json >"$mon" 2>&1 &
    export STARTED_PIDS="$STARTED_PIDS $!"
    sleep 0.5
    lxc stop -f s1
    assert_equal "$(status_of s1)" Stopped
    lxc start s1
    assert_equal "$(status_of s1)" Running
    lxc pause s1
    assert_equal "$(status_of s1)" Frozen
    # start thaws a frozen container, as LXD's does.
    lxc start s1
    assert_equal "$(status_of s1)" Running
    lxc restart -f s1
    assert_equal "$(status_of s1)" Running
    run lxc start s1
    assert_failure 1
    assert_output --partial "Error: container \`s1\` is already running"
    # The events, in order, each about s1.
    for _ in $(seq 50); do
        [ "$(jq -s 'length' "$mon")" -ge 5 ] && break
        sleep 0.1
    done
    run jq -r '.metadata.action + " " + .metadata.source' "$mon"
    assert_output "$(printf '%s /1.0/instances/s1\n' instance-stopped instance-started instance-paused instance-resumed instance-restarted)"
}

@test "the API's answers have LXD's shapes: errors, operations and their wait, bad requests refused" {
    local op id
    mc launch busybox o1
    serve
    run api GET /1.0/instances/nosuch
    assert_output "$(printf '%s\n404' '{"type":"error","status":"","status_code":0,"operation":"","error_code":404,"error":"Instance not found","metadata":null}')"
    run api GET /1.0/nosuch
    assert_line --index 1 404
    run api DELETE /1.0
    assert_line --index 0 --partial '"error":"Method not allowed"'
    assert_line --index 1 405
    run api PUT /1.0/instances/o1/state '{"action": "stop", "action": "start"}'
    assert_line --index 0 --partial '"error_code":400,"error":"Invalid JSON body: duplicate object key near'
    run api PUT /1.0/instances/o1/state '{"action": "explode"}'
    assert_line --index 0 --partial '"error":"Invalid action: want start, stop, restart, freeze or unfreeze"'
    run api PUT /1.0/instances/o1/state '{"action": "stop", "stateful": true}'
    assert_line --index 1 400
    { printf '{"action": "stop", "x": "'; head -c 5000000 /dev/zero | tr '\0' a; printf '"}'; } >"$WORK/big.json"
    run api PUT /1.0/instances/o1/state @"$WORK/big.json"
    assert_line --index 0 '{"type":"error","status":"","status_code":0,"operation":"","error_code":413,"error":"Request body too large (over 4194304 bytes)","metadata":null}'
    assert_equal "$(status_of o1)" Running
    # An operation: 202, its URL, Running; then waited for, Success.
    op=$(api PUT /1.0/instances/o1/state '{"action": "stop", "force": true}')
    assert_equal "$(tail -n 1 <<<"$op")" 202
    id=$(head -n 1 <<<"$op" | jq -r '.metadata.id')
    assert_equal "$(head -n 1 <<<"$op" | jq -c '[.type, .status_code, .operation, .metadata.class, .metadata.description, .metadata.resources]')" \
        "[\"async\",100,\"/1.0/operations/$id\",\"task\",\"Stopping instance\",{\"instances\":[\"/1.0/instances/o1\"]}]"
    run api GET "/1.0/operations/$id/wait?timeout=30"
    assert_equal "$(head -n 1 <<<"$output" | jq -c '[.metadata.id, .metadata.status, .metadata.status_code, .metadata.err]')" \
        "[\"$id\",\"Success\",200,\"\"]"
    assert_equal "$(status_of o1)" Stopped
    run api GET /1.0/operations
    assert_equal "$(head -n 1 <<<"$output" | jq -c '.metadata.success')" "[\"/1.0/operations/$id\"]"
    # A failed one says why.
    op=$(api PUT /1.0/instances/o1/state '{"action": "freeze"}')
    id=$(head -n 1 <<<"$op" | jq -r '.metadata.id')
    run api GET "/1.0/operations/$id/wait"
    assert_equal "$(head -n 1 <<<"$output" | jq -r '[.metadata.status, .metadata.status_code, .metadata.err] | join("|")')" \
        "Failure|400|$(mc pause o1 2>&1 | sed 's/^minictr: //')"
    run api GET /1.0/operations/00000000-0000-0000-0000-000000000000
    assert_line --index 1 404
}

@test "the socket is root's (and the minictr group's); a second server is refused; SIGTERM leaves the containers running" {
    local mode
    mc launch busybox k1
    serve
    if getent group minictr >/dev/null; then mode=660:minictr; else mode=600:root; fi
    assert_equal "$(stat -c '%a:%G:%U' "$SOCK")" "$mode:root"
    run "$MINICTR_BIN" serve
    assert_failure 1
    assert_output "minictr: another server already listens on \`$SOCK\`"
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    [ ! -e "$SOCK" ]
    assert_equal "$(status_of k1)" Running
    # A socket file left by a killed server is replaced.
    serve
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" || true
    [ -S "$SOCK" ]
    serve
    run lxc list -c ns --format csv
    assert_output "k1,RUNNING"
}
