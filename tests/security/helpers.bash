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

# probe_errno CTR ARGS...: the errno the probe got inside CTR.
probe_errno() {
    local ctr=$1
    shift
    run mc exec "$ctr" -- /escape-probe "$@"
    # shellcheck disable=SC2154 # set by bats' run
    echo "$status"
}
