#!/usr/bin/env python3
"""Reference proctoring pipeline, written the way a Raspberry Pi user would: OpenCV
decode, numpy, and the `ai_edge_litert` interpreter (the same LiteRT runtime and XNNPACK
as proctord) with the same models as proctord's default config: full-range BlazeFace,
FaceMesh V2 (confirmation, tracking, PnP head pose, gaze) and SSD MobileNet v1 quant;
the same decoding, thresholds and rules (ported from daemon/src/inference and
daemon/src/rules), and the same JSON summary shape as `proctord analyze --json`.

    pipeline.py analyze --input VIDEO [--config proctord.toml] [--json] [--objects-thread] [--exact-warp]
    pipeline.py detect  --input VIDEO|IMAGE [--config proctord.toml] [--json] [--exact-warp]
    pipeline.py decode  --input VIDEO

`detect` prints one JSON line per analysed frame (like `proctord detect --json`), flushed
as it goes, so the time to the first line is the time to the first inference.

Modules (one job each): refconfig.py (config and defaults), detectors.py (BlazeFace, SSD,
hands zone), face_path.py (tracking, FaceMesh, warp, gaze), head_pose.py (PnP),
rules.py (rules engine, score).

The object model runs in the loop, after the face path, on every Nth analysed frame; its
result is handed to the rules when proctord's `analyze` hands it over (lockstep: on the
frame just before the next object frame, timed by the frame it ran on), so both give the
same events. `--objects-thread` runs it on a thread of its own instead, overlapping the
face path of the next frames as proctord does (LiteRT's invoke releases the GIL).

Resampling is OpenCV's (cv2.resize for the detectors, cv2.warpAffine for the face region),
not proctord's own filters; `--exact-warp` samples the face region as proctord does
(bench/python/parity.py uses it to feed both pipelines identical model inputs).
"""

import argparse
import json
import os
import queue
import sys
import threading
import time

import cv2
import numpy as np

import face_path
import head_pose
import rules as rules_mod
from detectors import F, FaceDetector, ObjectDetector, ObjectPasses
from refconfig import LABELS_FILE, MODEL_FILES, load_config


class Detector:
    """The face path on every analysed frame, the object passes on every Nth
    (daemon/src/inference/detector.rs)."""

    def __init__(self, cfg, lockstep=False, objects_thread=False, exact_warp=False):
        m, d = cfg["models"], cfg["detection"]
        threads, face_threads = int(cfg["runtime"]["threads"]), int(cfg["runtime"]["face_threads"])
        mdir = m["dir"]
        path = lambda name: os.path.join(mdir, MODEL_FILES[name])
        detectors = [FaceDetector(path(name), face_threads, d["face_score"], d["face_nms_iou"])
                     for name in (m["face"], m["face_short_range"]) if name]
        mesh = face_path.FaceMesh(path(m["landmarks"]), face_threads, exact_warp)
        canonical = head_pose.load_canonical(path(m["face_geometry"]))
        self.face = face_path.FacePath(detectors, mesh, canonical, d["face_presence"], d["face_unconfirmed_score"],
                                       d["face_detect_every_n_frames"], cfg["capture"]["horizontal_fov_deg"])
        self.objects = None
        if m["objects"]:
            thresholds = {"phone": d["phone_score"], "notes": d["notes_score"], "device": d["device_score"],
                          "person": d["person_score"]}
            ssd = ObjectDetector(path(m["objects"]), os.path.join(mdir, LABELS_FILE), threads, thresholds)
            every = max(int(d["hands_zone_every_n"]), 1) if d["hands_zone"] else None
            self.objects = ObjectPasses(ssd, every, d["objects_nms_iou"])
        self.every_n = max(int(d["objects_every_n_frames"]), 1)
        self.analysed = 0
        self.lockstep = lockstep or objects_thread
        self.pending = None  # (t_ns, objects or a queue to take them from)
        self.worker = None
        if objects_thread and self.objects is not None:
            self.jobs, self.results = queue.Queue(), queue.Queue()
            self.worker = threading.Thread(target=self._work, daemon=True)
            self.worker.start()

    def _work(self):
        while True:
            rgb, faces = self.jobs.get()
            self.results.put(self.objects.detect(rgb, faces))

    def detect(self, rgb, t_ns=0, objects_now=False):
        """(faces, objects or None, objects_at_ns or None, times)."""
        t0 = time.perf_counter()
        faces, detector_ran = self.face.detect(rgb)
        face_ms = (time.perf_counter() - t0) * 1000.0
        due = objects_now or self.analysed % self.every_n == 0
        joins = (self.analysed + 1) % self.every_n == 0
        self.analysed += 1
        objects, objects_at, objects_ms = None, None, None
        if self.objects is not None:
            if not self.lockstep:
                if due:
                    t1 = time.perf_counter()
                    objects = self.objects.detect(rgb, faces)
                    objects_ms = (time.perf_counter() - t1) * 1000.0
            else:
                if self.pending is not None and (joins or due):
                    at, found = self.pending
                    objects = self.results.get() if self.worker else found
                    objects_at = at if at != t_ns else None
                    self.pending = None
                if due:
                    if self.worker:
                        self.jobs.put((rgb, faces))
                        self.pending = (t_ns, None)
                    else:
                        t1 = time.perf_counter()
                        self.pending = (t_ns, self.objects.detect(rgb, faces))
                        objects_ms = (time.perf_counter() - t1) * 1000.0
        times = {"face_ms": face_ms, "face_detector_ran": detector_ran, "mesh_ms": self.face.mesh_ms,
                 "pose_ms": self.face.pose_ms, "total_ms": (time.perf_counter() - t0) * 1000.0}
        if objects_ms is not None:
            times["objects_ms"] = objects_ms
        return faces, objects, objects_at, times


