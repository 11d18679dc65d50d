#!/bin/bash
# tests/vm/mkroot-systemd.sh OUT.img SIZE BINARY
#
# The root disk of the systemd test VM (tests/vm/run.sh, flavour
# systemd): Debian bookworm debootstrapped from this machine's apt sources
# (scripts/debian-mirror.sh) with systemd as init, logind and D-Bus, bats
# and the tools the suites use, and the shared libraries BINARY links or
# dlopen()s (their Debian packages, found with dpkg -S on this host, which
# must be bookworm too), made into an ext4 image with `mkfs.ext4 -d` (no
# loop mount).  Set up as a real host, with the test-specific parts kept
# small:
#   - root logs in automatically on the serial console (a logind session,
#     session-1.scope), and its login shell runs the io share's guest
#     script once per boot (tests/vm/guest-systemd.sh);
#   - logind's KillUserProcesses=yes (the stricter choice: what a session
#     leaves behind is killed at logout);
#   - the journal is persistent (a suite reads the boot before a reboot);
#   - timers and units that only cost boot time (apt, man-db, e2scrub,
#     timesyncd, networking) are masked; there is no network card anyway.
# The caller caches the result (about two minutes).
set -euo pipefail

out=${1:?usage: mkroot-systemd.sh OUT.img SIZE BINARY}
size=${2:?usage: mkroot-systemd.sh OUT.img SIZE BINARY}
bin=${3:?usage: mkroot-systemd.sh OUT.img SIZE BINARY}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm
say() { printf 'mkroot-systemd.sh: %s\n' "$*" >&2; }

command -v debootstrap >/dev/null || { say "debootstrap missing (scripts/install-deps.sh test)"; exit 1; }
sonames_h=$here/../../build-gen/sonames.h
[ -r "$sonames_h" ] || { say "$sonames_h missing: build minictr first"; exit 1; }
mirror=$("$here/../../scripts/debian-mirror.sh" "$suite") || { say "no Debian $suite mirror in the apt sources"; exit 1; }

# The sonames the binary needs: those it links (ldd) and those it
# dlopen()s (build-gen/sonames.h).
sonames() {
    ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1 }'
    grep -o '"lib[^"]*\.so[^"]*"' "$sonames_h" | tr -d '"'
}

# The Debian package of one soname of this host's architecture: by the path
# the dynamic linker's cache gives, else by any packaged file of that name
# (a cache that does not list it, or a copy outside dpkg's reach first in
# it, must not drop the package silently).
soname_pkg() {
    local lib=$1 arch path pkg=
    arch=$(dpkg --print-architecture)
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && $NF ~ /^\// { print $NF; exit }')
    if [ -n "$path" ]; then
        pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
    fi
    [ -n "$pkg" ] || pkg=$(dpkg -S "*/$lib" 2>/dev/null || true)
    printf '%s\n' "$pkg" | awk -F': ' -v a="$arch" '$1 ~ (":" a "$") || $1 !~ /:/ { sub(/:.*/, "", $1); print $1; exit }'
}
pkgs=(systemd-sysv udev dbus libpam-systemd kmod procps psmisc util-linux iproute2 nftables
      bats bats-assert bats-support jq curl attr libcap2-bin e2fsprogs busybox-static xz-utils
      gzip zstd bzip2 cpio squashfs-tools strace
      # what minictr runs: dnsmasq for managed networks' DHCP and DNS
      dnsmasq-base
      # tests/integration/ansible.bats: the LXD connection plugin drives minictr
      # (debootstrap resolves no virtual package: python3-cryptography's
      # python3-cffi-backend-api-* come from python3-cffi-backend)
      ansible python3-cffi-backend
      # bench/lifecycle-systemd-vm.sh: LXC beside minictr, timed by hyperfine;
      # bench/oci-systemd-vm.sh: crun and runc beside minictr
      lxc hyperfine crun runc)
mapfile -t libs < <(sonames | sort -u)
[ ${#libs[@]} -gt 0 ] || { say "cannot list the libraries of $bin"; exit 1; }
for lib in "${libs[@]}"; do
    pkg=$(soname_pkg "$lib")
    [ -n "$pkg" ] || { say "no Debian package on this host holds $lib (needed by $bin)"; exit 1; }
    pkgs+=("$pkg")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mkroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
list=$(IFS=,; echo "${pkgs[*]}")
say "debootstrap $suite with ${#pkgs[@]} packages from $mirror"
if ! debootstrap --variant=minbase --include="$list" "$suite" "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1; then
    say "debootstrap failed; last lines of its log:"
    tail -n 5 "$work/debootstrap.log" >&2
    exit 1
fi
# Every library the binary needs is in the root, or the VM would fail each
# test with the loader's error: fail here, naming it.
for lib in "${libs[@]}"; do
    found=$(find "$root/usr/lib" "$root/lib" -maxdepth 2 -name "$lib" -print -quit 2>/dev/null || true)
    [ -n "$found" ] || {
        say "$lib is not in the debootstrapped root; debootstrap said:"
        grep -E '^[WE]:' "$work/debootstrap.log" | tail -n 5 >&2
        exit 1
    }
done
rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/*
echo minictr-sdvm >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
: >"$root/etc/machine-id"
printf '# root is mounted by the initramfs\n' >"$root/etc/fstab"
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d" \
    "$root/etc/systemd/logind.conf.d" "$root/mnt/state" "$root/run" "$root/lib/modules" \
    "$root/var/log/journal"
cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200 %I dumb
UNIT
printf '[Login]\nKillUserProcesses=yes\n' >"$root/etc/systemd/logind.conf.d/minictr-test.conf"
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer \
         e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
         networking.service systemd-networkd.service getty@tty1.service \
         dpkg-db-backup.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$u"
done
cat >"$root/root/.bash_profile" <<'PROFILE'
# The test VM: the serial console's autologin session runs the guest
# script that tests/vm/run.sh put in the io share, once per boot.
if [ "$(tty)" = /dev/ttyS0 ] && [ -r /run/minictr-vm/io/init.conf ] &&
   mkdir /run/minictr-vm/ran 2>/dev/null; then
    . /run/minictr-vm/io/init.conf
    /bin/bash "$GUEST_SCRIPT" /run/minictr-vm/io
fi
PROFILE
say "mkfs.ext4 -d ($size)"
truncate -s "$size" "$work/root.img"
mkfs.ext4 -q -F -L minictr-sdroot -d "$root" "$work/root.img" >&2
mv "$work/root.img" "$out"
