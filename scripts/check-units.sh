#!/usr/bin/env bash
# Static checks of the shipped unit files (systemd-analyze exits 0 on many errors, so any
# output at all is a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f systemd/proctord.service ]] || { echo "check-units: no unit yet"; exit 0; }
out=$(systemd-analyze verify --man=no systemd/proctord.service 2>&1 | grep -v "proctord: command not found\|is not executable" || true)
if [[ -n $out ]]; then echo "$out"; exit 1; fi
echo "check-units: systemd-analyze verify printed nothing"
