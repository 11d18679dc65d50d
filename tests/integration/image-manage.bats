#!/usr/bin/env bats
# list / info / show / export / verify / delete / aliases.

load helpers

@test "image list: LXD's table, csv, and JSON with LXD's field names" {
    local fp size
    make_unified "$WORK/img" xz "list me"
    fp=$(import_fp "$WORK/img" --alias one --alias two)
    size=$(stat -c %s "$WORK/img")
    run mc image list
    assert_success
    assert_line --index 1 --regexp '^\| +ALIAS +\| FINGERPRINT  \| PUBLIC \| DESCRIPTION \| ARCHITECTURE \|   TYPE    \| +SIZE +\| +UPLOAD DATE +\|$'
    assert_line --index 3 --regexp "^\| one \(1 more\) \| ${fp:0:12} \| no     \| list me     \| x86_64       \| CONTAINER \| [0-9.]+KiB \| [A-Z][a-z]{2} [0-9]+, 20[0-9]{2} at [0-9]+:[0-9]{2}[ap]m \(UTC\) \|$"

    run mc image list --format csv
    assert_output --regexp "^one \(1 more\),${fp:0:12},no,list me,x86_64,CONTAINER,[0-9.]+KiB,\"[^\"]+\"$"

    run mc image list --format json
    assert_success
    assert_equal "$(echo "$output" | jq -r '.[0].fingerprint')" "$fp"
    assert_equal "$(echo "$output" | jq -r '[.[0].aliases[].name] | join(",")')" "one,two"
    assert_equal "$(echo "$output" | jq -r '.[0].architecture')" x86_64
    assert_equal "$(echo "$output" | jq -r '.[0].size')" "$size"
    assert_equal "$(echo "$output" | jq -r '.[0].properties.description')" "list me"
    assert_equal "$(echo "$output" | jq -r '.[0].created_at')" "2020-05-01T12:00:00Z"
    assert_equal "$(echo "$output" | jq -r '.[0].type')" container
    assert_equal "$(echo "$output" | jq -r '.[0].public')" false
    echo "$output" | jq -e '.[0].uploaded_at | test("^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")'

    run mc image list --format yaml
    assert_line "- fingerprint: $fp"
    assert_line "  size: $size"
}

@test "image list filters by alias or fingerprint prefix and by property" {
    make_unified "$WORK/a" gzip "alpha"
    make_unified "$WORK/b" gzip "beta"
    import_fp "$WORK/a" --alias alpine >/dev/null
    import_fp "$WORK/b" --alias bookworm >/dev/null
    run mc image list --format csv al
    assert_output --regexp '^alpine,'
    run mc image list --format csv description=beta
    assert_output --regexp '^bookworm,'
    run mc image list --format csv nothing-matches
    assert_output ''
}

@test "image info and show" {
    local fp
    make_unified "$WORK/img" gzip "info me"
    fp=$(import_fp "$WORK/img" --alias inf)
    run mc image info inf
    assert_success
    assert_line --index 0 "Fingerprint: $fp"
    assert_line "Architecture: x86_64"
    assert_line "    Created: 2020/05/01 12:00 UTC"
    assert_line "    Expires: never"
    assert_line "    description: info me"
    assert_line "    - inf"
    run mc image show "${fp:0:8}"
    assert_success
    assert_line "fingerprint: $fp"
    assert_line "- name: inf"
}

@test "image export gives byte-identical files (unified, split tarball, split squashfs)" {
    local fp mfp sfp
    make_unified "$WORK/u.tar.zst" zstd
    fp=$(import_fp "$WORK/u.tar.zst")
    mkdir "$WORK/out1"
    run mc image export "${fp:0:12}" "$WORK/out1"
    assert_success
    assert_output "Image exported successfully!"
    cmp "$WORK/u.tar.zst" "$WORK/out1/$fp.tar.zst"

    make_split "$WORK/m" "$WORK/r" gzip xz
    mfp=$(import_fp "$WORK/m" "$WORK/r")
    mkdir "$WORK/out2"
    mc image export "$mfp" "$WORK/out2"
    cmp "$WORK/m" "$WORK/out2/meta-$mfp.tar.gz"
    cmp "$WORK/r" "$WORK/out2/$mfp.tar.xz"

    mkdir "$WORK/sq"
    make_split "$WORK/sq/m" "$WORK/sq/r" xz squashfs-gzip
    sfp=$(import_fp "$WORK/sq/m" "$WORK/sq/r")
    # A non-directory target names the file; the rootfs goes to TARGET.root.
    mc image export "$sfp" "$WORK/ubuntu2004"
    cmp "$WORK/sq/m" "$WORK/ubuntu2004"
    cmp "$WORK/sq/r" "$WORK/ubuntu2004.root"
    # And what was exported imports again to the same fingerprint.
    mc image delete "$sfp"
    assert_equal "$(import_fp "$WORK/ubuntu2004" "$WORK/ubuntu2004.root")" "$sfp"
}

