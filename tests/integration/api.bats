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
    # Cancelling: LXD's answers for an operation that has no way to be
    # cancelled, and for one that has ended.
    run api DELETE "/1.0/operations/$id"
    assert_output "$(printf '%s\n400' '{"type":"error","status":"","status_code":0,"operation":"","error_code":400,"error":"Only running operations can be cancelled","metadata":null}')"
    mc start o1
    op=$(api POST /1.0/instances/o1/exec '{"command": ["sleep", "1"], "wait-for-websocket": false}')
    id=$(head -n 1 <<<"$op" | jq -r '.metadata.id')
    run api DELETE "/1.0/operations/$id"
    assert_output "$(printf '%s\n400' '{"type":"error","status":"","status_code":0,"operation":"","error_code":400,"error":"This operation can'"'"'t be cancelled","metadata":null}')"
    run api GET "/1.0/operations/$id/wait?timeout=30"
    assert_equal "$(head -n 1 <<<"$output" | jq -c '[.metadata.status, .metadata.metadata.return]')" '["Success",0]'
}

# The server's descriptors, and its CPU ticks (user + system).
server_fds() {
    find "/proc/$SERVER_PID/fd" -mindepth 1 | wc -l
}
server_ticks() {
    awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"
}
# server_settles FDS WHEN: within 5 s the server holds FDS descriptors
# again (the connections it had to close are closed), and then it idles:
# at most 10 ticks in a second (a loop polling a dead socket takes a whole
# CPU, 100 ticks a second).
server_settles() {
    local t0 _
    for _ in $(seq 100); do
        [ "$(server_fds)" = "$1" ] && break
        sleep 0.05
    done
    assert_equal "$(server_fds)" "$1"
    t0=$(server_ticks)
    sleep 1
    [ $(( $(server_ticks) - t0 )) -le 10 ] || fail "the server used $(( $(server_ticks) - t0 )) ticks in a second $2"
}

@test "a client that goes away (mid-answer, or while it waits for an operation) costs the server nothing: its connection closed, no busy loop" {
    local fds op half _
    mc launch busybox g1
    head -c 4000000 /dev/urandom >"$WORK/big"
    mc file push "$WORK/big" g1/root/big
    serve
    curl -s --unix-socket "$SOCK" http://lxd/1.0 >/dev/null
    fds=$(server_fds)
    # Ten clients that read the headers of a 4 MB answer and hang up.
    python3 - "$SOCK" <<'PY'
import socket, sys
for _ in range(10):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b"GET /1.0/instances/g1/files?path=/root/big HTTP/1.1\r\nHost: lxd\r\n\r\n")
    s.recv(200)
    s.close()
