#!/bin/bash
# bench/lifecycle.sh: the container lifecycle of minictr side by side with
# LXC from Debian (lxc 5.0), on the same busybox rootfs, in one run:
#
#   minictr launch        vs  lxc-start -d   (target: ratio <= 1.50)
#   minictr start         vs  lxc-start -d   (target: ratio <= 1.00)
#   minictr stop --force  vs  lxc-stop -k    (target: ratio <= 1.00)
#   the monitor's memory: PSS and RSS of minictr's monitor and LXC's
#   `[lxc monitor]`, one container running   (target: minictr PSS <= 1 MiB)
#
#   bench/lifecycle.sh            (run as root; about a minute)
#
# The rootfs: scripts/mkimage-busybox.sh makes the built-in image, minictr
# imports it into a private state dir, and LXC gets a copy of the very
# rootfs minictr unpacked, owned by the same host ids minictr maps its
# container root to.  Both are unprivileged system containers (user, PID,
# mount, UTS, IPC and network namespaces, seccomp, busybox init as PID 1):
# the LXC one is configured the way Debian's templates configure one
# (common.conf + userns.conf, lxc.idmap), with `lxc.net.0.type = empty`.
# A privileged LXC container (common.conf, no idmap) is measured too, for
# information.  minictr runs from a private MINICTR_DIR, LXC from a private
# lxcpath; neither uses the network.
#
# Cgroups: LXC creates its cgroups below this script's own cgroup in every
# hierarchy (lxc.cgroup.relative = 1, and lxc.cgroup.dir.container/monitor
# below a tag made up for this run), as minictr does; the script checks
# where both put their container and monitor and stops before measuring
# if either is anywhere else.  Every container, cgroup and file it made is
# removed on every exit path.
#
# Timings: hyperfine --warmup 2 --runs $RUNS, medians; each minictr command
# runs in the same hyperfine run as its LXC counterparts.  Untimed
# --prepare commands put each container in the state the command starts
# from, wait for the previous monitor to be gone, and then pause for
# BENCH_SETTLE seconds, the same for both tools (see write_helpers: a
# cgroup1 move right after another one skips an RCU grace period).
#
# Environment: RUNS (timed runs per command, >= 10, default 40),
# BENCH_SETTLE (seconds, default 0.1), BENCH_LXC_PRIV=0 (leave out the
# privileged LXC container), BENCH_STRICT=1 (exit 1 when a target is
# missed), BUILDDIR (default build), BENCH_NO_BUILD=1 (no install-deps,
# no make: bench/lifecycle-systemd-vm.sh runs this in the systemd test VM).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lxc.sh
. "$here/lxc.sh"
cd "$here/.."

RUNS=${RUNS:-40}
BENCH_LXC_PRIV=${BENCH_LXC_PRIV:-1}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILDDIR=${BUILDDIR:-build}
settle=${BENCH_SETTLE:-0.1}

case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
case $settle in '' | *[!0-9.]*) bench_die "BENCH_SETTLE must be a number of seconds" ;; esac
[ "$RUNS" -ge 10 ] || bench_die "RUNS must be at least 10"

# Work dir, private MINICTR_DIR and lxcpath, and the EXIT trap that
# removes every container, cgroup and file the run makes (bench/lxc.sh).
bench_sbs_setup
minictr=$bench_minictr
work=$bench_sbs_work
state=$bench_sbs_state
lxcpath=$bench_sbs_lxcpath
tag=$bench_sbs_tag
mc_cgroup=$bench_sbs_mc_cgroup
helpers=$work/bin
lxc_names=(lxc-unpriv)
[ "$BENCH_LXC_PRIV" = 0 ] || lxc_names+=(lxc-priv)
mkdir -p "$helpers" "$work/run"

# -------------------------------------------------------------- helpers

q() { printf '%q' "$1"; }

