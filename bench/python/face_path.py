"""The face path of one frame, ported from daemon/src/inference/{face_path.rs, face_roi.rs,
face_mesh.rs, gaze.rs}: faces from BlazeFace (or, when tracking, from the previous frame's
landmarks), each confirmed by FaceMesh V2's presence score, head pose by PnP
(head_pose.py) and gaze from the irises.

The face region is sampled into the mesh input with cv2.warpAffine (bilinear, black
outside), as a Raspberry Pi user would, like cv2.resize for the detectors: 20 times faster
than numpy here. Its fixed-point (1/32 pixel) interpolation and 8-bit output give the mesh
a crop a little different from proctord's float warp, which moves the landmarks slightly.
`exact_warp` uses the daemon's own float32 warp ported to numpy instead (slow, for the
parity check, where both pipelines must see identical model inputs).
"""

import math
import time

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

import head_pose
from detectors import F, clamp_box, iou32, sigmoid32

LANDMARKS = 478
MESH_POINTS = 468
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
RIGHT_IRIS, LEFT_IRIS = 468, 473
# Mesh points standing in for BlazeFace's six keypoints (eye centres, nose tip, mouth
# centre, ear tragions).
KEYPOINT_SOURCES = [(33, 133), (362, 263), (1, 1), (13, 14), (234, 234), (454, 454)]
SAME_FACE_IOU = F(0.5)
ROI_SCALE = F(1.5)
EYE_YAW_DEG_PER_UNIT = F(30.0)


def sin_cos32(angle):
    """f32::sin_cos: glibc's sinf/cosf are correctly rounded in all but rare cases, as is
    the float64 result rounded to float32."""
    a = float(angle)
    return F(math.sin(a)), F(math.cos(a))


def atan2_32(y, x):
    return F(math.atan2(float(y), float(x)))


