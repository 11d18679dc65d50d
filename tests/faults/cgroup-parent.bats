#!/usr/bin/env bats
# The shared cgroup parent (PARENT in the cgroup layout: minictr-ID below
# the starting command's cgroup) made, found half set up, or removed by
# the last container's delete, while a launch is on its way (issue #18).
# Each race is held at its step by the test hook, so none depends on
# timing.  The default placement only: on a systemd host each container
# has a scope of its own, made by systemd.

load helpers

setup() {
    setup_state
    # A systemd host with cgroup2 alone gives each container a scope of
    # its own (runtime/cgroup/systemd.c): no shared parent to race on.
    if [ -d /run/systemd/system ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] &&
        [ -z "${MINICTR_CGROUP_PARENT:-}" ] && [ "${MINICTR_SYSTEMD:-}" != 0 ]; then
        skip "systemd places each container in a scope of its own here"
    fi
}

# 64 MiB, in bytes: what memory.max (or memory.limit_in_bytes) must say.
MEM=67108864

@test "a launch that finds the cgroup parent just made by another launch, not yet set up, sets it up itself" {
    import_busybox
    held cgroup-parent-made launch busybox a1 -c limits.memory=64MiB
    # a1's monitor made the parent and waits before filling it (cpuset
    # CPUs and nodes on cgroup1, the controllers on cgroup2).
    run mc launch busybox b1 -c limits.memory=64MiB
    assert_success
    assert_equal "$(memory_limit_of b1)" "$MEM"
    assert_cpusets_filled b1
    release cgroup-parent-made
    wait_held
    [ "$HELD_RC" -eq 0 ] || fail "launch a1: $(cat "$WORK/held.out")"
    assert_equal "$(memory_limit_of a1)" "$MEM"
    assert_cpusets_filled a1
    assert_equal "$(status_of a1) $(status_of b1)" "Running Running"
    mc delete --force a1 b1
    run host_leftovers
    assert_output ''
}

@test "a launch killed right after making the cgroup parent: the next launch and a start of the killed one work" {
    import_busybox
    held cgroup-parent-made launch busybox a1 -c limits.memory=64MiB
    kill -KILL "$HELD_AT"
    wait_held
    [ "$HELD_RC" -ne 0 ] || fail "the killed launch succeeded"
    run mc launch busybox b1 -c limits.memory=64MiB
    assert_success
    assert_equal "$(memory_limit_of b1)" "$MEM"
    assert_cpusets_filled b1
    assert_equal "$(status_of a1)" Stopped
    run mc start a1
    assert_success
    assert_equal "$(memory_limit_of a1)" "$MEM"
    mc delete --force a1 b1
    run host_leftovers
    assert_output ''
}

@test "a launch whose cgroup parent goes away (the last container's delete) before it makes its own cgroup makes it again" {
    import_busybox
    mc launch busybox c0
    held cgroup-parent-exists launch busybox b1 -c limits.memory=64MiB
    # c0 was the parent's last child: its delete removes the parent.
    mc delete --force c0
    [ -z "$(find /sys/fs/cgroup -name "minictr-$(state_id)" 2>/dev/null)" ] || fail "the parent was not removed"
    release cgroup-parent-exists
    wait_held
    [ "$HELD_RC" -eq 0 ] || fail "launch b1: $(cat "$WORK/held.out")"
    assert_equal "$(memory_limit_of b1)" "$MEM"
    assert_cpusets_filled b1
    mc delete --force b1
    run host_leftovers
    assert_output ''
}
