# Shared setup for the integration suites: a private state dir per test,
# the real binary, image fixtures built on the fly, cleanup on every path.
# shellcheck shell=bash

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${MINICTR_BIN:?MINICTR_BIN must point at the minictr binary}"

# A private state dir and scratch dir per test.
setup_state() {
    local root=${MINICTR_TEST_STATE_ROOT:-$BATS_TEST_TMPDIR}
    MINICTR_DIR=$(mktemp -d "$root/mc-state.XXXXXX")
    export MINICTR_DIR
    WORK=$BATS_TEST_TMPDIR/work
    mkdir -p "$WORK"
    host_idmap
    record_host_object state "$(state_id)"
    # A host LXCFS (LXD's hosts run one) stays out of the tests; lxcfs.bats
    # starts its own.
    export MINICTR_LXCFS_DIR=$BATS_TEST_TMPDIR/no-lxcfs
}

# tests/run.sh's leftover check looks only at what this run made: the
# state ids, bridges and veths the tests record here (one "KIND NAME" line
# each in $MINICTR_TEST_RECORD), never at the user's own containers.
record_host_object() {
    [ -n "${MINICTR_TEST_RECORD:-}" ] || return 0
    printf '%s %s\n' "$1" "$2" >> "$MINICTR_TEST_RECORD"
}

# ---- the host's id range ----------------------------------------------------

# The range container root maps to, found as minictr finds it
# (runtime/config/idmap.c): the first `root:START:COUNT` line of /etc/subuid
# with COUNT >= 65536 (smaller ones are raw.idmap's allowances, as in
# LXD; /etc/subgid must say the same), else 1000000 with 1000000000 ids.
# Sets IDMAP_BASE and IDMAP_COUNT.
host_idmap() {
    local line
    line=$(awk -F: '$1 == "root" && $3 >= 65536 { print; exit }' /etc/subuid 2>/dev/null) || line=
    if [ -n "$line" ]; then
        IFS=: read -r _ IDMAP_BASE IDMAP_COUNT <<< "$line"
    else
        IDMAP_BASE=1000000 IDMAP_COUNT=1000000000
    fi
    export IDMAP_BASE IDMAP_COUNT
}

# An isolated container gets a block of 65536 ids of the host's range,
# after its first block (LXD's layout).  Tests that need N such blocks say
# so: a host whose range is smaller is a precondition, not a wrong answer.
need_isolated_blocks() {
    if [ "$IDMAP_COUNT" -lt $(( ($1 + 1) * 65536 )) ]; then
        fail "precondition failed: the host's root range $IDMAP_BASE:$IDMAP_COUNT (/etc/subuid) holds fewer than $1 isolated blocks of 65536 ids after its first"
    fi
}

# assert_isolated_block BASE: BASE starts a block of 65536 inside the
# host's range, past the first block.
assert_isolated_block() {
    local b=$1
    if [ "$b" -lt $((IDMAP_BASE + 65536)) ] || [ $((b + 65536)) -gt $((IDMAP_BASE + IDMAP_COUNT)) ] \
           || [ $(( (b - IDMAP_BASE) % 65536 )) -ne 0 ]; then
        fail "isolated base $b is not a block of 65536 inside the host's range $IDMAP_BASE:$IDMAP_COUNT"
    fi
}

# mc_subids SPEC ARGS...: minictr ARGS with /etc/subuid and /etc/subgid
# holding the one line SPEC, in a private mount namespace (a monitor it
# starts stays in that namespace, so the range holds for the container's
# life).  For tests that need a range of their own, whatever the host's.
mc_subids() {
    local spec=$1
    shift
    "$BATS_TEST_DIRNAME/../with-subids.sh" "$spec" "$MINICTR_BIN" "$@"
}

setup() {
    setup_state
}