PY
    # A client that waits for a running operation and hangs up.
    op=$(curl -s --unix-socket "$SOCK" -X POST -d '{"command": ["sleep", "3"], "wait-for-websocket": false}' \
        http://lxd/1.0/instances/g1/exec | jq -r .operation)
    run timeout 0.5 curl -s --unix-socket "$SOCK" "http://lxd$op/wait"
    assert_equal "$status" 124
    # Every one of their connections is closed, and the server idles.
    server_settles "$fds" "while idle"
    # A client that stops reading a 4 MB answer, then shuts down its
    # sending side and keeps the socket, unread: a client that stopped
    # asking is no longer answered.  The server closes the connection (the
    # client still holds its end) and idles.  (libwebsockets reads nothing
    # during an answer: the socket, readable at the client's end, was
    # polled in a loop while the answer could not go on.)
    python3 "$BATS_TEST_DIRNAME/half-close.py" "$SOCK" "/1.0/instances/g1/files?path=/root/big" \
        "$WORK/half-closed" "$WORK/release" 3>&- &
    half=$!
    STARTED_PIDS="${STARTED_PIDS:-} $half"
    for _ in $(seq 100); do
        [ -e "$WORK/half-closed" ] && break
        sleep 0.1
    done
    [ -e "$WORK/half-closed" ] || fail "the half-closing client never filled its socket"
    server_settles "$fds" "after a client half-closed"
    touch "$WORK/release"
    wait "$half"
    # The operation was not disturbed, and the next client is served.
    assert_equal "$(curl -s --unix-socket "$SOCK" "http://lxd$op/wait" | jq -r .metadata.status)" Success
    lxc exec g1 -- cat /root/big >"$WORK/back"
    assert_equal "$(stat -c %s "$WORK/back")" 4000000
    cmp "$WORK/big" "$WORK/back"
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

@test "lxc exec through the API: exit codes, stdin, stdout and stderr apart, large streams, a terminal with -t, user, cwd, env" {
    local sum size state blocked=
    mc launch busybox e1
    serve
    run lxc exec e1 -- sh -c 'exit 7'
    assert_failure 7
    assert_equal "$(lxc exec e1 -- sh -c 'echo out; echo err >&2' 2>"$WORK/err")" out
    assert_equal "$(cat "$WORK/err")" err
    assert_equal "$(echo hello | lxc exec e1 -- cat)" hello
    assert_equal "$(lxc exec e1 -- sh -c 'cat; echo end' </dev/null)" "end"
    # Both ways, past the server's queues (1 MiB): nothing lost.
    assert_equal "$(seq 1 200000 | lxc exec e1 -- wc -l)" 200000
    head -c 5000000 /dev/urandom >"$WORK/r"
    sum=$(sha256sum <"$WORK/r" | cut -d' ' -f1)
    assert_equal "$(lxc exec e1 -- sha256sum <"$WORK/r" | cut -d' ' -f1)" "$sum"
    assert_equal "$(lxc exec e1 -- cat /dev/zero | head -c 3000000 | wc -c)" 3000000
    # A reader that does not read until the command is over: past 1 MiB
    # queued the server stops reading the pipe the command's output comes
    # through.  Output a little larger each time: at some size the last of
    # it lands in that pipe after reading stopped, just before the pipe
    # hangs up; a little larger, and it no longer fits (the relay blocks,
    # the reader goes on).  Every size arrives whole.
    mc file push "$WORK/r" e1/root/r
    for size in $(seq $((1024 * 1024 - 65536)) 16384 $((2 * 1024 * 1024))); do
        state=$(lxc exec e1 -- head -c "$size" /root/r 2>/dev/null |
            python3 "$BATS_TEST_DIRNAME/stalled-reader.py" "$SOCK" "$SERVER_PID" 2>&1 >"$WORK/back")
        assert_equal "$(stat -c %s "$WORK/back")" "$size"
        cmp -n "$size" "$WORK/r" "$WORK/back"
        if [ "$state" = blocked ]; then blocked=$size; break; fi
        assert_equal "$state" ended
    done
    [ -n "$blocked" ] || fail "2 MiB of output never filled the server's pipe"
    # Its reader gone, the command ends (SIGPIPE): nothing is left running.
    for _ in $(seq 50); do
        mc exec e1 -- ps | grep -q '[c]at /dev/zero' || break
        sleep 0.1
    done
    run mc exec e1 -- ps
    refute_output --partial "cat /dev/zero"
    # -t: a terminal of the container's, 80x24 when the client has none.
    run lxc exec -t e1 -- sh -c 'tty; stty size' </dev/null
    assert_success
    assert_equal "$(tr -d '\r' <<<"$output")" "$(printf '/dev/pts/0\n24 80')"
    # -T: none, whatever the client has.
    run script -qec "lxc exec -T e1 -- sh -c 'test -t 0 || echo no-terminal'" /dev/null </dev/null
    assert_equal "$(tr -d '\r' <<<"$output")" no-terminal
    # The same socket added as a remote of its own, as the issue's tests do.
    lxc remote add sock "unix://$SOCK" >/dev/null
    assert_equal "$(echo via-remote | lxc exec sock:e1 -- cat)" via-remote
    run lxc exec sock:e1 -- sh -c 'exit 9'
    assert_failure 9
    assert_equal "$(lxc exec e1 --user 1000 --group 1001 --cwd /tmp --env FOO=bar -- sh -c "id -u; id -g; pwd; echo \$FOO")" \
        "$(printf '1000\n1001\n/tmp\nbar')"
    # The client passes the signals it gets on (the control socket).
    run timeout -s TERM 3 lxc exec e1 -- sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 1; done'
    assert_output --partial got-term
    run lxc exec nosuch -- true
    assert_failure
    assert_output "Error: Instance not found"
    mc stop -f e1
    run lxc exec e1 -- true
    assert_failure
    assert_output "Error: Instance is not running"
}

# FILE of container NAME's cgroup, wherever its hierarchy is mounted.
cg_file() {
    local f
    f=$(ctr_cgroups "$1" | while read -r d; do [ -e "$d/$2" ] && echo "$d/$2"; done | head -n 1)
    [ -n "$f" ] || { echo "no cgroup file $2 for $1" >&2; return 1; }
    cat "$f"
}

@test "the lab workflow through the API: launch, config set (in the cgroup), snapshot, restore, delete -f; images, profiles, networks" {
    local fp mem
    serve
    run lxc launch busybox w1 -c limits.processes=50
    assert_success
    assert_equal "$(status_of w1)" Running
    assert_equal "$(mc config get w1 limits.processes)" 50
    lxc config set w1 limits.memory 64MiB
    assert_equal "$(mc config get w1 limits.memory)" 64MiB
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then mem=memory.max; else mem=memory.limit_in_bytes; fi
    assert_equal "$(cg_file w1 "$mem")" $((64 * 1024 * 1024))
    assert_equal "$(lxc config get w1 limits.memory)" 64MiB
    # A bad value is refused as the CLI refuses it.
    run lxc config set w1 limits.memory lots
    assert_failure
    assert_output --partial "limits.memory"
    assert_equal "$(mc config get w1 limits.memory)" 64MiB
    mc exec w1 -- sh -c 'echo before > /root/f'
    lxc snapshot w1 s1
    mc exec w1 -- sh -c 'echo after > /root/f'
    run lxc info w1
    assert_line --regexp '^\| s1 +\|'
    lxc restore w1 s1
    assert_equal "$(mc exec w1 -- cat /root/f)" before
    assert_equal "$(status_of w1)" Running
    lxc delete w1/s1
    run mc snapshot list w1 --format csv
    assert_output ""
    # Images and aliases, as LXD lists them.
    fp=$(mc image list --format json | jq -r '.[0].fingerprint')
    run lxc image list --format csv -c lf
    assert_output "busybox,${fp:0:12}"
    assert_equal "$(lxc image info busybox | awk '/^Fingerprint:/ { print $2 }')" "$fp"
    run lxc profile list --format csv
    assert_line --regexp '^default,'
    assert_equal "$(lxc profile show default | awk '/^used_by:/ { getline; print }')" "- /1.0/instances/w1"
    run lxc network list --format csv
    assert_success
    run lxc launch nosuch w2
    assert_failure
    run lxc delete w1
    assert_failure
    lxc delete -f w1
    run mc list --format csv
    assert_output ""
}

@test "lxc file push and pull through the API: owner and mode, 20 MB chunked uploads, directories and symlinks with -r, stopped containers, errors" {
    local sum
    mc launch busybox fp1
    mc init busybox fp2 </dev/null
    serve
    echo "hello file" >"$WORK/f"
    chmod 640 "$WORK/f"
    lxc file push -q "$WORK/f" fp1/root/f
    assert_equal "$(mc exec fp1 -- stat -c '%a %u:%g' /root/f)" "640 0:0"
    lxc file push -q "$WORK/f" fp1/root/g --uid 1000 --gid 1001 --mode 0600
    assert_equal "$(mc exec fp1 -- stat -c '%a %u:%g' /root/g)" "600 1000:1001"
    # LXD's client sends a file as a chunked body.
    head -c 20000000 /dev/urandom >"$WORK/big"
    sum=$(sha256sum <"$WORK/big" | cut -d' ' -f1)
    lxc file push -q "$WORK/big" fp1/tmp/big
    assert_equal "$(mc exec fp1 -- sha256sum /tmp/big | cut -d' ' -f1)" "$sum"
    lxc file pull -q fp1/tmp/big "$WORK/big.back"
    assert_equal "$(sha256sum <"$WORK/big.back" | cut -d' ' -f1)" "$sum"
    lxc file pull -q fp1/root/g "$WORK/g.back"
    assert_equal "$(cat "$WORK/g.back")" "hello file"
    assert_equal "$(stat -c %a "$WORK/g.back")" 600
    # Trees both ways.
    mkdir -p "$WORK/tree/sub"
    echo a >"$WORK/tree/a"
    echo b >"$WORK/tree/sub/b"
    ln -s a "$WORK/tree/link"
    lxc file push -q -r "$WORK/tree" fp1/root/
    run mc exec fp1 -- sh -c 'cd /root/tree && find . | sort && readlink link && cat sub/b'
    assert_output "$(printf '.\n./a\n./link\n./sub\n./sub/b\na\nb')"
    lxc file pull -q -r fp1/root/tree "$WORK/back"
    assert_equal "$(cd "$WORK/back/tree" && find . | sort | tr '\n' ' ')" ". ./a ./link ./sub ./sub/b "
    assert_equal "$(readlink "$WORK/back/tree/link")" a
    # A stopped container: the same, through the agent's namespace.
    lxc file push -q "$WORK/f" fp2/root/s
    assert_equal "$(lxc file pull fp2/root/s -)" "hello file"
    run lxc file pull fp1/etc/nosuch "$WORK/x"
    assert_failure
    assert_output --partial "No such file or directory"
    run lxc file push -q "$WORK/f" fp1/nosuchdir/x
    assert_failure
    assert_output --partial "No such file or directory"
    # lxc file delete: a file, a symlink (not what it points to), an empty
    # directory; not one with something in it.
    lxc file delete fp1/root/tree/link fp1/root/tree/sub/b fp1/root/tree/sub
    run lxc file delete fp1/root/tree
    assert_failure
    assert_output "Error: \`fp1/root/tree\` is a directory and not empty (use --force)"
    assert_equal "$(mc exec fp1 -- find /root/tree | sort | tr '\n' ' ')" "/root/tree /root/tree/a "
    run lxc file delete fp1/root/nosuch
    assert_failure
    assert_output --partial "No such file or directory"
}

@test "lxc list's server-side filters (status, name) are LXD's; a malformed one is refused" {
    mc launch busybox r1
    mc init busybox s1 </dev/null
    serve
    run lxc list status=stopped -c n --format csv
    assert_output s1
    run lxc list status=running -c n --format csv
    assert_output r1
    run api GET '/1.0/instances?filter=name+eq+r1+or+status+eq+stopped'
    assert_equal "$(head -n 1 <<<"$output" | jq -c .metadata)" '["/1.0/instances/r1","/1.0/instances/s1"]'
    run api GET '/1.0/instances?filter=name+gt+r1'
    assert_line --index 1 400
}

@test "lxc image import and export through the API: unified and split (multipart both ways), aliases, the fingerprint LXD computes; delete" {
    local fp
    serve
    make_unified "$WORK/u.tar.gz" gzip "unified one"
    make_split "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" xz squashfs-xz
    run lxc image import "$WORK/u.tar.gz" --alias uni
    assert_success
    # The progress lines end with CRs; the last line is the answer.
    assert_equal "$(tr '\r' '\n' <<<"$output" | tail -n 1)" "Image imported with fingerprint: $(sha256 "$WORK/u.tar.gz")"
    run lxc image import "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" --alias spl
    assert_success
    fp=$(cat "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" | sha256sum | cut -d' ' -f1)
    assert_equal "$(tr '\r' '\n' <<<"$output" | tail -n 1)" "Image imported with fingerprint: $fp"
    run bash -c "'$MINICTR_BIN' image list --format json | jq -r '.[] | .aliases[0].name + \",\" + .fingerprint' | sort"
    assert_output "$(printf 'busybox,%s\nspl,%s\nuni,%s' "$(sha256 "$(busybox_image)")" "$fp" "$(sha256 "$WORK/u.tar.gz")")"
    # What was stored is what minictr's own import stores.
    run mc image verify spl
    assert_success
    # (a fixture rootfs, with no init: created, not started)
    lxc init spl sp1
    assert_equal "$(mc file pull sp1/etc/hostname -)" fixture
    # A corrupt upload is refused and leaves nothing.
    head -c 1000 "$WORK/u.tar.gz" >"$WORK/cut.tar.gz"
    run lxc image import "$WORK/cut.tar.gz" --alias cut
    assert_failure
    run mc image list --format csv
    refute_output --partial cut
    # Export gives back the files as they were imported, named as LXD names
    # them (the client checks them against the fingerprint).
    mkdir "$WORK/ex"
    run lxc image export uni "$WORK/ex/u"
    assert_success
    cmp "$WORK/u.tar.gz" "$WORK/ex/u.tar.gz"
    run lxc image export spl "$WORK/ex"
    assert_success
    cmp "$WORK/meta.tar.xz" "$WORK/ex/meta-$fp.tar.xz"
    cmp "$WORK/rootfs.squashfs" "$WORK/ex/$fp.squashfs"
    run curl -s -D "$WORK/ex/h" -o /dev/null --unix-socket "$SOCK" "http://lxd/1.0/images/$(sha256 "$WORK/u.tar.gz")/export"
    assert_equal "$(grep -i '^content-disposition' "$WORK/ex/h" | tr -d '\r')" \
        "Content-Disposition: attachment; filename=$(sha256 "$WORK/u.tar.gz").tar.gz"
    run api GET /1.0/images/0000/export
    assert_line --index 1 404
    run lxc image delete spl
    assert_failure
    lxc delete -f sp1
    lxc image delete spl
    run mc image list --format csv
    refute_output --partial spl
}

@test "exec without websockets, record-output (pylxd's way): the return code and the output as logs; lxc info --show-log" {
    local op id out
    mc launch busybox x1
    serve
    op=$(api POST /1.0/instances/x1/exec '{"command": ["sh", "-c", "echo out; echo err >&2; exit 5"], "wait-for-websocket": false, "record-output": true, "interactive": false}')
    assert_equal "$(tail -n 1 <<<"$op")" 202
    id=$(head -n 1 <<<"$op" | jq -r .metadata.id)
    run api GET "/1.0/operations/$id/wait?timeout=30"
    assert_equal "$(head -n 1 <<<"$output" | jq -c '[.metadata.status, .metadata.metadata.return]')" '["Success",5]'
    out=$(head -n 1 <<<"$output" | jq -r '.metadata.metadata.output["1"]')
    assert_equal "$out" "/1.0/instances/x1/logs/exec_$id.stdout"
    assert_equal "$(curl -s --unix-socket "$SOCK" "http://lxd$out")" out
    assert_equal "$(curl -s --unix-socket "$SOCK" "http://lxd/1.0/instances/x1/logs/exec_$id.stderr")" err
    run api GET /1.0/instances/x1/logs
    assert_equal "$(head -n 1 <<<"$output" | jq -c .metadata)" \
        "[\"/1.0/instances/x1/logs/lxc.log\",\"/1.0/instances/x1/logs/exec_$id.stderr\",\"/1.0/instances/x1/logs/exec_$id.stdout\"]"
    run api DELETE "$out"
    assert_line --index 1 200
    run api GET "$out"
    assert_line --index 1 404
    # Without record-output the output goes nowhere; the code still comes back.
    op=$(api POST /1.0/instances/x1/exec '{"command": ["false"], "wait-for-websocket": false}')
    id=$(head -n 1 <<<"$op" | jq -r .metadata.id)
    run api GET "/1.0/operations/$id/wait?timeout=30"
    assert_equal "$(head -n 1 <<<"$output" | jq -c .metadata.metadata.return)" 1
    # The console log, as LXD's lxc.log.
    mc exec x1 -- sh -c 'echo console-mark > /dev/console'
    run lxc info --show-log x1
    assert_success
    assert_output --partial console-mark
}

@test "lxc profile create, set, edit, rename, add, delete through the API, with the CLI's validation" {
    mc launch busybox pa1
    serve
    lxc profile create p1
    lxc profile set p1 limits.processes 77
    assert_equal "$(mc profile get p1 limits.processes)" 77
    run lxc profile set p1 limits.memory nonsense
    assert_failure
    assert_output --partial "invalid value \`nonsense\` for \`limits.memory\`"
    printf 'description: edited\nconfig:\n  limits.processes: "88"\n' | lxc profile edit p1
    assert_equal "$(mc profile get p1 limits.processes)" 88
    assert_equal "$(lxc profile show p1 | awk '/^description:/ { print $2 }')" edited
    lxc profile rename p1 p2
    lxc profile add pa1 p2
    assert_equal "$(mc config show pa1 --expanded | awk '/limits.processes/ { print $2 }')" '"88"'
    run lxc profile delete p2
    assert_failure
    assert_output --partial "used by pa1"
    lxc profile remove pa1 p2
    lxc profile delete p2
    run mc profile list --format csv
    refute_output --partial p2
}

@test "lxc copy (of a container, of a snapshot, with -c) and lxc move (rename) through the API" {
    mc launch busybox cp1
    serve
    mc exec cp1 -- sh -c 'echo mark > /root/m'
    lxc snapshot cp1 s1
    mc exec cp1 -- sh -c 'echo later > /root/m'
    lxc copy cp1 cp2
    lxc copy cp1/s1 cp3 -c limits.processes=33
    assert_equal "$(mc file pull cp2/root/m -)" later
    assert_equal "$(mc file pull cp3/root/m -)" mark
    assert_equal "$(mc config get cp3 limits.processes)" 33
    # A copy is a container of its own.
    [ "$(mc config get cp2 volatile.uuid)" != "$(mc config get cp1 volatile.uuid)" ]
    lxc move cp2 cp4
    run lxc list -c ns --format csv
    assert_output "$(printf 'cp1,RUNNING\ncp3,STOPPED\ncp4,STOPPED')"
    run lxc move cp1 cp5
    assert_failure
    assert_output --partial "is running"
}

# The operation at $1 (its URL) waited for: its status.
op_wait() {
    curl -s --unix-socket "$SOCK" "http://lxd$1/wait" | jq -r .metadata.status
}

@test "lxc publish, image alias rename, export and import (a backup made, fetched and deleted there), config trust add through the API" {
    local fp port tok op
    port=$(free_port)
    mc config set core.https_address "127.0.0.1:$port"
    mc launch busybox pb1
    serve
    # The server's config through /1.0 (lxc's GET, then PUT of the whole).
    assert_equal "$(lxc config get core.https_address)" "127.0.0.1:$port"
    run lxc config set core.https_address nowhere
    assert_failure
    assert_output "Error: invalid value \`nowhere\` for \`core.https_address\`: expected HOST:PORT, [IPV6]:PORT or :PORT"
    lxc config unset core.https_address
    assert_equal "$(mc config get core.https_address)" ""
    lxc config set core.https_address "127.0.0.1:$port"
    assert_equal "$(mc config get core.https_address)" "127.0.0.1:$port"
    mc exec pb1 -- sh -c 'echo published > /root/m'
    # Running: LXD's client refuses, or with --force stops it and starts it
    # again around the publish.
    run lxc publish pb1 --alias pimg
    assert_failure
    assert_output "Error: The instance is currently running. Use --force to have it stopped and restarted"
    run lxc publish pb1 --alias pimg -f k=v
    assert_success
    fp=$(mc image list pimg --format json | jq -r '.[0].fingerprint')
    assert_output "Instance published with fingerprint: $fp"
    assert_equal "$(status_of pb1)" Running
    assert_equal "$(mc image show pimg | sed -n 's/^  k: //p')" v
    run mc image verify pimg
    assert_output "${fp:0:12}: OK"
    mc launch pimg pb2
    assert_equal "$(mc exec pb2 -- cat /root/m)" published
    lxc snapshot pb1 s0
    run lxc publish pb1/s0 --alias pimg2
    assert_success
    run lxc publish nosuch
    assert_failure
    assert_output "Error: Instance not found"
    run lxc publish pb1/nosnap
    assert_failure
    assert_output "Error: Snapshot not found"
    # Straight to the API (a JSON body, whatever its Content-Type says):
    # the operation's metadata names the image and its size.  (pb1 changed
    # first: the same tree published in the same second is the same image,
    # pimg2's, which the delete below would take.)
    mc exec pb1 -- sh -c 'echo api > /root/api'
    op=$(api POST /1.0/images '{"source": {"type": "instance", "name": "pb1"}, "aliases": [{"name": "viaapi"}]}' \
        | head -n 1 | jq -r .operation)
    run curl -s --unix-socket "$SOCK" "http://lxd$op/wait"
    assert_equal "$(jq -r '.metadata.metadata | .fingerprint + " " + .size' <<<"$output")" \
        "$(mc image list viaapi --format json | jq -r '.[0] | .fingerprint + " " + (.size | tostring)')"
    mc image delete viaapi
    run api POST /1.0/images '{"source": {"type": "url", "name": "x"}}'
    assert_equal "$(head -n 1 <<<"$output" | jq -r .error)" "Source type \`url\` is not supported (minictr publishes instances and snapshots; images are imported by upload)"
    assert_line --index 1 400
    lxc image alias rename pimg2 pimg3
    assert_equal "$(mc image alias list --format csv | cut -d, -f1 | tr '\n' ' ')" "busybox pimg pimg3 "
    run lxc image alias rename nope x
    assert_failure
    assert_output "Error: alias \`nope\` not found"
    run lxc image alias rename pimg pimg3
    assert_failure
    assert_output "Error: alias \`pimg3\` already exists"
    run api POST /1.0/images/aliases/nope '{"name": "x"}'
    assert_line --index 1 404
    run api POST /1.0/images/aliases/pimg '{"name": "pimg3"}'
    assert_line --index 1 409
    # Backups: lxc export makes one there, fetches it and deletes it; it
    # holds what the CLI's export writes.
    lxc export pb1 "$WORK/pb1.tar.gz"
    assert_equal "$(ls -A "$MINICTR_DIR/containers/pb1/backups")" ""
    mc export pb1 "$WORK/local.tar.gz"
    assert_equal "$(tar tzf "$WORK/pb1.tar.gz" | sort)" "$(tar tzf "$WORK/local.tar.gz" | sort)"
    lxc export pb1 "$WORK/only.tar.gz" --instance-only
    assert_equal "$(tar tzf "$WORK/only.tar.gz" | grep -c '^backup/snapshots/.')" 0
    lxc import "$WORK/pb1.tar.gz" pb3
    assert_equal "$(mc file pull pb3/root/m -)" published
    assert_equal "$(mc snapshot list pb3 --format csv | cut -d, -f1)" s0
    [ "$(mc config get pb3 volatile.uuid)" != "$(mc config get pb1 volatile.uuid)" ]
    # (after the upload's progress line)
    run lxc import "$WORK/pb1.tar.gz"
    assert_failure
    assert_equal "Error: ${output##*Error: }" "Error: import \`uploaded backup\`: container \`pb1\` already exists"
    run lxc import "$(busybox_image)" pb9
    assert_failure
    assert_equal "Error: ${output##*Error: }" "Error: import \`uploaded backup\`: not a minictr backup (no backup/ directory)"
    run lxc import "$WORK/pb1.tar.gz" bad/name
    assert_failure
    assert_equal "Error: ${output##*Error: }" "Error: invalid container name \`bad/name\`: only letters, digits and hyphens are allowed"
    # (no import left half-made)
    assert_equal "$(find "$MINICTR_DIR/containers" -mindepth 1 -maxdepth 1 ! -name .idmap.lock -printf '%f ' | tr ' ' '\n' | sort | tr '\n' ' ')" "pb1 pb2 pb3 "
    # The backups API itself: named, listed, fetched, expired, deleted.
    op=$(api POST /1.0/instances/pb1/backups '{"name": "b1", "instance_only": true}' | head -n 1 | jq -r .operation)
    assert_equal "$(op_wait "$op")" Success
    run api GET /1.0/instances/pb1/backups
    assert_equal "$(head -n 1 <<<"$output" | jq -c .metadata)" '["/1.0/instances/pb1/backups/b1"]'
    run api GET /1.0/instances/pb1/backups/b1
    assert_equal "$(head -n 1 <<<"$output" | jq -c '.metadata | [.name, .instance_only, .expires_at]')" '["b1",true,"0001-01-01T00:00:00Z"]'
    curl -s --unix-socket "$SOCK" -o "$WORK/b1.tar.gz" http://lxd/1.0/instances/pb1/backups/b1/export
    assert_equal "$(tar tzf "$WORK/b1.tar.gz" | sort)" "$(tar tzf "$WORK/only.tar.gz" | sort)"
    op=$(api POST /1.0/instances/pb1/backups '{"name": "b2", "expires_at": "2020-01-01T00:00:00Z"}' | head -n 1 | jq -r .operation)
    assert_equal "$(op_wait "$op")" Success
    run api GET /1.0/instances/pb1/backups
    assert_equal "$(head -n 1 <<<"$output" | jq -c .metadata)" '["/1.0/instances/pb1/backups/b1"]'
    run api POST /1.0/instances/pb1/backups '{"name": "a/b"}'
    assert_line --index 1 400
    op=$(api DELETE /1.0/instances/pb1/backups/b1 | head -n 1 | jq -r .operation)
    assert_equal "$(op_wait "$op")" Success
    # The expired one goes when the next backup is made (under the lock).
    assert_equal "$(find "$MINICTR_DIR/containers/pb1/backups" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "b2.tar.gz b2.yaml "
    op=$(api POST /1.0/instances/pb1/backups '{}' | head -n 1 | jq -r .operation)
    assert_equal "$(op_wait "$op")" Success
    assert_equal "$(find "$MINICTR_DIR/containers/pb1/backups" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "backup0.tar.gz backup0.yaml "
    op=$(api DELETE /1.0/instances/pb1/backups/backup0 | head -n 1 | jq -r .operation)
    assert_equal "$(op_wait "$op")" Success
    assert_equal "$(ls -A "$MINICTR_DIR/containers/pb1/backups")" ""
    run api GET /1.0/instances/pb1/backups/b1/export
    assert_line --index 1 404
    # A join token from the API, which the server then takes once.
    run lxc config trust add --name viaapi
    assert_success
    assert_line --index 0 "Client viaapi certificate add token:"
    tok=${lines[1]}
    assert_equal "$(base64 -d <<<"$tok" | jq -r '.client_name + " " + .addresses[0]')" "viaapi 127.0.0.1:$port"
    assert_equal "$(base64 -d <<<"$tok" | jq -r .fingerprint)" \
        "$(openssl x509 -in "$MINICTR_DIR/server.crt" -outform DER | sha256sum | cut -d' ' -f1)"
    LXD_CONF=$WORK/c1 lxc remote add r1 "$tok"
    assert_equal "$(LXD_CONF=$WORK/c1 lxc list r1: -c n --format csv | tr '\n' ' ')" "pb1 pb2 pb3 "
    run mc config trust list --format csv
    assert_output --regexp '^client,viaapi,[0-9a-f]{12}$'
}

@test "minictr on REMOTE: names: publish, image export (checked against the fingerprint), alias rename, file create, export and import, config trust" {
    local fp sfp port cfp
    export MINICTR_CONF=$WORK/client-conf
    port=$(free_port)
    serve
    mc remote add sock "unix://$SOCK"
    mc launch busybox sock:q1
    mc exec q1 -- sh -c 'echo mark > /root/m'
    # A "REMOTE:" alone, then a filter that is not a name.
    assert_equal "$(mc image list sock: busybox --format csv | cut -d, -f1)" busybox
    run mc publish sock:q1 --alias qimg
    assert_failure
    assert_output "minictr: container \`q1\` is running; publish --force freezes it while it is read"
    run mc publish sock:q1 --alias qimg -f os=custom
    assert_success
    fp=$(mc image list qimg --format json | jq -r '.[0].fingerprint')
    assert_output "Instance published with fingerprint: $fp"
    assert_equal "$(status_of q1)" Running
    assert_equal "$(mc image show qimg | sed -n 's/^  os: //p')" custom
    mc snapshot q1 s0
    run mc publish sock:q1/s0 --alias qimg2
    assert_success
    run mc publish sock:q1/nosnap
    assert_failure
    assert_output "minictr: publish \`q1/nosnap\`: Snapshot not found"
    # Images exported from there: the files as imported, named as here.
    mkdir "$WORK/ex" "$WORK/lx" "$WORK/ex2"
    run mc image export sock:qimg "$WORK/ex"
    assert_output "Image exported successfully!"
    mc image export qimg "$WORK/lx"
    assert_equal "$(ls "$WORK/ex")" "$fp.tar.gz"
    cmp "$WORK/ex/$fp.tar.gz" "$WORK/lx/$fp.tar.gz"
    make_split "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" xz squashfs-xz
    mc image import "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" --alias spl
    sfp=$(cat "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" | sha256sum | cut -d' ' -f1)
    mc image export sock:spl "$WORK/ex"
    cmp "$WORK/meta.tar.xz" "$WORK/ex/meta-$sfp.tar.xz"
    cmp "$WORK/rootfs.squashfs" "$WORK/ex/$sfp.squashfs"
    mc image export sock:spl "$WORK/ex/one"
    cmp "$WORK/meta.tar.xz" "$WORK/ex/one"
    cmp "$WORK/rootfs.squashfs" "$WORK/ex/one.root"
    # Changed on the server's disk: refused before anything is written.
    printf X | dd of="$MINICTR_DIR/images/$sfp/orig/rootfs" bs=1 seek=100 conv=notrunc status=none
    run mc image export sock:spl "$WORK/ex2"
    assert_failure
    assert_output --regexp "^minictr: remote \`sock\`: the export of image ${sfp:0:12} does not match its fingerprint \(got [0-9a-f]{12}\); nothing was written$"
    assert_equal "$(ls -A "$WORK/ex2")" ""
    mc image delete spl
    mc image alias rename sock:qimg2 qimg3
    assert_equal "$(mc image alias list --format csv | cut -d, -f1 | tr '\n' ' ')" "busybox qimg qimg3 "
    # Files created there, as the local create makes them.
    mc file create sock:q1/root/f --mode 600 --uid 5
    mc file create sock:q1/root/d/
    mc file create sock:q1/root/l --type symlink /root/m
    mc file create -p sock:q1/root/a/b/c
    assert_equal "$(mc exec q1 -- stat -c '%n %F %a %u' /root/f /root/d /root/l /root/a/b /root/a/b/c)" \
        "$(printf '/root/f regular empty file 600 5\n/root/d directory 755 0\n/root/l symbolic link 777 0\n/root/a/b directory 755 0\n/root/a/b/c regular empty file 644 0')"
    assert_equal "$(mc exec q1 -- readlink /root/l)" /root/m
    run mc file create sock:q1/root/f
    assert_failure
    assert_output "minictr: \`q1/root/f\` already exists (use --force to replace it)"
    mc file create -f sock:q1/root/f
    assert_equal "$(mc exec q1 -- stat -c '%a %u' /root/f)" "644 0"
    run mc file create sock:q1/root/d
    assert_failure
    assert_output "minictr: \`q1/root/d\` already exists (use --force to replace it)"
    run mc file create -f sock:q1/root/d
    assert_failure
    assert_output "minictr: create \`q1/root/d\`: Is a directory"
    run mc file create sock:q1/root/d/
    assert_failure
    assert_output "minictr: \`q1/root/d/\` already exists"
    mc file create -f sock:q1/root/d/
    # Backups made there, fetched, and not left there.
    run mc export sock:q1 "$WORK/q1.tar.gz"
    assert_output "Backup exported successfully to $WORK/q1.tar.gz"
    assert_equal "$(ls -A "$MINICTR_DIR/containers/q1/backups")" ""
    run mc import "$WORK/q1.tar.gz" sock:q2
    assert_output "Container q2 imported"
    assert_equal "$(mc file pull q2/root/m -)" mark
    assert_equal "$(mc snapshot list q2 --format csv | cut -d, -f1)" s0
    run mc import "$WORK/q1.tar.gz" sock:
    assert_failure
    assert_output "minictr: import \`uploaded backup\`: container \`q1\` already exists"
    run mc import --allow-privileged "$WORK/q1.tar.gz" sock:q3
    assert_equal "$status" 2
    assert_output "minictr: import --allow-privileged: not on a remote (its server refuses a privileged backup; import it there with \`minictr import\`)"
    run mc export sock:nosuch "$WORK/n.tar.gz"
    assert_failure
    assert_output "minictr: Instance not found"
    [ ! -e "$WORK/n.tar.gz" ]
    # Trust there: a token needs the server's address.
    run mc config trust add sock: --name there
    assert_failure
    assert_output "minictr: Can't issue a token: the server does not listen on the network (set core.https_address)"
    # The server's own keys, set there (PATCH /1.0).
    mc config set sock: core.https_address "127.0.0.1:$port"
    assert_equal "$(mc config get core.https_address)" "127.0.0.1:$port"
    assert_equal "$(mc config get sock: core.https_address)" "127.0.0.1:$port"
    run mc config set sock: core.nonsense 1
    assert_failure
    assert_output "minictr: unknown server config key \`core.nonsense\` (minictr's: core.https_address)"
    run mc config trust add sock: --name there
    assert_line --index 0 "Client there certificate add token:"
    assert_equal "$(base64 -d <<<"${lines[1]}" | jq -r '.client_name + " " + .addresses[0]')" "there 127.0.0.1:$port"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/k.pem" -out "$WORK/c.pem" \
        -days 1 -subj /CN=t 2>/dev/null
    cfp=$(openssl x509 -in "$WORK/c.pem" -outform DER | sha256sum | cut -d' ' -f1)
    run mc config trust add-certificate sock: "$WORK/c.pem" --name other
    assert_output "Certificate $cfp trusted"
    assert_equal "$(mc config trust list sock: --format csv)" "client,other,${cfp:0:12}"
    assert_equal "$(mc config trust list --format csv)" "client,other,${cfp:0:12}"
    run mc config trust add-certificate sock: "$WORK/k.pem"
    assert_failure
    assert_output "minictr: \`$WORK/k.pem\` is not a PEM certificate"
    mc config trust remove "sock:${cfp:0:12}"
    assert_equal "$(mc config trust list --format csv)" ""
    mc delete -f sock:q1 sock:q2
    mc remote remove sock
}

@test "minictr image export from a remote: the file name the server gives cannot pick which of the user's files is replaced" {
    local fp _
    export MINICTR_CONF=$WORK/client-conf
    head -c 1000 /dev/urandom >"$WORK/body"
    fp=$(sha256sum "$WORK/body" | cut -d' ' -f1)
    python3 "$BATS_TEST_DIRNAME/fake-image-server.py" "$WORK/fake.sock" "$WORK/body" &
    export STARTED_PIDS="${STARTED_PIDS:-} $!"
    for _ in $(seq 100); do
        [ -S "$WORK/fake.sock" ] && break
        sleep 0.05
    done
    mc remote add fake "unix://$WORK/fake.sock"
    mkdir "$WORK/out"
    echo mine >"$WORK/out/.bashrc"
    run bash -c 'cd "$1" && "$2" image export "fake:$3"' _ "$WORK/out" "$MINICTR_BIN" "$fp"
    assert_success
    assert_equal "$(cat "$WORK/out/.bashrc")" mine
    cmp "$WORK/body" "$WORK/out/$fp"
}

@test "lxc network create, set, show, list, delete through the API (the CLI's bridge, refused while used)" {
    serve
    lxc network create n1 ipv4.address=10.213.7.1/24 ipv4.nat=false
    assert_equal "$(mc network get n1 ipv4.address)" 10.213.7.1/24
    assert_equal "$(ip -4 -o addr show dev "$(bridge_of n1)" | awk '{ print $4 }')" 10.213.7.1/24
    lxc network set n1 ipv4.address 10.213.8.1/24
    assert_equal "$(ip -4 -o addr show dev "$(bridge_of n1)" | awk '{ print $4 }')" 10.213.8.1/24
    run lxc network list --format csv
    assert_line --regexp '^n1,bridge,YES,'
    assert_equal "$(lxc network show n1 | awk '/ipv4.address/ { print $2 }')" 10.213.8.1/24
    run lxc network set n1 ipv4.address nonsense
    assert_failure
    mc init busybox nw1 -n n1 </dev/null
    # The bridge's state and the addresses handed out, as LXD's show them.
    run lxc network info n1
    assert_success
    assert_line "MTU: $(cat "/sys/class/net/$(bridge_of n1)/mtu")"
    assert_line "State: up"
    assert_line --regexp "^  inet[[:space:]]+10\.213\.8\.1/24 \(global\)$"
    mc start nw1
    run lxc network list-leases n1 --format csv
    assert_output "$(mc network list-leases n1 --format csv)"
    assert_output --regexp '^nw1,[0-9a-f:]{17},10\.213\.8\.[0-9]+,'
    run lxc network info nosuch
    assert_failure
    run lxc network delete n1
    assert_failure
    assert_output --partial nw1
    mc delete -f nw1
    lxc network delete n1
    run mc network list --format csv
    assert_output ""
}

# A TCP port no socket of the host's network namespace uses.
free_port() {
    local p hex
    while :; do
        p=$((20000 + RANDOM % 20000))
        hex=$(printf ':%04X ' "$p")
        awk '{ print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q -- "${hex% }\$" || { echo "$p"; return; }
    done
}

@test "HTTPS with LXD's trust: a join token (config trust add) lets lxc remote add in once; untrusted clients see GET /1.0 only" {
    local port tok fp
    port=$(free_port)
    mc config set core.https_address "127.0.0.1:$port"
    assert_equal "$(mc config get core.https_address)" "127.0.0.1:$port"
    run mc config set core.https_address nowhere
    assert_failure
    assert_output "minictr: invalid value \`nowhere\` for \`core.https_address\`: expected HOST:PORT, [IPV6]:PORT or :PORT"
    mc launch busybox h1
    serve
    # Loopback only, as asked; the server's certificate made on first use.
    run ss -ltnH "sport = :$port"
    assert_output --regexp "127\.0\.0\.1:$port "
    run openssl x509 -in "$MINICTR_DIR/server.crt" -noout -subject -ext subjectAltName
    assert_output --partial "O = minictr"
    assert_output --partial "DNS:$(hostname)"
    tok=$(mc config trust add --name tester | tail -n 1)
    LXD_CONF=$WORK/c1 lxc remote add r1 "$tok"
    assert_equal "$(LXD_CONF=$WORK/c1 lxc list r1: -c ns --format csv)" "h1,RUNNING"
    assert_equal "$(LXD_CONF=$WORK/c1 lxc exec r1:h1 -- echo over-https)" over-https
    run mc config trust list --format csv
    assert_output --regexp '^client,tester,[0-9a-f]{12}$'
    # A token is good once.
    run env LXD_CONF="$WORK/c2" lxc remote add r2 "$tok"
    assert_failure
    assert_output --partial "not authorized"
    # No certificate, or an untrusted one: the server's description, 403 else.
    assert_equal "$(curl -sk "https://127.0.0.1:$port/1.0" | jq -r .metadata.auth)" untrusted
    assert_equal "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/1.0/instances")" 403
    # ... refused before a body is read, let alone stored: a request that
    # says 60 MB follow and sends 1 KiB has its 403, then the connection
    # ends (a server waiting for the rest would keep it open).
    run python3 - "$port" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.settimeout(20)
s.sendall(b"POST /1.0/instances HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
          b"Content-Length: 60000000\r\n\r\n" + b"\0" * 1024)
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.split(b"\r\n")[0].decode())
PY
    assert_success
    assert_output "HTTP/1.1 403 Forbidden"
    run env LXD_CONF="$WORK/c3" lxc remote add r3 "https://127.0.0.1:$port" --accept-certificate --password nope
    assert_failure
    # Forgotten: refused again.
    fp=$(mc config trust list --format json | jq -r '.[0].fingerprint')
    mc config trust remove "${fp:0:12}"
    run env LXD_CONF="$WORK/c1" lxc list r1:
    assert_failure
    run mc config trust list --format csv
    assert_output ""
}

