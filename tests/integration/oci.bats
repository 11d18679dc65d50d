#!/usr/bin/env bats
# OCI images (issue #16): layouts and oci-archives built locally with
# Debian's umoci and skopeo, imported with every blob checked, their layers
# stored once and shared, exported back as a layout; corrupt and hostile
# ones refused with nothing kept.

load helpers

setup() {
    setup_state
    if ! command -v umoci >/dev/null || ! command -v skopeo >/dev/null; then
        fail "precondition failed: umoci and skopeo (scripts/install-deps.sh test installs them)"
    fi
    make_oci_layout "$WORK/lay"
}

# The store's layer directories, sorted, on one line.
stored_layers() {
    find "$MINICTR_DIR/images/layers" -mindepth 1 -maxdepth 1 -printf 'sha256:%f\n' 2>/dev/null | sort | tr '\n' ' '
}

@test "OCI layout import: the manifest digest is the fingerprint, layers stored once and shared, whiteouts as overlayfs', info lists the layers" {
    local base two l
    base=$(oci_digest "$WORK/lay" base)
    two=$(oci_digest "$WORK/lay" two)
    run mc image import "$WORK/lay:base" --alias base
    assert_output "Image imported with fingerprint: ${base#sha256:}"
    run mc image import "$WORK/lay:two" --alias two
    assert_output "Image imported with fingerprint: ${two#sha256:}"
    # Two images, two layers: the base one is shared.
    assert_equal "$(stored_layers)" "$(oci_layers "$WORK/lay" two | sort | tr '\n' ' ')"
    assert_equal "$(oci_layers "$WORK/lay" base)" "$(oci_layers "$WORK/lay" two | head -n 1)"
    # The top layer's whiteouts are overlayfs' own.
    l=$(oci_layers "$WORK/lay" two | tail -n 1)
    assert_equal "$(stat -c '%F %t:%T' "$MINICTR_DIR/images/layers/${l#sha256:}/tree/bin/vi")" "character special file 0:0"
    assert_equal "$(getfattr --only-values -n trusted.overlay.opaque "$MINICTR_DIR/images/layers/${l#sha256:}/tree/srv")" y
    assert_equal "$(cat "$MINICTR_DIR/images/layers/${l#sha256:}/tree/srv/new")" new
    [ ! -e "$MINICTR_DIR/images/layers/${l#sha256:}/tree/bin/.wh.vi" ]
    # Each layer's blob is kept byte for byte.
    cmp "$WORK/lay/blobs/sha256/${l#sha256:}" "$MINICTR_DIR/images/layers/${l#sha256:}/blob"
    run mc image info two
    assert_line "Fingerprint: ${two#sha256:}"
    assert_line "Architecture: x86_64"
    assert_line "    - $(oci_layers "$WORK/lay" two | head -n 1) (1.04MiB)"
    assert_line --regexp "^    - $l \([0-9]+B\)$"
    assert_equal "$(mc image list --format csv | cut -d, -f1,2,4 | tr '\n' ' ')" "base,${base:7:12},OCI image two,${two:7:12},OCI image "
    run mc image verify
    assert_output "$(printf '%s: OK\n%s: OK' "${base:7:12}" "${two:7:12}")"
    # The same image as an oci-archive (skopeo's): the same fingerprint.
    skopeo copy --quiet "oci:$WORK/lay:two" "oci-archive:$WORK/two.tar"
    run mc image import "$WORK/two.tar" --alias two-a
    assert_output "Image with fingerprint ${two#sha256:} already present; aliases updated"
    # Launching from one is refused, in one line, leaving nothing.
    run mc launch two c1
    assert_failure
    assert_line "minictr: image ${two:7:12} is an OCI image: launching containers from OCI images is not supported yet (import, list, info, verify, export and delete are)"
    assert_equal "$(mc list --format csv)" ""
}

@test "OCI: an oci-archive imports as its layout does; a layout of several images needs a name; a name that is not there is refused" {
    local two
    two=$(oci_digest "$WORK/lay" two)
    skopeo copy --quiet "oci:$WORK/lay:two" "oci-archive:$WORK/two.tar"
    run mc image import "$WORK/two.tar"
    assert_output "Image imported with fingerprint: ${two#sha256:}"
    run mc image import "$WORK/lay"
    assert_failure
    assert_output "minictr: $WORK/lay: the layout holds 2 images (base, two): name one, as $WORK/lay:NAME"
    run mc image import "$WORK/lay:nope"
    assert_failure
    assert_output "minictr: $WORK/lay:nope: no image \`nope\` in the layout (its images: base, two)"
    run mc image import "$(busybox_image):x"
    assert_failure
    assert_output "minictr: \`$(busybox_image):x\`: not an OCI image (\`:x\` names an image of an OCI layout)"
    mkdir "$WORK/empty"
    run mc image import "$WORK/empty"
    assert_failure
    assert_output "minictr: \`$WORK/empty\` is a directory, not an OCI image layout (no oci-layout file)"
    assert_equal "$(mc image list --format csv | wc -l)" 1
}

@test "OCI export writes a layout skopeo reads (the same digest); delete keeps a shared layer until its last image goes" {
    local base two
    base=$(oci_digest "$WORK/lay" base)
    two=$(oci_digest "$WORK/lay" two)
    mc image import "$WORK/lay:base" --alias base >/dev/null
    mc image import "$WORK/lay:two" --alias two >/dev/null
    mkdir "$WORK/ex"
    run mc image export two "$WORK/ex"
    assert_output "Image exported successfully!"
    assert_equal "$(skopeo inspect "oci:$WORK/ex/${two#sha256:}" | jq -r .Digest)" "$two"
    mc image export two "$WORK/named"
    assert_equal "$(skopeo inspect "oci:$WORK/named" | jq -r '.Layers | length')" 2
    run mc image export two "$WORK/ex"
    assert_failure
    assert_output "minictr: \`$WORK/ex/${two#sha256:}\`: File exists"
    # Deleted, then imported back from its export.
    mc image delete two
    assert_equal "$(stored_layers)" "$(oci_layers "$WORK/lay" base | tr '\n' ' ')"
    run mc image import "$WORK/named" --alias two
    assert_output "Image imported with fingerprint: ${two#sha256:}"
    mc image delete base
    assert_equal "$(stored_layers)" "$(oci_layers "$WORK/lay" two | sort | tr '\n' ' ')"
    mc image delete two
    assert_equal "$(stored_layers)" ""
    run find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ""
}

@test "OCI: a flipped byte in a layer, a missing blob, a layer with ../ entries: refused naming the blob, nothing kept" {
    local two top base_l evil
    two=$(oci_digest "$WORK/lay" two)
    top=$(oci_layers "$WORK/lay" two | tail -n 1)
    base_l=$(oci_layers "$WORK/lay" base)
    # A flipped byte in the top layer.
    cp -a "$WORK/lay" "$WORK/flip"
    printf X | dd of="$WORK/flip/blobs/sha256/${top#sha256:}" bs=1 seek=10 conv=notrunc status=none
    run mc image import "$WORK/flip:two"
    assert_failure
    assert_output --regexp "^minictr: $WORK/flip:two: blob \`$top\` does not match its digest \(its content hashes to sha256:[0-9a-f]{12}\.\.\.\)$"
    # A manifest pointing at a blob that is not there.
    cp -a "$WORK/lay" "$WORK/miss"
    rm "$WORK/miss/blobs/sha256/${base_l#sha256:}"
    run mc image import "$WORK/miss:base"
    assert_failure
    assert_output "minictr: $WORK/miss:base: blob \`$base_l\` is missing"
    # A layer whose tar climbs out with `..`.
    cp -a "$WORK/lay" "$WORK/evil"
    python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../evil"); i.size = 7
t.addfile(i, io.BytesIO(b"gotcha\n")); t.close()' "$WORK/evil.tar"
    umoci tag --image "$WORK/evil:base" bad
    umoci raw add-layer --image "$WORK/evil:bad" "$WORK/evil.tar"
    evil=$(oci_layers "$WORK/evil" bad | tail -n 1)
    run mc image import "$WORK/evil:bad"
    assert_failure
    assert_output "minictr: $WORK/evil:bad: \`layer $evil\`: entry \`../evil\`: path contains \`..\`"
    run find "$MINICTR_DIR" "$WORK" -name evil -type f
    assert_output ""
    # Nothing of any of them was kept: no image, no layer, no temp dir.
    assert_equal "$(mc image list --format csv | wc -l)" 0
    assert_equal "$(stored_layers)" ""
    run find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ""
    # The intact image imports after all that.
    run mc image import "$WORK/lay:two"
    assert_output "Image imported with fingerprint: ${two#sha256:}"
}

@test "OCI: verify re-hashes the stored manifest, config and layer blobs; a changed one marks the image corrupt, and it is not exported" {
    local two top
    two=$(oci_digest "$WORK/lay" two)
    top=$(oci_layers "$WORK/lay" two | tail -n 1)
    mc image import "$WORK/lay:two" --alias two >/dev/null
    printf X | dd of="$MINICTR_DIR/images/layers/${top#sha256:}/blob" bs=1 seek=10 conv=notrunc status=none
    run mc image verify two
    assert_failure
    assert_line "${two:7:12}: FAILED"
    assert_line "minictr: image ${two:7:12} is corrupt: layer ${top:0:19} no longer matches its digest"
    run mc image export two "$WORK/out"
    assert_failure
    assert_output "minictr: image ${two:7:12} failed verification (\`minictr image verify ${two:7:12}\`); it will not be used"
    [ ! -e "$WORK/out" ]
}
