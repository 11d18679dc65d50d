#!/bin/bash
# tests/vm/run.sh [BATS_FILE_OR_DIR...]
#
# Runs bats suites inside a throwaway QEMU VM whose only cgroup hierarchy is
# cgroup v2 with every controller enabled.  Default suites:
# tests/integration tests/vm/cgroup2.bats.  Relative paths are taken from the
# repository root (or, failing that, from the current directory).
#
# stdout: exactly the TAP stream bats printed in the VM.  When bats could not
# run at all, a one-test TAP stream whose test is "not ok"; when the VM died
# or timed out mid-run, what bats had printed plus one "not ok" line.
# stderr: progress, the VM's console (prefixed "vm| ") and diagnostics.
# Exit status: bats' own; 2 when the VM could not be built, booted or run,
# 124 on timeout, and never 0 when no test ran.
#
# The VM: Debian's generic kernel (linux-image-amd64, fetched with apt-get
# download and cached in $BUILDDIR/vm/), a busybox initramfs (init.sh, cached
# there too), the host's root filesystem read-only over 9p with tmpfs on
# /var/tmp, /run, /root and /mnt, two fresh sparse ext4 disks at /mnt/state and
# /tmp (not tmpfs: Linux 6.1's has no user.* xattrs), no network card.  Tests
# see MINICTR_BIN, MINICTR_TEST_ENV=vm, CI (if set here),
# MINICTR_TEST_STATE_ROOT=/mnt/state, TMPDIR=BATS_TMPDIR=/tmp, cwd = the repo,
# and BATS_TEST_TIMEOUT when it is set here.
#
# Environment: BUILDDIR (default build), CI, and optionally
#   MINICTR_VM_TIMEOUT   seconds for the whole VM run (default 1500)
#   MINICTR_VM_ACCEL     kvm or tcg (default: kvm if it really boots, else tcg)
#   MINICTR_VM_MEM       guest memory in MiB (default 2048)
#   MINICTR_VM_CPUS      guest CPUs (default 2)
#   BATS_TEST_TIMEOUT    passed on to bats in the VM: seconds per test
#   MINICTR_VM_DISK_SIZE size of each sparse disk, state and /tmp (default 4G)
#   MINICTR_VM_RUN       (systemd flavour) a shell command line run in the
#                        VM from the repository, as root in the logind
#                        session, instead of bats: its output is printed
#                        and its status returned (bench/lifecycle-systemd-vm.sh)
#   MINICTR_VM_VERBOSE   1: the kernel's and systemd's messages on the console
#   MINICTR_VM_FLAVOUR   busybox (default: the above) or systemd: a real host,
#                        booted from a cached Debian bookworm root disk
#                        (tests/vm/mkroot-systemd.sh; written to a qemu
#                        snapshot, so the cache stays clean) with systemd as
#                        PID 1 and pure cgroup v2; bats runs in root's logind
#                        session on the serial console (autologin), the host's
#                        root is at /run/minictr-vm/host (every host path is
#                        seen there).  Suites named *.after-reboot.bats run
#                        after the VM rebooted once, the others before
#                        (tests/vm/guest-systemd.sh merges the TAP).
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
: "${BUILDDIR:=build}"
case $BUILDDIR in
/*) builddir=$BUILDDIR ;;
*) builddir=$repo/$BUILDDIR ;;
esac
cache=$builddir/vm
vm_timeout=${MINICTR_VM_TIMEOUT:-1500}
vm_mem=${MINICTR_VM_MEM:-2048}
vm_cpus=${MINICTR_VM_CPUS:-2}
disk_size=${MINICTR_VM_DISK_SIZE:-4G}
probe_timeout=10
flavour=${MINICTR_VM_FLAVOUR:-busybox}
run_cmd=${MINICTR_VM_RUN:-}
if [ -n "$run_cmd" ] && [ "$flavour" != systemd ]; then
    echo "vm/run.sh: MINICTR_VM_RUN needs MINICTR_VM_FLAVOUR=systemd" >&2
    exit 2
fi
case $flavour in busybox | systemd) ;; *) echo "vm/run.sh: MINICTR_VM_FLAVOUR must be busybox or systemd" >&2; exit 2 ;; esac

# Modules loaded at boot (with their dependencies); the optional ones only
# warn when the kernel lacks them.  The rest can be autoloaded in the VM.
# Networks (network.bats): bridge, veth, nf_tables with the inet family's
# filter and NAT chains and masquerade (the VM has no NIC: nothing leaves it).
required_modules=(virtio_pci virtio_blk 9pnet_virtio 9p ext4 overlay bridge veth nf_tables
                  nft_chain_nat nf_nat nft_masq)
optional_modules=(virtio_rng tun loop squashfs)

# Where the VM sees things (init.sh makes these).
guest_host=/run/minictr-vm/host
guest_state=/mnt/state
# Host directories that the VM covers with its own mounts.
covered_dirs=(/tmp /var/tmp /run /root /mnt /proc /sys /dev)

tmp=
tmp_extra=()
no_reboot=(-no-reboot)
quiet="quiet loglevel=0"
[ "${MINICTR_VM_VERBOSE:-0}" = 1 ] && quiet="loglevel=6 systemd.log_target=console systemd.log_level=info"
qemu_pidfile=
runner_pid=
tap_printed=0

say() { printf 'vm/run.sh: %s\n' "$*" >&2; }

# A failure before bats' TAP: a one-test TAP stream that fails, and exit.
fail() {
    local status=$1
    shift
    say "error: $*"
    if [ "$tap_printed" = 0 ]; then
        printf '1..1\nnot ok 1 - tests/vm/run.sh: %s\n' "$*"
        tap_printed=1
    fi
    exit "$status"
}

# Kills the qemu started by run_qemu (and its timeout) if it still runs.
# shellcheck disable=SC2317  # called from the EXIT trap
stop_vm() {
    local pid=
    [ -n "$runner_pid" ] || return 0
    [ -s "$qemu_pidfile" ] && pid=$(cat "$qemu_pidfile" 2>/dev/null || true)
    case $pid in
    '' | *[!0-9]*) pid= ;;
    *) grep -q '^qemu-system' "/proc/$pid/comm" 2>/dev/null || pid= ;;
    esac
    # timeout passes a TERM on to qemu; a known qemu is killed outright.
    # Either way timeout then reaps it and exits.
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null || true
    else
        kill -TERM "$runner_pid" 2>/dev/null || true
    fi
    local state n=0
    while [ "$n" -lt 50 ]; do
        # Gone, or a zombie that only waits for our wait.
        state=$(cut -d' ' -f3 "/proc/$runner_pid/stat" 2>/dev/null || true)
        case $state in '' | Z) break ;; esac
        sleep 0.1
        n=$((n + 1))
    done
    kill -KILL "$runner_pid" 2>/dev/null || true
    wait "$runner_pid" 2>/dev/null || true
    runner_pid=
}

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
    local d
    stop_vm 2>/dev/null  # no "Killed" job notice
    if [ -n "$tmp" ]; then rm -rf -- "$tmp"; fi
    for d in "${tmp_extra[@]}"; do rm -rf -- "$d"; done
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM
trap 'exit 129' HUP

# POSIX shell quoting (for files sourced by busybox sh and bash).
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# The path under which the VM sees host path $1 (absolute, resolved).
guest_path() {
    local d
    if [ "$flavour" = systemd ]; then
        printf '%s%s\n' "$guest_host" "$1"
        return
    fi
    for d in "${covered_dirs[@]}"; do
        case $1 in
        "$d" | "$d"/*) printf '%s%s\n' "$guest_host" "$1"; return ;;
        esac
    done
    printf '%s\n' "$1"
}

need_tools() {
    local t missing=()
    for t in qemu-system-x86_64 apt-get apt-cache dpkg-deb depmod modprobe \
        cpio gzip mkfs.ext4 truncate timeout sha256sum flock; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [ -x /bin/busybox ] || missing+=(/bin/busybox)
    [ ${#missing[@]} -eq 0 ] ||
        fail 2 "missing tools: ${missing[*]} (run scripts/install-deps.sh test)"
    case $(ldd /bin/busybox 2>&1 || true) in
    *"not a dynamic executable"*) ;;
    *) fail 2 "/bin/busybox is not static (install busybox-static)" ;;
    esac
}

# --- kernel ------------------------------------------------------------------

# Sets kver: the version of the kernel linux-image-amd64 depends on.
resolve_kernel() {
    local pkg='' newest
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        grep -o 'linux-image-[0-9][^ <>]*-amd64' | head -n1) || true
    if [ -z "$pkg" ]; then
        # No package lists: use the cached kernel if there is one.
        newest=$(find "$cache" -maxdepth 2 -name .complete -path '*/kernel-*' \
            2>/dev/null | sort -V | tail -n1)
        if [ -n "$newest" ]; then
            kver=$(basename "$(dirname "$newest")")
            kver=${kver#kernel-}
            say "apt-cache knows no linux-image-amd64; using cached kernel $kver"
            return
        fi
        if [ "$(id -u)" = 0 ]; then
            say "apt-cache knows no linux-image-amd64; running apt-get update"
            apt-get update -qq >&2 || true
            pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                grep -o 'linux-image-[0-9][^ <>]*-amd64' | head -n1) || true
        fi
        [ -n "$pkg" ] || fail 2 "cannot resolve linux-image-amd64 (apt-get update?)"
    fi
    kver=${pkg#linux-image-}
}

