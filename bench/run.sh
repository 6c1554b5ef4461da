#!/usr/bin/env bash
# proctord against the Python reference pipeline (bench/python/pipeline.py), side by side.
#   bench/run.sh                 # 5 interleaved runs each (BENCH_RUNS=N to change)
#   BENCH_MODES=face_objects bench/run.sh
#   BENCH_MQTT=0 bench/run.sh    # skip the MQTT benchmark (bench_mqtt + a local mosquitto)
#   BENCH_LIVE=only bench/run.sh # only the live mode (bench/live.py: `proctord run` on a
#                                # 640x480@15 camera-like clip with recording; 0 = skip it)
#   BENCH_PROCTORD=path/to/release/proctord bench/run.sh
#                                # a proctord built elsewhere (copied to bench/out/bin, nothing
#                                # built); the raw-invoke and MQTT rows then need
#                                # BENCH_INVOKE_BIN / BENCH_MQTT_BIN, else they are skipped
#   BENCH_PYTHON_ARGS=--objects-thread bench/run.sh   # flags for pipeline.py analyze
# Builds proctord and the bench_invoke example (release), creates bench/.venv, composes the
# 720p clip into bench/out/, then runs bench/harness.py, which writes bench/out/results.json
# and bench/out/results.md and prints the table. Needs `make setup` (runtime + models).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")/.."
repo="$(pwd)"
media="${MEDIA_DIR:-$repo/../shared/media}"
runs="${BENCH_RUNS:-5}"
modes="${BENCH_MODES:-face_only,face_objects,default}"
out="$repo/bench/out"
mkdir -p "$out"

# The models of the default config, which both pipelines run.
for f in runtime/libLiteRt.so models/cache/face_detection_full_range_sparse.tflite models/cache/face_landmarks_detector.tflite \
         models/cache/canonical_face_model.obj models/cache/detect.tflite models/cache/coco_labelmap.txt; do
  [ -s "$f" ] || { echo "bench/run.sh: $f is missing; run 'make setup' first" >&2; exit 1; }
done
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq ffmpeg >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ffmpeg >/dev/null; }
  else echo "bench/run.sh: install ffmpeg" >&2; exit 1; fi
fi

# The binaries are copied to bench/out/bin so that a rebuild in the shared target dir
# during the runs cannot swap them. BENCH_SKIP_BUILD=1 reuses the copies already there.
invoke_bin="$out/bin/bench_invoke"
mqtt_bin="$out/bin/bench_mqtt"
if [ -n "${BENCH_PROCTORD:-}" ]; then
  mkdir -p "$out/bin"
  cp "$BENCH_PROCTORD" "$out/bin/proctord"
  invoke_bin="${BENCH_INVOKE_BIN:-}"
  mqtt_bin="${BENCH_MQTT_BIN:-}"
  echo "bench/run.sh: proctord = $BENCH_PROCTORD (not built here); bench_invoke: ${invoke_bin:-skipped}, bench_mqtt: ${mqtt_bin:-skipped}" >&2
elif [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$out/bin/proctord" ] || [ ! -x "$out/bin/bench_invoke" ]; then
  echo "bench/run.sh: building proctord and bench_invoke (release)" >&2
  cargo build --release --quiet --bin proctord --example bench_invoke --example bench_mqtt
  mkdir -p "$out/bin"
  cp target/release/proctord target/release/examples/bench_invoke target/release/examples/bench_mqtt "$out/bin/"
fi
invoke_args=()
if [ -n "$invoke_bin" ] && [ -x "$invoke_bin" ]; then invoke_args=(--bench-invoke "$invoke_bin"); fi
mqtt_args=()
if [ "${BENCH_MQTT:-1}" = 1 ]; then
  if [ ! -x /usr/sbin/mosquitto ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq mosquitto >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq mosquitto >/dev/null; } || true
  fi
  if [ -x /usr/sbin/mosquitto ] && [ -n "$mqtt_bin" ] && [ -x "$mqtt_bin" ]; then mqtt_args=(--bench-mqtt "$mqtt_bin"); fi
fi
# Live mode: the appliance itself, on all cores and on one (`taskset -c 0`, the closest
# stand-in for a Pi here). Writes bench/out/live.json and live_taskset0.json.
live="${BENCH_LIVE:-1}"
if [ "$live" != 0 ]; then
  bench/compose_live.sh "$media" "$out/live_640x480_15fps.mp4"
  echo "bench/run.sh: live mode, load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
  python3 bench/live.py --proctord "$out/bin/proctord" --clip "$out/live_640x480_15fps.mp4" \
    --runs "${BENCH_LIVE_RUNS:-3}" --out "$out"
  python3 bench/live.py --proctord "$out/bin/proctord" --clip "$out/live_640x480_15fps.mp4" \
    --runs "${BENCH_LIVE_RUNS:-3}" --taskset 0 --out "$out"
  [ "$live" = only ] && exit 0
fi

bench/setup.sh
bench/compose.sh "$media" "$out/composed_720p.mp4"

# The Python port must decode exactly as proctord when both models see the same input.
bench/.venv/bin/python bench/python/parity.py "$out/bin/proctord" "$media" "$out/parity"

echo "bench/run.sh: load before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
exec python3 bench/harness.py --runs "$runs" --modes "$modes" \
  --proctord "$out/bin/proctord" "${invoke_args[@]}" --python-args="${BENCH_PYTHON_ARGS:-}" \
  --python bench/.venv/bin/python --pipeline bench/python/pipeline.py --out "$out" "${mqtt_args[@]}" \
  "$media/video/intel_one-by-one-person-detection.mp4" "$out/composed_720p.mp4"
