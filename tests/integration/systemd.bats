#!/usr/bin/env bats
# systemd images boot unprivileged, on the hybrid host and on pure cgroup
# v2 (the VM): the container gets a cgroup2 hierarchy of its own at
# /sys/fs/cgroup (cgroup namespace, delegated to its root), LXD's
# capability set, SIGRTMIN+3 to stop, and exec'd commands join the cgroup
# init is in.  The image is debootstrap's bookworm with systemd-sysv.

load helpers

setup() {
    setup_state
    mc image import "$(systemd_image)" --alias debian-systemd >/dev/null
}

@test "a Debian systemd image boots unprivileged to running, with no failed unit; exec and systemctl work" {
    local pid dir bnd
    mc launch debian-systemd sd1
    run wait_systemd sd1
    assert_output running
    run mc exec sd1 -- systemctl --failed --plain --no-legend
    assert_success
    assert_output ""
    run mc exec sd1 -- hostname
    assert_output sd1
    run mc exec sd1 -- systemctl status --no-pager
    assert_success
    assert_line --partial "State: running"
    refute_output --partial "Input/output error"
    # exec'd commands join init's cgroup, not the root systemd keeps empty.
    run mc exec sd1 -- sh -c 'tail -n 1 /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs'
    assert_output "0::/init.scope"
    # Its own cgroup2 tree: mounted at /sys/fs/cgroup, rooted at its cgroup,
    # delegated to container root (the directory and the three files the
    # kernel documents), limits still the host's.
    pid=$(init_pid sd1)
    run mc exec sd1 -- stat -f -c %T /sys/fs/cgroup
    assert_output cgroup2fs
    dir=$(ctr_cgroup2 sd1)
    assert [ -n "$dir" ]
    assert_equal "$(stat -c %u:%g "$dir" "$dir/cgroup.procs" "$dir/cgroup.threads" "$dir/cgroup.subtree_control" | sort -u)" "$IDMAP_BASE:$IDMAP_BASE"
    assert_equal "$(stat -c %u "$dir/cgroup.freeze")" 0
    assert [ -d "$dir/init.scope" ]
    assert [ -d "$dir/system.slice" ]
    # LXD's dropped capabilities: CAP_SYS_MODULE 16, CAP_SYS_RAWIO 17,
    # CAP_SYS_TIME 25, CAP_MAC_OVERRIDE 32, CAP_MAC_ADMIN 33.
    bnd=$(awk '/^CapBnd/ {print $2}' "/proc/$pid/status")
    for bit in 16 17 25 32 33; do
        [ $(( 0x$bnd >> bit & 1 )) -eq 0 ] || fail "capability $bit still in the bounding set ($bnd)"
    done
    [ $(( 0x$bnd >> 21 & 1 )) -eq 1 ] || fail "CAP_SYS_ADMIN missing ($bnd)"
}

@test "systemd stops on SIGRTMIN+3 without being killed, reboots from inside, and starts again" {
    local pid1 pid2 i
    mc launch debian-systemd sd2
    run wait_systemd sd2
    assert_output running
    # Reboot from inside: the same container comes back with a new init.
    pid1=$(init_pid sd2)
    mc exec sd2 -- systemctl reboot
    for ((i = 0; i < 300; i++)); do
        pid2=$(init_pid sd2)
        [ -n "$pid2" ] && [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ] && break
        sleep 0.2
    done
    [ "$pid2" != "$pid1" ] || fail "no new init after systemctl reboot"
    run wait_systemd sd2
    assert_output running
    # A graceful stop within the timeout: systemd halts (the kernel ends a
    # PID namespace's init that halts with SIGINT); a kill would be SIGKILL.
    run mc stop sd2 --timeout 30
    assert_success
    assert_equal "$(status_of sd2)" Stopped
    run mc console sd2 --show-log
    assert_output --partial " - System Shutdown."
    assert_output --partial "Halting system."
    run cat "$MINICTR_DIR/containers/sd2/last-exit.yaml"
    assert_line "exit: killed by signal 2 (INT)"
    mc start sd2
    run wait_systemd sd2
    assert_output running
}