teardown() {
    # Stop this test's containers, unmount whatever this test mounted
    # (recorded in $MOUNTED), then drop the state dir.  Never touches a
    # mount it did not make.
    local m
    stop_all_containers
    # Cgroups a test made itself (never one it did not make).
    for m in ${CGROUPS_MADE:-}; do
        [ ! -d "$m" ] || rmdir "$m"
    done
    for m in ${MOUNTED:-}; do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    # Loop devices a test attached (losetup -f --show), once unused.
    for m in ${LOOP_DEVICES:-}; do
        losetup -d "$m" 2>/dev/null || true
    done
    # Daemons a test started (by PID, ours only), once what they served
    # is unmounted.
    for m in ${STARTED_PIDS:-}; do
        kill "$m" 2>/dev/null || true
    done
    delete_networks
    rm -rf "$MINICTR_DIR"
}

# Networks (bridges, the nftables table) outlive containers by design:
# delete this state dir's.  `network delete` refuses a network in use,
# and the state dir goes anyway, so its containers and profiles go first.
delete_networks() {
    local n
    [ -d "$MINICTR_DIR/networks" ] || return 0
    rm -rf "$MINICTR_DIR/containers" "$MINICTR_DIR/profiles"
    for n in "$MINICTR_DIR"/networks/*.yaml; do
        [ -e "$n" ] || continue
        n=${n##*/}
        record_host_object link "$(mc network show "${n%.yaml}" | sed -n 's/^interface: //p')"
        mc network delete "${n%.yaml}" >/dev/null
    done
}

# ---- networks (network.bats, security/network.bats) ---------------------------

# The first three octets of a /24 network's address.
net24() {
    mc network get "$1" ipv4.address | cut -d. -f1-3
}

bridge_of() {
    mc network show "$1" | sed -n 's/^interface: //p'
}

# IPv4 address of interface IFACE (default eth0) in container NAME, from list.
addr_of() {
    mc list --format json "$1" | jq -r --arg n "$1" --arg i "${2:-eth0}" \
        '.[] | select(.name == $n) | .state.network[$i].addresses[]? | select(.family == "inet") | .address'
}

host_end() {
    mc list --format json "$1" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state.network.eth0.host_name'
}

# Chains of the host's own firewall that `network check` reports too:
# input or forward hook, policy drop, family ip, inet or bridge (Docker's
# FORWARD policy, a hardened host's input policy).
host_drop_chains() {
    nft -j list chains 2>/dev/null | jq -r '.nftables[] | .chain? // empty
        | select(.policy == "drop" and (.hook == "forward" or .hook == "input")
                 and (.family == "ip" or .family == "inet" or .family == "bridge"))
        | "\(.family) \(.table) \(.name)"'
}

# Traffic between containers and with the host crosses the host's input
# and forward hooks (bridged traffic too, with br_netfilter).  A host
# firewall that drops there by default (Docker sets FORWARD to drop) is
# a precondition the test names, not a wrong answer.
require_open_firewall() {
    local drops
    drops=$(host_drop_chains)
    if [ -n "$drops" ]; then
        fail "precondition failed: the host's firewall drops by default ($(paste -sd, <<< "$drops")," \
             "family table chain), so container traffic cannot pass; minictr network check reports it"
    fi
}

host_ping() {
    /bin/busybox ping -c 1 -W 3 "$1"
}

mc() {
    "$MINICTR_BIN" "$@"
}

# Skips are loud, and under CI a missing requirement is a failure.
require() {
    local what=$1
    shift
    if ! "$@" >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then
            fail "required environment missing under CI: $what"
        fi
        skip "REQUIRES $what"
    fi
}

# A small root tree that exercises every kind of entry the store must keep.
make_rootfs() {
    local r=$1
    mkdir -p "$r"/{bin,etc,dev,tmp,root,srv/deep/er}
    printf '#!/bin/sh\necho hi\n' > "$r/bin/hello"
    chmod 0755 "$r/bin/hello"
    printf '%s\n' "${2:-fixture}" > "$r/etc/hostname"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
    chmod 1777 "$r/tmp"
    chmod 0700 "$r/root"
    ln -s ../bin/hello "$r/bin/relative-link"
    ln -s /etc/passwd "$r/etc/absolute-link"
    printf 'linked\n' > "$r/srv/a"
    ln "$r/srv/a" "$r/srv/b"
    printf 'suid\n' > "$r/bin/suid"
    chmod 4755 "$r/bin/suid"
    printf 'owned\n' > "$r/srv/owned"
    chown 1234:5678 "$r/srv/owned"
    chown 1000:1000 "$r/srv/deep"
    mknod "$r/dev/null" c 1 3
    mknod "$r/dev/loopX" b 7 200
    mkfifo "$r/srv/fifo"
    printf 'x\n' > "$r/srv/deep/er/xattr"
    setfattr -n user.minictr -v hello "$r/srv/deep/er/xattr"
    printf 'cap\n' > "$r/bin/capped"
    setcap cap_net_raw+ep "$r/bin/capped"
    touch -h -d '2020-05-01 12:00:00 UTC' "$r/srv/a" "$r/bin/relative-link"
}