# Sets ktree: the unpacked kernel package, with depmod run.
ensure_kernel() {
    ktree=$cache/kernel-$kver
    [ -f "$ktree/.complete" ] && return
    local pkg=linux-image-$kver dl old
    local -a aptopt=()
    [ "$(id -u)" = 0 ] && aptopt=(-o APT::Sandbox::User=root)
    mkdir -p "$cache"
    dl=$(mktemp -d "$cache/.kernel.XXXXXX")
    tmp_extra+=("$dl")
    say "downloading $pkg"
    if ! (cd "$dl" && apt-get download -q "${aptopt[@]}" "$pkg" >&2); then
        if [ "$(id -u)" = 0 ]; then
            say "download failed; running apt-get update and retrying"
            apt-get update -qq >&2 || true
            (cd "$dl" && apt-get download -q "${aptopt[@]}" "$pkg" >&2) ||
                fail 2 "cannot download $pkg"
        else
            fail 2 "cannot download $pkg"
        fi
    fi
    dpkg-deb -x "$dl"/"$pkg"_*.deb "$dl/root" || fail 2 "cannot unpack $pkg"
    [ -f "$dl/root/boot/vmlinuz-$kver" ] || fail 2 "$pkg has no /boot/vmlinuz-$kver"
    depmod -b "$dl/root" "$kver" || fail 2 "depmod failed for $kver"
    rm -rf -- "$ktree"
    mv "$dl/root" "$ktree"
    touch "$ktree/.complete"
    rm -rf -- "$dl"
    # Kernels that linux-image-amd64 no longer points at.
    for old in "$cache"/kernel-*; do
        [ "$old" = "$ktree" ] || rm -rf -- "$old"
    done
}

