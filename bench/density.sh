#!/bin/bash
# bench/density.sh: many containers on one host (issue #17).
#
#   DENSITY_N=1000 bench/density.sh      (run as root; the full run)
#   bench/density.sh                     (DENSITY_N=200, what `make bench` runs)
#
# One run, in this order:
#   1. LXC from Debian, for the first DENSITY_LXC_N (200) of the curve:
#      `lxc-start -d` of as many unprivileged busybox containers, one after
#      the other, each timed until RUNNING (lxc-wait), then all stopped.
#   2. minictr: `minictr launch` of DENSITY_N busybox containers one after
#      the other, each timed.  At N = 10, 100 and DENSITY_N: `list` (table
#      and --format json) and `info` of the first (hyperfine medians), and
#      the launch of one more container, deleted again (median); at
#      N = 10 and DENSITY_N: `exec -- true` into the first, and at the end
#      into the last.  Then the host memory per idle container, `exec --
#      true` into every one (each must answer), and one `delete --force`
#      of them all, timed.
#   3. minictr again with a nic on a managed network (a bridge, no NAT, no
#      DNS upstream, no IPv6): the same launches, `list`, delete.
#
# Memory per idle container: the PSS of every monitor and init
# (smaps_rollup), and the kernel's share, the growth of Slab,
# KernelStack and PageTables in /proc/meminfo from before the first
# launch to 2 s after the last, divided by N.
#
# Output in DENSITY_OUT (default bench/results): density.csv (n, then the
# launch latency in ms of minictr, minictr with a nic, LXC) and
# density.png (gnuplot), and the figures and targets on stdout.
#
# The state dir is on a fresh ext4 (a loop-mounted sparse file), so that
# no mount option of the host's own filesystem (online discard, say)
# weighs on the deletes.  Every container, network, cgroup, mount and file
# the run made is removed on every exit path, Ctrl-C included.
#
# Environment: DENSITY_N (>= 10, default 200), DENSITY_LXC_N (default
# min(200, N); 0 leaves LXC out), DENSITY_NIC=0 (leave run 3 out), RUNS
# (hyperfine runs per figure, default 10), DENSITY_PROBES (launches of one
# more container at N = 10, 100 and N, default 20), DENSITY_OUT, BENCH_STRICT=1
# (exit 1 when a target is missed), BUILDDIR.
set -euo pipefail
# $EPOCHREALTIME and awk's numbers with a decimal point, whatever the locale.
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lxc.sh
. "$here/lxc.sh"
cd "$here/.."

N=${DENSITY_N:-200}
RUNS=${RUNS:-10}
PROBES=${DENSITY_PROBES:-20}
NIC=${DENSITY_NIC:-1}
BENCH_STRICT=${BENCH_STRICT:-0}
OUT=${DENSITY_OUT:-bench/results}
case $N in '' | *[!0-9]*) bench_die "DENSITY_N must be a number" ;; esac
case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
case $PROBES in '' | *[!0-9]* | 0) bench_die "DENSITY_PROBES must be a number > 0" ;; esac
[ "$N" -ge 10 ] || bench_die "DENSITY_N must be at least 10"
[ "$RUNS" -ge 3 ] || bench_die "RUNS must be at least 3"
LXC_N=${DENSITY_LXC_N:-$((N < 200 ? N : 200))}
case $LXC_N in '' | *[!0-9]*) bench_die "DENSITY_LXC_N must be a number" ;; esac
[ "$LXC_N" -le "$N" ] || bench_die "DENSITY_LXC_N must not exceed DENSITY_N"
# One bridge takes at most 1024 ports.
[ "$NIC" = 0 ] || [ "$N" -le 1000 ] || bench_die "DENSITY_N over 1000 needs DENSITY_NIC=0 (one bridge, 1024 ports)"
command -v gnuplot >/dev/null || bench_die "gnuplot is missing (scripts/install-deps.sh bench)"

