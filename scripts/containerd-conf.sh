#!/bin/sh
# containerd-conf.sh DIR: the config of a containerd of one's own (what
# tests/integration/ctr.bats and bench/oci.sh start): its root, state,
# plugin dir and sockets (DIR/c.sock, DIR/c.sock.ttrpc) all in DIR, none
# of the system's containerd; without the CRI plugin, the snapshotters
# that need other filesystems, and tracing.  Written to stdout.
set -eu
[ $# -eq 1 ] || { echo "usage: containerd-conf.sh DIR" >&2; exit 2; }
cat <<TOML
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$1/c.sock"
[ttrpc]
  address = "$1/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$1/opt"
TOML