@test "socket activation (systemd's protocol): nothing serves until a client connects, then the server takes the passed socket; bad activations are refused" {
    local pid mode _
    command -v systemd-socket-activate >/dev/null \
        || fail "precondition failed: no systemd-socket-activate (Debian's systemd package)"
    mc launch busybox sa1
    # (the activator passes on only the variables named)
    systemd-socket-activate -l "$SOCK" -E PATH -E MINICTR_DIR -E MINICTR_LXCFS_DIR \
        "$MINICTR_BIN" serve >"$WORK/sa.log" 2>&1 &
    pid=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $pid"
    for _ in $(seq 100); do
        grep -q "^Listening on" "$WORK/sa.log" && break
        sleep 0.05
    done
    # Listening, and not yet minictr: the activator runs it on the first
    # connection, in its own place (the same PID).
    [ -S "$SOCK" ]
    mode=$(stat -c %a:%U:%G "$SOCK")
    assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "systemd-socket-activate -l $SOCK -E PATH -E MINICTR_DIR -E MINICTR_LXCFS_DIR $MINICTR_BIN serve "
    # (the client's first run writes its config and says so)
    lxc info >/dev/null 2>&1
    run lxc list -c ns --format csv
    assert_success
    assert_output "sa1,RUNNING"
    assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$MINICTR_BIN serve "
    run lxc exec sa1 -- echo through-activation
    assert_output through-activation
    # The socket is the activator's: the server neither replaced nor
    # chmod-ed it (a unit's SocketMode= and SocketGroup= hold).
    assert_equal "$(stat -c %a:%U:%G "$SOCK")" "$mode"
    kill "$pid"
    wait "$pid" || true
    # What the server was started with but cannot use is refused in one line.
    # shellcheck disable=SC2016
    run env LISTEN_FDS=2 bash -c 'export LISTEN_PID=$$; exec "$0" serve' "$MINICTR_BIN"
    assert_failure
    assert_output "minictr: socket activation passed 2 sockets; minictr serve takes one (a unix stream socket)"
    # shellcheck disable=SC2016
    run env LISTEN_FDS=1 bash -c 'export LISTEN_PID=$$; exec "$0" serve 3</dev/null' "$MINICTR_BIN"
    assert_failure
    assert_output "minictr: socket activation: fd 3 is not a listening unix stream socket (ListenStream= a path)"
    # Variables meant for another process are not ours: a normal start.
    run env LISTEN_FDS=1 LISTEN_PID=1 timeout --preserve-status -s TERM 1 "$MINICTR_BIN" serve
    assert_equal "$status" 0
    [ ! -e "$SOCK" ]
}

