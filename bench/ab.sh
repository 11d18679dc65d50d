#!/bin/bash
# bench/ab.sh: minictr against an earlier minictr, before/after in one
# run: the same commands of two builds, interleaved on one machine, so
# that a change can be held to "no slower by more than 10%" without the
# drift between two separate `make bench` runs (this machine's figures
# move by 10-15% from one run to the next, LXC's as much as ours).
#
#   bench/ab.sh REV       (run as root; about five minutes)
#
# REV (a commit, tag or branch of this repository) is built in a clone
# in the work dir; the other side is this work tree's $BUILDDIR/minictr,
# built by `make bench-ab` (or by hand).  Each build gets its own private
# MINICTR_DIR with the built-in busybox image imported, and runs:
#
#   launch         minictr launch busybox C            (deleted before each run)
#   start          minictr start C                     (stopped before each run)
#   stop --force   minictr stop --force C              (started before each run)
#   exec           minictr exec C -- /bin/true         (C running throughout)
#   file push      minictr file push 10MiB C/root/f    (random bytes, page cache)
#   file pull      minictr file pull C/root/f DEST
#
# Timings: hyperfine -N --warmup 2, ROUNDS rounds of RUNS runs per build
# and command, the two builds in one hyperfine run per round, their order
# swapped every round; all the runs of a build are pooled and their median
# reported, with the ratio after/before.  Untimed prepare steps put the
# container in the state the command starts from, then pause BENCH_SETTLE
# seconds, the same for both builds (see bench/lifecycle.sh on why).
#
# Environment: AB_COMMANDS (the labels to run, default all: launch start
# stop exec push pull), ROUNDS (default 4), RUNS (per round, >= 5, default 20),
# BENCH_SETTLE (default 0.1), BUILDDIR (default build), AB_LIMIT (the
# ratio called "within", default 1.10), BENCH_STRICT=1 (exit 1 when a
# ratio is over AB_LIMIT).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."

[ $# -eq 1 ] || bench_die "usage: bench/ab.sh REV (the build to compare this work tree's with)"
rev=$1
ROUNDS=${ROUNDS:-4}
RUNS=${RUNS:-20}
BUILDDIR=${BUILDDIR:-build}
AB_LIMIT=${AB_LIMIT:-1.10}
BENCH_STRICT=${BENCH_STRICT:-0}
AB_COMMANDS=${AB_COMMANDS:-launch start stop exec push pull}
settle=${BENCH_SETTLE:-0.1}
case $ROUNDS in '' | *[!0-9]* | 0) bench_die "ROUNDS must be a positive number" ;; esac
case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$RUNS" -ge 5 ] || bench_die "RUNS must be at least 5"
case $settle in '' | *[!0-9.]*) bench_die "BENCH_SETTLE must be a number of seconds" ;; esac
case $AB_LIMIT in '' | *[!0-9.]*) bench_die "AB_LIMIT must be a number" ;; esac
[ "$(id -u)" = 0 ] || bench_die "run as root"
for t in hyperfine jq git make; do
    command -v "$t" >/dev/null || bench_die "$t is missing: scripts/install-deps.sh bench"
done
after=$(realpath -- "$BUILDDIR/minictr")
[ -x "$after" ] || bench_die "$BUILDDIR/minictr is missing: make first"
commit=$(git rev-parse --verify --quiet "$rev^{commit}") || bench_die "unknown revision '$rev'"

# Both state dirs' containers go before the work dir does (its trap).
work=
bench_workdir work
declare -A bin dir
# shellcheck disable=SC2317  # run from the EXIT trap
ab_cleanup() {
    local s c
    bench_stop_run
    for s in before after; do
        if [ -z "${dir[$s]:-}" ] || [ ! -x "${bin[$s]:-}" ]; then continue; fi
        for c in ab-launch ab-start ab-stop ab-exec; do
            MINICTR_DIR=${dir[$s]} "${bin[$s]}" delete --force "$c" >/dev/null 2>&1 || true
        done
    done
    bench_cleanup
}
trap ab_cleanup EXIT

# ---------------------------------------------------------------- builds

bench_log "building $rev (${commit:0:12}) in $work/src ..."
git clone -q --no-hardlinks . "$work/src"
git -C "$work/src" checkout -q "$commit"
make -C "$work/src" -j"$(nproc)" BUILDDIR=build >"$work/build.log" 2>&1 ||
    { tail -n 20 "$work/build.log" >&2; bench_die "building $rev failed"; }
bin[before]=$work/src/build/minictr
bin[after]=$after

