#!/usr/bin/env bash
# Boots systemd/proctord.service under a real systemd (PID 1 in systemd-nspawn, the host's
# /usr read-only, everything else a throw-away tmpfs) and checks the daemon's contract
# with systemd. The shipped unit runs unchanged except for a drop-in that points its
# Exec lines at the binary bound into /opt (the host's /usr cannot take it) and, per
# scenario, shortens timeouts.
#
#   scripts/nspawn-test.sh [ready|watchdog|sandbox]
#
#   ready     (default) `proctord run` on the demo clip (file source, looping, MQTT off,
#             web on a free port): the unit must reach active (running), i.e. READY=1
#             came, stay up, then `systemctl stop` must end it with exit status 0
#             well inside TimeoutStopSec.
#   watchdog  as ready, then the daemon is frozen (SIGSTOP): with WatchdogSec=4s systemd
#             must abort it (Result=watchdog) and Restart= must bring a new process to
#             active (running).
#   sandbox   `proctord detect` on a photo and a 2 s clip inside the unit's full sandbox
#             (user proctord, PrivateUsers, seccomp filter, MemoryDenyWriteExecute,
#             ProtectSystem=strict, closed device policy): LiteRT + XNNPACK + the models
#             + GStreamer must work there, and the video group must still grant access.
#
# Needs root and systemd-nspawn (Debian: systemd-container). About 15-30 s per scenario.
# Environment:
#   PROCTORD_BIN   binary to test (default target/debug/proctord)
#   MEDIA_DIR      demo media (default ../shared/media next to the repository)
#   KEEP=1         keep the work directory (config, drop-in, journal) for a look
# Exit status: 0 pass, 1 fail, 77 cannot run here (not root, no nspawn).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

scenario=${1:-ready}
case $scenario in ready|watchdog|sandbox) ;; *) echo "usage: $0 [ready|watchdog|sandbox]" >&2; exit 2 ;; esac

say() { echo "nspawn-test[$scenario]: $*"; }
die() { say "FAIL: $*" >&2; exit 1; }
skip() { say "SKIP: $*" >&2; exit 77; }

[[ $(id -u) -eq 0 ]] || skip "needs root (systemd-nspawn boots a container); run as root or in CI"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not found (apt-get install systemd-container)"

bin=$(realpath -m "${PROCTORD_BIN:-target/debug/proctord}")
media=$(realpath -m "${MEDIA_DIR:-$repo/../shared/media}")
clip=video/intel_one-by-one-person-detection.mp4
photo=single_face/obama.jpg
[[ -x $bin ]] || die "no binary at $bin (cargo build -p proctord)"
[[ -f runtime/libLiteRt.so ]] || die "runtime/libLiteRt.so is missing (make runtime)"
[[ -d models/cache ]] || die "models/cache is missing (make models)"
[[ -f $media/$clip && -f $media/$photo ]] || die "demo media not found under $media (set MEDIA_DIR)"
if [[ $scenario != sandbox ]] && ! "$bin" run --help >/dev/null 2>&1; then
  die "proctord run is not implemented yet ($bin run --help fails); the systemd contract cannot be tested without it"
fi

work=$(mktemp -d /tmp/proctord-nspawn.XXXXXX)
if [[ ${KEEP:-0} == 1 ]]; then say "work directory kept: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Paths inside the container.
O=/opt/proctord
cat >"$work/proctord.toml" <<EOF
# Written by scripts/nspawn-test.sh: the demo clip instead of a camera.
[kiosk]
site = "nspawn"
kiosk_id = "test"
state_dir = "/var/lib/proctord"

[runtime]
library = "$O/lib/libLiteRt.so"
threads = 2

[models]
dir = "$O/models"
manifest = "$O/manifest.toml"

[capture]
source = "file"
file = "$O/media/$clip"
loop_file = true

[recording]
enabled = true
segment_s = 10

[mqtt]
enabled = false

[web]
enabled = true
listen = "127.0.0.1:$port"
EOF

# The shipped unit's Exec lines, pointed at /opt; the rest of the unit is untouched.
cat >"$work/dropin.conf" <<EOF
[Service]
ExecStartPre=
ExecStartPre=$O/bin/proctord check-config --config /etc/proctord/proctord.toml
ExecStart=
ExecStart=$O/bin/proctord run --config /etc/proctord/proctord.toml
# A debug build on 2 shared cores starts slower than a release build on a Pi.
TimeoutStartSec=40s
EOF
case $scenario in
  watchdog) cat >>"$work/dropin.conf" <<EOF
WatchdogSec=4s
TimeoutAbortSec=2s
RestartSec=1s
EOF
  ;;
  sandbox) cat >>"$work/dropin.conf" <<EOF
