#!/usr/bin/env bats
# Issue #12, item 3: a device allowlist for every container (LXD's):
# any node may be created, only null zero full random urandom tty console
# ptmx pts/* fuse net/tun opened.  A privileged container that makes a
# node for a host disk cannot read it, so cannot mount it.  cgroup v1:
# the devices controller; cgroup v2: a device program (the VM runs this
# file too).

load helpers

EPERM=1

setup() {
    setup_state
    import_busybox
}

# The devices hierarchy minictr uses when the host mounts one (v1 and
# hybrid hosts), as runtime/cgroup/devices.c picks it.
v1_devices_dir() {
    local cg
    cg=$(awk -F: '$2 ~ /(^|,)devices(,|$)/ { print $3 }' "/proc/$(init_pid "$1")/cgroup")
    [ -n "$cg" ] || return 1
    awk '$9 == "cgroup" && $NF ~ /(^|,)devices(,|$)/ { print $5; exit }' /proc/self/mountinfo | sed "s|\$|$cg|"
}

@test "a privileged container may create a host disk's node but not open it (EPERM); the allowed nodes work" {
    mc init busybox dv1
    mc config set dv1 security.privileged=true
    mc start dv1
    push_probe dv1
    # As LXD: mknod of anything is allowed ...
    assert_equal "$(probe_errno dv1 mknod /dev/hostdisk b 7 7)" 0
    assert_equal "$(probe_errno dv1 mknod /dev/hostmem c 1 1)" 0
    # ... opening it is not; so mounting it fails too.
    assert_equal "$(probe_errno dv1 read /dev/hostdisk)" "$EPERM"
    assert_equal "$(probe_errno dv1 read /dev/hostmem)" "$EPERM"
    run mc exec dv1 -- mount -t ext4 /dev/hostdisk /mnt
    assert_failure
    # The allowlist itself, each read through a node made here.
    local spec
    for spec in "c 1 3" "c 1 5" "c 1 7" "c 1 8" "c 1 9" "c 5 0"; do
        mc exec dv1 -- rm -f /dev/probe-node
        read -r -a node <<< "$spec"
        assert_equal "$(probe_errno dv1 mknod /dev/probe-node "${node[@]}")" 0
        run mc exec dv1 -- /escape-probe read /dev/probe-node
        # tty (5:0) without a controlling terminal: ENXIO, past the check.
        if [ "$spec" = "c 5 0" ]; then assert_equal "$status" 6; else assert_equal "$status" 0; fi
    done
    mc stop --force dv1
}

@test "the allowlist is where the host keeps it: the v1 devices list exactly as LXD's, or one device program on cgroup v2" {
    local dir probe
    mc init busybox dv2
    mc start dv2
    if dir=$(v1_devices_dir dv2); then
        run sort "$dir/devices.list"
        assert_output "b *:* m
c *:* m
c 10:200 rwm
c 10:229 rwm
c 136:* rwm
c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:1 rwm
c 5:2 rwm"
    else
        probe=$(dirname "$MINICTR_BIN")/tests/escape-probe
        dir=$(ctr_cgroup2 dv2)
        run "$probe" devprogs "$dir"
        assert_success
        assert_line --index 0 1
    fi
    mc stop --force dv2
}
