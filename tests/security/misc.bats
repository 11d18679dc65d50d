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

@test "the seccomp denylist holds for i386 system calls too (int 0x80: ENOSYS; SIGSEGV where the kernel has no i386 ABI)" {
    [ "$(uname -m)" = x86_64 ] || skip "int 0x80 is x86-64's 32-bit entry"
    mc init busybox sc
    mc start sc
    push_probe sc
    if ! host_has_ia32; then
        # No i386 ABI on this kernel: int 0x80 kills the caller (SIGSEGV,
        # exit 139), whatever it asks for.
        echo "# this kernel has no i386 ABI: int 0x80 ends in SIGSEGV" >&3
        run mc exec sc -- /escape-probe int80 20
        assert_equal "$status" 139
        run mc exec sc -- /escape-probe int80 342
        assert_equal "$status" 139
        mc stop --force sc
        return
    fi
    # getpid (20) works; open_by_handle_at (342) is in LXD's denylist:
    # ENOSYS (38), where the kernel itself would answer EPERM (no
    # CAP_DAC_READ_SEARCH) or, for host root, EFAULT.
    run mc exec sc -- /escape-probe int80 20
    assert_success
    run mc exec sc -- /escape-probe int80 342
    assert_equal "$status" 38
    mc stop --force sc
}

@test "security.syscalls.deny, .deny_default, .deny_compat and .allow (LXD's keys) shape the filter of init and of exec'd commands" {
    local sp all
    sp=$(dirname "$MINICTR_BIN")/tests/syscall-probe
    [ -x "$sp" ] || fail "no static probe at $sp (make unit-bins)"
    # Every native system call but umount2, for the allowlist (the kernel
    # headers' list; a root without them, the systemd VM's, skips that part).
    all=$(awk '/^#define __NR_/ { sub(/^__NR_/, "", $2); if ($2 != "umount2") printf "%s,", $2 }' \
        "/usr/include/$(uname -m)-linux-gnu/asm/unistd_64.h" 2>/dev/null) || all=
    mc init busybox sd -c security.syscalls.deny=umount2,swapon </dev/null
    mc init busybox sn -c security.syscalls.deny_default=false -c security.syscalls.deny_compat=true </dev/null
    if [ -n "$all" ]; then
        mc init busybox sa -c security.syscalls.allow="${all%,}" </dev/null
    else
        echo "# no kernel headers: the allowlist part did not run" >&3
    fi
    for c in sd sn ${all:+sa}; do
        mc file push --mode 0755 "$sp" "$c/syscall-probe"
        push_probe "$c"
        mc start "$c"
    done
    # deny: umount2 of a missing path gets EPERM (1) before the kernel's
    # ENOENT (2); LXD's defaults still hold (open_by_handle_at: ENOSYS, 38).
    run mc exec sd -- /syscall-probe umount2
    assert_equal "$status" 1
    run mc exec sd -- /syscall-probe open_by_handle_at
    assert_equal "$status" 38
    # init has the same filter as exec'd commands.
    run mc exec sd -- grep -E '^Seccomp:' /proc/1/status
    assert_output --regexp 'Seccomp:[[:space:]]+2'
    # deny_default=false: the kernel answers open_by_handle_at itself, not
    # the filter's ENOSYS: EPERM (1) where it checks CAP_DAC_READ_SEARCH
    # first (6.1), else EBADF (9) for the fd -1 or EFAULT (14) for the NULL
    # handle; deny_compat: no int 0x80.
    run mc exec sn -- /syscall-probe open_by_handle_at
    [[ $status == 1 || $status == 9 || $status == 14 ]] || fail "open_by_handle_at: errno $status"
    run mc exec sn -- /syscall-probe umount2
    assert_equal "$status" 2
    if host_has_ia32; then
        run mc exec sn -- /escape-probe int80 20
        assert_equal "$status" 38
    elif [ "$(uname -m)" = x86_64 ]; then
        run mc exec sn -- /escape-probe int80 20
        assert_equal "$status" 139
    fi
    # allow: everything listed works, umount2 (left out) gets EPERM.
    if [ -n "$all" ]; then
        run mc exec sa -- /syscall-probe getpid
        assert_success
        run mc exec sa -- /syscall-probe umount2
        assert_equal "$status" 1
        mc stop --force sa
    fi
    # Checked before they are saved, or at start when they clash.
    run mc config set sd security.syscalls.deny nosuchcall
    assert_failure 1
    assert_output "minictr: security.syscalls.deny: unknown system call \`nosuchcall\`"
    mc stop --force sd
    mc config set sd security.syscalls.allow getpid
    run mc start sd
    assert_failure 1
    assert_output --partial "security.syscalls.allow excludes security.syscalls.deny"
    mc stop --force sn
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
