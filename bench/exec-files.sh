#!/bin/bash
# bench/exec-files.sh: exec, file push and file pull of minictr side by
# side with their baselines, in one run, on the same busybox rootfs:
#
#   minictr exec C -- /bin/true      vs  lxc-attach -- /bin/true    (target: ratio <= 1.00)
#   minictr file push 10MiB C/root/f vs  cp 10MiB ROOTFS/root/f     (target: ratio <= 1.50)
#   minictr file pull C/root/f DEST  vs  cp ROOTFS/root/f DEST      (target: ratio <= 1.50)
#
#   bench/exec-files.sh           (run as root; about half a minute)
#
# One running minictr container (private MINICTR_DIR, the built-in busybox
# image from scripts/mkimage-busybox.sh) and one running unprivileged LXC
# container on a copy of the very rootfs minictr unpacked, owned by the
# host ids minictr maps its container root to, configured as Debian's
# templates do (common.conf + userns.conf, lxc.idmap), no network: the
# setup bench/lifecycle.sh uses, shared in bench/lxc.sh.  Both tools'
# cgroups are checked to be below this script's own cgroup before
# measuring.  For reference, issue #4 measured lxc-attach at 4.2 ms and
# LXD's `lxc exec` at 18.5 ms, and LXD's file push and pull of 10 MiB at
# about 50 ms each.
#
# The push and pull baseline is a plain cp of the same file into and out
# of the LXC container's rootfs directory (a directory on the same
# filesystem as minictr's overlay upper layer, both in the work dir).  The
# 10 MiB file is random bytes, read from the page cache; nothing is
# fsync'ed by cp.  Every timed command overwrites the file the previous
# run wrote, on both sides.  The files pulled are compared with the
# original after the runs.
#
# Timings: hyperfine -N --warmup 3 --runs $RUNS, medians; each minictr
# command runs in the same hyperfine run as its baseline.
#
# Environment: RUNS (timed runs per command, >= 5, default 40),
# BENCH_STRICT=1 (exit 1 when a target is missed), BUILDDIR (default
# build).  Otherwise the exit status is 0 whatever the figures, and
# non-zero only when the setup or a command fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lxc.sh
. "$here/lxc.sh"
cd "$here/.."

RUNS=${RUNS:-40}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILDDIR=${BUILDDIR:-build}
file_bytes=$((10 * 1024 * 1024))

case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$RUNS" -ge 5 ] || bench_die "RUNS must be at least 5"

# Work dir, private MINICTR_DIR and lxcpath, and the EXIT trap that
# removes every container, cgroup and file the run makes (bench/lxc.sh).
bench_sbs_setup
minictr=$bench_minictr
work=$bench_sbs_work
lxcpath=$bench_sbs_lxcpath
mc=bench-exec
lxc="lxc-unpriv"
lxc_rootfs=$work/rootfs-unpriv

# ---------------------------------------------------------------- setup

bench_sbs_import_busybox
"$minictr" launch busybox "$mc" >/dev/null
idbase=$(bench_mc_field "$mc" '.config["volatile.idmap.base"] // "1000000"')
case $idbase in '' | *[!0-9]*) bench_die "unexpected volatile.idmap.base '$idbase'" ;; esac
bench_lxc_copy_rootfs "$bench_sbs_rootfs" "$lxc_rootfs" "$idbase"
bench_lxc_write_config "$lxc" "$lxc_rootfs" "$idbase"
bench_lxc_start "$lxc" || bench_die "lxc-start $lxc failed"

# Where both containers and their monitors are: below our own cgroup.
declare -A mem_cg
pid=$(bench_mc_field "$mc" .state.pid)
mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
mem_cg[minictr]=$(bench_check_cgroups "$pid" "$bench_sbs_mc_cgroup") ||
    bench_die "minictr's container is not where its cgroup should be"
bench_check_cgroups "$mon" "" >/dev/null || bench_die "minictr's monitor left our cgroup"
pid=$(lxc-info -P "$lxcpath" -n "$lxc" -pH)
mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
if ! mem_cg[$lxc]=$(bench_check_cgroups "$pid" "$bench_sbs_tag/$lxc/payload") ||
    ! bench_check_cgroups "$mon" "$bench_sbs_tag/$lxc/monitor" >/dev/null; then
    bench_die "LXC did not keep $lxc's cgroups below this script's own cgroup: not measuring it"
fi

