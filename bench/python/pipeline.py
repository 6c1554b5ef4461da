#!/usr/bin/env python3
"""Reference proctoring pipeline, written the way a Raspberry Pi user would: OpenCV
decode, numpy preprocessing, the `ai_edge_litert` interpreter with the same two models as
proctord (BlazeFace int8 + SSD MobileNet v1 quant), the same box decoding, head pose,
label mapping, thresholds and rules (ported from daemon/src/inference and
daemon/src/rules), and the same JSON summary shape as `proctord analyze --json`.

    pipeline.py analyze --input VIDEO [--config proctord.toml] [--json]
    pipeline.py detect  --input VIDEO|IMAGE [--config proctord.toml] [--json]

`detect` prints one JSON line per analysed frame (like `proctord detect --json`), flushed
as it goes, so the time to the first line is the time to the first inference.

Only the keys the benchmark needs are read from the config; anything missing takes
proctord's documented default.
"""

import argparse
import json
import math
import os
import sys
import time
import uuid

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

# --------------------------------------------------------------------------- config

DEFAULTS = {
    "runtime": {"threads": 2},
    "models": {"dir": "models/cache", "face": "blazeface_128x128_quant", "objects": "ssd_mobilenet_v1_quant"},
    "detection": {
        "face_score": 0.6, "face_nms_iou": 0.3,
        "phone_score": 0.4, "notes_score": 0.4, "device_score": 0.5, "person_score": 0.5,
        "objects_every_n_frames": 3, "max_analysis_fps": 10.0,
    },
    "rules": {
        "no_face_after_s": 10.0, "looking_away_after_s": 5.0, "max_yaw_deg": 30.0, "max_pitch_deg": 25.0,
        "multiple_faces_after_s": 1.0, "object_window_s": 1.5, "object_min_share": 0.6, "object_min_hits": 3,
        "camera_lost_after_s": 2.0, "clear_after_s": 1.0,
    },
    # (per_event, per_second, cap)
    "deductions": {
        "no_face": (5.0, 0.1, 30.0), "looking_away": (2.0, 0.1, 20.0), "multiple_faces": (10.0, 0.0, 30.0),
        "phone_detected": (15.0, 0.0, 45.0), "notes_detected": (10.0, 0.0, 30.0),
        "device_detected": (10.0, 0.0, 30.0), "logged": (0.0, 0.0, 0.0),
    },
}
# Manifest name -> file in the models dir (as models/manifest.toml says).
MODEL_FILES = {
    "blazeface_128x128_quant": "blazeface_128x128_quant.tflite",
    "face_detection_short_range": "face_detection_short_range.tflite",
    "ssd_mobilenet_v1_quant": "detect.tflite",
}
LABELS_FILE = "coco_labelmap.txt"


def load_config(path):
    cfg = {k: dict(v) for k, v in DEFAULTS.items()}
    if path:
        if tomllib is None:
            sys.exit("pipeline.py: --config needs Python >= 3.11 (tomllib)")
        with open(path, "rb") as f:
            user = tomllib.load(f)
        for section in ("runtime", "models", "detection", "rules"):
            cfg[section].update(user.get(section, {}))
        for kind, d in user.get("scoring", {}).get("deductions", {}).items():
            cfg["deductions"][kind] = (d.get("per_event", 0.0), d.get("per_second", 0.0), d.get("cap", 0.0))
    return cfg


# --------------------------------------------------------------------------- models

def quantised_lut(detail):
    """256-entry table: 8-bit pixel -> the model's input value ((p - 127.5) / 127.5, quantised
    with the tensor's own parameters), as daemon/src/inference/preprocess.rs."""
    real = (np.arange(256, dtype=np.float32) - np.float32(127.5)) / np.float32(127.5)
    dtype = detail["dtype"]
    if dtype == np.float32:
        return real
    scale, zp = detail["quantization"]
    lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
    q = np.clip(np.round(real / np.float32(scale) + np.float32(zp)), lo, hi)
    return q.astype(dtype)


def dequantise(detail, arr):
    if detail["dtype"] == np.float32:
        return arr.astype(np.float32, copy=False)
    scale, zp = detail["quantization"]
    return np.float32(scale) * (arr.astype(np.float32) - np.float32(zp))


def resize(rgb, w, h):
    src_h, src_w = rgb.shape[:2]
    interp = cv2.INTER_AREA if (w < src_w and h < src_h) else cv2.INTER_LINEAR
    return cv2.resize(rgb, (w, h), interpolation=interp)


