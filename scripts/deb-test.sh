#!/usr/bin/env bash
# Installs the .deb packages for real in a fresh Debian 12 container with systemd as
# PID 1 (systemd-nspawn) and checks what an administrator would see:
#
#   install   `apt-get install ./proctord_N.deb ./proctord-models_N.deb` resolves every
#             dependency from Debian's archive; the proctord user exists; the conffile is
#             registered; postinst ran check-config and started the service;
#             `proctord models verify` passes; `systemd-analyze verify` is clean on the
#             installed unit
#   refuse    a config that does not check: postinst (dpkg-reconfigure) leaves the
#             service stopped and says what to do
#   run       with a file source, the service reaches READY (active running) and serves
#             /healthz; a session is started and ended over the REST API (report and
#             recordings)
#   upgrade   `apt-get install ./proctord_N+1.deb`: the service restarted (new PID), the
#             edited config kept, the session, its report and recordings still there
#   remove    `apt-get remove`: the service stopped cleanly (exit 0, no SIGKILL), config
#             and state kept; `apt-get purge`: config and state gone
#
#   scripts/deb-test.sh [DEB_DIR]
#   scripts/deb-test.sh --prepare     only build the cached container root
#   scripts/deb-test.sh --arm64 [DEB] the arm64 package (default: cross-built here with
#                                     scripts/deb.sh --arch arm64, PROFILE=dev): its
#                                     files, architecture and dependencies, the arm64
#                                     LiteRT, and its binary's --version under qemu-user
#
# DEB_DIR holds proctord_*_amd64.deb and proctord-models_*_all.deb (default: built here
# with scripts/deb.sh from PROCTORD_BIN, PROFILE=dev). The upgrade installs the same
# binary under a higher version.
#
# The container root (debootstrap --variant=minbase bookworm + systemd + curl, ~1 min,
# ~300 MB) and apt's downloaded archives are cached in PROCTORD_DEB_CACHE (default
# /var/cache/proctord-deb-test) across runs; each run boots it with a throw-away overlay
# (--volatile=overlay), so the cache stays pristine. Needs root, systemd-nspawn
# (systemd-container), debootstrap and the network to deb.debian.org.
#
# Environment:
#   PROCTORD_BIN   binary to package (default target/debug/proctord)
#   MEDIA_DIR      demo media (default ../shared/media next to the repository)
#   KEEP=1         keep the work directory (logs, reports, journal) for a look
# Exit status: 0 pass, 1 fail, 77 cannot run here (not root, no nspawn).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { echo "deb-test: $*"; }
die() { say "FAIL: $*" >&2; exit 1; }
skip() { say "SKIP: $*" >&2; exit 77; }

[[ $(id -u) -eq 0 ]] || skip "needs root (systemd-nspawn boots a container, debootstrap builds its root)"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not found (apt-get install systemd-container)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap, or make setup)"

cache=${PROCTORD_DEB_CACHE:-/var/cache/proctord-deb-test}
root=$cache/bookworm-root
media=$(realpath -m "${MEDIA_DIR:-$repo/../shared/media}")
clip=video/intel_one-by-one-person-detection.mp4
[[ -f $media/$clip ]] || die "demo media not found under $media (set MEDIA_DIR)"

