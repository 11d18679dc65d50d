#!/usr/bin/env bats
# Import of LXD images: fingerprints, formats detected by content, the
# unpacked tree kept exactly.

load helpers

@test "unified images: the fingerprint is sha256 of the file, for every compression, names without extension" {
    local comp fp
    for comp in none gzip xz zstd bzip2; do
        make_unified "$WORK/image-$comp" "$comp" "image $comp"
        fp=$(import_fp "$WORK/image-$comp" --alias "img-$comp")
        assert_equal "$fp" "$(sha256 "$WORK/image-$comp")"
        [ -d "$(image_dir "$fp")/rootfs/bin" ] || fail "no rootfs for $comp"
    done
    run mc image list --format csv
    assert_success
    assert_equal "$(echo "$output" | wc -l)" 5
}

@test "split images: the fingerprint is sha256 of metadata then rootfs (lab names: ubuntu2004 + ubuntu2004.root)" {
    local kinds=(none gzip xz zstd bzip2) i fp want
    for i in "${!kinds[@]}"; do
        mkdir -p "$WORK/$i"
        make_split "$WORK/$i/ubuntu2004" "$WORK/$i/ubuntu2004.root" "${kinds[$i]}" "${kinds[$(( (i + 1) % 5 ))]}"
        want=$(cat "$WORK/$i/ubuntu2004" "$WORK/$i/ubuntu2004.root" | sha256sum | cut -d' ' -f1)
        fp=$(import_fp "$WORK/$i/ubuntu2004" "$WORK/$i/ubuntu2004.root")
        assert_equal "$fp" "$want"
    done
}

@test "split images with a squashfs rootfs (mksquashfs gzip and xz, tar2sqfs)" {
    local kind fp want
    for kind in squashfs-gzip squashfs-xz tar2sqfs; do
        mkdir -p "$WORK/$kind"
        make_split "$WORK/$kind/meta" "$WORK/$kind/root" xz "$kind"
        want=$(cat "$WORK/$kind/meta" "$WORK/$kind/root" | sha256sum | cut -d' ' -f1)
        fp=$(import_fp "$WORK/$kind/meta" "$WORK/$kind/root" --alias "$kind")
        assert_equal "$fp" "$want"
        run mc image info "$kind"
        assert_success
        assert_line "Fingerprint: $want"
    done
}

@test "a tarball rootfs keeps owners, modes, hardlinks, devices, fifos, symlinks, xattrs and times" {
    local fp
    make_split "$WORK/meta" "$WORK/root" xz zstd
    fp=$(import_fp "$WORK/meta" "$WORK/root")
    tree_listing "$ROOTFS_SRC" > "$WORK/want"
    tree_listing "$(image_dir "$fp")/rootfs" > "$WORK/got"
    run diff -u "$WORK/want" "$WORK/got"
    assert_success
    # Spot-check the listing itself so an empty listing cannot pass.
    run grep -c . "$WORK/want"
    [ "$output" -gt 40 ]
    assert_equal "$(stat -c '%u:%g %a' "$(image_dir "$fp")/rootfs/srv/owned")" "1234:5678 644"
    assert_equal "$(stat -c '%t:%T %F' "$(image_dir "$fp")/rootfs/dev/null")" "1:3 character special file"
    assert_equal "$(stat -c '%i' "$(image_dir "$fp")/rootfs/srv/a")" "$(stat -c '%i' "$(image_dir "$fp")/rootfs/srv/b")"
    assert_equal "$(getcap "$(image_dir "$fp")/rootfs/bin/capped" | awk '{print $2}')" "cap_net_raw=ep"
}

@test "a squashfs rootfs keeps the same attributes as the tarball" {
    local fp
    make_split "$WORK/meta" "$WORK/root" xz squashfs-xz
    fp=$(import_fp "$WORK/meta" "$WORK/root")
    tree_listing "$ROOTFS_SRC" > "$WORK/want"
    tree_listing "$(image_dir "$fp")/rootfs" > "$WORK/got"
    run diff -u "$WORK/want" "$WORK/got"
    assert_success
}

@test "metadata.yaml, templates and the originals are stored; the record is readable YAML" {
    local fp
    make_unified "$WORK/img" xz "stored check"
    fp=$(import_fp "$WORK/img" --alias st)
    cmp "$WORK/img" "$(image_dir "$fp")/orig/image"
    assert_equal "$(cat "$(image_dir "$fp")/templates/hostname.tpl")" "{{ container.name }}"
    run grep -x 'architecture: x86_64' "$(image_dir "$fp")/metadata.yaml"
    assert_success
    run grep -x "fingerprint: $fp" "$(image_dir "$fp")/image.yaml"
    assert_success
    run grep -x '  target: '"$fp" "$MINICTR_DIR/images/aliases.yaml"
    assert_success
}