# Scripts for hyperfine's --prepare (it runs commands without a shell
# here, -N): each leaves one container in the state the timed command
# starts from, fails loudly when it cannot, and ends with the same pause
# for both tools (BENCH_SETTLE): the first move of a process into a
# cgroup1 cgroup waits for an RCU grace period (percpu_down_write of the
# kernel's cgroup_threadgroup_rwsem), unless another move happened a
# moment before, and LXC's monitor moves itself as its very last act, so
# an lxc-start right after the previous one's teardown would skip that
# wait (6 ms instead of 20 here) and minictr's start would not.
write_helpers() {
    cat >"$helpers/common" <<EOF
# Sourced by the other helpers.
M=$(q "$minictr")
S=$(q "$state")
P=$(q "$lxcpath")
R=$(q "$work/run")
settle() { sleep $(q "$settle"); }
# "PID STARTTIME" of process \$1, the parent of LXC container \$2's init
# when \$1 is empty; nothing when there is none or it is a zombie (the
# monitors are children of PID 1, which reaps when it gets to it).
ident() {
    pid=\$1
    if [ -z "\$pid" ]; then
        pid=\$(lxc-info -P "\$P" -n "\$2" -pH 2>/dev/null) || return 0
        [ -n "\$pid" ] || return 0
        pid=\$(ps -o ppid= -p "\$pid" 2>/dev/null | tr -d ' ')
    fi
    [ -n "\$pid" ] || return 0
    start=\$(awk '{ sub(/.*\\) /, ""); if (\$1 != "Z" && \$1 != "X") print \$20 }' "/proc/\$pid/stat" 2>/dev/null) || return 0
    [ -n "\$start" ] && echo "\$pid \$start"
    return 0
}
# Wait (5 s at most) until the process "PID STARTTIME" in \$1 has exited:
# lxc-stop returns at STOPPED, and the monitor then still tears down
# (cgroups) and exits.
wait_gone() {
    [ -n "\$1" ] || return 0
    i=0
    while [ \$i -lt 500 ] && [ "\$(ident "\${1%% *}")" = "\$1" ]; do
        sleep 0.01; i=\$((i + 1))
    done
    [ \$i -lt 500 ] || { echo "process \$1 did not exit" >&2; exit 1; }
}
wait_recorded() {
    if [ -f "\$R/\$1.mon" ]; then wait_gone "\$(cat "\$R/\$1.mon")"; rm -f "\$R/\$1.mon"; fi
}
mc_status() {
    "\$M" list --format json | jq -r --arg n "\$1" '.[] | select(.name == \$n) | .status'
}
EOF
    cat >"$helpers/mc-absent" <<EOF
#!/bin/sh
# minictr container \$1 deleted (stopped first when running).
. $(q "$helpers/common")
"\$M" delete --force "\$1" >/dev/null 2>&1 || true
[ ! -d "\$S/containers/\$1" ] || { echo "mc-absent: \$1 still exists" >&2; exit 1; }
settle
EOF
    cat >"$helpers/mc-stopped" <<EOF
#!/bin/sh
# minictr container \$1 stopped (stop --force waits for its monitor).
. $(q "$helpers/common")
"\$M" stop --force "\$1" >/dev/null 2>&1 || true
st=\$(mc_status "\$1")
[ "\$st" = Stopped ] || { echo "mc-stopped: \$1 is \$st" >&2; exit 1; }
settle
EOF
    cat >"$helpers/mc-running" <<EOF
#!/bin/sh
# minictr container \$1 running.
. $(q "$helpers/common")
"\$M" start "\$1" >/dev/null || exit 1
settle
EOF
    cat >"$helpers/lxc-stopped" <<EOF
#!/bin/sh
# LXC container \$1 stopped and its monitor gone.
. $(q "$helpers/common")
mon=\$(ident "" "\$1")
lxc-stop -P "\$P" -n "\$1" -k >/dev/null 2>&1 || true
wait_gone "\$mon"
wait_recorded "\$1"
st=\$(lxc-info -P "\$P" -n "\$1" -sH)
[ "\$st" = STOPPED ] || { echo "lxc-stopped: \$1 is \$st" >&2; exit 1; }
settle
EOF
    cat >"$helpers/lxc-running" <<EOF
#!/bin/sh
# LXC container \$1 running, after the previous monitor has gone.
. $(q "$helpers/common")
wait_recorded "\$1"
lxc-start -P "\$P" -n "\$1" -d || { tail -n 5 "\$P/\$1/lxc.log" >&2; exit 1; }
ident "" "\$1" >"\$R/\$1.mon"
settle
EOF
    chmod 0755 "$helpers"/mc-* "$helpers"/lxc-*
}

