#!/usr/bin/env bats
# Many commands at once from a fresh state dir (issue #18): each succeeds
# or fails with one clear line, and the end state is one that some order
# of the same commands, one after the other, could have left.

# (STARTED_PIDS is per test: teardown reads it in the same subshell)
# shellcheck disable=SC2030,SC2031
load helpers

@test "50 parallel launches on a fresh host: all 50 run, each in its own cgroup" {
    local out=$WORK/par i
    import_busybox
    # A fresh state dir has no cgroup parent yet: the launches race to make it.
    [ -z "$(find /sys/fs/cgroup -name "minictr-$(state_id)" 2>/dev/null)" ] || fail "the cgroup parent exists before the first launch"
    for i in $(seq 1 50); do echo "launch busybox p$i"; done | parallel "$out"
    [ "$(succeeded "$out")" -eq 50 ] || fail "$(succeeded "$out")/50 launches succeeded: $(failures "$out")"
    run mc list --format csv -c ns
    assert_success
    [ "$(grep -c ',RUNNING$' <<<"$output")" -eq 50 ] || fail "not 50 RUNNING: $output"
    for i in $(seq 1 50); do
        assert_cpusets_filled "p$i"
        mc exec "p$i" -- true
    done
    for i in $(seq 1 50); do echo "p$i"; done | xargs "$MINICTR_BIN" delete --force
    run mc list --format csv
    assert_output ''
    run host_leftovers
    assert_output ''
}

# Each failure in OUT is one line, `minictr: ...`, after what the command
# printed on its way (`Creating NAME`, `Starting NAME`).
assert_clear_failures() {
    local rc out
    for rc in "$1"/*.rc; do
        [ "$(cat "$rc")" != 0 ] || continue
        out=${rc%.rc}.out
        if [ "$(grep -vcE '^(Creating|Starting) ' "$out")" -ne 1 ] || ! grep -qE '^minictr: .+' "$out"; then
            fail "not one clear line (${rc##*/}): $(cat "$out")"
        fi
    done
}

@test "20 parallel execs into one container all answer" {
    local out=$WORK/par i
    import_busybox
    mc launch busybox c1
    for i in $(seq 1 20); do echo "exec c1 -- cat /etc/hostname"; done | parallel "$out"
    [ "$(succeeded "$out")" -eq 20 ] || fail "$(succeeded "$out")/20 execs succeeded: $(failures "$out")"
    for i in $(seq 1 20); do
        assert_equal "$(cat "$out/$i.out")" c1
    done
}

@test "start, stop, delete --force, snapshot and config set racing on one container: clear errors, a state some order could leave" {
    local out round status
    import_busybox
    for round in 1 2 3 4 5; do
        out=$WORK/par$round
        mc launch busybox c1
        printf '%s\n' "stop c1 --force" "start c1" "snapshot c1 s$round" "config set c1 limits.memory=96MiB" \
            "delete --force c1" "restart c1 --force" "snapshot c1 t$round" "stop c1" "start c1" | parallel "$out"
        assert_clear_failures "$out"
        # The delete either went (and took everything with it) or failed
        # (then the container is whole and works).
        if [ "$(cat "$out/5.rc")" = 0 ]; then
            run mc list --format csv
            assert_output ''
            [ ! -e "$MINICTR_DIR/containers/c1" ] || fail "round $round: c1's dir is left"
            run host_leftovers
            assert_output ''
        else
            status=$(status_of c1)
            case $status in Running | Stopped) ;; *) fail "round $round: c1 is $status" ;; esac
            mc start c1 2>/dev/null || [ "$status" = Running ]
            assert_equal "$(mc exec c1 -- cat /etc/hostname)" c1
            [ "$(cat "$out/4.rc")" != 0 ] || assert_equal "$(mc config get c1 limits.memory)" 96MiB
            [ "$(cat "$out/3.rc")" != 0 ] || mc info c1 | grep -q "s$round" || fail "round $round: snapshot s$round missing"
            mc delete --force c1
            run host_leftovers
            assert_output ''
        fi
    done
}

