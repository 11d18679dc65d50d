#!/usr/bin/env bats
# minictr on a real systemd host (the systemd VM: tests/vm/run.sh with
# MINICTR_VM_FLAVOUR=systemd; bats runs in root's logind session on the
# serial console).  Each container gets its own delegated scope in
# minictr.slice, whoever starts it: limits apply, every command reaches it
# from any cgroup, and it outlives the session, service or unit that
# started it.

load ../integration/helpers

setup() {
    if [ "${MINICTR_VM_FLAVOUR:-}" != systemd ]; then
        skip "systemd VM only (run it with MINICTR_VM_FLAVOUR=systemd tests/vm/run.sh)"
    fi
    setup_state
    import_busybox
    ID=$(state_id)
}

teardown() {
    local u
    for u in ${UNITS_MADE:-}; do
        systemctl stop "$u" 2>/dev/null || true
        rm -f "/run/systemd/system/$u"
    done
    [ -z "${UNITS_MADE:-}" ] || systemctl daemon-reload
    stop_all_containers
    delete_networks
    rm -rf "$MINICTR_DIR"
}

# scope NAME: the container's scope cgroup (absolute path).
scope() { echo "/sys/fs/cgroup/minictr.slice/minictr-$ID-$1.scope"; }

cg_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }

# svc CMD...: CMD as a transient system service (another cgroup, no
# session), its output piped back; its exit status is the command's.
svc() {
    systemd-run --quiet --wait --pipe --collect -E MINICTR_DIR="$MINICTR_DIR" \
        -E MINICTR_LXCFS_DIR="$MINICTR_LXCFS_DIR" -- "$@" </dev/null
}

# in_session CMD: CMD in a second login session (su -l from a service: PAM
# and pam_systemd open a logind session for it).
in_session() {
    svc su -l root -c "export MINICTR_DIR='$MINICTR_DIR' MINICTR_LXCFS_DIR='$MINICTR_LXCFS_DIR'; $1"
}

monitor_of() { awk '$1 == "monitor:" { print $2 }' "/run/minictr-$ID/$1/state.yaml"; }

@test "the VM is a systemd host and this shell is in a logind session" {
    assert_equal "$(cat /proc/1/comm)" systemd
    assert_equal "$(stat -f -c %T /sys/fs/cgroup)" cgroup2fs
    run cg_of $$
    assert_output --regexp '^/user\.slice/user-0\.slice/session-[0-9]+\.scope$'
    # A session opened without a tty is named c1, c2...
    run in_session 'cat /proc/self/cgroup'
    assert_output --regexp '^0::/user\.slice/user-0\.slice/session-c?[0-9]+\.scope$'
    refute_output "0::$(cg_of $$)"
}

@test "launched from a login session: a delegated scope of its own, payload and monitor apart, limits apply" {
    local s init mon
    mc launch busybox x1
    s=$(scope x1)
    run systemctl show -p ActiveState -p Delegate -p Slice "minictr-$ID-x1.scope"
    assert_line ActiveState=active
    assert_line Delegate=yes
    assert_line Slice=minictr.slice
    init=$(init_pid x1)
    mon=$(monitor_of x1)
    assert_equal "$(cg_of "$init")" "/minictr.slice/minictr-$ID-x1.scope/payload/x1"
    assert_equal "$(cg_of "$mon")" "/minictr.slice/minictr-$ID-x1.scope/monitor"
    # Every controller the scope has reaches the container.
    assert_equal "$(cat "$s/payload/x1/cgroup.controllers")" "$(cat "$s/cgroup.controllers")"
    mc config set x1 limits.memory 64MiB
    mc config set x1 limits.processes 100
    mc config set x1 limits.cpu.allowance 50%
    assert_equal "$(cat "$s/payload/x1/memory.max")" 67108864
    assert_equal "$(cat "$s/payload/x1/pids.max")" 100
    assert_equal "$(cat "$s/payload/x1/cpu.max")" "50000 100000"
    run mc exec x1 -- cat /sys/fs/cgroup/memory.max
    assert_output 67108864
    # info: real figures.
    run mc info x1
    assert_line "  Processes: $(wc -l < "$s/payload/x1/cgroup.procs")"
    assert_line --regexp '^    Memory \(current\): [1-9][0-9.]*(kB|MB|KiB|MiB)$'
    # The container's root cannot reach the monitor's cgroup.
    assert_equal "$(stat -c %u "$s/monitor/cgroup.procs")" 0
    assert_equal "$(stat -c %u "$s/payload/x1/cgroup.procs")" "$IDMAP_BASE"
    # A limit the cgroup refuses is not saved, and the container still starts.
    run mc config set x1 limits.memory 1kB
    assert_failure
    assert_equal "$(mc config get x1 limits.memory)" 64MiB
    mc stop x1
    [ ! -e "$s" ] || { sleep 1; [ ! -e "$s" ]; } || fail "$s is left after stop"
    mc start x1
    assert_equal "$(cat "$s/payload/x1/memory.max")" 67108864
}

