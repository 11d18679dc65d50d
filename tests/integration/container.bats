#!/usr/bin/env bats
# The container lifecycle on the real kernel: namespaces, overlay root,
# unprivileged id mapping, cgroups, stop/pause/restart/delete.

load helpers

setup() {
    setup_state
    import_busybox
}

@test "launch: Running, own namespaces, hostname is the name, sees only its own processes" {
    local pid ns
    run mc launch busybox c1
    assert_success
    assert_output "Creating c1
Starting c1"
    assert_equal "$(status_of c1)" Running
    pid=$(init_pid c1)
    [ "$pid" -gt 1 ]
    for ns in pid mnt uts ipc net user cgroup; do
        [ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] || fail "init shares the host's $ns namespace"
    done
    assert_equal "$(in_ctr c1 /bin/hostname)" c1
    # PID 1 inside is the image's init; the host's processes are invisible.
    assert_equal "$(in_ctr c1 /bin/cat /proc/1/comm)" init
    run in_ctr c1 /bin/sh -c 'ls -d /proc/[0-9]* | wc -l'
    [ "$output" -lt 10 ] || fail "container sees $output processes"
    # Its binary comes from the container's own root, not from the host's.
    assert_equal "$(readlink "/proc/$pid/exe")" /bin/busybox
}

@test "list and info show the container, its PID, resources and layer chain" {
    mc launch busybox web
    run mc list
    assert_success
    assert_line --index 1 --regexp '^\| +NAME +\| +STATE +\| +IPV4 +\| +IPV6 +\| +TYPE +\| SNAPSHOTS \|$'
    assert_line --index 3 --regexp '^\| web +\| RUNNING \| +\| +\| CONTAINER \| 0 +\|$'
    run mc list --format json
    assert_equal "$(echo "$output" | jq -r '.[0].name')" web
    assert_equal "$(echo "$output" | jq -r '.[0].status')" Running
    assert_equal "$(echo "$output" | jq -r '.[0].status_code')" 103
    assert_equal "$(echo "$output" | jq -r '.[0].state.pid')" "$(init_pid web)"
    [ "$(echo "$output" | jq -r '.[0].state.processes')" -ge 1 ]
    [ "$(echo "$output" | jq -r '.[0].state.memory.usage')" -gt 0 ]
    run mc info web
    assert_success
    assert_line "Name: web"
    assert_line "Status: Running"
    assert_line "PID: $(init_pid web)"
    assert_line --regexp '^  Processes: [1-9][0-9]*$'
    assert_line "  image: $(sha256 "$(busybox_image)") (busybox)"
    assert_line --regexp "^  container: $MINICTR_DIR/containers/web/upper \\([0-9.]+[KMG]?i?B\\)$"
}

@test "unprivileged by default: uid_map is 0 onto the host's root range, root's files land as its first id in the upper dir" {
    local pid
    mc launch busybox u1
    pid=$(init_pid u1)
    run cat "/proc/$pid/uid_map"
    assert_output --regexp "^ +0 +$IDMAP_BASE +$IDMAP_COUNT\$"
    run cat "/proc/$pid/gid_map"
    assert_output --regexp "^ +0 +$IDMAP_BASE +$IDMAP_COUNT\$"
    assert_equal "$(stat -c %u "/proc/$pid")" "$IDMAP_BASE"
    in_ctr u1 /bin/sh -c 'echo hi > /root/made-inside'
    assert_equal "$(stat -c '%u:%g' "$MINICTR_DIR/containers/u1/upper/root/made-inside")" "$IDMAP_BASE:$IDMAP_BASE"
    # Inside, the image's files are owned by root.
    assert_equal "$(in_ctr u1 /bin/stat -c %u /bin/busybox)" 0
    # The image itself was neither copied nor chowned.
    assert_equal "$(stat -c %u "$MINICTR_DIR/images/$(sha256 "$(busybox_image)")/rootfs/bin/busybox")" 0
    [ ! -e "$MINICTR_DIR/containers/u1/upper/bin" ]
}

