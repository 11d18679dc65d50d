#!/bin/bash
# bench/oci.sh: minictr as an OCI runtime, side by side with Debian's crun
# and runc, in one run, on one bundle made from the built-in busybox image:
#
#   the runtime alone: create + start + delete of a container running
#   `true`, with each runtime's own --root      (target: minictr <= 0.80x crun)
#   podman run --rm IMAGE true with --runtime each of them
#                                                (target: minictr <= 1.00x crun)
#   ctr run --rm --rootfs DIR ID true with --runc-binary each of them
#
#   bench/oci.sh           (run as root; about two minutes)
#
# The same config.json for all three (`minictr oci spec`, no terminal, no
# seccomp profile), its cgroup below this script's own, the limits none.
# The runtime alone runs under a subreaper, as conmon and containerd's
# shim run a runtime: it reaps each container's process.  podman
# (Debian's 4.3, its conmon) runs with private storage (vfs), run and temp
# dirs, no network, conmon in our cgroup, the image imported from the
# busybox rootfs, with podman's defaults otherwise (its seccomp profile,
# compiled by each runtime; the host's cgroup namespace on cgroup1) and
# the explicit rlimits tests/integration/podman.bats gives.  containerd
# (Debian's 1.6, its runc shim v2) is a daemon of this script's own
# (private root, state and sockets, under the subreaper), ctr's default
# spec on the same rootfs.
#
# Timings: hyperfine -N --warmup 3 --runs $RUNS, medians.
#
# Environment: RUNS (timed runs per command, >= 5, default 30),
# BENCH_STRICT=1 (exit 1 when a target is missed), BUILDDIR (default
# build), BENCH_OCI_PARTS (default "runtime podman ctr": which of the
# three to measure; bench/oci-systemd-vm.sh measures "runtime" in the
# systemd VM, a pure cgroup2 host, where crun runs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."

RUNS=${RUNS:-30}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILDDIR=${BUILDDIR:-build}
case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$RUNS" -ge 5 ] || bench_die "RUNS must be at least 5"
[ "$(id -u)" = 0 ] || bench_die "run as root"
minictr=$PWD/$BUILDDIR/minictr
[ -x "$minictr" ] || bench_die "no $minictr (make)"
BENCH_OCI_PARTS=${BENCH_OCI_PARTS:-runtime podman ctr}
part() { [[ " $BENCH_OCI_PARTS " == *" $1 "* ]]; }
need=(hyperfine crun runc python3 jq)
! part podman || need+=(podman)
! part ctr || need+=(containerd ctr)
for t in "${need[@]}"; do
    command -v "$t" >/dev/null || bench_die "no $t (scripts/install-deps.sh bench)"
done

work=
bench_workdir work
tag=minictr-bench-oci-$$
# podman's probe of crun makes crun's default state dir: ours to remove
# then, when it was not there before.
crun_dir_was_there=0
[ ! -e /run/crun ] || crun_dir_was_there=1
# shellcheck disable=SC2317  # run from the EXIT trap
cleanup_oci() {
    local rt
    for rt in minictr crun runc; do
        [ -d "$work/root-$rt" ] || continue
        for c in "$work/root-$rt"/*/; do
            [ -d "$c" ] || continue
            c=${c%/}
            "$work/rt-$rt" delete --force "${c##*/}" >/dev/null 2>&1 || true
        done
    done
    if [ -d "$work/pm" ]; then
        pm rm --all --force --time 0 >/dev/null 2>&1 || true
    fi
    if [ -n "${ctd_pid:-}" ]; then
        for t in $(c task ls -q 2>/dev/null); do
            c task kill -s KILL "$t" >/dev/null 2>&1 || true
            sleep 0.2
            c task delete "$t" >/dev/null 2>&1 || true
        done
        for t in $(c container ls -q 2>/dev/null); do
            c container delete "$t" >/dev/null 2>&1 || true
        done
        kill "$ctd_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            [ -e "/proc/$reaper_pid" ] || break
            sleep 0.05
        done
        # (a containerd that did not stop in 5 s)
        kill -KILL "$ctd_pid" 2>/dev/null || true
    fi
    for t in ${run_made:-}; do
        rm -rf "$t"
    done
    find /sys/fs/cgroup -maxdepth 7 -depth -type d -name "$tag" -exec rmdir {} \; 2>/dev/null || true
    [ "$crun_dir_was_there" = 1 ] || rmdir /run/crun 2>/dev/null || true
    bench_cleanup
}
trap cleanup_oci EXIT

