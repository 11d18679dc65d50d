#!/usr/bin/env bats
# Config keys, profiles, limits and disk devices (issue #5), on the host
# (cgroup v1/hybrid) and in the VM (pure cgroup v2).

# Single-quoted $vars are for the container's shell.  One test moves to a
# state dir of its own (MINICTR_DIR) on a filesystem it mounts (MOUNTED):
# teardown, run in that test's shell, must see both.
# shellcheck disable=SC2016,SC2030,SC2031,SC2153

load helpers

setup() {
    setup_state
    import_busybox
}

v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# FILE of container NAME's cgroup, wherever its hierarchy is mounted.
cg_file() {
    local f
    f=$(ctr_cgroups "$1" | while read -r d; do [ -e "$d/$2" ] && echo "$d/$2"; done | head -n 1)
    [ -n "$f" ] || { echo "no cgroup file $2 for $1" >&2; return 1; }
    cat "$f"
}

mem_limit() { if v2; then cg_file "$1" memory.max; else cg_file "$1" memory.limit_in_bytes; fi; }

config_sum() { sha256sum "$MINICTR_DIR/containers/$1/config.yaml" | cut -d' ' -f1; }

@test "limits.memory: exact cgroup value, a hog is OOM-killed inside, live change without restart" {
    local pid
    mc init busybox m1
    mc config set m1 limits.memory 64MiB
    mc start m1
    pid=$(init_pid m1)
    assert_equal "$(mem_limit m1)" 67108864
    if v2; then
        run mc exec m1 -- cat /sys/fs/cgroup/memory.max
        assert_output 67108864
    fi
    # A string that doubles until the limit: the OOM killer takes it
    # (SIGKILL, 137), the container and its init stay.
    run mc exec m1 -- awk 'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }'
    assert_equal "$status" 137
    assert_equal "$(status_of m1)" Running
    assert_equal "$(init_pid m1)" "$pid"
    mc config set m1 limits.memory=128MiB
    assert_equal "$(mem_limit m1)" 134217728
    assert_equal "$(init_pid m1)" "$pid"
    mc config unset m1 limits.memory
    if v2; then assert_equal "$(mem_limit m1)" max; else assert_equal "$(mem_limit m1)" 9223372036854771712; fi
    # No swap: v2 memory.swap.max 0; v1 memsw capped at the limit.
    mc config set m1 limits.memory=96MiB limits.memory.swap=false
    if v2; then
        assert_equal "$(cg_file m1 memory.swap.max)" 0
    else
        assert_equal "$(cg_file m1 memory.memsw.limit_in_bytes)" 100663296
    fi
    mc config unset m1 limits.memory.swap
    if v2; then assert_equal "$(cg_file m1 memory.swap.max)" max; fi
    mc config set m1 limits.memory=256MiB limits.memory.enforce=soft
    if v2; then
        assert_equal "$(cg_file m1 memory.high)" 268435456
        assert_equal "$(cg_file m1 memory.max)" max
    else
        assert_equal "$(cg_file m1 memory.soft_limit_in_bytes)" 268435456
    fi
}

@test "limits.processes: a fork bomb gets EAGAIN and the container still stops" {
    mc launch busybox p1
    mc config set p1 limits.processes 20
    assert_equal "$(cg_file p1 pids.max)" 20
    run mc exec p1 -- sh -c 'i=0; while [ $i -lt 40 ]; do sleep 1000 </dev/null >/dev/null 2>&1 & i=$((i + 1)); done'
    assert_output --partial "Resource temporarily unavailable"
    run mc stop p1 --timeout 10
    assert_success
    assert_equal "$(status_of p1)" Stopped
}

@test "limits.cpu sets the cpuset; limits.cpu.allowance=50% gives half a CPU" {
    local before after t0 t1 share
    mc launch busybox c1
    mc config set c1 limits.cpu=1 limits.cpu.allowance=50%
    assert_equal "$(cg_file c1 cpuset.cpus)" 0
    if v2; then
        assert_equal "$(cg_file c1 cpu.max)" "50000 100000"
        before=$(cg_file c1 cpu.stat | awk '$1 == "usage_usec" { print $2 * 1000 }')
    else
        assert_equal "$(cg_file c1 cpu.cfs_quota_us)" 50000
        assert_equal "$(cg_file c1 cpu.cfs_period_us)" 100000
        before=$(cg_file c1 cpuacct.usage)
    fi
    t0=$(date +%s%N)
    mc exec c1 -- timeout 3 sh -c 'while :; do :; done' || true
    t1=$(date +%s%N)
    if v2; then
        after=$(cg_file c1 cpu.stat | awk '$1 == "usage_usec" { print $2 * 1000 }')
    else
        after=$(cg_file c1 cpuacct.usage)
    fi
    share=$(( (after - before) * 100 / (t1 - t0) ))
    echo "# cpu share: $share%" >&3
    [ "$share" -ge 35 ] && [ "$share" -le 58 ]
    mc config set c1 limits.cpu 0-1
    assert_equal "$(cg_file c1 cpuset.cpus)" 0-1
    mc config unset c1 limits.cpu.allowance
    if v2; then assert_equal "$(cg_file c1 cpu.max)" "max 100000"; else assert_equal "$(cg_file c1 cpu.cfs_quota_us)" -1; fi
}