bench_sbs_setup
minictr=$bench_minictr
work=$bench_sbs_work
state=$bench_sbs_state
net=
mc() { "$minictr" "$@"; }

# The EXIT trap: the containers all at once (one delete), the network,
# then what bench_sbs_cleanup removes (LXC, cgroups, the work dir and the
# scratch filesystem under it).
# shellcheck disable=SC2317  # the EXIT trap
density_cleanup() {
    local names name
    set +e
    bench_stop_run
    if [ -d "$state/containers" ]; then
        mapfile -t names < <(find "$state/containers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n')
        # All at once; should one of them stop that, one by one.
        if [ "${#names[@]}" -gt 0 ] && ! mc delete --force "${names[@]}" >/dev/null 2>&1; then
            for name in "${names[@]}"; do
                [ ! -d "$state/containers/$name" ] || mc delete --force "$name" >/dev/null 2>&1 ||
                    bench_log "cleanup: delete --force $name failed"
            done
        fi
    fi
    [ -z "$net" ] || [ ! -f "$state/networks/$net.yaml" ] || mc network delete "$net" >/dev/null ||
        bench_log "cleanup: could not delete network $net"
    bench_sbs_cleanup
}
trap density_cleanup EXIT

if bench_scratch_fs "$state" $((16 << 30)); then
    fs_note="a fresh ext4 on a loop device"
else
    fs_note="the host's own filesystem (no loop device here)"
fi
bench_sbs_import_busybox
mkdir -p "$OUT"
csv=$OUT/density.csv
lat_mc=$work/lat-minictr
lat_nic=$work/lat-nic
lat_lxc=$work/lat-lxc
: >"$lat_mc"
: >"$lat_nic"
: >"$lat_lxc"

ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'; }
# median and mean of the lines FROM..TO of a file of numbers
median_of() { sed -n "$2,$3p" "$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# hf VAR CMDLINE [RUNS]: the hyperfine median (ms) of CMDLINE, warm, in
# VAR.  From the main shell (bench_run: Ctrl-C stops hyperfine at once).
hf() {
    local json=$work/hf.json
    bench_run hyperfine -N --warmup 3 --runs "${3:-$RUNS}" --export-json "$json" "$2" >/dev/null 2>&1 ||
        bench_die "hyperfine failed: $2"
    printf -v "$1" '%s' "$(bench_ms "$(bench_median "$json" 0)")"
}
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# ---------------------------------------------------------------- 1. LXC

if [ "$LXC_N" -gt 0 ]; then
    # Same rootfs, shifted to the host ids minictr maps its container root
    # to (the first container's volatile.idmap.base), one copy per
    # container, made before the timing starts.
    mc init busybox probe >/dev/null
    idbase=$(bench_mc_field probe '.config["volatile.idmap.base"] // "1000000"')
    mc delete probe >/dev/null
    case $idbase in '' | *[!0-9]*) bench_die "unexpected volatile.idmap.base '$idbase'" ;; esac
    bench_log "LXC: $LXC_N containers (copies of the rootfs, then lxc-start -d each)..."
    bench_lxc_copy_rootfs "$bench_sbs_rootfs" "$work/rootfs-lxc" "$idbase"
    for i in $(seq "$LXC_N"); do
        mkdir -p "$work/lxcroot"
        cp -a "$work/rootfs-lxc" "$work/lxcroot/l$i"
        bench_lxc_write_config "l$i" "$work/lxcroot/l$i" "$idbase"
    done
    for i in $(seq "$LXC_N"); do
        t0=$EPOCHREALTIME
        bench_lxc_start "l$i" || bench_die "lxc-start of l$i failed"
        ms_since "$t0" >>"$lat_lxc"
    done
    bench_log "LXC: stopping them..."
    for i in $(seq "$LXC_N"); do bench_lxc_stop "l$i"; done
    rm -rf --one-file-system -- "$work/lxcroot"
fi

# ------------------------------------------------------------ 2. minictr

declare -A list_ms json_ms info_ms probe_ms
exec1_ms_10='' exec1_ms_n='' execn_ms=''
# The launch of one more container (deleted again) at this N, PROBES
# times, median: beside the curve, a figure taken at one moment, which
# drift of the machine over the run does not move.
probe() {
    local k t0
    : >"$work/probe"
    for k in $(seq "$PROBES"); do
        t0=$EPOCHREALTIME
        mc launch busybox probe >/dev/null || bench_die "launch of the probe failed"
        ms_since "$t0" >>"$work/probe"
        mc delete --force probe >/dev/null || bench_die "delete of the probe failed"
    done
    median_of "$work/probe" 1 "$PROBES"
}
checkpoint() {
    local n=$1 v
    probe_ms[$n]=$(probe)
    hf v "$minictr list"
    list_ms[$n]=$v
    hf v "$minictr list --format json"
    json_ms[$n]=$v
    # (a few ms each: more runs, for a median that a stray ms leaves alone)
    hf v "$minictr info d1" $((RUNS * 4))
    info_ms[$n]=$v
}

slab0=$(meminfo_kb Slab) kstack0=$(meminfo_kb KernelStack) ptab0=$(meminfo_kb PageTables)
bench_log "minictr: launching $N containers..."
for i in $(seq "$N"); do
    t0=$EPOCHREALTIME
    mc launch busybox "d$i" >/dev/null || bench_die "launch of d$i failed (container $i of $N)"
    ms_since "$t0" >>"$lat_mc"
    case $i in
        10) checkpoint 10; hf exec1_ms_10 "$minictr exec d1 -- true" $((RUNS * 4)) ;;
        100) [ "$N" -gt 100 ] && checkpoint 100 ;;
    esac
    [ $((i % 100)) -ne 0 ] || bench_log "  $i launched"
