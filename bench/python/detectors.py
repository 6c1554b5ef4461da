"""The face detector (BlazeFace) and the object passes (SSD MobileNet v1 quant, whole frame
and optionally the hands-and-desk zone), ported from daemon/src/inference/{face.rs,
anchors.rs, preprocess.rs, objects.rs, ssd.rs, labels.rs, nms.rs, hands_zone.rs,
object_passes.rs}.

Resizing is OpenCV's (INTER_AREA when shrinking), as a Raspberry Pi user would write it,
not proctord's own filter: on frames at the model's input size neither resizes and the
two agree (bench/python/parity.py). Everything after the invoke follows the Rust code in
float32 (the daemon's f32), in the same order where the order changes the rounding.
"""

import math

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

F = np.float32


def quantised_lut(detail):
    """256-entry table: 8-bit pixel -> the model's input value ((p - 127.5) / 127.5, quantised
    with the tensor's own parameters), as preprocess.rs."""
    real = (np.arange(256, dtype=F) - F(127.5)) / F(127.5)
    dtype = detail["dtype"]
    if dtype == np.float32:
        return real
    scale, zp = detail["quantization"]
    lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
    v = real / F(scale) + F(zp)
    q = np.clip(np.sign(v) * np.floor(np.abs(v) + F(0.5)), lo, hi)  # Rust rounds halves away from zero
    return q.astype(dtype)


def dequantise(detail, arr):
    if detail["dtype"] == np.float32:
        return arr.astype(F, copy=False)
    scale, zp = detail["quantization"]
    return F(scale) * (arr.astype(F) - F(zp))


def round_away(x):
    """Rust's round(): halves away from zero (Python's round() and numpy's go to even)."""
    x = float(x)
    r = math.floor(abs(x))
    r += 1 if abs(x) - r >= 0.5 else 0
    return int(math.copysign(r, x))


def resize(rgb, w, h):
    src_h, src_w = rgb.shape[:2]
    if (src_w, src_h) == (w, h):
        return rgb
    interp = cv2.INTER_AREA if (w < src_w and h < src_h) else cv2.INTER_LINEAR
    return cv2.resize(rgb, (w, h), interpolation=interp)


def sigmoid32(x):
    """1 / (1 + exp(-x)) in float32; exp in float64 rounded to float32 is what glibc's
    expf (the daemon's f32::exp) returns, to the last bit in all but rare cases."""
    with np.errstate(over="ignore"):  # exp(100) is inf in float32, as expf: the sigmoid is 0
        e = np.exp(-np.asarray(x, dtype=np.float64)).astype(F)
    return F(1.0) / (F(1.0) + e)


def iou32(a, b):
    """BBox::iou in float32; a and b are [x0, y0, x1, y1]."""
    ix = max(min(a[2], b[2]) - max(a[0], b[0]), F(0))
    iy = max(min(a[3], b[3]) - max(a[1], b[1]), F(0))
    inter = ix * iy
    area = lambda r: max(r[2] - r[0], F(0)) * max(r[3] - r[1], F(0))
    union = area(a) + area(b) - inter
    return F(0) if union <= 0 else inter / union


def clamp01(v):
    return min(F(1), max(F(0), F(v)))


def clamp_box(b):
    return [clamp01(b[0]), clamp01(b[1]), clamp01(b[2]), clamp01(b[3])]


def box_area(b):
    return max(b[2] - b[0], F(0)) * max(b[3] - b[1], F(0))


class Placement:
    __slots__ = ("pad_x", "pad_y", "content_w", "content_h")

    def __init__(self, pad_x, pad_y, content_w, content_h):
        self.pad_x, self.pad_y, self.content_w, self.content_h = F(pad_x), F(pad_y), F(content_w), F(content_h)

    def to_frame(self, x, y):
        return (x - self.pad_x) / self.content_w, (y - self.pad_y) / self.content_h


def blazeface_anchors(size):
    """anchors.rs: 128 = short range (16x16 x 2 then 8x8 x 6), 192 = full range (48x48 x 1)."""
    layers = {128: ((16, 2), (8, 6)), 192: ((48, 1),)}.get(size)
    if layers is None:
        raise ValueError(f"a {size}x{size} input is not a BlazeFace model (128: short range, 192: full range)")
    out = []
    for grid, per_cell in layers:
        for y in range(grid):
            for x in range(grid):
                out.extend([((F(x) + F(0.5)) / F(grid), (F(y) + F(0.5)) / F(grid))] * per_cell)
    return np.array(out, dtype=F)


class ImageModel:
    """An image model on XNNPACK with `threads` threads: its input tensor, size and value table."""

    def __init__(self, path, threads):
        self.interp = Interpreter(model_path=path, num_threads=threads)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        _, self.h, self.w, _ = self.inp["shape"]
        self.lut = quantised_lut(self.inp)


