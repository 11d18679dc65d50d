# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts.  Source it; it defines
# functions and the two bench_* variables below, and sets nothing else.
#
#   bench_log / bench_die           messages on stderr
#   bench_workdir VAR               private temp dir, removed on every exit
#   bench_cleanup_add PATH          one more path for the exit trap
#   bench_run CMD…                  run CMD so that INT/TERM stop it at once
#   bench_debian_mirror [SUITE]     this machine's Debian mirror URL
#   bench_copy_upto DEST BYTES SRC… copy real host files until BYTES copied
#   bench_scratch_fs DIR BYTES      mount a fresh journaled ext4 (loop) on DIR
#   bench_median JSON N             hyperfine --export-json: median of command N
#   bench_peak_rss_kb CMD…          peak RSS (kB) of CMD, via /usr/bin/time
#   bench_mib BYTES                 "123.4 MiB"
#   bench_stop_run                  stop what bench_run runs (the EXIT trap's first step)
#   bench_cgroup_dirs NAME          NAME below this process's own cgroup, per hierarchy
#   bench_cgroup_rmtree NAME        remove the cgroup trees NAME this bench made
#   bench_smaps_kb PID FIELD…       fields of /proc/PID/smaps_rollup, in kB
#   bench_in_systemd_vm CMDLINE     CMDLINE (a bench, RUNS given) in the systemd test VM

