#!/bin/bash
# Run minictr's test suites and count their TAP output.
#   tests/run.sh [lint] [unit] [host] [vm]      (default: all four)
# Every suite prints TAP; a suite that dies without reporting its failures
# counts as one failure.  The last line is "N passed, N failed, N skipped".
# With CI=true a skipped test counts as failed (bubblewrap's
# BWRAP_MUST_WORK): CI must never go green on tests that did not run.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
BUILDDIR=${BUILDDIR:-build}
export BUILDDIR
export MINICTR_BIN=$root/$BUILDDIR/minictr
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(lint unit host vm)

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count NAME STATUS: add up the TAP in $log for one suite run.
count() {
    local name=$1 status=$2 p f s
    p=$(grep -cE '^ok ' "$log" | head -1)
    s=$(grep -cE '^ok .*# (skip|SKIP)' "$log" | head -1)
    f=$(grep -cE '^not ok ' "$log" | head -1)
    p=$((p - s))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $status without reporting a failure"
        f=1
    fi
    if [ "$s" -gt 0 ]; then
        echo "SKIPPED in $name:" >&2
        grep -E '^ok .*# (skip|SKIP)' "$log" | sed 's/^/    /' >&2
        if [ "${CI:-}" = true ]; then
            echo "    (CI=true: skips count as failures)" >&2
            f=$((f + s))
            s=0
        fi
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_unit() {
    local t status
    for t in "$BUILDDIR"/tests/test_*; do
        [ -x "$t" ] || continue
        echo "# unit: $(basename "$t")"
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1 | tee "$log"
        status=${PIPESTATUS[0]}
        count "unit/$(basename "$t")" "$status"
    done
}

run_host() {
    local status
    echo "# host integration (bats)"
    bats --tap tests/integration 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    count host "$status"
}

# Lint is a suite too: shellcheck over every script and the bats files.
run_lint() {
    local status=0 n=0 f out
    echo "# lint (shellcheck)"
    {
        for f in scripts/*.sh tests/*.sh tests/vm/*.sh bench/*.sh .ci/run \
                 tests/integration/*.bash tests/integration/*.bats tests/vm/*.bats; do
            [ -e "$f" ] || continue
            n=$((n + 1))
            if out=$(shellcheck -x -s bash "$f" 2>&1); then
                echo "ok $n - shellcheck $f"
            else
                echo "not ok $n - shellcheck $f"
                printf '%s\n' "$out" | while IFS= read -r line; do echo "# $line"; done
            fi
        done
        echo "1..$n"
    } | tee "$log"
    count lint "$status"
}

run_vm() {
    local status
    echo "# pure cgroup v2 VM integration (bats inside qemu)"
    tests/vm/run.sh 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    count vm "$status"
}

for s in "${suites[@]}"; do
    case $s in
        unit) run_unit ;;
        host) run_host ;;
        vm) run_vm ;;
        lint) run_lint ;;
        *) echo "tests/run.sh: unknown suite '$s' (lint, unit, host or vm)" >&2; exit 2 ;;
    esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