@test "a live change the container's cgroup refuses is not saved: one clear line, the old limits in force, it still restarts" {
    local before parent nodeleg
    if v2; then
        # A parent that delegates no controllers, as a login session's
        # scope: minictr may not enable any below it.
        parent=mctest-nodeleg-$(state_id)
        nodeleg=/sys/fs/cgroup/$parent
        mkdir "$nodeleg"
        export CGROUPS_MADE="$nodeleg"
        MINICTR_CGROUP_PARENT=/$parent/ctrs mc launch busybox lf
        # Later commands find it where its run state says, without the variable.
        run mc config set lf limits.memory 64MiB
        assert_failure 1
        assert_output "minictr: apply to running container \`lf\`: limits.memory: the memory controller is not enabled for the container's cgroup \`$nodeleg/ctrs/lf\`: the cgroup above it must delegate it (\`+memory\` in its cgroup.subtree_control; under systemd, a unit with Delegate=yes)"
        run mc config set lf limits.processes 50
        assert_failure 1
        assert_output --partial "limits.processes: the pids controller is not enabled"
        # info says why instead of showing zeros; processes are counted.
        run mc info lf
        assert_line "  Processes: $(wc -l < "$nodeleg/ctrs/lf/cgroup.procs")"
        assert_line "    Memory (current): unavailable (memory: the memory controller is not enabled for the container's cgroup \`$nodeleg/ctrs/lf\`)"
        assert_equal "$(cat "$nodeleg/ctrs/lf/cgroup.controllers")" ""
    else
        # cgroup1 refuses a memory limit below what the container holds in
        # a tmpfs (EBUSY; with swap off for it, swap cannot make room).
        mc launch busybox lf
        before=$(mem_limit lf)
        mc exec lf -- sh -c 'head -c 20000000 /dev/zero > /dev/shm/fill'
        run mc config set lf limits.memory=1MiB limits.memory.swap=false
        assert_failure 1
        assert_output --regexp "^minictr: apply to running container \`lf\`: limits.memory(.swap)?: set memory.(memsw.)?limit_in_bytes to 1048576: write .*: Device or resource busy$"
        assert_equal "$(mem_limit lf)" "$before"
    fi
    run mc config get lf limits.memory
    assert_output ""
    run mc config get lf limits.memory.swap
    assert_output ""
    # The same through a profile: refused by the running user, the profile
    # keeps its old content.
    mc profile create lim
    mc profile add lf lim
    if v2; then
        run mc profile set lim limits.memory 64MiB
    else
        run mc profile set lim limits.memory=1MiB limits.memory.swap=false
    fi
    assert_failure 1
    assert_output --partial "minictr: apply to running container \`lf\`: limits.memory"
    run mc profile get lim limits.memory
    assert_output ""
    if ! v2; then
        assert_equal "$(mem_limit lf)" "$before"
    fi
    mc restart --force lf
    assert_equal "$(status_of lf)" Running
    mc stop --force lf
}

@test "stacking: default < p1 < p2 < the container's own keys, in config and in the cgroup" {
    mc profile set default limits.memory 100MiB
    mc profile create p1
    mc profile set p1 limits.memory=200MiB environment.FROM=p1
    mc profile create p2
    mc profile set p2 limits.memory=300MiB
    mc launch busybox s1 -p default -p p1 -p p2
    assert_equal "$(mc config get s1 limits.memory --expanded)" 300MiB
    assert_equal "$(mem_limit s1)" 314572800
    mc config set s1 limits.memory 400MiB
    run mc config show s1 --expanded
    assert_line "  limits.memory: 400MiB"
    assert_line "  environment.FROM: p1"
    assert_equal "$(mem_limit s1)" 419430400
    run mc exec s1 -- sh -c 'echo $FROM'
    assert_output p1
    mc config unset s1 limits.memory
    assert_equal "$(mem_limit s1)" 314572800
    # A profile change reaches running containers that use it.
    mc profile set p2 limits.memory 320MiB
    assert_equal "$(mem_limit s1)" 335544320
    mc profile remove s1 p2
    assert_equal "$(mem_limit s1)" 209715200
    run mc config show s1
    assert_line "- default"
    assert_line "- p1"
    refute_line "- p2"
    # In use: p1 cannot go, and the error names the user.
    run mc profile delete p1
    assert_failure 1
    assert_output "minictr: profile \`p1\` cannot be deleted: used by s1"
    run mc profile delete default
    assert_failure 1
    assert_output "minictr: the \`default\` profile cannot be deleted"
    run mc profile rename default other
    assert_failure 1
    mc profile rename p1 q1
    run mc config show s1
    assert_line "- q1"
    mc profile delete p2
    run mc profile list
    assert_output --partial "| q1 "
    refute_output --partial "| p2 "
}

@test "disk devices are nosuid,nodev; readonly=true covers the source's submounts too" {
    local src=$WORK/dsrc
    mkdir -p "$src/sub"
    mount -t tmpfs -o size=1m tmpfs "$src/sub"
    export MOUNTED="$src/sub"
    chown "$IDMAP_BASE:$IDMAP_BASE" "$src" "$src/sub"
    mc init busybox ds
    mc config device add ds rw disk "source=$src" path=/mnt/rw
    mc config device add ds ro disk "source=$src" path=/mnt/ro readonly=true
    mc config device add ds sh disk "source=$src" path=/mnt/sh shift=true readonly=true
    mc start ds
    # Each mount point and the submount below it: nosuid and nodev.
    run mc exec ds -- awk '$5 ~ "^/mnt/" { print $5, ($6 ~ /(^|,)nosuid(,|$)/ && $6 ~ /(^|,)nodev(,|$)/) ? "nosuid,nodev" : $6, ($6 ~ /^ro(,|$)/) ? "ro" : "rw" }' /proc/self/mountinfo
    assert_output "/mnt/rw nosuid,nodev rw
/mnt/rw/sub nosuid,nodev rw
/mnt/ro nosuid,nodev ro
/mnt/ro/sub nosuid,nodev ro
/mnt/sh nosuid,nodev ro
/mnt/sh/sub nosuid,nodev ro"
    run mc exec ds -- sh -c 'echo x > /mnt/ro/sub/f'
    assert_failure
    assert_output --partial "Read-only file system"
    run mc exec ds -- sh -c 'echo x > /mnt/sh/sub/f'
    assert_failure
    assert_output --partial "Read-only file system"
    mc exec ds -- sh -c 'echo x > /mnt/rw/sub/f'
    mc stop --force ds
}

@test "disk devices: mapped ownership, readonly gives EROFS, shift maps host root, missing source" {
    local src=$WORK/share rosrc=$WORK/rootshare
    mkdir -p "$src" "$rosrc"
    echo data > "$src/f"
    echo root > "$rosrc/r"
    chown -R "$IDMAP_BASE:$IDMAP_BASE" "$src"
    mc init busybox d1
    mc config device add d1 shared disk "source=$src" path=/mnt/shared
    mc config device add d1 ro disk "source=$src" path=/mnt/ro readonly=true
    mc config device add d1 shifted disk "source=$rosrc" path=/srv/host shift=true
    run mc config device list d1
    assert_output "$(printf 'ro\nshared\nshifted')"
    mc start d1
    run mc exec d1 -- stat -c '%u:%g %n' /mnt/shared/f /srv/host/r
    assert_output "$(printf '0:0 /mnt/shared/f\n0:0 /srv/host/r')"
    run mc exec d1 -- cat /mnt/shared/f
    assert_output data
    mc exec d1 -- sh -c 'echo new > /mnt/shared/g'
    assert_equal "$(stat -c %u "$src/g")" "$IDMAP_BASE"
    run mc exec d1 -- sh -c 'echo x > /mnt/ro/h'
    assert_failure
    assert_output --partial "Read-only file system"
    run mc exec d1 -- mount -o remount,rw /mnt/ro
    assert_failure
    [ ! -e "$src/h" ]
    # Missing source: refused at add time, and at start when it went away.
    run mc config device add d1 gone disk source=/nonexistent/x path=/x
    assert_failure 1
    assert_output --partial "source \`/nonexistent/x\`"
    mc stop d1 --force
    rm -rf "$rosrc"
    run mc start d1
    assert_failure 1
    assert_output --partial "device \`shifted\`: source \`$rosrc\`"
    assert_equal "$(status_of d1)" Stopped
    mc config device remove d1 shifted
    mc start d1
    assert_equal "$(status_of d1)" Running
}