make_metadata() {
    local dir=$1 desc=${2:-fixture image}
    cat > "$dir/metadata.yaml" <<META
architecture: x86_64
creation_date: 1588334400
properties:
  description: $desc
  os: fixture
  release: "1.0"
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
META
    mkdir -p "$dir/templates"
    printf '{{ container.name }}\n' > "$dir/templates/hostname.tpl"
}

# compress NAME: read stdin, write stdout
compress() {
    case $1 in
        none) cat ;;
        gzip) gzip -c -n ;;
        xz) xz -c -T1 ;;
        zstd) zstd -q -c ;;
        bzip2) bzip2 -c ;;
        *) echo "unknown compression $1" >&2; return 1 ;;
    esac
}

TAR_OPTS=(--numeric-owner --xattrs --xattrs-include='*' --sort=name)

# make_unified OUT [COMPRESSION] [DESCRIPTION]
make_unified() {
    local out=$1 comp=${2:-gzip} d
    d=$(mktemp -d "$BATS_TEST_TMPDIR/u.XXXXXX")
    make_metadata "$d" "${3:-fixture image}"
    make_rootfs "$d/rootfs" "${3:-fixture}"
    tar -C "$d" "${TAR_OPTS[@]}" -cf - metadata.yaml rootfs templates | compress "$comp" > "$out"
}

# make_split META ROOTFS [META_COMPRESSION] [ROOTFS_KIND]
#   ROOTFS_KIND: a compression for a tarball, or squashfs-gzip,
#   squashfs-xz (mksquashfs) or tar2sqfs.
make_split() {
    local meta=$1 rootfs=$2 mcomp=${3:-xz} kind=${4:-xz} d
    d=$(mktemp -d "$BATS_TEST_TMPDIR/s.XXXXXX")
    make_metadata "$d"
    make_rootfs "$d/rootfs"
    tar -C "$d" "${TAR_OPTS[@]}" -cf - metadata.yaml templates | compress "$mcomp" > "$meta"
    case $kind in
        squashfs-gzip) mksquashfs "$d/rootfs" "$rootfs" -noappend -quiet -no-progress -comp gzip >/dev/null ;;
        squashfs-xz) mksquashfs "$d/rootfs" "$rootfs" -noappend -quiet -no-progress -comp xz >/dev/null ;;
        tar2sqfs) tar -C "$d/rootfs" "${TAR_OPTS[@]}" -cf - . | tar2sqfs --quiet --force "$rootfs" ;;
        *) tar -C "$d/rootfs" "${TAR_OPTS[@]}" -cf - . | compress "$kind" > "$rootfs" ;;
    esac
    # The tree the rootfs was made from, for tests to compare against.
    export ROOTFS_SRC=$d/rootfs
}

sha256() {
    sha256sum "$@" | cut -d' ' -f1
}

# import_fp ARGS...: import and print the fingerprint minictr reports.
import_fp() {
    mc image import "$@" | sed -n 's/^Image imported with fingerprint: //p'
}

# A listing of a tree with everything the store must keep: type and mode,
# owner, size, link count (hardlinks), rdev, symlink target, mtime for
# non-directories, content hash and xattrs (but minictr's own record of a
# layer's ids, trusted.minictr.*, which is private to the host's store).
tree_listing() {
    local dir=$1
    (
        cd "$dir" || exit 1
        find . -mindepth 1 -printf '%P|%M|%U:%G|%n|%l|' -exec stat -c '%t:%T|%s' {} \; | sort
        find . -mindepth 1 -type f -exec sha256sum {} + | sort -k2
        # Whole seconds: tar headers and squashfs inodes keep no more.
        find . -mindepth 1 -exec stat -c '%n %Y' {} + | sort
        getfattr -R -h -d -m - --absolute-names . 2>/dev/null | grep -v -e '^$' -e '^trusted\.minictr\.' | sort
    )
}