done
sleep 2
slab1=$(meminfo_kb Slab) kstack1=$(meminfo_kb KernelStack) ptab1=$(meminfo_kb PageTables)
pss=0
while read -r pid; do
    [ "$pid" -gt 0 ] || bench_die "a container is not running any more (PID $pid)"
    mon=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
    for p in "$pid" "$mon"; do
        kb=$(bench_smaps_kb "$p" Pss)
        case $kb in '' | *[!0-9]*) bench_die "no PSS for PID $p" ;; esac
        pss=$((pss + kb))
    done
done < <(mc list --format json | jq -r '.[].state.pid')
checkpoint "$N"
hf exec1_ms_n "$minictr exec d1 -- true" $((RUNS * 4))
hf execn_ms "$minictr exec d$N -- true" $((RUNS * 4))
bench_log "minictr: exec -- true into each of the $N..."
exec_failed=0
for i in $(seq "$N"); do
    mc exec "d$i" -- true || exec_failed=$((exec_failed + 1))
done
mapfile -t names < <(mc list -c n --format csv)
[ "${#names[@]}" -eq "$N" ] || bench_die "list shows ${#names[@]} containers, not $N"
t0=$EPOCHREALTIME
mc delete --force "${names[@]}"
delete_ms=$(ms_since "$t0")

# ------------------------------------------------- 3. minictr with a nic