@test "bad keys and values: one-line errors, exit 1, config.yaml byte-identical" {
    local sum
    mc init busybox b1
    sum=$(config_sum b1)
    run mc config set b1 limits.memroy 64MiB
    assert_failure 1
    assert_output "minictr: unknown config key \`limits.memroy\` (did you mean \`limits.memory\`?)"
    run mc config set b1 limits.memory lots
    assert_failure 1
    assert_output "minictr: invalid value \`lots\` for \`limits.memory\`: expected a size such as 256MiB or 1GB, or a percentage of host memory such as 50%"
    run mc config set b1 limits.cpu.allowance 50
    assert_failure 1
    assert_output "minictr: invalid value \`50\` for \`limits.cpu.allowance\`: expected a percentage such as 50% or a quota/period such as 25ms/100ms (quota at least 1ms, period 1ms to 1000ms)"
    # The kernel takes periods of 1 ms to 1 s only: refused before any write.
    run mc config set b1 limits.cpu.allowance 10ms/2000ms
    assert_failure 1
    assert_output --partial "(quota at least 1ms, period 1ms to 1000ms)"
    run mc config set b1 limits.processes -3
    assert_failure 1
    assert_output --partial "expected a whole number"
    run mc config set b1 limits.cpu 999
    assert_failure 1
    assert_output --partial "expected a CPU count from 1 to"
    run mc config set b1 security.privileged yes
    assert_failure 1
    assert_output "minictr: invalid value \`yes\` for \`security.privileged\`: expected true or false"
    run mc config set b1 volatile.uuid x
    assert_failure 1
    assert_output "minictr: config key \`volatile.uuid\` is managed by minictr and cannot be changed"
    # A rejected multi-key set changes nothing, not even the valid keys.
    run mc config set b1 limits.memory=64MiB limits.processes=none
    assert_failure 1
    run mc config edit b1 <<< 'config: {limits.memory: "1 GB"}'
    assert_failure 1
    run mc config device add b1 x gpu
    assert_failure 1
    assert_output "minictr: device \`x\`: unsupported type \`gpu\` (minictr supports disk, nic, proxy, unix-char and unix-block)"
    run mc config device add b1 x nic parent=br0
    assert_failure 1
    assert_output "minictr: device \`x\`: a nic needs \`network: NETWORK\`, or \`nictype: bridged\` with \`parent: NETWORK\` (or a host bridge), or \`nictype: macvlan\` with \`parent: INTERFACE\`"
    assert_equal "$(config_sum b1)" "$sum"
    run mc config get b1 limits.memory
    assert_output ""
}

@test "config show > file and init < file round-trip (dumpxml / create)" {
    mc init busybox r1
    mc config set r1 limits.memory=96MiB user.note=lab1 environment.A=b
    mc config show r1 > "$WORK/r1.yaml"
    mc init busybox r2 < "$WORK/r1.yaml"
    diff <(mc config show r1 | grep -v volatile.uuid) <(mc config show r2 | grep -v volatile.uuid)
    # edit from stdin replaces config and devices, keeps volatile.*.
    mc config show r2 | sed 's/lab1/lab2/' | mc config edit r2
    assert_equal "$(mc config get r2 user.note)" lab2
    assert_equal "$(mc config get r2 volatile.base_image)" "$(mc config get r1 volatile.base_image)"
    run mc config set r1 security.privileged true
    assert_success
    assert_output ""
    # On a terminal, edit runs $EDITOR on a temp file that goes away after.
    printf '#!/bin/sh\nsed -i "s/lab1/lab3/" "$1"\n' > "$WORK/ed"
    chmod +x "$WORK/ed"
    EDITOR=$WORK/ed script -qec "$MINICTR_BIN config edit r1" /dev/null
    assert_equal "$(mc config get r1 user.note)" lab3
    EDITOR=$WORK/ed VISUAL=false run script -qec "$MINICTR_BIN config edit r1" /dev/null
    assert_failure
    assert_output --partial "editor \`false\` failed; nothing changed"
    assert_equal "$(mc config get r1 user.note)" lab3
    run compgen -G "/tmp/minictr-edit-*"
    assert_failure
}

@test "config edit with no config: key empties the user's keys and keeps volatile.*; the container still starts" {
    local before
    mc init busybox e1
    mc config set e1 user.note=x limits.memory=96MiB
    before=$(mc config show e1 | grep -c 'volatile\.')
    echo 'description: x' | mc config edit e1
    assert_equal "$(mc config get e1 user.note)" ""
    assert_equal "$(mc config get e1 limits.memory)" ""
    assert_equal "$(mc config show e1 | grep -c 'volatile\.')" "$before"
    assert_equal "$(mc config get e1 volatile.base_image)" "$(mc image list --format json | jq -r '.[0].fingerprint')"
    mc start e1
    assert_equal "$(status_of e1)" Running
    mc stop --force e1
}

@test "every unprivileged container's cgroup2 cgroup is delegated to its root (security.nesting or not); a privileged one's stays host root's" {
    local dir
    mc init busybox n1
    mc start n1
    dir=$(ctr_cgroup2 n1)
    assert [ -n "$dir" ]
    assert_equal "$(stat -c %u:%g "$dir" "$dir/cgroup.procs" "$dir/cgroup.subtree_control" | sort -u)" "$IDMAP_BASE:$IDMAP_BASE"
    # It sees it at /sys/fs/cgroup (cgroup2, its own cgroup as the root),
    # and organises it; the limits on the cgroup itself stay root's.
    run mc exec n1 -- awk '$5 == "/sys/fs/cgroup" { print $4, $(NF - 2) }' /proc/self/mountinfo
    assert_output "/ cgroup2"
    mc exec n1 -- mkdir /sys/fs/cgroup/inner
    run mc exec n1 -- sh -c 'echo $$ > /sys/fs/cgroup/inner/cgroup.procs && cat /proc/self/cgroup | tail -n 1'
    assert_output "0::/inner"
    run mc exec n1 -- sh -c 'echo 1 > /sys/fs/cgroup/cgroup.freeze'
    assert_failure
    if v2; then
        assert_equal "$(stat -c %u "$dir/memory.max")" 0
        run mc exec n1 -- sh -c 'echo 1 > /sys/fs/cgroup/memory.max'
        assert_failure
    fi
    # security.nesting (LXD's key) is accepted and changes nothing here.
    mc stop n1 --force
    mc config set n1 security.nesting true
    mc start n1
    dir=$(ctr_cgroup2 n1)
    assert_equal "$(stat -c %u "$dir")" "$IDMAP_BASE"
    mc stop n1 --force
    printf 'config:\n  security.privileged: "true"\n' | mc init busybox n2
    mc start n2
    dir=$(ctr_cgroup2 n2)
    assert_equal "$(stat -c %u "$dir")" 0
}

