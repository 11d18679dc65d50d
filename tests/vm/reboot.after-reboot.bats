#!/usr/bin/env bats
# After the systemd VM rebooted (see reboot.bats): the host's shutdown
# stopped every container gracefully through the boot unit, the run state
# went with /run, `list` is right, and autostart brought r1 back, limits
# and all, in a scope of its own.

load ../integration/helpers

setup() {
    if [ "${MINICTR_VM_FLAVOUR:-}" != systemd ]; then
        skip "systemd VM only"
    fi
    export MINICTR_DIR=$MINICTR_TEST_STATE_ROOT/reboot-test
    export MINICTR_LXCFS_DIR=$MINICTR_TEST_STATE_ROOT/no-lxcfs
    [ -d "$MINICTR_DIR/containers/r1" ] || fail "reboot.bats did not run before the reboot"
}

# The state dir stays for the next test; the last one removes it.
teardown() { :; }

@test "after a host reboot: list is right and autostart brought the marked container back" {
    local id
    id=$(state_id)
    run jq -r '.[] | "\(.name) \(.status)"' < <(mc list --format json)
    assert_output "r1 Running
r2 Stopped
r3 Stopped"
    assert_equal "$(sed -n 's/^0:://p' "/proc/$(init_pid r1)/cgroup")" \
        "/minictr.slice/minictr-$id-r1.scope/payload/r1"
    assert_equal "$(cat "/sys/fs/cgroup/minictr.slice/minictr-$id-r1.scope/payload/r1/memory.max")" 75497472
}

@test "after a host reboot: the shutdown stopped both running containers gracefully" {
    # A graceful halt in a PID namespace ends init with SIGINT; the kill
    # after the timeout would be SIGKILL.
    run cat "$MINICTR_DIR/containers/r2/last-exit.yaml"
    assert_line "exit: killed by signal 2 (INT)"
    # r1's record is from that shutdown too: autostart does not end it.
    run cat "$MINICTR_DIR/containers/r1/last-exit.yaml"
    assert_line "exit: killed by signal 2 (INT)"
    run journalctl -b -1 -q -u minictr-boot.service --no-pager
    refute_output --partial "left-over process"
}

@test "after a host reboot: cleanup" {
    systemctl disable --now minictr-boot.service
    rm -f /etc/systemd/system/minictr-boot.service
    systemctl daemon-reload
    stop_all_containers
    rm -rf "$MINICTR_DIR"
}
