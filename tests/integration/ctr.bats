#!/usr/bin/env bats
# containerd (Debian's, with its runc shim v2) with minictr as its OCI
# runtime (issue #16), driven by `ctr` with --runc-binary: `run --rm` with
# its output and exit code, `run -d`, `task exec` (attached, its exit
# code), `task kill` (the SIGTERM caught), delete.  ctr's default spec is
# what it runs: the host's cgroup namespace, a tmpfs on /run, cpu shares.
# Hermetic: a containerd of the test's own (root, state, sockets, a
# namespace of its own), the runtime's --root the test's; the rootfs is the
# built-in busybox image's; no registry, no network.

load helpers
bats_require_minimum_version 1.5.0

eval "$(declare -f teardown | sed '1s/^teardown/mc_teardown/')"

setup() {
    local _ d
    setup_state
    command -v containerd >/dev/null || fail "precondition failed: containerd (scripts/install-deps.sh test installs it)"
    # Short: unix socket paths are at most 107 bytes.  Removed by teardown.
    CTD_DIR=$(mktemp -d /tmp/mc-ctd.XXXXXX)
    NS=mctest$$
    # The shim's sockets and ctr's fifos go below /run/containerd whatever
    # the config says: what of it is not there yet is the test's.
    RUN_MADE=""
    for d in /run/containerd /run/containerd/s /run/containerd/fifo; do
        [ -e "$d" ] || RUN_MADE="$d $RUN_MADE"
    done
    "$BATS_TEST_DIRNAME/../../scripts/containerd-conf.sh" "$CTD_DIR" >"$CTD_DIR/config.toml"
    # Under a subreaper that reaps the shims (which leave containerd for
    # the nearest one: on a host whose PID 1 reaps nothing, they would
    # stay zombies); it ends once containerd and they all have.
    python3 "$BATS_TEST_DIRNAME/subreaper.py" "$CTD_DIR/exits" \
        containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/containerd.log" 2>&1 3>&- &
    REAPER_PID=$!
    for _ in $(seq 200); do
        CTD_PID=$(pgrep -P "$REAPER_PID" || true)
        [ -n "$CTD_PID" ] && ctr -a "$CTD_DIR/c.sock" version >/dev/null 2>&1 && break
        sleep 0.05
    done
    ctr -a "$CTD_DIR/c.sock" version >/dev/null || fail "containerd did not start: $(tail -3 "$CTD_DIR/containerd.log")"
    # The runtime as the shim calls it.
    printf '#!/bin/sh\nexec "%s" oci "$@"\n' "$MINICTR_BIN" >"$CTD_DIR/minictr-runc"
    chmod +x "$CTD_DIR/minictr-runc"
    mkdir -p "$WORK/bb"
    tar -C "$WORK/bb" -xf "$(busybox_image)"
    # The containers' cgroups: below a parent of the test's own.
    CG_PARENT=minictr-ctr-$(state_id)
}

teardown() {
    local id _
    if [ -n "${CTD_PID:-}" ]; then
        # Every task and container of the namespace, so each shim ends.
        for id in $(c task ls -q 2>/dev/null); do
            c task kill -s KILL "$id" >/dev/null 2>&1 || true
        done
        for id in $(c container ls -q 2>/dev/null); do
            for _ in $(seq 100); do
                c task delete "$id" >/dev/null 2>&1 && break
                c task ls -q 2>/dev/null | grep -qx "$id" || break
                sleep 0.05
            done
            c container delete "$id" >/dev/null 2>&1 || true
        done
        kill "$CTD_PID" 2>/dev/null || true
    fi
    if [ -n "${REAPER_PID:-}" ]; then
        # The subreaper's children (containerd, shims) gone within 10 s,
        # else killed; then the subreaper.
        for _ in $(seq 200); do
            [ -n "$(pgrep -P "$REAPER_PID")" ] || break
            sleep 0.05
        done
        for id in $(pgrep -P "$REAPER_PID"); do
            kill -KILL "$id" 2>/dev/null || true
        done
        kill "$REAPER_PID" 2>/dev/null || true
    fi
    find /sys/fs/cgroup -maxdepth 7 -depth -type d -path "*/${CG_PARENT:-none}*" -exec rmdir {} \; 2>/dev/null || true
    for id in ${RUN_MADE:-}; do
        rm -rf "$id"
    done
    [ -z "${CTD_DIR:-}" ] || rm -rf "$CTD_DIR"
    mc_teardown
}