image=$work/busybox.tar.xz
scripts/mkimage-busybox.sh "$image" >/dev/null
head -c 10485760 /dev/urandom >"$work/10MiB"
for s in before after; do
    dir[$s]=$work/state-$s
    mkdir -p "${dir[$s]}"
    M() { MINICTR_DIR=${dir[$s]} "${bin[$s]}" "$@"; }
    M image import "$image" --alias busybox >/dev/null
    M init busybox ab-start >/dev/null
    M launch busybox ab-stop >/dev/null
    M launch busybox ab-exec >/dev/null
    M file push "$work/10MiB" ab-exec/root/f
done

# prepare STATE DIR BIN NAME: container NAME in STATE (absent, stopped,
# running), then the pause.  hyperfine -N runs it without a shell.
cat >"$work/prepare" <<'EOF'
#!/bin/sh
want=$1 name=$4
export MINICTR_DIR=$2
case $want in
    absent) "$3" delete --force "$name" >/dev/null 2>&1 || true
            [ ! -d "$MINICTR_DIR/containers/$name" ] || { echo "prepare: $name still exists" >&2; exit 1; } ;;
    stopped) "$3" stop --force "$name" >/dev/null 2>&1 || true ;;
    running) "$3" start "$name" >/dev/null 2>&1 || true ;;
esac
EOF
printf 'sleep %s\n' "$settle" >>"$work/prepare"
chmod 0755 "$work/prepare"

echo "== minictr before/after (bench/ab.sh) =="
echo "before:    $rev = $(git log -1 --format='%h %s' "$commit" | cut -c1-100)"
echo "after:     $after (work tree at $(git log -1 --format=%h HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo ', with changes'))"
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:     $(hyperfine --version); -N --warmup 2, $ROUNDS rounds x $RUNS runs per build, pooled medians"
echo

# ------------------------------------------------------------- benchmark

summary=()
over=0
# measure LABEL STATE NAME ARGS…: ROUNDS hyperfine runs of `minictr ARGS`
# for both builds (NAME put in STATE first, unless STATE is "-").
measure() {
    local label=$1 state=$2 name=$3 r s order json med_b med_a ratio verdict
    local -a args
    shift 3
    case " $AB_COMMANDS " in *" ${label%% *} "* | *" ${label#* } "*) ;; *) return 0 ;; esac
    for r in $(seq "$ROUNDS"); do
        order="before after"
        [ $((r % 2)) = 0 ] && order="after before"
        args=()
        for s in $order; do
            [ "$state" = - ] || args+=(--prepare "$work/prepare $state ${dir[$s]} ${bin[$s]} $name")
            args+=(-n "$s" "env MINICTR_DIR=${dir[$s]} ${bin[$s]} $*")
        done
        json=$work/${label// /-}-$r.json
        bench_run hyperfine -N --style none --warmup 2 --runs "$RUNS" --export-json "$json" \
            "${args[@]}" >"$work/hyperfine.log" 2>&1 ||
            { tail -n 5 "$work/hyperfine.log" >&2; bench_die "hyperfine failed for '$label'"; }
    done
    # The pooled times of each build, in seconds; their medians.
    for s in before after; do
        jq -s --arg s "$s" '[.[].results[] | select(.command == $s) | .times[]] | sort |
            if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end' \
            "$work/${label// /-}"-*.json >"$work/med-$s"
    done
    med_b=$(cat "$work/med-before")
    med_a=$(cat "$work/med-after")
    ratio=$(awk -v a="$med_a" -v b="$med_b" 'BEGIN { printf "%.3f", a / b }')
    verdict=within
    awk -v r="$ratio" -v l="$AB_LIMIT" 'BEGIN { exit !(r > l) }' && { verdict=OVER; over=1; }
    summary+=("$(printf '%-14s before %8.2f ms   after %8.2f ms   after/before %s   <= %s: %s' \
        "$label" "$(awk -v t="$med_b" 'BEGIN { print t * 1000 }')" \
        "$(awk -v t="$med_a" 'BEGIN { print t * 1000 }')" "$ratio" "$AB_LIMIT" "$verdict")")
    echo "${summary[-1]}"
}

measure launch absent ab-launch launch busybox ab-launch
measure start stopped ab-start start ab-start
measure "stop --force" running ab-stop stop --force ab-stop
measure exec - ab-exec exec ab-exec -- /bin/true
measure "file push" - ab-exec file push "$work/10MiB" ab-exec/root/f
measure "file pull" - ab-exec file pull ab-exec/root/f "$work/pulled"
[ ! -e "$work/pulled" ] || cmp -s "$work/10MiB" "$work/pulled" ||
    bench_die "the pulled file differs from the one pushed"

echo
echo "== summary (bench/ab.sh $rev, ROUNDS=$ROUNDS RUNS=$RUNS, pooled medians) =="
printf '%s\n' "${summary[@]}"
echo "whole script: ${SECONDS} s"
if [ "$over" = 1 ] && [ "$BENCH_STRICT" = 1 ]; then
    exit 1
fi
exit 0
