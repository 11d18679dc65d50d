#!/bin/bash
# Install what minictr needs from Debian's archive, and only what is missing.
#   scripts/install-deps.sh build   libraries and tools to compile minictr
#   scripts/install-deps.sh test    + what the unit, host and VM suites use
#   scripts/install-deps.sh bench   + hyperfine, LXC, debootstrap and gnuplot for bench/
# Idempotent: when every package is present it runs no apt command at all.
set -euo pipefail

build_pkgs=(build-essential pkg-config libarchive-dev libsquashfs-dev libssl-dev
            libyaml-dev libjansson-dev libcap-dev libseccomp-dev libmnl-dev
            libnftables-dev libsystemd-dev libwebsockets-dev busybox-static dnsmasq-base)
test_pkgs=(libcmocka-dev bats bats-assert bats-support squashfs-tools
           squashfs-tools-ng zstd xz-utils bzip2 gzip cpio kmod e2fsprogs
           qemu-system-x86 shellcheck util-linux jq attr libcap2-bin
           cppcheck clang libclang-rt-14-dev iproute2 nftables debootstrap
           lxcfs strace ansible lxd-client curl openssl systemd umoci skopeo podman
           containerd)
bench_pkgs=(hyperfine lxc debootstrap time iperf3 python3 lxd-client curl podman crun runc gnuplot-nox)

want=()
case "${1:-build}" in
    build) want=("${build_pkgs[@]}") ;;
    test)  want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "install-deps.sh: unknown set '$1' (build, test or bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
