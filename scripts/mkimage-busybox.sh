#!/bin/bash
# Build minictr's built-in default image from Debian's busybox-static: a
# unified LXD image (metadata.yaml + rootfs/ + templates/) as a
# reproducible tar.xz.  Same busybox package => same bytes => same
# fingerprint.
#   scripts/mkimage-busybox.sh OUT.tar.xz
set -euo pipefail

out=${1:?usage: mkimage-busybox.sh OUT.tar.xz}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkimage-busybox.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
upstream=${version#*:}
upstream=${upstream%%-*}
# The package's own date keeps the image reproducible.
epoch=$(stat -c %Y "$busybox")

root=$work/rootfs
mkdir -p "$root"/{bin,sbin,etc/init.d,dev,proc,sys,run,tmp,var/log,root,mnt,usr/bin,usr/sbin}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    rel=$(realpath -m --relative-to="$root/$(dirname "$applet")" "$root/bin/busybox")
    ln -sf "$rel" "$root/$applet"
done
ln -sf ../bin/busybox "$root/sbin/init"

cat > "$root/etc/inittab" <<'INITTAB'
::sysinit:/etc/init.d/rcS
::respawn:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
INITTAB
# The runtime sets the hostname (the container's name); rcS only mounts
# what the image wants on top of what the runtime provides.
cat > "$root/etc/init.d/rcS" <<'RCS'
#!/bin/sh
exit 0
RCS
chmod 0755 "$root/etc/init.d/rcS"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'busybox\n' > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$root/etc/hosts"

mkdir -p "$work/templates"
printf '{{ container.name }}\n' > "$work/templates/hostname.tpl"
cat > "$work/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: $epoch
properties:
  description: BusyBox $upstream (Debian busybox-static)
  os: busybox
  release: "$upstream"
templates:
  /etc/hostname:
    when:
      - create
      - copy
    template: hostname.tpl
META

mkdir -p "$(dirname "$out")"
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$epoch" -cf - metadata.yaml rootfs templates \
    | xz -T1 -6 > "$out.tmp"
mv "$out.tmp" "$out"
