#!/bin/bash
# Run minictr's test suites and count their TAP output.
#   tests/run.sh [lint] [unit] [fuzz] [host] [host-lxd-ids] [vm] [vm-systemd]
#   (default: all)
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
[ ${#suites[@]} -eq 0 ] && suites=(lint unit fuzz host host-lxd-ids vm vm-systemd)

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count NAME STATUS: add up the TAP in $log for one suite run.
count() {
    local name=$1 status=$2 p f s
    # cmocka prints a skip as "not ok N # SKIP", bats as "ok N # skip".
    p=$(grep -cE '^ok ' "$log" | head -1)
    s=$(grep -cE '^(not )?ok .*# (skip|SKIP)' "$log" | head -1)
    f=$(grep -cE '^not ok ' "$log" | head -1)
    p=$((p - $(grep -cE '^ok .*# (skip|SKIP)' "$log" | head -1)))
    f=$((f - $(grep -cE '^not ok .*# (skip|SKIP)' "$log" | head -1)))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $status without reporting a failure"
        f=1
    fi
    if [ "$s" -gt 0 ]; then
        echo "SKIPPED in $name:" >&2
        grep -E '^(not )?ok .*# (skip|SKIP)' "$log" | sed 's/^/    /' >&2
        if [ "${CI:-}" = true ]; then
            echo "    (CI=true: skips count as failures)" >&2
            f=$((f + s))
            s=0
        fi
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_unit() {
    local t src status
    # Every unit source has its binary: a missing one is a failure, not a
    # suite that silently shrank.
    for src in tests/unit/test_*.c; do
        t=$BUILDDIR/tests/$(basename "$src" .c)
        [ -x "$t" ] && continue
        echo "not ok - unit/$(basename "$t"): no binary at $t (make unit-bins)" | tee "$log"
        count "unit/$(basename "$t")" 1
    done
    for t in "$BUILDDIR"/tests/test_*; do
        [ -x "$t" ] || continue
        echo "# unit: $(basename "$t")"
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1 | tee "$log"
        status=${PIPESTATUS[0]}
        count "unit/$(basename "$t")" "$status"
    done
}

# What a host run left behind, counting only what this run made: the
# state ids, bridges and veths the tests recorded in RECORD (helpers.bash)
# and anything under the run's temp dir TMP.  So the user's own containers,
# bridges and nftables tables, running or made during the run, never count.
# Prints one line per leftover: run dirs, cgroups, mounts (in any mount
# namespace), loop devices, processes (in a container's cgroup, or a
# monitor of a state dir under TMP), links, nftables tables.
run_leftovers() {
    local rec=$1 tmp=$2 ids
    ids=$(mktemp)
    awk '$1 == "state" { print $2 }' "$rec" | sort -u > "$ids"
    if [ -s "$ids" ]; then
        sed 's|^|/run/minictr-|' "$ids" | while read -r d; do [ ! -e "$d" ] || echo "run dir $d"; done
        find /sys/fs/cgroup -name 'minictr-*' -type d 2>/dev/null \
            | awk -v ids="$ids" 'BEGIN { while ((getline l < ids) > 0) want["minictr-" l] = 1 }
                                { n = split($0, p, "/"); if (p[n] in want) print "cgroup " $0 }'
        # shellcheck disable=SC2062  # a glob of files, not a pattern
        sed 's/^/minictr-/' "$ids" | grep -l -F -f - /proc/[0-9]*/cgroup 2>/dev/null \
            | while read -r f; do f=${f%/cgroup}; echo "process ${f#/proc/} $(cat "$f/comm" 2>/dev/null) (in a container cgroup)"; done
        nft list tables 2>/dev/null | awk -v ids="$ids" 'BEGIN { while ((getline l < ids) > 0) { want["minictr-" l] = 1; want["mctest" l] = 1; pre["minictr-" l "-nat-"] = 1 } }
                                                         $3 in want { print "nftables " $0; next }
                                                         { for (p in pre) if (index($3, p) == 1) print "nftables " $0 }'
    fi
    grep -l -z -F "MINICTR_DIR=$tmp/" /proc/[0-9]*/environ 2>/dev/null \
        | while read -r f; do f=${f%/environ}; echo "process ${f#/proc/} $(cat "$f/comm" 2>/dev/null) (state dir under $tmp)"; done
    cat /proc/[0-9]*/mountinfo 2>/dev/null | grep -F "$tmp/" | sort -u | sed 's/^/mount /'
    losetup -n -O NAME,BACK-FILE 2>/dev/null | grep -F "$tmp/" | sed 's/^/loop device /'
    awk '$1 == "link" && $2 != "" { print $2 }' "$rec" | sort -u | while read -r l; do
        ! ip link show "$l" >/dev/null 2>&1 || echo "link $l"
    done
    rm -f "$ids"
}

# host_suite LABEL SUBIDS BATS_PATH...: bats on the host, then the leftover
# check.  SUBIDS, when not empty, is the one line that /etc/subuid and
# /etc/subgid hold for the run (tests/with-subids.sh: a private mount
# namespace; the host's files are not touched).
host_suite() {
    local label=$1 subids=$2 status rec tmp left
    shift 2
    rec=$(mktemp)
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/minictr-tests.XXXXXX")
    if [ -n "$subids" ]; then
        MINICTR_TEST_RECORD=$rec TMPDIR=$tmp tests/with-subids.sh "$subids" bats --tap "$@" 2>&1 | tee "$log"
    else
        MINICTR_TEST_RECORD=$rec TMPDIR=$tmp bats --tap "$@" 2>&1 | tee "$log"
    fi
    status=${PIPESTATUS[0]}
    left=$(run_leftovers "$rec" "$tmp")
    if [ -z "$left" ]; then
        echo "ok - $label: nothing of this run left on the host (run dirs, cgroups, mounts, loop devices, processes, bridges, veths, nftables tables)" | tee -a "$log"
    else
        echo "not ok - $label: leftovers of this run on the host" | tee -a "$log"
        printf '%s\n' "$left" | sed 's/^/# /' | tee -a "$log"
    fi
    rm -rf "$rec" "$tmp"
    count "$label" "$status"
}

run_host() {
    echo "# host integration (bats)"
    host_suite host "" tests/integration tests/security tests/faults
}

# The suites whose expectations depend on the host's id range, again with
# the range Debian's lxd package puts in /etc/subuid and /etc/subgid
# (podman and useradd add ranges of the same form), so that a host with
# LXD installed cannot break them unnoticed.
LXD_SUBIDS=root:100000:10000001
run_host_lxd_ids() {
    echo "# host integration with /etc/subuid and /etc/subgid as LXD leaves them ($LXD_SUBIDS)"
    host_suite host-lxd-ids "$LXD_SUBIDS" tests/integration/container.bats tests/integration/config.bats \
        tests/integration/file.bats tests/integration/snapshot.bats tests/integration/exec.bats \
        tests/integration/systemd.bats
}

# Lint is a suite too: shellcheck over every script and the bats files.
run_lint() {
    local status=0 n=0 f out
    echo "# lint (shellcheck, cppcheck, layers)"
    {
        for f in scripts/*.sh tests/*.sh tests/vm/*.sh bench/*.sh .ci/run \
                 tests/integration/*.bash tests/integration/*.bats tests/security/*.bash tests/security/*.bats tests/faults/*.bash tests/faults/*.bats tests/vm/*.bats; do
            [ -e "$f" ] || continue
            n=$((n + 1))
            if out=$(shellcheck -x -s bash "$f" 2>&1); then
                echo "ok $n - shellcheck $f"
            else
                echo "not ok $n - shellcheck $f"
                printf '%s\n' "$out" | while IFS= read -r line; do echo "# $line"; done
            fi
        done
        n=$((n + 1))
        if out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
                     --std=c11 -I. --include=/usr/include/jansson.h \
                     --suppress=missingIncludeSystem lib runtime images cli 2>&1); then
            echo "ok $n - cppcheck lib runtime images cli"
        else
            echo "not ok $n - cppcheck lib runtime images cli"
            printf '%s\n' "$out" | while IFS= read -r line; do echo "# $line"; done
        fi
        n=$((n + 1))
        if out=$(scripts/include-graph.sh --check 2>&1); then
            echo "ok $n - $out"
        else
            echo "not ok $n - layers and include cycles (scripts/include-graph.sh --check)"
            printf '%s\n' "$out" | while IFS= read -r line; do echo "# $line"; done
        fi
        echo "1..$n"
    } | tee "$log"
    count lint "$status"
}

# Each libFuzzer target runs from its seed corpus for FUZZ_RUNS inputs
# (default 200000) with a fixed seed (FUZZ_SEED, default 1), so a run is
# reproducible and CI does not turn red at random; FUZZ_SECONDS caps the
# time.  A crash, leak or sanitizer report fails it.  Longer exploratory
# runs: FUZZ_SEED=0 FUZZ_RUNS=-1 FUZZ_SECONDS=600 tests/run.sh fuzz.
run_fuzz() {
    local n=0 t name corpus status=0
    echo "# fuzz (libFuzzer, seed ${FUZZ_SEED:-1}, ${FUZZ_RUNS:-200000} runs each)"
    {
        for t in tests/fuzz/fuzz_*.c; do
            t=build-fuzz/$(basename "$t" .c)
            n=$((n + 1))
            if [ ! -x "$t" ]; then
                echo "not ok $n - fuzz ${t#build-fuzz/fuzz_}: no binary at $t (make fuzz)"
                continue
            fi
            name=${t#build-fuzz/fuzz_}
            corpus=$(mktemp -d)
            cp -r "tests/fuzz/corpus/$name/." "$corpus/" 2>/dev/null || true
            if "$t" -seed="${FUZZ_SEED:-1}" -runs="${FUZZ_RUNS:-200000}" \
                   -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -print_final_stats=1 \
                   -artifact_prefix="$corpus/" "$corpus" >"$corpus.log" 2>&1; then
                echo "ok $n - fuzz $name ($(grep -oE 'stat::number_of_executed_units: [0-9]+' "$corpus.log" | grep -oE '[0-9]+$' || echo '?') runs)"
            else
                echo "not ok $n - fuzz $name"
                tail -30 "$corpus.log" | while IFS= read -r line; do echo "# $line"; done
            fi
            rm -rf "$corpus" "$corpus.log"
        done
        echo "1..$n"
    } | tee "$log"
    count fuzz "$status"
}

# The VMs run the suites whose behaviour depends on the kernel's cgroup
# layout and on what the host's init does; the image store's suites do not
# touch cgroups and run on the host only, because under TCG emulation every
# test costs ~20x.
#   vm          pure cgroup v2 without systemd (PID 1 is a script): the
#               VM's own checks, placement below the caller, and limits;
#   vm-systemd  a Debian host with systemd as PID 1 and pure cgroup v2,
#               bats in a logind session: systemd-host.bats (scopes, cross
#               context, sessions, the boot unit), a reboot with
#               autostart, and the container, exec, config, snapshot,
#               network and systemd-image suites.
# MINICTR_VM_SUITES / MINICTR_VM_SYSTEMD_SUITES override the lists.
run_vm() {
    local flavour=$1 status suites list
    if [ "$flavour" = systemd ]; then
        list=${MINICTR_VM_SYSTEMD_SUITES:-tests/vm/systemd-host.bats tests/integration/cli.bats tests/integration/container.bats tests/integration/exec.bats tests/integration/config.bats tests/integration/snapshot.bats tests/integration/network.bats tests/integration/proxy.bats tests/integration/systemd.bats tests/integration/ansible.bats tests/integration/runc.bats tests/security tests/faults/concurrency.bats tests/faults/crash.bats tests/faults/loss.bats tests/vm/dumpable.bats tests/vm/reboot.bats tests/vm/reboot.after-reboot.bats}
    else
        list=${MINICTR_VM_SUITES:-tests/vm/cgroup2.bats tests/vm/placement.bats tests/integration/config.bats tests/security tests/faults/cgroup-parent.bats tests/faults/concurrency.bats tests/faults/loss.bats tests/faults/crash.bats tests/vm/dumpable.bats}
    fi
    read -r -a suites <<< "$list"
    echo "# $flavour VM integration (bats inside qemu): ${suites[*]}"
    # The VM cannot build the systemd test image (read-only host root, no
    # network): build it here first, into the cache it reads.
    if [[ " ${suites[*]} " == *systemd.bats* || " ${suites[*]} " == *" tests/integration "* ]] \
           && [ ! -s build/test-cache/debian-systemd.tar ]; then
        mkdir -p build/test-cache
        scripts/mkimage-debian-systemd.sh build/test-cache/debian-systemd.tar \
            || echo "# the systemd test image could not be built; systemd.bats will say so" >&2
    fi
    if [[ " ${suites[*]} " == *ansible.bats* || " ${suites[*]} " == *" tests/integration "* ]] \
           && [ ! -s build/test-cache/debian-systemd-python3.tar ]; then
        mkdir -p build/test-cache
        scripts/mkimage-debian-systemd.sh build/test-cache/debian-systemd-python3.tar python3 \
            || echo "# the python3 test image could not be built; ansible.bats will say so" >&2
    fi
    if [[ " ${suites[*]} " == *network.bats* || " ${suites[*]} " == *" tests/integration "* ]] \
           && [ ! -s build/test-cache/debian-systemd-ifupdown-isc-dhcp-client.tar ]; then
        mkdir -p build/test-cache
        scripts/mkimage-debian-systemd.sh build/test-cache/debian-systemd-ifupdown-isc-dhcp-client.tar \
            ifupdown isc-dhcp-client \
            || echo "# the DHCP client test image could not be built; network.bats will say so" >&2
    fi
    MINICTR_VM_FLAVOUR=$flavour MINICTR_VM_TIMEOUT=${MINICTR_VM_TIMEOUT:-2700} \
        tests/vm/run.sh "${suites[@]}" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    count "vm-$flavour" "$status"
}

for s in "${suites[@]}"; do
    case $s in
        unit) run_unit ;;
        host) run_host ;;
        host-lxd-ids) run_host_lxd_ids ;;
        vm) run_vm busybox ;;
        vm-systemd) run_vm systemd ;;
        lint) run_lint ;;
        fuzz) run_fuzz ;;
        *) echo "tests/run.sh: unknown suite '$s' (lint, unit, fuzz, host, host-lxd-ids, vm or vm-systemd)" >&2; exit 2 ;;
    esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