# --- the cached container root ----------------------------------------------------------
bootstrap_root() {
  [[ -f $root/.complete ]] && return
  local tmp=$root.tmp t0=$SECONDS
  mkdir -p "$cache"
  if [[ ! -f $tmp/.debootstrap-done ]]; then
    say "bootstrapping a Debian 12 root into $root (cached for later runs)"
    rm -rf "$tmp"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$tmp" \
      http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
      || { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
    touch "$tmp/.debootstrap-done"
  fi
  cat >"$tmp/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  # curl drives the REST API from inside; it is the test's tool, not a dependency.
  chroot "$tmp" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates' \
    >"$cache/root-apt.log" 2>&1 || { tail -n 20 "$cache/root-apt.log" >&2; die "apt in the new root failed"; }
  chroot "$tmp" apt-get clean
  echo deb-test >"$tmp/etc/hostname"
  : >"$tmp/etc/machine-id"
  touch "$tmp/.complete"
  mv "$tmp" "$root"
  say "root ready in $((SECONDS - t0)) s ($(du -sh "$root" | cut -f1))"
}

# --- the arm64 package: inspected, its binary run under qemu ------------------------------
check_arm64() {
  local deb=${1:-} work t0=$SECONDS
  work=$(mktemp -d /tmp/proctord-deb-arm64.XXXXXX)
  # Expanded now: \$work is local to this function, gone when the EXIT trap runs.
  [[ ${KEEP:-0} == 1 ]] && say "work directory kept: $work" || trap "rm -rf '$work'" EXIT
  if [[ -z $deb ]]; then
    say "cross-building and packaging arm64 (PROFILE=${PROFILE:-dev})"
    deb=$(env -u PROCTORD_BIN PROCTORD_HOST_BIN="${PROCTORD_BIN:-}" PROFILE="${PROFILE:-dev}" DEB_OUT="$work" \
      scripts/deb.sh --arch arm64 --no-models) || die "scripts/deb.sh --arch arm64 failed"
  fi
  f() { dpkg-deb -f "$deb" "$1"; }
  check() { [[ $3 == "$2" ]] || die "$1: expected '$2', got '$3'"; }
  check "Architecture" arm64 "$(f Architecture)"
  local listing; listing=$(dpkg-deb -c "$deb")
  for p in ./usr/bin/proctord ./usr/lib/proctord/libLiteRt.so ./lib/systemd/system/proctord.service \
           ./usr/lib/sysusers.d/proctord.conf ./etc/proctord/proctord.toml; do
    grep -q " $p\$" <<<"$listing" || die "the arm64 package lacks $p"
  done
  for d in libc6 libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad fonts-dejavu-core systemd; do
    grep -qE "(^|, )$d( |,|$)" <<<"$(f Depends)" || die "the arm64 package does not depend on $d: $(f Depends)"
  done
  dpkg-deb -x "$deb" "$work/x"
  file -b "$work/x/usr/bin/proctord" | grep -q 'ARM aarch64' || die "usr/bin/proctord is not an aarch64 binary: $(file -b "$work/x/usr/bin/proctord")"
  . scripts/litert.sh; litert_pin arm64
  check "sha256 of the packaged libLiteRt.so (the arm64 pin)" "$LITERT_SHA256" "$(sha256sum "$work/x/usr/lib/proctord/libLiteRt.so" | cut -d' ' -f1)"
  command -v qemu-aarch64-static >/dev/null || die "qemu-aarch64-static not found (apt-get install qemu-user-static)"
  # The arm64 GStreamer/GLib libraries of the cross build's sysroot stand in for the
  # ones apt would install on a Pi.
  local sysroot=${SYSROOT:-${CARGO_TARGET_DIR:-$(cd "$repo/.." && pwd)/cross-target}/sysroot-arm64}
  [[ -f $sysroot/.complete ]] || die "no arm64 sysroot in $sysroot (scripts/cross-aarch64.sh --deps)"
  local version
  version=$(QEMU_LD_PREFIX=/usr/aarch64-linux-gnu \
    LD_LIBRARY_PATH=$sysroot/usr/lib/aarch64-linux-gnu:$sysroot/lib/aarch64-linux-gnu \
    qemu-aarch64-static "$work/x/usr/bin/proctord" --version) || die "the arm64 binary did not run under qemu"
  check "proctord --version under qemu" "proctord $(sed -n 's/^version = "\(.*\)"/\1/p' daemon/Cargo.toml | head -n 1)" "$version"
  say "arm64: $(basename "$deb") ($(du -h "$deb" | cut -f1)): Architecture arm64, binary aarch64, LiteRT arm64 pin, Depends $(f Depends)"
  say "PASS: '$version' under qemu-aarch64-static, in $((SECONDS - t0)) s"
}
if [[ ${1:-} == --arm64 ]]; then check_arm64 "${2:-}"; exit 0; fi

bootstrap_root
[[ ${1:-} == --prepare ]] && exit 0

# --- the packages -----------------------------------------------------------------------
work=$(mktemp -d /tmp/proctord-deb-test.XXXXXX)
if [[ ${KEEP:-0} == 1 ]]; then say "work directory kept: $work"; else trap 'rm -rf "$work"' EXIT; fi
chmod 0755 "$work"
mkdir -p "$work/debs" "$work/out"

base=$(sed -n 's/^version = "\(.*\)"/\1/p' daemon/Cargo.toml | head -n 1)
if [[ -n ${1:-} ]]; then
  cp "$1"/proctord_*_amd64.deb "$1"/proctord-models_*_all.deb "$work/debs/"
  old=$(ls "$work"/debs/proctord_*_amd64.deb | head -n 1)
  new=$old
else
  bin=$(realpath -m "${PROCTORD_BIN:-target/debug/proctord}")
  [[ -x $bin ]] || die "no binary at $bin (cargo build -p proctord)"
  say "packaging $bin as $base+debtest.1 and $base+debtest.2 (the upgrade)"
  DEB_OUT=$work/debs PROFILE=dev PROCTORD_BIN=$bin DEB_VERSION=$base+debtest.1 scripts/deb.sh >/dev/null
  DEB_OUT=$work/debs PROFILE=dev PROCTORD_BIN=$bin DEB_VERSION=$base+debtest.2 scripts/deb.sh --no-models >/dev/null
  old=$work/debs/proctord_${base}+debtest.1_amd64.deb
  new=$work/debs/proctord_${base}+debtest.2_amd64.deb
fi
models=$(ls "$work"/debs/proctord-models_*_all.deb | head -n 1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=deb-test-$RANDOM$RANDOM
# What an administrator writes for a kiosk: the packaged paths, a file instead of a camera.
cat >"$work/kiosk.toml" <<EOF
[kiosk]
site = "deb-test"
kiosk_id = "container"
state_dir = "/var/lib/proctord"

[runtime]
library = "/usr/lib/proctord/libLiteRt.so"
threads = 2

[models]
dir = "/usr/share/proctord/models"
manifest = "/usr/share/proctord/models/manifest.toml"

[capture]
source = "file"
file = "/deb-test-media/$clip"
loop_file = true

[recording]
enabled = true
segment_s = 4

[mqtt]
enabled = false

[web]
listen = "127.0.0.1:$port"
api_token = "$token"
EOF

cat >"$work/driver.sh" <<'EOF'
#!/bin/bash
# Runs inside the container once it is up; key=value results into /deb-test/out/result.
set -u
out=/deb-test/out
trap 'journalctl -u proctord.service -o short-monotonic --no-pager >$out/proctord.log 2>&1;
      systemctl --no-block poweroff' EXIT
r() { echo "$1=$2" >>$out/result; }
prop() { systemctl show -P "$1" proctord.service; }
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
api() { # METHOD PATH [JSON]
  curl -sS -m 20 -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$WEB_PORT$2"
}
wait_running() { # seconds [pid that must have gone]
  local deadline=$(( $(date +%s) + $1 ))
  while (( $(date +%s) < deadline )); do
    if [[ $(prop ActiveState)/$(prop SubState) == active/running && $(prop MainPID) != "${2:-x}" ]]; then echo running; return; fi
    [[ $(prop ActiveState) == failed ]] && { echo failed; return; }
    sleep 0.5
  done
  echo "timeout($(prop ActiveState)/$(prop SubState))"
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }

apt-get update -q >$out/apt-update.log 2>&1; r apt_update $?

# install: the shipped config
apt_get install "$OLD_DEB" "$MODELS_DEB" >$out/install.log 2>&1; r install_rc $?
r version "$(dpkg-query -W -f='${Version}' proctord)"
r user "$(id -u proctord 2>/dev/null || echo missing)"
r conffiles "$(dpkg-query -W -f='${Conffiles}' proctord | awk '{print $1}' | paste -sd,)"
r enabled "$(systemctl is-enabled proctord.service)"
r config_mode "$(stat -c '%U:%G %a' /etc/proctord/proctord.toml)"
r started_by_postinst "$(prop ActiveState)"
cp /etc/proctord/proctord.toml $out/shipped.toml
proctord models verify >$out/models-verify.log 2>&1; r models_verify $?
systemd-analyze verify /lib/systemd/system/proctord.service >$out/analyze-verify.log 2>&1; r analyze_verify_rc $?
r state_before_stop "$(prop ActiveState)/$(prop SubState)/$(prop Result)"
systemctl stop proctord.service
# (no camera here: that first start may have ended failed; only what follows matters)
systemctl reset-failed proctord.service 2>/dev/null
started_before=$(prop ExecMainStartTimestampMonotonic)

# refuse: a config that does not check
sed -i 's/^source = "v4l2"/source = "webcam"/' /etc/proctord/proctord.toml
DEBIAN_FRONTEND=noninteractive dpkg-reconfigure proctord >$out/reconfigure.log 2>&1; r reconfigure_rc $?
sleep 1; r state_with_bad_config "$(prop ActiveState)"
[[ $(prop ExecMainStartTimestampMonotonic) == "$started_before" ]]; r started_with_bad_config $?

# run: a file source, READY, /healthz, a session
cp /deb-test/kiosk.toml /etc/proctord/proctord.toml
systemctl start proctord.service; r start_rc $?
r ready "$(wait_running 60)"
r healthz "$(curl -sS -m 10 http://127.0.0.1:$WEB_PORT/healthz)"
session=$(api POST /api/interviews/start '{"candidate":"Deb Test"}' | json_field id); r session "$session"
sleep 10
api POST /api/interviews/$session/end >$out/end.json; r end_rc $?
api GET /api/reports/$session >$out/report-before.json
# The end answers once the recorder has closed the session's last segment, so this
# listing is complete and must be the same after the upgrade.
api GET /api/interviews/$session/recordings >$out/recordings-before.json
pid1=$(prop MainPID); r pid_before "$pid1"

# upgrade
apt_get install "$NEW_DEB" >$out/upgrade.log 2>&1; r upgrade_rc $?
r version_after "$(dpkg-query -W -f='${Version}' proctord)"
r ready_after_upgrade "$(wait_running 60 "$pid1")"
r pid_after "$(prop MainPID)"
cmp -s /deb-test/kiosk.toml /etc/proctord/proctord.toml; r config_kept $?
api GET /api/reports/$session >$out/report-after.json
api GET /api/interviews/$session/recordings >$out/recordings-after.json
api GET /api/interviews >$out/sessions-after.json
# The evidence hash chain and every segment's sha256 still verify (daemon stopped).
systemctl stop proctord.service
proctord verify --config /etc/proctord/proctord.toml >$out/verify.log 2>&1; r verify_after_upgrade $?
systemctl start proctord.service; r ready_for_remove "$(wait_running 60)"

# remove, then purge
apt_get remove proctord >$out/remove.log 2>&1; r remove_rc $?
r state_after_remove "$(prop ActiveState)"
journalctl -u proctord.service -o cat --no-pager >$out/stop.log 2>&1
[[ -f /etc/proctord/proctord.toml ]]; r config_after_remove $?
[[ -d /var/lib/proctord ]]; r state_dir_after_remove $?
ls -R /var/lib/proctord >$out/state-after-remove.txt 2>&1
apt_get purge proctord proctord-models >$out/purge.log 2>&1; r purge_rc $?
[[ -e /etc/proctord ]]; r config_after_purge $?
[[ -e /var/lib/proctord ]]; r state_dir_after_purge $?
r done yes
EOF

cat >"$work/deb-test.service" <<EOF
[Unit]
Description=proctord package test driver
After=basic.target network.target systemd-journald.service
[Service]
Type=oneshot
Environment=WEB_PORT=$port TOKEN=$token
Environment=OLD_DEB=/deb-test/debs/$(basename "$old") NEW_DEB=/deb-test/debs/$(basename "$new") MODELS_DEB=/deb-test/debs/$(basename "$models")
ExecStart=/bin/bash /deb-test/driver.sh
StandardOutput=journal+console
EOF
cat >"$work/deb-test.target" <<EOF
[Unit]
Description=proctord package test
Requires=basic.target deb-test.service
After=basic.target
AllowIsolate=yes
EOF

mkdir -p "$cache/apt-archives/partial"
say "booting Debian 12 in nspawn (web port $port)"
t0=$SECONDS
set +e
timeout --kill-after=10 600 systemd-nspawn -q --keep-unit --register=no --volatile=overlay -D "$root" \
  --machine="proctord-deb-$$" --resolv-conf=copy-host \
  --bind="$work:/deb-test" \
  --bind-ro="$media:/deb-test-media" \
  --bind="$cache/apt-archives:/var/cache/apt/archives" \
  --bind-ro="$work/deb-test.service:/etc/systemd/system/deb-test.service" \
  --bind-ro="$work/deb-test.target:/etc/systemd/system/deb-test.target" \
  -b systemd.firstboot=off systemd.unit=deb-test.target systemd.show_status=false \
  >"$work/console.log" 2>&1 </dev/null
rc=$?
set -e
say "container exited ($rc) after $((SECONDS - t0)) s"

o=$work/out
res=$o/result
show_logs() {
  echo "--- results"; cat "$res" 2>/dev/null
  for f in install reconfigure upgrade verify remove purge models-verify analyze-verify; do
    [[ -s $o/$f.log ]] && { echo "--- $f.log (last 15 lines)"; tail -n 15 "$o/$f.log"; }
  done
  echo "--- journal of proctord.service (last 40 lines)"; tail -n 40 "$o/proctord.log" 2>/dev/null
  echo "--- container console (last 15 lines)"; tail -n 15 "$work/console.log"
} >&2
get() { sed -n "s/^$1=//p" "$res" 2>/dev/null | tail -n 1; }
check() { # what expected actual
  if [[ $3 != "$2" ]]; then show_logs; die "$1: expected '$2', got '$3'"; fi
}
[[ -f $res ]] || { show_logs; die "the driver wrote no results (did the container boot?)"; }
check "the driver finished" yes "$(get done)"
check "apt-get update in the container" 0 "$(get apt_update)"

# install
check "apt-get install ./proctord ./proctord-models (every dependency from Debian's archive)" 0 "$(get install_rc)"
[[ $(get user) =~ ^[0-9]+$ ]] || { show_logs; die "the proctord user was not created"; }
check "the config is a conffile" /etc/proctord/proctord.toml "$(get conffiles)"
check "the unit is enabled" enabled "$(get enabled)"
check "the config (passwords) is readable by root and the daemon only" "root:proctord 640" "$(get config_mode)"
grep -q "proctord.toml checks" "$o/install.log" || { show_logs; die "postinst did not report check-config's verdict"; }
[[ $(get started_by_postinst) =~ ^(active|activating)$ ]] || { show_logs; die "postinst did not start the service after the config checked (state $(get started_by_postinst))"; }
check "proctord models verify right after install" 0 "$(get models_verify)"
grep -q '^ok .*ssd_mobilenet_v1_quant' "$o/models-verify.log" || { show_logs; die "models verify did not check the packaged object model"; }
check "systemd-analyze verify exit status" 0 "$(get analyze_verify_rc)"
[[ ! -s $o/analyze-verify.log ]] || { show_logs; die "systemd-analyze verify printed: $(cat "$o/analyze-verify.log")"; }
say "install: dependencies resolved, user $(get user), conffile, enabled, started, models verified, unit verifies clean"

# refuse
check "dpkg-reconfigure with a bad config still succeeds" 0 "$(get reconfigure_rc)"
grep -q "capture.*webcam" "$o/reconfigure.log" || { show_logs; die "postinst did not print check-config's error (capture, webcam)"; }
grep -q "NOT (re)started" "$o/reconfigure.log" && grep -q "systemctl restart proctord" "$o/reconfigure.log" \
  || { show_logs; die "postinst did not say that the service was not started and what to do"; }
check "a config that does not check leaves the service stopped" inactive "$(get state_with_bad_config)"
check "and nothing started it (the main process's start time is unchanged)" 0 "$(get started_with_bad_config)"
say "refuse: postinst named the bad key, left the service stopped and said what to do"

# run
check "systemctl start with the file source" 0 "$(get start_rc)"
check "READY (active running)" running "$(get ready)"
[[ $(get healthz) == *'"status":"up"'* ]] || { show_logs; die "/healthz answered '$(get healthz)'"; }
[[ -n $(get session) ]] || { show_logs; die "no session was started over the API"; }
check "the session ended" 0 "$(get end_rc)"
grep -q "\"$(get session)\"" "$o/report-before.json" || { show_logs; die "no report for the session: $(head -c 300 "$o/report-before.json")"; }
segments_before=$(grep -o '"sha256"' "$o/recordings-before.json" | wc -l)
(( segments_before >= 1 )) || { show_logs; die "the session has no recording segment: $(head -c 300 "$o/recordings-before.json")"; }
say "run: READY, /healthz $(get healthz), session $(get session) with its report and $segments_before segment(s)"

# upgrade
check "apt-get install of the next version" 0 "$(get upgrade_rc)"
[[ $(get version_after) != "$(get version)" ]] || { show_logs; die "the version did not change ($(get version))"; }
check "the service is running again after the upgrade" running "$(get ready_after_upgrade)"
[[ $(get pid_after) != "$(get pid_before)" ]] || { show_logs; die "the service was not restarted by the upgrade (same PID $(get pid_before))"; }
check "the edited config was kept (conffile)" 0 "$(get config_kept)"
python3 - "$o" <<'PY' || { show_logs; die "the session's report or recordings changed across the upgrade"; }
import json, sys
o = sys.argv[1]
before, after = (json.load(open(f"{o}/report-{w}.json")) for w in ("before", "after"))
# The chain head is read from the store when the report is made: records may follow
# (proctord verify checks the chain), none may go. The access log grows with every view
# of the report (the test's own download before the upgrade among them): entries may
# follow, none may go.
changed = sorted(k for k in set(before) | set(after) if k not in ("evidence_chain", "access_log") and before.get(k) != after.get(k))
assert not changed, f"report differs in {changed}: before {[before.get(k) for k in changed]} after {[after.get(k) for k in changed]}"
assert after["evidence_chain"]["records"] >= before["evidence_chain"]["records"], "chain records lost"
logged_before, logged_after = before.get("access_log", []), after.get("access_log", [])
assert logged_after[:len(logged_before)] == logged_before, "access log entries lost"
rb, ra = (json.load(open(f"{o}/recordings-{w}.json")) for w in ("before", "after"))
assert rb == ra, f"recordings differ: {rb} vs {ra}"
PY
grep -q "$(get session)" "$o/sessions-after.json" || { show_logs; die "the session is not listed after the upgrade"; }
check "proctord verify (hash chain, segments' sha256) after the upgrade" 0 "$(get verify_after_upgrade)"
check "running again before remove" running "$(get ready_for_remove)"
say "upgrade: $(get version) -> $(get version_after), restarted (PID $(get pid_before) -> $(get pid_after)), config kept, session, report and $segments_before segment(s) unchanged, proctord verify OK"

# remove, purge
check "apt-get remove" 0 "$(get remove_rc)"
check "the service stopped on remove" inactive "$(get state_after_remove)"
# The lines from the last start on, read in one pass: `tac | sed q | tac` would stop reading
# early and, under pipefail, fail with SIGPIPE once the journal outgrows a pipe's buffer.
last_run=$(awk '/Started proctord/ { run = "" } { run = run $0 "\n" } END { printf "%s", run }' "$o/stop.log")
grep -q "Stopping proctord" <<<"$last_run" || { show_logs; die "apt-get remove did not stop the service"; }
grep -qiE "SIGKILL|Killing process|status=[1-9]|Failed with result" <<<"$last_run" \
  && { show_logs; die "the service did not stop cleanly on remove: $last_run"; }
check "remove keeps the config" 0 "$(get config_after_remove)"
check "remove keeps the state" 0 "$(get state_dir_after_remove)"
grep -q "recordings" "$o/state-after-remove.txt" || { show_logs; die "the recordings are gone after remove"; }
check "apt-get purge" 0 "$(get purge_rc)"
check "purge removes /etc/proctord" 1 "$(get config_after_purge)"
check "purge removes /var/lib/proctord" 1 "$(get state_dir_after_purge)"
say "remove: stopped cleanly, config and state kept; purge: both gone"
say "PASS in $((SECONDS - t0)) s"
