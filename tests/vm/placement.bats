#!/usr/bin/env bats
# A container's cgroup is where its run state recorded it at start, so a
# command run from any other cgroup (a systemd service, cron, a second
# login session) reaches it.  VM only: the test moves its own shells into
# cgroups it makes, which the hybrid host's supervisor forbids there.

load ../integration/helpers

setup() {
    if [ "${MINICTR_TEST_ENV:-}" != vm ]; then
        skip "VM-only test (MINICTR_TEST_ENV='${MINICTR_TEST_ENV:-}', run it with tests/vm/run.sh)"
    fi
    setup_state
    import_busybox
    A=/sys/fs/cgroup/mctest-a-$(state_id)
    B=/sys/fs/cgroup/mctest-b-$(state_id)
    mkdir "$A" "$B"
    export CGROUPS_MADE="$A $B"
}

# in_cg DIR CMD...: CMD as a process of cgroup DIR.  A cgroup that holds
# a process delegates no controllers below it, as a login session's scope.
in_cg() {
    local dir=$1
    shift
    sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@"
}

@test "launched from one cgroup, driven from another: exec, pause, start, info, config set, stop" {
    local id
    id=$(state_id)
    in_cg "$A" "$MINICTR_BIN" launch busybox x1
    [ -d "$A/minictr-$id/x1" ] || fail "x1 is not below the cgroup it was launched from"
    run in_cg "$B" "$MINICTR_BIN" exec x1 -- echo hi
    assert_success
    assert_output hi
    in_cg "$B" "$MINICTR_BIN" pause x1
    assert_equal "$(status_of x1)" Frozen
    assert_equal "$(cat "$A/minictr-$id/x1/cgroup.freeze")" 1
    in_cg "$B" "$MINICTR_BIN" start x1
    assert_equal "$(status_of x1)" Running
    # Counted from cgroup.procs: busybox's init and its shell.
    run in_cg "$B" "$MINICTR_BIN" info x1
    assert_line "  Processes: $(wc -l < "$A/minictr-$id/x1/cgroup.procs")"
    assert_line "    Memory (current): unavailable (memory: the memory controller is not enabled for the container's cgroup \`$A/minictr-$id/x1\`)"
    # No controller reaches it: the change is refused with the reason, and
    # not saved.
    run in_cg "$B" "$MINICTR_BIN" config set x1 limits.memory 64MiB
    assert_failure 1
    assert_output "minictr: apply to running container \`x1\`: limits.memory: the memory controller is not enabled for the container's cgroup \`$A/minictr-$id/x1\`: the cgroup above it must delegate it (\`+memory\` in its cgroup.subtree_control; under systemd, a unit with Delegate=yes)"
    assert_equal "$(mc config get x1 limits.memory)" ""
    # A graceful stop from elsewhere; the cgroups it made go with it.
    in_cg "$B" "$MINICTR_BIN" stop x1
    assert_equal "$(status_of x1)" Stopped
    [ ! -e "$A/minictr-$id" ] || fail "$A/minictr-$id is left"
    # Started again from B, it lives below B now.
    in_cg "$B" "$MINICTR_BIN" start x1
    [ -d "$B/minictr-$id/x1" ] || fail "x1 is not below the cgroup it was started from"
    run in_cg "$A" "$MINICTR_BIN" exec x1 -- echo again
    assert_output again
    in_cg "$A" "$MINICTR_BIN" stop --force x1
    [ ! -e "$B/minictr-$id" ] || fail "$B/minictr-$id is left"
}

@test "a monitor killed below one cgroup: stop --force from another cleans up where the container was" {
    local id mon
    id=$(state_id)
    in_cg "$A" "$MINICTR_BIN" launch busybox x2
    mon=$(awk '$1 == "monitor:" { print $2 }' "/run/minictr-$id/x2/state.yaml")
    kill -KILL "$mon"
    in_cg "$B" "$MINICTR_BIN" stop --force x2
    assert_equal "$(status_of x2)" Stopped
    [ ! -e "$A/minictr-$id" ] || fail "$A/minictr-$id is left"
}