Type=oneshot
ExecStart=
ExecStart=$O/bin/proctord detect --config /etc/proctord/proctord.toml --input $O/media/$photo --json
ExecStart=$O/bin/proctord detect --config /etc/proctord/proctord.toml --input $O/clip.mp4 --json
# No /dev/video* here: a root:video 0640 file stands in for the camera node (same
# kernel permission check) to prove SupplementaryGroups=video survives PrivateUsers=yes.
ExecStart=/bin/cat /run/video-group-probe
WatchdogSec=0
Restart=no
EOF
  ;;
esac

# sandbox: the first 2 s of the demo clip, so GStreamer's decoder (and liborc's code
# generation under MemoryDenyWriteExecute) run in the sandbox too, in seconds.
if [[ $scenario == sandbox ]]; then
  command -v ffmpeg >/dev/null || die "ffmpeg is needed to cut a 2 s clip (apt-get install ffmpeg)"
  ffmpeg -v error -y -i "$media/$clip" -t 2 -c copy "$work/clip.mp4"
else
  cp /dev/null "$work/clip.mp4"
fi

# The driver runs inside the container as root once the system is up, writes
# key=value results and the journal into /proctord-test-out, then powers off.
cat >"$work/driver.sh" <<'EOF'
#!/bin/bash
set -u
out=/proctord-test-out
trap 'journalctl -u proctord.service -o short-monotonic --no-pager >$out/proctord.log 2>&1;
      ls -lR /var/lib/proctord >$out/state.txt 2>&1; systemctl --no-block poweroff' EXIT
r() { echo "$1=$2" >>$out/result; }
prop() { systemctl show -P "$1" proctord.service; }
# (no awk in here: /usr/bin/awk is an /etc/alternatives link and /etc is empty)
now() { date +%s%N; }
elapsed() { local ms=$(( ($(now) - $1) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }

# Wait for active (running) or failed; $1 = seconds; prints the state reached.
wait_running() {
  local deadline=$(( $(date +%s) + $1 )) a s
  while (( $(date +%s) < deadline )); do
    a=$(prop ActiveState); s=$(prop SubState)
    if [[ $a == active && $s == running ]]; then echo running; return; fi
    if [[ $a == failed ]]; then echo failed; return; fi
    sleep 0.1
  done
  echo "timeout($(prop ActiveState)/$(prop SubState))"
}

r user "$(id -u proctord 2>/dev/null || echo missing)"
t0=$(now)
case $SCENARIO in
sandbox)
  echo video-group-ok >/run/video-group-probe; chgrp video /run/video-group-probe; chmod 0640 /run/video-group-probe
  systemctl start proctord.service; r start_rc $?
  r result "$(prop Result)"; r exec_status "$(prop ExecMainStatus)"
  r elapsed_s "$(elapsed $t0)"
  ;;
ready|watchdog)
  systemctl start --no-block proctord.service
  r ready "$(wait_running $READY_TIMEOUT_S)"; r ready_s "$(elapsed $t0)"
  r status_text "$(prop StatusText)"
  pid1=$(prop MainPID); r pid "$pid1"
  sleep 3
  r still_running_3s "$(prop SubState)"
  if exec 3<>/dev/tcp/127.0.0.1/$WEB_PORT; then r web_listening yes; exec 3>&-; else r web_listening no; fi
  if [[ $SCENARIO == watchdog ]]; then
    t1=$(now)
    systemctl kill --kill-whom=main --signal=SIGSTOP proctord.service
    # Wait for the watchdog to fire: Result=watchdog shows up, then a restart.
    deadline=$(( $(date +%s) + 20 ))
    saw_watchdog=no
    while (( $(date +%s) < deadline )); do
      [[ $(prop Result) == watchdog ]] && saw_watchdog=yes
      pid=$(prop MainPID)
      if [[ $saw_watchdog == yes && $pid != 0 && $pid != "$pid1" ]]; then break; fi
      sleep 0.2
    done
    r watchdog_result "$saw_watchdog"; r watchdog_s "$(elapsed $t1)"
    r restarts "$(prop NRestarts)"
    r ready_again "$(wait_running $READY_TIMEOUT_S)"; r ready_again_s "$(elapsed $t1)"
    r new_pid "$(prop MainPID)"
  fi
  t2=$(now)
  systemctl stop proctord.service; r stop_rc $?
  r stop_s "$(elapsed $t2)"
  r result "$(prop Result)"
  r exec_code "$(prop ExecMainCode)"; r exec_status "$(prop ExecMainStatus)"
  ;;
esac
r done yes
EOF

cat >"$work/proctord-test.service" <<EOF
[Unit]
Description=proctord nspawn test driver
After=basic.target systemd-sysusers.service systemd-journald.service
[Service]
Type=oneshot
Environment=SCENARIO=$scenario READY_TIMEOUT_S=35 WEB_PORT=$port
ExecStart=/bin/bash /opt/proctord-test/driver.sh
StandardOutput=journal+console
EOF
cat >"$work/proctord-test.target" <<EOF
[Unit]
Description=proctord nspawn test
Requires=basic.target proctord-test.service
After=basic.target
AllowIsolate=yes
EOF

