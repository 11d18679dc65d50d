#!/bin/sh
# shellcheck shell=sh
# /init of the test VM's initramfs (built by tests/vm/run.sh), run by busybox
# sh as PID 1, in two stages:
#
#  1. (in the initramfs) loads the kernel modules listed in /modules/list,
#     mounts the host's root filesystem read-only over 9p at /newroot, gives
#     it writable scratch dirs, /proc, /sys, /dev, a pure cgroup v2 hierarchy
#     with every controller enabled and the two ext4 disks, then
#     switch_root's into it (a chroot would not do: the kernel refuses
#     CLONE_NEWUSER to chrooted processes) and re-executes itself as
#  2. (PID 1 in the host root) runs tests/vm/guest.sh, which leaves bats' TAP
#     and exit status in the "minictrio" 9p share, and powers off.
#
# Only progress and errors go to the console (ttyS0).  Kernel command line:
# minictr.probe=1 only prints the probe marker and powers off (run.sh uses it
# to find out whether KVM works).

VMDIR=/run/minictr-vm # in the new root: tmpfs, made here
IO=$VMDIR/io          # the io share

log() { echo "minictr-vm: $*"; }

halt() {
    sync
    poweroff -f
    echo o >/proc/sysrq-trigger
    sleep 10
}

fatal() {
    log "FATAL: $*"
    halt
}

if [ "${1:-}" = stage2 ]; then
    PATH=$VMDIR/bin
    export PATH
    # The kernel's module autoloader runs modprobe from here too.
    echo "$IO/kmod-helper" >/proc/sys/kernel/modprobe ||
        log "warning: cannot set kernel.modprobe"
    # Sets GUEST_SCRIPT and STATE_DIR (paths as the VM sees them).
    # shellcheck source=/dev/null  # written by run.sh
    . "$IO/init.conf"
    log "booted in $(cut -d' ' -f1 /proc/uptime)s, running the tests"
    cd / || fatal "cd /"
    /usr/bin/env -i \
        PATH=$IO/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb \
        /bin/bash "$GUEST_SCRIPT" "$IO"
    log "guest script exited with status $? after $(cut -d' ' -f1 /proc/uptime)s"
    umount "$STATE_DIR" 2>/dev/null
    halt
fi

PATH=/bin
export PATH
/bin/busybox --install -s /bin

mkdir -p /proc /sys /dev /newroot
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev

case " $(cat /proc/cmdline) " in
*" minictr.probe=1 "*)
    echo "MINICTR-VM-PROBE-OK"
    halt
    ;;
esac

# Modules, dependencies first.  "want" lines are the modules run.sh asked
# for; a failing "dep" (e.g. crc32c-intel on a CPU without SSE4.2) is only
# worth a word if what needs it fails too.
while read -r kind file; do
    if ! err=$(insmod "/modules/$file" 2>&1); then
        case $err in *"File exists"*) continue ;; esac
        [ "$kind" = want ] && log "warning: insmod $file: $err"
    fi
done </modules/list

