#!/usr/bin/env bats
# Issue #12, item 10: which host ids a container's layer is in is
# host-owned state (a trusted.* xattr on the layer's root, which only host
# root can write), not the owner of the layer's root, which container root
# controls: `chown 5:5 /` inside must not make the next start re-shift
# (and so re-own) the whole layer.

load helpers

setup() {
    setup_state
    import_busybox
}

record_of() {
    getfattr --only-values -n trusted.minictr.idmap "$1" 2>/dev/null
}

@test "container root's chown of / does not re-shift its layer: the id record is host-owned and travels with copies" {
    local upper=$MINICTR_DIR/containers/ly1/upper
    require "getfattr (attr)" command -v getfattr
    mc init busybox ly1
    assert_equal "$(record_of "$upper")" "$IDMAP_BASE $IDMAP_COUNT"
    mc start ly1
    mc exec ly1 -- sh -c 'echo x > /root/mark && chown 5:5 /'
    assert_equal "$(stat -c %u "$upper/root/mark")" "$IDMAP_BASE"
    assert_equal "$(stat -c %u:%g "$upper")" "$((IDMAP_BASE + 5)):$((IDMAP_BASE + 5))"
    mc stop --force ly1
    mc start ly1
    # Nothing moved: the file keeps its owner, / keeps what root gave it.
    assert_equal "$(stat -c %u "$upper/root/mark")" "$IDMAP_BASE"
    assert_equal "$(stat -c %u:%g "$upper")" "$((IDMAP_BASE + 5)):$((IDMAP_BASE + 5))"
    run mc exec ly1 -- stat -c %u /root/mark
    assert_output 0
    mc stop --force ly1
    # A copy and a snapshot keep the record with the layer.
    mc snapshot ly1 s0
    mc copy ly1 ly2
    assert_equal "$(record_of "$MINICTR_DIR/containers/ly2/upper")" "$IDMAP_BASE $IDMAP_COUNT"
    assert_equal "$(record_of "$MINICTR_DIR/containers/ly1/snapshots/s0/upper")" "$IDMAP_BASE $IDMAP_COUNT"
    mc start ly2
    run mc exec ly2 -- stat -c %u /root/mark
    assert_output 0
    mc stop --force ly2
}

@test "privileged, then unprivileged again: the record follows each shift" {
    local upper=$MINICTR_DIR/containers/ly3/upper
    require "getfattr (attr)" command -v getfattr
    mc init busybox ly3
    mc start ly3
    mc exec ly3 -- sh -c 'echo x > /root/mark'
    mc stop --force ly3
    mc config set ly3 security.privileged=true
    mc start ly3
    assert_equal "$(record_of "$upper")" "0 4294967295"
    assert_equal "$(stat -c %u "$upper/root/mark")" 0
    mc stop --force ly3
    mc config set ly3 security.privileged=false
    mc start ly3
    assert_equal "$(record_of "$upper")" "$IDMAP_BASE $IDMAP_COUNT"
    assert_equal "$(stat -c %u "$upper/root/mark")" "$IDMAP_BASE"
    mc stop --force ly3
}
