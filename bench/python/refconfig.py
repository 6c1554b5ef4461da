"""The Python reference pipeline's configuration: proctord's defaults (daemon/src/config,
config/proctord.toml) for the keys the pipeline reads, overlaid with a proctord TOML file.

Only the keys the benchmark needs are read; anything missing takes proctord's default, so
the same file configures both pipelines.
"""

import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

DEFAULTS = {
    "runtime": {"threads": 2, "face_threads": 1},
    "models": {
        "dir": "models/cache",
        "face": "face_detection_full_range_sparse",
        "face_short_range": "",
        "landmarks": "face_landmarks_detector",
        "face_geometry": "canonical_face_model",
        "objects": "ssd_mobilenet_v1_quant",
    },
    "detection": {
        "face_score": 0.5, "face_nms_iou": 0.3, "face_presence": 0.5, "face_unconfirmed_score": 0.8,
        "face_detect_every_n_frames": 5,
        "phone_score": 0.4, "notes_score": 0.4, "device_score": 0.5, "person_score": 0.5,
        "objects_every_n_frames": 3, "objects_nms_iou": 0.5, "hands_zone": False, "hands_zone_every_n": 1,
        "max_analysis_fps": 10.0,
    },
    "rules": {
        "no_face_after_s": 10.0, "looking_away_after_s": 5.0, "max_yaw_deg": 25.0, "max_pitch_deg": 25.0,
        "max_sight_yaw_deg": 25.0, "eyes_away_after_s": 8.0, "seat_zone": [0.0, 0.0, 1.0, 1.0],
        "multiple_faces_after_s": 1.0, "object_window_s": 1.5, "object_min_share": 0.6, "object_min_hits": 3,
        "camera_lost_after_s": 2.0, "clear_after_s": 1.0,
    },
    "capture": {"horizontal_fov_deg": 70.0},
    # (per_event, per_second, cap), daemon/src/config/scoring.rs
    "deductions": {
        "no_face": (5.0, 0.1, 30.0), "looking_away": (2.0, 0.1, 20.0), "eyes_away": (1.0, 0.05, 10.0),
        "multiple_faces": (10.0, 0.0, 30.0), "phone_detected": (15.0, 0.0, 45.0),
        "notes_detected": (10.0, 0.0, 30.0), "device_detected": (10.0, 0.0, 30.0), "logged": (0.0, 0.0, 0.0),
    },
}

# Manifest name -> file in the models dir (as models/manifest.toml says).
MODEL_FILES = {
    "blazeface_128x128_quant": "blazeface_128x128_quant.tflite",
    "face_detection_short_range": "face_detection_short_range.tflite",
    "face_detection_full_range_sparse": "face_detection_full_range_sparse.tflite",
    "face_landmarks_detector": "face_landmarks_detector.tflite",
    "canonical_face_model": "canonical_face_model.obj",
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
        for section in ("runtime", "models", "detection", "rules", "capture"):
            cfg[section].update(user.get(section, {}))
        for kind, d in user.get("scoring", {}).get("deductions", {}).items():
            cfg["deductions"][kind] = (d.get("per_event", 0.0), d.get("per_second", 0.0), d.get("cap", 0.0))
    if cfg["models"]["objects"] not in ("", "ssd_mobilenet_v1_quant"):
        sys.exit(f"pipeline.py: only the SSD object model is ported, not {cfg['models']['objects']!r}")
    return cfg