# --------------------------------------------------------------------------- input

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


class VideoFrames:
    """Iterates (frame_index, t_ns, rgb) over the frames to analyse: at most max_fps per
    second of video time (0 = every frame), on a schedule, a frame 8 ms early still due,
    as proctord's FrameSelector (daemon/src/pipeline/frame_selector.rs). After iterating,
    `frames` is the number decoded and `duration_ns` the end of the last frame."""

    JITTER_NS = 8_000_000

    def __init__(self, path, max_fps):
        # Rust: Duration::from_secs_f32(1.0 / max_fps)
        self.period = int(round(float(F(1.0) / F(max_fps)) * 1e9)) if max_fps > 0 else 0
        self.cap = cv2.VideoCapture(path)
        if not self.cap.isOpened():
            sys.exit(f"pipeline.py: cannot open {path}")
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.frames = 0
        self.duration_ns = 0

    def __iter__(self):
        # next_due: the stream time from which the next frame is due (None: the first).
        cap, next_due, end, interval = self.cap, None, 0, 0
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
            if next_due is not None and t_ns + self.JITTER_NS < next_due:
                continue
            # On schedule, unless behind by a whole interval (the first frame, a gap):
            # then the schedule restarts from this frame, as FrameSelector::take.
            on_schedule = None if next_due is None else next_due + self.period
            next_due = on_schedule if on_schedule is not None and on_schedule > t_ns else t_ns + self.period
            ok, bgr = cap.retrieve()
            if not ok:
                break
            yield index, t_ns, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        cap.release()


def load_still(path):
    from PIL import Image, ImageOps
    with Image.open(path) as im:
        return np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(im).convert("RGB")))


# --------------------------------------------------------------------------- output

def plain(o):
    """numpy scalars -> Python numbers, for JSON (float32 printed at float32 precision)."""
    if isinstance(o, dict):
        return {k: plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(v) for v in o]
    if isinstance(o, np.floating):
        return float(repr(float(o))) if o.dtype == np.float64 else float(np.format_float_positional(o, unique=True))
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def face_record(f):
    """The keys `proctord detect --json` prints for a face, in its order."""
    out = {"score": f["score"], "box": f["box"], "keypoints": f["keypoints"], "yaw_deg": f.get("yaw_deg", 0.0),
           "pitch_deg": f.get("pitch_deg", 0.0), "roll_deg": f.get("roll_deg", 0.0)}
    if f.get("mesh_score") is not None:
        out["mesh_score"] = f["mesh_score"]
    if f.get("gaze") is not None:
        out["gaze"] = f["gaze"]
    out["looking_away"] = f.get("looking_away", False)
    if f.get("pose_unknown"):
        out["pose_unknown"] = True
    return out


