#!/usr/bin/env bats
# Hostile archives: nothing outside the store is ever written, the error
# names the entry, and no temp directory remains.

load helpers

# evil_base DIR: metadata.yaml + an innocent rootfs in DIR.
evil_base() {
    mkdir -p "$1/rootfs/etc"
    make_metadata "$1"
    echo ok > "$1/rootfs/etc/hostname"
}

assert_rejected_cleanly() {
    assert_failure 1
    run mc image list --format csv
    assert_success
    assert_output ''
    assert_no_debris
}

@test "an entry ../escape is rejected and nothing is written outside" {
    local d=$WORK/e1
    evil_base "$d/in"
    echo original > "$d/escape"
    echo evil > "$d/escape.new"
    # -P keeps the `..` that tar would otherwise strip.
    (cd "$d/in" && tar -cPf "$d/evil.tar" metadata.yaml rootfs \
        --transform='s,^\.\./escape\.new$,../escape,' ../escape.new)
    run tar -tPf "$d/evil.tar"
    assert_line '../escape'
    run mc image import "$d/evil.tar"
    assert_output "minictr: \`$d/evil.tar\`: entry \`../escape\`: path contains \`..\`"
    assert_rejected_cleanly
    assert_equal "$(cat "$d/escape")" original
}

@test "an entry rootfs/../../escape is rejected" {
    local d=$WORK/e2
    evil_base "$d/in"
    echo evil > "$d/in/payload"
    (cd "$d/in" && tar -cPf "$d/evil.tar" metadata.yaml rootfs \
        --transform='s,^payload$,rootfs/../../escape,' payload)
    run mc image import "$d/evil.tar"
    assert_output --partial "entry \`rootfs/../../escape\`: path contains \`..\`"
    assert_rejected_cleanly
    [ ! -e "$MINICTR_DIR/escape" ] && [ ! -e "$MINICTR_DIR/images/escape" ]
}

@test "an absolute path is rejected and the target is untouched" {
    local d=$WORK/e3 target
    evil_base "$d/in"
    target=$BATS_TEST_TMPDIR/victim-$$
    echo evil > "$target"
    (cd "$d/in" && tar -cPf "$d/evil.tar" metadata.yaml rootfs "$target")
    echo original > "$target"
    run mc image import "$d/evil.tar"
    assert_output "minictr: \`$d/evil.tar\`: entry \`$target\`: absolute path"
    assert_rejected_cleanly
    assert_equal "$(cat "$target")" original
}

@test "a symlink to / followed by a file written through it is rejected" {
    local d=$WORK/e4 victim
    victim=$BATS_TEST_TMPDIR/pwned-$$
    evil_base "$d/a"
    ln -s / "$d/a/rootfs/evil"
    mkdir -p "$d/b/rootfs/evil$(dirname "$victim")"
    echo pwned > "$d/b/rootfs/evil$victim"
    (cd "$d/a" && tar -cf "$d/evil.tar" metadata.yaml rootfs)
    (cd "$d/b" && tar -rf "$d/evil.tar" "rootfs/evil${victim}")
    run tar -tvf "$d/evil.tar"
    assert_output --partial "rootfs/evil -> /"
    run mc image import "$d/evil.tar"
    assert_output --partial "entry \`rootfs/evil${victim}\`"
    assert_output --partial "symlink"
    assert_rejected_cleanly
    [ ! -e "$victim" ] || fail "wrote $victim through the symlink"
}

@test "a relative symlink out of the rootfs (rootfs/up -> ../../..) cannot be written through" {
    local d=$WORK/e5
    evil_base "$d/a"
    ln -s ../../.. "$d/a/rootfs/up"
    mkdir -p "$d/b/rootfs/up"
    echo pwned > "$d/b/rootfs/up/pwned-$$"
    (cd "$d/a" && tar -cf "$d/evil.tar" metadata.yaml rootfs)
    (cd "$d/b" && tar -rf "$d/evil.tar" "rootfs/up/pwned-$$")
    run mc image import "$d/evil.tar"
    assert_output --partial "entry \`rootfs/up/pwned-$$\`"
    assert_rejected_cleanly
    run find "$MINICTR_DIR" "$WORK" / -xdev -maxdepth 3 -name "pwned-$$" -not -path "$d/b/*"
    assert_output ''
}

@test "a hardlink to a path outside the image is rejected" {
    local d=$WORK/e6
    evil_base "$d/in"
    echo data > "$d/in/rootfs/a"
    ln "$d/in/rootfs/a" "$d/in/rootfs/b"
    # Rewrite only the hardlink target (flag h) of member rootfs/b.
    (cd "$d/in" && tar -cPf "$d/evil.tar" --sort=name --transform='s,^rootfs/a$,../../etc/passwd,RSh' metadata.yaml rootfs)
    run tar -tvPf "$d/evil.tar"
    assert_output --partial "link to ../../etc/passwd"
    run mc image import "$d/evil.tar"
    assert_output --partial "hardlink \`rootfs/b\`: entry \`../../etc/passwd\`: path contains \`..\`"
    assert_rejected_cleanly
}

