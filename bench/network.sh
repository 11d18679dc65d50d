#!/bin/bash
# bench/network.sh: TCP throughput between two minictr containers over
# their bridge, beside the same transfer over the host's loopback:
#
#   busybox nc, container to container (veth -> bridge -> veth)
#     vs busybox nc, 127.0.0.1 on the host                 -> MB/s, ratio
#   iperf3 in the two containers' network namespaces (when installed)
#     vs iperf3 on the host's loopback                     -> MB/s, ratio
#
#   bench/network.sh          (run as root; about half a minute)
#
# Two busybox containers (the built-in image) on a network of their own
# in a private MINICTR_DIR: ipv4.address=auto (a /24 that overlaps nothing
# on the host), ipv4.nat=false.  Every byte goes from one container to the
# other, or from 127.0.0.1 to 127.0.0.1: nothing leaves the host.  The nc
# sender and receiver are the containers' own processes (`minictr exec`);
# iperf3, a host binary the busybox image lacks, runs in the containers'
# network namespaces only (nsenter --net), which is the path measured.
# Each figure is the best of RUNS transfers of SIZE_MB MiB of zeros; the
# wall time of a transfer includes starting the sender (~10 ms, under 1%
# at the default size).  busybox nc moves 1 KiB per read and write: over
# loopback (MTU 64 KiB) the kernel coalesces that into large segments,
# over a veth and bridge (MTU 1500) it becomes one packet per write or
# so, each crossing the bridge (and netfilter, when br_netfilter is
# loaded), so its ratio is far lower than iperf3's 128 KiB writes show.
# The same host busybox nc run in the two containers' namespaces (nsenter)
# measures the same as the containers' own: the cost is the path, not the
# container.  On the development machine (2 cores, br_netfilter on):
# busybox nc 58 vs 414 MB/s (0.14), iperf3 2434 vs 4071 MB/s (0.60).
#
# Environment: SIZE_MB (default 512), RUNS (default 3), BUILDDIR (default
# build).  The network, the containers and the work dir are removed on
# every exit path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."

SIZE_MB=${SIZE_MB:-512}
RUNS=${RUNS:-3}
BUILDDIR=${BUILDDIR:-build}
port=5201
net=benchnet

case $SIZE_MB in '' | *[!0-9]*) bench_die "SIZE_MB must be a number" ;; esac
case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$(id -u)" = 0 ] || bench_die "run as root"
[ -x /bin/busybox ] || bench_die "/bin/busybox missing (apt-get install busybox-static)"
minictr=$PWD/$BUILDDIR/minictr
[ -x "$minictr" ] || bench_die "$minictr missing: run make"

work=
bench_workdir work
export MINICTR_DIR=$work/state
mc() { "$minictr" "$@"; }
host_pids=()

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
    local p
    for p in "${host_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -d "$MINICTR_DIR/containers" ]; then
        mc delete --force nb1 nb2 >/dev/null 2>&1 || true
    fi
    mc profile delete bench >/dev/null 2>&1 || true
    if [ -f "$MINICTR_DIR/networks/$net.yaml" ]; then
        mc network delete "$net" >/dev/null || bench_log "could not delete network $net"
    fi
    bench_cleanup
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# mbps BYTES NANOSECONDS
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f\n", b / 1e6 / (ns / 1e9) }'; }

best() { sort -g | tail -n1; }

bench_log "setting up: image, network $net, two containers"
scripts/mkimage-busybox.sh "$work/busybox.tar.xz"
mc image import "$work/busybox.tar.xz" --alias busybox >/dev/null
mc network create "$net" ipv4.nat=false >/dev/null
mc profile create bench </dev/null >/dev/null
mc profile device add bench eth0 nic network="$net" >/dev/null
mc launch busybox nb1 -p bench >/dev/null
mc launch busybox nb2 -p bench >/dev/null
addr2=$(mc list --format json nb2 | jq -r '.[0].state.network.eth0.addresses[] | select(.family == "inet") | .address')
[ -n "$addr2" ] || bench_die "nb2 has no address"
mc exec nb1 -- ping -c 1 -W 3 "$addr2" >/dev/null || bench_die "nb1 cannot reach nb2"
bytes=$((SIZE_MB * 1024 * 1024))