class Placement:
    __slots__ = ("pad_x", "pad_y", "content_w", "content_h")

    def __init__(self, pad_x, pad_y, content_w, content_h):
        self.pad_x, self.pad_y, self.content_w, self.content_h = pad_x, pad_y, content_w, content_h

    def to_frame(self, x, y):
        return (x - self.pad_x) / self.content_w, (y - self.pad_y) / self.content_h


# BlazeFace short range: 16x16 grid x 2 anchors (stride 8) then 8x8 x 6 (stride 16).
def blazeface_anchors():
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                out.extend([((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell)
    return np.array(out, dtype=np.float32)


RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)
YAW_GAIN, NOSE_RATIO_LEVEL, PITCH_DEG_PER_RATIO = 1.5, 0.49, 120.0


def head_pose(kp):
    """(yaw_deg, pitch_deg) from the six keypoints in pixels (daemon/src/inference/head_pose.rs)."""
    ear_mid_x = (kp[RIGHT_EAR][0] + kp[LEFT_EAR][0]) / 2.0
    ear_half = max(abs(kp[LEFT_EAR][0] - kp[RIGHT_EAR][0]) / 2.0, 1e-3)
    eye_dist = math.hypot(kp[LEFT_EYE][0] - kp[RIGHT_EYE][0], kp[LEFT_EYE][1] - kp[RIGHT_EYE][1])
    yaw_ears = math.degrees(math.atan2(YAW_GAIN * (kp[NOSE][0] - ear_mid_x), ear_half))
    eye_mid_x = (kp[RIGHT_EYE][0] + kp[LEFT_EYE][0]) / 2.0
    yaw_eyes = math.degrees(math.atan2(YAW_GAIN * 2.0 * (kp[NOSE][0] - eye_mid_x), max(eye_dist, 1e-3)))
    yaw = yaw_ears if abs(yaw_ears) >= abs(yaw_eyes) else yaw_eyes
    eye_mid_y = (kp[RIGHT_EYE][1] + kp[LEFT_EYE][1]) / 2.0
    span = kp[MOUTH][1] - eye_mid_y
    pitch = 0.0 if abs(span) < 1e-3 else ((kp[NOSE][1] - eye_mid_y) / span - NOSE_RATIO_LEVEL) * PITCH_DEG_PER_RATIO
    return yaw, max(-90.0, min(90.0, pitch))


def clamp01(v):
    return min(1.0, max(0.0, v))


class FaceDetector:
    def __init__(self, path, threads, min_score, nms_iou):
        self.interp = Interpreter(model_path=path, num_threads=threads)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        _, self.h, self.w, _ = self.inp["shape"]
        self.lut = quantised_lut(self.inp)
        self.min_score, self.nms_iou = min_score, nms_iou
        self.anchors = blazeface_anchors()
        scores, regs = [], []
        for d in self.interp.get_output_details():
            shape = tuple(d["shape"])
            if len(shape) == 3 and shape[2] == 1:
                scores.append(d)
            elif len(shape) == 3 and shape[2] == 16:
                regs.append(d)
            else:
                raise ValueError(f"unexpected BlazeFace output shape {shape}")
        # Outputs split by stride come in anchor order: the 512 stride-8 anchors first.
        self.score_outs = sorted(scores, key=lambda d: -d["shape"][1])
        self.reg_outs = sorted(regs, key=lambda d: -d["shape"][1])
        self.input_buf = np.empty((1, self.h, self.w, 3), dtype=self.inp["dtype"])
        self._geom = None

    def preprocess(self, rgb):
        """Letterbox into the model input (keeps the aspect ratio), values through the LUT."""
        src_h, src_w = rgb.shape[:2]
        if self._geom != (src_w, src_h):
            s = min(np.float32(self.w) / np.float32(src_w), np.float32(self.h) / np.float32(src_h))
            cw = int(min(max(round(float(np.float32(src_w) * s)), 1), self.w))
            ch = int(min(max(round(float(np.float32(src_h) * s)), 1), self.h))
            x0, y0 = (self.w - cw) // 2, (self.h - ch) // 2
            self._geom = (src_w, src_h)
            self._box = (x0, y0, cw, ch)
            self._placement = Placement(x0 / self.w, y0 / self.h, cw / self.w, ch / self.h)
        x0, y0, cw, ch = self._box
        self.input_buf[...] = self.lut[0]
        self.input_buf[0, y0:y0 + ch, x0:x0 + cw] = self.lut[resize(rgb, cw, ch)]
        self.interp.set_tensor(self.inp["index"], self.input_buf)
        return self._placement

    def invoke(self):
        self.interp.invoke()

    def detect(self, rgb):
        placement = self.preprocess(rgb)
        self.invoke()
        get = self.interp.get_tensor
        scores = np.concatenate([dequantise(d, get(d["index"])).reshape(-1) for d in self.score_outs])
        regs = np.concatenate([dequantise(d, get(d["index"])).reshape(-1, 16) for d in self.reg_outs])
        with np.errstate(over="ignore"):
            scores = 1.0 / (1.0 + np.exp(-np.clip(scores, -100.0, 100.0)))
        idx = np.nonzero(scores >= self.min_score)[0]
        if idx.size == 0:
            return []
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        sc = scores[idx]
        r = regs[idx] / np.float32(self.w)
        a = self.anchors[idx]
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        boxes = np.stack([cx - r[:, 2] / 2, cy - r[:, 3] / 2, cx + r[:, 2] / 2, cy + r[:, 3] / 2], axis=1)
        kps = r[:, 4:16].reshape(-1, 6, 2) + a[:, None, :]
        areas = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)

        src_h, src_w = rgb.shape[:2]
        faces = []
        taken = np.zeros(len(sc), dtype=bool)
        while not taken.all():
            lead = int(np.argmin(taken))  # first not taken
            b = boxes[lead]
            ix = np.maximum(np.minimum(boxes[:, 2], b[2]) - np.maximum(boxes[:, 0], b[0]), 0)
            iy = np.maximum(np.minimum(boxes[:, 3], b[3]) - np.maximum(boxes[:, 1], b[1]), 0)
            inter = ix * iy
            union = areas + areas[lead] - inter
            iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0)
            cluster = ~taken & (iou > self.nms_iou)
            cluster[:lead] = False
            if not cluster.any():
                cluster[lead] = True
            taken |= cluster
            w = sc[cluster]
            total = w.sum()
            box = (boxes[cluster] * w[:, None]).sum(axis=0) / total
            kp = (kps[cluster] * w[:, None, None]).sum(axis=0) / total
            x0, y0 = placement.to_frame(float(box[0]), float(box[1]))
            x1, y1 = placement.to_frame(float(box[2]), float(box[3]))
            kp_frame = [placement.to_frame(float(k[0]), float(k[1])) for k in kp]
            yaw, pitch = head_pose([(x * src_w, y * src_h) for x, y in kp_frame])
            faces.append({
                "score": float(sc[lead]),
                "box": [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)],
                "keypoints": [[x, y] for x, y in kp_frame],
                "yaw_deg": yaw, "pitch_deg": pitch,
            })
        return faces


