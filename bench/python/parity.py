#!/usr/bin/env python3
"""Checks that the Python reference pipeline decodes and judges exactly as proctord does.

The two pipelines resize differently (proctord: its own antialiased filter; Python:
cv2.resize), so on ordinary photos their model inputs, and therefore their scores and
boxes, differ slightly. Given images already at a model's input size (192×192 for the
full-range BlazeFace, 300×300 for SSD) neither resizes and both models see identical
tensors; from there everything must agree: the detector's anchor decoding and weighted
NMS, the face region, its warp into FaceMesh V2's input (the same float bilinear warp on
both sides), the landmarks' presence score, the face box and keypoints taken from the
mesh, PnP head pose (yaw, pitch, roll), gaze, the looking-away verdict, the unconfirmed
faces (pose_unknown), and the SSD label mapping and thresholds. The Python side runs with
--exact-warp here; the benchmark runs it with cv2.warpAffine's crop, and a second pass
prints how far that moves the angles (information only).

Compared: the face count and, per face in order, every key `proctord detect --json`
prints (score, box, keypoints, yaw/pitch/roll, mesh_score, gaze, looking_away,
pose_unknown); the object count and per object class, label, score and box. Tolerance:
numbers within 1e-4 absolute, or 1e-4 relative for values above 1 (boxes, keypoints,
scores and gaze are 0..1 fractions: 1e-4 is a fiftieth of a pixel at 192 px), and angles
within 0.01 degree; booleans, labels and counts exactly. The float32 arithmetic is
ported in the daemon's order, so in practice the differences are a few float32 ulps
(printed as the largest seen). Exit status 1 on any mismatch.

    bench/.venv/bin/python bench/python/parity.py PROCTORD MEDIA_DIR OUT_DIR
"""

import json
import os
import subprocess
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FACE = 192
OBJECTS = 300
CASES = [
    # (source photo, crop box as fractions or None, size)
    ("single_face/skimage_astronaut.png", (0.2, 0.0, 0.8, 0.6), FACE),
    ("single_face/obama.jpg", None, FACE),
    ("single_face/grace_hopper.bmp", None, FACE),
    ("single_face/intel_head-pose-male_f00.png", None, FACE),
    ("looking_away/intel_head-pose-female_f14.png", (0.2, 0.0, 0.8, 1.0), FACE),
    ("looking_away/intel_head-pose-female_f14.png", None, FACE),
    ("multi_person/two_people.jpg", None, FACE),
    ("multi_person/two_people.jpg", (0.0, 0.0, 0.587, 1.0), FACE),
    ("multi_person/coral_face.jpg", None, FACE),
    ("multi_person/intel_head-pose-female-and-male_f00.png", None, FACE),
    ("no_person/tfexamples_table.jpg", None, FACE),
    ("multi_person/two_people.jpg", None, OBJECTS),
    ("phone/coco_000000000395.jpg", None, OBJECTS),
    ("phone/coco_000000000536.jpg", None, OBJECTS),
    ("book_notes/coco_000000000446.jpg", None, OBJECTS),
    ("laptop_monitor/coco_000000000384.jpg", None, OBJECTS),
    ("no_person/coco_000000000643_desk_monitor.jpg", None, OBJECTS),
]
ANGLES = ("yaw_deg", "pitch_deg", "roll_deg")
TOL, ANGLE_TOL = 1e-4, 1e-2


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class Compare:
    def __init__(self):
        self.worst = {"fraction": 0.0, "angle": 0.0}
        self.why = []

    def same(self, a, b, path="", tol=TOL, kind="fraction"):
        if isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
                self.why.append(f"{path}: keys {sorted(a) if isinstance(a, dict) else a} vs {sorted(b) if isinstance(b, dict) else b}")
                return False
            ok = True
            for k in a:
                angle = k in ANGLES
                ok &= self.same(a[k], b[k], f"{path}.{k}", ANGLE_TOL if angle else tol, "angle" if angle else kind)
            return ok
        if isinstance(a, list) or isinstance(b, list):
            if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
                self.why.append(f"{path}: {len(a) if isinstance(a, list) else a} vs {len(b) if isinstance(b, list) else b} items")
                return False
            ok = True
            for i, (x, y) in enumerate(zip(a, b)):
                ok &= self.same(x, y, f"{path}[{i}]", tol, kind)
            return ok
        if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
            if a != b:
                self.why.append(f"{path}: {a!r} vs {b!r}")
            return a == b
        d = abs(a - b) / max(1.0, abs(a))
        self.worst[kind] = max(self.worst[kind], d)
        if d > tol:
            self.why.append(f"{path}: {a} vs {b}")
            return False
        return True


