#!/bin/bash
# Runs inside the test VM, whose root is the host's root filesystem, read-only
# (PID 1, tests/vm/init.sh, runs it with a clean environment).  $1 is the io share
# that tests/vm/run.sh filled: env (the tests' environment), bats-args (bats'
# arguments, NUL-separated) and cwd.  Runs bats there and leaves its TAP
# stream, byte for byte, in tap and its exit status in status; the TAP also
# goes to the console so that the host shows progress.
set -uo pipefail

io=$1
# shellcheck source=/dev/null
. "$io/env"
mapfile -d '' args <"$io/bats-args"
cd "$(cat "$io/cwd")" || exit 125

bats --tap "${args[@]}" </dev/null | tee "$io/tap"
status=${PIPESTATUS[0]}
sync "$io/tap" 2>/dev/null
printf '%s\n' "$status" >"$io/status.new" && mv "$io/status.new" "$io/status"
sync
exit "$status"