# ---------------------------------------------------------------- setup

bench_sbs_import_busybox
fp=$bench_sbs_fp

# The containers minictr's commands run on; their id-map base is LXC's.
"$minictr" init busybox bench-start >/dev/null
"$minictr" init busybox bench-stop >/dev/null
idbase=$(bench_mc_field bench-start '.config["volatile.idmap.base"] // "1000000"')
case $idbase in '' | *[!0-9]*) bench_die "unexpected volatile.idmap.base '$idbase'" ;; esac

bench_lxc_copy_rootfs "$bench_sbs_rootfs" "$work/rootfs-unpriv" "$idbase"
bench_lxc_write_config lxc-unpriv "$work/rootfs-unpriv" "$idbase"
if [ "$BENCH_LXC_PRIV" != 0 ]; then
    bench_lxc_copy_rootfs "$bench_sbs_rootfs" "$work/rootfs-priv" 0
    bench_lxc_write_config lxc-priv "$work/rootfs-priv"
fi
write_helpers

# Once, untimed: start each container, check where its cgroups are (LXC
# must stay below our own cgroup), leave it stopped.
declare -A mem_cg
"$minictr" start bench-start
pid=$(bench_mc_field bench-start .state.pid)
mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
if bench_mc_systemd; then
    # A systemd host: the container in its own scope, payload and
    # monitor apart (runtime/cgroup/systemd.h).
    scope=/minictr.slice/$mc_cgroup-bench-start.scope
    mem_cg[minictr]=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
    [ "${mem_cg[minictr]}" = "$scope/payload/bench-start" ] ||
        bench_die "minictr's container is in ${mem_cg[minictr]}, not $scope/payload/bench-start"
    [ "$(sed -n 's/^0:://p' "/proc/$mon/cgroup")" = "$scope/monitor" ] ||
        bench_die "minictr's monitor is not in $scope/monitor"
else
    mem_cg[minictr]=$(bench_check_cgroups "$pid" "$mc_cgroup") ||
        bench_die "minictr's container is not where its cgroup should be"
    bench_check_cgroups "$mon" "" >/dev/null || bench_die "minictr's monitor left our cgroup"
fi
"$helpers/mc-stopped" bench-start
for name in "${lxc_names[@]}"; do
    "$helpers/lxc-running" "$name" || bench_die "lxc-start $name failed"
    pid=$(lxc-info -P "$lxcpath" -n "$name" -pH)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    if ! mem_cg[$name]=$(bench_check_cgroups "$pid" "$tag/$name/payload") ||
        ! bench_check_cgroups "$mon" "$tag/$name/monitor" >/dev/null; then
        "$helpers/lxc-stopped" "$name" || true
        bench_die "LXC did not keep $name's cgroups below this script's own cgroup: not measuring it"
    fi
    "$helpers/lxc-stopped" "$name"
done

lxc_desc="unprivileged (lxc.idmap u/g 0 $idbase 65536, Debian's common.conf + userns.conf)"
echo "== minictr vs LXC: container lifecycle and monitor memory =="
echo "minictr:   $minictr (built $(stat -c %y "$minictr" | cut -d. -f1)), unprivileged"
echo "           (user namespace, idmapped overlay on the image), state in a private MINICTR_DIR"
echo "LXC:       $(lxc-start --version) from Debian ($(dpkg-query -W -f='${Version}' lxc 2>/dev/null || echo '?')):"
echo "           $lxc_desc"
if [ "$BENCH_LXC_PRIV" != 0 ]; then
    echo "           and, for information, privileged (common.conf, no idmap; run as root)"
