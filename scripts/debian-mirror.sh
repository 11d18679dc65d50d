#!/bin/bash
# scripts/debian-mirror.sh [SUITE]: this machine's Debian mirror URL, the
# first deb URI that serves SUITE (default bookworm) with `main`, from the
# one-line and deb822 apt sources; $DEBIAN_MIRROR wins.  Exit 1 when none.
# Used by bench/ (debootstrap images) and the systemd test image.
set -euo pipefail

debian_mirror() {
    local suite=${1:-bookworm} f uri
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$DEBIAN_MIRROR"
        return 0
    fi
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        case $f in
            *.sources) uri=$(awk -v suite="$suite" '
                function has(list, w) { return (" " list " ") ~ (" " w " ") }
                function flush() {
                    if (!found && enabled != "no" && has(types, "deb") &&
                        has(suites, suite) && has(comps, "main") && uris != "") {
                        split(uris, u, " "); print u[1]; found = 1
                    }
                    types = suites = comps = uris = key = ""; enabled = ""
                }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                /^[A-Za-z0-9-]+:/ {
                    i = index($0, ":"); key = tolower(substr($0, 1, i - 1))
                    val = substr($0, i + 1); gsub(/^[ \t]+|[ \t]+$/, "", val)
                    if (key == "types") types = val
                    else if (key == "uris") uris = val
                    else if (key == "suites") suites = val
                    else if (key == "components") comps = val
                    else if (key == "enabled") enabled = tolower(val)
                    next
                }
                { val = $0; gsub(/^[ \t]+|[ \t]+$/, "", val)
                  if (key == "uris") uris = uris " " val
                  else if (key == "suites") suites = suites " " val
                  else if (key == "components") comps = comps " " val }
                END { flush() }' "$f") ;;
            *) uri=$(awk -v suite="$suite" '
                $1 == "deb" && !found {
                    i = 2
                    if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) != suite) next
                    for (j = i + 2; j <= NF; j++)
                        if ($j == "main") { print $i; found = 1; next }
                }' "$f") ;;
        esac
        case $uri in
            http://*|https://*|file:/*) printf '%s\n' "$uri"; return 0 ;;
        esac
    done
    return 1
}

debian_mirror "$@"