# Each runtime with its own --root, as one command name.
for rt in minictr crun runc; do
    case $rt in
        minictr) bin="$minictr oci" ;;
        *) bin=$(command -v "$rt") ;;
    esac
    printf '#!/bin/sh\nexec %s --root %s/root-%s "$@"\n' "$bin" "$work" "$rt" >"$work/rt-$rt"
    chmod +x "$work/rt-$rt"
done

# The bundle: busybox, `true`, no terminal; cgroups below ours (relative).
scripts/mkimage-busybox.sh "$work/busybox.tar.xz" >/dev/null
mkdir -p "$work/bb" "$work/bundle"
tar -C "$work/bb" -xf "$work/busybox.tar.xz"
mv "$work/bb/rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && "$minictr" oci spec)
jq --arg cg "$tag/c" '.process.terminal = false | .process.args = ["true"] | .linux.cgroupsPath = $cg' \
    "$work/bundle/config.json" >"$work/bundle/config.json.new"
mv "$work/bundle/config.json.new" "$work/bundle/config.json"

# One create + start + wait + delete, as a command hyperfine runs.
cat >"$work/cycle" <<'EOF'
#!/bin/sh
# cycle RUNTIME BUNDLE: create, start, delete (forced: the process may
# not have ended yet; it is killed then, as by a shim).
set -e
"$1" create --bundle "$2" c >/dev/null
"$1" start c
"$1" delete --force c
EOF
chmod +x "$work/cycle"

# A subreaper around hyperfine: the containers' processes come to it.
cat >"$work/reaper.py" <<'EOF'
import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
status = 0
while True:
    try:
        pid, st = os.wait()
    except ChildProcessError:
        break
    if pid == child:
        status = os.waitstatus_to_exitcode(st)
sys.exit(status)
EOF

# A runtime that cannot run here is left out, and said so: crun 1.8
# refuses hybrid cgroup hosts (this one, when cgroup2 is mounted beside
# the v1 controllers).
rts=()
for rt in minictr crun runc; do
    if python3 "$work/reaper.py" "$work/cycle" "$work/rt-$rt" "$work/bundle" 2>"$work/$rt.err"; then
        rts+=("$rt")
    elif [ "$rt" = minictr ]; then
        bench_die "minictr: create/start/delete of the bundle failed: $(cat "$work/$rt.err")"
    else
        echo "$rt cannot run the bundle here, left out: $(tail -1 "$work/$rt.err")"
        "$work/rt-$rt" delete --force c >/dev/null 2>&1 || true
    fi
done

# podman, private, with the image from the same rootfs.
if part podman; then
mkdir -p "$work/pm/tmp"
cat >"$work/pm/containers.conf" <<EOF
[containers]
default_sysctls = []
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/pm/events.log"
EOF
export CONTAINERS_CONF=$work/pm/containers.conf
pm() {
    podman --root "$work/pm/root" --runroot "$work/pm/runroot" --storage-driver vfs --tmpdir "$work/pm/tmp" "$@"
}
tar -C "$work/bundle/rootfs" -c . | pm import - bb >/dev/null
pm_flags="--rm --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 --cgroups=no-conmon --cgroup-parent=$tag"
for rt in "${rts[@]}"; do
    # shellcheck disable=SC2086  # the flags are words
    pm --runtime "$work/rt-$rt" run $pm_flags bb true >/dev/null || bench_die "podman --runtime $rt run failed"
done
fi

# containerd, private, under a subreaper that reaps its shims; the
# runtimes as ctr's --runc-binary (the shim gives --root itself).
run_made=""
if part ctr; then
for c in /run/containerd /run/containerd/s /run/containerd/fifo; do
    [ -e "$c" ] || run_made="$c $run_made"
done
mkdir -p "$work/ctd"
scripts/containerd-conf.sh "$work/ctd" >"$work/containerd.toml"
c() { ctr -a "$work/ctd/c.sock" -n bench "$@"; }
python3 "$work/reaper.py" containerd --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 &
reaper_pid=$!
for _ in $(seq 200); do
    ctd_pid=$(pgrep -P "$reaper_pid" || true)
    [ -n "$ctd_pid" ] && c version >/dev/null 2>&1 && break
    sleep 0.05