# wait_for_file PATH: until PATH exists (a test hook's stop file).
wait_for_file() {
    local _
    for _ in $(seq 600); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    fail "$1 never appeared"
}

@test "the server killed during an image import (mid-upload, mid-operation) and during an exec: the store stays consistent, containers untouched, the next server works" {
    local d init images spool child cpid fp _
    mc launch busybox k1
    init=$(init_pid k1)
    # An image big enough to be caught mid-upload: 16 MiB of noise.
    d=$WORK/big
    mkdir -p "$d"
    make_metadata "$d" "big image"
    make_rootfs "$d/rootfs" big
    head -c 16M /dev/urandom >"$d/rootfs/noise"
    tar -C "$d" "${TAR_OPTS[@]}" -cf "$WORK/big.tar" metadata.yaml rootfs templates
    fp=$(sha256 "$WORK/big.tar")
    images=$(mc image list --format csv; find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)

    # 1. Mid-upload: the body was being spooled (a file with no name).
    serve
    curl -s --limit-rate 2M --unix-socket "$SOCK" -X POST -H 'Content-Type: application/octet-stream' \
        --data-binary @"$WORK/big.tar" http://lxd/1.0/images >/dev/null 2>&1 &
    cpid=$!
    export STARTED_PIDS="$STARTED_PIDS $cpid"
    for _ in $(seq 600); do
        spool=$(find "/proc/$SERVER_PID/fd" -lname '*(deleted)' 2>/dev/null | head -n 1)
        [ -n "$spool" ] && [ "$(stat -L -c %s "$spool" 2>/dev/null || echo 0)" -gt 0 ] && break
        sleep 0.05
    done
    [ "$(stat -L -c %s "$spool")" -gt 0 ]
    kill -KILL "$SERVER_PID"
    wait "$cpid" || true
    assert_equal "$(mc image list --format csv; find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)" "$images"

    # 2. Mid-operation: the import's own process (the operation) is held
    # at a step after unpacking; the server dies; the operation finishes
    # in its process, and its image is whole.
    export MINICTR_TEST_STOP_AT=image-import-unpacked MINICTR_TEST_STOP_DIR=$WORK/stops
    mkdir "$WORK/stops"
    serve
    unset MINICTR_TEST_STOP_AT MINICTR_TEST_STOP_DIR
    lxc image import "$WORK/big.tar" --alias big >"$WORK/import.out" 2>&1 &
    cpid=$!
    export STARTED_PIDS="$STARTED_PIDS $cpid"
    wait_for_file "$WORK/stops/image-import-unpacked"
    child=$(cat "$WORK/stops/image-import-unpacked")
    kill -KILL "$SERVER_PID"
    # (in this shell: a `run` subshell cannot wait for our child)
    if wait "$cpid"; then fail "lxc image import succeeded with its server killed"; fi
    # (the held operation's temp dir aside)
    assert_equal "$(mc image list --format csv; find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 \
        ! -name '.tmp-import-*' -printf '%f\n' | sort)" "$images"
    echo >"$WORK/stops/image-import-unpacked.go"
    wait_gone "$child"
    # (the alias is the client's second request, after the import's end:
    # it never came)
    run mc image verify "$fp"
    assert_success
    assert_equal "$(mc image list --format csv | grep -c "^,${fp:0:12},")" 1

    # ... and when the operation dies with it, nothing of it is left: the
    # next import of the same image works.
    mc image delete "$fp"
    rm "$WORK/stops/image-import-unpacked"
    export MINICTR_TEST_STOP_AT=image-import-unpacked MINICTR_TEST_STOP_DIR=$WORK/stops
    serve
    unset MINICTR_TEST_STOP_AT MINICTR_TEST_STOP_DIR
    lxc image import "$WORK/big.tar" --alias big >"$WORK/import.out" 2>&1 &
    cpid=$!
    export STARTED_PIDS="$STARTED_PIDS $cpid"
    wait_for_file "$WORK/stops/image-import-unpacked"
    child=$(cat "$WORK/stops/image-import-unpacked")
    kill -KILL "$SERVER_PID" "$child"
    wait "$cpid" || true
    wait_gone "$child"
    serve
    assert_equal "$(mc image list --format csv; find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)" "$images"
    run lxc image import "$WORK/big.tar" --alias big
    assert_success
    run mc image verify big
    assert_success

    # 3. Mid-exec: a command reading its stdin.
    # (its stdin a FIFO this shell holds open: no process is left over)
    mkfifo "$WORK/stdin"
    lxc exec k1 -T -- cat <"$WORK/stdin" >/dev/null 2>&1 3>&- &
    cpid=$!
    exec 7>"$WORK/stdin"
    export STARTED_PIDS="$STARTED_PIDS $cpid"
    for _ in $(seq 600); do
        mc exec k1 -- ps -o comm | grep -qx cat && break
        sleep 0.05
    done
    run mc exec k1 -- ps -o comm
    assert_line cat
    kill -KILL "$SERVER_PID"
    wait "$cpid" || true
    # Its stdin ended with the server: the command ended, the container
    # did not.
    for _ in $(seq 600); do
        mc exec k1 -- ps -o comm | grep -qx cat || break
        sleep 0.05
    done
    run mc exec k1 -- ps -o comm
    refute_line cat
    exec 7>&-
    assert_equal "$(init_pid k1)" "$init"
    assert_equal "$(status_of k1)" Running
    serve
    run lxc exec k1 -- echo after
    assert_output after
}

