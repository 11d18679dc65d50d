#!/bin/bash
# tests/with-subids.sh SPEC CMD [ARG...]
#
# Runs CMD in a private mount namespace in which /etc/subuid and
# /etc/subgid hold the single line SPEC (e.g. root:100000:10000001, the
# line Debian's lxd package adds; SUBGID_SPEC, if set, for /etc/subgid),
# so the suites can put minictr on any host id range without touching the
# host's files: nothing outside the namespace sees the change, and it goes
# with the namespace's last process.  Used by tests/run.sh (the suite
# host-lxd-ids) and by helpers.bash (mc_subids).
set -euo pipefail

if [ "${1:-}" != --in-namespace ]; then
    if [ $# -lt 2 ]; then
        echo "usage: tests/with-subids.sh SPEC CMD [ARG...]" >&2
        exit 2
    fi
    for f in /etc/subuid /etc/subgid; do
        if [ ! -f "$f" ]; then
            echo "with-subids.sh: precondition failed: $f does not exist, so no private copy can be bound over it" >&2
            exit 2
        fi
    done
    exec unshare --mount --propagation private -- "$0" --in-namespace "$@"
fi
shift
spec=$1
shift
# One file each, so that the two can differ (SUBGID_SPEC, for tests of
# that case) and writing one does not change the other.  The files stay
# until CMD ends: a mount on an unlinked file cannot be mounted over again
# (a test inside a host-lxd-ids run does that).
files=()
trap 'rm -f "${files[@]}"' EXIT
for f in subuid subgid; do
    file=$(mktemp)
    files+=("$file")
    if [ "$f" = subgid ]; then
        printf '%s\n' "${SUBGID_SPEC:-$spec}" > "$file"
    else
        printf '%s\n' "$spec" > "$file"
    fi
    mount --bind "$file" "/etc/$f"
done
"$@"
