#!/usr/bin/env bats
# What `exec` and the file helper hand to a hostile container root: never
# a host terminal nor a host fd (CVE-2017-5226, CVE-2024-21626 classes),
# and never a ptraceable host binary (CVE-2019-5736 class).

load helpers

setup() {
    setup_state
    import_busybox
    mc init busybox ex
    mc start ex
}

teardown() {
    if [ -n "${OLD_SUID_DUMPABLE:-}" ]; then
        echo "$OLD_SUID_DUMPABLE" > /proc/sys/fs/suid_dumpable
    fi
    stop_all_containers
    rm -rf "$MINICTR_DIR"
}

@test "CVE-2017-5226 class (TIOCSTI): a command run from a terminal with its output redirected gets no host terminal" {
    local out=$BATS_TEST_TMPDIR/out
    push_probe ex
    # The issue's case: an admin's interactive shell (script gives the CLI
    # a terminal), `exec ... > file`: no pty is made, and the host's tty
    # must not be the command's stdin, stderr or controlling terminal.
    script -qec "$MINICTR_BIN exec ex -- sh -c '/escape-probe tiocsti 0; /escape-probe tiocsti 2; /escape-probe read /dev/tty; true' > $out" /dev/null
    # ENOTTY (25) on the pipes, ENXIO (6) for /dev/tty: no controlling terminal.
    assert_equal "$(cat "$out")" "tiocsti: errno 25 (Inappropriate ioctl for device)
tiocsti: errno 25 (Inappropriate ioctl for device)
read: errno 6 (No such device or address)"
}

@test "CVE-2024-21626 class: only fds 0-2 reach an exec'd command, and its cwd is inside the container" {
    run mc exec ex -- sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "; readlink /proc/self/cwd'
    # ls's own directory fd is the 3 it lists.
    assert_output "0 1 2 3 /root"
    # init: its console and nothing else.
    run mc exec ex -- sh -c 'ls /proc/1/fd | sort -n | tr "\n" " "'
    assert_output "0 1 2 "
}

@test "a pidfd_getfd() from inside on an exec'd command finds no host fd to take" {
    push_probe ex
    mc exec ex -- sh -c 'sleep 30 < /dev/null > /dev/null 2>&1 &'
    local pid
    pid=$(mc exec ex -- pidof sleep)
    # Its fds are the container's own /dev/null: nothing of the host.
    run mc exec ex -- sh -c "for f in 0 1 2; do readlink /proc/$pid/fd/\$f; done"
    assert_output "/dev/null
/dev/null
/dev/null"
    assert_equal "$(mc exec ex -- /escape-probe getfd "$pid" 3; echo $?)" "getfd: errno 9 (Bad file descriptor)
9"
}

# With fs.suid_dumpable=1 the kernel makes a process dumpable again at
# every credential change; exec's helper and command become container
# root while still the host's minictr binary.  Dumpable, container root
# could ptrace them, or open their /proc/PID/exe (the host binary) and
# overwrite it once they exec.  strace holds the command at execve entry.
@test "CVE-2019-5736 class: with fs.suid_dumpable=1, exec's processes are not dumpable until they exec" {
    [ -d /run/minictr-vm ] || skip "changes fs.suid_dumpable, a host-wide sysctl: runs in the test VM"
    require "strace" command -v strace
    local bin found=0 line tries=150 held=
    OLD_SUID_DUMPABLE=$(cat /proc/sys/fs/suid_dumpable)
    echo 1 > /proc/sys/fs/suid_dumpable
    bin=$(readlink -f "$MINICTR_BIN")
    strace -f -qq -o /dev/null -e trace=execve -e inject=execve:delay_enter=10000000 \
        "$MINICTR_BIN" exec ex -- /bin/true &
    # Our binary, running as container root, held at execve's entry (59):
    # /proc/PID/environ owned by host root means not dumpable
    # (task_dump_owner; /proc/PID itself always shows the euid).
    while [ -z "$held" ] && [ "$tries" -gt 0 ]; do
        held=$(for p in /proc/[0-9]*; do
                   [ "$(readlink "$p/exe" 2>/dev/null)" = "$bin" ] || continue
                   [ "$(awk '/^Uid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$IDMAP_BASE" ] || continue
                   [ "$(cut -d' ' -f1 "$p/syscall" 2>/dev/null)" = 59 ] || continue
                   echo "${p#/proc/} $(stat -c %u "$p/environ")"
               done)
        tries=$((tries - 1))
        sleep 0.2
    done
    while read -r line; do
        [ -n "$line" ] || continue
        found=$((found + 1))
        assert_equal "${line#* }" 0
    done <<< "$held"
    wait
    [ "$found" -ge 1 ] || fail "no exec'd process caught at execve"
}
