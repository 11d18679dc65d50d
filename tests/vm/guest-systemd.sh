#!/bin/bash
# Runs inside the systemd test VM (tests/vm/run.sh, MINICTR_VM_FLAVOUR=systemd),
# from root's login shell on the serial console: a real logind session, as
# a user's.  $1 is the io share (env, bats-args, bats-args-2, cwd).
#
# First boot: runs the suites of bats-args, then, when bats-args-2 names
# suites (*.after-reboot.bats), reboots the VM; after the reboot runs those
# and appends their TAP, renumbered, to the first run's, so the host sees one
# stream.  Leaves tap and status in the io share, prints how long each
# part took, and powers the VM off.
set -uo pipefail

io=$1
# shellcheck source=/dev/null
. "$io/env"
cd "$(cat "$io/cwd")" || exit 125
uptime_s() { cut -d' ' -f1 /proc/uptime; }
finish() {
    printf '%s\n' "$1" >"$io/status.new" && mv "$io/status.new" "$io/status"
    sync
    systemctl poweroff
    exit "$1"
}

echo "minictr-vm: systemd reached the login after $(uptime_s)s ($(systemctl is-system-running)); session $XDG_SESSION_ID"
# MINICTR_VM_RUN: a command instead of bats.
cmd=$(cat "$io/run-cmd" 2>/dev/null)
if [ -n "$cmd" ]; then
    t=$SECONDS
    bash -c "$cmd" </dev/null 2>&1 | tee "$io/out"
    status=${PIPESTATUS[0]}
    echo "minictr-vm: the command took $((SECONDS - t))s"
    finish "$status"
fi
if [ ! -e "$io/phase1.status" ]; then
    mapfile -d '' args <"$io/bats-args"
    t=$SECONDS
    bats --tap "${args[@]}" </dev/null | tee "$io/tap.1"
    status=${PIPESTATUS[0]}
    echo "minictr-vm: suites took $((SECONDS - t))s"
    printf '%s\n' "$status" >"$io/phase1.status"
    sync
    if [ -s "$io/bats-args-2" ]; then
        echo "minictr-vm: rebooting for the after-reboot suites"
        systemctl reboot
        exit 0
    fi
    cp "$io/tap.1" "$io/tap"
    finish "$status"
fi

# After the reboot.
mapfile -d '' args <"$io/bats-args-2"
t=$SECONDS
bats --tap "${args[@]}" </dev/null | tee "$io/tap.2"
status2=${PIPESTATUS[0]}
echo "minictr-vm: after-reboot suites took $((SECONDS - t))s"
status=$(cat "$io/phase1.status")
[ "$status" = 0 ] && status=$status2
awk -v n1="$(grep -E '^1\.\.[0-9]+' "$io/tap.1" | head -n1 | cut -d. -f3)" '
    FNR == 1 && NR == 1 { }
    FILENAME == ARGV[1] && /^1\.\.[0-9]+$/ { next }
    FILENAME == ARGV[1] { print; next }
    /^1\.\.[0-9]+$/ { next }
    /^(not )?ok [0-9]+/ {
        match($0, /[0-9]+/)
        $0 = substr($0, 1, RSTART - 1) (substr($0, RSTART, RLENGTH) + n1) substr($0, RSTART + RLENGTH)
    }
    { print }' "$io/tap.1" "$io/tap.2" >"$io/tap.body"
n2=$(grep -E '^1\.\.[0-9]+' "$io/tap.2" | head -n1 | cut -d. -f3)
n1=$(grep -E '^1\.\.[0-9]+' "$io/tap.1" | head -n1 | cut -d. -f3)
{ echo "1..$(( ${n1:-0} + ${n2:-0} ))"; cat "$io/tap.body"; } >"$io/tap"
finish "$status"
