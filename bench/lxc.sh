# shellcheck shell=bash
# What the benchmarks that run minictr side by side with LXC share
# (bench/lifecycle.sh, bench/exec-files.sh).  Source it after lib.sh; it
# defines functions and the bench_sbs_* / bench_lxc_* variables below.
#
#   bench_sbs_setup                 root, tools (make, install-deps), the work dir,
#                                   a private MINICTR_DIR and lxcpath, the EXIT trap
#   bench_sbs_cleanup               the EXIT trap: every container, LXC monitor,
#                                   cgroup, run dir and lock dir the run made
#   bench_sbs_import_busybox        the built-in busybox image, imported
#   bench_mc_state_id DIR           minictr's run-dir / cgroup id of a state dir
#   bench_mc_field NAME JQ          a field of minictr container NAME (list JSON)
#   bench_lxc_write_config NAME ROOTFS [IDBASE]
#                                   an LXC container (unprivileged with IDBASE)
#   bench_lxc_copy_rootfs SRC DST IDBASE   a copy with owners shifted by IDBASE
#   bench_lxc_start NAME            lxc-start -d, RUNNING when it returns
#   bench_lxc_stop NAME             lxc-stop -k, and its monitor gone
#   bench_lxc_monitor_of NAME       PID of the `[lxc monitor]` of NAME
#   bench_lxc_is_our_monitor PID NAME
#   bench_check_cgroups PID PREFIX  PID's cgroups below our own cgroup/PREFIX
#   bench_cgroup_layout             "cgroup2", "hybrid (...)" or "cgroup1"
#   bench_ms SECONDS / bench_ratio A B / bench_verdict RATIO TARGET
#
# Set by bench_sbs_setup:
#   bench_minictr       absolute path of the minictr binary ($BUILDDIR/minictr)
#   bench_sbs_work      the private work dir (mode 0711: an unprivileged LXC
#                       container's root must be able to walk to its rootfs)
#   bench_sbs_state     minictr's state dir (exported as MINICTR_DIR)
#   bench_sbs_lxcpath   LXC's lxcpath (-P)
#   bench_sbs_tag       LXC's cgroups go below <own cgroup>/<tag>, one per run
#   bench_sbs_mc_cgroup minictr's cgroup for this state dir, below our own
#   bench_lxc_conf_dir  Debian's LXC configs (common.conf, userns.conf)
#   bench_lxc_names     the LXC containers to clean up (bench_lxc_write_config adds)
# Set by bench_sbs_import_busybox: bench_sbs_image (the .tar.xz),
# bench_sbs_fp (its fingerprint), bench_sbs_rootfs (minictr's unpacked copy).
#
# Cgroups: LXC is configured to create its cgroups below this script's
# own cgroup in every hierarchy (lxc.cgroup.relative = 1, and
# lxc.cgroup.dir.container/monitor below bench_sbs_tag), as minictr does;
# bench_check_cgroups lets a script verify both before measuring.  Only
# cgroups named after this run's tag and state dir are ever removed.

bench_minictr=
bench_sbs_work=
bench_sbs_state=
bench_sbs_lxcpath=
bench_sbs_tag=
bench_sbs_mc_cgroup=
bench_sbs_image=
bench_sbs_fp=
bench_sbs_rootfs=
bench_lxc_conf_dir=/usr/share/lxc/config
bench_lxc_names=()
bench_lxc_path=
# LXC keeps lock files in /run/lxc/lock/<lxcpath>/: that tree goes with
# the run, and so do the parents it creates (the ones missing at setup).
bench_lxc_lockdir=
bench_lxc_new_dirs=()