@test "launched from the session, driven from a service and a second session; and the reverse" {
    mc launch busybox x2
    run svc "$MINICTR_BIN" exec x2 -- echo from-service
    assert_success
    assert_output from-service
    svc "$MINICTR_BIN" pause x2
    assert_equal "$(status_of x2)" Frozen
    svc "$MINICTR_BIN" start x2
    svc "$MINICTR_BIN" config set x2 limits.memory 96MiB
    assert_equal "$(cat "$(scope x2)/payload/x2/memory.max")" 100663296
    run in_session "\"$MINICTR_BIN\" exec x2 -- echo from-session"
    assert_output from-session
    in_session "\"$MINICTR_BIN\" restart x2"
    assert_equal "$(status_of x2)" Running
    svc "$MINICTR_BIN" stop x2
    assert_equal "$(status_of x2)" Stopped
    # The reverse: started by a service that has ended since.
    svc "$MINICTR_BIN" start x2
    assert_equal "$(cg_of "$(init_pid x2)")" "/minictr.slice/minictr-$ID-x2.scope/payload/x2"
    run mc exec x2 -- echo from-here
    assert_output from-here
    mc config set x2 limits.processes 50
    assert_equal "$(cat "$(scope x2)/payload/x2/pids.max")" 50
    mc stop x2
    assert_equal "$(status_of x2)" Stopped
}

@test "containers and monitors outlive the session that launched them: logout and terminate-session" {
    local sid init mon before
    # Logout (KillUserProcesses=yes in this VM): the session ends with su.
    in_session "\"$MINICTR_BIN\" launch busybox x3"
    init=$(init_pid x3)
    mon=$(monitor_of x3)
    sleep 1
    assert_equal "$(status_of x3)" Running
    kill -0 "$mon"
    # terminate-session of a session that is still open.
    before=$(loginctl list-sessions --no-legend | awk '{ print $1 }' | sort)
    systemd-run --quiet --collect --unit "mctest-$ID-sess" -- su -l root -c \
        "export MINICTR_DIR='$MINICTR_DIR' MINICTR_LXCFS_DIR='$MINICTR_LXCFS_DIR'; \"$MINICTR_BIN\" launch busybox x4 && touch $BATS_TEST_TMPDIR/x4-up && exec sleep 600"
    for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/x4-up" ] && break; sleep 0.1; done
    [ -e "$BATS_TEST_TMPDIR/x4-up" ] || fail "x4 did not come up"
    sid=$(comm -13 <(echo "$before") <(loginctl list-sessions --no-legend | awk '{ print $1 }' | sort))
    [ -n "$sid" ] || fail "no new login session for su"
    [ "$sid" != "$XDG_SESSION_ID" ] || fail "found our own session"
    loginctl terminate-session "$sid"
    sleep 2
    assert_equal "$(status_of x4)" Running
    kill -0 "$(monitor_of x4)"
    run mc exec x4 -- echo alive
    assert_output alive
    mc stop x3 x4
    assert_equal "$(status_of x3)" Stopped
    assert_equal "$(status_of x4)" Stopped
    systemctl stop "mctest-$ID-sess" 2>/dev/null || true
}

@test "the boot unit: autostarted containers live in their own scopes; restart and stop of the unit leave them running" {
    local init
    mc init busybox a1
    mc config set a1 boot.autostart=true limits.memory=80MiB
    mc init busybox a2
    install_boot_unit /run/systemd/system
    UNITS_MADE=minictr-boot.service
    systemctl start minictr-boot.service
    assert_equal "$(status_of a1)" Running
    assert_equal "$(status_of a2)" Stopped
    init=$(init_pid a1)
    assert_equal "$(cg_of "$init")" "/minictr.slice/minictr-$ID-a1.scope/payload/a1"
    assert_equal "$(cat "$(scope a1)/payload/a1/memory.max")" 83886080
    # Nothing of a1 is in the unit's cgroup: systemd has even removed it
    # (its ControlGroup is empty once its last process has gone).
    assert_equal "$(systemctl show -p ControlGroup --value minictr-boot.service)" ""
    assert_equal "$(cg_of "$(monitor_of a1)")" "/minictr.slice/minictr-$ID-a1.scope/monitor"
    systemctl restart minictr-boot.service
    assert_equal "$(init_pid a1)" "$init"
    systemctl stop minictr-boot.service
    assert_equal "$(init_pid a1)" "$init"
    run journalctl -q -u minictr-boot.service --no-pager
    refute_output --partial "left-over process"
    refute_output --partial "remains running after unit stopped"
}