@test "the acceptance list through an HTTPS remote added with a token: info, image import and list, launch, list, exec, file push/pull, config set, snapshot, restore, stop, start, pause, profile, network list, monitor, delete -f" {
    local port tok fp mem mon
    port=$(free_port)
    mc config set core.https_address "127.0.0.1:$port"
    serve
    tok=$(mc config trust add --name acceptance | tail -n 1)
    export LXD_CONF=$WORK/https-conf
    lxc remote add r1 "$tok" >/dev/null
    run lxc info r1:
    assert_success
    assert_line "  server: minictr"
    assert_line "auth: trusted"
    mon=$WORK/monitor.json
    lxc monitor r1: --type lifecycle --format json >"$mon" 2>&1 &
    export STARTED_PIDS="$STARTED_PIDS $!"
    # Images: unified and split uploads, listed.
    make_unified "$WORK/u.tar.gz" gzip "unified one"
    make_split "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" xz squashfs-xz
    lxc image import "$WORK/u.tar.gz" r1: --alias uni >/dev/null
    lxc image import "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" r1: --alias spl >/dev/null
    fp=$(cat "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" | sha256sum | cut -d' ' -f1)
    run bash -c "lxc image list r1: --format csv -c lf | sort"
    assert_output "$(printf 'busybox,%s\nspl,%s\nuni,%s' "$(sha256 "$(busybox_image)" | cut -c1-12)" "${fp:0:12}" \
        "$(sha256 "$WORK/u.tar.gz" | cut -c1-12)")"
    # The container: launch, list (table and json), exec.
    lxc launch r1:busybox r1:w1 >/dev/null
    assert_equal "$(status_of w1)" Running
    run lxc list r1: -c ns
    assert_line --regexp '^\| w1 +\| RUNNING +\|$'
    assert_equal "$(lxc list r1: --format json | jq -r '.[0].name + " " + .[0].status')" "w1 Running"
    run lxc exec r1:w1 -- sh -c 'exit 7'
    assert_failure 7
    assert_equal "$(echo hello | lxc exec r1:w1 -- cat)" hello
    run lxc exec -t r1:w1 -- tty </dev/null
    assert_equal "$(tr -d '\r' <<<"$output")" /dev/pts/0
    run lxc exec -T r1:w1 -- sh -c 'test -t 0 || echo no-terminal' </dev/null
    assert_output no-terminal
    # Files, one and a tree.
    head -c 100000 /dev/urandom >"$WORK/f"
    lxc file push "$WORK/f" r1:w1/root/f
    lxc file pull r1:w1/root/f "$WORK/f.back"
    cmp "$WORK/f" "$WORK/f.back"
    mkdir -p "$WORK/tree/a/b"
    echo deep >"$WORK/tree/a/b/c"
    lxc file push -r "$WORK/tree" r1:w1/root/
    mkdir "$WORK/back"
    lxc file pull -r r1:w1/root/tree "$WORK/back/"
    assert_equal "$(cat "$WORK/back/tree/a/b/c")" deep
    # Limits reach the cgroup.
    lxc config set r1:w1 limits.memory 64MiB
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then mem=memory.max; else mem=memory.limit_in_bytes; fi
    assert_equal "$(cg_file w1 "$mem")" $((64 * 1024 * 1024))
    # Snapshot and restore.
    mc exec w1 -- sh -c 'echo before > /root/s'
    lxc snapshot r1:w1 s0
    mc exec w1 -- sh -c 'echo after > /root/s'
    lxc restore r1:w1 s0
    assert_equal "$(mc exec w1 -- cat /root/s)" before
    # State changes.
    lxc stop r1:w1 --force
    assert_equal "$(status_of w1)" Stopped
    lxc start r1:w1
    assert_equal "$(status_of w1)" Running
    lxc pause r1:w1
    assert_equal "$(status_of w1)" Frozen
    lxc start r1:w1
    # Profiles and networks.
    lxc profile create r1:p1
    lxc profile set r1:p1 limits.processes 100
    assert_equal "$(mc profile get p1 limits.processes)" 100
    run lxc profile list r1: --format csv
    assert_line --regexp '^p1,'
    run lxc network list r1: --format csv
    assert_success
    lxc delete -f r1:w1
    assert_equal "$(mc list --format csv)" ""
    # lxc monitor saw the lifecycle, over TLS too.
    for _ in $(seq 50); do
        grep -q instance-deleted "$mon" && break
        sleep 0.1
    done
    run jq -r '.metadata.action' "$mon"
    assert_line instance-created
    assert_line instance-started
    assert_line instance-stopped
    assert_line instance-deleted
}

