#!/bin/bash
# bench/image-import.sh: `minictr image import` of a ≥100 MiB unified LXD
# image, side by side with what it replaces: `sha256sum FILE && tar -xf`.
#
#   bench/image-import.sh           (or `make bench`; run as root)
#
# The image is a Debian minbase rootfs from debootstrap (host files if
# debootstrap cannot run), built once and cached in
# ${BUILDDIR:-build}/bench-cache/image-import/ (delete it to rebuild).
# Both sides read the image from the page cache (warm, no drop_caches),
# run as root, keep owners, modes, times and xattrs, and write into a
# fresh directory on a freshly made ext4 on a loop file (not the host's
# own filesystem: a journal-less ext4, like this VM's root, makes every
# run pay for the inodes the previous run deleted).  Headline: the
# uncompressed tar; target: median(minictr) / median(baseline) ≤ 1.00.
#
# Environment: RUNS (timed runs per command, ≥5, default 7), BENCH_GZIP=0
# (skip the .tar.gz case), BENCH_EXTRA=0 (skip the two informational
# commands), BENCH_FS=tmpdir (write to the temp dir's own filesystem, not
# a fresh loop-mounted ext4), BENCH_STRICT=1 (exit 1 when the headline
# target is missed), DEBIAN_MIRROR (instead of the apt sources' one).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
cd "$here/.."

RUNS=${RUNS:-7}
BENCH_GZIP=${BENCH_GZIP:-1}
BENCH_EXTRA=${BENCH_EXTRA:-1}
BENCH_STRICT=${BENCH_STRICT:-0}
BUILDDIR=${BUILDDIR:-build}
suite=bookworm
min_bytes=$((100 * 1024 * 1024))
cache_version=v1

case $RUNS in '' | *[!0-9]*) bench_die "RUNS must be a number" ;; esac
[ "$RUNS" -ge 5 ] || bench_die "RUNS must be at least 5"
[ "$(id -u)" -eq 0 ] || bench_die "run as root (debootstrap, and both sides keep file owners)"

scripts/install-deps.sh bench
[ -x "$BUILDDIR/minictr" ] || make -s BUILDDIR="$BUILDDIR"
minictr=$(realpath -- "$BUILDDIR/minictr")
cache=$(realpath -m -- "$BUILDDIR/bench-cache/image-import")
image=$cache/unified-$cache_version.tar
image_gz=$image.gz
image_src=$cache/unified-$cache_version.source

work=""
rootfs_source=""
bench_workdir work

# ---------------------------------------------------------------- image

# The rootfs from debootstrap, tidied like a published LXD image (no
# .debs, empty /dev, no host resolv.conf/hostname).  Sets rootfs_source.
make_rootfs_debootstrap() {
    local root=$1 mirror
    mirror=$(bench_debian_mirror "$suite") || {
        bench_log "no Debian $suite mirror in the apt sources"
        return 1
    }
    bench_log "debootstrap --variant=minbase $suite from $mirror (once; cached)..."
    if ! bench_run timeout 900 debootstrap --variant=minbase "$suite" "$root" "$mirror" \
            >"$work/debootstrap.log" 2>&1; then
        bench_log "debootstrap failed; last lines of its log:"
        tail -n 5 "$work/debootstrap.log" >&2
        return 1
    fi
    rm -rf -- "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/lib/apt/lists/* "${root:?}"/dev/*
    rm -f -- "${root:?}/etc/resolv.conf" "${root:?}/etc/hostname"
    rootfs_source="debootstrap --variant=minbase $suite $mirror"
}

# Fallback: a rootfs of the host's own programs and libraries.
make_rootfs_host() {
    local root=$1 got
    bench_umount_under "$root"
    rm -rf --one-file-system -- "$root"
    mkdir -p "$root"/{dev,proc,sys,run,tmp,root,etc,var/log,home}
    chmod 1777 "$root/tmp"
    got=$(bench_copy_upto "$root" $((min_bytes + 32 * 1024 * 1024)) \
        /usr/lib /usr/share /usr/bin /usr/sbin)
    rootfs_source="HOST FILES, debootstrap failed: $(bench_mib "$got") of /usr/lib, /usr/share, /usr/bin, /usr/sbin"
}

pack_image() {
    tar -C "$1" -cf "$2" --sort=name --numeric-owner --xattrs --xattrs-include='*' \
        metadata.yaml templates rootfs
}