fi
echo "           lxc.net.0.type = empty, rootfs dir: a copy of minictr's unpacked image rootfs"
echo "image:     $(tar -xOJf "$bench_sbs_image" metadata.yaml | sed -n 's/^  description: //p'), fingerprint ${fp:0:12}"
echo "cgroups:   $(bench_cgroup_layout)"
if bench_mc_systemd; then
echo "           a systemd host: minictr's container checked to be in its own scope"
echo "           (D-Bus StartTransientUnit per start), LXC's below this script's own"
echo "           cgroup; in the memory one:"
else
echo "           both tools' cgroups checked to be below this script's own in every"
echo "           hierarchy; in the memory one:"
fi
echo "           this script   $(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
echo "           minictr       ${mem_cg[minictr]}"
for name in "${lxc_names[@]}"; do
    printf '           %-13s %s\n' "$name" "${mem_cg[$name]}"
done
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:     $(hyperfine --version); --warmup 2 --runs $RUNS, -N (no shell); medians"
echo "prepare:   untimed; minictr: delete --force / stop --force / start (each waits for the"
echo "           monitor); LXC: lxc-stop -k or lxc-start -d, then waits until the previous"
echo "           [lxc monitor] process has exited; then both pause ${settle} s"
echo

# ------------------------------------------------------------ benchmark

# run_pair LABEL MINICTR_PREPARE MINICTR_CMD LXC_PREPARE LXC_CMD_FMT LXC_LABEL:
# one hyperfine run of the minictr command and, for each LXC container,
# the LXC command (%s: the container's name).  Sets med_m, med_l (the
# unprivileged LXC container's), med_p (the privileged one's, or "").
run_pair() {
    local label=$1 mprep=$2 mcmd=$3 lprep=$4 lfmt=$5 llabel=$6 json name
    local -a args
    json=$work/hyperfine-${label// /-}.json
    args=(--prepare "$mprep")
    for name in "${lxc_names[@]}"; do
        args+=(--prepare "$lprep $name")
    done
    args+=(-n "minictr $label" "$mcmd")
    for name in "${lxc_names[@]}"; do
        # shellcheck disable=SC2059  # the format is ours
        args+=(-n "$llabel ($name)" "$(printf "$lfmt" "$name")")
    done
    bench_log ""
    bench_log "---- $label ----"
    bench_run hyperfine -N --style basic --warmup 2 --runs "$RUNS" \
        --export-json "$json" "${args[@]}" >&2 ||
        bench_die "hyperfine failed for '$label' (see above)"
    med_m=$(bench_median "$json" 0)
    med_l=$(bench_median "$json" 1)
    med_p=""
    if [ "$BENCH_LXC_PRIV" != 0 ]; then
        med_p=$(bench_median "$json" 2)
    fi
}

lxc_start_fmt="lxc-start -P $lxcpath -n %s -d"
lxc_stop_fmt="lxc-stop -P $lxcpath -n %s -k"
summary=()
missed=0

# report NAME LXC_NAME TARGET: a summary line from med_m, med_l, med_p.
report() {
    local what=$1 lxc_what=$2 target=$3 r v line
    r=$(bench_ratio "$med_m" "$med_l")
    v=$(bench_verdict "$r" "$target")
    [ "$v" = met ] || missed=1
    line=$(printf '%-22s %7s ms   %-14s %7s ms   ratio %s   target <= %s: %s' \
        "minictr $what" "$(bench_ms "$med_m")" "$lxc_what" "$(bench_ms "$med_l")" "$r" "$target" "$v")
    if [ -n "$med_p" ]; then
        line+=$(printf '   (privileged LXC %s ms, ratio %s)' "$(bench_ms "$med_p")" "$(bench_ratio "$med_m" "$med_p")")
    fi
    summary+=("$line")
    echo "$line"
}

run_pair launch "$helpers/mc-absent bench-launch" "$minictr launch busybox bench-launch" \
    "$helpers/lxc-stopped" "$lxc_start_fmt" "lxc-start -d"
report launch "lxc-start -d" 1.50
"$helpers/mc-absent" bench-launch
for name in "${lxc_names[@]}"; do "$helpers/lxc-stopped" "$name"; done

run_pair start "$helpers/mc-stopped bench-start" "$minictr start bench-start" \
    "$helpers/lxc-stopped" "$lxc_start_fmt" "lxc-start -d"
report start "lxc-start -d" 1.00
"$helpers/mc-stopped" bench-start
for name in "${lxc_names[@]}"; do "$helpers/lxc-stopped" "$name"; done

run_pair "stop --force" "$helpers/mc-running bench-stop" "$minictr stop --force bench-stop" \
    "$helpers/lxc-running" "$lxc_stop_fmt" "lxc-stop -k"
report "stop --force" "lxc-stop -k" 1.00
for name in "${lxc_names[@]}"; do "$helpers/lxc-stopped" "$name"; done

# --------------------------------------------------------------- memory

# Each monitor is measured with only its own container running (PSS
# shares a page among all the processes mapping it), 0.5 s after the
# start, the CLI (minictr launch / lxc-start -d) having exited.
echo
"$minictr" launch busybox bench-mem >/dev/null
sleep 0.5
pid=$(bench_mc_field bench-mem .state.pid)
mc_mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
[ "$(readlink "/proc/$mc_mon/exe")" = "$minictr" ] || bench_die "PID $mc_mon (parent of $pid) is not minictr's monitor"
read -r mc_rss mc_pss mc_anon mc_file < <(bench_smaps_kb "$mc_mon" Rss Pss Pss_Anon Pss_File)
mc_top=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { n = ($6 == "" ? "[anon]" : $6); sub(".*/", "", n) }
              /^Pss:/ { p[n] += $2 }
              END { for (n in p) if (p[n] > 0) printf "%d %s\n", p[n], n }' "/proc/$mc_mon/smaps" |
         sort -rn | head -n 6 | awk '{ printf "%s%s %s kB", (NR > 1 ? ", " : ""), $2, $1 }')