image_dir() {
    echo "$MINICTR_DIR/images/$1"
}

assert_no_debris() {
    run find "$MINICTR_DIR/images" -maxdepth 1 -name '.tmp-*'
    assert_output ''
}

# ---- containers -----------------------------------------------------------

# hostile_rootfs DIR BINARY: what a hostile root puts in a container's
# root DIR to try CVE-2019-5736 on BINARY (tests/probe/hostile-exe.c):
# BINARY's libraries (as its image may well carry them), a library
# preloaded into every program, the writer it starts, and /victim, a
# program that is `#!/proc/self/exe`.  The writer's findings: DIR/result.
hostile_rootfs() {
    local dir=$1 lib
    for lib in $(ldd "$2" | grep -o '/[^ ]*'); do
        mkdir -p "$dir$(dirname "$lib")"
        cp -L "$lib" "$dir$lib"
    done
    cp "$(dirname "$MINICTR_BIN")/tests/hostile-exe.so" "$(dirname "$MINICTR_BIN")/tests/hostile-writer" "$dir/"
    mkdir -p "$dir/etc"
    echo /hostile-exe.so >"$dir/etc/ld.so.preload"
    printf '#!/proc/self/exe\n' >"$dir/victim"
    chmod 0755 "$dir/victim"
}

# The built-in busybox image, built once per test run.
busybox_image() {
    local img=$BATS_RUN_TMPDIR/busybox.tar.xz root
    if [ ! -s "$img" ]; then
        root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
        "$root/scripts/mkimage-busybox.sh" "$img.$$" && mv "$img.$$" "$img"
    fi
    echo "$img"
}

import_busybox() {
    mc image import "$(busybox_image)" --alias busybox >/dev/null
}

# Host PID of a running container's init, from `list --format json`.
init_pid() {
    mc list --format json "$1" | jq -r --arg n "$1" '.[] | select(.name == $n) | .state.pid'
}

status_of() {
    mc list --format json "$1" | jq -r --arg n "$1" '.[] | select(.name == $n) | .status'
}

# Run a command in all of a container's namespaces (until `exec` exists).
in_ctr() {
    local pid
    pid=$(init_pid "$1")
    shift
    nsenter --target "$pid" --all --root --wd=/ "$@"
}