@test "stop, stop --force, restart" {
    local pid1 pid2
    mc launch busybox s1
    run mc stop s1 --timeout 20
    assert_success
    assert_equal "$(status_of s1)" Stopped
    run mc stop s1
    assert_failure 1
    assert_output "minictr: container \`s1\` is not running"
    mc start s1
    pid1=$(init_pid s1)
    mc restart s1
    pid2=$(init_pid s1)
    [ "$pid1" != "$pid2" ] || fail "restart kept PID $pid1"
    run mc stop --force s1
    assert_success
    assert_equal "$(status_of s1)" Stopped
    run mc info s1
    assert_line --regexp '^Last exit: killed by signal 9 \(KILL\) at '
    refute_line --partial 'PID:'
    kill -0 "$pid2" 2>/dev/null && fail "init $pid2 still alive"
    run host_leftovers
    assert_output ''
}

@test "pause freezes the cgroup; start thaws it" {
    local pid frozen
    mc launch busybox p1
    pid=$(init_pid p1)
    mc pause p1
    assert_equal "$(status_of p1)" Frozen
    run mc list --format csv
    assert_output --regexp '^p1,FROZEN,'
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        frozen=$(grep '^frozen ' "$(ctr_cgroup2 p1)/cgroup.events")
        assert_equal "$frozen" "frozen 1"
    else
        assert_equal "$(cat "$(ctr_cgroups p1 | grep /freezer/)/freezer.state")" FROZEN
    fi
    run mc pause p1
    assert_failure 1
    assert_output "minictr: container \`p1\` is already paused"
    mc start p1
    assert_equal "$(status_of p1)" Running
    assert_equal "$(init_pid p1)" "$pid"
    mc pause p1
    mc resume p1
    assert_equal "$(status_of p1)" Running
    # A frozen container still stops.
    mc pause p1
    run mc stop p1 --timeout 10
    assert_success
    assert_equal "$(status_of p1)" Stopped
}

@test "delete: refused while running, --force works, and nothing remains" {
    local pid
    mc launch busybox d1
    pid=$(init_pid d1)
    run mc delete d1
    assert_failure 1
    assert_output "minictr: container \`d1\` is running: stop it first, or use --force"
    run mc delete --force d1
    assert_success
    [ ! -e "$MINICTR_DIR/containers/d1" ]
    kill -0 "$pid" 2>/dev/null && fail "init $pid still alive"
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}

@test "delete --force of many: all go; the first that fails stops it, and the ones after it keep running" {
    local p1 p2 p3 p4
    mc launch busybox m1
    mc launch busybox m2
    mc launch busybox m3 -c security.protection.delete=true
    mc launch busybox m4
    p1=$(init_pid m1) p2=$(init_pid m2) p3=$(init_pid m3) p4=$(init_pid m4)
    # Every running one gets its SIGKILL first (their ends overlap), but
    # only up to m3, which the deletes then stop at, as one by one would.
    run mc delete --force m1 m2 m3 m4
    assert_failure 1
    assert_output "minictr: container \`m3\` is protected from deletion (security.protection.delete=true): unset it first"
    for p in "$p1" "$p2"; do
        kill -0 "$p" 2>/dev/null && fail "init $p still alive"
    done
    assert_equal "$(init_pid m3)" "$p3"
    assert_equal "$(init_pid m4)" "$p4"
    run mc list -c ns --format csv
    assert_output "m3,RUNNING
m4,RUNNING"
    mc config unset m3 security.protection.delete
    run mc delete --force m3 m4 nosuch m1
    assert_failure 1
    assert_output "minictr: container \`nosuch\` not found"
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}

@test "halt inside leaves it Stopped; reboot inside restarts it" {
    local pid1 pid2 i
    mc launch busybox h1
    pid1=$(init_pid h1)
    # busybox's reboot signals init and exits; init's kill of every
    # process may reach it first (143: SIGTERM).  Either is fine.
    run in_ctr h1 /sbin/reboot
    [ "$status" = 0 ] || [ "$status" = 143 ] || fail "reboot: status $status: $output"
    for i in $(seq 1 100); do
        pid2=$(init_pid h1)
        [ -n "$pid2" ] && [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ] && break
        sleep 0.1
    done
    [ "$pid2" != "$pid1" ] || fail "no restart after reboot (pid still $pid1)"
    assert_equal "$(status_of h1)" Running
    run in_ctr h1 /sbin/poweroff
    [ "$status" = 0 ] || [ "$status" = 143 ] || fail "poweroff: status $status: $output"
    for i in $(seq 1 100); do
        [ "$(status_of h1)" = Stopped ] && break
        sleep 0.1
    done
    assert_equal "$(status_of h1)" Stopped
    # reboot(2) with HALT/POWER_OFF in a PID namespace ends init by SIGINT.
    run mc info h1
    assert_line --regexp '^Last exit: killed by signal 2 \(INT\) at 20[0-9-]+T[0-9:]+Z$'
    assert_line --regexp '^Last Used: 20[0-9]{2}/'
    run host_leftovers
    assert_output ''
}