# The systemd flavour: the root is the VM's own disk (a Debian image,
# tests/vm/mkroot-systemd.sh, written to a qemu snapshot), systemd is PID 1
# and mounts /proc, /sys, cgroup2 and the rest itself; the host's root, the
# io share and the two scratch disks are mounted here, below /run (a tmpfs
# that systemd keeps, being a mount point already) and /mnt/state.
case " $(cat /proc/cmdline) " in
*" minictr.flavour=systemd "*)
    i=0
    while [ ! -b /dev/vdc ] && [ "$i" -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    root_dev=$(findfs LABEL=minictr-sdroot) || fatal "no disk labelled minictr-sdroot"
    mount -t ext4 "$root_dev" /newroot || fatal "cannot mount the root disk"
    mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /newroot/run || fatal "tmpfs /run"
    mkdir -p "/newroot$VMDIR/host" "/newroot$IO"
    mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose \
        hostroot "/newroot$VMDIR/host" || fatal "cannot mount the host root filesystem (9p)"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 \
        minictrio "/newroot$IO" || fatal "cannot mount the io share (9p)"
    # shellcheck source=/dev/null  # written by run.sh
    . "/newroot$IO/init.conf"
    # The kernel's modules, for kmod and udev in the VM.
    mkdir -p /newroot/lib/modules
    mount --bind "/newroot$KMODDIR" /newroot/lib/modules || fatal "bind the kernel's modules"
    state_dev=$(findfs LABEL=minictr-state) || fatal "no disk labelled minictr-state"
    tmp_dev=$(findfs LABEL=minictr-tmp) || fatal "no disk labelled minictr-tmp"
    mount -t ext4 "$state_dev" "/newroot$STATE_DIR" || fatal "cannot mount the state disk"
    mount -t ext4 "$tmp_dev" /newroot/tmp || fatal "cannot mount the /tmp disk"
    chmod 1777 /newroot/tmp
    log "starting systemd after $(cut -d' ' -f1 /proc/uptime)s"
    mount --move /dev /newroot/dev || fatal "move /dev"
    umount /proc /sys
    exec switch_root /newroot /lib/systemd/systemd
    ;;
esac

# Host root, read-only (qemu exports it with readonly=on as well).
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose \
    hostroot /newroot || fatal "cannot mount the host root filesystem (9p)"

# Everything below the host root that the tests must be able to write, or
# that must be the VM's own, is a fresh mount.  run.sh maps host paths that
# these hide to $VMDIR/host/... (see guest_path in run.sh).
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp || fatal "tmpfs /var/tmp"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /newroot/run || fatal "tmpfs /run"
mount -t tmpfs -o mode=0700 tmpfs /newroot/root || fatal "tmpfs /root"
mount -t tmpfs -o mode=0755 tmpfs /newroot/mnt || fatal "tmpfs /mnt"
mkdir -p "/newroot$VMDIR/host" "/newroot$IO" "/newroot$VMDIR/bin"
# A non-recursive bind: the plain 9p view, without the mounts above.
mount --bind /newroot "/newroot$VMDIR/host" || fatal "bind host root"
# Stage 2's shell, independent of what the host has.
cp /bin/busybox "/newroot$VMDIR/bin/busybox"
for applet in sh poweroff sync umount cut sleep; do
    ln -s busybox "/newroot$VMDIR/bin/$applet"
done
cp /init "/newroot$VMDIR/init"

mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 \
    minictrio "/newroot$IO" || fatal "cannot mount the io share (9p)"
[ -r "/newroot$IO/init.conf" ] || fatal "no init.conf in the io share"
# shellcheck source=/dev/null  # written by run.sh
. "/newroot$IO/init.conf"

# The two ext4 disks run.sh made, found by label: the state root and /tmp
# (ext4 rather than tmpfs: tmpfs has no user.* xattrs before Linux 6.6).
# virtio-blk probing may finish after insmod returns.
i=0
while { [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; } && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
state_dev=$(findfs LABEL=minictr-state) || fatal "no disk labelled minictr-state"
tmp_dev=$(findfs LABEL=minictr-tmp) || fatal "no disk labelled minictr-tmp"
mkdir -p "/newroot$STATE_DIR"
mount -t ext4 "$state_dev" "/newroot$STATE_DIR" || fatal "cannot mount the state disk"
mount -t ext4 "$tmp_dev" /newroot/tmp || fatal "cannot mount the /tmp disk"
chmod 1777 /newroot/tmp

mount --move /proc /newroot/proc || fatal "move /proc"
mount --move /sys /newroot/sys || fatal "move /sys"
mount --move /dev /newroot/dev || fatal "move /dev"
cg=/newroot/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot \
    cgroup2 $cg || fatal "cannot mount cgroup2"
read -r controllers <$cg/cgroup.controllers
for c in $controllers; do
    echo "+$c" >$cg/cgroup.subtree_control ||
        log "warning: cannot enable cgroup controller $c"
done
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 \
    devpts /newroot/dev/pts || fatal "devpts"
# What udev would add: bash's process substitution needs /dev/fd.
ln -sf pts/ptmx /newroot/dev/ptmx
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
ln -sf /proc/kcore /newroot/dev/core
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /newroot/dev/shm || fatal "/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue /newroot/dev/mqueue ||
    log "warning: cannot mount mqueue"

hostname minictr-vm
ip link set lo up || log "warning: cannot bring lo up"

exec switch_root /newroot "$VMDIR/bin/sh" "$VMDIR/init" stage2
