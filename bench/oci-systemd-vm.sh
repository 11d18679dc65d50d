#!/bin/bash
# bench/oci-systemd-vm.sh: bench/oci.sh's first part (the runtime alone:
# create + start + delete of a busybox bundle), minictr side by side with
# Debian's crun and runc, inside the systemd test VM (tests/vm/run.sh,
# MINICTR_VM_FLAVOUR=systemd): Debian bookworm, systemd as PID 1, pure
# cgroup v2, where crun runs (Debian's crun 1.8 refuses the hybrid
# development host).  The VM runs under TCG here (no nested KVM), so the
# absolute times are many times a real host's; the ratios are what this
# measures (target: minictr <= 0.80x crun).
#
#   bench/oci-systemd-vm.sh     (as root; RUNS, default 10)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."
bench_in_systemd_vm "BENCH_OCI_PARTS=runtime bench/oci.sh"
