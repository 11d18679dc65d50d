#!/bin/bash
# tests/cli-help.sh MINICTR: the --help of every command, walked from the
# top-level help through each group's "Commands:" list, one section per
# command.  tests/integration/cli-help.expected holds it as it was before
# flags moved into the command table (issue #13), and changed since only
# where a flag was added or documented (issue #14: -c, --no-profiles,
# exec -n, list filters, --format compact, info [NAME] --show-log,
# restore of a running container, global --project and --force-local,
# the remote prefix local:, config|profile device get|set|unset and config
# device override, launch|init|copy -c -d --no-profiles --empty and launch
# reading YAML, list -c and --fast, the device types, network ipv4.dhcp and
# list-leases, --property, info --resources, admin shutdown's priority,
# admin snapshots and snapshot's flags, --all, --console, delete -i, launch
# --network/--storage, global --all-projects and --target, the refused LXD
# flags, network info|attach|detach|attach-profile|detach-profile, ipv6.address and
# ipv6.nat); cli.bats
# compares.
set -euo pipefail
bin=$1

# commands_of OUTPUT: the names listed under "Commands:".
commands_of() {
    awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on { on = 0 }' <<<"$1"
}

walk() {
    local out cmd
    out=$("$bin" "$@" --help 2>&1) || { echo "minictr $* --help failed: $out" >&2; return 1; }
    printf '== minictr %s --help\n%s\n' "$*" "$out"
    while read -r cmd; do
        [ -n "$cmd" ] || continue
        case $cmd in help | version) continue ;; esac
        walk "$@" "$cmd"
    done < <(commands_of "$out")
}

out=$("$bin" --help)
printf '== minictr --help\n%s\n' "$out"
while read -r cmd; do
    case $cmd in help | version) continue ;; esac
    walk "$cmd"
done < <(commands_of "$out")
