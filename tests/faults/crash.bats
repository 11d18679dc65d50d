#!/usr/bin/env bats
# A command SIGKILLed at each named step of its operation (issue #18): the
# store stays consistent, the next command on the object completes the
# operation or rolls it back (docs/RELIABILITY.md says which), and nothing
# is left on the host once the objects are deleted.  Each step is held by
# the test hook (lib/testhook.h), then killed there.

load helpers

setup() {
    setup_state
    import_busybox
}

@test "image import killed after the unpack: rolled back, the next import works" {
    make_unified "$WORK/i.tar"
    crash_at image-import-unpacked image import "$WORK/i.tar" --alias i1
    assert_consistent
    run mc image list --format json
    assert_equal "$(jq -r '.[].aliases[].name' <<<"$output")" busybox
    run mc image import "$WORK/i.tar" --alias i1
    assert_success
    mc image verify i1
}

@test "image import killed after the image is stored, before its aliases: the next import of it completes it" {
    local fp
    make_unified "$WORK/i.tar"
    fp=$(sha256sum "$WORK/i.tar" | cut -d' ' -f1)
    crash_at image-import-stored image import "$WORK/i.tar" --alias i1
    assert_consistent
    mc image verify "$fp"
    run mc image import "$WORK/i.tar" --alias i1
    assert_success
    assert_equal "$(mc image list --format json | jq -r --arg f "$fp" '.[] | select(.fingerprint == $f) | .aliases[].name')" i1
}

@test "launch killed with the container's temp dir filled: rolled back, the next launch of the name works" {
    crash_at create-populated launch busybox x1
    assert_consistent
    run mc list --format csv
    assert_output ''
    mc launch busybox x1
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
}

# STEP, in the monitor of `launch busybox x1`: the launch fails with one
# line, x1 is there and Stopped, and the next start completes.
monitor_killed_in_launch() {
    crash_at "$1" launch busybox x1 -c limits.memory=64MiB
    [ "$CRASH_RC" -ne 0 ] || fail "the launch succeeded"
    assert_equal "$(grep -vcE '^(Creating|Starting) ' "$WORK/held.out")" 1
    assert_consistent
    assert_equal "$(status_of x1)" Stopped
    run mc start x1
    assert_success
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
    assert_equal "$(memory_limit_of x1)" 67108864
    mc delete --force x1
    run host_leftovers
    assert_output ''
}

@test "the monitor killed with the cgroup made: the launch fails, the next start completes" {
    monitor_killed_in_launch start-cgroup-made
}

@test "the monitor killed with the state recorded, the tree being built: the launch fails, the next start completes" {
    monitor_killed_in_launch start-state-recorded
}

@test "the monitor killed once the container runs, before it reports: the launch succeeds, the container runs without a monitor" {
    crash_at start-booted launch busybox x1
    [ "$CRASH_RC" -eq 0 ] || fail "launch: $(cat "$WORK/held.out")"
    assert_consistent
    assert_equal "$(status_of x1)" Running
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
    mc stop x1 --force
    mc start x1
    mc delete --force x1
    run host_leftovers
    assert_output ''
}

@test "start killed while it waits for the monitor: the container comes up anyway" {
    mc init busybox x1
    crash_at start-awaiting start x1
    # The monitor goes on alone: until it has started the container.
    local _
    for _ in $(seq 600); do
        [ -e "/run/minictr-$(state_id)/x1/booted" ] && break
        sleep 0.05
    done
    assert_consistent
    assert_equal "$(status_of x1)" Running
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
}

@test "stop killed after its signal: the container stops, the next start works" {
    local pid
    mc launch busybox x1
    pid=$(init_pid x1)
    crash_at stop-signalled stop x1 --force
    wait_gone "$pid"
    assert_consistent
    assert_equal "$(status_of x1)" Stopped
    mc start x1
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
}

@test "the monitor killed after the init ended, before its cleanup: the stop completes the cleanup" {
    local stop_pid mon _
    mkdir -p "$WORK/stops"
    # The monitor inherits the hook from the launch, and reaches the step
    # when the init ends.
    MINICTR_TEST_STOP_AT=monitor-exited MINICTR_TEST_STOP_DIR=$WORK/stops \
        "$MINICTR_BIN" launch busybox x1 -c limits.memory=64MiB
    "$MINICTR_BIN" stop x1 --force >"$WORK/stop.out" 2>&1 3>&- &
    stop_pid=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $stop_pid"
    for _ in $(seq 600); do
        [ -s "$WORK/stops/monitor-exited" ] && break
        sleep 0.05
    done
    [ -s "$WORK/stops/monitor-exited" ] || fail "the monitor never reached monitor-exited: $(cat "$WORK/stop.out")"
    mon=$(cat "$WORK/stops/monitor-exited")
    kill -KILL "$mon"
    wait_gone "$mon"
    local rc=0
    wait "$stop_pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "stop: $(cat "$WORK/stop.out")"
    assert_consistent
    assert_equal "$(status_of x1)" Stopped
    run host_leftovers
    assert_output ''
    mc start x1
    assert_equal "$(memory_limit_of x1)" 67108864
}