# Every command works once, untimed, before anything is measured.
"$minictr" exec "$mc" -- /bin/true || bench_die "minictr exec $mc -- /bin/true failed"
lxc-attach -P "$lxcpath" -n "$lxc" -- /bin/true || bench_die "lxc-attach -n $lxc -- /bin/true failed"
src=$work/file-10MiB
head -c "$file_bytes" /dev/urandom >"$src"
have_file=1
if ! "$minictr" file push --help >/dev/null 2>&1; then
    have_file=0
    bench_log "this minictr has no 'file push': push and pull are not measured"
fi

echo "== minictr vs LXC: exec, and file push/pull of $(bench_mib "$file_bytes") =="
echo "minictr:   $minictr (built $(stat -c %y "$minictr" | cut -d. -f1)), unprivileged"
echo "           (user namespace, idmapped overlay on the image), state in a private MINICTR_DIR"
echo "LXC:       $(lxc-start --version) from Debian ($(dpkg-query -W -f='${Version}' lxc 2>/dev/null || echo '?')):"
echo "           unprivileged (lxc.idmap u/g 0 $idbase 65536, Debian's common.conf + userns.conf)"
echo "           lxc.net.0.type = empty, rootfs dir: a copy of minictr's unpacked image rootfs"
echo "image:     $(tar -xOJf "$bench_sbs_image" metadata.yaml | sed -n 's/^  description: //p'), fingerprint ${bench_sbs_fp:0:12}"
echo "files:     $(bench_mib "$file_bytes") of random bytes; cp into and out of the LXC rootfs dir"
echo "           on $(findmnt -no FSTYPE -T "$work") ($(findmnt -no SOURCE -T "$work"))"
echo "cgroups:   $(bench_cgroup_layout)"
echo "           both tools' cgroups checked to be below this script's own in every"
echo "           hierarchy; in the memory one:"
echo "           this script   $(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
echo "           minictr       ${mem_cg[minictr]}"
printf '           %-13s %s\n' "$lxc" "${mem_cg[$lxc]}"
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:     $(hyperfine --version); --warmup 3 --runs $RUNS, -N (no shell); medians"
echo

# ------------------------------------------------------------ benchmark

# run_pair LABEL MINICTR_CMD BASE_CMD BASE_LABEL: one hyperfine run of both
# commands (split on blanks: no path here has any); sets med_m, med_b.
run_pair() {
    local label=$1 json
    json=$work/hyperfine-${label// /-}.json
    bench_log ""
    bench_log "---- $label ----"
    bench_run hyperfine -N --style basic --warmup 3 --runs "$RUNS" \
        --export-json "$json" -n "minictr $label" "$2" -n "$4" "$3" >&2 ||
        bench_die "hyperfine failed for '$label' (see above)"
    med_m=$(bench_median "$json" 0)
    med_b=$(bench_median "$json" 1)
}

summary=()
missed=0

# report WHAT BASE_WHAT TARGET: a summary line from med_m and med_b.
report() {
    local what=$1 base_what=$2 target=$3 r v line
    r=$(bench_ratio "$med_m" "$med_b")
    v=$(bench_verdict "$r" "$target")
    [ "$v" = met ] || missed=1
    line=$(printf '%-22s %7s ms   %-14s %7s ms   ratio %s   target <= %s: %s' \
        "minictr $what" "$(bench_ms "$med_m")" "$base_what" "$(bench_ms "$med_b")" "$r" "$target" "$v")
    summary+=("$line")
    echo "$line"
}

run_pair exec "$minictr exec $mc -- /bin/true" \
    "lxc-attach -P $lxcpath -n $lxc -- /bin/true" "lxc-attach -- /bin/true ($lxc)"
report exec lxc-attach 1.00

if [ "$have_file" = 1 ]; then
    run_pair "file push" "$minictr file push $src $mc/root/f" \
        "cp $src $lxc_rootfs/root/f" "cp into the LXC rootfs dir"
    report "file push" "cp in" 1.50

    run_pair "file pull" "$minictr file pull $mc/root/f $work/pulled-minictr" \
        "cp $lxc_rootfs/root/f $work/pulled-cp" "cp out of the LXC rootfs dir"
    report "file pull" "cp out" 1.50

    for f in "$work/pulled-minictr" "$work/pulled-cp"; do
        cmp -s -- "$src" "$f" || bench_die "$f differs from the file pushed"
    done
else
    line=$(printf '%-22s not measured: this minictr has no file push/pull' "minictr file push/pull")
    summary+=("$line")
    echo "$line"
fi

echo
echo "== summary (bench/exec-files.sh, RUNS=$RUNS, medians; LXC = $(lxc-start --version) unprivileged) =="
printf '%s\n' "${summary[@]}"
echo "whole script: ${SECONDS} s"
if [ "$missed" = 1 ] && [ "$BENCH_STRICT" = 1 ]; then
    exit 1
fi
exit 0