# --- initramfs ---------------------------------------------------------------

# Sets mods to "want|dep RELPATH" lines: the modules to insmod, dependencies
# first.
module_list() {
    local m line f kind
    local -A seen=()
    local -a want=("${required_modules[@]}")
    mods=
    for m in "${optional_modules[@]}"; do
        if modprobe -d "$ktree" -S "$kver" --show-depends "$m" >/dev/null 2>&1; then
            want+=("$m")
        else
            say "warning: optional module $m is not in kernel $kver; skipped"
        fi
    done
    for m in "${want[@]}"; do
        local deps
        deps=$(modprobe -d "$ktree" -S "$kver" --show-depends "$m" 2>&1) ||
            fail 2 "kernel $kver has no module $m: $deps"
        while read -r line; do
            case $line in
            insmod\ *)
                f=${line#insmod }
                f=${f%% *}
                f=${f#"$ktree/lib/modules/$kver/"}
                [ -n "${seen[$f]:-}" ] && continue
                seen[$f]=1
                kind=dep
                case ${f##*/} in "$m".ko* | "${m//_/-}".ko*) kind=want ;; esac
                mods+="$kind $f"$'\n'
                ;;
            esac
        done <<<"$deps"
    done
}

# Sets initramfs: the cached initramfs, rebuilt when any input changed.
ensure_initramfs() {
    local key stage f name n=0 kind
    module_list
    initramfs=$cache/initramfs-$kver.cpio.gz
    key=$({
        echo "$kver"
        echo "$mods"
        sha256sum "$here/init.sh" "$here/run.sh" /bin/busybox | cut -d' ' -f1
    } | sha256sum | cut -d' ' -f1)
    if [ -f "$initramfs" ] && [ "$(cat "$initramfs.key" 2>/dev/null)" = "$key" ]; then
        return
    fi
    say "building the initramfs"
    stage=$(mktemp -d "$cache/.initramfs.XXXXXX")
    tmp_extra+=("$stage" "$stage.cpio.gz")
    mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
    cp /bin/busybox "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    cp "$here/init.sh" "$stage/init"
    chmod 0755 "$stage/init"
    : >"$stage/modules/list"
    while read -r kind f; do
        n=$((n + 1))
        name=$(printf '%03d-%s' "$n" "${f##*/}")
        name=${name%.xz}
        name=${name%.zst}
        name=${name%.gz}
        case $f in
        *.ko) cp "$ktree/lib/modules/$kver/$f" "$stage/modules/$name" ;;
        *.ko.xz) xz -dc "$ktree/lib/modules/$kver/$f" >"$stage/modules/$name" ;;
        *.ko.zst) zstd -qdc "$ktree/lib/modules/$kver/$f" >"$stage/modules/$name" ;;
        *.ko.gz) gzip -dc "$ktree/lib/modules/$kver/$f" >"$stage/modules/$name" ;;
        *) fail 2 "unknown module format: $f" ;;
        esac
        printf '%s %s\n' "$kind" "$name" >>"$stage/modules/list"
    done < <(printf '%s' "$mods")
    (cd "$stage" && find . -print0 | sort -z |
        cpio --null -o -H newc --quiet -R 0:0 | gzip -1) >"$stage.cpio.gz" ||
        fail 2 "cannot build the initramfs"
    mv "$stage.cpio.gz" "$initramfs"
    printf '%s\n' "$key" >"$initramfs.key"
    rm -rf -- "$stage"
}

