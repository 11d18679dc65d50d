#!/bin/bash
# scripts/include-graph.sh: the include graph between modules, in numbers.
#
#   scripts/include-graph.sh [--cycles] [--folders]
#
# A module is a .c file and its header (runtime/config.{c,h}), with its
# private header if it has one (runtime/cgroup-internal.h belongs to
# runtime/cgroup); an edge is an #include "..." of another module's
# header.  Generated headers (build-gen/) are not modules.  Prints the number of
# modules and edges, the include cycles between modules (strongly
# connected components of more than one module, Tarjan's algorithm), and
# the includes that cross folders (runtime/, images/, profiles/, cli/),
# counted per pair.  Exit status 0; the lint step reads the numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

module() {
    local m=${1%.*}
    echo "${m%-internal}"
}

edges() {
    local f dir inc
    for f in lib/*.[ch] runtime/*.[ch] images/*.[ch] cli/*.[ch]; do
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

edges | awk '
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