@test "re-importing an image only adds aliases; an alias naming another image is refused" {
    local fp1 fp2
    make_unified "$WORK/one" gzip "one"
    make_unified "$WORK/two" gzip "two"
    fp1=$(import_fp "$WORK/one" --alias first)
    run mc image import "$WORK/one" --alias again
    assert_success
    assert_output "Image with fingerprint $fp1 already present; aliases updated"
    run mc image alias list --format csv
    assert_output "again,${fp1:0:12},CONTAINER,
first,${fp1:0:12},CONTAINER,"
    run mc image import "$WORK/two" --alias first
    assert_failure 1
    assert_output "minictr: alias \`first\` already names image ${fp1:0:12}"
    fp2=$(sha256 "$WORK/two")
    [ ! -e "$(image_dir "$fp2")" ] || fail "image two was imported anyway"
    assert_no_debris
}

@test "a unique fingerprint prefix resolves; an ambiguous one lists the candidates" {
    local i fp first=() a b
    declare -A seen=()
    # 17 images over 16 hex digits: two must share a first digit.
    for i in $(seq 1 17); do
        make_unified "$WORK/p$i" none "prefix $i"
        fp=$(import_fp "$WORK/p$i")
        first+=("$fp")
        if [ -n "${seen[${fp:0:1}]:-}" ]; then
            a=${seen[${fp:0:1}]}
            b=$fp
            break
        fi
        seen[${fp:0:1}]=$fp
    done
    [ -n "${b:-}" ] || fail "pigeonhole failed?"
    run mc image info "${a:0:1}"
    assert_failure 1
    assert_output --partial "image \`${a:0:1}\` is ambiguous: it matches"
    assert_output --partial "$a"
    assert_output --partial "$b"
    run mc image info "${b:0:20}"
    assert_success
    assert_line "Fingerprint: $b"
}

@test "bad inputs: missing file, directory, garbage, no metadata, no rootfs, bad metadata" {
    run mc image import "$WORK/nope"
    assert_failure 1
    assert_output "minictr: open \`$WORK/nope\`: No such file or directory"

    run mc image import "$WORK"
    assert_failure 1
    assert_output "minictr: \`$WORK\` is a directory, not an OCI image layout (no oci-layout file)"

    head -c 10000 /dev/urandom > "$WORK/garbage"
    run mc image import "$WORK/garbage"
    assert_failure 1
    assert_output --partial "\`$WORK/garbage\`: not a tar archive"

    mkdir -p "$WORK/nometa/rootfs"
    tar -C "$WORK/nometa" -czf "$WORK/nometa.tgz" rootfs
    run mc image import "$WORK/nometa.tgz"
    assert_failure 1
    assert_output "minictr: \`$WORK/nometa.tgz\`: the image has no metadata.yaml"

    mkdir -p "$WORK/noroot"
    make_metadata "$WORK/noroot"
    tar -C "$WORK/noroot" -czf "$WORK/noroot.tgz" metadata.yaml
    run mc image import "$WORK/noroot.tgz"
    assert_failure 1
    assert_output "minictr: \`$WORK/noroot.tgz\`: the image has no rootfs/ directory"

    mkdir -p "$WORK/badmeta/rootfs"
    printf 'architecture: x86_64\n' > "$WORK/badmeta/metadata.yaml"
    tar -C "$WORK/badmeta" -czf "$WORK/badmeta.tgz" metadata.yaml rootfs
    run mc image import "$WORK/badmeta.tgz"
    assert_failure 1
    assert_output "minictr: \`$WORK/badmeta.tgz\`: metadata.yaml: missing required key \`creation_date\`"

    run mc image list --format csv
    assert_output ''
    assert_no_debris
}

@test "the built-in busybox image imports and is reproducible" {
    local root
    root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    "$root/scripts/mkimage-busybox.sh" "$WORK/bb1.tar.xz"
    "$root/scripts/mkimage-busybox.sh" "$WORK/bb2.tar.xz"
    assert_equal "$(sha256 "$WORK/bb1.tar.xz")" "$(sha256 "$WORK/bb2.tar.xz")"
    run mc image import "$WORK/bb1.tar.xz" --alias busybox
    assert_success
    run mc image list --format json
    assert_equal "$(echo "$output" | jq -r '.[0].properties.os')" busybox
    [ -x "$(image_dir "$(sha256 "$WORK/bb1.tar.xz")")/rootfs/bin/busybox" ]
    assert_equal "$(readlink "$(image_dir "$(sha256 "$WORK/bb1.tar.xz")")/rootfs/sbin/init")" ../bin/busybox
}