@test "image verify catches one flipped byte; the image is then neither exported nor usable" {
    local fp orig
    make_unified "$WORK/img" gzip
    fp=$(import_fp "$WORK/img" --alias v)
    run mc image verify
    assert_success
    assert_output "${fp:0:12}: OK"
    orig=$(image_dir "$fp")/orig/image
    # Flip the bits of one byte in the middle of the stored original.
    local off=$(( $(stat -c %s "$orig") / 2 )) byte
    byte=$(od -An -tu1 -j "$off" -N1 "$orig" | tr -d ' ')
    printf '%b' "\\$(printf '%03o' $(( 255 - byte )))" | dd of="$orig" bs=1 seek="$off" conv=notrunc status=none
    run mc image verify v
    assert_failure 1
    assert_line "${fp:0:12}: FAILED"
    assert_line --partial "minictr: image ${fp:0:12} is corrupt: its stored files hash to"
    mkdir "$WORK/out"
    run mc image export v "$WORK/out"
    assert_failure 1
    assert_output --partial "failed verification"
    run ls -A "$WORK/out"
    assert_output ''
    run grep -x '  status: corrupt' "$(image_dir "$fp")/image.yaml"
    assert_success
}

@test "image delete removes the image and its aliases; unknown images are errors" {
    local fp
    make_unified "$WORK/img" gzip
    fp=$(import_fp "$WORK/img" --alias gone --alias gone2)
    run mc image delete gone
    assert_success
    [ ! -e "$(image_dir "$fp")" ]
    run mc image alias list --format csv
    assert_output ''
    run mc image delete gone
    assert_failure 1
    assert_output "minictr: image \`gone\` not found"
    assert_no_debris
}

@test "image delete is refused while a container uses the image" {
    local fp
    make_unified "$WORK/img" gzip
    fp=$(import_fp "$WORK/img" --alias used)
    mkdir -p "$MINICTR_DIR/containers/web1"
    printf 'config:\n  volatile.base_image: %s\n' "$fp" > "$MINICTR_DIR/containers/web1/config.yaml"
    run mc image delete used
    assert_failure 1
    assert_output "minictr: image ${fp:0:12} is in use by: web1"
    [ -d "$(image_dir "$fp")/rootfs" ]
    rm -r "$MINICTR_DIR/containers/web1"
    run mc image delete used
    assert_success
}

@test "image alias create, list, rename, delete, and their errors" {
    local fp
    make_unified "$WORK/img" gzip
    fp=$(import_fp "$WORK/img")
    run mc image alias create web "${fp:0:6}" --description "web server"
    assert_success
    run mc image alias list --format csv
    assert_output "web,${fp:0:12},CONTAINER,web server"
    run mc image alias list --format json
    assert_equal "$(echo "$output" | jq -r '.[0].target')" "$fp"
    run mc image alias create web "$fp"
    assert_failure 1
    assert_output "minictr: alias \`web\` already exists (it names image ${fp:0:12})"
    run mc image alias create bad/name "$fp"
    assert_failure 2
    assert_output --partial "invalid alias \`bad/name\`"
    run mc image alias create x nosuchimage
    assert_failure 1
    assert_output "minictr: image \`nosuchimage\` not found"
    run mc image alias rename web www
    assert_success
    run mc image info www
    assert_line "Fingerprint: $fp"
    run mc image alias delete web
    assert_failure 1
    assert_output "minictr: alias \`web\` not found"
    run mc image alias delete www
    assert_success
    run mc image alias list --format csv
    assert_output ''
}
