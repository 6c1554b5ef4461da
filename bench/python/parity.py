#!/usr/bin/env python3
"""Checks that the Python reference pipeline decodes exactly as proctord does.

The two pipelines resize differently (proctord: its own antialiased filter; Python:
cv2.resize), so on ordinary photos their model inputs, and therefore their scores and
boxes, differ slightly. Given images already at the models' input size (128×128 for
BlazeFace, 300×300 for SSD) neither resizes, both models see identical tensors, and
everything after the invoke (anchor decoding, weighted NMS, keypoints, head pose, SSD
label mapping and thresholds) must agree to float precision. Exit status 1 if not.

    bench/.venv/bin/python bench/python/parity.py PROCTORD MEDIA_DIR OUT_DIR
"""

import json
import os
import subprocess
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [
    # (source photo, crop box as fractions or None, size)
    ("multi_person/two_people.jpg", (0.0, 0.0, 0.587, 1.0), 128),
    ("multi_person/two_people.jpg", (0.413, 0.0, 1.0, 1.0), 128),
    ("single_face/skimage_astronaut.png", None, 128),
    ("looking_away/intel_head-pose-female_f14.png", (0.2, 0.0, 0.8, 1.0), 128),
    ("multi_person/two_people.jpg", None, 300),
    ("phone/coco_000000000395.jpg", None, 300),
    ("book_notes/coco_000000000446.jpg", None, 300),
]


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def close(a, b, tol=1e-3):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= tol * max(1.0, abs(a))
    return a == b


def main():
    proctord, media, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    failures = 0
    for i, (src, crop, size) in enumerate(CASES):
        im = Image.open(os.path.join(media, src)).convert("RGB")
        if crop:
            w, h = im.size
            im = im.crop((round(crop[0] * w), round(crop[1] * h), round(crop[2] * w), round(crop[3] * h)))
        path = os.path.join(out, f"parity_{i}_{size}.png")
        im.resize((size, size), Image.BILINEAR).save(path)
        r = run([proctord, "detect", "--input", path, "--json"])
        p = run([sys.executable, os.path.join(HERE, "pipeline.py"), "detect", "--input", path, "--json"])
        key = "faces" if size == 128 else "objects"
        ok = close(r[key], p[key])
        failures += not ok
        print(f"parity {'ok  ' if ok else 'DIFF'} {src} {size}x{size}: {len(r[key])} {key} (proctord) vs {len(p[key])} (python)")
        if not ok:
            print("  proctord:", json.dumps(r[key]))
            print("  python:  ", json.dumps(p[key]))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