@test "the console log records the init's console; --show-log prints it" {
    mc launch busybox con1
    in_ctr con1 /bin/sh -c 'echo hello-from-the-console > /dev/console'
    run mc console con1 --show-log
    assert_success
    assert_output --partial hello-from-the-console
    # LXD's `info --show-log`: the info, then the log.
    run mc info con1 --show-log
    assert_success
    assert_line --index 0 "Name: con1"
    assert_line "Log:"
    assert_output --partial hello-from-the-console
}

@test "info with no name describes the host: kernel, cgroup layout, state dir, features" {
    local layout
    run mc info
    assert_success
    assert_line --index 0 "environment:"
    assert_line "  kernel_version: $(uname -r)"
    assert_line "  kernel_architecture: $(uname -m)"
    assert_line "  state_dir: $(realpath "$MINICTR_DIR")"
    assert_line "  server: minictr"
    # As minictr detects it (runtime/cgroup/cgroup.h): pure v2, v2 on a
    # hybrid host when its unified hierarchy has memory and pids, else v1.
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        layout=cgroup2
    elif grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null &&
        grep -qw pids /sys/fs/cgroup/unified/cgroup.controllers; then
        layout="cgroup2 (hybrid host, controllers on cgroup2)"
    elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        layout="cgroup1 (hybrid: cgroup2 at /sys/fs/cgroup/unified without controllers)"
    else
        layout=cgroup1
    fi
    assert_equal "$(sed -n "s/^  cgroup_layout: '\{0,1\}\([^']*\)'\{0,1\}$/\1/p" <<<"$output")" "$layout"
    # pidfd_open exists on every kernel minictr runs on (5.10+).
    assert_line "    pidfd: true"
}

@test "ephemeral containers are deleted when they stop" {
    mc launch busybox eph --ephemeral
    run mc list --format csv
    assert_output --regexp '^eph,RUNNING,,,CONTAINER \(EPHEMERAL\),0$'
    mc stop eph
    [ ! -e "$MINICTR_DIR/containers/eph" ]
}

@test "a start that fails in the monitor leaves config.yaml byte-identical; a good one applies the templates once" {
    local cfg=$MINICTR_DIR/containers/fb/config.yaml upper=$MINICTR_DIR/containers/fb/upper sum owner
    mc init busybox fb
    grep -qx '  volatile.apply_template: create' "$cfg" || fail "no volatile.apply_template after init"
    sum=$(sha256sum < "$cfg")
    # The init's tree cannot be built: /proc is a symlink in its layer.
    owner=$(stat -c %u "$upper")
    rm -rf "${upper:?}/proc"
    ln -s /etc "$upper/proc"
    chown -h "$owner:$owner" "$upper/proc"
    run mc start fb
    assert_failure 1
    assert_output --partial "must be a directory"
    assert_equal "$(sha256sum < "$cfg")" "$sum"
    assert_equal "$(status_of fb)" Stopped
    rm "$upper/proc"
    mc start fb
    run grep -c 'volatile.apply_template' "$cfg"
    assert_output 0
    run grep -c '^last_used_at: ' "$cfg"
    assert_output 1
    mc stop --force fb
}

