#!/usr/bin/env bats
# More classes of runtime escapes, tried as a hostile container root.

load helpers

setup() {
    setup_state
    import_busybox
}

@test "CVE-2021-30465 class: a disk device's target made a symlink by container root stays inside the container" {
    local src=$WORK/src canary=$WORK/canary
    mkdir -p "$src" "$canary"
    echo shared > "$src/file"
    mc init busybox mt
    mc start mt
    # Container root replaces the future mount points with links out:
    # absolute and ../.., to a path that exists on the host and, the
    # first time, not inside.
    mc exec mt -- sh -c "mkdir -p /mnt && ln -s $canary /mnt/abs && ln -s ../../../../../../$canary /mnt/rel"
    mc stop --force mt
    mc config device add mt a disk "source=$src" path=/mnt/abs
    run mc start mt
    assert_failure 1
    assert_output --partial "open \`/mnt/abs\` in the container: No such file or directory"
    run findmnt -n "$canary"
    assert_failure
    # Once the link's target exists inside, the mount goes there.
    mc config device remove mt a
    mc start mt
    mc exec mt -- mkdir -p "$canary"
    mc stop --force mt
    mc config device add mt a disk "source=$src" path=/mnt/abs
    mc config device add mt r disk "source=$src" path=/mnt/rel
    mc start mt
    run mc exec mt -- cat "$canary/file"
    assert_output shared
    # shellcheck disable=SC2016
    run mc exec mt -- awk -v p="$canary" '$5 == p { n++ } END { print n }' /proc/self/mountinfo
    assert_output 2
    # Nothing was mounted on the host's path, nor written there.
    run findmnt -n "$canary"
    assert_failure
    [ -z "$(ls -A "$canary")" ] || fail "the host's $canary got: $(ls -A "$canary")"
    mc stop --force mt
}

@test "the seccomp denylist holds for i386 system calls too (int 0x80: ENOSYS)" {
    [ "$(uname -m)" = x86_64 ] || skip "int 0x80 is x86-64's 32-bit entry"
    mc init busybox sc
    mc start sc
    push_probe sc
    # getpid (20) works; open_by_handle_at (342) is in LXD's denylist:
    # ENOSYS (38), where the kernel itself would answer EPERM (no
    # CAP_DAC_READ_SEARCH) or, for host root, EFAULT.
    run mc exec sc -- /escape-probe int80 20
    assert_success
    run mc exec sc -- /escape-probe int80 342
    assert_equal "$status" 38
    mc stop --force sc
}

@test "a /proc, /sys or /dev that an image or a backup made a symlink is refused at start; nothing is mounted on the host" {
    local upper=$MINICTR_DIR/containers/sl/upper d owner
    mc init busybox sl
    owner=$(stat -c %u "$upper")
    for d in proc sys dev; do
        rm -rf "${upper:?}/$d"
        ln -s /etc "$upper/$d"
        chown -h "$owner:$owner" "$upper/$d"
        run mc start sl
        assert_failure 1
        assert_output --partial "\`/$d\` in the container must be a directory"
        rm "$upper/$d"
    done
    run findmnt -n /etc
    assert_failure
    mc start sl
    mc stop --force sl
}

@test "/etc/hosts and /etc/resolv.conf made symlinks to host paths are written inside the container only" {
    local upper=$MINICTR_DIR/containers/hs/upper canary=$WORK/hosts-canary owner
    require_open_firewall
    echo untouched > "$canary"
    mc admin init --auto
    mc init busybox hs
    owner=$(stat -c %u "$upper")
    mkdir -p "$upper/etc"
    ln -s "$canary" "$upper/etc/hosts"
    ln -s "../../../../../../../$canary.resolv" "$upper/etc/resolv.conf"
    chown -h "$owner:$owner" "$upper/etc/hosts" "$upper/etc/resolv.conf"
    # The links lead nowhere inside yet: a clear error.
    run mc start hs
    assert_failure 1
    assert_output --partial "open \`/etc/hosts\` in the container: No such file or directory"
    # Once their directory exists inside, they are written there.
    mkdir -p "$upper$WORK"
    chown "$owner:$owner" "$upper$WORK"
    mc start hs
    assert_equal "$(cat "$canary")" untouched
    [ ! -e "$canary.resolv" ] || fail "resolv.conf was written on the host"
    run mc exec hs -- cat "$canary"
    assert_output --partial "hs.minictr hs"
    run mc exec hs -- cat "$canary.resolv"
    assert_output --partial "search minictr"
    mc stop --force hs
}

@test "a cgroup2 mounted inside the container is rooted at its own cgroup: nothing above is in reach" {
    mc init busybox cg
    mc start cg
    mc exec cg -- sh -c 'mkdir -p /mnt/cg && mount -t cgroup2 none /mnt/cg'
    # Processes outside the container's PID namespace would show as 0;
    # its init (1) is in the root, as the kernel shows it.
    run mc exec cg -- cat /mnt/cg/cgroup.procs
    assert_line 1
    refute_line 0
    # The root cannot be left: its parent is the mount point's.
    run mc exec cg -- sh -c 'cd /mnt/cg/.. && pwd'
    assert_output /mnt
    mc stop --force cg
}
