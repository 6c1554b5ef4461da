"""Head pose by perspective-n-point against MediaPipe's canonical face, a numpy port of
daemon/src/inference/head_pose.rs: the same Levenberg-Marquardt (frontal start, numeric
Jacobian, the same damping schedule and stopping rule) on the same nine landmarks, and the
angles taken relative to the line of sight from the camera. Not cv2.solvePnP: a different
solver would converge to slightly different angles, and the parity check compares them.

All in float64, as the Rust code; the seven residual evaluations per iteration (the point
and its six perturbations) are batched into one numpy call.
"""

import math

import numpy as np

# Nose tip, outer and inner eye corners, mouth corners, chin, nose bridge.
POSE_LANDMARKS = [1, 33, 263, 133, 362, 61, 291, 152, 168]
# The canonical face seen from the front by a camera with y down and z forward.
FRONTAL = np.diag([1.0, -1.0, -1.0])
EYE = np.eye(3)


def load_canonical(path):
    """The `v x y z` lines of the OBJ; the POSE_LANDMARKS vertices as a (9, 3) array."""
    vertices = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("v "):
                vertices.append([float(x) for x in line[2:].split()[:3]])
    if len(vertices) < 468:
        raise ValueError(f"{path}: expected the 468 vertices of MediaPipe's canonical face, found {len(vertices)}")
    return np.array([vertices[i] for i in POSE_LANDMARKS], dtype=np.float64)


class Camera:
    """Pinhole camera, principal point at the centre, focal length from the horizontal FOV."""

    def __init__(self, width, height, horizontal_fov_deg):
        half = math.radians(float(np.float32(horizontal_fov_deg)) / 2.0)
        self.focal_px = width / 2.0 / math.tan(half)
        self.cx = width / 2.0
        self.cy = height / 2.0


def rodrigues(w):
    """Rotation matrices of rotation vectors, (k, 3) -> (k, 3, 3): c I + s [k]x + (1 - c) k kT,
    which gives each element by the same operations as head_pose.rs's explicit formula."""
    theta = np.sqrt(w[:, 0] * w[:, 0] + w[:, 1] * w[:, 1] + w[:, 2] * w[:, 2])
    small = theta < 1e-12
    k = w / np.where(small, 1.0, theta)[:, None]
    s, c = np.sin(theta)[:, None, None], np.cos(theta)[:, None, None]
    cross = np.zeros((len(w), 3, 3))
    cross[:, 0, 1], cross[:, 0, 2], cross[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    cross[:, 1, 0], cross[:, 2, 0], cross[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    m = c * EYE + s * cross + (1.0 - c) * (k[:, :, None] * k[:, None, :])
    m[small] = EYE
    return m


def residuals(params, model, image, cam):
    """Reprojection residuals (u - obs, v - obs per point) of each parameter row, (k, 18)."""
    r = rodrigues(params[:, :3]) @ FRONTAL
    pts = model @ r.transpose(0, 2, 1) + params[:, None, 3:6]
    z = np.maximum(pts[:, :, 2], 1e-6)
    out = np.empty((len(params), len(model), 2))
    out[:, :, 0] = cam.focal_px * pts[:, :, 0] / z + cam.cx - image[:, 0]
    out[:, :, 1] = cam.focal_px * pts[:, :, 1] / z + cam.cy - image[:, 1]
    return out.reshape(len(params), -1)


def solve6(a, b):
    """The damped normal equations; None when singular (head_pose.rs eliminates with partial
    pivoting and gives up below a 1e-12 pivot; LAPACK pivots the same way)."""
    try:
        x = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return None
    return x if np.all(np.isfinite(x)) else None


def solve(model, image, cam):
    """(yaw, pitch, roll) in degrees from the POSE_LANDMARKS points in frame pixels ((9, 2)
    float64), or None when the fit does not converge to a face in front of the camera."""
    model_eyes = abs(model[1, 0] - model[2, 0])
    image_eyes = max(math.sqrt((image[1, 0] - image[2, 0]) ** 2 + (image[1, 1] - image[2, 1]) ** 2), 1.0)
    tz = cam.focal_px * model_eyes / image_eyes
    n = float(len(image))
    mu, mv = image[:, 0].sum() / n, image[:, 1].sum() / n
    p = np.array([0.0, 0.0, 0.0, (mu - cam.cx) * tz / cam.focal_px, (mv - cam.cy) * tz / cam.focal_px, tz])
    r = residuals(p[None], model, image, cam)[0]
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(40):
        h = np.array([1e-5] * 3 + [1e-4 * max(abs(p[5]), 1.0)] * 3)
        q = p[None, :] + np.diag(h)
        jac = ((residuals(q, model, image, cam) - r[None, :]) / h[:, None]).T  # (18, 6)
        jtj = jac.T @ jac
        jtr = -(jac.T @ r)
        improved = False
        diag = np.maximum(np.diag(jtj), 1e-9)
        while lam < 1e8:
            step = solve6(jtj + np.diag(lam * diag), jtr)  # None = singular: damp more
            if step is None:
                lam *= 10.0
                continue
            q = p + step
            rq = residuals(q[None], model, image, cam)[0]
            cq = float(rq @ rq)
            if cq < cost and q[5] > 0.0:
                done = cost - cq < 1e-10 * max(cost, 1e-12)
                p, r, cost = q, rq, cq
                lam = max(lam / 10.0, 1e-9)
                improved = not done
                break
            lam *= 10.0
        if not improved:
            break
    if not (math.isfinite(cost) and p[5] > 0.0):
        return None
    return relative_angles(rodrigues(p[None, :3])[0] @ FRONTAL, p[3:6])


def relative_angles(rot, t):
    """Angles of the face relative to the line of sight (head_pose.rs, relative_angles)."""
    norm = max(math.sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]), 1e-9)
    d = t / norm
    axis = (d[1], -d[0])
    s = math.sqrt(axis[0] * axis[0] + axis[1] * axis[1])
    angle = math.atan2(s, d[2])
    if s < 1e-12:
        q = np.eye(3)
    else:
        q = rodrigues(np.array([[axis[0] / s * angle, axis[1] / s * angle, 0.0]]))[0]
    rel = q @ rot
    forward = rel[:, 2]
    up = rel[:, 1]
    yaw = math.atan2(forward[0], -forward[2])
    pitch = math.atan2(forward[1], math.sqrt(forward[0] * forward[0] + forward[2] * forward[2]))
    roll = math.atan2(up[0], -up[1])
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)