"$helpers/mc-absent" bench-mem

declare -A l_rss l_pss l_anon l_file
for name in "${lxc_names[@]}"; do
    "$helpers/lxc-running" "$name"
    sleep 0.5
    mon=$(cut -d' ' -f1 "$work/run/$name.mon")
    bench_lxc_is_our_monitor "$mon" "$name" || bench_die "PID $mon is not the [lxc monitor] of $name"
    read -r "l_rss[$name]" "l_pss[$name]" "l_anon[$name]" "l_file[$name]" \
        < <(bench_smaps_kb "$mon" Rss Pss Pss_Anon Pss_File)
    "$helpers/lxc-stopped" "$name"
done

mem_v=$(bench_verdict "$mc_pss" 1024)
[ "$mem_v" = met ] || missed=1
mem_line=$(printf '%-22s PSS %5s kB (anon %s, file %s), RSS %s kB   target PSS <= 1024 kB: %s' \
    "minictr monitor" "$mc_pss" "$mc_anon" "$mc_file" "$mc_rss" "$mem_v")
summary+=("$mem_line")
echo "$mem_line"
echo "  minictr monitor's PSS by mapping, largest first: $mc_top"
for name in "${lxc_names[@]}"; do
    line=$(printf '%-22s PSS %5s kB (anon %s, file %s), RSS %s kB' \
        "[lxc monitor] $name" "${l_pss[$name]}" "${l_anon[$name]}" "${l_file[$name]}" "${l_rss[$name]}")
    summary+=("$line")
    echo "$line"
done

echo
echo "== summary (bench/lifecycle.sh, RUNS=$RUNS, medians; LXC = $(lxc-start --version) unprivileged) =="
printf '%s\n' "${summary[@]}"
echo "whole script: ${SECONDS} s"
if [ "$missed" = 1 ] && [ "$BENCH_STRICT" = 1 ]; then
    exit 1
fi
exit 0
