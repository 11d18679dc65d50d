#!/usr/bin/env bats
# The state dir on a small ext4 of its own, filled to ENOSPC (issue #18):
# at the start of an operation, and at each step of it (held there by the
# test hook, filled, let go).  Every failure is one clear line, no state
# file is half written (writes are atomic), nothing is half made, and the
# same operation works once space is freed.

load helpers

setup() {
    setup_state
    local img=$BATS_TEST_TMPDIR/disk.img seed=$BATS_TEST_TMPDIR/seed
    DISK=$BATS_TEST_TMPDIR/disk
    mkdir -p "$DISK" "$seed/state"
    truncate -s 64M "$img"
    # -d: the filesystem starts with the (empty) state dir in it.
    mkfs.ext4 -q -F -m 0 -d "$seed" "$img"
    mount -o loop "$img" "$DISK"
    export MOUNTED="${MOUNTED:-} $DISK"
    MINICTR_DIR=$DISK/state
    record_host_object state "$(state_id)"
    import_busybox
}

# Fill the filesystem to the last block (ext4 hands back blocks it held
# for delayed allocation once written out: write, sync, write again, then
# small files); `unfill` gives the space back.
fill() {
    local i
    for i in 1 2 3 4; do
        dd if=/dev/zero of="$DISK/filler.big$i" bs=64k 2>/dev/null || true
        sync
    done
    for i in $(seq 1 1024); do
        head -c 1024 /dev/zero >"$DISK/filler.$i" 2>/dev/null || break
        [ $((i % 256)) -ne 0 ] || sync
    done
    sync
    [ "$(df --output=avail -k "$DISK" | tail -1 | tr -d ' ')" -eq 0 ] || fail "the disk is not full: $(df -k "$DISK")"
}

unfill() {
    rm -f "$DISK"/filler*
    sync
}

# CMD's output (in $output, from `run`) is one line `minictr: ...` naming
# ENOSPC, beside the progress lines.
assert_enospc_line() {
    local errs
    errs=$(grep -vE '^(Creating|Starting) ' <<<"$output")
    [ "$(wc -l <<<"$errs")" -eq 1 ] || fail "not one line: $output"
    [[ $errs == "minictr: "*"No space left on device"* ]] || fail "not a clear ENOSPC line: $output"
}

# Every state file parses.
assert_state_whole() {
    local f
    for f in "$MINICTR_DIR"/containers/*/config.yaml "$MINICTR_DIR"/images/*/image.yaml \
        "$MINICTR_DIR"/images/aliases.yaml "$MINICTR_DIR"/containers/*/snapshots/*/config.yaml; do
        [ -e "$f" ] || continue
        python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" || fail "$f does not parse"
    done
    run find "$MINICTR_DIR" -name '*.tmp-*' -not -path '*/upper/*'
    assert_output ''
}

@test "full disk: launch fails with one line and leaves nothing; after freeing, it works" {
    fill
    run mc launch busybox f1
    assert_failure
    assert_enospc_line
    assert_consistent
    assert_state_whole
    run mc list --format csv
    assert_output ''
    unfill
    mc launch busybox f1
    assert_equal "$(mc exec f1 -- cat /etc/hostname)" f1
}

@test "full disk: snapshot fails with one line, the container runs on (thawed); after freeing, it works" {
    mc launch busybox f1
    mc exec f1 -- sh -c 'head -c 65536 /dev/zero >/root/data'
    fill
    run mc snapshot f1 s1
    assert_failure
    assert_enospc_line
    assert_equal "$(status_of f1)" Running
    assert_consistent
    assert_state_whole
    [ -z "$(find "$MINICTR_DIR/containers/f1/snapshots" -mindepth 1 -maxdepth 1 2>/dev/null)" ] || fail "a snapshot is left"
    unfill
    mc snapshot f1 s1
    assert_equal "$(mc info f1 | grep -c '^  snapshot s1: ')" 1
}

