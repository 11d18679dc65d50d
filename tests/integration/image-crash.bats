#!/usr/bin/env bats
# Interrupted and failing imports leave the store consistent.

load helpers

# A ~160 MB uncompressed image: slow enough to be caught mid-import.
make_big_unified() {
    local d
    d=$(mktemp -d "$BATS_TEST_TMPDIR/big.XXXXXX")
    make_metadata "$d"
    mkdir -p "$d/rootfs/data"
    head -c $((160 * 1024 * 1024)) /dev/urandom > "$d/rootfs/data/blob"
    tar -C "$d" -cf "$1" metadata.yaml rootfs templates
    rm -rf "$d"
}

@test "SIGKILL during import: image list stays consistent and the retry succeeds" {
    local pid
    make_big_unified "$WORK/big.tar"
    # The binary itself, not the mc function: $! must be minictr's PID.
    "$MINICTR_BIN" image import "$WORK/big.tar" --alias big &
    pid=$!
    # Wait until the import is visibly under way, then kill it hard.
    for _ in $(seq 1 200); do
        compgen -G "$MINICTR_DIR/images/.tmp-import-*/rootfs" >/dev/null && break
        sleep 0.01
    done
    compgen -G "$MINICTR_DIR/images/.tmp-import-*" >/dev/null || fail "import never started"
    kill -KILL "$pid"
    wait "$pid" || true
    run mc image list --format csv
    assert_success
    assert_output ''
    run mc image alias list --format csv
    assert_output ''
    # The killed import's temp dir was swept by the list above.
    assert_no_debris
    run mc image import "$WORK/big.tar" --alias big
    assert_success
    assert_output "Image imported with fingerprint: $(sha256 "$WORK/big.tar")"
    run mc image verify big
    assert_success
}

@test "a live import's temp dir is not swept by a concurrent command" {
    local pid
    make_big_unified "$WORK/big.tar"
    "$MINICTR_BIN" image import "$WORK/big.tar" &
    pid=$!
    for _ in $(seq 1 200); do
        compgen -G "$MINICTR_DIR/images/.tmp-import-*/rootfs" >/dev/null && break
        sleep 0.01
    done
    run mc image list --format csv
    assert_success
    wait "$pid"
    run mc image list --format csv
    assert_output --regexp "^,$(sha256 "$WORK/big.tar" | cut -c1-12),"
}

@test "a full disk fails the import cleanly, and the retry on a roomier disk succeeds" {
    local small=$BATS_TEST_TMPDIR/small
    mkdir -p "$small"
    mount -t tmpfs -o size=4m tmpfs "$small"
    export MOUNTED="$small"   # teardown unmounts it
    head -c $((8 * 1024 * 1024)) /dev/urandom > "$WORK/blob"
    mkdir -p "$WORK/img/rootfs"
    make_metadata "$WORK/img"
    cp "$WORK/blob" "$WORK/img/rootfs/blob"
    tar -C "$WORK/img" -cf "$WORK/img.tar" metadata.yaml rootfs templates
    MINICTR_DIR=$small/state run mc image import "$WORK/img.tar" --alias full
    assert_failure 1
    assert_output --partial "No space left on device"
    MINICTR_DIR=$small/state run mc image list --format csv
    assert_output ''
    run find "$small/state/images" -mindepth 1 -not -name .lock -not -name aliases.yaml
    assert_output ''
    run mc image import "$WORK/img.tar" --alias full
    assert_success
}

@test "concurrent imports of one image with different aliases give one image with both" {
    local fp
    make_unified "$WORK/img" xz
    fp=$(sha256 "$WORK/img")
    mc image import "$WORK/img" --alias left >/dev/null &
    mc image import "$WORK/img" --alias right >/dev/null &
    wait
    run mc image alias list --format csv
    assert_output "left,${fp:0:12},CONTAINER,
right,${fp:0:12},CONTAINER,"
    run find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -type d
    assert_output "$MINICTR_DIR/images/$fp"
}