@test "minictr remote: add (a unix socket; HTTPS with a join token, or a trusted client and --accept-certificate), list, switch, get-default, remove; REMOTE: names drive that server" {
    local port tok fp
    export MINICTR_CONF=$WORK/client-conf
    port=$(free_port)
    mc config set core.https_address "127.0.0.1:$port"
    serve
    run mc remote list --format csv
    assert_output "local (current),unix://,lxd,file access,NO,YES,NO"
    run mc remote add sock "unix://$SOCK"
    assert_success
    # The lab workflow on a remote, by its name.
    run mc launch busybox sock:r1
    assert_success
    assert_output "$(printf 'Creating r1\nStarting r1')"
    assert_equal "$(status_of r1)" Running
    run mc list sock: -c ns --format csv
    assert_output "r1,RUNNING"
    # shellcheck disable=SC2016
    run mc exec sock:r1 --env GREETING=hi -- sh -c 'echo "$GREETING out"; exit 3'
    assert_equal "$status" 3
    assert_output "hi out"
    # Our stdin is shared (with the shell, a pipeline): it is left as it
    # was, blocking (Ansible, for one, refuses a non-blocking one).
    run bash -c 'sleep 1 | { "$0" exec sock:r1 -- true; sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/0; }' \
        "$MINICTR_BIN"
    assert_equal "$(( 8#$output & 8#4000 ))" 0
    # Streams: stdin in, stdout and stderr apart, large both ways.
    assert_equal "$(echo hello | mc exec sock:r1 -- cat)" hello
    assert_equal "$(mc exec sock:r1 -- sh -c 'echo out; echo err >&2' 2>"$WORK/err")" out
    assert_equal "$(cat "$WORK/err")" err
    assert_equal "$(seq 1 200000 | mc exec sock:r1 -- wc -l)" 200000
    assert_equal "$(mc exec sock:r1 -- sh -c 'cat; echo end' </dev/null)" end
    # -t: a terminal of the container's.
    run mc exec -t sock:r1 -- sh -c 'tty; stty size' </dev/null
    assert_equal "$(tr -d '\r' <<<"$output")" "$(printf '/dev/pts/0\n24 80')"
    # Files, pushed and pulled (owner and mode as asked, or the source's).
    head -c 3000000 /dev/urandom >"$WORK/big"
    chmod 640 "$WORK/big"
    mc file push "$WORK/big" sock:r1/root/
    mc file push --uid 5 --mode 600 "$WORK/big" sock:r1/root/b2
    assert_equal "$(mc exec r1 -- stat -c '%a %u %s' /root/big /root/b2)" "$(printf '640 0 3000000\n600 5 3000000')"
    mkdir "$WORK/out"
    mc file pull sock:r1/root/big "$WORK/out/"
    cmp "$WORK/big" "$WORK/out/big"
    assert_equal "$(stat -c %a "$WORK/out/big")" 640
    assert_equal "$(mc file pull sock:r1/etc/hostname -)" r1
    run mc file pull sock:r1/etc "$WORK/out/x"
    assert_failure
    assert_output "minictr: \`r1/etc\` is a directory (use -r)"
    run mc file pull sock:r1/nope "$WORK/out/y"
    assert_failure
    assert_equal "$(ls "$WORK/out")" big
    # Trees (-r): what the local push and pull make, through the remote;
    # links stay links; an empty file is a file.
    mkdir -p "$WORK/tree/sub"
    echo a >"$WORK/tree/a"
    : >"$WORK/tree/empty"
    ln -s a "$WORK/tree/link"
    echo b >"$WORK/tree/sub/b"
    chmod 750 "$WORK/tree/sub"
    mc file push -r "$WORK/tree" sock:r1/root/
    mc file push -r "$WORK/tree" sock:r1/root/copy
    mc file push -r "$WORK/tree" r1/root/local
    for d in tree copy; do
        assert_equal "$(mc exec r1 -- sh -c "cd /root/$d && find . | sort && readlink link && stat -c %a sub && cat sub/b")" \
            "$(mc exec r1 -- sh -c 'cd /root/local && find . | sort && readlink link && stat -c %a sub && cat sub/b')"
    done
    mc file pull -r sock:r1/root/tree "$WORK/out/"
    mc file pull -r r1/root/tree "$WORK/local"
    assert_equal "$(cd "$WORK/out/tree" && find . -printf '%p %y %m %l\n' | sort)" \
        "$(cd "$WORK/local" && find . -printf '%p %y %m %l\n' | sort)"
    run mc file push "$WORK/tree" sock:r1/root/
    assert_failure
    assert_output "minictr: \`$WORK/tree\` is a directory (use -r)"
    # A link to a directory is followed, not replaced; `dir/` is named dir.
    mc exec r1 -- sh -c 'mkdir /root/realdir && ln -s realdir /root/linkdir'
    mc file push "$WORK/tree/a" sock:r1/root/linkdir
    assert_equal "$(mc exec r1 -- sh -c 'readlink /root/linkdir; cat /root/realdir/a')" "$(printf 'realdir\na')"
    mc exec r1 -- rm -r /root/realdir /root/linkdir
    mkdir "$WORK/out2"
    mc file pull -r sock:r1/root/tree/ "$WORK/out2"
    assert_equal "$(ls "$WORK/out2")" tree
    mc file push -p "$WORK/tree/a" sock:r1/root/p/q/a
    mc file pull -p sock:r1/root/p/q/a "$WORK/out/p/q/a"
    assert_equal "$(cat "$WORK/out/p/q/a")" a
    # Config, checked by the server as by the CLI; snapshots.
    mc config set sock:r1 limits.memory 64MiB
    assert_equal "$(mc config get sock:r1 limits.memory)" 64MiB
    assert_equal "$(mc config get r1 limits.memory)" 64MiB
    run mc config set sock:r1 limits.memory=lots
    assert_failure
    assert_output "minictr: invalid value \`lots\` for \`limits.memory\`: expected a size such as 256MiB or 1GB, or a percentage of host memory such as 50%"
    run mc config show sock:r1
    assert_line "  limits.memory: 64MiB"
    mc config unset sock:r1 limits.memory
    assert_equal "$(mc config get r1 limits.memory)" ""
    mc exec r1 -- sh -c 'echo before > /root/s'
    mc snapshot sock:r1 s0
    mc snapshot sock:r1
    assert_equal "$(mc snapshot list r1 --format csv | cut -d, -f1)" "$(printf 's0\nsnap0')"
    mc exec r1 -- sh -c 'echo after > /root/s'
    mc restore sock:r1 s0
    assert_equal "$(mc exec r1 -- cat /root/s)" before
    # Snapshots listed, shown and deleted there; copies made there.
    assert_equal "$(mc snapshot list sock:r1 --format csv)" "$(mc snapshot list r1 --format csv)"
    assert_equal "$(mc snapshot show sock:r1/s0 | sed -n 1p)" "name: s0"
    mc copy sock:r1/s0 sock:rc -c user.x=1
    assert_equal "$(mc config get rc user.x)" 1
    assert_equal "$(mc file pull rc/root/s -)" before
    mc delete rc
    run mc snapshot delete sock:r1/snap0
    assert_output "Snapshot r1/snap0 deleted"
    assert_equal "$(mc snapshot list r1 --format csv | cut -d, -f1)" s0
    # What the remote shows is what the local store shows.
    run mc network create sock:rnet0 ipv4.address=10.251.7.1/24 ipv4.nat=false --description there
    assert_output "Network rnet0 created"
    assert_equal "$(mc network show sock:rnet0)" "$(mc network show rnet0)"
    mc network set sock:rnet0 ipv4.dhcp false
    assert_equal "$(mc network get sock:rnet0 ipv4.dhcp)" false
    mc network unset sock:rnet0 ipv4.dhcp
    assert_equal "$(mc network get rnet0 ipv4.dhcp)" ""
    printf 'description: edited\nconfig:\n  ipv4.address: 10.251.7.1/24\n  ipv4.nat: "false"\n' | mc network edit sock:rnet0
    assert_equal "$(mc network show rnet0 | sed -n 1p)" "description: edited"
    run mc network set sock:rnet0 ipv4.address nonsense
    assert_failure
    assert_equal "$(mc info sock:r1 | sed '/^Resources:/,/^Layers:/d')" "$(mc info r1 | sed '/^Resources:/,/^Layers:/d')"
    assert_equal "$(mc image list sock: --format json)" "$(mc image list --format json)"
    assert_equal "$(mc profile list sock: --format json)" "$(mc profile list --format json)"
    assert_equal "$(mc profile show sock:default)" "$(mc profile show default)"
    assert_equal "$(mc network list sock: --format csv)" "$(mc network list --format csv)"
    assert_equal "$(mc network list sock: --format csv | cut -d, -f1,4,7)" "rnet0,10.251.7.1/24,0"
    assert_equal "$(mc network info sock:rnet0 | head -n 6)" "$(mc network info rnet0 | head -n 6)"
    run mc network attach sock:rnet0 r1
    assert_output "Network rnet0 attached to r1 as device rnet0 (from its next start if running)"
    assert_equal "$(mc config device get r1 rnet0 network)" rnet0
    assert_equal "$(mc network list-leases sock:rnet0 --format csv)" "$(mc network list-leases rnet0 --format csv)"
    run mc network detach sock:rnet0 r1
    assert_output "Network rnet0 detached from r1 (device rnet0)"
    mc network attach-profile sock:rnet0 default
    run mc network detach-profile sock:rnet0 default
    assert_output "Network rnet0 detached from default (device rnet0)"
    run mc network delete sock:rnet0
    assert_output "Network rnet0 deleted"
    run mc info sock:
    assert_line "  server: minictr"
    assert_line "  kernel_version: $(uname -r)"
    mc exec r1 -- sh -c 'echo on-console > /dev/console'
    run mc info --show-log sock:r1
    assert_line --partial on-console
    # Edited there (mode and owner kept), not when the editor fails.
    mc exec r1 -- sh -c 'echo a > /root/ed; chown 5:6 /root/ed; chmod 640 /root/ed'
    EDITOR='sed -i s/a/edited/' mc file edit sock:r1/root/ed
    assert_equal "$(mc exec r1 -- sh -c 'cat /root/ed; stat -c "%a %u %g" /root/ed')" "$(printf 'edited\n640 5 6')"
    run env EDITOR=false "$MINICTR_BIN" file edit sock:r1/root/ed
    assert_failure
    assert_output "minictr: the editor \`false\` failed (exit status 1); \`r1/root/ed\` is unchanged"
    mc exec r1 -- rm /root/ed
    # Files deleted (LXD's way: a file, a symlink, an empty directory).
    mc exec r1 -- sh -c 'touch /root/f1; ln -s /nowhere /root/l1; mkdir -p /root/d1 /root/d2/sub'
    mc file delete sock:r1/root/f1 sock:r1/root/l1 sock:r1/root/d1
    run mc file delete sock:r1/root/d2
    assert_failure
    assert_output "minictr: \`r1/root/d2\` is a directory and not empty (use --force)"
    run mc file delete -f sock:r1/root/d2
    assert_equal "$status" 2
    assert_output "minictr: file delete on a remote: -f is not supported there (LXD removes a file or an empty directory)"
    assert_equal "$(mc exec r1 -- ls /root | tr '\n' ' ')" "b2 big copy d2 local p s tree "
    # Images there: by alias or fingerprint prefix, as here.
    fp=$(mc image list --format csv | cut -d, -f2)
    assert_equal "$(mc image info sock:busybox)" "$(mc image info busybox)"
    assert_equal "$(mc image show "sock:$fp")" "$(mc image show busybox)"
    mc image alias create sock:bb2 "$fp" --description two
    assert_equal "$(mc image alias list sock: --format csv)" "$(mc image alias list --format csv)"
    assert_equal "$(mc image alias list --format csv | head -n 1)" "bb2,$fp,CONTAINER,two"
    mc image alias delete sock:bb2
    assert_equal "$(mc image alias list --format csv | cut -d, -f1)" busybox
    run mc image info sock:nosuch
    assert_failure
    assert_output "minictr: Image not found"
    # Imported there: unified and split, with LXD's fingerprints.
    make_unified "$WORK/u.tar.gz" gzip "unified one"
    make_split "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" xz squashfs-xz
    run mc image import "$WORK/u.tar.gz" sock: --alias uni
    assert_output "Image imported with fingerprint: $(sha256 "$WORK/u.tar.gz")"
    run mc image import "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" sock: --alias spl --alias spl2
    assert_output "Image imported with fingerprint: $(cat "$WORK/meta.tar.xz" "$WORK/rootfs.squashfs" | sha256sum | cut -d' ' -f1)"
    mc image verify spl uni
    assert_equal "$(mc image alias list --format csv | cut -d, -f1 | tr '\n' ' ')" "busybox spl spl2 uni "
    head -c 1000 "$WORK/u.tar.gz" >"$WORK/cut.tar.gz"
    run mc image import "$WORK/cut.tar.gz" sock:
    assert_failure
    assert_equal "$(mc image list --format csv | wc -l)" 3
    mc image delete sock:uni sock:spl
    run mc image delete sock:busybox
    assert_failure
    assert_output "minictr: image $fp is in use by: r1"
    # Profiles managed there, checked there as here.
    mc profile create sock:p1
    mc profile set sock:p1 limits.memory 128MiB
    mc profile set sock:p1 limits.cpu=1 environment.X=y
    mc profile unset sock:p1 limits.cpu
    assert_equal "$(mc profile get sock:p1 limits.memory)" 128MiB
    assert_equal "$(mc profile show sock:p1)" "$(mc profile show p1)"
    assert_equal "$(mc profile show p1 | sed -n '/^config:/,/^devices:/p')" "$(printf 'config:\n  limits.memory: 128MiB\n  environment.X: "y"\ndevices: {}')"
    run mc profile set sock:p1 limits.memory lots
    assert_failure
    assert_output --partial "invalid value \`lots\` for \`limits.memory\`"
    run mc profile add sock:r1 p1
    assert_output "Profiles p1 applied to r1"
    assert_equal "$(mc config get r1 environment.X --expanded)" y
    mc profile remove sock:r1 p1
    mc profile copy sock:p1 sock:p2
    mc profile rename sock:p2 p3
    printf 'description: edited\nconfig:\n  limits.memory: 96MiB\ndevices: {}\n' | mc profile edit sock:p3
    assert_equal "$(mc profile list --format csv | cut -d, -f1,2 | tr '\n' ' ')" "default,Default minictr profile p1, p3,edited small,\"Small limits (256MiB memory "
    run mc profile delete sock:p1 sock:p3
    assert_output "$(printf 'Profile p1 deleted\nProfile p3 deleted')"
    run mc profile show sock:p1
    assert_failure
    assert_output "minictr: Profile not found"
    # Devices there: changed here as the store would change them, checked
    # there again.
    mkdir "$WORK/share"
    run mc config device add sock:r1 sh disk source="$WORK/share" path=/mnt/sh
    assert_output "Device sh added to r1"
    mc config device set sock:r1 sh readonly=true
    assert_equal "$(mc config device get sock:r1 sh readonly)" true
    assert_equal "$(mc config device show sock:r1)" "$(mc config device show r1)"
    mc config device unset sock:r1 sh readonly
    assert_equal "$(mc config device list sock:r1)" sh
    run mc config device add sock:r1 sh disk source=/tmp path=/x
    assert_output "minictr: device \`sh\` already exists"
    run mc config device set sock:r1 root size=1GiB
    assert_output "minictr: device \`root\` comes from a profile: override it first (\`config device override\`) or change the profile"
    run mc config device add sock:r1 bad disk path=/x nonsense=1
    assert_output "minictr: device \`bad\`: unknown key \`nonsense\` for a disk (source, path, readonly, shift)"
    mc config device remove sock:r1 sh
    mc profile device add sock:default extra disk source="$WORK/share" path=/mnt/e
    assert_equal "$(mc profile device get default extra path)" /mnt/e
    mc profile device remove sock:default extra
    assert_equal "$(mc profile device list sock:default)" root
    printf 'config:\n  limits.memory: 200MiB\ndevices: {}\nprofiles: [default]\n' | mc config edit sock:r1
    assert_equal "$(mc config get r1 limits.memory)" 200MiB
    # Renamed there (stopped, as LXD wants).
    mc stop -f sock:r1
    mc move sock:r1 sock:r2
    # One command, one server: names on two are refused (a bare name is
    # on the default remote, here the local store).
    run mc move sock:r2 r1
    assert_equal "$status" 2
    assert_output "minictr: move: names on two remotes (\`sock\`, \`r1\`)"
    run mc delete r9 sock:r2
    assert_output "minictr: delete: names on two remotes (\`local\`, \`sock:r2\`)"
    run mc launch local:busybox sock:r9
    assert_equal "$status" 2
    assert_output "minictr: launch: the image \`local:busybox\` is not on the container's remote (\`sock\`): images are not copied between servers"
    mc move sock:r2 sock:r1
    assert_equal "$(mc list -c n --format csv)" r1
    mc start sock:r1
    # Signals reach the command.
    run timeout -s TERM 3 "$MINICTR_BIN" exec sock:r1 -- sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 1; done'
    assert_output --partial got-term
    run mc delete sock:r1
    assert_failure
    assert_output "minictr: the instance is running: stop it, or delete it with --force"
    mc stop --force sock:r1
    assert_equal "$(status_of r1)" Stopped
    mc start sock:r1
    mc pause sock:r1
    assert_equal "$(status_of r1)" Frozen
    mc stop -f sock:r1
    # What a remote cannot do is refused in one line, before anything.
    run mc image verify sock:busybox
    assert_equal "$status" 2
    assert_output "minictr: \`minictr image verify\` does not work on remote \`sock\` (on a remote: list, info, console, launch, init, start, stop, restart, pause, resume, delete, copy, move, exec, snapshot, restore, publish, export, import, file push, file pull, file delete, file edit, file create, config show, config get, config set, config unset, config edit, config device add, config device remove, config device list, config device show, config device get, config device set, config device unset, config device override, config trust add, config trust add-certificate, config trust list, config trust remove, profile list, profile show, profile get, profile set, profile unset, profile edit, profile create, profile delete, profile copy, profile rename, profile add, profile remove, profile assign, profile device add, profile device remove, profile device list, profile device show, profile device get, profile device set, profile device unset, image import, image list, image info, image show, image delete, image export, image alias create, image alias delete, image alias list, image alias rename, network list, network show, network info, network get, network set, network unset, network edit, network create, network delete, network list-leases, network attach, network detach, network attach-profile, network detach-profile)"
    run mc list nowhere:
    assert_equal "$status" 2
    assert_output "minictr: unknown remote \`nowhere\` in \`nowhere:\` (see \`minictr remote list\`)"
    # HTTPS: unknown certificates are not taken on faith...
    run mc remote add h "https://127.0.0.1:$port"
    assert_failure
    fp=$(openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null | openssl x509 -outform DER | sha256sum | cut -d' ' -f1)
    assert_output "minictr: \`https://127.0.0.1:$port\`'s certificate fingerprint is $fp: check it, then add --accept-certificate"
    # ... accepted, the client must still be trusted...
    run mc remote add h "https://127.0.0.1:$port" --accept-certificate
    assert_failure
    assert_output "minictr: \`https://127.0.0.1:$port\` does not trust this client: ask its admin for a token (\`minictr config trust add\` there) and add the remote with it"
    [ ! -e "$MINICTR_CONF/servercerts/h.crt" ]
    # ... which a join token does, once, with the certificate it names.
    tok=$(mc config trust add --name cli | tail -n 1)
    run mc remote add h "$tok"
    assert_success
    assert_equal "$(openssl x509 -in "$MINICTR_CONF/servercerts/h.crt" -outform DER | sha256sum | cut -d' ' -f1)" "$fp"
    run mc config trust list --format csv
    assert_output --partial "client,cli,"
    run mc remote list --format csv
    assert_line "h,https://127.0.0.1:$port,lxd,tls,NO,NO,NO"
    # The default remote: names without a prefix go there.
    mc remote switch h
    assert_equal "$(mc remote get-default)" h
    run mc list -c n --format csv
    assert_output r1
    # Over TLS, the same streams.
    mc start r1
    assert_equal "$(echo over-tls | mc exec r1 -- cat)" over-tls
    run mc exec r1 -- sh -c 'exit 4'
    assert_equal "$status" 4
    run mc remote remove h
    assert_failure
    assert_output "minictr: remote \`h\` is the default: switch to another first"
    run mc delete -f r1
    assert_success
    mc remote switch local
    assert_equal "$(mc list --format csv)" ""
    # A server whose certificate changed is refused until added again.
    kill "$SERVER_PID"
    wait "$SERVER_PID" || true
    rm "$MINICTR_DIR/server.crt" "$MINICTR_DIR/server.key"
    serve
    run mc list h:
    assert_failure
    assert_output "minictr: \`https://127.0.0.1:$port\`: TLS refused: the server's certificate is not the one pinned in \`$MINICTR_CONF/servercerts/h.crt\` (if it changed on purpose, remove the remote and add it again)"
    mc remote remove h
    mc remote remove sock
    [ ! -e "$MINICTR_CONF/servercerts/h.crt" ]
    run mc remote list --format csv
    assert_output "local (current),unix://,lxd,file access,NO,YES,NO"
}

