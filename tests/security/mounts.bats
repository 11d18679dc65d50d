#!/usr/bin/env bats
# Issue #12, item 1 (and CVE-2019-16884's class): every mount an
# unprivileged container receives is locked by the kernel.  Its root
# cannot remount a read-only disk read-write, clear nodev on the root
# overlay (then a block node from an image would reach the host's disk),
# nor unmount a mask to reveal what it hides; neither with the old API
# (MS_REMOUNT|MS_BIND) nor with mount_setattr.  The probe is a static
# program pushed into the container (tests/probe/escape-probe.c).

load helpers

setup() {
    setup_state
    import_busybox
}

EPERM=1
EINVAL=22

@test "mount flags are locked: a readonly disk stays read-only, old API and mount_setattr (EPERM)" {
    local src=$WORK/src
    mkdir -p "$src"
    chown "$IDMAP_BASE:$IDMAP_BASE" "$src"
    mc init busybox lk1
    mc config device add lk1 ro disk "source=$src" path=/mnt/ro readonly=true
    mc start lk1
    push_probe lk1
    # Keeping nosuid and nodev, so that only "ro" is being cleared.
    assert_equal "$(probe_errno lk1 remount /mnt/ro nosuid,nodev)" "$EPERM"
    assert_equal "$(probe_errno lk1 setattr /mnt/ro rdonly)" "$EPERM"
    # ... and nosuid/nodev on a writable one are locked the same way.
    assert_equal "$(probe_errno lk1 setattr /mnt/ro nodev)" "$EPERM"
    assert_equal "$(probe_errno lk1 setattr /mnt/ro nosuid)" "$EPERM"
    run mc exec lk1 -- sh -c 'echo x > /mnt/ro/f'
    assert_failure
    assert_output --partial "Read-only file system"
    [ ! -e "$src/f" ]
    # Nor can the disk be unmounted to reveal the layer below it.
    assert_equal "$(probe_errno lk1 umount /mnt/ro)" "$EINVAL"
    mc stop --force lk1
}

@test "mount flags are locked: the root overlay stays nodev, /sys read-only, /proc nosuid,nodev,noexec" {
    mc init busybox lk2
    mc start lk2
    push_probe lk2
    # MS_REMOUNT|MS_BIND with no flags would clear nodev on /.
    assert_equal "$(probe_errno lk2 remount / -)" "$EPERM"
    assert_equal "$(probe_errno lk2 setattr / nodev)" "$EPERM"
    assert_equal "$(probe_errno lk2 remount /sys nosuid,nodev,noexec)" "$EPERM"
    assert_equal "$(probe_errno lk2 setattr /sys rdonly)" "$EPERM"
    assert_equal "$(probe_errno lk2 remount /proc -)" "$EPERM"
    assert_equal "$(probe_errno lk2 setattr /dev/shm noexec)" "$EPERM"
    # The container's own mounts are its own: a tmpfs it mounts it can
    # remount (the lock is about what it received, not a broken mount API).
    mc exec lk2 -- sh -c 'mkdir -p /tmp/own && mount -t tmpfs -o ro tmpfs /tmp/own'
    assert_equal "$(probe_errno lk2 setattr /tmp/own rdonly)" 0
    mc stop --force lk2
}

# The masked paths this host has, as minictr's list names them
# (runtime/security.c): files get /dev/null, directories an empty tmpfs.
masked_present() {
    local p
    for p in /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats \
             /proc/sched_debug /proc/acpi /proc/asound /proc/scsi /sys/firmware \
             /sys/devices/virtual/powercap; do
        [ -e "$p" ] && echo "$p"
    done
}

@test "CVE-2019-16884 class: masked /proc and /sys paths cannot be unmounted (EINVAL) nor their masks lifted" {
    local p n=0
    mc init busybox lk3
    mc start lk3
    push_probe lk3
    for p in $(masked_present); do
        if [ -d "$p" ]; then
            run mc exec lk3 -- ls -A "$p"
            assert_success
            assert_output ""
            assert_equal "$(probe_errno lk3 setattr "$p" rdonly)" "$EPERM"
        else
            run mc exec lk3 -- stat -c %t:%T "$p"
            assert_output "1:3"
        fi
        assert_equal "$(probe_errno lk3 umount "$p")" "$EINVAL"
        assert_equal "$(probe_errno lk3 detach "$p")" "$EINVAL"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || fail "none of the masked paths exists on this host"
    # /dev's bound nodes and /proc itself cannot go either.
    assert_equal "$(probe_errno lk3 umount /dev/null)" "$EINVAL"
    assert_equal "$(probe_errno lk3 detach /proc)" "$EINVAL"
    mc stop --force lk3
}

@test "security.nesting=true leaves /proc and /sys unmasked, so a nested container can mount its own /proc" {
    mc init busybox lk4
    mc config set lk4 security.nesting=true
    mc start lk4
    # shellcheck disable=SC2016
    run mc exec lk4 -- awk '$5 ~ "^/(proc|sys)/" { print $5 }' /proc/self/mountinfo
    refute_output --partial /sys/firmware
    refute_output --partial /proc/keys
    mc exec lk4 -- sh -c 'mkdir -p /tmp/p && unshare -m -p -f mount -t proc proc /tmp/p'
    mc stop --force lk4
    # Without it, the kernel refuses a new /proc over a partly hidden one.
    mc config set lk4 security.nesting=false
    mc start lk4
    run mc exec lk4 -- sh -c 'mkdir -p /tmp/p && unshare -m -p -f mount -t proc proc /tmp/p'
    assert_failure
    assert_output --partial "permission denied"
    mc stop --force lk4
}
