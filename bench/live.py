#!/usr/bin/env python3
"""Live mode: `proctord run` as the appliance runs it, on a camera-like file source.

The clip (bench/compose_live.sh: 640x480 at 15 fps, a face, a phone held up for 2 s at
8 s, the face again; 16 s) is played in real time and looped, with recording on and a
session started through the REST API, exactly as a kiosk runs. Per run it reports:

- CPU seconds per video second (steady state: /proc/PID/stat of the daemon between 1 s
  after the first frame and the end of the last loop, so start-up is not counted),
- peak RSS (wait4's rusage of the daemon, start-up included),
- dropped frames (the health's inference.dropped_frames and recording.dropped_frames),
- the achieved analysis and object rates (the health),
- the delay from the phone appearing (known from the clip) to the daemon's log line
  `Event phone_detected Start`, once per loop,
- how many cores other processes used meanwhile (the machine is shared).

Standard library only. Usage (bench/run.sh calls it):
  bench/live.py --proctord BIN --clip CLIP.mp4 [--runs 3] [--loops 3] [--taskset 0] --out DIR
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CLIP_S = 16.0
PHONE_AT_S = 8.0
TOKEN = "bench-live"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_text(repo, clip, state_dir, port, extra):
    return f"""[kiosk]
site = "bench"
kiosk_id = "live"
state_dir = "{state_dir}"
[runtime]
library = "{repo}/runtime/libLiteRt.so"
[models]
dir = "{repo}/models/cache"
manifest = "{repo}/models/manifest.toml"
[capture]
source = "file"
file = "{clip}"
loop_file = true
[recording]
enabled = true
segment_s = 30
min_free_mib = 64
[mqtt]
enabled = false
[web]
enabled = true
listen = "127.0.0.1:{port}"
api_token = "{TOKEN}"
{extra}"""


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def api(port, method, path, body=None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"null")


def one_run(args, repo, extra_config):
    state = tempfile.mkdtemp(prefix="proctord-live-")
    port = free_port()
    cfg_path = os.path.join(state, "proctord.toml")
    with open(cfg_path, "w") as f:
        f.write(config_text(repo, os.path.abspath(args.clip), state, port, extra_config))
    cmd = [os.path.abspath(args.proctord), "run", "--config", cfg_path]
    if args.taskset:
        cmd = ["taskset", "-c", args.taskset] + cmd
    env = dict(os.environ, RUST_LOG="info")
    lines = []  # (monotonic time, text)
    started = time.monotonic()
    p = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)

    def read_log():
        for raw in iter(p.stderr.readline, b""):
            lines.append((time.monotonic(), raw.decode(errors="replace").rstrip()))

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()

    def first(pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, text in list(lines):
                if re.search(pattern, text):
                    return t
            if p.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError(f"no log line /{pattern}/ within {timeout} s:\n" + "\n".join(t for _, t in lines[-30:]))

    try:
        # Playback starts when the source is open: the first frame is released at once,
        # frame at pts t at t0 + t (the file plays at its own rate, as a camera would).
        t0 = first(r"Capturing from video file", 60)
        for _ in range(100):
            try:
                api(port, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        session = api(port, "POST", "/api/interviews/start", {"candidate": "Bench Candidate"})
        session_id = session.get("id") or session.get("session_id")
        # Steady state from 1 s after the first frame.
        while time.monotonic() < t0 + 1.0:
            time.sleep(0.01)
        cpu0, busy0, w0 = proc_cpu_s(p.pid), machine_busy_s(), time.monotonic()
        end = t0 + CLIP_S * args.loops
        while time.monotonic() < end:
            time.sleep(0.05)
        cpu1, busy1, w1 = proc_cpu_s(p.pid), machine_busy_s(), time.monotonic()
        health = (api(port, "GET", "/api/health") or {}).get("pipeline") or {}
        try:
            api(port, "POST", f"/api/interviews/{session_id}/end")
        except OSError:
            pass
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except ChildProcessError:
            ru = None
        reader.join(timeout=5)
    wall = w1 - w0
    cpu = cpu1 - cpu0
    phone_starts = [t for t, text in lines if re.search(r"Event phone_detected Start", text)]
    delays = []
    for k in range(args.loops):
        appears = t0 + k * CLIP_S + PHONE_AT_S
        after = [t - appears for t in phone_starts if appears - 0.5 <= t <= appears + CLIP_S - PHONE_AT_S]
        delays.append(round(after[0], 3) if after else None)
    inference = health.get("inference", {}) if isinstance(health, dict) else {}
    recording = health.get("recording", {}) if isinstance(health, dict) else {}
    return {
        "cpu_s_per_video_s": cpu / wall,
        "video_s": wall,
        "peak_rss_mb": ru.ru_maxrss / 1024.0 if ru else None,
        "analysis_fps": inference.get("fps"),
        "objects_fps": inference.get("objects_fps"),
        "inference_dropped_frames": inference.get("dropped_frames"),
        "recording_dropped_frames": recording.get("dropped_frames"),
        "recording_active": recording.get("active"),
        "camera_fps": health.get("camera", {}).get("fps") if isinstance(health, dict) else None,
        # Frames read, and those converted to RGB for the models (only the analysed
        # ones since frames stay YUV until analysed; every frame before).
        "camera_frames": health.get("camera", {}).get("frames") if isinstance(health, dict) else None,
        "converted_to_rgb": health.get("camera", {}).get("converted_to_rgb") if isinstance(health, dict) else None,
        "analysed_frames": inference.get("frames"),
        "phone_delays_s": delays,
        "others_cores": max((busy1 - busy0) - cpu, 0.0) / wall,
        "loadavg_1m": os.getloadavg()[0],
        "taskset": args.taskset,
        "startup_to_first_frame_s": t0 - started,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctord", required=True)
    ap.add_argument("--clip", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--loops", type=int, default=3)
    ap.add_argument("--taskset", default="", help="CPU list for taskset -c (e.g. 0: one core, a Pi stand-in)")
    ap.add_argument("--config-extra", default="", help="TOML appended to the generated config")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(args.out, exist_ok=True)
    runs = []
    for i in range(args.runs):
        r = one_run(args, repo, args.config_extra.replace("\\n", "\n"))
        runs.append(r)
        print(f"live run {i + 1}/{args.runs}: " + json.dumps(r), file=sys.stderr)
    delays = [d for r in runs for d in r["phone_delays_s"]]
    found = [d for d in delays if d is not None]
    summary = {
        "runs": runs,
        "median_cpu_s_per_video_s": statistics.median(r["cpu_s_per_video_s"] for r in runs),
        "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs if r["peak_rss_mb"]),
        "phone_delays_s": delays,
        "phones_reported": f"{len(found)} of {len(delays)}",
        "max_phone_delay_s": max(found) if found else None,
        "median_others_cores": statistics.median(r["others_cores"] for r in runs),
    }
    name = "live" + (f"_taskset{args.taskset}" if args.taskset else "") + ".json"
    with open(os.path.join(args.out, name), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))


if __name__ == "__main__":
    main()