# --- the systemd flavour's root disk ----------------------------------------

# Sets sdroot: the cached root disk, rebuilt when its script, the binary's
# libraries or the apt sources changed.
ensure_sdroot() {
    local key bin
    bin=$(realpath -m -- "$builddir/minictr")
    [ -x "$bin" ] || fail 2 "$bin does not exist: build it before a systemd VM run"
    key=$({
        sha256sum "$here/mkroot-systemd.sh" | cut -d' ' -f1
        ldd "$bin" | awk '{ print $1 }'
        cat "$repo/build-gen/sonames.h" 2>/dev/null
        cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1)
    sdroot=$cache/sdroot.img
    if [ -f "$sdroot" ] && [ "$(cat "$sdroot.key" 2>/dev/null)" = "$key" ]; then
        return
    fi
    say "building the systemd VM's root disk (debootstrap, about a minute)"
    rm -f "$sdroot" "$sdroot.key"
    "$here/mkroot-systemd.sh" "$sdroot.new" 3G "$bin" || fail 2 "cannot build the systemd root disk"
    mv "$sdroot.new" "$sdroot"
    printf '%s\n' "$key" >"$sdroot.key"
}

# --- qemu --------------------------------------------------------------------

# run_qemu SECONDS ACCEL APPEND LOG EXTRA_ARGS...
# The console goes to file LOG, or with LOG empty to stderr, prefixed "vm| ".
# Returns qemu's (or timeout's) status.
run_qemu() {
    local secs=$1 accel=$2 append=$3 log=$4 rc=0
    shift 4
    if [ -n "$log" ]; then
        exec 3>"$log"
    else
        exec 3> >(sed -u 's/\r$//; s/^/vm| /' >&2)
    fi
    qemu_pidfile=$tmp/qemu.pid
    rm -f "$qemu_pidfile"
    timeout -k 5 "$secs" qemu-system-x86_64 \
        -name minictr-test-vm -accel "$accel" -m "$vm_mem" -smp "$vm_cpus" \
        -nodefaults -no-user-config -nic none -display none "${no_reboot[@]}" \
        -chardev stdio,id=con,signal=off -serial chardev:con \
        -device virtio-rng-pci -pidfile "$qemu_pidfile" \
        -kernel "$ktree/boot/vmlinuz-$kver" -initrd "$initramfs" \
        -append "console=ttyS0 $quiet panic=-1 mitigations=off $append" \
        "$@" </dev/null >&3 2>&3 &
    runner_pid=$!
    exec 3>&-
    wait "$runner_pid" || rc=$?
    runner_pid=
    rm -f "$qemu_pidfile"
    return "$rc"
}

# Sets accel: kvm when /dev/kvm exists and a VM really boots with it (the
# answer is cached per host boot), else tcg.
pick_accel() {
    local boot_id cached rc=0
    case ${MINICTR_VM_ACCEL:-} in
    kvm | tcg) accel=$MINICTR_VM_ACCEL; return ;;
    '') ;;
    *) fail 2 "MINICTR_VM_ACCEL must be kvm or tcg" ;;
    esac
    accel=tcg
    if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then return 0; fi
    boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
    cached=$(cat "$cache/accel" 2>/dev/null || true)
    if [ "${cached% *}" = "$boot_id" ]; then
        accel=${cached##* }
        return
    fi
    say "probing KVM (up to ${probe_timeout}s)"
    run_qemu "$probe_timeout" kvm minictr.probe=1 "$tmp/probe.log" || rc=$?
    if grep -q MINICTR-VM-PROBE-OK "$tmp/probe.log"; then
        accel=kvm
    else
        say "KVM does not work here (probe status $rc), using TCG"
        grep -i -m3 error "$tmp/probe.log" | sed 's/^/  /' >&2 || true
    fi
    printf '%s %s\n' "$boot_id" "$accel" >"$cache/accel"
}

