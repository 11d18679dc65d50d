#!/usr/bin/env bats
# Many commands at once from a fresh state dir (issue #18): each succeeds
# or fails with one clear line, and the end state is one that some order
# of the same commands, one after the other, could have left.

load helpers

@test "50 parallel launches on a fresh host: all 50 run, each in its own cgroup" {
    local out=$WORK/par i
    import_busybox
    # A fresh state dir has no cgroup parent yet: the launches race to make it.
    [ -z "$(find /sys/fs/cgroup -name "minictr-$(state_id)" 2>/dev/null)" ] || fail "the cgroup parent exists before the first launch"
    for i in $(seq 1 50); do echo "launch busybox p$i"; done | parallel "$out"
    [ "$(succeeded "$out")" -eq 50 ] || fail "$(succeeded "$out")/50 launches succeeded: $(failures "$out")"
    run mc list --format csv -c ns
    assert_success
    [ "$(grep -c ',RUNNING$' <<<"$output")" -eq 50 ] || fail "not 50 RUNNING: $output"
    for i in $(seq 1 50); do
        assert_cpusets_filled "p$i"
        mc exec "p$i" -- true
    done
    for i in $(seq 1 50); do echo "p$i"; done | xargs "$MINICTR_BIN" delete --force
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}