def proctoring_class(label):
    if label == "cell phone":
        return "phone"
    if label == "book":
        return "notes"
    if label in ("laptop", "tv", "keyboard", "mouse", "remote"):
        return "device"
    if label == "person":
        return "person"
    return None


class ObjectDetector:
    def __init__(self, path, labels_path, threads, thresholds):
        self.interp = Interpreter(model_path=path, num_threads=threads)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        _, self.h, self.w, _ = self.inp["shape"]
        self.lut = quantised_lut(self.inp)
        with open(labels_path, encoding="utf-8") as f:
            self.labels = [line.strip() for line in f.read().splitlines()]
        self.thresholds = thresholds
        outs = self.interp.get_output_details()
        # TFLite_Detection_PostProcess: boxes, classes, scores, count (by tensor name when it says).
        by_suffix = {}
        for d in outs:
            name = d["name"]
            suffix = name.rsplit(":", 1)[1] if ":" in name else "0"
            by_suffix[suffix] = d
        if set(by_suffix) == {"0", "1", "2", "3"}:
            self.boxes, self.classes, self.scores, self.count = (by_suffix[k] for k in "0123")
        else:
            self.boxes, self.classes, self.scores, self.count = outs
        self.placement = Placement(0.0, 0.0, 1.0, 1.0)  # stretched: the whole input

    def preprocess(self, rgb):
        self.interp.set_tensor(self.inp["index"], self.lut[resize(rgb, self.w, self.h)][None])
        return self.placement

    def invoke(self):
        self.interp.invoke()

    def detect(self, rgb):
        placement = self.preprocess(rgb)
        self.invoke()
        get = self.interp.get_tensor
        boxes = get(self.boxes["index"]).reshape(-1, 4)
        classes = get(self.classes["index"]).reshape(-1)
        scores = get(self.scores["index"]).reshape(-1)
        n = min(int(max(float(get(self.count["index"]).reshape(-1)[0]), 0.0)), len(scores), len(boxes))
        out = []
        for i in range(n):
            line = int(max(float(classes[i]), 0.0)) + 1
            if line >= len(self.labels):
                continue
            label = self.labels[line]
            cls = proctoring_class(label)
            if cls is None or scores[i] < self.thresholds[cls]:
                continue
            ymin, xmin, ymax, xmax = (float(v) for v in boxes[i])
            x0, y0 = placement.to_frame(xmin, ymin)
            x1, y1 = placement.to_frame(xmax, ymax)
            out.append({"class": cls, "label": label, "score": float(scores[i]),
                        "box": [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)]})
        return out