done
c version >/dev/null || bench_die "containerd did not start: $(tail -3 "$work/containerd.log")"
for rt in "${rts[@]}"; do
    case $rt in
        minictr) printf '#!/bin/sh\nexec %s oci "$@"\n' "$minictr" >"$work/bin-$rt" ;;
        *) printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v "$rt")" >"$work/bin-$rt" ;;
    esac
    chmod +x "$work/bin-$rt"
    c run --rm --runc-binary "$work/bin-$rt" --runc-root "$work/ctr-root-$rt" --cgroup "$tag/ctr" \
        --rootfs "$work/bundle/rootfs" ctr1 /bin/true >/dev/null || bench_die "ctr run --runc-binary $rt failed"
done
fi

echo "== minictr as an OCI runtime, beside crun and runc =="
echo "minictr:   $minictr (built $(stat -c %y "$minictr" | cut -d. -f1)) oci"
echo "crun:      $(crun --version | head -1) (Debian $(dpkg-query -W -f='${Version}' crun 2>/dev/null || echo '?'))"
echo "runc:      $(runc --version | head -1) (Debian $(dpkg-query -W -f='${Version}' runc 2>/dev/null || echo '?'))"
! part podman || echo "podman:    $(podman --version) with conmon $(dpkg-query -W -f='${Version}' conmon 2>/dev/null || echo '?'), vfs storage, podman's seccomp profile"
! part ctr || echo "ctr:       containerd $(dpkg-query -W -f='${Version}' containerd 2>/dev/null || echo '?'), runc shim v2, ctr's default spec, --rootfs"
echo "bundle:    busybox, \`true\`, runc's default config without a terminal (no seccomp), cgroups below ours"
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:     $(hyperfine --version); --warmup 3 --runs $RUNS, -N (no shell); medians"
echo

ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { if awk -v r="$1" -v t="$2" 'BEGIN { exit !(r <= t) }'; then echo met; else echo "NOT met"; fi; }
missed=0

# measure LABEL TARGET COMMAND [KIND]: one hyperfine run of the command
# for every runtime that runs here ({} the runtime's wrapper: rt-, with
# its --root, or bin-, without),
# medians and ratios to minictr's, the target checked against crun.
measure() {
    local label=$1 target=$2 cmd=$3 kind=${4:-rt} json=$work/${1// /-}.json args=() i rt m line r
    for rt in "${rts[@]}"; do
        args+=(-n "$label ($rt)" "${cmd//\{\}/$work/$kind-$rt}")
    done
    bench_run python3 "$work/reaper.py" hyperfine -N --style basic --warmup 3 --runs "$RUNS" \
        --export-json "$json" "${args[@]}" >&2 || bench_die "hyperfine failed ($label)"
    m=$(bench_median "$json" 0)
    line="$label: minictr $(ms "$m")"
    for i in "${!rts[@]}"; do
        [ "$i" -gt 0 ] || continue
        rt=${rts[$i]}
        r=$(ratio "$m" "$(bench_median "$json" "$i")")
        line+=", ${rt} $(ms "$(bench_median "$json" "$i")") (minictr/$rt ${r}x"
        if [ "$rt" = crun ]; then
            line+="; target <= $target: $(met "$r" "$target")"
            [ "$(met "$r" "$target")" = met ] || missed=1
        fi
        line+=")"
    done
    [[ " ${rts[*]} " == *" crun "* ]] || line+="; the target (<= ${target}x crun) not measurable here"
    echo "$line"
}

! part runtime || measure "runtime alone, create+start+delete" 0.80 "$work/cycle {} $work/bundle"
! part podman || measure "podman run --rm bb true" 1.00 \
    "podman --root $work/pm/root --runroot $work/pm/runroot --storage-driver vfs --tmpdir $work/pm/tmp --runtime {} run $pm_flags bb true"
! part ctr || measure "ctr run --rm true" 1.00 \
    "ctr -a $work/ctd/c.sock -n bench run --rm --runc-binary {} --runc-root $work/ctr-root --cgroup $tag/ctr --rootfs $work/bundle/rootfs ctr1 /bin/true" bin
if [ "$BENCH_STRICT" = 1 ] && [ "$missed" = 1 ]; then
    exit 1
fi