# bench_sbs_setup: call from the main shell, before anything is created
# (it sets the EXIT trap); dies when something needed is missing.
bench_sbs_setup() {
    local t d
    [ "$(id -u)" -eq 0 ] || bench_die "run as root (LXC, cgroups, and minictr's idmapped mounts)"
    # BENCH_NO_BUILD=1: the tools and the binary are there already (the
    # systemd test VM, which has no network and a read-only source tree).
    if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
        scripts/install-deps.sh bench
        # Incremental: a no-op when the binary is up to date, and never a stale one.
        make -s BUILDDIR="${BUILDDIR:-build}" >&2
    fi
    bench_minictr=$(realpath -- "${BUILDDIR:-build}/minictr")
    for t in hyperfine jq lxc-start lxc-stop lxc-info lxc-wait findmnt; do
        command -v "$t" >/dev/null || bench_die "$t is missing"
    done
    if [ ! -r "$bench_lxc_conf_dir/common.conf" ] || [ ! -r "$bench_lxc_conf_dir/userns.conf" ]; then
        bench_die "$bench_lxc_conf_dir/common.conf or userns.conf missing (Debian package lxc)"
    fi

    bench_workdir bench_sbs_work
    trap bench_sbs_cleanup EXIT
    chmod 0711 "$bench_sbs_work"
    bench_sbs_state=$bench_sbs_work/state
    bench_sbs_lxcpath=$bench_sbs_work/lxc
    export MINICTR_DIR=$bench_sbs_state
    # minictr's default cgroup parent: relative, below this script's own
    # cgroup, named after the state dir (an absolute override would put
    # the containers at the hierarchies' roots).
    unset MINICTR_CGROUP_PARENT
    bench_sbs_mc_cgroup=minictr-$(bench_mc_state_id "$bench_sbs_state")
    # Unique to the run: the temp dir's random suffix.
    bench_sbs_tag=minictr-bench-${bench_sbs_work##*.}
    mkdir -p "$bench_sbs_state" "$bench_sbs_lxcpath"
    # PATH for LXC: $PATH, but /usr/bin and /bin through a dir of links
    # that leaves newuidmap and newgidmap out (bench_lxc_start).
    mkdir -p "$bench_sbs_work/lxc-bin"
    for t in /usr/bin/*; do
        case ${t##*/} in newuidmap | newgidmap) ;; *) ln -s "$t" "$bench_sbs_work/lxc-bin/" ;; esac
    done
    bench_lxc_path=$(printf '%s' "$PATH" | tr ':' '\n' |
        sed -e "s|^/usr/bin\$|$bench_sbs_work/lxc-bin|" -e "s|^/bin\$|$bench_sbs_work/lxc-bin|" | paste -sd:)
    bench_lxc_lockdir=/run/lxc/lock$bench_sbs_lxcpath
    d=$bench_lxc_lockdir
    while [ "$d" != /run ] && [ ! -e "$d" ]; do
        bench_lxc_new_dirs+=("$d")
        d=${d%/*}
    done
}

# The id minictr derives from a state dir for its run dir and cgroup
# (/run/minictr-<id>, minictr-<id>): the 64-bit FNV-1a hash of the
# canonical path, first 12 hex digits (lib/paths.c).  Bash arithmetic
# wraps modulo 2^64 as uint64_t does.
bench_mc_state_id() {
    local path h=-3750763034362895579 i c LC_ALL=C
    path=$(realpath -m -- "$1")
    for ((i = 0; i < ${#path}; i++)); do
        printf -v c '%d' "'${path:i:1}"
        h=$(( (h ^ (c & 255)) * 1099511628211 ))
    done
    printf '%016x' "$h" | cut -c1-12
}

# bench_mc_field NAME JQ: JQ applied to minictr container NAME's entry of
# `minictr list --format json` (".state.pid", ".status"...).
bench_mc_field() {
    "$bench_minictr" list --format json | jq -r --arg n "$1" ".[] | select(.name == \$n) | $2"
}

# The monitor of LXC container $1 (the parent of its init), if running.
bench_lxc_monitor_of() {
    local pid
    pid=$(lxc-info -P "$bench_sbs_lxcpath" -n "$1" -pH 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' '
}

# Whether PID $1 is still the `[lxc monitor] LXCPATH NAME` of our container $2.
bench_lxc_is_our_monitor() {
    local cmd
    cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    case $cmd in "[lxc monitor] $bench_sbs_lxcpath $2"*) return 0 ;; esac
    return 1
}

# lxc-start -d NAME, and wait (10 s at most) for RUNNING; on failure the
# end of the container's log goes to stderr and the status is 1.
bench_lxc_start() {
    # LXC maps ids through newuidmap/newgidmap whenever they are on PATH,
    # root or not, and those want /etc/subuid ranges for root; without
    # them (bench_lxc_path), LXC as root writes the maps itself.
    if ! env PATH="$bench_lxc_path" lxc-start -P "$bench_sbs_lxcpath" -n "$1" -d ||
        ! lxc-wait -P "$bench_sbs_lxcpath" -n "$1" -s RUNNING -t 10; then
        tail -n 5 "$bench_sbs_lxcpath/$1/lxc.log" >&2 2>/dev/null
        return 1
    fi
}

# lxc-stop -k NAME, then wait (5 s at most) for its monitor to exit, and
# as a last resort kill that monitor by PID (only when it is still the
# monitor of our own container).  Nothing to do when it is not running.
bench_lxc_stop() {
    local name=$1 mon
    mon=$(bench_lxc_monitor_of "$name")
    lxc-stop -P "$bench_sbs_lxcpath" -n "$name" -k >/dev/null 2>&1
    for _ in $(seq 100); do
        if [ -z "$mon" ] || ! bench_lxc_is_our_monitor "$mon" "$name"; then
            return 0
        fi
        sleep 0.05
    done
    bench_log "cleanup: killing the monitor $mon of $name"
    kill -KILL "$mon" 2>/dev/null
    return 0
}

# shellcheck disable=SC2317  # the EXIT trap
bench_sbs_cleanup() {
    local name d
    set +e
    bench_stop_run
    if [ -n "$bench_sbs_state" ] && [ -d "$bench_sbs_state/containers" ]; then
        for d in "$bench_sbs_state"/containers/*/; do
            [ -d "$d" ] || continue
            name=${d%/}
            name=${name##*/}
            "$bench_minictr" delete --force "$name" >/dev/null 2>&1 ||
                bench_log "cleanup: minictr delete --force $name failed"
        done
    fi
    for name in "${bench_lxc_names[@]}"; do
        [ -f "$bench_sbs_lxcpath/$name/config" ] || continue
        bench_lxc_stop "$name"
    done
    [ -z "$bench_sbs_tag" ] || bench_cgroup_rmtree "$bench_sbs_tag"
    if [ -n "$bench_sbs_mc_cgroup" ]; then
        bench_cgroup_rmtree "$bench_sbs_mc_cgroup"
        d=/run/$bench_sbs_mc_cgroup
        [ ! -d "$d" ] || rm -rf --one-file-system -- "$d"
    fi
    if [ -n "$bench_lxc_lockdir" ] && [ -d "$bench_lxc_lockdir" ]; then
        rm -rf --one-file-system -- "$bench_lxc_lockdir"
    fi
    for d in "${bench_lxc_new_dirs[@]}"; do
        rmdir -- "$d" 2>/dev/null
    done
    bench_cleanup
}

# Build the built-in busybox image and import it into the private state
# dir with the alias `busybox`.
bench_sbs_import_busybox() {
    bench_log "building the busybox image and importing it..."
    bench_sbs_image=$bench_sbs_work/busybox.tar.xz
    scripts/mkimage-busybox.sh "$bench_sbs_image"
    "$bench_minictr" image import "$bench_sbs_image" --alias busybox >/dev/null
    bench_sbs_fp=$(find "$bench_sbs_state/images" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n')
    bench_sbs_rootfs=$bench_sbs_state/images/$bench_sbs_fp/rootfs
    if [ -z "$bench_sbs_fp" ] || [ ! -d "$bench_sbs_rootfs" ]; then
        bench_die "no imported rootfs in $bench_sbs_state/images"
    fi
}

# The LXC config of container $1 with rootfs $2, configured the way
# Debian's templates configure one (common.conf, plus userns.conf and
# lxc.idmap when $3 is an id-map base: unprivileged), no network, cgroups
# below this script's own cgroup/<tag>/NAME.
bench_lxc_write_config() {
    local name=$1 rootfs=$2 base=${3:-}
    mkdir -p "$bench_sbs_lxcpath/$name"
    bench_lxc_names+=("$name")
    {
        echo "# Written by bench/${0##*/}; removed with its temp dir."
        echo "lxc.include = $bench_lxc_conf_dir/common.conf"
        if [ -n "$base" ]; then
            echo "lxc.include = $bench_lxc_conf_dir/userns.conf"
            echo "lxc.idmap = u 0 $base 65536"
            echo "lxc.idmap = g 0 $base 65536"
        fi
        echo "lxc.uts.name = $name"
        echo "lxc.rootfs.path = dir:$rootfs"
        echo "lxc.net.0.type = empty"
        echo "lxc.init.cmd = /sbin/init"
        echo "lxc.apparmor.profile = unconfined"
        echo "lxc.cgroup.relative = 1"
        echo "lxc.cgroup.dir.container = $bench_sbs_tag/$name/payload"
        echo "lxc.cgroup.dir.monitor = $bench_sbs_tag/$name/monitor"
        echo "lxc.cgroup.dir.monitor.pivot = $bench_sbs_tag"
        echo "lxc.log.file = $bench_sbs_lxcpath/$name/lxc.log"
        echo "lxc.log.level = ERROR"
    } >"$bench_sbs_lxcpath/$name/config"
}

# Copy rootfs $1 to $2 with every owner shifted up by $3 (0: a plain copy).
bench_lxc_copy_rootfs() {
    local src=$1 dst=$2 base=$3 u g
    cp -a -- "$src" "$dst"
    [ "$base" -ne 0 ] || return 0
    while read -r u g; do
        if [ "$u" -ge 65536 ] || [ "$g" -ge 65536 ]; then
            bench_die "rootfs owner $u:$g is outside the 65536 ids mapped"
        fi
        find "$dst" -uid "$u" -gid "$g" -exec chown -h "$((base + u)):$((base + g))" {} +
    done < <(find "$src" -printf '%U %G\n' | sort -u)
}

# Check that every cgroup of PID $1 is below "<this script's own cgroup>/$2/"
# in the same hierarchy (with $2 empty: that cgroup or below); print the
# memory one.  Returns 1 otherwise.
bench_check_cgroups() {
    local pid=$1 prefix=$2 id ctrls path own bad ret=0 mem=""
    while IFS=: read -r id ctrls path; do
        own=$(awk -F: -v id="$id" '$1 == id { print $3 }' /proc/self/cgroup)
        own=${own%/}
        bad=1
        if [ -n "$prefix" ]; then
            case $path in "$own/$prefix" | "$own/$prefix/"*) bad=0 ;; esac
        else
            case $path in "${own:-/}" | "$own/"*) bad=0 ;; esac
        fi
        if [ "$bad" = 1 ]; then
            bench_log "cgroup of PID $pid in hierarchy $id ($ctrls): $path, not ${own:-/}/$prefix"
            ret=1
        fi

        case ",$ctrls," in *,memory,*) mem=$path ;; esac
    done <"/proc/$pid/cgroup"
    printf '%s\n' "${mem:-?}"
    return "$ret"
}

# Whether minictr gives each container a systemd scope here
# (runtime/cgroup/systemd.h): systemd as init, pure cgroup v2, no override.
bench_mc_systemd() {
    [ -d /run/systemd/system ] && [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] &&
        [ -z "${MINICTR_CGROUP_PARENT:-}" ] && [ "${MINICTR_SYSTEMD:-1}" != 0 ]
}

bench_cgroup_layout() {
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        echo "cgroup2"
    elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        echo "hybrid (cgroup1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
    else
        echo "cgroup1"
    fi
}

bench_ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
bench_verdict() {
    if awk -v r="$1" -v t="$2" 'BEGIN { exit !(r <= t) }'; then echo "met"; else echo "NOT met"; fi
}