c() {
    ctr -a "$CTD_DIR/c.sock" -n "$NS" "$@"
}

# ctr_run ARGS...: `ctr run` with minictr as the runtime, on the busybox
# rootfs; ARGS: ctr's flags, then the id and the command.
ctr_run() {
    local flags=()
    while [[ "$1" == -* ]]; do
        flags+=("$1")
        shift
    done
    c run "${flags[@]}" --runc-binary "$CTD_DIR/minictr-runc" --runc-root "$CTD_DIR/runc" \
        --cgroup "$CG_PARENT/$1" --rootfs "$WORK/bb/rootfs" "$@"
}

@test "ctr --runc-binary minictr-runc: run --rm (output, exit code, ctr's spec), run -d, task exec, task kill, delete" {
    local pid cg
    # ctr's default spec: no cgroup namespace of its own (the container
    # sees its own cgroup at /sys/fs/cgroup), a tmpfs on /run.
    # shellcheck disable=SC2016 # expanded inside the container
    run ctr_run --rm r1 sh -c 'echo "out $(hostname)"; tail -1 /proc/self/cgroup; awk '\''$5 == "/run" { for (i = 7; $i != "-"; i++); print $(i + 1), $6 }'\'' /proc/self/mountinfo; ls /sys/fs/cgroup/cgroup.procs; exit 3'
    assert_failure 3
    assert_line --index 0 "out $(hostname)"
    if grep -q '^0::' /proc/self/cgroup; then
        assert_line --index 1 --regexp "^0::.*/$CG_PARENT/r1\$"
        assert_line --index 3 /sys/fs/cgroup/cgroup.procs
    fi
    assert_line --index 2 "tmpfs rw,nosuid,nodev"
    # Detached: running, in its cgroup (cpu shares as ctr's spec says).
    ctr_run -d d1 sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' >/dev/null
    assert_equal "$(c task ls | awk '$1 == "d1" { print $3 }')" RUNNING
    pid=$(c task ls | awk '$1 == "d1" { print $2 }')
    assert_equal "$("$CTD_DIR/minictr-runc" --root "$CTD_DIR/runc/$NS" state d1 | jq -r '.status + " " + (.pid | tostring)')" "running $pid"
    cg=$(grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' "/proc/$pid/cgroup" | cut -d: -f3)
    if [ -n "$cg" ]; then
        assert_equal "$(cat "/sys/fs/cgroup/cpu$cg/cpu.shares")" 1024
    fi
    # task exec: in its namespaces (PID 1 is its process), its exit code.
    # shellcheck disable=SC2016 # expanded inside the container
    run c task exec --exec-id e1 d1 sh -c 'echo "exec $(cat /proc/1/cmdline | tr "\0" " ")"; exit 4'
    assert_failure 4
    assert_output "exec sh -c trap \"exit 7\" TERM; while :; do sleep 0.1; done "
    # A missing program: refused by the runtime, as runc's is.
    run c task exec --exec-id e2 d1 nosuchprog
    assert_failure 1
    assert_output --partial "\`nosuchprog\` (process.args[0]): no such program in the container"
    # task kill: SIGTERM, which it catches (SigCgt bit 14) and exits 7.
    for _ in $(seq 100); do
        (( 0x$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status") & 0x4000 )) && break
        sleep 0.05
    done
    c task kill d1
    for _ in $(seq 100); do
        [ "$(c task ls | awk '$1 == "d1" { print $3 }')" = STOPPED ] && break
        sleep 0.05
    done
    run c task delete d1
    assert_success
    assert_output --partial "7"
    c container delete d1
    # Nothing left: the runtime's state, the cgroups, the mounts.
    assert_equal "$(find "$CTD_DIR/runc" -mindepth 2 | wc -l)" 0
    assert_equal "$(find /sys/fs/cgroup -maxdepth 7 -type d -path "*/$CG_PARENT/*" | wc -l)" 0
    assert_equal "$(grep -c " $WORK/bb" /proc/self/mountinfo)" 0
}