@test "lxc console through the API: the container's console both ways, <ctrl>+a q detaches, --show-log" {
    mc launch busybox con1
    serve
    # script(1) gives lxc a terminal; the console's shell computes 6*7.
    # LXD's client reads the detach keys one byte at a time: apart.
    # shellcheck disable=SC2016 # $((6*7)) is for the container's shell
    run timeout 30 script -qec "lxc console con1" /dev/null < <(
        sleep 1; printf 'echo answer-$((6*7))\r'; sleep 1; printf '\001'; sleep 0.3; printf q; sleep 3)
    assert_success
    assert_output --partial "answer-42"
    assert_equal "$(status_of con1)" Running
    run lxc console con1 --show-log
    assert_success
    assert_output --partial "answer-42"
    run lxc console nosuch --show-log
    assert_failure
    assert_output "Error: Instance not found"
    # minictr's own console through the socket, as a remote: the same,
    # with the detach keys in one read.
    mc remote add sock "unix://$SOCK"
    # shellcheck disable=SC2016 # $((6*8)) is for the container's shell
    run timeout 30 script -qec "$MINICTR_BIN console sock:con1" /dev/null < <(
        sleep 1; printf 'echo remote-$((6*8))\r'; sleep 1; printf '\001q'; sleep 3)
    assert_success
    assert_output --partial "To detach from the console, press: <ctrl>+a q"
    assert_output --partial "remote-48"
    assert_equal "$(status_of con1)" Running
    run mc console sock:con1 --show-log
    assert_output --partial "remote-48"
    run mc console sock:nosuch
    assert_failure
    assert_line --index 1 "minictr: Instance not found"
    mc remote remove sock
    run api POST /1.0/instances/con1/console '{"type": "vga"}'
    assert_equal "$(head -n 1 <<<"$output" | jq -r .error)" "Console type \`vga\` is not supported (containers have a text console)"
    mc stop -f con1
    run api POST /1.0/instances/con1/console '{"type": "console"}'
    assert_equal "$(head -n 1 <<<"$output" | jq -r .error)" "Instance is not running"
    assert_line --index 1 400
}