def main():
    proctord, media, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    failures = 0
    cmp = Compare()
    totals = {"faces": 0, "objects": 0, "pose": 0, "away": 0, "unconfirmed": 0}
    cv2_verdicts, cv2_worst = [0, 0], [0.0, 0.0]
    for i, (src, crop, size) in enumerate(CASES):
        im = Image.open(os.path.join(media, src)).convert("RGB")
        if crop:
            w, h = im.size
            im = im.crop((round(crop[0] * w), round(crop[1] * h), round(crop[2] * w), round(crop[3] * h)))
        path = os.path.join(out, f"parity_{i}_{size}.png")
        im.resize((size, size), Image.BILINEAR).save(path)
        r = run([proctord, "detect", "--input", path, "--json"])
        py = [sys.executable, os.path.join(HERE, "pipeline.py"), "detect", "--input", path, "--json"]
        p = run(py + ["--exact-warp"])
        key = "faces" if size == FACE else "objects"
        if key == "faces":
            # What the benchmark's cv2.warpAffine crop changes (information, not checked).
            q = run(py)["faces"]
            same = len(q) == len(r[key]) and all(
                a.get("looking_away") == b.get("looking_away") and a.get("pose_unknown") == b.get("pose_unknown")
                for a, b in zip(r[key], q))
            cv2_verdicts[0] += same
            cv2_verdicts[1] += 1
            if same:
                for a, b in zip(r[key], q):
                    cv2_worst[0] = max([cv2_worst[0]] + [abs(a[k] - b[k]) for k in ANGLES])
                    cv2_worst[1] = max([cv2_worst[1]] + [abs(x - y) for x, y in zip(a["box"], b["box"])])
        cmp.why = []
        ok = cmp.same(r[key], p[key], key)
        failures += not ok
        totals[key] += len(r[key])
        if key == "faces":
            totals["pose"] += sum(1 for f in r[key] if not f.get("pose_unknown"))
            totals["away"] += sum(1 for f in r[key] if f.get("looking_away"))
            totals["unconfirmed"] += sum(1 for f in r[key] if f.get("pose_unknown"))
            desc = ", ".join(f"yaw {f['yaw_deg']:+.1f} pitch {f['pitch_deg']:+.1f} roll {f['roll_deg']:+.1f}"
                             f"{' away' if f['looking_away'] else ''}{' unconfirmed' if f.get('pose_unknown') else ''}"
                             for f in r[key])
        else:
            desc = ", ".join(f"{o['label']} {o['score']:.2f}" for o in r[key])
        print(f"parity {'ok  ' if ok else 'DIFF'} {src}{' (crop)' if crop else ''} {size}x{size}: "
              f"{len(r[key])} {key} (proctord) vs {len(p[key])} (python){': ' + desc if desc else ''}")
        if not ok:
            for why in cmp.why[:10]:
                print("  ", why)
            print("  proctord:", json.dumps(r[key]))
            print("  python:  ", json.dumps(p[key]))
    print(f"parity: {len(CASES) - failures} of {len(CASES)} cases identical within tolerance "
          f"({totals['faces']} faces: {totals['pose']} with pose, {totals['away']} looking away, "
          f"{totals['unconfirmed']} unconfirmed; {totals['objects']} objects); largest difference: "
          f"{cmp.worst['fraction']:.2e} (fractions, scores), {cmp.worst['angle']:.2e} deg (angles)")
    print(f"parity (information): with cv2.warpAffine's crop, as the benchmark runs, {cv2_verdicts[0]} of "
          f"{cv2_verdicts[1]} face cases give the same face count and verdicts; angles within "
          f"{cv2_worst[0]:.2f} deg, boxes within {cv2_worst[1]:.4f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
