#!/bin/bash
# scripts/include-graph.sh: the include graph between modules, in numbers,
# and the check of the layers (docs/ARCHITECTURE.md, "Layers").
#
#   scripts/include-graph.sh            numbers: modules, includes, cycles,
#                                       cross-folder includes per pair
#   scripts/include-graph.sh --check    the rules below; one line per
#                                       breach, exit 1 when there is one
#
# A module is a .c file and its header (runtime/config/config.{c,h}), with its
# private header if it has one (runtime/cgroup/cgroup-internal.h belongs to
# runtime/cgroup/cgroup); an edge is an #include "..." of another module's
# header.  Generated headers (build-gen/) are not modules.  The numbers:
# modules and edges, the include cycles between modules (strongly
# connected components of more than one module, Tarjan's algorithm), and
# the includes that cross folders (lib/, images/, runtime/, cli/), counted
# per pair.
#
# The rules (--check):
#   - lib/ includes nothing outside lib/ (and build-gen/);
#   - images/ includes only images/ and lib/;
#   - runtime/ includes only runtime/, images/ and lib/;
#   - api/ (the REST server) includes only api/, runtime/, images/ and lib/;
#   - no include cycle between modules;
#   - a header declares only functions its own module defines (cli/cli.h,
#     the CLI's command groups for main.c's table, excepted).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

module() {
    local m=${1%.*}
    echo "${m%-internal}"
}

edges() {
    local f dir inc
    for f in lib/*.[ch] runtime/*.[ch] runtime/*/*.[ch] images/*.[ch] api/*.[ch] cli/*.[ch]; do
        [ -e "$f" ] || continue
        dir=${f%/*}
        while read -r inc; do
            [[ $inc == build-gen/* ]] && continue
            [[ $inc == */* ]] || inc=$dir/$inc
            [ -e "$inc" ] || continue
            printf '%s %s\n' "$(module "$f")" "$(module "$inc")"
        done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
    done | awk '$1 != $2' | sort -u
}

check() {
    local f inc dir bad=0 h fn def hm
    for f in lib/*.[ch] images/*.[ch] runtime/*.[ch] runtime/*/*.[ch] api/*.[ch]; do
        dir=${f%%/*}
        while read -r inc; do
            [[ $inc == build-gen/* ]] && continue
            case $dir/${inc%%/*} in
                lib/lib | images/images | images/lib | runtime/runtime | runtime/images | runtime/lib) ;;
                api/api | api/runtime | api/images | api/lib) ;;
                *) echo "forbidden include: $f includes $inc ($dir/ may include ${allowed[$dir]})"; bad=1 ;;
            esac
        done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
    done
    if edges | awk "$tarjan" | grep '^cycle'; then
        bad=1
    fi
    for h in lib/*.h images/*.h runtime/*.h runtime/*/*.h api/*.h cli/*.h; do
        [ "$h" = cli/cli.h ] && continue
        hm=${h%.h}
        hm=${hm%-internal}
        while read -r fn; do
            def=$(grep -lE "^$fn \(" lib/*.c images/*.c runtime/*.c runtime/*/*.c api/*.c cli/*.c 2>/dev/null | head -n 1) || true
            [ -n "$def" ] || continue
            [ "${def%.c}" = "$hm" ] && continue
            [ "${def%.c}" = "$hm-internal" ] && continue
            echo "misplaced declaration: $h declares $fn, which ${def} defines"
            bad=1
        done < <(grep -oE '^[a-z_][a-z0-9_ *]*\b(mc|cli)_[a-z0-9_]+ \(' "$h" | grep -oE '(mc|cli)_[a-z0-9_]+ \($' | sed 's/ ($//' | sort -u)
    done
    return "$bad"
}

declare -A allowed=([lib]="lib/" [images]="images/ and lib/" [runtime]="runtime/, images/ and lib/"
                   [api]="api/, runtime/, images/ and lib/")

# The awk program (its $1, $2 are awk's).
# shellcheck disable=SC2016
tarjan='
{ from[NR] = $1; to[NR] = $2; mod[$1] = 1; mod[$2] = 1
  adj[$1] = adj[$1] " " $2; n = NR
  split($1, a, "/"); split($2, b, "/")
  if (a[1] != b[1]) cross[a[1] " -> " b[1]]++ }
function strong(v,    ws, w, k, i, c, members) {
  index_of[v] = lowlink[v] = ++counter; stack[++sp] = v; on[v] = 1
  c = split(adj[v], ws, " ")
  for (k = 1; k <= c; k++) { w = ws[k]
    if (!(w in index_of)) { strong(w); if (lowlink[w] < lowlink[v]) lowlink[v] = lowlink[w] }
    else if (on[w] && index_of[w] < lowlink[v]) lowlink[v] = index_of[w] }
  if (lowlink[v] == index_of[v]) {
    members = ""; i = 0
    do { w = stack[sp--]; on[w] = 0; members = members " " w; i++ } while (w != v)
    if (i > 1) { cycles++; in_cycles += i; print "cycle (" i " modules):" members } }
}
END {
  for (m in mod) modules++
  for (m in mod) if (!(m in index_of)) strong(m)
  printf "%d modules, %d includes between modules\n", modules, n
  printf "%d include cycles, %d modules in them\n", cycles, in_cycles
  for (p in cross) { printf "cross-folder: %s: %d\n", p, cross[p]; total += cross[p] }
  printf "%d cross-folder includes\n", total
}'

if [ "${1:-}" = --check ]; then
    if check; then
        echo "layers: lib/ <- images/ <- runtime/ <- api/ <- cli/ kept; 0 include cycles; every declaration with its definition"
        exit 0
    fi
    exit 1
fi
edges | awk "$tarjan"