class Detector:
    """Face model on every analysed frame, object model on every Nth (daemon/src/inference/detector.rs)."""

    def __init__(self, cfg):
        m, d, threads = cfg["models"], cfg["detection"], int(cfg["runtime"]["threads"])
        mdir = m["dir"]
        self.face = FaceDetector(os.path.join(mdir, MODEL_FILES[m["face"]]), threads, d["face_score"], d["face_nms_iou"])
        self.objects = None
        if m["objects"]:
            thresholds = {"phone": d["phone_score"], "notes": d["notes_score"], "device": d["device_score"], "person": d["person_score"]}
            self.objects = ObjectDetector(os.path.join(mdir, MODEL_FILES[m["objects"]]), os.path.join(mdir, LABELS_FILE), threads, thresholds)
        self.every_n = max(int(d["objects_every_n_frames"]), 1)
        self.analysed = 0

    def detect(self, rgb, objects_now=False):
        t0 = time.perf_counter()
        faces = self.face.detect(rgb)
        face_ms = (time.perf_counter() - t0) * 1000.0
        due = objects_now or self.analysed % self.every_n == 0
        self.analysed += 1
        objects, objects_ms = None, None
        if self.objects is not None and due:
            t1 = time.perf_counter()
            objects = self.objects.detect(rgb)
            objects_ms = (time.perf_counter() - t1) * 1000.0
        times = {"face_ms": face_ms, "total_ms": (time.perf_counter() - t0) * 1000.0}
        if objects_ms is not None:
            times["objects_ms"] = objects_ms
        return faces, objects, times


# --------------------------------------------------------------------------- rules
# A port of daemon/src/rules (mod.rs, episode.rs, objects.rs, attention.rs). Times are
# integer nanoseconds, as Rust's Duration, so strict thresholds compare the same way.

def ns(seconds):
    return int(round(seconds * 1e9)) if (math.isfinite(seconds) and seconds > 0) else 0


class Episode:
    def __init__(self, kind):
        self.kind = kind
        self.state = "idle"
        self.onset = None
        self.id = None
        self.clear_since = None
        self.details = {}

    def is_active(self):
        return self.state == "active"

    def holds_longer_than(self, at, more_than, note=None):
        if self.state == "idle":
            self.state, self.onset, self.details = "pending", at, {}
        elif self.state == "active":
            self.clear_since = None
        if note is not None:
            note(self.details)
        if self.state != "pending":
            return None
        if max(at - self.onset, 0) > more_than:
            return self._activate(self.onset, None)
        return None

    def holds_since(self, onset, details):
        if self.state == "active":
            self.clear_since = None
            return None
        return self._activate(onset, details)

    def seen_again(self):
        if self.state == "active":
            self.clear_since = None

    def clear_at(self, at):
        if self.state == "pending":
            self.state = "idle"
        elif self.state == "active" and self.clear_since is None:
            self.clear_since = at

    def end_if_clear_for(self, now, clear_after):
        if self.state != "active" or self.clear_since is None:
            return None
        if max(now - self.clear_since, 0) >= clear_after:
            return self._end(self.clear_since)
        return None

    def drop_pending(self):
        if self.state == "pending":
            self.state = "idle"

    def close(self, at):
        if self.state == "pending":
            self.state = "idle"
            return None
        if self.state == "active":
            return self._end(self.clear_since if self.clear_since is not None else at)
        return None

    def _activate(self, onset, details):
        if details is None:
            details = self.details if self.state == "pending" else {}
        self.state, self.onset, self.clear_since, self.details = "active", onset, None, details
        self.id = str(uuid.uuid4())
        return {"id": self.id, "kind": self.kind, "phase": "start", "started_at_s": onset / 1e9,
                "ended_at_s": None, "details": dict(details)}

    def _end(self, ended_at):
        ev = {"id": self.id, "kind": self.kind, "phase": "end", "started_at_s": self.onset / 1e9,
              "ended_at_s": max(ended_at, self.onset) / 1e9, "details": dict(self.details)}
        self.state, self.onset, self.clear_since, self.details, self.id = "idle", None, None, {}, None
        return ev


