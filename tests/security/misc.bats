#!/usr/bin/env bats
# More classes of runtime escapes, tried as a hostile container root.

load ../integration/helpers

setup() {
    setup_state
    import_busybox
}

push_probe() {
    local probe
    probe=$(dirname "$MINICTR_BIN")/tests/escape-probe
    [ -x "$probe" ] || fail "no static probe at $probe (make unit-bins)"
    mc file push --mode 0755 "$probe" "$1/escape-probe"
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