class FaceDetector(ImageModel):
    """BlazeFace (full range 192 float, short range 128 float, or the int8 128): letterbox,
    invoke, anchor decode, weighted NMS; faces with box and six keypoints normalised to the
    frame (face.rs)."""

    def __init__(self, path, threads, min_score, nms_iou):
        ImageModel.__init__(self, path, threads)
        self.min_score, self.nms_iou = F(min_score), F(nms_iou)
        self.anchors = blazeface_anchors(int(self.w))
        scores, regs = [], []
        for d in self.interp.get_output_details():
            shape = tuple(d["shape"])
            if len(shape) == 3 and shape[2] == 1:
                scores.append(d)
            elif len(shape) == 3 and shape[2] == 16:
                regs.append(d)
            else:
                raise ValueError(f"unexpected BlazeFace output shape {shape}")
        # Outputs split by stride come in anchor order: the larger (stride-8) block first.
        self.score_outs = sorted(scores, key=lambda d: -d["shape"][1])
        self.reg_outs = sorted(regs, key=lambda d: -d["shape"][1])
        self.input_buf = np.empty((1, self.h, self.w, 3), dtype=self.inp["dtype"])
        self._geom = None

    def preprocess(self, rgb):
        """Letterbox into the model input (keeps the aspect ratio), values through the LUT."""
        src_h, src_w = rgb.shape[:2]
        if self._geom != (src_w, src_h):
            s = min(F(self.w) / F(src_w), F(self.h) / F(src_h))
            cw = min(max(round_away(F(src_w) * s), 1), self.w)
            ch = min(max(round_away(F(src_h) * s), 1), self.h)
            x0, y0 = (self.w - cw) // 2, (self.h - ch) // 2
            self._geom = (src_w, src_h)
            self._box = (x0, y0, cw, ch)
            self._placement = Placement(F(x0) / F(self.w), F(y0) / F(self.h), F(cw) / F(self.w), F(ch) / F(self.h))
        x0, y0, cw, ch = self._box
        if (cw, ch) != (self.w, self.h):
            self.input_buf[...] = self.lut[0]
        self.input_buf[0, y0:y0 + ch, x0:x0 + cw] = self.lut[resize(rgb, cw, ch)]
        self.interp.set_tensor(self.inp["index"], self.input_buf)
        return self._placement

    def detect(self, rgb):
        placement = self.preprocess(rgb)
        self.interp.invoke()
        get = self.interp.get_tensor
        raw = np.concatenate([dequantise(d, get(d["index"])).reshape(-1) for d in self.score_outs])
        regs = np.concatenate([dequantise(d, get(d["index"])).reshape(-1, 16) for d in self.reg_outs])
        scores = sigmoid32(np.clip(raw, F(-100.0), F(100.0)))
        idx = np.nonzero(scores >= self.min_score)[0]
        if idx.size == 0:
            return []
        # Rust sorts by descending score, stable (sort_by on total_cmp keeps equal scores in anchor order).
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        sc = scores[idx]
        scale = F(self.w)
        r = regs[idx] / scale
        a = self.anchors[idx]
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        bw, bh = r[:, 2], r[:, 3]
        boxes = np.stack([cx - bw / F(2), cy - bh / F(2), cx + bw / F(2), cy + bh / F(2)], axis=1)
        kps = r[:, 4:16].reshape(-1, 6, 2) + a[:, None, :]
        areas = np.maximum(boxes[:, 2] - boxes[:, 0], F(0)) * np.maximum(boxes[:, 3] - boxes[:, 1], F(0))

        faces = []
        taken = np.zeros(len(sc), dtype=bool)
        while not taken.all():
            lead = int(np.argmin(taken))  # the first not taken
            b = boxes[lead]
            ix = np.maximum(np.minimum(boxes[:, 2], b[2]) - np.maximum(boxes[:, 0], b[0]), F(0))
            iy = np.maximum(np.minimum(boxes[:, 3], b[3]) - np.maximum(boxes[:, 1], b[1]), F(0))
            inter = ix * iy
            union = areas[lead] + areas - inter
            with np.errstate(divide="ignore", invalid="ignore"):
                iou = np.where(union > 0, inter / union, F(0))
            cluster = ~taken & (iou > self.nms_iou)
            cluster[:lead] = False
            if not cluster.any():
                cluster[lead] = True
            taken |= cluster
            w = sc[cluster]
            # Sequential float32 sums, as the Rust loop adds them (cumsum is sequential).
            total = np.cumsum(w, dtype=F)[-1]
            box = np.cumsum(boxes[cluster] * w[:, None], axis=0, dtype=F)[-1] / total
            kp = np.cumsum(kps[cluster] * w[:, None, None], axis=0, dtype=F)[-1] / total
            x0, y0 = placement.to_frame(box[0], box[1])
            x1, y1 = placement.to_frame(box[2], box[3])
            faces.append({
                "score": sc[lead],
                "box": clamp_box([x0, y0, x1, y1]),
                "keypoints": [list(placement.to_frame(k[0], k[1])) for k in kp],
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


def class_aware_nms(objects, iou, limit):
    """nms.rs: per label, the best of boxes overlapping more than `iou`; by descending score."""
    kept = []
    for o in sorted(objects, key=lambda o: -o["score"]):
        if len(kept) == limit:
            break
        if not any(k["label"] == o["label"] and iou32(k["box"], o["box"]) > iou for k in kept):
            kept.append(o)
    return kept


class ObjectDetector(ImageModel):
    """SSD MobileNet v1 quant with TFLite_Detection_PostProcess (objects.rs, ssd.rs):
    stretched input, COCO-90 ids (label line c + 1), per-class thresholds."""

    def __init__(self, path, labels_path, threads, thresholds):
        ImageModel.__init__(self, path, threads)
        with open(labels_path, encoding="utf-8") as f:
            self.labels = [line.strip() for line in f.read().splitlines()][1:]
        self.thresholds = {k: F(v) for k, v in thresholds.items()}
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

    def detect(self, rgb):
        self.interp.set_tensor(self.inp["index"], self.lut[resize(rgb, self.w, self.h)][None])
        self.interp.invoke()
        get = self.interp.get_tensor
        boxes = get(self.boxes["index"]).reshape(-1, 4)
        classes = get(self.classes["index"]).reshape(-1)
        scores = get(self.scores["index"]).reshape(-1)
        n = min(int(max(float(get(self.count["index"]).reshape(-1)[0]), 0.0)), len(scores), len(boxes))
        out = []
        pl = self.placement
        for i in range(n):
            cid = int(max(float(classes[i]), 0.0))
            if cid >= len(self.labels):
                continue
            label = self.labels[cid]
            cls = proctoring_class(label)
            if cls is None or scores[i] < self.thresholds[cls]:
                continue
            ymin, xmin, ymax, xmax = boxes[i]
            x0, y0 = pl.to_frame(xmin, ymin)
            x1, y1 = pl.to_frame(xmax, ymax)
            out.append({"class": cls, "label": label, "score": scores[i], "box": clamp_box([x0, y0, x1, y1])})
        return out

    def detect_region(self, rgb, region):
        """The model on a region (x, y, w, h) of the frame; boxes normalised to the whole frame."""
        x, y, w, h = region
        fh, fw = rgb.shape[:2]
        found = self.detect(np.ascontiguousarray(rgb[y:y + h, x:x + w]))
        zx0, zy0 = F(x) / F(fw), F(y) / F(fh)
        zw = max(F(x + w) / F(fw) - zx0, F(0))
        zh = max(F(y + h) / F(fh) - zy0, F(0))
        for o in found:
            b = o["box"]
            o["box"] = [zx0 + b[0] * zw, zy0 + b[1] * zh, zx0 + b[2] * zw, zy0 + b[3] * zh]
        return found


def hands_zone(fw, fh, faces):
    """hands_zone.rs: the square below and around the largest face, (x, y, w, h) pixels."""
    fw, fh = F(fw), F(fh)
    largest = None
    for f in faces:  # max_by keeps the last of equal areas
        if largest is None or box_area(f["box"]) >= box_area(largest["box"]):
            largest = f
    if largest is not None:
        b = largest["box"]
        cx = (b[0] + b[2]) / F(2) * fw
        top = (b[1] + F(0.5) * max(b[3] - b[1], F(0))) * fh
        width = F(2) * F(2.5) * max(b[2] - b[0], F(0)) * fw
        side = max(width, fh - top)
    else:
        cx, top, side = fw / F(2), F(0.4) * fh, (F(1) - F(0.4)) * fh
    side = F(max(round_away(min(max(side, F(0.5) * min(fw, fh)), min(fw, fh))), 1))
    x = min(max(cx - side / F(2), F(0)), fw - side)
    y = min(max(top, F(0)), fh - side)
    return round_away(x), round_away(y), int(side), int(side)


class ObjectPasses:
    """object_passes.rs: the whole frame, and every hands_zone_every_n object frames the
    hands-and-desk zone too, merged by class-aware NMS (at most 50 objects)."""

    def __init__(self, detector, hands_zone_every_n, nms_iou):
        self.detector = detector
        self.hands_zone_every_n = hands_zone_every_n
        self.nms_iou = F(nms_iou)
        self.object_frames = 0

    def detect(self, rgb, faces):
        n = self.hands_zone_every_n
        zone_due = n is not None and self.object_frames % n == 0
        self.object_frames += 1
        objects = self.detector.detect(rgb)
        if not zone_due:
            return objects
        fh, fw = rgb.shape[:2]
        objects += self.detector.detect_region(rgb, hands_zone(fw, fh, faces))
        return class_aware_nms(objects, self.nms_iou, 50)