def note_sighting(details, seen):
    if details.get("best_score") is None or seen[2] > details["best_score"]:
        details["best_score"] = seen[2]
        details["label"] = seen[1]


class ObjectRule:
    def __init__(self, kind, cls, window_s, min_share, min_hits):
        self.cls = cls
        self.episode = Episode(kind)
        self.window = []  # (at_ns, sighting or None), newest last
        self.window_ns = ns(window_s)
        self.min_share = min(max(float(min_share), 1e-16), 1.0)
        self.min_hits = max(int(min_hits), 1)
        self.interval = None  # ns between the two newest object frames

    def observe(self, at, objects):
        best = None
        for o in objects:
            if o["class"] == self.cls and (best is None or o["score"] >= best[2]):
                best = (at, o["label"], o["score"])
        if self.window:
            self.interval = max(at - self.window[-1][0], 0)
        span = max(self.window_ns, 0 if self.interval is None else self.interval + self.interval // 2)
        while self.window and self.window[0][0] + span <= at:
            self.window.pop(0)
        self.window.append((at, best))
        if self.episode.is_active():
            if best is not None:
                self.episode.seen_again()
                note_sighting(self.episode.details, best)
            else:
                self.episode.clear_at(at)
            return None
        if not self.is_present():
            return None
        seen = self.sightings()
        details = {}
        for s in seen:
            note_sighting(details, s)
        return self.episode.holds_since(seen[0][0] if seen else at, details)

    def end_if_clear_for(self, now, clear_after):
        if self.is_present():
            return None
        end = self.episode.end_if_clear_for(now, clear_after)
        if end is not None:
            self.window.clear()
            self.interval = None
        return end

    def close(self, at):
        self.window.clear()
        self.interval = None
        return self.episode.close(at)

    def sightings(self):
        return [s for _, s in self.window if s is not None]

    def hits_needed(self):
        fit = self.min_hits if not self.interval else int(self.window_ns / self.interval + 1e-9)
        return min(self.min_hits, max(fit, 2))

    def is_present(self):
        hits = len(self.sightings())
        return hits >= self.hits_needed() and hits + 1e-9 >= self.min_share * len(self.window)


def candidate_face(faces):
    best = None
    for f in faces:
        b = f["box"]
        area = max(b[2] - b[0], 0) * max(b[3] - b[1], 0)
        if best is None or area >= best[0]:
            best = (area, f)
    return None if best is None else best[1]


class RulesEngine:
    def __init__(self, rules):
        self.cfg = rules
        self.no_face_after = ns(rules["no_face_after_s"])
        self.looking_away_after = ns(rules["looking_away_after_s"])
        self.multiple_faces_after = ns(rules["multiple_faces_after_s"])
        self.camera_lost_after = ns(rules["camera_lost_after_s"])
        self.clear_after = ns(rules["clear_after_s"])
        self.last_frame_at = None
        self.person_in_view = False
        self.camera_lost = Episode("camera_lost")
        self.no_face = Episode("no_face")
        self.looking_away = Episode("looking_away")
        self.multiple_faces = Episode("multiple_faces")
        self.objects = [ObjectRule(k, c, rules["object_window_s"], rules["object_min_share"],
                                  rules["object_min_hits"])
                        for k, c in (("phone_detected", "phone"), ("notes_detected", "notes"), ("device_detected", "device"))]

    def attention(self, faces):
        face = candidate_face(faces)
        if face is not None:
            if abs(face["yaw_deg"]) > self.cfg["max_yaw_deg"] or abs(face["pitch_deg"]) > self.cfg["max_pitch_deg"]:
                return "looking_away"
            return "facing"
        return "looking_away" if self.person_in_view else "absent"

    def on_detections(self, at, faces, objects):
        due = []
        add = lambda ev: ev is not None and due.append(ev)
        if self.last_frame_at is not None:
            at = max(at, self.last_frame_at)
            if at - self.last_frame_at > self.camera_lost_after:
                self._camera_outage(self.last_frame_at, due)
        self.camera_lost.clear_at(at)
        self.last_frame_at = at
        if objects is not None:
            self.person_in_view = any(o["class"] == "person" for o in objects)
            for rule in self.objects:
                add(rule.observe(at, objects))
        attention = self.attention(faces)
        face_count = len(faces)

        def note_faces(details):
            details["max_faces"] = max(details.get("max_faces", face_count), face_count)

        for episode, holds, more_than, note in (
            (self.no_face, attention == "absent", self.no_face_after, None),
            (self.looking_away, attention == "looking_away", self.looking_away_after, None),
            (self.multiple_faces, face_count >= 2, self.multiple_faces_after, note_faces),
        ):
            if holds:
                add(episode.holds_longer_than(at, more_than, note))
            else:
                episode.clear_at(at)
                add(episode.end_if_clear_for(at, self.clear_after))
        for rule in self.objects:
            add(rule.end_if_clear_for(at, self.clear_after))
        add(self.camera_lost.end_if_clear_for(at, self.clear_after))
        return due

    def on_idle(self, now):
        due = []
        last = self.last_frame_at or 0
        if max(now - last, 0) > self.camera_lost_after:
            self._camera_outage(last, due)
        else:
            ev = self.camera_lost.end_if_clear_for(now, self.clear_after)
            if ev is not None:
                due.append(ev)
        return due

    def finish(self, at):
        if self.last_frame_at is not None:
            at = max(at, self.last_frame_at)
        due = self.on_idle(at)
        for ep in (self.camera_lost, self.no_face, self.looking_away, self.multiple_faces):
            ev = ep.close(at)
            if ev is not None:
                due.append(ev)
        for rule in self.objects:
            ev = rule.close(at)
            if ev is not None:
                due.append(ev)
        self.person_in_view = False
        return due

    def _camera_outage(self, last_frame_at, due):
        if self.camera_lost.is_active():
            self.camera_lost.seen_again()
        else:
            ev = self.camera_lost.holds_since(last_frame_at, {})
            if ev is not None:
                due.append(ev)
        for ep in (self.no_face, self.looking_away):
            ev = ep.close(last_frame_at)
            if ev is not None:
                due.append(ev)
        self.multiple_faces.drop_pending()
        self.person_in_view = False


KIOSK_FAULTS = ("camera_lost", "recording_stopped")


def integrity_score(events, deductions):
    """100 - sum of per-kind deductions (capped), kiosk faults never charged (report/score.rs)."""
    per_kind = {}
    for e in events:
        if e["kind"] in KIOSK_FAULTS:
            continue
        count, seconds = per_kind.get(e["kind"], (0, 0.0))
        per_kind[e["kind"]] = (count + 1, seconds + max(e["duration_s"], 0.0))
    hundredths = lambda p: round(p * 100.0) / 100.0
    total = 0.0
    for kind, (count, seconds) in per_kind.items():
        per_event, per_second, cap = deductions.get(kind, (0.0, 0.0, 0.0))
        raw = per_event * count + per_second * seconds
        total += hundredths(cap if (cap > 0 and raw > cap) else raw)
    return hundredths(max(100.0 - hundredths(total), 0.0))


# --------------------------------------------------------------------------- input

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


class VideoFrames:
    """Iterates (frame_index, t_ns, rgb) over the frames to analyse: at most max_fps per
    second of video time (0 = every frame). `jitter_ns` as proctord: `analyze` (and the
    live daemon, daemon/src/pipeline/analysis.rs) lets a frame 8 ms early count, `detect`
    does not. After iterating, `frames` is the number decoded and `duration_ns` the end of
    the last frame."""

    def __init__(self, path, max_fps, jitter_ns=0):
        # Rust: Duration::from_secs_f32(1.0 / max_fps)
        self.min_gap = int(round(float(np.float32(1.0) / np.float32(max_fps)) * 1e9)) if max_fps > 0 else 0
        self.jitter = jitter_ns
        self.cap = cv2.VideoCapture(path)
        if not self.cap.isOpened():
            sys.exit(f"pipeline.py: cannot open {path}")
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.frames = 0
        self.duration_ns = 0

    def __iter__(self):
        cap, last, end, interval = self.cap, None, 0, 0
        while True:
            # grab() decodes; retrieve() converts to BGR, only for the frames analysed.
            if not cap.grab():
                break
            index = self.frames
            self.frames += 1
            if self.fps > 0:
                t_ns = int(round(index * 1e9 / self.fps))
            else:
                t_ns = int(round(cap.get(cv2.CAP_PROP_POS_MSEC) * 1e6))
            if t_ns > end:
                interval = t_ns - end
            end = max(end, t_ns)
            self.duration_ns = end + interval
            if last is not None and t_ns + self.jitter < last + self.min_gap:
                continue
            last = t_ns
            ok, bgr = cap.retrieve()
            if not ok:
                break
            yield index, t_ns, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        cap.release()


def load_still(path):
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# --------------------------------------------------------------------------- commands

def rounded(o):
    return json.dumps(o, separators=(",", ":"))


def cmd_detect(args, cfg):
    det = Detector(cfg)
    out = sys.stdout
    if args.input.lower().endswith(IMAGE_EXTS):
        faces, objects, times = det.detect(load_still(args.input), objects_now=True)
        print(rounded({"faces": faces, "objects": objects or [], "inference_ms": times}), flush=True)
        return
    for index, t_ns, rgb in VideoFrames(args.input, float(cfg["detection"]["max_analysis_fps"])):
        faces, objects, times = det.detect(rgb)
        rec = {"t_s": t_ns / 1e9, "frame": index, "faces": faces}
        if objects is not None:
            rec["objects"] = objects
        rec["inference_ms"] = times
        out.write(rounded(rec) + "\n")
        out.flush()


KIND_ORDER = ["no_face", "looking_away", "multiple_faces", "phone_detected", "notes_detected", "device_detected",
              "camera_lost", "recording_stopped", "logged"]


def cmd_analyze(args, cfg):
    det = Detector(cfg)
    rules = RulesEngine(cfg["rules"])
    records = []
    analysed = 0
    video = VideoFrames(args.input, float(cfg["detection"]["max_analysis_fps"]), jitter_ns=8_000_000)
    for _index, t_ns, rgb in video:
        faces, objects, _times = det.detect(rgb)
        analysed += 1
        records.extend(rules.on_detections(t_ns, faces, objects))
    records.extend(rules.finish(video.duration_ns))
    events = []
    for r in records:
        if r["phase"] != "end":
            continue
        events.append({"kind": r["kind"], "started_at_s": r["started_at_s"], "ended_at_s": r["ended_at_s"],
                       "duration_s": max(r["ended_at_s"] - r["started_at_s"], 0.0), "details": r["details"]})
    events.sort(key=lambda e: (e["started_at_s"], KIND_ORDER.index(e["kind"])))
    summary = {"duration_s": video.duration_ns / 1e9, "frames": video.frames, "frames_analysed": analysed,
               "events": events, "focus_lost_count": sum(1 for e in events if e["kind"] in ("no_face", "looking_away")),
               "integrity_score": integrity_score(events, cfg["deductions"])}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{args.input}: {summary['duration_s']:.1f} s, {video.frames} frames ({analysed} analysed)")
        for e in events:
            print(f"  {e['started_at_s']:8.1f}s - {e['ended_at_s']:8.1f}s  {e['kind']:<16} {e['details']}")
        print(f"focus lost {summary['focus_lost_count']} time(s); integrity score {summary['integrity_score']:.1f}")


def cmd_decode(args, cfg):
    """Decode only: every frame decoded and converted to RGB, no inference (the floor of
    the video input path; compare with bench/harness.py's GStreamer decode baseline)."""
    cap = cv2.VideoCapture(args.input)
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        n += 1
    print(json.dumps({"frames": n}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=("detect", "analyze", "decode"))
    p.add_argument("--input", required=True)
    p.add_argument("--config")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    cfg = load_config(args.config)
    cv2.setNumThreads(int(cfg["runtime"]["threads"]))
    {"detect": cmd_detect, "analyze": cmd_analyze, "decode": cmd_decode}[args.command](args, cfg)


if __name__ == "__main__":
    main()
