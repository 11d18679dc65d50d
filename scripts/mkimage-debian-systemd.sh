#!/bin/bash
# Build a Debian bookworm image whose init is systemd, as a unified LXD
# image tarball (metadata.yaml + rootfs/ + templates/), for the tests that
# boot systemd in a container (tests/integration/systemd.bats).
#   scripts/mkimage-debian-systemd.sh OUT.tar [PACKAGE...]
# debootstrap (minbase, plus systemd-sysv, dbus and procps) from this machine's
# Debian mirror (scripts/debian-mirror.sh), tidied as published LXD images
# are: no .debs or apt lists, an empty /dev, an empty /etc/resolv.conf (no
# host nameserver ever reaches a test container), /etc/hostname from a
# template.  PACKAGEs are added to the debootstrap (python3 for the Ansible
# test).  Takes about a minute; callers cache the result.
set -euo pipefail

out=${1:?usage: mkimage-debian-systemd.sh OUT.tar [PACKAGE...]}
shift
include=systemd-sysv,dbus,procps
for p in "$@"; do include+=",$p"; done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm
command -v debootstrap >/dev/null || { echo "mkimage-debian-systemd.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
mirror=$("$here/debian-mirror.sh" "$suite") || { echo "mkimage-debian-systemd.sh: no Debian $suite mirror in the apt sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
if ! debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" \
        > "$work/debootstrap.log" 2>&1; then
    echo "mkimage-debian-systemd.sh: debootstrap failed; last lines of its log:" >&2
    tail -n 5 "$work/debootstrap.log" >&2
    exit 1
fi
rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/* "${root:?}"/dev/*
: > "$root/etc/resolv.conf"
: > "$root/etc/hostname"
mkdir -p "$work/templates"
printf '{{ container.name }}\n' > "$work/templates/hostname.tpl"
cat > "$work/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: Debian $suite with systemd${1:+ and $*} (minictr test image)
  os: debian
  release: $suite
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
META
tar -C "$work" --numeric-owner --xattrs --xattrs-include='*' -cf "$out.tmp" metadata.yaml rootfs templates
mv "$out.tmp" "$out"