build_image() {
    local b root source size pad
    b=$work/image
    root=$b/rootfs
    mkdir -p "$b/templates"
    if ! make_rootfs_debootstrap "$root"; then
        bench_log "falling back to a rootfs built from host files"
        make_rootfs_host "$root"
    fi
    source=$rootfs_source
    cat >"$b/metadata.yaml" <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: '$(printf '%s' "minictr bench image: $source" | sed "s/'/''/g")'
  os: debian
  release: $suite
EOF
    pack_image "$b" "$b/image.tar"
    size=$(stat -c %s "$b/image.tar")
    if [ "$size" -lt "$min_bytes" ]; then
        pad=$(bench_copy_upto "$root/opt/pad" $((min_bytes - size + 8 * 1024 * 1024)) \
            /usr/share/doc /usr/lib/x86_64-linux-gnu /usr/lib /usr/share)
        source="$source + $(bench_mib "$pad") of host files in /opt/pad"
        pack_image "$b" "$b/image.tar"
        size=$(stat -c %s "$b/image.tar")
    fi
    [ "$size" -ge "$min_bytes" ] || bench_die "image is only $(bench_mib "$size"), need 100 MiB"
    bench_log "gzip -6 (once; cached)..."
    gzip -6 -n -c "$b/image.tar" >"$b/image.tar.gz"
    mkdir -p "$cache"
    mv -f -- "$b/image.tar.gz" "$image_gz"
    printf '%s\n' "$source" >"$image_src"
    mv -f -- "$b/image.tar" "$image"   # last: its presence marks a whole cache
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -s "$image" ] || [ ! -s "$image_gz" ] || [ ! -s "$image_src" ]; then
    build_image
    bench_umount_under "$work/image"
    rm -rf --one-file-system -- "$work/image"
fi
flock -u 9

# ------------------------------------------------------------ benchmark