# api METHOD PATH [BODY]: through the unit's socket; waits for an
# operation when the answer is one; prints the (final) JSON.
api_unit() {
    local out id
    out=$(curl -sf --unix-socket "$MINICTR_DIR/unix.socket" -X "$1" ${3:+--data-binary "$3"} "http://lxd$2")
    id=$(jq -r 'select(.type == "async") | .metadata.id' <<<"$out")
    if [ -n "$id" ]; then
        out=$(curl -sf --unix-socket "$MINICTR_DIR/unix.socket" "http://lxd/1.0/operations/$id/wait?timeout=60")
    fi
    echo "$out"
}

@test "socket activation with make install's units: the first client starts the server; what it launches is in its own scope and outlives the service" {
    local init
    install_api_units /run/systemd/system
    UNITS_MADE="minictr.service minictr.socket"
    systemctl start minictr.socket
    assert_equal "$(systemctl is-active minictr.service)" inactive
    assert_equal "$(stat -c %a:%U:%G "$MINICTR_DIR/unix.socket")" 660:root:minictr
    run api_unit POST /1.0/instances '{"name": "w1", "source": {"type": "image", "alias": "busybox"}}'
    assert_equal "$(jq -r .metadata.status <<<"$output")" Success
    assert_equal "$(systemctl is-active minictr.service)" active
    run api_unit PUT /1.0/instances/w1/state '{"action": "start", "timeout": 30}'
    assert_equal "$(jq -r .metadata.status <<<"$output")" Success
    init=$(init_pid w1)
    # Its own scope, as from the CLI: nothing of it in the service's cgroup.
    assert_equal "$(cg_of "$init")" "/minictr.slice/minictr-$ID-w1.scope/payload/w1"
    assert_equal "$(cg_of "$(monitor_of w1)")" "/minictr.slice/minictr-$ID-w1.scope/monitor"
    systemctl stop minictr.service
    assert_equal "$(systemctl is-active minictr.socket)" active
    assert_equal "$(init_pid w1)" "$init"
    run mc exec w1 -- echo alive
    assert_output alive
    # The next client starts the server again, and it sees w1 running.
    run api_unit GET /1.0/instances/w1/state
    assert_equal "$(jq -r .metadata.status <<<"$output")" Running
    assert_equal "$(systemctl is-active minictr.service)" active
    run journalctl -q -u minictr.service --no-pager
    refute_output --partial "left-over process"
    refute_output --partial "remains running after unit stopped"
}

@test "minictr oci --systemd-cgroup: a cgroupsPath SLICE:PREFIX:NAME is systemd's scope PREFIX-NAME.scope in SLICE, with the limits; delete leaves no unit" {
    local b=$WORK/b r=$WORK/runc pid unit=mct-$ID.scope cg _
    cg=/sys/fs/cgroup/mctest.slice/mctest-sub.slice/$unit
    UNITS_MADE="mctest.slice"
    mkdir -p "$b" "$WORK/bb"
    tar -C "$WORK/bb" -xf "$(busybox_image)"
    mv "$WORK/bb/rootfs" "$b/rootfs"
    (cd "$b" && "$MINICTR_BIN" oci spec)
    jq --arg p "mctest-sub.slice:mct:$ID" '.process.terminal = false | .process.args = ["sleep", "1000"]
        | .linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}' \
        "$b/config.json" >"$b/config.json.new"
    mv "$b/config.json.new" "$b/config.json"
    # (its process waits for `start`: no pipe of ours may stay open in it)
    "$MINICTR_BIN" oci --systemd-cgroup --root "$r" create --bundle "$b" --pid-file "$WORK/c1.pid" c1 \
        >"$WORK/create.out" 2>&1 </dev/null || fail "create: $(cat "$WORK/create.out")"
    pid=$(cat "$WORK/c1.pid")
    # The slice nests as systemd nests it; the process alone in the scope.
    assert_equal "$(cg_of "$pid")" "/mctest.slice/mctest-sub.slice/$unit"
    assert_equal "$(cat "$cg/cgroup.procs")" "$pid"
    assert_equal "$(systemctl show -P ActiveState "$unit")" active
    assert_equal "$(systemctl show -P Delegate "$unit")" yes
    assert_equal "$(cat "$cg/memory.max")" 67108864
    assert_equal "$(cat "$cg/pids.max")" 50
    "$MINICTR_BIN" oci --root "$r" start c1
    assert_equal "$("$MINICTR_BIN" oci --root "$r" state c1 | jq -r .status)" running
    "$MINICTR_BIN" oci --root "$r" delete --force c1
    # Empty, the scope is systemd's to collect.
    for _ in $(seq 100); do
        [ "$(systemctl show -P ActiveState "$unit")" = inactive ] && break
        sleep 0.05
    done
    assert_equal "$(systemctl show -P ActiveState "$unit")" inactive
    [ ! -e "$cg" ]
    [ ! -e "$r/c1" ]
}