@test "launch and init take LXD's -c KEY=VALUE (repeatable) and --no-profiles; bad ones leave nothing" {
    local cfg=$MINICTR_DIR/containers/cf1/config.yaml
    mc init busybox cf1 -c limits.memory=64MiB --config user.note=hi --no-profiles
    run grep -x '  limits.memory: 64MiB' "$cfg"
    assert_success
    run grep -x '  user.note: hi' "$cfg"
    assert_success
    run grep -x 'profiles: \[\]' "$cfg"
    assert_success
    # -c wins over the same key from standard input.
    printf 'config:\n  user.note: stdin\n  user.other: kept\n' | mc init busybox cf2 -c user.note=flag
    run grep -x '  user.note: flag' "$MINICTR_DIR/containers/cf2/config.yaml"
    assert_success
    run grep -x '  user.other: kept' "$MINICTR_DIR/containers/cf2/config.yaml"
    assert_success
    mc launch busybox cf3 -c limits.memory=96MiB
    assert_equal "$(status_of cf3)" Running
    run grep -x '  limits.memory: 96MiB' "$MINICTR_DIR/containers/cf3/config.yaml"
    assert_success
    mc stop --force cf3
    run mc init busybox bad -c nokey
    assert_failure 2
    assert_output "minictr: invalid -c \`nokey\`: expected KEY=VALUE"
    run mc init busybox bad -c volatile.uuid=x
    assert_failure 2
    assert_output "minictr: config key \`volatile.uuid\` is managed by minictr and cannot be set"
    run mc init busybox bad --no-profiles -p default
    assert_failure 2
    assert_output "minictr: --no-profiles and --profile exclude each other"
    run mc launch busybox bad -c limits.memroy=1
    assert_failure 1
    assert_output --partial "unknown config key \`limits.memroy\` (did you mean \`limits.memory\`?)"
    [ ! -e "$MINICTR_DIR/containers/bad" ]
}

@test "list takes LXD's filters: name prefix or regex, status= and other shorthands, config keys; all must match" {
    mc launch busybox web1 -c user.role=front
    mc init busybox web2 -c user.role=back
    mc init busybox db1 -c user.role=front
    names() { mc list --format csv "$@" | cut -d, -f1 | tr '\n' ' '; }
    assert_equal "$(names)" "db1 web1 web2 "
    assert_equal "$(names web)" "web1 web2 "
    assert_equal "$(names 'web[0-9]')" "web1 web2 "
    assert_equal "$(names '.*1')" "db1 web1 "
    assert_equal "$(names status=running)" "web1 "
    assert_equal "$(names status=STOPPED)" "db1 web2 "
    assert_equal "$(names status=frozen,stopped)" "db1 web2 "
    assert_equal "$(names type=container)" "db1 web1 web2 "
    assert_equal "$(names architecture=x86_64 status=running)" "$([ "$(uname -m)" = x86_64 ] && echo 'web1 ')"
    # Config keys, abbreviated by dotted prefix, values as whole regexes.
    assert_equal "$(names user.role=front)" "db1 web1 "
    assert_equal "$(names u.ro=fr.*)" "db1 web1 "
    assert_equal "$(names web user.role=front)" "web1 "
    assert_equal "$(names user.role=nothing)" ""
    # The JSON carries LXD's expanded_config.
    run mc list --format json web2
    assert_equal "$(jq -r '.[0].expanded_config["user.role"]' <<<"$output")" back
    mc stop --force web1
}

@test "init creates a stopped container, reading YAML from stdin" {
    printf 'config:\n  user.course: cdps\n  volatile.base_image: forged\n' > "$WORK/c.yaml"
    run mc init busybox c2 < "$WORK/c.yaml"
    assert_success
    assert_equal "$(status_of c2)" Stopped
    run grep -x '  user.course: cdps' "$MINICTR_DIR/containers/c2/config.yaml"
    assert_success
    run grep -x "  volatile.base_image: $(sha256 "$(busybox_image)")" "$MINICTR_DIR/containers/c2/config.yaml"
    assert_success
    mc start c2
    assert_equal "$(status_of c2)" Running
}

@test "bad names, duplicates and unknown images are clear errors that leave nothing" {
    run mc launch busybox 1bad
    assert_failure 2
    assert_output "minictr: invalid container name \`1bad\`: it must not start with a digit or a hyphen"
    run mc launch busybox bad_name
    assert_failure 2
    assert_output "minictr: invalid container name \`bad_name\`: only letters, digits and hyphens are allowed"
    run mc launch busybox "$(printf 'a%.0s' $(seq 1 64))"
    assert_failure 2
    run mc launch nosuchimage ok1
    assert_failure 1
    assert_output --partial "minictr: image \`nosuchimage\` not found"
    mc init busybox dup
    run mc init busybox dup
    assert_failure 1
    assert_output --partial "minictr: container \`dup\` already exists"
    run ls -A "$MINICTR_DIR/containers"
    assert_output dup
    run mc start nosuch
    assert_failure 1
    assert_output "minictr: container \`nosuch\` not found"
}