# The receiver's stdin is a FIFO opened read-write: never readable, never
# at EOF, so nc stays until the sender closes (busybox nc quits on EOF of
# either side).
nc_containers() {
    local t0 t1
    mc exec nb2 -- sh -c "rm -f /tmp/f; mkfifo /tmp/f; exec nc -l -p $port <>/tmp/f >/dev/null" &
    host_pids+=($!)
    sleep 0.5
    t0=$(now_ns)
    mc exec nb1 -- sh -c "dd if=/dev/zero bs=1048576 count=$SIZE_MB 2>/dev/null | nc $addr2 $port"
    t1=$(now_ns)
    wait "${host_pids[-1]}"
    mbps "$bytes" $((t1 - t0))
}

nc_loopback() {
    local t0 t1 fifo=$work/f
    rm -f "$fifo"
    mkfifo "$fifo"
    /bin/busybox nc -l -p "$port" <>"$fifo" >/dev/null &
    host_pids+=($!)
    sleep 0.5
    t0=$(now_ns)
    dd if=/dev/zero bs=1048576 count="$SIZE_MB" 2>/dev/null | /bin/busybox nc 127.0.0.1 "$port"
    t1=$(now_ns)
    wait "${host_pids[-1]}"
    mbps "$bytes" $((t1 - t0))
}

# iperf3 -J: bits per second received, as MB/s.
iperf_mbps() { jq -r '.end.sum_received.bits_per_second / 8 / 1e6 | . * 10 | floor / 10'; }

iperf_run() { # SERVER_PREFIX CLIENT_PREFIX ADDRESS
    local srv=$1 cli=$2 addr=$3
    $srv iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
    host_pids+=($!)
    sleep 0.5
    $cli iperf3 -c "$addr" -p "$port" -n "${SIZE_MB}M" -J | iperf_mbps
    wait "${host_pids[-1]}" || true
}

bench_log "busybox nc, $SIZE_MB MiB x $RUNS"
c_nc=$(for _ in $(seq "$RUNS"); do nc_containers; done | best)
l_nc=$(for _ in $(seq "$RUNS"); do nc_loopback; done | best)

c_ip='' l_ip=''
if command -v iperf3 >/dev/null; then
    bench_log "iperf3, $SIZE_MB MiB x $RUNS"
    ns1="nsenter --net=/proc/$(mc list --format json nb1 | jq -r '.[0].state.pid')/ns/net"
    ns2="nsenter --net=/proc/$(mc list --format json nb2 | jq -r '.[0].state.pid')/ns/net"
    c_ip=$(for _ in $(seq "$RUNS"); do iperf_run "$ns2" "$ns1" "$addr2"; done | best)
    l_ip=$(for _ in $(seq "$RUNS"); do iperf_run "" "" 127.0.0.1; done | best)
fi

printf '\n%-44s %12s %12s %8s\n' "TCP, $SIZE_MB MiB (best of $RUNS)" "containers" "loopback" "ratio"
printf '%-44s %9s MB/s %7s MB/s %8s\n' "busybox nc (container -> bridge -> container)" "$c_nc" "$l_nc" \
    "$(awk -v a="$c_nc" -v b="$l_nc" 'BEGIN { printf "%.2f", a / b }')"
if [ -n "$c_ip" ]; then
    printf '%-44s %9s MB/s %7s MB/s %8s\n' "iperf3 (in the containers' netns)" "$c_ip" "$l_ip" \
        "$(awk -v a="$c_ip" -v b="$l_ip" 'BEGIN { printf "%.2f", a / b }')"
else
    printf '%s\n' "iperf3: not installed (scripts/install-deps.sh bench installs it)"
fi
