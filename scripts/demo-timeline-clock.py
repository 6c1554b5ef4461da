#!/usr/bin/env python3
"""Puts the demo timeline (`scripts/compose-demo.sh --timeline` on stdin, lines that start
with the clip time m:ss) on the wall clock, for `make demo` to print: where the looped clip
is now, from the camera frames the daemon has counted, and when each moment comes next.
Usage: scripts/demo-timeline-clock.py CLIP HEALTH_JSON < timeline"""
import datetime
import json
import subprocess
import sys


def clip_rate_and_duration(clip):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=r_frame_rate:format=duration", "-of", "json", clip],
        check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    num, den = info["streams"][0]["r_frame_rate"].split("/")
    return float(num) / float(den), float(info["format"]["duration"])


def clock(seconds):
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


clip, health = sys.argv[1], json.loads(sys.argv[2] or "{}")
fps, duration = clip_rate_and_duration(clip)
# GET /api/health: the capture counters are under "pipeline" (the MQTT health has them
# at the top level).
camera = health.get("pipeline", health).get("camera", {})
frames = camera.get("frames")
if frames is None:
    raise SystemExit("the health answer has no pipeline.camera.frames")
position = (frames / fps) % duration
now = datetime.datetime.now()
print(f"What happens when (the clip is at {clock(position)} now and starts again every {clock(duration)}):")
moments = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    minutes, _, rest = line.partition(":")
    seconds = int(minutes) * 60 + int(rest[:2])
    moments.append(((seconds - position) % duration, line))
# In the order they will be seen from now on.
for wait, line in sorted(moments):
    at = now + datetime.timedelta(seconds=wait)
    print(f"  {at:%H:%M:%S}  {line}")