nic_list_ms='' nic_delete_ms=''
if [ "$NIC" != 0 ]; then
    # A /22: room for 1000 addresses.  The first free one of a few
    # candidates (network create refuses one that overlaps the host's).
    for cand in 10.251.0.1/22 10.247.0.1/22 172.27.0.1/22 192.168.200.1/22; do
        if mc network create "mcdens${work##*.}" ipv4.address="$cand" ipv4.nat=false ipv6.address=none >/dev/null 2>&1; then
            net=mcdens${work##*.}
            break
        fi
    done
    [ -n "$net" ] || bench_die "no free /22 for the managed network"
    bench_log "minictr: launching $N containers with a nic on $net..."
    for i in $(seq "$N"); do
        t0=$EPOCHREALTIME
        mc launch busybox "e$i" --network "$net" >/dev/null || bench_die "launch of e$i failed (container $i of $N, with a nic)"
        ms_since "$t0" >>"$lat_nic"
        [ $((i % 100)) -ne 0 ] || bench_log "  $i launched"
    done
    hf nic_list_ms "$minictr list"
    mapfile -t names < <(mc list -c n --format csv)
    t0=$EPOCHREALTIME
    mc delete --force "${names[@]}"
    nic_delete_ms=$(ms_since "$t0")
    mc network delete "$net" >/dev/null
    net=
fi

# ------------------------------------------------------------ the output

{
    echo "n,minictr_ms,minictr_nic_ms,lxc_ms"
    paste -d, <(seq "$N") "$lat_mc" <(cat "$lat_nic"; yes '' | head -n $((N - $(wc -l <"$lat_nic")))) \
        <(cat "$lat_lxc"; yes '' | head -n $((N - $(wc -l <"$lat_lxc"))))
} >"$csv"
gnuplot <<EOF
set terminal pngcairo size 960,540 noenhanced font "sans,10"
set output "$OUT/density.png"
set datafile separator ","
set key top left
set grid
set title "Launch latency as containers accumulate (busybox, one after the other; $(uname -r), $(nproc) CPUs)"
set xlabel "containers running (n)"
set ylabel "launch latency (ms)"
set yrange [0:*]
plot "$csv" using 1:2 every ::1 with points pt 7 ps 0.3 lc rgb "#1f77b4" title "minictr launch", \
     "$csv" using 1:(\$3 > 0 ? \$3 : 1/0) every ::1 with points pt 7 ps 0.3 lc rgb "#2ca02c" title "minictr launch --network (nic on a bridge)", \
     "$csv" using 1:(\$4 > 0 ? \$4 : 1/0) every ::1 with points pt 7 ps 0.3 lc rgb "#d62728" title "lxc-start -d (LXC $(lxc-start --version))"
EOF

k=50
[ "$N" -ge 100 ] || k=$((N / 2))
first=$(median_of "$lat_mc" 1 "$k")
last=$(median_of "$lat_mc" $((N - k + 1)) "$N")
growth=$(bench_ratio "$last" "$first")
per_pss=$(awk -v p="$pss" -v n="$N" 'BEGIN { printf "%.0f", p / n }')
per_kernel=$(awk -v a="$((slab1 - slab0))" -v b="$((kstack1 - kstack0))" -v c="$((ptab1 - ptab0))" -v n="$N" \
    'BEGIN { printf "%.0f", (a + b + c) / n }')
per_total=$((per_pss + per_kernel))
strict_fail=0
v_growth='' v_list='' v_info='' v_exec='' v_mem='' v_delete='' v_exec_all=''
# check VAR VALUE LIMIT: "met" (VALUE <= LIMIT) or "NOT met" in VAR
check() {
    printf -v "$1" '%s' "$(bench_verdict "$2" "$3")"
    [ "${!1}" = met ] || strict_fail=1
}
# near VAR A B: A within 10% of B
near() {
    if awk -v a="$2" -v b="$3" 'BEGIN { r = a / b - 1; if (r < 0) r = -r; exit !(r <= 0.10) }'; then
        printf -v "$1" met
    else
        printf -v "$1" 'NOT met'
        strict_fail=1
    fi
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
check v_growth "$growth" 1.25
check v_list "${list_ms[$N]}" 100
near v_info "${info_ms[$N]}" "${info_ms[10]}"
near v_exec "$exec1_ms_n" "$exec1_ms_10"
check v_mem "$per_total" 1536
check v_delete "$delete_ms" 10000
check v_exec_all "$exec_failed" 0

cat <<EOF

density: $N containers, $(uname -r), $(nproc) CPUs, cgroups $(bench_cgroup_layout)
  state dir on $fs_note; CSV $csv, plot $OUT/density.png

launch latency (one after the other, ms)
  minictr   median of the first $k: $first   of the last $k: $last   ratio $growth   (target <= 1.25: $v_growth)
EOF
if [ -s "$lat_nic" ]; then
    nf=$(median_of "$lat_nic" 1 "$k") nl=$(median_of "$lat_nic" $((N - k + 1)) "$N")
    echo "  with nic  median of the first $k: $nf   of the last $k: $nl   ratio $(bench_ratio "$nl" "$nf")"
fi
if [ -s "$lat_lxc" ]; then
    lk=$((LXC_N < 100 ? (LXC_N + 1) / 2 : 50))
    lf=$(median_of "$lat_lxc" 1 "$lk") ll=$(median_of "$lat_lxc" $((LXC_N - lk + 1)) "$LXC_N")
    mf=$(median_of "$lat_mc" 1 "$lk") ml=$(median_of "$lat_mc" $((LXC_N - lk + 1)) "$LXC_N")
    echo "  LXC (first $LXC_N)  median of the first $lk: $lf   of the last $lk (n = $((LXC_N - lk + 1))-$LXC_N): $ll   ratio $(bench_ratio "$ll" "$lf")"
    echo "  minictr over the same n: $mf and $ml: $(bench_ratio "$mf" "$lf")x and $(bench_ratio "$ml" "$ll")x LXC's"
fi
echo "  one more launch (and delete), median of $PROBES, at N = 10: ${probe_ms[10]}$([ -z "${probe_ms[100]:-}" ] || echo ", N = 100: ${probe_ms[100]}"), N = $N: ${probe_ms[$N]}   ratio $(bench_ratio "${probe_ms[$N]}" "${probe_ms[10]}")"
echo
echo "list, info, exec (hyperfine medians, ms)"
for n in 10 100 "$N"; do
    [ -n "${list_ms[$n]:-}" ] || continue
    echo "  N = $n: list ${list_ms[$n]}   list --format json ${json_ms[$n]}   info d1 ${info_ms[$n]}"
done
echo "  list of $N (table) ${list_ms[$N]} ms (target <= 100: $v_list)"
echo "  info d1 at N = $N against N = 10: $(pct "${info_ms[$N]}" "${info_ms[10]}") (target within 10%: $v_info)"
echo "  exec d1 -- true: $exec1_ms_10 at N = 10, $exec1_ms_n at N = $N ($(pct "$exec1_ms_n" "$exec1_ms_10"), target within 10%: $v_exec); exec d$N: $execn_ms"
[ -z "$nic_list_ms" ] || echo "  with a nic each: list of $N ${nic_list_ms} ms"
echo
echo "memory per idle container (kB)"
echo "  monitor + init PSS: $per_pss   kernel: $per_kernel (Slab $(((slab1 - slab0) / N)), KernelStack $(((kstack1 - kstack0) / N)), PageTables $(((ptab1 - ptab0) / N)))"
echo "  in all: $per_total kB = $(awk -v k="$per_total" 'BEGIN { printf "%.2f", k / 1024 }') MiB (target <= 1.5 MiB: $v_mem)"
echo
echo "end"
echo "  exec -- true into each of the $N: $((N - exec_failed)) answered, $exec_failed did not (target: all: $v_exec_all)"
echo "  delete --force of all $N: $(awk -v m="$delete_ms" 'BEGIN { printf "%.2f", m / 1000 }') s (target <= 10 s: $v_delete)"
[ -z "$nic_delete_ms" ] || echo "  with a nic each: delete --force of all $N: $(awk -v m="$nic_delete_ms" 'BEGIN { printf "%.2f", m / 1000 }') s"
if [ "$BENCH_STRICT" = 1 ] && [ "$strict_fail" = 1 ]; then
    exit 1
fi
