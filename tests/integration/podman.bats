#!/usr/bin/env bats
# podman (Debian's, with its conmon) with minictr as its OCI runtime (issue
# #16): `run --rm`, exit codes, `run -d` + `exec` + `stop` + `rm`, `-m` and
# `--pids-limit` in the container's cgroup, `-t`, seccomp, `--network`.  Hermetic:
# podman's storage (vfs), run and temp dirs, its containers.conf and the
# runtime's --root are this test's; the image is built here from the
# built-in busybox rootfs and `podman load`ed; no registry, no network.

load helpers
bats_require_minimum_version 1.5.0

eval "$(declare -f teardown | sed '1s/^teardown/mc_teardown/')"

setup() {
    setup_state
    command -v podman >/dev/null || fail "precondition failed: podman (scripts/install-deps.sh test installs it)"
    # Short: podman refuses a runroot of more than 50 characters (and the
    # suite's temp dirs are long).  Removed by teardown.
    PM_DIR=$(mktemp -d /tmp/mc-pm.XXXXXX)
    mkdir -p "$PM_DIR/tmp" "$WORK/bb"
    # The runtime as podman and conmon call it, with the test's own root
    # (podman passes no --root of its own to every call, e.g. its cleanup).
    printf '#!/bin/sh\nexec "%s" oci --root "%s/runc" "$@"\n' "$MINICTR_BIN" "$PM_DIR" >"$PM_DIR/minictr-runc"
    chmod +x "$PM_DIR/minictr-runc"
    # No sysctl podman would add by default, no network, cgroups without
    # systemd; minictr its only runtime (else podman probes crun, whose
    # default state dir /run/crun it makes).
    cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_sysctls = []
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
runtime = "minictr"
[engine.runtimes]
minictr = ["$PM_DIR/minictr-runc"]
EOF
    export CONTAINERS_CONF=$PM_DIR/containers.conf
    # The containers' cgroups go below minictr's parent for this state dir
    # (relative: below this process's cgroup, as minictr's own).
    CG_PARENT=minictr-$(state_id)
    # The image: the built-in busybox rootfs as one layer (umoci), written
    # as a docker-archive (skopeo, what `podman save` writes), loaded.
    tar -C "$WORK/bb" -xf "$(busybox_image)"
    tar -C "$WORK/bb/rootfs" --numeric-owner -cf "$WORK/bb.tar" .
    umoci init --layout "$WORK/lay"
    umoci new --image "$WORK/lay:bb"
    umoci raw add-layer --image "$WORK/lay:bb" "$WORK/bb.tar"
    umoci config --image "$WORK/lay:bb" --config.cmd /bin/sh
    skopeo copy --quiet "oci:$WORK/lay:bb" "docker-archive:$WORK/bb-image.tar:localhost/bb:latest"
    pm load -q -i "$WORK/bb-image.tar" >/dev/null
}

teardown() {
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    # The parent podman named (minictr removes only parents of its own).
    find /sys/fs/cgroup -maxdepth 7 -depth -type d -name "$CG_PARENT" -exec rmdir {} \; 2>/dev/null || true
    [ -z "${PM_DIR:-}" ] || rm -rf "$PM_DIR"
    mc_teardown
}

pm() {
    podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" --storage-driver vfs --tmpdir "$PM_DIR/tmp" \
        --runtime "$PM_DIR/minictr-runc" "$@"
}

# podman's run flags of these tests: explicit rlimits (podman's default raises them to 1048576, which needs
# CAP_SYS_RESOURCE: not every root has it, and this machine's has not);
# conmon stays in our cgroup.
pm_run() {
    pm run --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 \
        --cgroups=no-conmon --cgroup-parent="$CG_PARENT" "$@"
}

