#!/bin/bash
# One command from a fresh Debian 12 machine (as root) to a full test run:
# installs what the build and the tests need, builds, runs every suite.
# Same as `make test` once make is installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh" test
exec make -C "$root" --no-print-directory test