bench_cleanup_paths=()
bench_run_pid=

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Unmount anything left mounted under a path (debootstrap mounts proc,
# sys... in its target and may die before unmounting), deepest first,
# so that rm -rf never walks into a live /proc or /sys.
bench_umount_under() {
    local top=$1 m
    [ -d "$top" ] || return 0
    top=$(realpath -- "$top")
    # findmnt -r escapes blanks as \x20: fine, bench paths have none.
    while IFS= read -r m; do
        case $m in
            "$top"/*) umount -- "$m" 2>/dev/null || umount -l -- "$m" 2>/dev/null || true ;;
        esac
    done < <(findmnt -rn -o TARGET 2>/dev/null | sort -r)
}

# shellcheck disable=SC2317  # run from the EXIT trap
bench_cleanup() {
    local p
    if [ -n "$bench_run_pid" ]; then
        kill -TERM -- "-$bench_run_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 -- "-$bench_run_pid" 2>/dev/null || break
            sleep 0.1
        done
        bench_run_pid=
    fi
    for p in "${bench_cleanup_paths[@]}"; do
        [ -e "$p" ] || continue
        bench_umount_under "$p"
        rm -rf --one-file-system -- "$p" || true
    done
}

bench_cleanup_add() { bench_cleanup_paths+=("$1"); }

# bench_run CMD…: run CMD in a process group of its own and wait for it.
# Waiting in `wait` lets INT and TERM reach the traps at once (bash
# defers them while a foreground command runs, and hyperfine, for one,
# ignores Ctrl-C and would carry on); the EXIT trap then stops CMD and
# everything it started.  Call it from the main shell, not from $(…).
bench_run() {
    local rc=0
    setsid -w "$@" &
    bench_run_pid=$!
    wait "$bench_run_pid" || rc=$?
    bench_run_pid=
    return "$rc"
}

# bench_workdir VAR: make a private temp dir, store its path in VAR, and
# remove it on every exit (EXIT trap; INT and TERM exit through it),
# together with every path handed to bench_cleanup_add.  It sets VAR
# rather than printing, because the trap must be set in the main shell.
bench_workdir() {
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/minictr-bench.XXXXXX")
    bench_cleanup_add "$dir"
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    printf -v "$1" '%s' "$dir"
}

# The first deb URI that serves SUITE (default bookworm) with `main`, from
# the one-line and deb822 apt sources; $DEBIAN_MIRROR wins.
bench_debian_mirror() {
    "$(dirname "${BASH_SOURCE[0]}")/../scripts/debian-mirror.sh" "$@"
}

# Copy regular files and symlinks (real content, numeric owners, modes and
# xattrs kept) from the SRC trees into DEST/<same path>, in find order,
# until at least BYTES have been copied or the sources run out.  Files
# over 4 MiB are left out, so that the copy has a distribution's mix of
# many small files rather than a few big binaries.  Prints the number of
# bytes copied.
bench_copy_upto() {
    local dest=$1 want=$2 list
    shift 2
    list=$(mktemp "${TMPDIR:-/tmp}/minictr-bench-list.XXXXXX")
    # Paths with a tab or newline are skipped; host system trees have none.
    { find "$@" -xdev \( -type f -o -type l \) -printf '%s\t%p\n' 2>/dev/null || true; } |
        awk -F'\t' -v want="$want" -v list="$list" '
            NF == 2 && $1 <= 4194304 && sum < want { sum += $1; print substr($2, 2) > list }
            END { printf "%d\n", sum }'
    mkdir -p -- "$dest"
    tar -C / -cf - --no-recursion --numeric-owner --xattrs --xattrs-include='*' \
        --files-from="$list" 2>/dev/null |
        tar -C "$dest" -xpf - --numeric-owner --xattrs --xattrs-include='*'
    rm -f -- "$list"
}

# A fresh ext4 as mkfs.ext4 makes it by default (journal and all), in a
# sparse file DIR.img of BYTES, loop-mounted on DIR: the same clean
# filesystem for every run, whatever the host's own filesystem is (a
# journal-less ext4, for one, makes creating inodes right after deleting
# thousands of others very slow).  Inode tables are initialised by mkfs,
# so no ext4lazyinit thread writes behind the benchmark.  The EXIT trap of
# bench_workdir unmounts it when DIR is under the work dir.  Returns 1
# (and leaves nothing behind) when loop mounts are not possible here.
bench_scratch_fs() {
    local dir=$1 bytes=$2
    mkdir -p -- "$dir"
    if truncate -s "$bytes" "$dir.img" &&
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dir.img" >/dev/null 2>&1 &&
        mount -o loop -- "$dir.img" "$dir" 2>/dev/null; then
        return 0
    fi
    rm -f -- "$dir.img"
    return 1
}

bench_median() {
    jq -r --argjson n "$2" '.results[$n].median' "$1"
}

# Run CMD once (stdout discarded) and print its peak resident set size in
# kB; print nothing (but still run CMD) when /usr/bin/time (Debian package
# `time`) is missing.  Returns CMD's status.
bench_peak_rss_kb() {
    local out rc=0
    if [ ! -x /usr/bin/time ]; then
        "$@" >/dev/null
        return
    fi
    out=$(mktemp "${TMPDIR:-/tmp}/minictr-bench-rss.XXXXXX")
    /usr/bin/time -f '%M' -o "$out" "$@" >/dev/null || rc=$?
    [ "$rc" -ne 0 ] || tail -n1 "$out"
    rm -f -- "$out"
    return "$rc"
}

bench_mib() {
    awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'
}

# Stop what bench_run is running (its whole process group) and wait up
# to 5 s for it to go; bench_cleanup does the same first.  For scripts
# whose own EXIT trap must stop the benchmark before undoing what it
# set up (containers, cgroups), and only then call bench_cleanup.
# shellcheck disable=SC2317  # run from EXIT traps
bench_stop_run() {
    [ -n "$bench_run_pid" ] || return 0
    kill -TERM -- "-$bench_run_pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$bench_run_pid" 2>/dev/null || break
        sleep 0.1
    done
    bench_run_pid=
}

# For every mounted cgroup hierarchy, the path NAME has (or would have)
# right below this process's own cgroup there, one a line:
# /sys/fs/cgroup/memory/<own memory cgroup>/NAME, /sys/fs/cgroup/cpu/NAME
# when the own cpu cgroup is the root...  Hierarchies whose mount does
# not show the hierarchy's root are skipped.
bench_cgroup_dirs() {
    local name=$1 id ctrls path mnt fstype opts fsroot c ok
    while IFS=: read -r id ctrls path; do
        [ -n "$id" ] || continue
        while read -r mnt fstype opts fsroot; do
            [ "$fsroot" = / ] || continue
            if [ -z "$ctrls" ]; then
                [ "$fstype" = cgroup2 ] || continue
            else
                [ "$fstype" = cgroup ] || continue
                ok=1
                for c in ${ctrls//,/ }; do
                    case ",$opts," in *",$c,"*) ;; *) ok=0 ;; esac
                done
                [ "$ok" = 1 ] || continue
            fi
            path=${path%/}
            printf '%s%s/%s\n' "$mnt" "$path" "$name"
            break
        done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,OPTIONS,FSROOT)
    done </proc/self/cgroup
}

# Remove the cgroup NAME, with everything below it, in every hierarchy:
# below this process's own cgroup (bench_cgroup_dirs) and, should a tool
# have escaped there, at the hierarchy's root.  Only for names this run
# made up (a random tag, a hash of a private directory): whatever is
# found there was created by this run.  A frozen freezer cgroup in it is
# thawed and processes still inside (the run's own containers, which a
# failed stop left behind) are killed by PID before the rmdirs, deepest
# first.  Returns 1 when something could not be removed.
bench_cgroup_rmtree() {
    local name=$1 dir d pid ret=0
    case $name in '' | . | .. | */*) return 1 ;; esac
    while IFS= read -r dir; do
        [ -d "$dir" ] || continue
        while IFS= read -r d; do
            if [ -f "$d/freezer.state" ] && [ "$(cat -- "$d/freezer.state")" != THAWED ]; then
                echo THAWED >"$d/freezer.state" 2>/dev/null || true
            fi
        done < <(find "$dir" -type d 2>/dev/null)
        for _ in $(seq 50); do
            while read -r pid; do
                kill -KILL "$pid" 2>/dev/null || true
            done < <(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null)
            find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [ -d "$dir" ] || break
            sleep 0.1
        done
        if [ -d "$dir" ]; then
            bench_log "could not remove the cgroup $dir"
            ret=1
        fi
    done < <({ bench_cgroup_dirs "$name"
               findmnt -rn -t cgroup,cgroup2 -o TARGET | sed "s|\$|/$name|"; } | sort -u)
    return "$ret"
}

