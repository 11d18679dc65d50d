#!/usr/bin/env bats
# What `exec` and the file helper hand to a hostile container root: never
# a host terminal nor a host fd (CVE-2017-5226, CVE-2024-21626 classes),
# and never a ptraceable host binary (CVE-2019-5736 class: in the VMs,
# tests/vm/dumpable.bats, as it changes a host-wide sysctl).

load helpers

setup() {
    setup_state
    import_busybox
    mc init busybox ex
    mc start ex
}

teardown() {
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