say "booting systemd in nspawn ($bin, web port $port)"
t0=$SECONDS
set +e
timeout --kill-after=5 110 systemd-nspawn -q --keep-unit --register=no --volatile=yes -D / \
  --machine="proctord-$scenario-$$" \
  --bind-ro="$bin:$O/bin/proctord" \
  --bind-ro="$repo/runtime/libLiteRt.so:$O/lib/libLiteRt.so" \
  --bind-ro="$repo/models/cache:$O/models" \
  --bind-ro="$repo/models/manifest.toml:$O/manifest.toml" \
  --bind-ro="$media:$O/media" \
  --bind-ro="$work/clip.mp4:$O/clip.mp4" \
  --bind-ro="$repo/systemd/proctord.service:/etc/systemd/system/proctord.service" \
  --bind-ro="$work/dropin.conf:/etc/systemd/system/proctord.service.d/nspawn-test.conf" \
  --bind-ro="$repo/systemd/sysusers.d/proctord.conf:/etc/sysusers.d/proctord.conf" \
  --bind-ro="$work/proctord.toml:/etc/proctord/proctord.toml" \
  --bind-ro="$work/driver.sh:/opt/proctord-test/driver.sh" \
  --bind-ro="$work/proctord-test.service:/etc/systemd/system/proctord-test.service" \
  --bind-ro="$work/proctord-test.target:/etc/systemd/system/proctord-test.target" \
  --bind="$work/out:/proctord-test-out" \
  -b systemd.firstboot=off systemd.unit=proctord-test.target systemd.show_status=false \
  >"$work/console.log" 2>&1 </dev/null
rc=$?
set -e
say "container exited ($rc) after $((SECONDS - t0)) s"

res=$work/out/result
show_logs() {
  echo "--- results"; cat "$res" 2>/dev/null
  echo "--- journal of proctord.service (last 60 lines)"; tail -n 60 "$work/out/proctord.log" 2>/dev/null
  echo "--- container console (last 20 lines)"; tail -n 20 "$work/console.log"
} >&2
get() { sed -n "s/^$1=//p" "$res" 2>/dev/null | tail -n 1; }
check() { # name expected actual
  if [[ $3 != "$2" ]]; then show_logs; die "$1: expected '$2', got '$3'"; fi
}

[[ -f $res ]] || { show_logs; die "the driver wrote no results (did the container boot?)"; }
check "driver finished" yes "$(get done)"
[[ $(get user) =~ ^[0-9]+$ ]] || { show_logs; die "sysusers did not create the proctord user"; }
case $scenario in
  sandbox)
    check "detect in the sandbox: result" success "$(get result)"
    check "detect in the sandbox: exit status" 0 "$(get exec_status)"
    grep -q video-group-ok "$work/out/proctord.log" || { show_logs; die "the unit's process could not read a root:video 0640 file (camera access via SupplementaryGroups=video)"; }
    frames=$(grep -c '"faces"' "$work/out/proctord.log" || true)
    (( frames >= 5 )) || { show_logs; die "detect printed $frames detection lines (want the photo + the clip's frames)"; }
    say "PASS: detect (photo + 2 s clip, $frames analysed frames) ran in the hardened sandbox in $(get elapsed_s) s"
    ;;
  ready|watchdog)
    check "READY=1 (active running)" running "$(get ready)"
    check "still running 3 s after READY" running "$(get still_running_3s)"
    if [[ $scenario == watchdog ]]; then
      check "watchdog fired on the frozen daemon (Result=watchdog)" yes "$(get watchdog_result)"
      check "Restart= brought it back (active running)" running "$(get ready_again)"
      [[ $(get new_pid) != "$(get pid)" ]] || { show_logs; die "MainPID did not change after the watchdog"; }
    fi
    check "systemctl stop" 0 "$(get stop_rc)"
    check "stop result" success "$(get result)"
    check "main process exited by itself (CLD_EXITED, not killed by a signal)" 1 "$(get exec_code)"
    check "exit status" 0 "$(get exec_status)"
    stop_s=$(get stop_s)
    awk -v s="$stop_s" 'BEGIN { exit !(s < 10) }' || { show_logs; die "stopping took $stop_s s (the daemon should exit within a few seconds of SIGTERM)"; }
    say "READY after $(get ready_s) s (STATUS: $(get status_text)); web listening: $(get web_listening)"
    [[ $scenario == watchdog ]] && say "watchdog: aborted and restarted in $(get ready_again_s) s (NRestarts=$(get restarts))"
    say "PASS: stopped cleanly in $stop_s s (exit 0)"
    ;;
esac
