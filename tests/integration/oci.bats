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

# minictr as on a host without idmapped mounts (mount_setattr ENOSYS; ASan
# wants to come first among preloads, and the shim is harmless to it).
mc_no_idmap() {
    local shim
    shim=$(dirname "$MINICTR_BIN")/tests/no_idmap.so
    [ -f "$shim" ] || fail "no $shim (make unit-bins)"
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=$shim "$MINICTR_BIN" "$@"
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
    # Created: the config's time.
    assert_line "    Created: $(date -u -d "$(jq -r .created "$WORK/lay/blobs/sha256/$(jq -r .config.digest "$WORK/lay/blobs/sha256/${two#sha256:}" | cut -c8-)")" '+%Y/%m/%d %H:%M UTC')"
    assert_line "    - $(oci_layers "$WORK/lay" two | head -n 1) (1.04MiB)"
    assert_line --regexp "^    - $l \([0-9]+B\)$"
    assert_equal "$(mc image list --format csv | cut -d, -f1,2,4 | tr '\n' ' ')" "base,${base:7:12},base two,${two:7:12},two "
    run mc image verify
    assert_output "$(printf '%s: OK\n%s: OK' "${base:7:12}" "${two:7:12}")"
    # The same image as an oci-archive (skopeo's): the same fingerprint.
    skopeo copy --quiet "oci:$WORK/lay:two" "oci-archive:$WORK/two.tar"
    run mc image import "$WORK/two.tar" --alias two-a
    assert_output "Image with fingerprint ${two#sha256:} already present; aliases updated"
}

# The console log (\r\n as \n) after `info --show-log`'s Log: line.
console_log() {
    mc info --show-log "$1" | sed -n '/^Log:/,$p' | tail -n +3 | tr -d '\r'
}

# Wait until NAME's PID 1 catches signal SIGNUM (its shell has set its
# trap: a stop sent before would end it untrapped).
wait_trapped() {
    local _ mask
    for _ in $(seq 100); do
        mask=$(mc exec "$1" -- sed -n 's/^SigCgt:\t*//p' /proc/1/status 2>/dev/null || true)
        [ -n "$mask" ] && (( (16#$mask >> ($2 - 1)) & 1 )) && return 0
        sleep 0.05
    done
    fail "PID 1 of $1 never caught signal $2"
}

# PID 1's command line, its words one per line.
pid1_cmdline() {
    mc exec "$1" -- cat /proc/1/cmdline | tr '\0' '\n'
}

@test "OCI launch: the image's process is PID 1 with its Env, WorkingDir and User over the stacked layers; exec gets the Env; stop sends its StopSignal" {
    mc image import "$WORK/lay:two" --alias two >/dev/null
    run mc launch two o1
    assert_success
    assert_equal "$(status_of o1)" Running
    # The image's Cmd, as its user, in its working directory, with its Env.
    assert_equal "$(pid1_cmdline o1)" "$(printf '/bin/sh\n-c\ntrap "echo got USR1 > /tmp/stopped; exit 0" USR1; echo started; while :; do sleep 1; done')"
    assert_equal "$(mc exec o1 -- sh -c 'grep -E "^(Uid|Gid):" /proc/1/status' | tr -s '\t' ' ')" \
        "$(printf 'Uid: 1000 1000 1000 1000\nGid: 1000 1000 1000 1000')"
    assert_equal "$(mc exec o1 -- readlink /proc/1/cwd)" /srv
    assert_equal "$(mc exec o1 -- sh -c 'tr "\0" "\n" < /proc/1/environ | sort')" \
        "$(printf 'A=b\nGREETING=hello\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')"
    # The layers, stacked: a whiteout hides, an opaque directory replaces.
    run mc exec o1 -- ls /bin/vi
    assert_failure
    assert_equal "$(mc exec o1 -- cat /etc/hi)" hi
    assert_equal "$(mc exec o1 -- ls /srv)" new
    # exec: LXD's defaults, the image's Env over them, environment.* over that.
    # shellcheck disable=SC2016
    assert_equal "$(mc exec o1 -- sh -c 'echo $A $GREETING')" "b hello"
    mc config set o1 environment.GREETING=set
    # shellcheck disable=SC2016
    assert_equal "$(mc exec o1 -- sh -c 'echo $GREETING')" set
    # stop: the image's StopSignal, on which its loop ends.
    wait_trapped o1 10
    mc stop o1
    assert_equal "$(status_of o1)" Stopped
    assert_equal "$(console_log o1 | head -n 1)" started
    assert_equal "$(mc file pull o1/tmp/stopped -)" "got USR1"
    run mc image delete two
    assert_failure
    assert_output "minictr: image $(mc image list two --format csv | cut -d, -f2) is in use by: o1"
}

@test "OCI launch -- COMMAND replaces Cmd; oci.entrypoint; oci.init=system runs /sbin/init; Incus's oci.* keys; SIGTERM by default; privileged; snapshot, copy and publish" {
    mc image import "$WORK/lay:base" --alias base >/dev/null
    mc launch base o2 -- sleep 1000 >/dev/null
    assert_equal "$(pid1_cmdline o2)" "$(printf 'sleep\n1000')"
    assert_equal "$(mc config get o2 oci.cmd)" '["sleep","1000"]'
    mc launch base o3 -c 'oci.entrypoint=/bin/sleep 999' >/dev/null
    assert_equal "$(pid1_cmdline o3)" "$(printf '/bin/sleep\n999')"
    mc launch base o4 -c oci.init=system >/dev/null
    # (busybox's init names itself `init`)
    assert_equal "$(pid1_cmdline o4)" init
    run mc config set o4 oci.init=other
    assert_failure
    assert_output "minictr: invalid value \`other\` for \`oci.init\`: expected app or system"
    # Incus's keys: oci.entrypoint=/sbin/init is a system container (its
    # stop is init's: SIGPWR); oci.cwd, oci.uid and oci.gid.
    mc launch base o11 -c oci.entrypoint=/sbin/init >/dev/null
    assert_equal "$(pid1_cmdline o11)" init
    mc stop o11
    assert_equal "$(status_of o11)" Stopped
    mc launch base o12 -c oci.cwd=/tmp -c oci.uid=1000 -c oci.gid=1001 >/dev/null
    assert_equal "$(mc exec o12 -- readlink /proc/1/cwd)" /tmp
    assert_equal "$(mc exec o12 -- sh -c 'grep -E "^(Uid|Gid):" /proc/1/status' | tr -s '\t' ' ')" \
        "$(printf 'Uid: 1000 1000 1000 1000\nGid: 1001 1001 1001 1001')"
    run mc config set o12 oci.uid=x
    assert_failure
    # oci.uid alone keeps the group the image's User resolves to.
    mc image import "$WORK/lay:named" --alias named >/dev/null
    mc launch named o13 -c oci.uid=1000 >/dev/null
    assert_equal "$(mc exec o13 -- sh -c 'grep -E "^(Uid|Gid):" /proc/1/status' | tr -s '\t' ' ')" \
        "$(printf 'Uid: 1000 1000 1000 1000\nGid: 65534 65534 65534 65534')"
    # The entrypoint as a JSON list, spaced, is Incus's system container too.
    mc launch base o14 -c 'oci.entrypoint=[ "/sbin/init" ]' >/dev/null
    assert_equal "$(pid1_cmdline o14)" init
    mc delete -f o11 o12 o13 o14
    # A command is for OCI images only.
    import_busybox
    run mc launch busybox o5 -- sh
    assert_failure
    assert_line "minictr: oci.cmd: image $(mc image list busybox --format csv | cut -d, -f2) is not an OCI image (a command after \`--\`, and oci.* keys, are for OCI images)"
    run mc list -c n --format csv
    refute_line o5
    # The default stop signal of an image's process is SIGTERM.
    mc launch base o6 >/dev/null
    wait_trapped o6 15
    mc stop o6
    assert_equal "$(mc file pull o6/tmp/stopped -)" "got TERM"
    # A User by name: the image's own /etc/passwd and /etc/group say who.
    mc image import "$WORK/lay:named" --alias named >/dev/null
    mc launch named o10 >/dev/null
    assert_equal "$(mc exec o10 -- sh -c 'grep -E "^(Uid|Gid):" /proc/1/status' | tr -s '\t' ' ')" \
        "$(printf 'Uid: 65534 65534 65534 65534\nGid: 65534 65534 65534 65534')"
    mc delete -f o10
    # Privileged: the layers as they are.
    mc launch base o7 -c security.privileged=true >/dev/null
    assert_equal "$(mc exec o7 -- cat /proc/self/uid_map | tr -s ' ')" " 0 0 4294967295"
    mc exec o7 -- test -x /bin/vi
    # Snapshots, copies and publish work as for system containers.
    mc exec o2 -- sh -c 'echo one > /root/x'
    mc snapshot o2 s0
    mc exec o2 -- sh -c 'echo two > /root/x'
    mc stop -f o2
    mc restore o2 s0
    mc copy o2 o8
    mc start o8
    assert_equal "$(mc exec o8 -- cat /root/x)" one
    assert_equal "$(pid1_cmdline o8)" "$(printf 'sleep\n1000')"
    mc stop -f o8
    run mc publish o8 --alias pub
    assert_success
    mc launch pub o9 >/dev/null
    assert_equal "$(pid1_cmdline o9)" init
    assert_equal "$(mc exec o9 -- cat /root/x)" one
    mc delete -f o2 o3 o4 o6 o7 o8 o9
}

@test "OCI: an oci-archive imports as its layout does; a layout of several images needs a name; a name that is not there is refused" {
    local two
    two=$(oci_digest "$WORK/lay" two)
    skopeo copy --quiet "oci:$WORK/lay:two" "oci-archive:$WORK/two.tar"
    run mc image import "$WORK/two.tar"
    assert_output "Image imported with fingerprint: ${two#sha256:}"
    run mc image import "$WORK/lay"
    assert_failure
    assert_output "minictr: $WORK/lay: the layout holds 3 images (base, two, named): name one, as $WORK/lay:NAME"
    run mc image import "$WORK/lay:nope"
    assert_failure
    assert_output "minictr: $WORK/lay:nope: no image \`nope\` in the layout (its images: base, two, named)"
    run mc image import "$(busybox_image):x"
    assert_failure
    assert_output "minictr: \`$(busybox_image):x\`: not an OCI image or a docker-archive (\`:x\` names an image in one)"
    mkdir "$WORK/empty"
    run mc image import "$WORK/empty"
    assert_failure
    assert_output "minictr: \`$WORK/empty\` is a directory, not an OCI image layout (no oci-layout file)"
    assert_equal "$(mc image list --format csv | wc -l)" 1
}

@test "docker-archive import (skopeo's, what podman save writes): a tag picked by PATH:TAG, layers checked against the config's diff_ids, launched as any OCI image; a corrupt one refused, nothing kept" {
    local fp top
    skopeo copy --quiet "oci:$WORK/lay:two" "docker-archive:$WORK/d.tar:localhost/two:latest"
    mkdir "$WORK/d"
    tar -C "$WORK/d" -xf "$WORK/d.tar"
    top=$(jq -r '.[0].Layers[1]' "$WORK/d/manifest.json")
    run mc image import "$WORK/d.tar" --alias dtwo
    assert_success
    fp=$(mc image list dtwo --format csv | cut -d, -f2)
    assert_output --regexp "^Image imported with fingerprint: ${fp}[0-9a-f]{52}$"
    # Its description is its tag; its layers are its diff_ids.
    assert_equal "$(mc image list dtwo --format csv | cut -d, -f4)" localhost/two:latest
    run mc image info dtwo
    assert_line "    - sha256:${top%.tar} (10.00KiB)"
    assert_equal "$(stored_layers)" "$(jq -r '.rootfs.diff_ids[]' "$WORK/d/$(jq -r '.[0].Config' "$WORK/d/manifest.json")" | sort | tr '\n' ' ')"
    run mc image verify dtwo
    assert_output "$fp: OK"
    # Launched as the OCI layout's image is: its Cmd, its user, its layers.
    mc launch dtwo d1
    assert_equal "$(mc exec d1 -- sh -c 'grep ^Uid: /proc/1/status' | tr -s '\t' ' ')" "Uid: 1000 1000 1000 1000"
    assert_equal "$(mc exec d1 -- cat /etc/hi)" hi
    run mc exec d1 -- ls /bin/vi
    assert_failure
    mc delete -f d1
    mc image delete dtwo
    # Two images in one archive: a tag (podman's localhost/ and :latest
    # may be left out) picks one.
    jq '. + [.[0] | .RepoTags = ["example.org/other:1"]]' "$WORK/d/manifest.json" >"$WORK/m" && mv "$WORK/m" "$WORK/d/manifest.json"
    tar -C "$WORK/d" -cf "$WORK/d2.tar" .
    run mc image import "$WORK/d2.tar"
    assert_failure
    assert_output "minictr: \`$WORK/d2.tar\` holds 2 images: name one as \`$WORK/d2.tar:TAG\` (it has: localhost/two:latest, example.org/other:1)"
    run mc image import "$WORK/d2.tar:nope"
    assert_failure
    assert_output "minictr: \`$WORK/d2.tar:nope\`: no image tagged \`nope\` in the archive (it has: localhost/two:latest, example.org/other:1)"
    run mc image import "$WORK/d2.tar:two" --alias dtwo
    assert_output --regexp "^Image imported with fingerprint: $fp"
    assert_equal "$(mc image list dtwo --format csv | cut -d, -f4)" two
    mc image delete dtwo
    # Docker 25 writes an OCI layout beside manifest.json, with bare tags
    # (`latest`) as its ref names: the RepoTags are what is matched.
    printf '{"imageLayoutVersion": "1.0.0"}' >"$WORK/d/oci-layout"
    printf '{"schemaVersion": 2, "manifests": [{"annotations": {"org.opencontainers.image.ref.name": "latest"}}]}' \
        >"$WORK/d/index.json"
    tar -C "$WORK/d" -cf "$WORK/d3.tar" .
    run mc image import "$WORK/d3.tar:example.org/other:1" --alias dtwo
    assert_output --regexp "^Image imported with fingerprint: $fp"
    mc image delete dtwo
    rm "$WORK/d/oci-layout" "$WORK/d/index.json"
    # A flipped byte in a layer: refused naming it, nothing kept.
    printf 'X' | dd of="$WORK/d/$top" bs=1 seek=600 conv=notrunc status=none
    tar -C "$WORK/d" -cf "$WORK/bad.tar" .
    run mc image import "$WORK/bad.tar:two"
    assert_failure
    assert_output --regexp "^minictr: \`$WORK/bad.tar:two\`: layer \`$top\` does not match its diff_id sha256:${top:0:12}\.\.\. \(its content hashes to sha256:[0-9a-f]{12}\.\.\.; a compressed layer is not a docker-archive's\)$"
    assert_equal "$(mc image list --format csv | wc -l)" 0
    assert_equal "$(stored_layers)" ""
    run find "$MINICTR_DIR/images" -mindepth 1 -maxdepth 1 -name '.tmp-*'
    assert_output ""
}

@test "OCI without idmapped mounts: each layer gets one shifted copy, shared, whiteouts kept; the stack behaves the same" {
    local l top
    mc image import "$WORK/lay:two" --alias two >/dev/null
    mc_no_idmap launch two w1 >/dev/null
    mc_no_idmap launch two w2 >/dev/null
    # One copy per layer and id map, beside the layer's tree.
    for l in $(oci_layers "$WORK/lay" two); do
        run find "$MINICTR_DIR/images/layers/${l#sha256:}" -maxdepth 1 -name 'shifted-*'
        assert_output "$MINICTR_DIR/images/layers/${l#sha256:}/shifted-$IDMAP_BASE-$IDMAP_COUNT"
    done
    l=$(oci_layers "$WORK/lay" two | head -n 1)
    assert_equal "$(stat -c %u "$MINICTR_DIR/images/layers/${l#sha256:}/shifted-$IDMAP_BASE-$IDMAP_COUNT/bin/busybox")" "$IDMAP_BASE"
    assert_equal "$(stat -c %u "$MINICTR_DIR/images/layers/${l#sha256:}/tree/bin/busybox")" 0
    top=$MINICTR_DIR/images/layers/$(oci_layers "$WORK/lay" two | tail -n 1 | cut -c8-)/shifted-$IDMAP_BASE-$IDMAP_COUNT
    assert_equal "$(stat -c '%F %t:%T' "$top/bin/vi")" "character special file 0:0"
    assert_equal "$(getfattr --only-values -n trusted.overlay.opaque "$top/srv")" y
    # Inside: the same stack, the same process, the same user.
    assert_equal "$(mc exec w1 -- cat /etc/hi)" hi
    run mc exec w2 -- ls /bin/vi
    assert_failure
    assert_equal "$(mc exec w1 -- stat -c %u /bin/busybox)" 0
    assert_equal "$(mc exec w2 -- sh -c 'grep ^Uid: /proc/1/status' | tr -s '\t' ' ')" "Uid: 1000 1000 1000 1000"
    assert_equal "$(stat -c %u "/proc/$(init_pid w2)")" $((IDMAP_BASE + 1000))
    # The copies go with their layers.
    mc delete -f w1 w2
    mc image delete two
    assert_equal "$(stored_layers)" ""
}

@test "OCI: an image of 12 layers launches, idmapped and shifted (overlayfs gets each layer on its own, past fsconfig's 255 bytes)" {
    local i
    umoci tag --image "$WORK/lay:base" many
    for i in $(seq 1 11); do
        mkdir -p "$WORK/l$i/etc"
        echo "$i" >"$WORK/l$i/etc/layer"
        tar -C "$WORK/l$i" --numeric-owner -cf "$WORK/l$i.tar" .
        umoci raw add-layer --image "$WORK/lay:many" "$WORK/l$i.tar"
    done
    mc image import "$WORK/lay:many" --alias many >/dev/null
    assert_equal "$(mc image info many | grep -c '^    - sha256:')" 12
    mc launch many m1 -- sleep 1000 >/dev/null
    assert_equal "$(mc exec m1 -- cat /etc/layer)" 11
    mc_no_idmap launch many m2 -- sleep 1000 >/dev/null
    assert_equal "$(mc exec m2 -- cat /etc/layer)" 11
    mc delete -f m1 m2
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