@test "delete killed with the container renamed out of sight: it is gone, and its remains go with the next command" {
    mc launch busybox x1
    crash_at delete-renamed delete --force x1
    assert_consistent
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
    mc launch busybox x1
}

@test "snapshot killed with the container frozen: the next command on it thaws it" {
    mc launch busybox x1
    crash_at snapshot-frozen snapshot x1 s1
    assert_consistent
    run mc snapshot x1 s1
    assert_success
    assert_equal "$(status_of x1)" Running
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
    assert_equal "$(mc info x1 | grep -c '^  snapshot s1: ')" 1
    run find "$MINICTR_DIR/containers/x1/snapshots" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ''
}

@test "snapshot killed before its rename: no snapshot, its temp dir goes with the next snapshot" {
    mc launch busybox x1
    crash_at snapshot-written snapshot x1 s1
    assert_consistent
    run mc snapshot x1 s1
    assert_success
    assert_equal "$(mc info x1 | grep -c '^  snapshot s1: ')" 1
    run find "$MINICTR_DIR/containers/x1/snapshots" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ''
}

@test "restore killed after the layer swap: the next command completes the restore (layer and config)" {
    mc init busybox x1 -c limits.memory=64MiB
    mc start x1
    mc exec x1 -- sh -c 'echo before >/root/f'
    mc stop x1 --force
    mc snapshot x1 s1
    mc config set x1 limits.memory=128MiB
    mc start x1
    mc exec x1 -- sh -c 'echo after >/root/f'
    mc stop x1 --force
    crash_at restore-swapped restore x1 s1
    assert_consistent
    mc start x1
    assert_equal "$(mc exec x1 -- cat /root/f)" before
    assert_equal "$(mc config get x1 limits.memory)" 64MiB
    assert_equal "$(memory_limit_of x1)" 67108864
    run find "$MINICTR_DIR/containers/x1" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ''
}

@test "config set killed after the running container took the change, before it was saved: the next command puts back the saved one" {
    mc launch busybox x1 -c limits.memory=64MiB
    crash_at config-set-applied config set x1 limits.memory=128MiB
    assert_consistent
    assert_equal "$(mc config get x1 limits.memory)" 64MiB
    mc config set x1 user.note=x
    assert_equal "$(memory_limit_of x1)" 67108864
}

@test "network create killed with the bridge made: rolled back by the next network command, the next create works" {
    crash_at network-bridge-made network create pn0 ipv4.nat=false ipv6.address=none
    assert_consistent
    local bridge
    bridge=$(cat "$MINICTR_DIR/networks/.creating-pn0")
    [ -e "/sys/class/net/$bridge" ] || fail "the killed create's bridge $bridge is not there"
    run mc network list --format csv
    assert_success
    [[ "$output" != *pn0,* ]] || fail "pn0 listed: $output"
    run mc network create pn0 ipv4.nat=false ipv6.address=none
    assert_success
    [ ! -e "$MINICTR_DIR/networks/.creating-pn0" ] || fail "the intent is left"
    mc network delete pn0
    [ ! -e "/sys/class/net/$bridge" ] || fail "bridge $bridge left"
}

@test "copy killed with the new container's temp dir filled: rolled back, the next copy works" {
    mc launch busybox x1
    crash_at copy-populated copy x1 x2
    assert_consistent
    run mc list --format csv -c n
    assert_output x1
    mc copy x1 x2
    mc start x2
    assert_equal "$(mc exec x2 -- cat /etc/hostname)" x2
}

@test "publish --force killed with the container frozen and the image packed: no image, the next command thaws the container" {
    local before
    mc launch busybox x1
    before=$(mc image list --format json | jq -r '.[].fingerprint' | sort)
    crash_at publish-packed publish x1 --alias p1 --force
    assert_consistent
    assert_equal "$(mc image list --format json | jq -r '.[].fingerprint' | sort)" "$before"
    run mc publish x1 --alias p1 --force
    assert_success
    assert_equal "$(status_of x1)" Running
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
    mc launch p1 x3
}

@test "export killed with the tarball written, not yet named: nothing in the target dir, the container is thawed by the next command" {
    mkdir "$WORK/out"
    mc launch busybox x1
    crash_at export-written export x1 "$WORK/out/x1.tar.gz"
    run find "$WORK/out" -mindepth 1
    assert_output ''
    run mc export x1 "$WORK/out/x1.tar.gz"
    assert_success
    assert_equal "$(status_of x1)" Running
    run find "$WORK/out" -mindepth 1
    assert_output "$WORK/out/x1.tar.gz"
}

@test "import of a backup killed before its rename: rolled back, the next import works" {
    mc launch busybox x1
    mc export x1 "$WORK/x1.tar.gz"
    mc delete --force x1
    crash_at import-unpacked import "$WORK/x1.tar.gz"
    assert_consistent
    run mc list --format csv
    assert_output ''
    run mc import "$WORK/x1.tar.gz"
    assert_success
    mc start x1
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
}
