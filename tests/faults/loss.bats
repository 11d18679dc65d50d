#!/usr/bin/env bats
# What a host loses without asking (issue #18): a container's monitor, and
# everything at once (a host reboot: processes, the run dir, the cgroups).

load helpers

# The monitor of a running container: its init's parent.
monitor_of() {
    local pid mon
    pid=$(init_pid "$1")
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    [ "$(cat "/proc/$mon/comm")" = minictr ] || fail "the parent of $1's init ($mon) is not a monitor"
    echo "$mon"
}

@test "a monitor SIGKILLed: the container keeps running; exec, info, stop, start and delete --force work" {
    local pid mon
    import_busybox
    mc launch busybox m1 -c limits.memory=64MiB
    pid=$(init_pid m1)
    mon=$(monitor_of m1)
    kill -KILL "$mon"
    wait_gone "$mon"
    assert_equal "$(status_of m1)" Running
    assert_equal "$(init_pid m1)" "$pid"
    assert_equal "$(mc exec m1 -- cat /etc/hostname)" m1
    run mc info m1
    assert_success
    assert_line "Status: Running"
    assert_line --regexp "^PID: $pid\$"
    assert_equal "$(memory_limit_of m1)" 67108864
    run mc stop m1 --timeout 10
    assert_success
    assert_equal "$(status_of m1)" Stopped
    run host_leftovers
    assert_output ''
    # The next start after it ended works, and so does delete --force
    # with the new monitor gone too.
    mc start m1
    assert_equal "$(mc exec m1 -- cat /etc/hostname)" m1
    mon=$(monitor_of m1)
    kill -KILL "$mon"
    wait_gone "$mon"
    run mc delete --force m1
    assert_success
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}

@test "a monitor SIGKILLed, then the container halts from inside: Stopped, and the next start works" {
    local pid mon
    import_busybox
    mc launch busybox m2
    pid=$(init_pid m2)
    mon=$(monitor_of m2)
    kill -KILL "$mon"
    wait_gone "$mon"
    mc exec m2 -- poweroff -f || true
    wait_gone "$pid"
    assert_equal "$(status_of m2)" Stopped
    mc start m2
    assert_equal "$(status_of m2)" Running
    assert_equal "$(mc exec m2 -- cat /etc/hostname)" m2
    mc delete --force m2
    run host_leftovers
    assert_output ''
}

@test "a cgroup removed between the open and the write of the file that kills it (systemd trimming the scope, or the monitor's cleanup, racing a stop): the stop succeeds" {
    local pid mon cg file pin="" scope d
    import_busybox
    mc launch busybox k1
    pid=$(init_pid k1)
    cg=$(ctr_cgroups k1)
    [ -n "$cg" ] || fail "no cgroup for k1"
    # What the kill writes first: cgroup2's cgroup.kill (before Linux
    # 5.14, cgroup.freeze), cgroup1's freezer.state (it freezes, then
    # kills).
    file=freezer.state
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        file=cgroup.freeze
        [ -e "$cg/cgroup.kill" ] && file=cgroup.kill
    fi
    if [[ $cg == *.scope/payload/k1 ]]; then
        # In a systemd scope: a process of ours in it keeps systemd from
        # removing the scope (and the container's cgroup below it) once
        # the init is gone, as it otherwise may before the stop opens it.
        scope=${cg%/payload/k1}
        sleep 600 3>&- &
        pin=$!
        export STARTED_PIDS="${STARTED_PIDS:-} $pin"
        echo "$pin" >"$scope/monitor/cgroup.procs"
    fi
    # With its monitor gone, the stop cleans up after it: it kills what
    # is left in the cgroup, and is held with the file open.
    mon=$(monitor_of k1)
    kill -KILL "$mon"
    wait_gone "$mon"
    held "cgroup-opened-$file" stop k1 --force
    wait_gone "$pid"
    # Now the cgroup goes, as when systemd trims the scope the init left
    # empty, or the monitor's own cleanup wins the race: the write then
    # fails with ENODEV.
    for d in $cg; do
        find "$d" -depth -type d -exec rmdir {} +
        [ ! -e "$d" ] || fail "$d is still there"
    done
    release "cgroup-opened-$file"
    wait_held
    [ "$HELD_RC" = 0 ] || fail "the stop failed ($HELD_RC): $(cat "$WORK/held.out")"
    assert_equal "$(cat "$WORK/held.out")" ''
    assert_equal "$(status_of k1)" Stopped
    if [ -n "$pin" ]; then
        kill "$pin"
        wait "$pin" || true
    fi
    run host_leftovers
    assert_output ''
    mc start k1
    assert_equal "$(mc exec k1 -- cat /etc/hostname)" k1
    mc delete --force k1
    run host_leftovers
    assert_output ''
}

@test "a host reboot (every process killed, the run dir and cgroups wiped): list says Stopped, start works, admin boot brings back the autostart ones" {
    local n pids=() id
    import_busybox
    mc launch busybox r1
    mc launch busybox r2 -c boot.autostart=true
    mc launch busybox r3 -c boot.autostart=true -c boot.autostart.priority=5
    id=$(state_id)
    for n in r1 r2 r3; do
        pids+=("$(init_pid "$n")" "$(monitor_of "$n")")
    done
    kill -KILL "${pids[@]}"
    for n in "${pids[@]}"; do wait_gone "$n"; done
    rm -rf "/run/minictr-$id"
    # Deepest first; only this state dir's.
    find /sys/fs/cgroup -depth -type d -path "*/minictr-$id*" -exec rmdir {} + 2>/dev/null || true
    [ -z "$(find /sys/fs/cgroup -path "*/minictr-$id*" 2>/dev/null)" ] || fail "cgroups left: $(find /sys/fs/cgroup -path "*/minictr-$id*")"
    run mc list --format csv -c ns
    assert_success
    assert_output "$(printf 'r1,STOPPED\nr2,STOPPED\nr3,STOPPED')"
    run mc start r1
    assert_success
    assert_equal "$(mc exec r1 -- cat /etc/hostname)" r1
    run mc admin boot
    assert_success
    assert_output "$(printf 'Starting r3\nStarting r2')"
    run mc list --format csv -c ns
    assert_output "$(printf 'r1,RUNNING\nr2,RUNNING\nr3,RUNNING')"
    assert_equal "$(mc exec r2 -- cat /etc/hostname)" r2
    mc delete --force r1 r2 r3
    run host_leftovers
    assert_output ''
}
