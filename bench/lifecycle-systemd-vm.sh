#!/bin/bash
# bench/lifecycle-systemd-vm.sh: bench/lifecycle.sh, side by side with
# LXC, inside the systemd test VM (tests/vm/run.sh, MINICTR_VM_FLAVOUR=systemd):
# Debian bookworm with systemd as PID 1 and pure cgroup v2, run from root's
# logind session, so every minictr start asks systemd for the container's
# scope over D-Bus while LXC places its cgroups below the session's.  The
# VM runs under TCG here (no nested KVM), so absolute times are many
# times a real host's; the ratios are what this measures (target: launch
# and start <= 1.5x lxc-start -d).
#
#   bench/lifecycle-systemd-vm.sh     (as root; RUNS, default 10, per command)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."
bench_in_systemd_vm "BENCH_NO_BUILD=1 BENCH_LXC_PRIV=0 bench/lifecycle.sh"