@test "podman --runtime minictr-runc: run --rm with its output and exit code, a missing program, seccomp, cgroupns, --network none, host, container:" {
    local id
    # shellcheck disable=SC2016 # expanded inside the container
    run pm_run --rm bb sh -c 'echo "out $(hostname)"; echo err >&2; exit 7'
    assert_failure 7
    assert_line --index 0 --regexp '^out [0-9a-f]{12}$'
    assert_line --index 1 err
    run -127 pm_run --rm bb nosuchprog
    assert_output --partial "minictr: \`nosuchprog\` (process.args[0]): no such program in the container"
    # The cgroup namespace: podman's default on cgroup1, the host's (the
    # container's own cgroup bound at /sys/fs/cgroup); or its own.
    if grep -q '^0::' /proc/self/cgroup; then
        run pm_run --rm --cgroupns=host bb sh -c 'tail -1 /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs'
        assert_success
        assert_line --index 0 --regexp "^0::.*/$CG_PARENT/libpod-[0-9a-f]{64}\$"
        assert_line --index 1 /sys/fs/cgroup/cgroup.procs
        run pm_run --rm --cgroupns=private bb tail -1 /proc/self/cgroup
        assert_success
        assert_output 0::/
    fi
    # podman's default seccomp profile goes on as given (runs above: a
    # filter, mode 2); a profile of the user's, through podman, too:
    # mkdir fails with its errno (EACCES), the rest is allowed.
    run pm_run --rm bb grep ^Seccomp: /proc/self/status
    assert_output $'Seccomp:\t2'
    echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}' \
        >"$PM_DIR/profile.json"
    run pm_run --rm --security-opt seccomp="$PM_DIR/profile.json" bb sh -c 'mkdir /tmp/x; touch /tmp/y && echo touched'
    assert_success
    assert_output "$(printf '%s\n' "mkdir: can't create directory '/tmp/x': Permission denied" touched)"
    # --network none: a network namespace with loopback only.
    run pm_run --rm --network none bb ls /sys/class/net
    assert_success
    assert_output lo
    # --network host: the host's network namespace; --network container:
    # another container's, joined by path.
    run pm_run --rm --network host bb readlink /proc/self/ns/net
    assert_success
    assert_output "$(readlink /proc/self/ns/net)"
    id=$(pm_run -d bb sleep 1000)
    run pm_run --rm --network "container:$id" bb readlink /proc/self/ns/net
    assert_success
    assert_output "$(readlink "/proc/$(pm inspect -f '{{.State.Pid}}' "$id")/ns/net")"
    [ "$output" != "$(readlink /proc/self/ns/net)" ]
    pm rm --force --time 0 "$id" >/dev/null
    # Nothing left of them: the runtime's state, their cgroups, mounts.
    assert_equal "$(find "$PM_DIR/runc" -mindepth 1 | wc -l)" 0
    assert_equal "$(find /sys/fs/cgroup -maxdepth 7 -type d -path "*/$CG_PARENT/*" | wc -l)" 0
    assert_equal "$(grep -c " $PM_DIR" /proc/self/mountinfo)" 0
}

@test "podman --runtime minictr-runc: run -d, -m and --pids-limit in its cgroup, stop (its StopSignal caught), rm" {
    local id pid cg mem_file
    id=$(pm_run -d -m 64m --pids-limit 99 bb sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done')
    assert_equal "$(pm inspect -f '{{.State.Status}}' "$id")" running
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    assert_equal "$("$PM_DIR/minictr-runc" state "$id" | jq -r '.status + " " + (.pid | tostring)')" "running $pid"
    cg=$(grep -E '^[0-9]+:memory:' "/proc/$pid/cgroup" | cut -d: -f3)
    if [ -n "$cg" ]; then
        mem_file=/sys/fs/cgroup/memory$cg/memory.limit_in_bytes
    else
        mem_file=/sys/fs/cgroup$(grep '^0::' "/proc/$pid/cgroup" | cut -d: -f3)/memory.max
    fi
    assert_equal "$(cat "$mem_file")" 67108864
    cg=$(grep -E '^[0-9]+:pids:' "/proc/$pid/cgroup" | cut -d: -f3)
    if [ -n "$cg" ]; then
        assert_equal "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" 99
    else
        assert_equal "$(cat "/sys/fs/cgroup$(grep '^0::' "/proc/$pid/cgroup" | cut -d: -f3)/pids.max")" 99
    fi
    [[ "$cg" == *"/$CG_PARENT/libpod-$id" ]] || [ -z "$cg" ]
    # stop sends SIGTERM: once the shell catches it (SigCgt bit 14), it
    # exits 5, which podman reports.
    for _ in $(seq 100); do
        (( 0x$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status") & 0x4000 )) && break
        sleep 0.05
    done
    pm stop --time 20 "$id" >/dev/null
    assert_equal "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 5"
    pm rm "$id" >/dev/null
    assert_equal "$(find "$PM_DIR/runc" -mindepth 1 | wc -l)" 0
    assert_equal "$(find /sys/fs/cgroup -maxdepth 7 -type d -path "*/$CG_PARENT/*" | wc -l)" 0
    assert_equal "$(grep -c " $PM_DIR" /proc/self/mountinfo)" 0
}

@test "podman --runtime minictr-runc: exec into a running container (attached, exit code, -t, -u, -e, -w; a missing program), -t on run" {
    local id pid
    id=$(pm_run -d bb sleep 1000)
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    # shellcheck disable=SC2016 # expanded inside the container
    run pm exec -u 1000:1000 -e FOO=bar -w /tmp "$id" sh -c 'echo "$(id -u):$(id -g) $FOO $(pwd)"; exit 3'
    assert_failure 3
    assert_output "1000:1000 bar /tmp"
    # In the container's PID namespace and cgroup: its init is PID 1.
    run pm exec "$id" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; grep -c . /proc/self/cgroup'
    assert_success
    assert_line --index 0 "sleep 1000 "
    # ... and in its process's cgroups, every hierarchy.
    run pm exec "$id" sh -c 'cat /proc/self/cgroup; echo; cat /proc/1/cgroup'
    assert_success
    assert_equal "${output%%$'\n\n'*}" "${output#*$'\n\n'}"
    assert_equal "$(grep -c . <<<"${output%%$'\n\n'*}")" "$(grep -c . "/proc/$pid/cgroup")"
    run -127 pm exec "$id" nosuchprog
    assert_failure 127
    # -t: a terminal of the container's devpts, through conmon's console socket.
    run pm exec -t "$id" sh -c 'tty; test -t 0 && echo term'
    assert_success
    assert_line --index 0 --regexp '^/dev/pts/[0-9]+.?$'
    run pm_run --rm -t bb sh -c 'tty; test -t 1 && echo term'
    assert_success
    assert_line --index 0 --regexp '^/dev/pts/[0-9]+.?$'
    pm rm --force --time 0 "$id" >/dev/null
    assert_equal "$(find "$PM_DIR/runc" -mindepth 1 | wc -l)" 0
}
