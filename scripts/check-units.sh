#!/usr/bin/env bash
# Static checks of the shipped systemd files (called by `make test`):
#   1. systemd-analyze verify of systemd/proctord.service, alone and with the example
#      accelerator drop-in, inside a throw-away root where /usr/bin/proctord exists.
#      verify exits 0 on many errors (bad Type=, bad WatchdogSec=, unknown keys), so ANY
#      output is a failure.
#   2. systemd-analyze security --offline=yes: the overall exposure must be <= 2.0.
#   3. the sysusers.d file parses (systemd-sysusers --dry-run into the same root).
#   4. every GStreamer element daemon/src creates is declared in
#      packaging/debian/gstreamer-elements (the .deb's Depends come from that list).
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}
unit=systemd/proctord.service
dropin=systemd/proctord.service.d/accelerators.conf.example
[[ -f $unit ]] || { echo "check-units: $unit is missing" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "check-units: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail=0

# A minimal root: the host's system units (sysinit.target etc.), a real executable at
# the unit's ExecStart path, the unit under test.
mkdir -p "$root/usr/lib/systemd" "$root/usr/bin" "$root/etc/systemd/system" "$root/etc/proctord"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$(type -P true)" "$root/usr/bin/proctord"
cp "$unit" "$root/etc/systemd/system/proctord.service"

verify() {
  local what=$1 out
  out=$(systemd-analyze verify --man=no --root="$root" proctord.service 2>&1 || true)
  if [[ -n $out ]]; then
    echo "check-units: systemd-analyze verify ($what) printed:" >&2
    echo "$out" | sed 's/^/  /' >&2
    fail=1
  else
    echo "check-units: verify ($what): clean"
  fi
}

verify "$unit"
if [[ -f $dropin ]]; then
  mkdir -p "$root/etc/systemd/system/proctord.service.d"
  cp "$dropin" "$root/etc/systemd/system/proctord.service.d/accelerators.conf"
  verify "$unit + $dropin"
  rm -r "$root/etc/systemd/system/proctord.service.d"
fi

# Exposure of the shipped unit as written (no drop-in).
sec=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1 || true)
exposure=$(sed -n 's/.*Overall exposure level for proctord.service: \([0-9.]*\).*/\1/p' <<<"$sec")
if [[ -z $exposure ]]; then
  echo "check-units: could not read the exposure from systemd-analyze security:" >&2
  echo "$sec" | tail -n 5 >&2
  fail=1
elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e > m) }'; then
  echo "check-units: exposure $exposure is above $MAX_EXPOSURE; what costs:" >&2
  grep '✗' <<<"$sec" >&2 || true
  fail=1
else
  echo "check-units: security exposure $exposure (limit $MAX_EXPOSURE)"
fi

# The sysusers.d entry is valid and creates the user the unit runs as.
mkdir -p "$root/usr/lib/sysusers.d"
cp systemd/sysusers.d/proctord.conf "$root/usr/lib/sysusers.d/"
out=$(systemd-sysusers --dry-run --root="$root" 2>&1) || { echo "check-units: systemd-sysusers: $out" >&2; fail=1; }
if grep -q "Creating user 'proctord'" <<<"$out" && ! grep -qi "ignoring\|invalid\|failed" <<<"$out"; then
  echo "check-units: systemd/sysusers.d/proctord.conf: creates user proctord"
else
  echo "check-units: systemd/sysusers.d/proctord.conf: unexpected output:" >&2; echo "$out" | sed 's/^/  /' >&2; fail=1
fi

# Elements created by name (make("...")) and the encoders `auto` tries.
elements=$( { grep -rhoE 'make\("[a-z0-9_]+"\)' daemon/src --include=*.rs
              sed -n '/AUTO_ENCODER_ORDER: /,/];/p' daemon/src/record/encoder.rs | grep -o '"[a-z0-9_]*"'; } \
            | sed 's/.*"\(.*\)".*/\1/' | sort -u)
declared=$(grep -v '^#' packaging/debian/gstreamer-elements | awk 'NF { print $1 }' | sort -u)
undeclared=$(comm -23 <(echo "$elements") <(echo "$declared"))
if [[ -n $undeclared ]]; then
  echo "check-units: daemon/src creates GStreamer elements that packaging/debian/gstreamer-elements does not declare (the .deb would not depend on their plugins): $(echo $undeclared)" >&2
  fail=1
else
  echo "check-units: packaging/debian/gstreamer-elements declares all $(echo "$elements" | wc -l) elements daemon/src creates by name"
fi

exit $fail