# The run dir and cgroup parent minictr derives from $MINICTR_DIR.
# 64-bit FNV-1a of the canonical path, first 12 hex digits (lib/paths.c);
# bash arithmetic wraps modulo 2^64 as uint64_t does.
state_id() {
    local path h=-3750763034362895579 i c LC_ALL=C
    path=$(realpath "$MINICTR_DIR")
    for ((i = 0; i < ${#path}; i++)); do
        printf -v c '%d' "'${path:i:1}"
        h=$(( (h ^ (c & 255)) * 1099511628211 ))
    done
    printf '%016x' "$h" | cut -c1-12
}

# ctr_cgroups NAME: container NAME's cgroup directories, one per hierarchy,
# wherever minictr put them: PARENT/NAME below the starting command's
# cgroup, or, on a systemd host, payload/NAME in the container's own scope
# (minictr.slice/minictr-ID-NAME.scope; runtime/cgroup/systemd.h).
ctr_cgroups() {
    local id
    id=$(state_id)
    find /sys/fs/cgroup -type d \( -path "*/minictr-$id/$1" -o -path "*/minictr-$id-$1.scope/payload/$1" \) 2>/dev/null
}

# ctr_cgroup2 NAME: the one in the cgroup2 hierarchy.
ctr_cgroup2() {
    local d
    ctr_cgroups "$1" | while read -r d; do
        [ -f "$d/cgroup.subtree_control" ] && echo "$d"
    done | head -n 1
}

# The systemd scopes of state ID's containers (not of its networks).
container_scopes() {
    local s
    for s in /sys/fs/cgroup/minictr.slice/minictr-"$1"-*.scope; do
        # minictr-ID_net-NAME.scope (a network's) does not match this.
        [ -e "$s" ] && echo "$s"
    done
    return 0
}

# Everything a state dir may leave on the host: cgroups, run dir,
# processes, mounts.  Prints nothing when clean.
host_leftovers() {
    local id
    id=$(state_id)
    find /sys/fs/cgroup -maxdepth 3 -name "minictr-$id" 2>/dev/null
    # A container's systemd scope goes once its monitor has left it (a
    # network's dnsmasq scope, minictr-ID_net-NAME.scope, lives as long as
    # the network: teardown deletes it).
    local i
    for ((i = 0; i < 50; i++)); do
        container_scopes "$id" | grep -q . || break
        sleep 0.1
    done
    container_scopes "$id"
    # The run dir, but the files of its networks' dnsmasq (a network
    # outlives containers; teardown deletes it).
    if [ -e "/run/minictr-$id/.networks" ]; then
        find "/run/minictr-$id" -mindepth 1 -path "/run/minictr-$id/.networks" -prune -o -print
    elif [ -e "/run/minictr-$id" ]; then
        find "/run/minictr-$id"
    fi
    grep -h -F "$MINICTR_DIR" /proc/[0-9]*/mountinfo 2>/dev/null | sort -u
    return 0
}

# wait_gone PID: until PID (not our child) has ended.
wait_gone() {
    local _
    for _ in $(seq 600); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    fail "process $1 did not end"
}

# Stop whatever a test left running in its state dir (by PID, ours only).
stop_all_containers() {
    local n running
    [ -d "$MINICTR_DIR/containers" ] || return 0
    running=$(mc list --format json 2>/dev/null) || running='[]'
    # The host ends of their nics, for the leftover check.
    for n in $(jq -r '.[] | .state.network // {} | .[] | .host_name // empty' <<< "$running"); do
        record_host_object link "$n"
    done
    for n in $(jq -r '.[] | select(.status != "Stopped") | .name' <<< "$running"); do
        mc stop --force "$n" >/dev/null 2>&1 || true
    done
}

# install_boot_unit DIR: contrib/systemd/minictr-boot.service as `make
# install` would put it, for this test's state dir and binary, into DIR
# (/run/systemd/system: gone at reboot; /etc/systemd/system: kept); then
# daemon-reload.  systemd hosts only (the systemd VM).
install_boot_unit() {
    local root
    root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    sed -e "s|/usr/local/bin/minictr|$MINICTR_BIN|g" \
        -e "/^\[Service\]/a Environment=MINICTR_DIR=$MINICTR_DIR MINICTR_LXCFS_DIR=$MINICTR_LXCFS_DIR" \
        "$root/contrib/systemd/minictr-boot.service" >"$1/minictr-boot.service"
    systemctl daemon-reload
}

# install_api_units DIR: contrib/systemd/minictr.socket and .service as
# `make install` would put them, for this test's state dir and binary, into
# DIR, and the socket's group (sysusers); then daemon-reload.  systemd
# hosts only (the systemd VM).
install_api_units() {
    local root
    root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    systemd-sysusers "$root/contrib/systemd/minictr.sysusers"
    sed -e "s|/var/lib/minictr|$MINICTR_DIR|g" "$root/contrib/systemd/minictr.socket" >"$1/minictr.socket"
    sed -e "s|/usr/local/bin/minictr|$MINICTR_BIN|g" \
        -e "/^\[Service\]/a Environment=MINICTR_DIR=$MINICTR_DIR MINICTR_LXCFS_DIR=$MINICTR_LXCFS_DIR" \
        "$root/contrib/systemd/minictr.service" >"$1/minictr.service"
    systemctl daemon-reload
}

# ---- systemd images -------------------------------------------------------

# A Debian bookworm image with systemd as init
# (scripts/mkimage-debian-systemd.sh), plus PACKAGEs if given
# (systemd_image python3), built once per checkout and cached in
# build/test-cache, whatever the build dir (the VM reads the host's copy:
# tests/run.sh vm builds it first).
systemd_image() {
    local root cache img suffix=
    root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    cache=${MINICTR_TEST_CACHE:-$root/build/test-cache}
    [ $# -eq 0 ] || suffix=-$(IFS=-; echo "$*")
    img=$cache/debian-systemd$suffix.tar
    if [ ! -s "$img" ]; then
        mkdir -p "$cache" 2>/dev/null \
            || fail "precondition failed: no cached $img, and $cache cannot be written (build it on the host first)"
        "$root/scripts/mkimage-debian-systemd.sh" "$img" "$@" >&2 \
            || fail "precondition failed: the systemd test image could not be built (debootstrap from this machine's Debian mirror)"
    fi
    echo "$img"
}

# wait_systemd NAME: until systemd in NAME answers on its bus, then print
# `systemctl is-system-running --wait` (running, degraded, ...).
wait_systemd() {
    local i
    for ((i = 0; i < 300; i++)); do
        mc exec "$1" -- test -S /run/systemd/private 2>/dev/null && break
        sleep 0.2
    done
    mc exec "$1" -- timeout 300 systemctl is-system-running --wait || true
}

# make_oci_layout DIR: an OCI image layout built locally with umoci (no
# registry, no network) from the built-in busybox image, holding two
# images that share their base layer:
#   base  one layer, the busybox tree; Cmd: a shell loop that says
#         `started` (on the console) and ends on SIGTERM, writing `got TERM`
#         to /tmp/stopped; Env A=b
#   two   base, then a layer that removes /bin/vi, adds /etc/hi, and makes
#         /srv opaque with /srv/new in it; User 1000:1000, WorkingDir /srv,
#         Env GREETING=hello, StopSignal SIGUSR1 (its loop ends on that,
#         writing `got USR1` to /tmp/stopped)
#   named base, User nobody:nogroup (names of the image's /etc/passwd and
#         /etc/group)
make_oci_layout() {
    local dir=$1 src
    src=$(mktemp -d "$BATS_TEST_TMPDIR/oci.XXXXXX")
    mkdir "$src/bb" "$src/top" "$src/top/bin" "$src/top/etc" "$src/top/srv"
    tar -C "$src/bb" -xf "$(busybox_image)"
    tar -C "$src/bb/rootfs" --numeric-owner -cf "$src/base.tar" .
    touch "$src/top/bin/.wh.vi" "$src/top/srv/.wh..wh..opq"
    echo hi >"$src/top/etc/hi"
    echo new >"$src/top/srv/new"
    tar -C "$src/top" --numeric-owner -cf "$src/top.tar" .
    umoci init --layout "$dir"
    umoci new --image "$dir:base"
    umoci raw add-layer --image "$dir:base" "$src/base.tar"
    umoci config --image "$dir:base" --config.cmd /bin/sh --config.cmd=-c \
        --config.cmd 'trap "echo got TERM > /tmp/stopped; exit 0" TERM; echo started; while :; do sleep 1; done' \
        --config.env A=b
    umoci tag --image "$dir:base" two
    umoci raw add-layer --image "$dir:two" "$src/top.tar"
    umoci config --image "$dir:two" --config.user 1000:1000 --config.workingdir /srv --config.env GREETING=hello \
        --config.stopsignal SIGUSR1 --clear=config.cmd --config.cmd /bin/sh --config.cmd=-c \
        --config.cmd 'trap "echo got USR1 > /tmp/stopped; exit 0" USR1; echo started; while :; do sleep 1; done'
    umoci tag --image "$dir:base" named
    umoci config --image "$dir:named" --config.user nobody:nogroup
    rm -rf "$src"
}

# oci_digest DIR NAME: the manifest digest of image NAME in layout DIR.
oci_digest() {
    jq -r --arg n "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
        "$1/index.json"
}

# oci_layers DIR NAME: its layers' digests, base first, one per line.
oci_layers() {
    local m
    m=$(oci_digest "$1" "$2")
    jq -r '.layers[].digest' "$1/blobs/sha256/${m#sha256:}"
}