q() { printf '%q' "$1"; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

size=$(stat -c %s "$image")
size_gz=$(stat -c %s "$image_gz")
entries=$(tar -tf "$image" | wc -l)
rootfs_entries=$(tar -tf "$image" | grep -c '^rootfs/.')

# Both sides write to a fresh ext4 on a loop file (see bench_scratch_fs);
# BENCH_FS=tmpdir, or no loop device, writes to the temp dir's own fs.
scratch=$work/fs
if [ "${BENCH_FS:-loop}" = loop ] &&
    bench_scratch_fs "$scratch" $(((4 * size + 1024 * 1024 * 1024) / 4096 * 4096)); then
    fsdesc="fresh ext4 (mkfs.ext4 defaults, with journal) on a loop file, mounted for this run"
else
    mkdir -p "$scratch"
    fsdesc="$(findmnt -no FSTYPE -T "$scratch") of $scratch (BENCH_FS=${BENCH_FS:-loop})"
    if [ "${BENCH_FS:-loop}" = loop ]; then
        fsdesc="$fsdesc; WARNING: no loop mount here (on a journal-less ext4 each run pays for the last run's deletions)"
    fi
fi
state=$scratch/state
extract=$scratch/extract

echo "== minictr image import vs sha256sum && tar -x =="
echo "minictr:   $minictr (built $(stat -c %y "$minictr" | cut -d. -f1))"
echo "image:     $image"
echo "           made by: $(cat "$image_src")"
echo "size:      $size bytes ($(bench_mib "$size")), $entries entries;" \
     "the .tar.gz: $size_gz bytes ($(bench_mib "$size_gz"))"
echo "machine:   $(nproc) CPUs, Linux $(uname -r); load average at start:" \
     "$(cut -d' ' -f1-3 /proc/loadavg) (other work running skews the numbers)"
echo "tools:     libarchive $(pkg-config --modversion libarchive 2>/dev/null || echo '?')," \
     "$(tar --version | head -n1), $(hyperfine --version)"
echo "written:   $fsdesc"
echo "method:    hyperfine --warmup 1 --runs $RUNS.  Warm: both sides read the image from the"
echo "           page cache (no drop_caches).  --prepare, not timed, deletes the last run's"
echo "           output and syncs, so no run pays for another's writeback."
echo "baseline:  sha256sum FILE && tar -xf FILE -C DIR --xattrs --xattrs-include='*'"
echo "           root's tar keeps owners and modes, like minictr; --xattrs because minictr"
echo "           keeps xattrs.  The .tar.gz case uses tar -xzf (gzip runs as a 2nd process)."
echo "also:      informational, not part of the target: 'baseline+copy' (adds the copy of"
echo "           FILE that minictr keeps for export) and 'tar -x only' (no hashing)."
echo

# run_case LABEL FILE Z: Z is "z" for tar -xzf.  Prints the results and
# sets ratio (minictr/baseline, 2 decimals).
run_case() {
    local label=$1 file=$2 z=$3 json fp sum got rss_m rss_b
    local untar prepare cmds med_m med_b med_c med_t
    json=$work/hyperfine-$label.json
    untar="tar -x${z}f $(q "$file") -C $(q "$extract") --xattrs --xattrs-include='*'"

    # Once, untimed: warm the cache, check the fingerprint, peak RSS.
    rm -rf --one-file-system -- "$state" "$extract"
    mkdir -p "$extract"
    cat -- "$file" >/dev/null
    rss_m=$(MINICTR_DIR=$state bench_peak_rss_kb "$minictr" image import "$file") ||
        bench_die "$label: minictr image import $file failed"
    fp=$(find "$state/images" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n')
    sum=$(sha256sum -- "$file" | cut -d' ' -f1)
    [ "$fp" = "$sum" ] || bench_die "$label: minictr's fingerprint '$fp' is not the sha256 '$sum'"
    got=$(find "$state/images/$fp/rootfs" -mindepth 1 | wc -l)
    [ "$got" -eq "$rootfs_entries" ] ||
        bench_die "$label: minictr unpacked $got rootfs entries, the tar has $rootfs_entries"
    rss_b=$(bench_peak_rss_kb sh -c "sha256sum $(q "$file") && $untar") ||
        bench_die "$label: the baseline failed"

    prepare="rm -rf --one-file-system $(q "$state") $(q "$extract") && mkdir $(q "$extract") && sync && sync"
    cmds=(-n "minictr ($label)" "MINICTR_DIR=$(q "$state") $(q "$minictr") image import $(q "$file")"
          -n "baseline ($label)" "sha256sum $(q "$file") && $untar")
    if [ "$BENCH_EXTRA" != 0 ]; then
        cmds+=(-n "baseline+copy ($label)" "sha256sum $(q "$file") && cp $(q "$file") $(q "$extract/orig") && $untar"
               -n "tar -x only ($label)" "$untar")
    fi
    bench_run hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "$prepare" \
        --export-json "$json" "${cmds[@]}" >&2
    rm -rf --one-file-system -- "$state" "$extract"

    med_m=$(bench_median "$json" 0)
    med_b=$(bench_median "$json" 1)
    ratio=$(ratio_of "$med_m" "$med_b")
    echo "[$label, $(bench_mib "$(stat -c %s "$file")")]"
    printf '  %-30s median %6.3f s   peak RSS %s kB\n' "minictr image import" "$med_m" "${rss_m:-?}"
    printf '  %-30s median %6.3f s   peak RSS %s kB (largest process)\n' \
        "sha256sum && tar -x${z}f" "$med_b" "${rss_b:-?}"
    if [ "$BENCH_EXTRA" != 0 ]; then
        med_c=$(bench_median "$json" 2)
        med_t=$(bench_median "$json" 3)
        printf '  %-30s median %6.3f s   (informational; minictr/it = %s)\n' \
            "sha256sum && cp && tar -x${z}f" "$med_c" "$(ratio_of "$med_m" "$med_c")"
        printf '  %-30s median %6.3f s   (informational; minictr/it = %s)\n' \
            "tar -x${z}f only" "$med_t" "$(ratio_of "$med_m" "$med_t")"
    fi
}

verdict() {
    if awk -v r="$1" 'BEGIN { exit !(r <= 1.00) }'; then echo "met"; else echo "NOT met"; fi
}

summary=()
run_case tar "$image" ""
headline=$(verdict "$ratio")
printf '  %-30s %s   target <= 1.00: %s   (headline)\n\n' "ratio minictr/baseline" "$ratio" "$headline"
summary+=("tar $ratio ($headline)")

if [ "$BENCH_GZIP" != 0 ]; then
    run_case tar.gz "$image_gz" z
    v=$(verdict "$ratio")
    printf '  %-30s %s   target <= 1.00: %s\n\n' "ratio minictr/baseline" "$ratio" "$v"
    summary+=("tar.gz $ratio ($v)")
fi

echo "summary:   ratio minictr/baseline: ${summary[*]}; whole script ${SECONDS} s"
if [ "$headline" != met ] && [ "$BENCH_STRICT" = 1 ]; then
    exit 1
fi
exit 0
