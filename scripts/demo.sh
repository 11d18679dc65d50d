#!/bin/bash
# `make demo`: the main job on a fresh machine, with no network.  Builds the
# built-in default image from Debian's busybox-static, imports it into the
# state directory ($MINICTR_DIR, default /var/lib/minictr) and shows it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDDIR=${BUILDDIR:-build}
export BUILDDIR
# From a fresh machine: compilers and libraries first, then the binary.
"$root/scripts/install-deps.sh" build
make -C "$root" --no-print-directory all
minictr=$root/$BUILDDIR/minictr
image=$root/$BUILDDIR/images/busybox.tar.xz

# Rebuild the image only when busybox-static changed (reproducible bytes).
if [ ! -s "$image" ] || [ /bin/busybox -nt "$image" ]; then
    "$root/scripts/mkimage-busybox.sh" "$image"
fi

run() {
    printf '\n$ minictr %s\n' "$*"
    "$minictr" "$@"
}

run image import "$image" --alias busybox
run image list
run image info busybox
run image verify busybox

# A container from it: launched, inspected, stopped, removed.
name=demo-$$
run launch busybox "$name"
run list
# shellcheck disable=SC2016 # expanded by the container's shell
run exec "$name" -- sh -c 'echo "hello from $(hostname)"; id; ps'
run info "$name"
run stop "$name"
run delete "$name"