@test "two concurrent starts: one wins, the other gets a clear error" {
    mc init busybox race
    # shellcheck disable=SC2153 # set by the runner, checked in helpers.bash
    run bash -c "'$MINICTR_BIN' start race & '$MINICTR_BIN' start race; wait"
    assert_output --partial "minictr: container \`race\` is already running"
    assert_equal "$(status_of race)" Running
}

@test "50 containers from one image: launch, list, delete; upper dirs hold only their changes" {
    local i
    for i in $(seq 1 50); do
        mc launch busybox "m$i" >/dev/null
    done
    run mc list --format json
    assert_equal "$(echo "$output" | jq '[.[] | select(.status == "Running")] | length')" 50
    # Nothing of the image was copied up: no binaries in any upper dir.
    run find "$MINICTR_DIR"/containers/m*/upper -type f -path '*bin*'
    assert_output ''
    for i in $(seq 1 50); do
        mc delete --force "m$i"
    done
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}

# Make the container's init run /probe.sh at boot (sysinit), through the
# upper layer of a stopped container: the probe then runs under the same
# seccomp filter and credentials as init's own children.
install_probe() {
    local upper=$MINICTR_DIR/containers/$1/upper owner probe
    probe=$(dirname "$MINICTR_BIN")/tests/syscall-probe
    [ -x "$probe" ] || fail "no static probe at $probe (make unit-bins)"
    owner=$(stat -c %u "$upper")
    mkdir -p "$upper/etc" "$upper/root"
    cp "$probe" "$upper/syscall-probe"
    cat > "$upper/probe.sh" <<'SH'
#!/bin/sh
for s in kexec_load kexec_file_load open_by_handle_at init_module finit_module delete_module umount2-force umount2 getpid; do
    /syscall-probe "$s" >/dev/null 2>&1
    echo "$s $?" >> /root/probe-results.tmp
done
mv /root/probe-results.tmp /root/probe-results
SH
    printf '::sysinit:/bin/sh /probe.sh\n::respawn:-/bin/sh\n' > "$upper/etc/inittab"
    chown -R "$owner:$owner" "$upper/etc" "$upper/root" "$upper/syscall-probe" "$upper/probe.sh"
    chmod 0755 "$upper/syscall-probe" "$upper/probe.sh"
}

wait_for_file() {
    local i
    for i in $(seq 1 100); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    fail "timed out waiting for $1"
}

@test "blocked syscalls fail with exactly ENOSYS inside; forced umount with EACCES" {
    mc init busybox sc1
    install_probe sc1
    mc start sc1
    wait_for_file "$MINICTR_DIR/containers/sc1/upper/root/probe-results"
    run cat "$MINICTR_DIR/containers/sc1/upper/root/probe-results"
    # ENOSYS = 38, EACCES = 13, ENOENT = 2 (a plain umount2 still works).
    assert_output "kexec_load 38
kexec_file_load 38
open_by_handle_at 38
init_module 38
finit_module 38
delete_module 38
umount2-force 13
umount2 2
getpid 0"
}