# bench_smaps_kb PID FIELD…: the FIELDs (Rss, Pss, Pss_Anon...) of
# /proc/PID/smaps_rollup in kB, blank-separated, in the order asked.
bench_smaps_kb() {
    local pid=$1
    shift
    awk -v want="$*" '
        BEGIN { n = split(want, w, " ") }
        { sub(":", "", $1); v[$1] = $2 }
        END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), (w[i] in v ? v[w[i]] : "?"); print "" }' \
        "/proc/$pid/smaps_rollup"
}

# bench_in_systemd_vm CMDLINE: a bench run inside the systemd test VM
# (tests/vm/run.sh, MINICTR_VM_FLAVOUR=systemd: Debian bookworm, systemd
# as PID 1, pure cgroup v2), as CMDLINE says (a shell command line from
# the repository's top, its environment in it), after the bench packages
# and the build; RUNS (default 10) is checked and given as RUNS=.  Under
# TCG (no nested KVM here) absolute times are many times a real host's:
# the ratios are what such a run measures.
bench_in_systemd_vm() {
    local t=$SECONDS
    RUNS=${RUNS:-10}
    case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
    scripts/install-deps.sh bench
    make -s BUILDDIR="${BUILDDIR:-build}" >&2
    MINICTR_VM_FLAVOUR=systemd MINICTR_VM_RUN="RUNS=$RUNS BUILDDIR=${BUILDDIR:-build} $1" tests/vm/run.sh
    echo "(the VM run took $((SECONDS - t)) s)"
}