def dumps(o):
    return json.dumps(plain(o), separators=(",", ":"))


# --------------------------------------------------------------------------- commands

def cmd_detect(args, cfg):
    det = Detector(cfg, exact_warp=args.exact_warp)
    judge = rules_mod.Attention(cfg["rules"])
    out = sys.stdout
    if args.input.lower().endswith(IMAGE_EXTS):
        faces, objects, _, times = det.detect(load_still(args.input), objects_now=True)
        judge.mark_faces(faces)
        print(dumps({"faces": [face_record(f) for f in faces], "objects": objects or [], "inference_ms": times}),
              flush=True)
        return
    for index, t_ns, rgb in VideoFrames(args.input, float(cfg["detection"]["max_analysis_fps"])):
        faces, objects, _, times = det.detect(rgb, t_ns)
        judge.mark_faces(faces)
        rec = {"t_s": t_ns / 1e9, "frame": index, "faces": [face_record(f) for f in faces]}
        if objects is not None:
            rec["objects"] = objects
        rec["inference_ms"] = times
        out.write(dumps(rec) + "\n")
        out.flush()


def cmd_analyze(args, cfg):
    det = Detector(cfg, lockstep=True, objects_thread=args.objects_thread, exact_warp=args.exact_warp)
    engine = rules_mod.RulesEngine(cfg["rules"])
    records = []
    analysed = 0
    split = {"face_ms": 0.0, "mesh_ms": 0.0, "pose_ms": 0.0, "objects_ms": 0.0, "total_ms": 0.0}
    video = VideoFrames(args.input, float(cfg["detection"]["max_analysis_fps"]))
    for _index, t_ns, rgb in video:
        faces, objects, objects_at, times = det.detect(rgb, t_ns)
        for k in split:
            split[k] += times.get(k, 0.0)
        analysed += 1
        engine.judge.mark_faces(faces)
        records.extend(engine.on_detections(t_ns, faces, objects, objects_at))
    records.extend(engine.finish(video.duration_ns))
    events = []
    for r in records:
        if r["phase"] != "end":
            continue
        events.append({"kind": r["kind"], "started_at_s": r["started_at_s"], "ended_at_s": r["ended_at_s"],
                       "duration_s": max(r["ended_at_s"] - r["started_at_s"], 0.0), "details": r["details"]})
    events.sort(key=lambda e: (e["started_at_s"], rules_mod.KIND_ORDER.index(e["kind"])))
    summary = {"duration_s": video.duration_ns / 1e9, "frames": video.frames, "frames_analysed": analysed,
               "events": events,
               "focus_lost_count": sum(1 for e in events if e["kind"] in ("no_face", "looking_away", "eyes_away")),
               "integrity_score": rules_mod.integrity_score(events, cfg["deductions"])}
    # Where Python's time goes (not in proctord's summary; the harness ignores it).
    summary["python_ms_per_analysed_frame"] = {k: v / max(analysed, 1) for k, v in split.items()}
    if args.json:
        print(dumps(summary))
    else:
        print(f"{args.input}: {summary['duration_s']:.1f} s, {video.frames} frames ({analysed} analysed)")
        for e in events:
            print(f"  {e['started_at_s']:8.1f}s - {e['ended_at_s']:8.1f}s  {e['kind']:<16} {plain(e['details'])}")
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
    p.add_argument("--objects-thread", action="store_true",
                   help="analyze: run the object model on its own thread, as proctord does")
    p.add_argument("--exact-warp", action="store_true",
                   help="sample the face region with proctord's float warp (numpy, slow) instead of cv2.warpAffine")
    args = p.parse_args()
    cfg = load_config(args.config)
    cv2.setNumThreads(int(cfg["runtime"]["threads"]))
    {"detect": cmd_detect, "analyze": cmd_analyze, "decode": cmd_decode}[args.command](args, cfg)


if __name__ == "__main__":
    main()