@test "privileged containers: host root, capabilities dropped, masked and read-only /proc paths" {
    local pid bnd
    printf 'config:\n  security.privileged: "true"\n' | mc init busybox priv1
    mc start priv1
    pid=$(init_pid priv1)
    run cat "/proc/$pid/uid_map"
    assert_output --regexp '^ +0 +0 +4294967295$'
    bnd=$(awk '/^CapBnd/ {print $2}' "/proc/$pid/status")
    # CAP_SYS_MODULE 16, CAP_SYS_RAWIO 17, CAP_SYS_TIME 25, CAP_MAC_OVERRIDE 32,
    # CAP_MAC_ADMIN 33 are gone; CAP_SYS_ADMIN 21 stays.
    for bit in 16 17 25 32 33; do
        [ $(( 0x$bnd >> bit & 1 )) -eq 0 ] || fail "capability $bit still in the bounding set ($bnd)"
    done
    [ $(( 0x$bnd >> 21 & 1 )) -eq 1 ] || fail "CAP_SYS_ADMIN missing ($bnd)"
    run in_ctr priv1 /bin/sh -c 'echo x > /proc/sys/kernel/hostname'
    assert_failure
    assert_output --partial "Read-only file system"
    run in_ctr priv1 /bin/sh -c 'wc -c < /proc/keys'
    assert_output 0
    run in_ctr priv1 /bin/ls -A /sys/firmware
    assert_output ''
}

@test "a killed monitor leaves the container running; stop and delete --force still work" {
    local pid mon
    mc launch busybox orphan
    pid=$(init_pid orphan)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    [ "$(cat "/proc/$mon/comm")" = minictr ] || fail "parent of init is not the monitor"
    kill -KILL "$mon"
    sleep 0.2
    assert_equal "$(status_of orphan)" Running
    assert_equal "$(init_pid orphan)" "$pid"
    run mc stop orphan --timeout 10
    assert_success
    assert_equal "$(status_of orphan)" Stopped
    mc start orphan
    mon=$(ps -o ppid= -p "$(init_pid orphan)" | tr -d ' ')
    kill -KILL "$mon"
    run mc delete --force orphan
    assert_success
    [ ! -e "$MINICTR_DIR/containers/orphan" ]
    run host_leftovers
    assert_output ''
}

@test "creating a container costs the same for a 100 MB image as for busybox: nothing is copied" {
    local d=$WORK/big
    mkdir -p "$d/rootfs/usr/share/blob"
    make_metadata "$d"
    cp -a "$MINICTR_DIR/images/$(sha256 "$(busybox_image)")/rootfs/." "$d/rootfs/"
    head -c $((100 * 1024 * 1024)) /dev/urandom > "$d/rootfs/usr/share/blob/data"
    tar -C "$d" -cf "$WORK/big.tar" metadata.yaml rootfs templates
    mc image import "$WORK/big.tar" --alias big >/dev/null
    mc init big cbig
    mc init busybox csmall
    # The container layers hold no data: a few empty directories each.
    assert_equal "$(du -s --block-size=1 "$MINICTR_DIR/containers/cbig" | cut -f1)" \
                 "$(du -s --block-size=1 "$MINICTR_DIR/containers/csmall" | cut -f1)"
    mc start cbig
    assert_equal "$(in_ctr cbig /bin/sh -c 'wc -c < /usr/share/blob/data')" 104857600
    [ "$(du -s "$MINICTR_DIR/containers/cbig/upper" | cut -f1)" -lt 100 ]
}

@test "console attaches a terminal to the container's console; Ctrl+a q detaches" {
    mc launch busybox tty1
    # script(1) gives `minictr console` a pseudo-terminal; the shell on the
    # console computes 6*7, so the answer proves the round trip.
    # shellcheck disable=SC2016 # $((6*7)) is for the container's shell
    run timeout 20 script -qec "$MINICTR_BIN console tty1" /dev/null < <(
        sleep 1; printf 'echo answer-$((6*7))\r'; sleep 1; printf '\001q')
    assert_success
    assert_output --partial "To detach from the console, press: <ctrl>+a q"
    assert_output --partial "answer-42"
    assert_equal "$(status_of tty1)" Running
    run mc console tty1 --show-log
    assert_output --partial "answer-42"
}