class FaceRoi:
    """A rotated square in frame pixels (face_roi.rs)."""
    __slots__ = ("cx", "cy", "size", "angle")

    def __init__(self, cx, cy, size, angle):
        self.cx, self.cy, self.size, self.angle = F(cx), F(cy), F(size), F(angle)

    @staticmethod
    def from_detection(box_px, right_eye, left_eye):
        x0, y0, x1, y1 = box_px
        return FaceRoi((x0 + x1) / F(2), (y0 + y1) / F(2), max(x1 - x0, y1 - y0) * ROI_SCALE,
                       atan2_32(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))

    @staticmethod
    def from_landmarks(points, right_eye, left_eye):
        """points: (N, 2) float32 frame pixels."""
        angle = atan2_32(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
        s, c = sin_cos32(angle)
        u = points[:, 0] * c + points[:, 1] * s
        v = -points[:, 0] * s + points[:, 1] * c
        lo_u, hi_u, lo_v, hi_v = u.min(), u.max(), v.min(), v.max()
        mu, mv = (lo_u + hi_u) / F(2), (lo_v + hi_v) / F(2)
        return FaceRoi(mu * c - mv * s, mu * s + mv * c, max(hi_u - lo_u, hi_v - lo_v) * ROI_SCALE, angle)

    def to_frame(self, x, y, n):
        """Points of the n x n model input (arrays or scalars, float32) -> frame pixels."""
        s, c = sin_cos32(self.angle)
        u = (x / n - F(0.5)) * self.size
        v = (y / n - F(0.5)) * self.size
        return self.cx + u * c - v * s, self.cy + u * s + v * c

    def bounds(self):
        s, c = sin_cos32(self.angle)
        half = self.size / F(2) * (abs(c) + abs(s))
        return [self.cx - half, self.cy - half, self.cx + half, self.cy + half]


def warp_into(rgb, roi, n, out):
    """Samples the ROI of an RGB frame (H, W, 3 uint8) into out ((n, n, 3) float32, values
    0..1): bilinear, black outside the frame, rows walked with a constant float32 step
    accumulated as the Rust loop does (face_roi.rs, warp_into)."""
    h, w = rgb.shape[:2]
    nf = F(n)
    s, c = sin_cos32(roi.angle)
    step = roi.size / nf
    rows = np.arange(n, dtype=F) + F(0.5)
    sx, sy = roi.to_frame(F(0.5), rows, nf)
    dx, dy = c * step, s * step
    fx = np.empty((n, n), dtype=F)
    fy = np.empty((n, n), dtype=F)
    fx[:, 0] = sx - F(0.5)
    fy[:, 0] = sy - F(0.5)
    fx[:, 1:] = dx
    fy[:, 1:] = dy
    np.cumsum(fx, axis=1, dtype=F, out=fx)  # sequential, as `fx += dx`
    np.cumsum(fy, axis=1, dtype=F, out=fy)
    x0f, y0f = np.floor(fx), np.floor(fy)
    ax = (fx - x0f)[..., None]
    ay = (fy - y0f)[..., None]
    x0 = x0f.astype(np.int64)
    y0 = y0f.astype(np.int64)
    flat = rgb.reshape(-1, 3)

    def sample(xs, ys):
        ok = (xs >= 0) & (ys >= 0) & (xs < w) & (ys < h)
        idx = np.where(ok, ys * w + xs, 0)
        v = flat[idx].astype(F)
        v[~ok] = 0
        return v

    bx = ax.dtype.type(1) - ax
    top = sample(x0, y0) * bx + sample(x0 + 1, y0) * ax
    bottom = sample(x0, y0 + 1) * bx + sample(x0 + 1, y0 + 1) * ax
    out[...] = (top * (F(1) - ay) + bottom * ay) * (F(1) / F(255))


def warp_cv2(rgb, roi, n, out):
    """The same mapping as warp_into (input pixel centres to frame pixel centres) by
    cv2.warpAffine: dst(col, row) = src(A (col, row) + b)."""
    s, c = sin_cos32(roi.angle)
    s, c = float(s), float(c)
    step = float(roi.size) / n
    h0 = 0.5 * step - float(roi.size) / 2.0
    m = np.array([[c * step, -s * step, float(roi.cx) + h0 * c - h0 * s - 0.5],
                  [s * step, c * step, float(roi.cy) + h0 * s + h0 * c - 0.5]])
    crop = cv2.warpAffine(rgb, m, (n, n), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    np.multiply(crop, F(1) / F(255), out=out, dtype=F)


class FaceMesh:
    """FaceMesh V2: 478 landmarks and a face-presence score for one face region."""

    def __init__(self, path, threads, exact_warp=False):
        self.warp = warp_into if exact_warp else warp_cv2
        self.interp = Interpreter(model_path=path, num_threads=threads)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.n = int(self.inp["shape"][1])
        outs = self.interp.get_output_details()
        count = lambda d: int(np.prod(d["shape"]))
        self.landmarks_out = next(d for d in outs if count(d) == LANDMARKS * 3 and d["dtype"] == np.float32)
        self.presence_out = next(d for d in outs if count(d) == 1 and d["dtype"] == np.float32)
        self.buf = np.empty((1, self.n, self.n, 3), dtype=F)

    def run(self, rgb, roi):
        """(frame_px (478, 2), upright_px (478, 2), presence) for one region, float32."""
        self.warp(rgb, roi, self.n, self.buf[0])
        self.interp.set_tensor(self.inp["index"], self.buf)
        self.interp.invoke()
        raw = self.interp.get_tensor(self.landmarks_out["index"]).reshape(LANDMARKS, 3)
        logit = self.interp.get_tensor(self.presence_out["index"]).reshape(-1)[0]
        upright = raw[:, :2].astype(F)
        fx, fy = roi.to_frame(upright[:, 0], upright[:, 1], F(self.n))
        return np.stack([fx, fy], axis=1), upright, sigmoid32(logit)


def gaze(upright):
    """gaze.rs: iris offsets between the eye corners in half eye widths, both eyes averaged."""
    def eye(a, b, iris):
        a, b, c = upright[a], upright[b], upright[iris]
        half = F(math.sqrt(float((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1])))) / F(2)
        if half < F(1e-3):
            return None
        mid = ((a[0] + b[0]) / F(2), (a[1] + b[1]) / F(2))
        return (c[0] - mid[0]) / half, (c[1] - mid[1]) / half

    if len(upright) < LANDMARKS:
        return None
    right = eye(RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_IRIS)
    left = eye(LEFT_EYE_INNER, LEFT_EYE_OUTER, LEFT_IRIS)
    if right is None or left is None:
        return None
    return {"x": (right[0] + left[0]) / F(2), "y": (right[1] + left[1]) / F(2)}


class Track:
    __slots__ = ("roi", "detector_score", "tracked", "detection")

    def __init__(self, roi, detector_score, tracked, detection):
        self.roi, self.detector_score, self.tracked, self.detection = roi, detector_score, tracked, detection


class FacePath:
    """face_path.rs: detect or track, confirm by the mesh, measure pose and gaze."""

    def __init__(self, detectors, mesh, canonical, min_presence, unconfirmed_min_score, redetect_every,
                 horizontal_fov_deg):
        self.detectors, self.mesh, self.canonical = detectors, mesh, canonical
        self.min_presence = F(min_presence)
        self.unconfirmed_min_score = F(unconfirmed_min_score)
        self.redetect_every = max(int(redetect_every), 1)
        self.fov = horizontal_fov_deg
        self.tracks = []
        self.frames_since_detection = 0
        self.merged = []
        self.held = []
        self.mesh_ms = 0.0  # time in the mesh (warp + invoke) on the last frame, for the split
        self.pose_ms = 0.0

    def forget_tracks(self):
        self.tracks = []
        self.held = []

    def detect(self, rgb):
        """Faces of one frame and whether the detector ran."""
        self.mesh_ms = self.pose_ms = 0.0
        due = not self.tracks or self.frames_since_detection + 1 >= self.redetect_every
        ran = [False]
        faces, lost = self._run_once(rgb, due, ran)
        if lost and not ran[0]:
            # A tracked face slipped out of its region: look for it on this same frame.
            faces, _ = self._run_once(rgb, True, ran)
        return faces, ran[0]

    def _run_once(self, rgb, detect, ran):
        h, w = rgb.shape[:2]
        fw, fh = F(w), F(h)
        candidates = []
        if detect:
            ran[0] = True
            self.frames_since_detection = 0
            self.merged = []
            for detector in self.detectors:
                for f in detector.detect(rgb):
                    m = next((i for i, m in enumerate(self.merged) if iou32(m["box"], f["box"]) > SAME_FACE_IOU), None)
                    if m is None:
                        self.merged.append(f)
                    elif self.merged[m]["score"] < f["score"]:
                        self.merged[m] = f
            self.held = []
            for i, f in enumerate(self.merged):
                kp = f["keypoints"]
                if len(kp) < 2:
                    continue
                b = f["box"]
                roi = FaceRoi.from_detection([b[0] * fw, b[1] * fh, b[2] * fw, b[3] * fh],
                                             (kp[0][0] * fw, kp[0][1] * fh), (kp[1][0] * fw, kp[1][1] * fh))
                candidates.append(Track(roi, f["score"], False, i))
            # A tracked face the detector missed this time stays tracked while the mesh sees it.
            for t in self.tracks:
                if not any(iou32(c.roi.bounds(), t.roi.bounds()) > SAME_FACE_IOU / F(2) for c in candidates):
                    candidates.append(t)
        else:
            self.frames_since_detection += 1
            candidates.extend(self.tracks)

        out = []
        self.tracks = []
        lost = False
        camera = head_pose.Camera(w, h, self.fov)
        for c in candidates:
            t0 = time.perf_counter()
            frame_px, upright, presence = self.mesh.run(rgb, c.roi)
            t1 = time.perf_counter()
            self.mesh_ms += (t1 - t0) * 1000.0
            if presence < self.min_presence:
                lost |= c.tracked
                if c.detection is not None and c.detector_score >= self.unconfirmed_min_score:
                    held = dict(self.merged[c.detection])
                    held.update({"yaw_deg": F(0), "pitch_deg": F(0), "roll_deg": F(0), "mesh_score": presence,
                                 "gaze": None, "pose_unknown": True})
                    self.held.append(held)
                continue
            face = self._measure(frame_px, upright, presence, c.detector_score, camera, fw, fh)
            self.pose_ms += (time.perf_counter() - t1) * 1000.0
            if any(iou32(f["box"], face["box"]) > SAME_FACE_IOU for f in out):
                continue  # two regions converged on one face
            mesh = frame_px[:MESH_POINTS]
            self.tracks.append(Track(FaceRoi.from_landmarks(mesh, frame_px[RIGHT_EYE_OUTER], frame_px[LEFT_EYE_OUTER]),
                                     c.detector_score, True, None))
            out.append(face)
        for held in self.held:
            # A tracked face that moved into the held detection's place is the same face.
            if not any(iou32(f["box"], held["box"]) > SAME_FACE_IOU / F(2) for f in out):
                out.append(dict(held))
        return out, lost

    def _measure(self, frame_px, upright, presence, score, camera, fw, fh):
        mesh = frame_px[:MESH_POINTS]
        lo, hi = mesh.min(axis=0), mesh.max(axis=0)
        box = clamp_box([lo[0] / fw, lo[1] / fh, hi[0] / fw, hi[1] / fh])
        keypoints = [[(frame_px[a][0] + frame_px[b][0]) / F(2) / fw, (frame_px[a][1] + frame_px[b][1]) / F(2) / fh]
                     for a, b in KEYPOINT_SOURCES]
        image = frame_px[head_pose.POSE_LANDMARKS].astype(np.float64)
        pose = head_pose.solve(self.canonical, image, camera)
        yaw, pitch, roll = (F(v) for v in pose) if pose is not None else (F(0), F(0), F(0))
        return {"score": score, "box": box, "keypoints": keypoints, "yaw_deg": yaw, "pitch_deg": pitch,
                "roll_deg": roll, "mesh_score": presence, "gaze": gaze(upright), "pose_unknown": False}

