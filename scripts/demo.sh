#!/usr/bin/env bash
# The demo: the daemon's main job on the demo clip (config/examples/demo.toml).
#   - starts a local mosquitto on 127.0.0.1:1883 when one is installed and the port is free,
#   - runs `proctord run` on ../shared/media/video/intel_one-by-one-person-detection.mp4,
#   - starts an exam session for a demo candidate through the REST API,
#   - prints the status page address and how to watch the MQTT events,
#   - on Ctrl-C (or after DEMO_SECONDS), ends the session and writes its report
#     (var/demo/report.{json,html,pdf}) before stopping.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-config/examples/demo.toml}
TOKEN=demo
URL=http://127.0.0.1:8080

cargo build --release -q
bin=target/release/proctord
$bin check-config --config "$CONFIG"
mkdir -p var/demo

pids=()
cleanup() {
  if [[ -n ${session:-} ]]; then
    curl -fsS -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/interviews/$session/end" >/dev/null || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session" -o var/demo/report.json || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session?format=html" -o var/demo/report.html || true
    curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/reports/$session?format=pdf" -o var/demo/report.pdf || true
    echo "demo: session ended; report in var/demo/report.{json,html,pdf}"
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if command -v mosquitto >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > var/demo/mosquitto.conf
  mosquitto -c var/demo/mosquitto.conf >var/demo/mosquitto.log 2>&1 &
  pids+=($!)
  echo "demo: mosquitto on 127.0.0.1:1883 (watch: mosquitto_sub -v -t 'proctord/#')"
fi

RUST_LOG=${RUST_LOG:-info} $bin run --config "$CONFIG" &
pids+=($!)
for _ in $(seq 1 60); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
session=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"candidate":"Demo Candidate","exam_id":"DEMO-1"}' "$URL/api/interviews/start" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["id"])')
echo "demo: session $session started; status page on $URL (log in as proctor / demo-proctor, or reviewer / demo-reviewer; API token: $TOKEN). Ctrl-C to stop."
if [[ -n ${DEMO_SECONDS:-} ]]; then sleep "$DEMO_SECONDS"; else wait "${pids[-1]}"; fi