@test "without idmapped mounts, a shifted copy of the image is made once and shared" {
    local shim img fp
    shim=$(dirname "$MINICTR_BIN")/tests/no_idmap.so
    [ -f "$shim" ] || fail "no $shim (make unit-bins)"
    fp=$(sha256 "$(busybox_image)")
    img=$MINICTR_DIR/images/$fp
    # ASan wants to come first among preloads; the shim is harmless to it.
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
    LD_PRELOAD=$shim mc launch busybox sh1
    LD_PRELOAD=$shim mc launch busybox sh2
    run find "$img" -maxdepth 1 -name 'shifted-*'
    assert_output "$img/shifted-$IDMAP_BASE-$IDMAP_COUNT"
    assert_equal "$(stat -c %u "$img/shifted-$IDMAP_BASE-$IDMAP_COUNT/bin/busybox")" "$IDMAP_BASE"
    assert_equal "$(stat -c %u "$img/rootfs/bin/busybox")" 0
    # Inside, the files still belong to root, and root can write.
    assert_equal "$(in_ctr sh1 /bin/stat -c %u /bin/busybox)" 0
    in_ctr sh2 /bin/sh -c 'echo x > /etc/made-in-sh2'
    assert_equal "$(stat -c %u "$MINICTR_DIR/containers/sh2/upper/etc/made-in-sh2")" "$IDMAP_BASE"
    # Same tree: modes, links and device-free content as the image.
    (cd "$img/rootfs" && find . -printf '%P %M %n %l\n' | sort) > "$WORK/want"
    (cd "$img/shifted-$IDMAP_BASE-$IDMAP_COUNT" && find . -printf '%P %M %n %l\n' | sort) > "$WORK/got"
    run diff "$WORK/want" "$WORK/got"
    assert_success
    # raw.idmap's map has no shifted copy: refused in one line, not started.
    mc init busybox sh3 -c raw.idmap="both 1000 1000" </dev/null
    LD_PRELOAD=$shim run mc start sh3
    assert_failure 1
    assert_output --regexp '^minictr: .*raw\.idmap needs an idmapped image layer, and this host cannot make one: [^'$'\n'']+$'
    assert_equal "$(status_of sh3)" Stopped
    mc delete sh3
    # Deleting the image is refused while they use it; afterwards it goes.
    run mc image delete busybox
    assert_failure 1
    mc delete --force sh1 sh2
    mc image delete busybox
    [ ! -e "$img" ]
}

@test "boot.stop.signal picks the stop signal; past --timeout the container is killed" {
    # SIGCHLD is ignored by init: the clean stop cannot succeed.
    printf 'config:\n  boot.stop.signal: SIGCHLD\n' | mc init busybox stubborn
    mc start stubborn
    run mc stop stubborn --timeout 1
    assert_success
    assert_equal "$(status_of stubborn)" Stopped
    run mc info stubborn
    assert_line --regexp '^Last exit: killed by signal 9 \(KILL\) at '
    # SIGUSR2 is busybox init's power-off: a clean stop, ended by SIGINT.
    printf 'config:\n  boot.stop.signal: "12"\n' | mc init busybox polite
    mc start polite
    run mc stop polite --timeout 20
    assert_success
    run mc info polite
    assert_line --regexp '^Last exit: killed by signal 2 \(INT\) at '
    # A bad value is refused when the config is given...
    run mc init busybox badsig <<< $'config:\n  boot.stop.signal: SIGNOPE\n'
    assert_failure 1
    assert_output --partial "invalid value \`SIGNOPE\` for \`boot.stop.signal\`"
    run mc list --format csv badsig
    assert_output ""
    # ... and named when a hand-edited config holds one.
    mc init busybox badsig
    printf '  boot.stop.signal: SIGNOPE\n' > "$WORK/line"
    sed -i "/^config:/r $WORK/line" "$MINICTR_DIR/containers/badsig/config.yaml"
    mc start badsig
    run mc stop badsig
    assert_failure 1
    assert_output "minictr: invalid signal \`SIGNOPE\`"
    run mc stop badsig --timeout x
    assert_failure 2
    assert_output "minictr: invalid --timeout \`x\`: expected seconds (0 to 86400)"
}

@test "admin init --auto is idempotent and installs the default profile" {
    run mc admin init --auto
    assert_success
    assert_output "minictr is set up in $MINICTR_DIR"
    run mc admin init --auto
    assert_success
    run grep -x 'description: Default minictr profile' "$MINICTR_DIR/profiles/default.yaml"
    assert_success
    run host_leftovers
    assert_output ''
}