@test "environment.*: in exec'd commands at once, in init from the next start" {
    mc launch busybox e1
    run mc config set e1 environment.GREETING=hola environment.TERM=xterm-mc
    assert_success
    assert_output ""
    # A key that is not live says so, on a running container.
    run mc config set e1 security.nesting true
    assert_success
    assert_output "minictr: \`security.nesting\` applies to container \`e1\` at its next start"
    mc config unset e1 security.nesting
    run mc exec e1 -- sh -c 'echo "$GREETING"'
    assert_output hola
    run mc exec e1 -- sh -c 'tr "\0" "\n" < /proc/1/environ | grep -c GREETING'
    assert_output 0
    mc restart e1 --force
    run mc exec e1 -- sh -c 'tr "\0" "\n" < /proc/1/environ | sort'
    assert_line GREETING=hola
    assert_line TERM=xterm-mc
    assert_line container=lxc
    refute_line TERM=linux
}

@test "security.idmap.isolated: a block of the host's range of its own, files keep their owners across the switch" {
    local a b x
    need_isolated_blocks 2
    mc launch busybox i1
    mc exec i1 -- sh -c 'echo x > /root/mine; mkdir -p /home/u; chown 1000:1000 /home/u'
    mc launch busybox i2
    mc config set i1 security.idmap.isolated=true
    mc config set i2 security.idmap.isolated=true
    mc restart i1 --force
    mc restart i2 --force
    a=$(mc config get i1 volatile.idmap.base)
    b=$(mc config get i2 volatile.idmap.base)
    assert_equal "$(mc config get i1 volatile.idmap.size)" 65536
    [ "$a" != "$b" ]
    for x in "$a" "$b"; do
        assert_isolated_block "$x"
    done
    run cat "/proc/$(init_pid i1)/uid_map"
    assert_output --regexp "^ +0 +$a +65536$"
    run mc exec i1 -- stat -c '%u:%g %n' /root/mine /home/u
    assert_output "$(printf '0:0 /root/mine\n1000:1000 /home/u')"
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/i1/upper/root/mine")" "$a"
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/i1/upper/home/u")" "$((a + 1000))"
    # And back to the shared range.
    mc config unset i1 security.idmap.isolated
    mc restart i1 --force
    assert_equal "$(mc config get i1 volatile.idmap.base)" "$IDMAP_BASE"
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/i1/upper/home/u")" "$((IDMAP_BASE + 1000))"
    run mc exec i1 -- stat -c '%u:%g %n' /root/mine /home/u
    assert_output "$(printf '0:0 /root/mine\n1000:1000 /home/u')"
    # Privileged: container root is host root, so the layer is re-owned too.
    mc config set i1 security.privileged=true
    mc restart i1 --force
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/i1/upper/home/u")" 1000
    run mc exec i1 -- stat -c '%u:%g %n' /root/mine /home/u
    assert_output "$(printf '0:0 /root/mine\n1000:1000 /home/u')"
}