@test "metadata.yaml as a symlink to a host file is not read" {
    local d=$WORK/e7
    mkdir -p "$d/in/rootfs"
    ln -s /etc/shadow "$d/in/metadata.yaml"
    (cd "$d/in" && tar -cf "$d/evil.tar" metadata.yaml rootfs)
    run mc image import "$d/evil.tar"
    assert_output "minictr: \`$d/evil.tar\`: metadata.yaml is not a regular file"
    assert_rejected_cleanly
}

@test "a YAML alias bomb in metadata.yaml is refused" {
    local d=$WORK/e8
    mkdir -p "$d/in/rootfs"
    cat > "$d/in/metadata.yaml" <<'Y'
architecture: x86_64
creation_date: 1
properties:
  a: &a ["x","x","x","x","x","x","x","x","x"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]
Y
    (cd "$d/in" && tar -cf "$d/evil.tar" metadata.yaml rootfs)
    run mc image import "$d/evil.tar"
    assert_output "minictr: \`$d/evil.tar\`: metadata.yaml: line 5: YAML aliases are not allowed"
    assert_rejected_cleanly
}

@test "overlayfs' private xattrs are dropped from tarball and squashfs rootfs (the rootfs is an overlay lower layer)" {
    local d=$WORK/e9 fp kind
    mkdir -p "$d/src/rootfs/etc/opaque"
    make_metadata "$d/src"
    setfattr -n trusted.overlay.opaque -v y "$d/src/rootfs/etc/opaque"
    setfattr -n trusted.overlay.redirect -v /etc "$d/src/rootfs/etc/opaque"
    setfattr -n user.overlay.opaque -v y "$d/src/rootfs/etc/opaque"
    setfattr -n user.keep -v me "$d/src/rootfs/etc/opaque"
    tar -C "$d/src" "${TAR_OPTS[@]}" -cf "$d/meta.tar" metadata.yaml templates
    tar -C "$d/src/rootfs" "${TAR_OPTS[@]}" -cf "$d/root.tar" .
    mksquashfs "$d/src/rootfs" "$d/root.sqfs" -noappend -quiet -no-progress >/dev/null
    for kind in root.tar root.sqfs; do
        run getfattr -h -d -m - "$d/src/rootfs/etc/opaque"
        assert_output --partial 'trusted.overlay.opaque'
        fp=$(import_fp "$d/meta.tar" "$d/$kind")
        run getfattr -h -d -m - --absolute-names "$(image_dir "$fp")/rootfs/etc/opaque"
        assert_output --partial 'user.keep="me"'
        refute_output --partial 'overlay'
        mc image delete "$fp"
    done
}

@test "templates: a symlink template is refused at import; one planted in the store is never followed at start" {
    local d=$WORK/tpl-leak fp secret=$WORK/host-secret
    echo "host secret" > "$secret"
    mkdir -p "$d/templates"
    make_rootfs "$d/rootfs"
    cat > "$d/metadata.yaml" <<'META'
architecture: x86_64
creation_date: 1588334400
templates:
  /etc/leak:
    when: [start]
    template: leak.tpl
META
    ln -s "$secret" "$d/templates/leak.tpl"
    tar -C "$d" -cf "$d/evil.tar" metadata.yaml rootfs templates
    run mc image import "$d/evil.tar"
    assert_output "minictr: \`$d/evil.tar\`: template \`leak.tpl\` (for \`/etc/leak\`) is not a regular file in the image"
    assert_rejected_cleanly
    # An image stored before this check, or a store tampered with: the
    # start refuses the template rather than render the host's file.
    rm "$d/templates/leak.tpl"
    echo 'inside {{ container.name }}' > "$d/templates/leak.tpl"
    tar -C "$d" -cf "$d/good.tar" metadata.yaml rootfs templates
    fp=$(import_fp "$d/good.tar")
    mc init "$fp" t1
    ln -sf "$secret" "$(image_dir "$fp")/templates/leak.tpl"
    run mc start t1
    assert_failure 1
    assert_output "minictr: image templates: image template for \`/etc/leak\`: \`templates/leak.tpl\` is a symlink or leads outside"
    assert_equal "$(status_of t1)" Stopped
    run cat "$MINICTR_DIR/containers/t1/upper/etc/leak"
    assert_failure
}

@test "terminal escapes: control characters an image supplies are escaped in table and csv output" {
    local d=$WORK/esc
    make_rootfs "$d/rootfs"
    printf 'architecture: x86_64\ncreation_date: 1588334400\nproperties:\n  description: "evil \\e[31mRED\\e[0m\\r\\u009b2J"\n' > "$d/metadata.yaml"
    tar -C "$d" -cf "$d/esc.tar" metadata.yaml rootfs
    mc image import "$d/esc.tar" --alias esc >/dev/null
    run mc image list
    assert_line --partial '| evil \x1b[31mRED\x1b[0m\x0d\x9b2J |'
    refute_output --partial $'\e'
    refute_output --partial $'\r'
    refute_output --partial $'\u009b'
    run mc image list --format csv
    assert_output --partial ',evil \x1b[31mRED\x1b[0m\x0d\x9b2J,'
    refute_output --partial $'\e'
    # The JSON keeps the exact string, escaped as JSON does.
    run mc image list --format json
    assert_output --partial '"description":"evil \u001B[31mRED\u001B[0m\r'
}
