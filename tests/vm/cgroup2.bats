#!/usr/bin/env bats
# The environment that tests/vm/run.sh promises the suites: a pure cgroup v2
# hierarchy with every controller delegated from the root, an ext4 state
# root, a read-only host root, writable scratch space and no network.  Only
# meaningful inside that VM (MINICTR_TEST_ENV=vm).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# What Debian's generic kernel offers, in the kernel's order.
EXPECTED_CONTROLLERS="cpuset cpu io memory hugetlb pids rdma misc"

setup() {
    if [ "${MINICTR_TEST_ENV:-}" != vm ]; then
        skip "VM-only test (MINICTR_TEST_ENV='${MINICTR_TEST_ENV:-}', run it with tests/vm/run.sh)"
    fi
}

teardown() {
    if [ -n "${child_cg:-}" ] && [ -d "$child_cg" ]; then
        rmdir "$child_cg"
    fi
}

# Prints the words of $1, sorted, one per line.
words() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort; }

@test "this is the VM tests/vm/run.sh booted: its kernel command line, the host root over 9p, an absolute MINICTR_BIN" {
    # What setup checks (MINICTR_TEST_ENV) is only what run.sh exported;
    # these are what it booted.
    run cat /proc/cmdline
    assert_output --regexp '(^| )console=ttyS0( |$)'
    assert_output --regexp '(^| )panic=-1( |$)'
    run findmnt -n -o FSTYPE --target /run/minictr-vm/host
    assert_output 9p
    assert [ "${MINICTR_BIN:0:1}" = / ]
    assert [ -x "$MINICTR_BIN" ]
}

@test "/sys/fs/cgroup is cgroup2 and no cgroup v1 hierarchy is mounted" {
    run stat -f -c %T /sys/fs/cgroup
    assert_success
    assert_output cgroup2fs
    run awk '$3 == "cgroup" { print $2 }' /proc/mounts
    assert_success
    assert_output ''
}

@test "the root cgroup offers exactly the expected controllers" {
    run cat /sys/fs/cgroup/cgroup.controllers
    assert_success
    assert_equal "$(words "$output")" "$(words "$EXPECTED_CONTROLLERS")"
}

@test "every controller is enabled in the root's cgroup.subtree_control" {
    run cat /sys/fs/cgroup/cgroup.subtree_control
    assert_success
    assert_equal "$(words "$output")" "$(words "$EXPECTED_CONTROLLERS")"
}

@test "a child cgroup gets every controller" {
    child_cg=/sys/fs/cgroup/bats-cgroup2-$$
    mkdir "$child_cg"
    run cat "$child_cg/cgroup.controllers"
    assert_success
    assert_equal "$(words "$output")" "$(words "$EXPECTED_CONTROLLERS")"
    assert [ -f "$child_cg/memory.max" ]
    assert [ -f "$child_cg/pids.max" ]
    assert [ -f "$child_cg/cpu.max" ]
    assert [ -f "$child_cg/io.max" ]
    assert [ -f "$child_cg/cpuset.cpus" ]
}

@test "MINICTR_TEST_STATE_ROOT is a writable ext4 filesystem of its own" {
    assert [ -n "${MINICTR_TEST_STATE_ROOT:-}" ]
    assert [ -d "$MINICTR_TEST_STATE_ROOT" ]
    run findmnt -n -o FSTYPE,SOURCE --target "$MINICTR_TEST_STATE_ROOT"
    assert_success
    assert_output --regexp '^ext4 +/dev/vd[a-z]$'
    dir=$(mktemp -d "$MINICTR_TEST_STATE_ROOT/bats.XXXXXX")
    echo hello >"$dir/file"
    mkfifo "$dir/fifo"
    run cat "$dir/file"
    assert_output hello
    rm -r "$dir"
}

@test "TMPDIR is writable ext4 with user xattrs, and the host root is read-only" {
    assert_equal "$TMPDIR" /tmp
    assert_equal "$BATS_TMPDIR" /tmp
    run findmnt -n -o FSTYPE --target "$BATS_TEST_TMPDIR"
    assert_output ext4
    touch "$BATS_TEST_TMPDIR/file"
    setfattr -n user.minictr -v hello "$BATS_TEST_TMPDIR/file"
    run getfattr --absolute-names --only-values -n user.minictr "$BATS_TEST_TMPDIR/file"
    assert_output hello
    run touch /usr/minictr-vm-must-not-exist
    assert_failure
    assert_output --partial 'Read-only file system'
}

@test "no network device other than lo" {
    run ls /sys/class/net
    assert_success
    assert_output lo
}

@test "overlayfs and ext4 are available" {
    run grep -Ew 'overlay|ext4' /proc/filesystems
    assert_success
    assert_line --partial overlay
    assert_line --partial ext4
}

@test "modprobe loads modules of the VM's kernel" {
    run modprobe dummy numdummies=0
    assert_success
    assert [ -d /sys/module/dummy ]
    run modprobe -r dummy
    assert_success
    # The kernel's own autoloader uses the same modules.
    run cat /proc/sys/kernel/modprobe
    assert_output --partial kmod-helper
}

@test "user and mount namespaces can be created (the tests are not chrooted)" {
    run unshare --user --map-root-user --mount true
    assert_success
    run unshare --mount --pid --fork --mount-proc true
    assert_success
}
