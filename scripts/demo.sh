#!/usr/bin/env bash
# The demo: the daemon's main job on a kiosk-view clip instead of a camera, on this machine.
#   - composes the demo timeline from real footage (scripts/compose-demo.sh; once),
#   - starts a local mosquitto on 127.0.0.1:1883 when one is installed and the port is free,
#   - runs `proctord run --config config/examples/demo.toml`, which plays the clip looped
#     at its own frame rate,
#   - starts an exam session for a demo candidate through the REST API,
#   - prints the status page address, the logins and, on the wall clock, when each event of
#     the timeline will happen,
#   - on Ctrl-C (or after DEMO_SECONDS), ends the session, writes its report
#     (var/demo/report.{json,html,pdf}) and prints where it is, with the score.
#
# Environment:
#   DEMO_CLIP=FILE     play another recording instead of the composed timeline, e.g.
#                      DEMO_CLIP=../shared/media/video/intel_one-by-one-person-detection.mp4
#   DEMO_SECONDS=N     stop by itself after N seconds of session
#   CONFIG=FILE        another config (default config/examples/demo.toml)
#   PROCTORD_BIN=FILE  a proctord binary already built (default: cargo build --release)
#   DEMO_DIR=DIR       where the report, the log and the broker's files go (default var/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-config/examples/demo.toml}
TOKEN=demo
URL=http://127.0.0.1:8080
DEMO_DIR=${DEMO_DIR:-var/demo}

if [[ -n ${PROCTORD_BIN:-} ]]; then
  bin=$PROCTORD_BIN
else
  cargo build --release -q
  bin=target/release/proctord
fi
mkdir -p "$DEMO_DIR"

clip_of() { sed -n 's/^file *= *"\(.*\)"/\1/p' "$1" | head -n1; }
if [[ -n ${DEMO_CLIP:-} ]]; then
  [[ -s $DEMO_CLIP ]] || { echo "demo: DEMO_CLIP=$DEMO_CLIP is not a readable video file" >&2; exit 1; }
  # The same config with only the clip replaced.
  sed "s|^file *= *\".*\"|file = \"$DEMO_CLIP\"|" "$CONFIG" >"$DEMO_DIR/demo-clip.toml"
  CONFIG=$DEMO_DIR/demo-clip.toml
  timeline=""
else
  scripts/compose-demo.sh "$(clip_of "$CONFIG")"
  timeline=$(scripts/compose-demo.sh --timeline)
fi
clip=$(clip_of "$CONFIG")
$bin check-config --config "$CONFIG"
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  echo "demo: something already listens on 127.0.0.1:8080 (another 'make demo'?): stop it first" >&2
  exit 1
fi

pids=()
cleanup() {
  trap - EXIT INT TERM
  if [[ -n ${session:-} ]]; then
    curl -fsS -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/interviews/$session/end" >/dev/null || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session" -o "$DEMO_DIR/report.json" || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session?format=html" -o "$DEMO_DIR/report.html" || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session?format=pdf" -o "$DEMO_DIR/report.pdf" || true
    summary=$(python3 scripts/demo-report-summary.py "$DEMO_DIR/report.json" 2>/dev/null || echo "the report could not be read back")
    echo "demo: session ended: $summary"
    echo "demo: report in $DEMO_DIR/report.pdf (also .html and .json)"
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if command -v mosquitto >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >"$DEMO_DIR/mosquitto.conf"
  mosquitto -c "$DEMO_DIR/mosquitto.conf" >"$DEMO_DIR/mosquitto.log" 2>&1 &
  pids+=($!)
  mqtt_note="mosquitto on 127.0.0.1:1883; watch what the central office gets: mosquitto_sub -v -t 'proctord/#'"
else
  mqtt_note="no broker started (none installed, or 1883 is taken): the outbox keeps every event until one answers"
fi

RUST_LOG=${RUST_LOG:-info} $bin run --config "$CONFIG" 2>"$DEMO_DIR/proctord.log" &
pids+=($!)
daemon=${pids[-1]}
for _ in $(seq 1 120); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$daemon" 2>/dev/null; then
    tail -n 20 "$DEMO_DIR/proctord.log" >&2
    echo "demo: proctord stopped while starting (above: the end of $DEMO_DIR/proctord.log)" >&2
    exit 1
  fi
  sleep 0.5
done
session=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"candidate":"Demo Candidate","exam_id":"DEMO-1"}' "$URL/api/interviews/start" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["id"])')

cat <<EOF

demo: proctord is watching $clip (looped) as if it were the kiosk's camera.
  status page  $URL
  log in as    proctor / demo-proctor   (live view, events, health)
          or   reviewer / demo-reviewer (also the reports)
  API token    $TOKEN  (curl -H 'Authorization: Bearer $TOKEN' $URL/api/health)
  MQTT         $mqtt_note
  log          $DEMO_DIR/proctord.log
  session      $session (candidate "Demo Candidate")
EOF
if [[ -n $timeline ]]; then
  health=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/health" || echo '{}')
  echo
  python3 scripts/demo-timeline-clock.py "$clip" "$health" <<<"$timeline" || echo "$timeline"
fi
echo
if [[ -n ${DEMO_SECONDS:-} ]]; then
  echo "demo: stopping by itself in $DEMO_SECONDS s (DEMO_SECONDS); Ctrl-C ends it sooner."
  # In the background so that a TERM (Ctrl-C, `kill`) ends the wait at once.
  sleep "$DEMO_SECONDS" &
  pids+=($!)
  wait $!
else
  echo "demo: Ctrl-C ends the session and writes its report."
  wait "$daemon"
fi
