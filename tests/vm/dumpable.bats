#!/usr/bin/env bats
# The CVE-2019-5736 class, in the test VMs only: the test sets
# fs.suid_dumpable, a host-wide sysctl, which the host suites must not.

load ../security/helpers

setup() {
    if [ "${MINICTR_TEST_ENV:-}" != vm ]; then
        skip "VM-only test (it changes fs.suid_dumpable; run it with tests/vm/run.sh)"
    fi
    setup_state
    import_busybox
    mc init busybox ex
    mc start ex
}

teardown() {
    if [ -n "${OLD_SUID_DUMPABLE:-}" ]; then
        echo "$OLD_SUID_DUMPABLE" > /proc/sys/fs/suid_dumpable
    fi
    [ -z "${MINICTR_DIR:-}" ] || stop_all_containers
    [ -z "${MINICTR_DIR:-}" ] || rm -rf "$MINICTR_DIR"
}

# With fs.suid_dumpable=1 the kernel makes a process dumpable again at
# every credential change; exec's helper and command become container
# root while still the host's minictr binary.  Dumpable, container root
# could ptrace them, or open their /proc/PID/exe (the host binary) and
# overwrite it once they exec.  strace holds the command at execve entry.
@test "CVE-2019-5736 class: with fs.suid_dumpable=1, exec's processes are not dumpable until they exec" {
    require "strace" command -v strace
    local bin found=0 line held='' spid deadline
    OLD_SUID_DUMPABLE=$(cat /proc/sys/fs/suid_dumpable)
    echo 1 > /proc/sys/fs/suid_dumpable
    bin=$(readlink -f "${MINICTR_BIN:?}")
    # Every execve strace sees waits 60 s at its entry (the CLI's own
    # first): a window wide enough for a slow scan under TCG.
    strace -f -qq -o /dev/null -e trace=execve -e inject=execve:delay_enter=60000000 \
        "$MINICTR_BIN" exec ex -- /bin/true &
    spid=$!
    deadline=$((SECONDS + 200))
    # Our binary, running as container root, held at execve's entry (59):
    # /proc/PID/environ owned by host root means not dumpable
    # (task_dump_owner; /proc/PID itself always shows the euid).
    while [ -z "$held" ] && [ "$SECONDS" -lt "$deadline" ]; do
        held=$(for p in /proc/[0-9]*; do
                   [ "$(readlink "$p/exe" 2>/dev/null)" = "$bin" ] || continue
                   [ "$(awk '/^Uid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$IDMAP_BASE" ] || continue
                   [ "$(cut -d' ' -f1 "$p/syscall" 2>/dev/null)" = 59 ] || continue
                   echo "${p#/proc/} $(stat -c %u "$p/environ")"
               done)
        sleep 0.5
    done
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    while read -r line; do
        [ -n "$line" ] || continue
        found=$((found + 1))
        assert_equal "${line#* }" 0
    done <<< "$held"
    [ "$found" -ge 1 ] || fail "no exec'd process caught at execve"
}