# /proc/PID/uid_map's lines for the extents "NS HOST COUNT ...".
map_lines() {
    while [ $# -gt 0 ]; do
        printf '%10u %10u %10u\n' "$1" "$2" "$3"
        shift 3
    done
}

@test "raw.idmap (LXD's): host ids mapped in as given, a host user's files shared through a disk, the layer re-owned when the map changes" {
    local src=$BATS_TEST_TMPDIR/share b=$IDMAP_BASE n=$IDMAP_COUNT pid
    mkdir -p "$src"
    echo hi > "$src/f"
    chown 1000:1000 "$src" "$src/f"
    mc init busybox m1
    mc config set m1 raw.idmap "both 1000 1000"
    mc config device add m1 share disk "source=$src" path=/mnt/share
    mc start m1
    pid=$(init_pid m1)
    run cat "/proc/$pid/uid_map"
    assert_output "$(map_lines 0 "$b" 1000 1000 1000 1 1001 $((b + 1001)) $((n - 1001)))"
    run cat "/proc/$pid/gid_map"
    assert_output "$(map_lines 0 "$b" 1000 1000 1000 1 1001 $((b + 1001)) $((n - 1001)))"
    assert_equal "$(mc config get m1 volatile.idmap.raw)" "$(printf 'uid 1000 1000\ngid 1000 1000')"
    # The host user's files are 1000's inside, and what 1000 writes there
    # is the host user's.
    run mc exec m1 -- stat -c '%u:%g' /mnt/share/f
    assert_output 1000:1000
    mc exec m1 --user 1000 --group 1000 -- sh -c 'echo inside > /mnt/share/g'
    assert_equal "$(stat -c %u:%g "$src/g")" 1000:1000
    # In the container's own layer: 1000 is host 1000, 1001 still the range's.
    mc exec m1 -- sh -c 'touch /u1000 /u1001; chown 1000:1000 /u1000; chown 1001:1001 /u1001'
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m1/upper/u1000")" 1000:1000
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m1/upper/u1001")" "$((b + 1001)):$((b + 1001))"
    # Unset: the layer's host-1000 files move into the range, so they stay
    # 1000's inside; the shared ones are nobody's now.
    mc config unset m1 raw.idmap
    mc restart m1 --force
    run cat "/proc/$(init_pid m1)/uid_map"
    assert_output "$(map_lines 0 "$b" "$n")"
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m1/upper/u1000")" "$((b + 1000)):$((b + 1000))"
    run mc exec m1 -- stat -c '%u:%g %n' /u1000 /u1001 /mnt/share/f
    assert_output "$(printf '1000:1000 /u1000\n1001:1001 /u1001\n65534:65534 /mnt/share/f')"
    run mc config get m1 volatile.idmap.raw
    assert_output ""
    # Uids and gids apart, ranges, back again: the layer follows.
    mc config set m1 raw.idmap "$(printf 'uid 1000-1001 1000-1001\ngid 50 1001')"
    mc restart m1 --force
    pid=$(init_pid m1)
    run cat "/proc/$pid/uid_map"
    assert_output "$(map_lines 0 "$b" 1000 1000 1000 2 1002 $((b + 1002)) $((n - 1002)))"
    run cat "/proc/$pid/gid_map"
    assert_output "$(map_lines 0 "$b" 1001 1001 50 1 1002 $((b + 1002)) $((n - 1002)))"
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m1/upper/u1000")" "1000:$((b + 1000))"
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m1/upper/u1001")" 1001:50
    run mc exec m1 -- stat -c '%u:%g %n' /u1000 /u1001 /mnt/share/f
    assert_output "$(printf '1000:1000 /u1000\n1001:1001 /u1001\n1000:65534 /mnt/share/f')"
}

@test "raw.idmap reaches every path that maps ids: file push to a stopped container, unix devices, publish" {
    local b=$IDMAP_BASE tmp=$BATS_TEST_TMPDIR
    mc init busybox m2
    mc config set m2 raw.idmap "both 1500 2000"
    mc start m2
    mc stop --force m2
    # Stopped: the file agent's user namespace has the same map.
    echo pushed > "$tmp/p"
    mc file push "$tmp/p" m2/p2000 --uid 2000 --gid 2000
    mc file push "$tmp/p" m2/p7 --uid 7 --gid 7
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m2/upper/p2000")" 1500:1500
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m2/upper/p7")" "$((b + 7)):$((b + 7))"
    # A unix device node owned by 2000 inside is host 1500's.
    mc config device add m2 mynull unix-char path=/dev/mynull major=1 minor=3 uid=2000 gid=7 mode=0600
    mc start m2
    assert_equal "$(stat -c %u:%g "$MINICTR_DIR/containers/m2/devices/unix.mynull")" "1500:$((b + 7))"
    run mc exec m2 -- stat -c '%u:%g' /dev/mynull
    assert_output 2000:7
    mc exec m2 -- sh -c 'echo c > /c2000; chown 2000:2000 /c2000'
    # Publish writes the container's own ids back: 2000, not host 1500.
    mc publish m2 --alias raw-pub --force
    mc launch raw-pub m3
    run mc exec m3 -- stat -c '%u:%g %n' /c2000 /p2000 /p7
    assert_output "$(printf '2000:2000 /c2000\n2000:2000 /p2000\n7:7 /p7')"
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/m3/upper")" "$b"
}

@test "raw.idmap: bad maps are refused in one line, at set or at start, and leave the container stopped" {
    local b=$IDMAP_BASE
    mc init busybox m4
    run mc config set m4 raw.idmap "both 1000"
    assert_failure 1
    assert_output "minictr: invalid raw.idmap line \`both 1000\`: want \`uid|gid|both HOST CONTAINER\`"
    run mc config set m4 raw.idmap "uid 1000-1001 1000"
    assert_failure 1
    assert_output --partial "the host range has 2 ids, the container's 1"
    run mc config set m4 raw.idmap "both 1000 0"
    assert_failure 1
    assert_output --partial "container root (uid 0) cannot be remapped"
    run mc config get m4 raw.idmap
    assert_output ""
    # The container's own range is known at start.
    mc config set m4 raw.idmap "both $((b + 5)) 5"
    run mc start m4
    assert_failure 1
    assert_output "minictr: container \`m4\`: raw.idmap line \`both $((b + 5)) 5\`: host uids $((b + 5))-$((b + 5)) are in the container's own range $b-$((b + IDMAP_COUNT - 1))"
    assert_equal "$(status_of m4)" Stopped
    run mc config get m4 volatile.idmap.raw
    assert_output ""
    run mc config set m4 volatile.idmap.raw "uid 1 1"
    assert_failure 1
}

@test "the host's range decides: LXD's range maps the container, isolated blocks stay inside a small range, bad ranges are refused" {
    local lxd=root:100000:10000001 small=root:300000:196608 a b
    # Debian's lxd package puts the first line in /etc/subuid and /etc/subgid.
    mc_subids "$lxd" launch busybox r1
    run cat "/proc/$(init_pid r1)/uid_map"
    assert_output --regexp '^ +0 +100000 +10000001$'
    run cat "/proc/$(init_pid r1)/gid_map"
    assert_output --regexp '^ +0 +100000 +10000001$'
    assert_equal "$(mc config get r1 volatile.idmap.base):$(mc config get r1 volatile.idmap.size)" 100000:10000001
    mc stop --force r1
    # Three blocks of 65536: the first is the shared one, so two isolated
    # containers fit and a third is refused, naming the range.
    mc init busybox s1
    mc init busybox s2
    mc init busybox s3
    mc config set s1 security.idmap.isolated=true
    mc config set s2 security.idmap.isolated=true
    mc config set s3 security.idmap.isolated=true
    mc_subids "$small" start s1
    mc_subids "$small" start s2
    a=$(mc config get s1 volatile.idmap.base)
    b=$(mc config get s2 volatile.idmap.base)
    assert_equal "$(printf '%s\n' "$a" "$b" | sort -n | tr '\n' ' ')" "365536 431072 "
    run mc_subids "$small" start s3
    assert_failure
    assert_output "minictr: no free isolated id range left in 300000:196608"
    assert_equal "$(status_of s3)" Stopped
    mc stop --force s1 s2
    # A root entry that is too small, malformed, or not the same in both files.
    run mc_subids root:100000:1000 start s1
    assert_failure
    assert_output "minictr: /etc/subuid: the root range 100000:1000 must hold at least 65536 ids above 0"
    run mc_subids root:100000 start s1
    assert_failure
    assert_output "minictr: /etc/subuid: malformed entry for root"
    SUBGID_SPEC=root:200000:65536 run mc_subids "$lxd" start s1
    assert_failure
    assert_output "minictr: the root ranges of /etc/subuid (100000:10000001) and /etc/subgid (200000:65536) differ: minictr maps uids and gids through one range"
    assert_equal "$(status_of s1)" Stopped
}

@test "admin shutdown stops every running container at once: gracefully, or killed after boot.host_shutdown_timeout" {
    mc launch busybox h1
    mc launch busybox h2
    mc init busybox h3
    # h2 is sent a signal its init ignores (SIGCHLD), so only the kill
    # after its 2 s ends it.
    mc config set h2 boot.stop.signal=SIGCHLD boot.host_shutdown_timeout=2
    run mc config set h1 boot.host_shutdown_timeout=soon
    assert_failure 1
    assert_output --partial "invalid value \`soon\` for \`boot.host_shutdown_timeout\`"
    run mc admin shutdown
    assert_success
    assert_line "Stopping h1"
    assert_line "Stopping h2"
    refute_line "Stopping h3"
    assert_equal "$(status_of h1)" Stopped
    assert_equal "$(status_of h2)" Stopped
    # busybox init halted on SIGPWR (the kernel's halt code for a PID
    # namespace's init is SIGINT); h2 was killed.
    run cat "$MINICTR_DIR/containers/h1/last-exit.yaml"
    assert_line "exit: killed by signal 2 (INT)"
    run cat "$MINICTR_DIR/containers/h2/last-exit.yaml"
    assert_line "exit: killed by signal 9 (KILL)"
    # Nothing running: nothing to do.
    run mc admin shutdown
    assert_success
    assert_output ""
}

@test "admin shutdown follows boot.stop.priority: the highest first, the next only once those have stopped" {
    local t_hi t_lo
    mc launch busybox lo1 </dev/null
    mc launch busybox hi1 -c boot.stop.priority=10 -c boot.stop.signal=SIGCHLD -c boot.host_shutdown_timeout=2 </dev/null
    mc launch busybox lo2 </dev/null
    run mc admin shutdown
    assert_success
    assert_line --index 0 "Stopping hi1"
    assert_line --index 1 "Stopping lo1"
    assert_line --index 2 "Stopping lo2"
    # hi1 took its 2 s (killed); lo1 was asked only after that.
    t_hi=$(date -d "$(sed -n 's/^at: //p' "$MINICTR_DIR/containers/hi1/last-exit.yaml")" +%s)
    t_lo=$(date -d "$(sed -n 's/^at: //p' "$MINICTR_DIR/containers/lo1/last-exit.yaml")" +%s)
    [ "$t_lo" -ge "$t_hi" ] || fail "lo1 stopped at $t_lo, before hi1 at $t_hi"
    run cat "$MINICTR_DIR/containers/hi1/last-exit.yaml"
    assert_line "exit: killed by signal 9 (KILL)"
    run mc config set lo1 boot.stop.priority=first
    assert_failure 1
}

@test "boot.autostart: admin boot starts the marked containers, highest priority first" {
    mc init busybox a1
    mc init busybox a2
    mc init busybox a3
    mc config set a1 boot.autostart=true boot.autostart.priority=1
    mc config set a2 boot.autostart=true boot.autostart.priority=5
    run mc config set a3 boot.autostart.priority=-1
    assert_failure 1
    run mc admin boot
    assert_success
    assert_output "$(printf 'Starting a2\nStarting a1')"
    assert_equal "$(status_of a1)" Running
    assert_equal "$(status_of a2)" Running
    assert_equal "$(status_of a3)" Stopped
    # Already running: nothing to do, still a success.
    run mc admin boot
    assert_success
    assert_output ""
}

@test "the root disk: LXD's device loads and is overridden; size= is a project quota where the filesystem enforces one, else one clear line" {
    local img=$BATS_TEST_TMPDIR/q.img mnt=$BATS_TEST_TMPDIR/q sum root big
    # minictr's default profile has LXD's root disk; a container overrides it.
    assert_equal "$(mc profile device get default root pool)" default
    mc init busybox r1
    run mc config device get r1 root pool
    assert_failure 1
    assert_output "minictr: device \`root\` comes from a profile (see \`minictr config show r1 --expanded\`, or override it)"
    run mc config device set r1 root pool=fast
    assert_failure 1
    assert_output "minictr: device \`root\` comes from a profile: override it first (\`config device override\`) or change the profile"
    mc config device override r1 root pool=fast
    assert_equal "$(mc config device get r1 root pool)" fast
    run mc config device add r1 r2 disk path=/
    assert_failure 1
    assert_output "minictr: devices \`root\` and \`r2\` are both a root disk (path /)"
    run mc config device set r1 root source=/tmp
    assert_failure 1
    run mc config device unset r1 root type
    assert_output "minictr: device \`root\`: its type cannot change (remove it and add another)"
    # Where the state dir's filesystem enforces no project quota (as minictr
    # finds it: no prjquota mount option), a size is refused, nothing kept.
    root=$(realpath "$MINICTR_DIR")
    if ! findmnt -no OPTIONS -T "$root" | grep -qw prjquota; then
        sum=$(config_sum r1)
        run mc config device set r1 root size=8MiB
        assert_failure 1
        assert_output "minictr: root disk size: the filesystem of \`$root/containers/r1/upper\` enforces no project quota (ext4 or xfs mounted with prjquota can; or unset the size)"
        assert_equal "$(config_sum r1)" "$sum"
        run mc init busybox r3 <<<'devices: {root: {type: disk, path: /, size: 8MiB}}'
        assert_failure 1
        assert_output --partial "enforces no project quota"
        run mc list --format csv
        assert_output "r1,STOPPED,,,CONTAINER,0"
        assert_equal "$(ls -A "$root/containers")" r1
    fi
    mc start r1
    # An ext4 with project quotas, for the state dir.  A kernel without
    # quota support (CONFIG_QUOTA) cannot mount it: then only the refusal
    # above can be tested (the VM's Debian kernel has it).
    truncate -s 96M "$img"
    mkfs.ext4 -q -O quota,project "$img"
    mkdir -p "$mnt"
    if ! mount -o loop,prjquota "$img" "$mnt" 2>/dev/null; then
        echo "# no project quotas in this kernel: the enforcing half did not run" >&3
        return 0
    fi
    export MOUNTED="${MOUNTED:-} $mnt"
    mc stop --force r1
    MINICTR_DIR=$mnt/state
    record_host_object state "$(state_id)"
    import_busybox
    mc init busybox q1 <<<'devices: {root: {type: disk, path: /, pool: default, size: 4MiB}}'
    mc start q1
    run mc exec q1 -- dd if=/dev/zero of=/big bs=1M count=8
    assert_failure 1
    assert_output --partial "Disk quota exceeded"
    big=$(mc exec q1 -- stat -c %s /big)
    [ "$big" -gt $((3 * 1024 * 1024)) ] && [ "$big" -le $((4 * 1024 * 1024)) ] || fail "/big is $big bytes under a 4MiB cap"
    # Raised live; then lifted.
    mc config device set q1 root size=16MiB
    mc exec q1 -- dd if=/dev/zero of=/big2 bs=1M count=8
    run mc exec q1 -- dd if=/dev/zero of=/big3 bs=1M count=8
    assert_failure 1
    mc config device unset q1 root size
    mc exec q1 -- dd if=/dev/zero of=/big3 bs=1M count=24
    mc exec q1 -- rm /big /big2
    # A copy's layer is a project of its own: what it holds already (the
    # 24MiB of /big3) is charged to it when it gets a size.
    mc stop --force q1
    mc config device set q1 root size=40MiB
    mc copy q1 q2
    mc config device set q2 root size=30MiB
    mc start q2
    mc exec q2 -- dd if=/dev/zero of=/f1 bs=1M count=4
    run mc exec q2 -- dd if=/dev/zero of=/f2 bs=1M count=4
    assert_failure 1
    assert_output --partial "Disk quota exceeded"
}

@test "launch, init and copy take -c KEY=VALUE and -d DEVICE,KEY=VALUE; launch reads YAML on stdin as init; --empty is refused" {
    mc profile create p1
    mc profile device add p1 data disk source="$WORK" path=/mnt/data
    mkdir -p "$WORK/ro"
    # -d overrides a profile's device: a copy becomes the container's own.
    mc launch busybox d1 -p default -p p1 -d data,readonly=true -d data,source="$WORK/ro" -c user.k=v </dev/null
    assert_equal "$(mc config device get d1 data readonly)" true
    assert_equal "$(mc config device get d1 data source)" "$WORK/ro"
    assert_equal "$(mc profile device get p1 data source)" "$WORK"
    assert_equal "$(mc config get d1 user.k)" v
    run mc exec d1 -- touch /mnt/data/x
    assert_failure
    assert_output --partial "Read-only file system"
    # launch reads the same YAML init does; flags go on top.
    mc launch busybox d2 -c user.b=flag <<<'config: {user.a: yaml, user.b: yaml}'
    assert_equal "$(mc config get d2 user.a),$(mc config get d2 user.b)" yaml,flag
    assert_equal "$(status_of d2)" Running
    # Bad -d: one line, nothing made.
    run mc init busybox d3 -d nosuch,size=1GiB </dev/null
    assert_failure 1
    assert_line "minictr: -d \`nosuch,size=1GiB\`: device \`nosuch\` is in none of the container's profiles"
    run mc init busybox d3 -d data </dev/null
    assert_failure 1
    assert_line "minictr: invalid -d \`data\`: expected DEVICE,KEY=VALUE"
    run mc init busybox d3 -p default -p p1 -d data,type=nic </dev/null
    assert_failure 1
    assert_line "minictr: -d \`data,type=nic\`: a device's type cannot change"
    run mc init busybox d3 -p default -p p1 -d data,readonly=maybe </dev/null
    assert_failure 1
    assert_line "minictr: device \`data\`: \`readonly\` must be true or false"
    run mc init --empty d3
    assert_failure 2
    assert_output "minictr: init --empty: a minictr container is made from an image (import a root filesystem as one: \`minictr image import META ROOTFS\`)"
    # copy: -c, -d (the source's own device, or a profile's), --no-profiles.
    mc copy d1 d4 -c user.k=copied -d data,readonly=false -d root,pool=other
    assert_equal "$(mc config get d4 user.k),$(mc config device get d4 data readonly),$(mc config device get d4 root pool)" copied,false,other
    mc copy d2 d5 --no-profiles
    run mc config show d5
    assert_line "profiles: []"
    run mc copy d2 d6 -c limits.memory=lots
    assert_failure 1
    assert_output --partial "invalid value \`lots\` for \`limits.memory\`"
    run mc list --format csv
    assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "d1 d2 d4 d5 "
    # profile device set|unset|get.
    mc profile device set p1 data readonly=true
    assert_equal "$(mc profile device get p1 data readonly)" true
    mc profile device unset p1 data readonly
    assert_equal "$(mc profile device get p1 data readonly)" ""
    run mc profile device set p1 nosuch readonly=true
    assert_failure 1
    assert_output "minictr: device \`nosuch\` does not exist"
}

@test "unix-char and unix-block devices: the node inside with the mapped owner and mode, let through the allowlist exactly" {
    local file=$BATS_TEST_TMPDIR/blk loop other maj min
    mc init busybox u1 </dev/null
    mc config device add u1 full unix-char source=/dev/full
    mc config device add u1 mynull unix-char path=/dev/my/null major=1 minor=3 uid=1000 gid=100 mode=0600
    mc config device add u1 gone unix-char source=/dev/minictr-nosuch required=false
    mc start u1
    run mc exec u1 -- stat -c '%F %t:%T %u:%g %a' /dev/full /dev/my/null
    assert_line --index 0 "character special file 1:7 0:0 660"
    assert_line --index 1 "character special file 1:3 1000:100 600"
    run mc exec u1 -- sh -c 'echo hi > /dev/my/null && head -c 2 /dev/full | od -An -tx1'
    assert_output " 00 00"
    run mc exec u1 -- test -e /dev/minictr-nosuch
    assert_failure
    # On the host, the node is the container's, in its own id range.
    assert_equal "$(stat -c '%u:%g %a' "$MINICTR_DIR/containers/u1/devices/unix.mynull")" "$((IDMAP_BASE + 1000)):$((IDMAP_BASE + 100)) 600"
    # A required node the host lacks: the start fails in one line.
    mc stop --force u1
    mc config device add u1 bad unix-char source=/dev/minictr-nosuch
    run mc start u1
    assert_failure 1
    assert_output "minictr: device \`bad\`: \`/dev/minictr-nosuch\` does not exist on the host (required=false skips a missing one)"
    run mc config device add u1 bad2 unix-block path=/dev/x mode=999
    assert_failure 1
    assert_output "minictr: device \`bad2\`: invalid mode \`999\` (octal, such as 0660)"
    run mc config device add u1 bad2 unix-char major=1
    assert_output "minictr: device \`bad2\`: needs \`source\` (a host device node) or \`path\`"
    # unix-block: a loop device of this test.  A privileged container can
    # make nodes: only the one given is let through, its neighbour is not.
    head -c 1M /dev/zero > "$file"
    printf 'minictr-block' | dd of="$file" conv=notrunc 2>/dev/null
    loop=$(losetup -f --show "$file")
    export LOOP_DEVICES="${LOOP_DEVICES:-} $loop"
    maj=$(stat -c '%t' "$loop"); min=$(stat -c '%T' "$loop")
    other=$((0x$min + 1))
    mc init busybox u2 -c security.privileged=true </dev/null
    mc config device add u2 disk1 unix-block source="$loop" path=/dev/xvdb
    mc start u2
    run mc exec u2 -- head -c 13 /dev/xvdb
    assert_output minictr-block
    run mc exec u2 -- sh -c "mknod /dev/same b $((0x$maj)) $((0x$min)) && head -c 7 /dev/same && mknod /dev/other b $((0x$maj)) $other && head -c 1 /dev/other"
    assert_failure
    assert_output --partial "minictr"
    assert_output --partial "/dev/other: Operation not permitted"
}

@test "LXD's kernel keys: limits.kernel.* on init, linux.sysctl.* in the container's namespaces only, security.protection.delete; raw.lxc and VM keys refused" {
    local fwd shm
    fwd=$(cat /proc/sys/net/ipv4/ip_forward)
    shm=$(cat /proc/sys/kernel/shmmni)
    mc init busybox k1 -c limits.kernel.nofile=1024:2048 -c limits.kernel.core=unlimited \
        -c linux.sysctl.net.ipv4.ip_forward=1 -c linux.sysctl.kernel.shmmni=1234 \
        -c security.protection.delete=true </dev/null
    mc start k1
    run mc exec k1 -- sh -c 'grep -E "^Max (open files|core file size)" /proc/1/limits | tr -s " "'
    assert_line --index 0 "Max core file size unlimited unlimited bytes "
    assert_line --index 1 "Max open files 1024 2048 files "
    assert_equal "$(mc exec k1 -- cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni | tr '\n' ' ')" "1 1234 "
    # The host's own values are untouched.
    assert_equal "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shmmni)" "$fwd $shm"
    run mc delete --force k1
    assert_failure 1
    assert_output "minictr: container \`k1\` is protected from deletion (security.protection.delete=true): unset it first"
    assert_equal "$(status_of k1)" Running
    run mc config set k1 linux.sysctl.vm.swappiness 10
    assert_failure 1
    assert_output "minictr: \`linux.sysctl.vm.swappiness\`: \`vm.swappiness\` is not a sysctl of the container's own namespaces (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*): it would change the host"
    run mc config set k1 limits.kernel.nofiles 10
    assert_failure 1
    assert_output --partial "unknown resource \`nofiles\` in \`limits.kernel.nofiles\`"
    run mc config set k1 limits.kernel.nofile 3:2
    assert_output "minictr: invalid value \`3:2\` for \`limits.kernel.nofile\`: the soft limit is above the hard one"
    run mc config set k1 raw.lxc lxc.apparmor.profile=unconfined
    assert_failure 1
    assert_output "minictr: config key \`raw.lxc\` is LXC's own configuration, and minictr does not run LXC (see \`minictr config keys\`)"
    run mc config set k1 security.secureboot false
    assert_output "minictr: config key \`security.secureboot\` applies to virtual machines only"
    run mc init busybox k2 -c raw.qemu.conf=x </dev/null
    assert_failure 1
    mc config unset k1 security.protection.delete
    mc delete --force k1
    run mc list --format csv
    assert_output ""
}

@test "config set|get|unset --property changes the container's own fields (description, ephemeral), as LXD's" {
    mc init busybox pr1 </dev/null
    mc config set pr1 description="the web server" --property
    assert_equal "$(mc config get pr1 description --property)" "the web server"
    run mc config show pr1
    assert_line "description: the web server"
    mc config set pr1 -p ephemeral true
    assert_equal "$(mc config get pr1 ephemeral -p)" true
    run mc list -c nt -f csv
    assert_output "pr1,CONTAINER (EPHEMERAL)"
    mc config unset pr1 ephemeral --property
    mc config unset pr1 description --property
    assert_equal "$(mc config get pr1 description --property)" ""
    assert_equal "$(mc config get pr1 ephemeral --property)" false
    run mc config set pr1 limits.memory=1GiB --property
    assert_failure 1
    assert_output "minictr: unknown property \`limits.memory\` (description, ephemeral)"
    run mc config set pr1 ephemeral maybe --property
    assert_output "minictr: invalid value \`maybe\` for property \`ephemeral\`: expected true or false"
    mc profile set default description "LXD's default" --property
    assert_equal "$(mc profile get default description --property)" "LXD's default"
    run mc profile set default ephemeral true -p
    assert_output "minictr: unknown property \`ephemeral\` (description)"
}

@test "limits.cpu.nodes, limits.memory.swap.priority and limits.hugepages.*: the cgroup files, or one line saying what the host lacks" {
    local hugetlb=false d
    mc launch busybox lm1 -c limits.cpu.nodes=0 </dev/null
    # Whether the container's cgroup has the hugetlb controller, as
    # minictr finds it (its cgroup.controllers; a v1 hierarchy).
    if v2; then
        grep -qw hugetlb "$(ctr_cgroup2 lm1)/cgroup.controllers" && hugetlb=true
    else
        [ -d /sys/fs/cgroup/hugetlb ] && hugetlb=true
    fi
    assert_equal "$(cg_file lm1 cpuset.mems)" 0
    if v2; then
        run mc config set lm1 limits.memory.swap.priority 10
        assert_failure 1
        assert_output "minictr: apply to running container \`lm1\`: limits.memory.swap.priority: cgroup v2 has no per-cgroup swappiness (unset it, or use limits.memory.swap=false)"
    else
        mc config set lm1 limits.memory.swap.priority 10
        assert_equal "$(cg_file lm1 memory.swappiness)" 0
        mc config set lm1 limits.memory.swap.priority 5
        assert_equal "$(cg_file lm1 memory.swappiness)" 30
        # Unset: the parent cgroup's swappiness again.
        mc config unset lm1 limits.memory.swap.priority
        d=$(ctr_cgroups lm1 | while read -r d; do [ -e "$d/memory.swappiness" ] && echo "$d"; done | head -n 1)
        assert_equal "$(cat "$d/memory.swappiness")" "$(cat "${d%/*}/memory.swappiness")"
    fi
    if $hugetlb && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
        mc config set lm1 limits.hugepages.2MB 64MiB
        if v2; then
            assert_equal "$(cg_file lm1 hugetlb.2MB.max)" 67108864
        else
            assert_equal "$(cg_file lm1 hugetlb.2MB.limit_in_bytes)" 67108864
        fi
    elif ! $hugetlb; then
        run mc config set lm1 limits.hugepages.2MB 64MiB
        assert_failure 1
        assert_output --partial "limits.hugepages.2MB: the hugetlb controller is not"
    fi
    run mc config set lm1 limits.cpu.nodes 0-a
    assert_failure 1
    assert_output "minictr: invalid value \`0-a\` for \`limits.cpu.nodes\`: expected a set of NUMA nodes such as 0 or 0-1,3"
    run mc config set lm1 limits.hugepages.2MB lots
    assert_failure 1
}