@test "a device node in the container's layer opens nothing (the root is nodev)" {
    local u dev=/dev/null
    mc init busybox dn1
    u=$MINICTR_DIR/containers/dn1/upper
    # A world-writable node for the host's first disk, owned by container root.
    mknod "$u/disk" b 7 0
    mknod "$u/null2" c "$((16#$(stat -c %t "$dev")))" "$((16#$(stat -c %T "$dev")))"
    chown "$IDMAP_BASE:$IDMAP_BASE" "$u/disk" "$u/null2"
    chmod 666 "$u/disk" "$u/null2"
    mc start dn1
    run mc exec dn1 -- sh -c 'echo x > /null2'
    assert_failure
    assert_output --partial "Permission denied"
    run mc exec dn1 -- head -c 1 /disk
    assert_failure
    # The container's own /dev works.
    run mc exec dn1 -- sh -c 'echo x > /dev/null && echo ok'
    assert_output ok
}

@test "state dirs: no host user but root reaches a container's layer, snapshots or config (EACCES as nobody)" {
    local c p
    # A state dir host users may traverse, as /var/lib/minictr (0711):
    # the test's own private one (and the run's TMPDIR) would hide
    # everything below it.  Removed by teardown.
    MINICTR_DIR=$(mktemp -d /tmp/minictr-perm.XXXXXX)
    chmod 0711 "$MINICTR_DIR"
    setpriv --reuid=65534 --regid=65534 --clear-groups stat "$MINICTR_DIR" >/dev/null \
        || fail "precondition failed: nobody cannot reach $MINICTR_DIR (its parents are closed)"
    record_host_object state "$(state_id)"
    import_busybox
    printf 'config:\n  security.privileged: "true"\n' | mc init busybox pv
    mc launch busybox up
    mc snapshot up s1
    # What a container root could plant: a setuid root shell in a
    # privileged container's layer.
    c=$MINICTR_DIR/containers
    mkdir -p "$c/pv/upper/tmp"
    cp /bin/busybox "$c/pv/upper/tmp/sh"
    chmod 4755 "$c/pv/upper/tmp/sh"
    for p in "$c/pv/upper" "$c/pv/upper/tmp/sh" "$c/pv/config.yaml" "$c/up/upper" \
             "$c/up/upper/etc" "$c/up/snapshots" "$c/up/snapshots/s1/upper" "$MINICTR_DIR/images/x"; do
        run setpriv --reuid=65534 --regid=65534 --clear-groups stat -c %n "$p"
        assert_failure
        assert_output --partial "Permission denied"
    done
    # (Through a shell: setpriv itself still holds root's capabilities
    # while it looks up the program it executes.)
    # shellcheck disable=SC2016  # $0 is the inner shell's
    run setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '"$0" -c id' "$c/pv/upper/tmp/sh"
    assert_failure
    assert_output --partial "Permission denied"
}

@test "LXD's start|stop|pause|resume --all, delete -i, and launch --network/--storage" {
    import_busybox
    mc init busybox a1 </dev/null
    mc init busybox a2 </dev/null
    mc launch busybox a3 </dev/null
    mc start --all
    assert_equal "$(status_of a1) $(status_of a2) $(status_of a3)" "Running Running Running"
    mc pause --all
    assert_equal "$(status_of a1) $(status_of a3)" "Frozen Frozen"
    mc resume --all
    assert_equal "$(status_of a1) $(status_of a3)" "Running Running"
    mc stop --all --force
    assert_equal "$(status_of a1) $(status_of a2) $(status_of a3)" "Stopped Stopped Stopped"
    run mc start --all a1
    assert_failure 2
    assert_output "minictr: start: --all and names exclude each other"
    run mc stop
    assert_failure 2
    assert_output --partial "stop: wrong number of arguments"
    # delete -i: only a yes deletes.
    run mc delete -i a1 <<<"no"
    assert_success
    assert_output --partial "Remove a1 (yes/no): "
    assert_equal "$(status_of a1)" Stopped
    mc delete -i a1 <<<"yes"
    run mc list -c n -f csv
    assert_output "$(printf 'a2\na3')"
    # --network and --storage: the container's own eth0 and root.
    mc network create ln1 ipv4.nat=false
    mc launch busybox a4 --network ln1 --storage fast </dev/null
    assert_equal "$(mc config device get a4 eth0 network),$(mc config device get a4 root pool)" "ln1,fast"
    [ -n "$(addr_of a4)" ] || fail "a4 has no address on ln1"
}
