# Shared by the security suite: the integration helpers, and the static
# escape probe (tests/probe/escape-probe.c) pushed into a container.
# shellcheck shell=bash

load ../integration/helpers

push_probe() {
    local probe
    probe=$(dirname "$MINICTR_BIN")/tests/escape-probe
    [ -x "$probe" ] || fail "no static probe at $probe (make unit-bins)"
    mc file push --mode 0755 "$probe" "$1/escape-probe"
}

# Whether this kernel has the i386 ABI: one without it (ia32_emulation=0,
# or a hypervisor's kernel built so) answers int $0x80 with SIGSEGV, on
# the host and in every container alike.
host_has_ia32() {
    local status=0
    [ "$(uname -m)" = x86_64 ] || return 1
    ("$(dirname "$MINICTR_BIN")/tests/escape-probe" int80 20) >/dev/null 2>&1 || status=$?
    [ "$status" -ne $((128 + 11)) ]
}

# probe_errno CTR ARGS...: the errno the probe got inside CTR.
probe_errno() {
    local ctr=$1
    shift
    run mc exec "$ctr" -- /escape-probe "$@"
    # shellcheck disable=SC2154 # set by bats' run
    echo "$status"
}