# --- main --------------------------------------------------------------------

need_tools

# The suites, as the VM sees them.
[ $# -gt 0 ] || set -- tests/integration tests/vm/cgroup2.bats
bats_args=()
for a in "$@"; do
    case $a in
    /*) p=$a ;;
    *) if [ -e "$repo/$a" ]; then p=$repo/$a; else p=$PWD/$a; fi ;;
    esac
    [ -e "$p" ] || fail 2 "no such bats file or directory: $a"
    p=$(realpath -e -- "$p")
    bats_args+=("$(guest_path "$p")")
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/minictr-vm.XXXXXX")
mkdir -p "$tmp/io/bin"
t0=$SECONDS

# One run at a time prepares the cache.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
resolve_kernel
ensure_kernel
ensure_initramfs
[ "$flavour" = systemd ] && ensure_sdroot
pick_accel
exec 9>&-
# Staging dirs of an interrupted build above would otherwise stay behind.
for d in "${tmp_extra[@]}"; do rm -rf -- "$d"; done

for disk in state tmp; do
    truncate -s "$disk_size" "$tmp/$disk.img"
    mkfs.ext4 -q -F -L "minictr-$disk" "$tmp/$disk.img" >&2 ||
        fail 2 "mkfs.ext4 failed"
done

bin=$(realpath -m -- "$builddir/minictr")
[ -x "$bin" ] || say "warning: $bin does not exist (yet)"
{
    printf 'export MINICTR_BIN=%s\n' "$(shq "$(guest_path "$bin")")"
    printf 'export MINICTR_TEST_ENV=vm MINICTR_VM_FLAVOUR=%s\n' "$flavour"
    printf 'export MINICTR_TEST_STATE_ROOT=%s\n' "$(shq "$guest_state")"
    printf 'export TMPDIR=/tmp BATS_TMPDIR=/tmp\n'
    if [ -n "${CI+set}" ]; then printf 'export CI=%s\n' "$(shq "$CI")"; fi
    if [ -n "${BATS_TEST_TIMEOUT:-}" ]; then
        printf 'export BATS_TEST_TIMEOUT=%s\n' "$(shq "$BATS_TEST_TIMEOUT")"
    fi
} >"$tmp/io/env"
: >"$tmp/io/bats-args"
: >"$tmp/io/bats-args-2"
for a in "${bats_args[@]}"; do
    case $flavour:$a in
    systemd:*.after-reboot.bats) printf '%s\0' "$a" >>"$tmp/io/bats-args-2" ;;
    *) printf '%s\0' "$a" >>"$tmp/io/bats-args" ;;
    esac
done
guest_path "$repo" >"$tmp/io/cwd"
printf '%s\n' "$run_cmd" >"$tmp/io/run-cmd"
{
    guest=guest.sh
    [ "$flavour" = systemd ] && guest="guest-systemd.sh"
    printf 'GUEST_SCRIPT=%s\n' "$(shq "$(guest_path "$here/$guest")")"
    printf 'STATE_DIR=%s\n' "$(shq "$guest_state")"
    printf 'KMODDIR=%s\n' "$(shq "$(guest_path "$ktree/lib/modules")")"
} >"$tmp/io/init.conf"
gktree=$(guest_path "$ktree")
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$(shq "$gktree")" >"$tmp/io/bin/modprobe"
cp "$tmp/io/bin/modprobe" "$tmp/io/kmod-helper"
chmod 0755 "$tmp/io/bin/modprobe" "$tmp/io/kmod-helper"

say "booting kernel $kver ($flavour, $accel, ${vm_mem} MiB, $vm_cpus CPUs) after $((SECONDS - t0))s of preparation"
t1=$SECONDS
rc=0
append=
root_drive=()
if [ "$flavour" = systemd ]; then
    # A guest reboot is part of the run; the timeout still bounds it.
    no_reboot=()
    append="minictr.flavour=systemd systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 rd.udev.log_level=0"
    root_drive=(-drive "file=$sdroot,format=raw,if=virtio,snapshot=on")
fi
run_qemu "$vm_timeout" "$accel" "$append" "" "${root_drive[@]}" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap" \
    -virtfs "local,path=$tmp/io,mount_tag=minictrio,security_model=none" \
    -drive "file=$tmp/state.img,format=raw,if=virtio,cache=unsafe" \
    -drive "file=$tmp/tmp.img,format=raw,if=virtio,cache=unsafe" || rc=$?
say "VM finished after $((SECONDS - t1))s (qemu status $rc)"

if [ -n "$run_cmd" ]; then
    cat "$tmp/io/out" 2>/dev/null
    tap_printed=1
    [ -f "$tmp/io/status" ] || { say "error: the VM stopped before the command finished (qemu status $rc)"; exit 2; }
    exit "$(cat "$tmp/io/status")"
fi

if [ -f "$tmp/io/status" ]; then
    status=$(cat "$tmp/io/status")
    case $status in '' | *[!0-9]*) fail 2 "bad exit status from the VM: $status" ;; esac
    [ -s "$tmp/io/tap" ] || fail 2 "bats printed no TAP in the VM (exit status $status)"
    cat "$tmp/io/tap"
    tap_printed=1
    if ! grep -Eq '^(not )?ok ' "$tmp/io/tap"; then
        say "error: bats ran no test (exit status $status)"
        [ "$status" -ne 0 ] || status=2
    fi
    exit "$status"
fi

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    why="the VM timed out after ${vm_timeout}s"
    rc=124
else
    why="the VM stopped before bats finished (qemu status $rc)"
    rc=2
fi
if [ -s "$tmp/io/tap" ]; then
    cat "$tmp/io/tap"
    tap_printed=1
    last=$(grep -Eo '^(not )?ok [0-9]+' "$tmp/io/tap" | grep -Eo '[0-9]+$' | tail -n1 || true)
    [ -n "$(tail -c1 "$tmp/io/tap")" ] && echo
    printf 'not ok %s - tests/vm/run.sh: %s\n' "$((${last:-0} + 1))" "$why"
    say "error: $why"
    exit "$rc"
fi
fail "$rc" "$why"