@test "two imports of one image file and of two files at once: one image each, whole" {
    local out=$WORK/par fp fp2 n
    busybox_image >/dev/null
    cp "$(busybox_image)" "$WORK/a.tar.xz"
    make_unified "$WORK/b.tar"
    printf '%s\n' "image import $WORK/a.tar.xz" "image import $WORK/a.tar.xz" "image import $WORK/b.tar" | parallel "$out"
    assert_clear_failures "$out"
    fp=$(sha256sum "$WORK/a.tar.xz" | cut -d' ' -f1)
    fp2=$(sha256sum "$WORK/b.tar" | cut -d' ' -f1)
    [ "$(cat "$out/3.rc")" = 0 ] || fail "the import of another file failed: $(cat "$out/3.out")"
    # At least one of the two of the same file succeeded; a failure says
    # the image is there already.
    n=$(grep -lx 0 "$out/1.rc" "$out/2.rc" | wc -l)
    [ "$n" -ge 1 ] || fail "both imports of one file failed: $(failures "$out")"
    run mc image list --format json
    assert_success
    assert_equal "$(jq -r '.[].fingerprint[:12]' <<<"$output" | sort)" "$(printf '%s\n' "${fp:0:12}" "${fp2:0:12}" | sort)"
    mc image verify "$fp"
    mc image verify "$fp2"
    assert_no_debris
}

@test "two network creates of one name at once: one network, one clear failure" {
    local out=$WORK/par
    printf '%s\n' "network create pn0 ipv4.nat=false ipv6.address=none" "network create pn0 ipv4.nat=false ipv6.address=none" | parallel "$out"
    [ "$(succeeded "$out")" -eq 1 ] || fail "$(succeeded "$out")/2 creates succeeded: $(failures "$out")"
    assert_clear_failures "$out"
    run mc network list --format csv
    assert_success
    [ "$(grep -c '^pn0,' <<<"$output")" -eq 1 ] || fail "not one pn0: $output"
    mc network delete pn0
}

@test "a launch held after its container is populated, an image delete meanwhile: the delete sees the container and refuses" {
    local fp
    import_busybox
    fp=$(mc image list --format json | jq -r '.[0].fingerprint')
    held create-populated launch busybox x1
    "$MINICTR_BIN" image delete busybox >"$WORK/delete.out" 2>&1 3>&- &
    local dpid=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $dpid"
    blocked_or_gone "$dpid"
    release create-populated
    wait_held
    [ "$HELD_RC" -eq 0 ] || fail "launch x1: $(cat "$WORK/held.out")"
    local drc=0
    wait "$dpid" || drc=$?
    [ "$drc" -ne 0 ] || fail "image delete succeeded: $(cat "$WORK/delete.out")"
    assert_equal "$(cat "$WORK/delete.out")" "minictr: image ${fp:0:12} is in use by: x1"
    assert_equal "$(mc exec x1 -- cat /etc/hostname)" x1
    mc delete --force x1
}

@test "an image delete held after its check, a launch meanwhile: the launch finds no image and leaves nothing" {
    import_busybox
    held image-delete-checked image delete busybox
    "$MINICTR_BIN" launch busybox x1 >"$WORK/launch.out" 2>&1 3>&- &
    local lpid=$!
    export STARTED_PIDS="${STARTED_PIDS:-} $lpid"
    blocked_or_gone "$lpid"
    release image-delete-checked
    wait_held
    [ "$HELD_RC" -eq 0 ] || fail "image delete: $(cat "$WORK/held.out")"
    local lrc=0
    wait "$lpid" || lrc=$?
    [ "$lrc" -ne 0 ] || fail "launch succeeded: $(cat "$WORK/launch.out")"
    assert_equal "$(cat "$WORK/launch.out")" "$(printf '%s\n' "Creating x1" "minictr: image \`busybox\` not found")"
    run mc list --format csv
    assert_output ''
    run find "$MINICTR_DIR/containers" -mindepth 1 -maxdepth 1
    assert_output ''
    run mc image list --format csv
    assert_output ''
}