@test "full disk: config set fails with one line; config.yaml and the running limits are as before; after freeing, it works" {
    local sum
    mc launch busybox f1 -c limits.memory=64MiB
    sum=$(sha256sum <"$MINICTR_DIR/containers/f1/config.yaml")
    fill
    run mc config set f1 limits.memory=128MiB
    assert_failure
    assert_enospc_line
    assert_equal "$(sha256sum <"$MINICTR_DIR/containers/f1/config.yaml")" "$sum"
    assert_equal "$(memory_limit_of f1)" 67108864
    assert_state_whole
    unfill
    mc config set f1 limits.memory=128MiB
    assert_equal "$(memory_limit_of f1)" 134217728
}

@test "full disk: image import fails with one line and leaves nothing; after freeing, it works" {
    make_unified "$WORK/i.tar"
    fill
    run mc image import "$WORK/i.tar" --alias i1
    assert_failure
    assert_enospc_line
    assert_consistent
    assert_state_whole
    run mc image list --format json
    assert_equal "$(jq -r '.[].aliases[].name' <<<"$output")" busybox
    unfill
    mc image import "$WORK/i.tar" --alias i1
    mc image verify i1
}

# STEP of OP (a minictr command line) held, the disk filled, let go:
# whatever OP then says, the state is whole and consistent, and after
# freeing space CHECK (a command line) works.
fill_at_step() {
    local step=$1 op=$2 check=$3
    # shellcheck disable=SC2086 # OP and CHECK are argument lists
    held "$step" $op
    fill
    release "$step"
    wait_held
    if [ "$HELD_RC" -ne 0 ]; then
        output=$(cat "$WORK/held.out")
        assert_enospc_line
    fi
    assert_consistent
    assert_state_whole
    unfill
    # shellcheck disable=SC2086
    run mc $check
    assert_success
}

@test "full disk at each step: launch (temp dir filled; the cgroup made), snapshot (frozen), restore (layer swapped), import (unpacked)" {
    make_unified "$WORK/i.tar"
    fill_at_step create-populated "launch busybox a1" "start a1"
    fill_at_step start-cgroup-made "launch busybox a2" "start a2"
    assert_equal "$(mc exec a2 -- cat /etc/hostname)" a2
    fill_at_step snapshot-frozen "snapshot a1 s1" "snapshot a1 s2"
    assert_equal "$(status_of a1)" Running
    mc stop a1 --force
    mc config set a1 limits.memory=96MiB
    fill_at_step restore-swapped "restore a1 s2" "start a1"
    assert_equal "$(mc config get a1 limits.memory)" ''
    fill_at_step image-import-unpacked "image import $WORK/i.tar --alias i1" "image import $WORK/i.tar --alias i1"
    mc image verify i1
}

@test "full disk at each step: copy, publish, export, backup import, network create, stop, delete" {
    # (each check is the same operation under a new name: the held one may
    # have got through, its rename needing no space)
    mc launch busybox b1
    fill_at_step copy-populated "copy b1 b2" "copy b1 c2"
    fill_at_step publish-packed "publish b1 --alias p1 --force" "publish b1 --alias q1 --force"
    assert_equal "$(status_of b1)" Running
    mkdir "$DISK/out"
    fill_at_step export-written "export b1 $DISK/out/b1.tar.gz" "export b1 $DISK/out/b1.tar.gz"
    run find "$DISK/out" -mindepth 1
    assert_output "$DISK/out/b1.tar.gz"
    mv "$DISK/out/b1.tar.gz" "$WORK/b1.tar.gz"
    fill_at_step import-unpacked "import $WORK/b1.tar.gz b3" "import $WORK/b1.tar.gz c3"
    fill_at_step network-bridge-made "network create fd0 ipv4.nat=false ipv6.address=none" \
        "network create fd1 ipv4.nat=false ipv6.address=none"
    fill_at_step stop-signalled "stop b1 --force" "start b1"
    fill_at_step delete-renamed "delete --force b1" "launch busybox b9"
    assert_equal "$(mc exec b9 -- cat /etc/hostname)" b9
}
