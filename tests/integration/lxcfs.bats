#!/usr/bin/env bats
# LXCFS: when it runs on the host, containers get its /proc files and
# /sys/devices/system/cpu, as LXD arranges, so that what a container reads
# there reflects its own limits; without it nothing changes.  Each test
# starts its own lxcfs on a private mount point (MINICTR_LXCFS_DIR; LXD's
# hosts have it at /var/lib/lxcfs, minictr's default).

load helpers

setup() {
    setup_state
    import_busybox
}

# Start lxcfs on a private directory and point minictr at it.
start_lxcfs() {
    local dir=$BATS_TEST_TMPDIR/lxcfs i
    require "lxcfs (apt-get install lxcfs)" command -v lxcfs
    require "/dev/fuse" test -c /dev/fuse
    mkdir -p "$dir"
    lxcfs -f -p "$BATS_TEST_TMPDIR/lxcfs.pid" "$dir" >"$BATS_TEST_TMPDIR/lxcfs.log" 2>&1 3>&- &
    STARTED_PIDS=$!
    MOUNTED=$dir
    for ((i = 0; i < 100; i++)); do
        [ -e "$dir/proc/meminfo" ] && break
        sleep 0.05
    done
    [ -e "$dir/proc/meminfo" ] || fail "lxcfs did not come up: $(cat "$BATS_TEST_TMPDIR/lxcfs.log")"
    export MINICTR_LXCFS_DIR=$dir STARTED_PIDS MOUNTED
}

@test "with LXCFS: meminfo, cpuinfo, stat, uptime and the CPU list follow the container's limits" {
    start_lxcfs
    mc init busybox lx1
    mc config set lx1 limits.memory=256MiB limits.cpu=1
    mc start lx1
    run mc exec lx1 -- sed -n 's/^MemTotal: *//p' /proc/meminfo
    assert_output "262144 kB"
    run mc exec lx1 -- grep -c ^processor /proc/cpuinfo
    assert_output 1
    run mc exec lx1 -- grep -c '^cpu[0-9]' /proc/stat
    assert_output 1
    # One CPU online, whichever the cpuset holds.
    run mc exec lx1 -- cat /sys/devices/system/cpu/online
    assert_output --regexp '^[0-9]+$'
    # Uptime is the container's, not the host's.
    run mc exec lx1 -- cut -d. -f1 /proc/uptime
    [ "$output" -lt 60 ] || fail "uptime $output s is not the container's"
    run mc exec lx1 -- sh -c 'grep -E " /proc/(meminfo|cpuinfo|stat|uptime|loadavg|diskstats|swaps) | /sys/devices/system/cpu " /proc/self/mountinfo | wc -l'
    assert_output 8
    # A live change shows at once: LXCFS reads the cgroup on every read.
    mc config set lx1 limits.memory=128MiB
    run mc exec lx1 -- sed -n 's/^MemTotal: *//p' /proc/meminfo
    assert_output "131072 kB"
}

@test "with LXCFS, free -m in a Debian container with limits.memory=256MiB says 256" {
    start_lxcfs
    mc image import "$(systemd_image)" --alias debian-systemd >/dev/null
    printf 'config:\n  limits.memory: 256MiB\n' | mc init debian-systemd lx2
    mc start lx2
    run mc exec lx2 -- free -m
    assert_line --regexp '^Mem: +256 '
    mc stop --force lx2
}

@test "without LXCFS the container's /proc is the kernel's own" {
    mc launch busybox lx3
    run mc exec lx3 -- sed -n 's/^MemTotal: *//p' /proc/meminfo
    assert_output "$(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
    run mc exec lx3 -- sh -c 'grep -c " /proc/meminfo " /proc/self/mountinfo'
    assert_output 0
}
