//! Head pose from face-mesh landmarks by perspective-n-point against MediaPipe's
//! canonical face (`canonical_face_model.obj`), with the angles taken relative to the
//! line of sight from the camera to the face.
//!
//! Why relative to the line of sight: a candidate sitting off the camera's axis who
//! looks at the camera (the screen is right beside it) has a head rotated in camera
//! coordinates; measured against the optical axis that would read as "turned". What
//! the rules need is whether the face points at the camera, i.e. the angle between the
//! face's forward direction and the direction from the face to the camera.
//!
//! The solver is Levenberg–Marquardt on the six pose parameters (rotation vector about
//! a frontal start, translation) minimising the reprojection error of a stable subset of
//! landmarks (eye corners, nose, mouth corners, chin, nose bridge: points the mesh
//! places well even on a turned face). Pinhole camera with the principal point at the
//! image centre and the focal length from the camera's horizontal field of view.

use std::path::Path;

/// Mesh landmarks used for the pose: nose tip, outer and inner eye corners, mouth
/// corners, chin, nose bridge (MediaPipe's face-mesh numbering).
pub const POSE_LANDMARKS: [usize; 9] = [1, 33, 263, 133, 362, 61, 291, 152, 168];

/// Head angles in degrees. Signs: yaw + = face turned towards the image's right,
/// pitch + = face tilted down, roll + = top of the head towards the image's right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadPose {
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    pub roll_deg: f32,
    /// RMS reprojection error in pixels: how well the canonical face fits the landmarks.
    pub rms_px: f32,
}

/// The 3D points of the canonical face model for `POSE_LANDMARKS` (centimetres;
/// x = the face's left-to-right as the camera sees it, y up, z towards the viewer).
#[derive(Clone, Debug)]
pub struct CanonicalFace {
    points: [[f64; 3]; POSE_LANDMARKS.len()],
}

#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct CanonicalFaceError {
    pub reason: String,
}

impl CanonicalFace {
    pub fn load(path: &Path) -> Result<CanonicalFace, CanonicalFaceError> {
        let text = std::fs::read_to_string(path).map_err(|e| CanonicalFaceError {
            reason: format!("cannot read it: {e}"),
        })?;
        CanonicalFace::parse(&text)
    }

    /// Reads the `v x y z` lines of a Wavefront OBJ with the 468 face-mesh vertices.
    pub fn parse(obj: &str) -> Result<CanonicalFace, CanonicalFaceError> {
        let vertices: Vec<[f64; 3]> = obj
            .lines()
            .filter_map(|l| l.strip_prefix("v "))
            .map(|l| {
                let v: Vec<f64> = l
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                [
                    v.first().copied().unwrap_or(f64::NAN),
                    v.get(1).copied().unwrap_or(f64::NAN),
                    v.get(2).copied().unwrap_or(f64::NAN),
                ]
            })
            .collect();
        if vertices.len() < 468 || vertices.iter().any(|v| v.iter().any(|c| !c.is_finite())) {
            return Err(CanonicalFaceError {
                reason: format!(
                    "expected the 468 vertices of MediaPipe's canonical face, found {} usable ones",
                    vertices.len()
                ),
            });
        }
        let mut points = [[0.0; 3]; POSE_LANDMARKS.len()];
        for (p, &i) in points.iter_mut().zip(POSE_LANDMARKS.iter()) {
            *p = vertices[i];
        }
        Ok(CanonicalFace { points })
    }
}

/// Pinhole camera for a frame of `width`×`height` pixels.
#[derive(Clone, Copy, Debug)]
pub struct Camera {
    pub focal_px: f64,
    pub cx: f64,
    pub cy: f64,
}

impl Camera {
    pub fn new(width: u32, height: u32, horizontal_fov_deg: f32) -> Camera {
        let half = (horizontal_fov_deg as f64 / 2.0).to_radians();
        Camera {
            focal_px: width as f64 / 2.0 / half.tan(),
            cx: width as f64 / 2.0,
            cy: height as f64 / 2.0,
        }
    }

    fn project(&self, p: [f64; 3]) -> [f64; 2] {
        let z = p[2].max(1e-6);
        [
            self.focal_px * p[0] / z + self.cx,
            self.focal_px * p[1] / z + self.cy,
        ]
    }
}

type Mat3 = [[f64; 3]; 3];

fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn mat_vec(a: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [
        a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2],
        a[1][0] * v[0] + a[1][1] * v[1] + a[1][2] * v[2],
        a[2][0] * v[0] + a[2][1] * v[1] + a[2][2] * v[2],
    ]
}

/// Rotation matrix of a rotation vector (Rodrigues).
fn rodrigues(w: [f64; 3]) -> Mat3 {
    let theta = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    if theta < 1e-12 {
        return [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    }
    let (x, y, z) = (w[0] / theta, w[1] / theta, w[2] / theta);
    let (s, c) = theta.sin_cos();
    let t = 1.0 - c;
    [
        [c + x * x * t, x * y * t - z * s, x * z * t + y * s],
        [y * x * t + z * s, c + y * y * t, y * z * t - x * s],
        [z * x * t - y * s, z * y * t + x * s, c + z * z * t],
    ]
}

/// The canonical face seen from the front by a camera with y down and z forward.
const FRONTAL: Mat3 = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];

/// Pose parameters: rotation vector applied after `FRONTAL`, then translation (cm).
#[derive(Clone, Copy, Debug)]
struct Params([f64; 6]);

impl Params {
    fn rotation(&self) -> Mat3 {
        mat_mul(&rodrigues([self.0[0], self.0[1], self.0[2]]), &FRONTAL)
    }
    fn translation(&self) -> [f64; 3] {
        [self.0[3], self.0[4], self.0[5]]
    }
}

const N_RESIDUALS: usize = 2 * POSE_LANDMARKS.len();

fn residuals(
    p: &Params,
    model: &CanonicalFace,
    image: &[[f64; 2]; POSE_LANDMARKS.len()],
    cam: &Camera,
) -> [f64; N_RESIDUALS] {
    let r = p.rotation();
    let t = p.translation();
    let mut out = [0.0; N_RESIDUALS];
    for (i, (x, obs)) in model.points.iter().zip(image).enumerate() {
        let c = mat_vec(&r, *x);
        let uv = cam.project([c[0] + t[0], c[1] + t[1], c[2] + t[2]]);
        out[2 * i] = uv[0] - obs[0];
        out[2 * i + 1] = uv[1] - obs[1];
    }
    out
}

fn sum_sq(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// Solves a 6×6 system by Gaussian elimination with partial pivoting.
fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for col in 0..6 {
        let pivot = (col..6).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..6 {
            let f = a[row][col] / pivot_row[col];
            for (v, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 6];
    for row in (0..6).rev() {
        let s: f64 = (row + 1..6).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// Estimates the head pose from the pose landmarks in frame pixels (in
/// `POSE_LANDMARKS` order). `None` when the fit does not converge to a face in front
/// of the camera.
pub fn solve(
    model: &CanonicalFace,
    image: &[[f64; 2]; POSE_LANDMARKS.len()],
    cam: &Camera,
) -> Option<HeadPose> {
    // Start frontal, at the distance that gives the observed eye-corner spacing.
    let model_eyes = (model.points[1][0] - model.points[2][0]).abs();
    let image_eyes = ((image[1][0] - image[2][0]).powi(2) + (image[1][1] - image[2][1]).powi(2))
        .sqrt()
        .max(1.0);
    let tz = cam.focal_px * model_eyes / image_eyes;
    let n = image.len() as f64;
    let (mu, mv) = (
        image.iter().map(|p| p[0]).sum::<f64>() / n,
        image.iter().map(|p| p[1]).sum::<f64>() / n,
    );
    let mut p = Params([
        0.0,
        0.0,
        0.0,
        (mu - cam.cx) * tz / cam.focal_px,
        (mv - cam.cy) * tz / cam.focal_px,
        tz,
    ]);
    let mut r = residuals(&p, model, image, cam);
    let mut cost = sum_sq(&r);
    let mut lambda = 1e-3;
    for _ in 0..40 {
        // Numeric Jacobian: 6 parameters, 18 residuals; cheap next to any model.
        let mut jac = [[0.0; 6]; N_RESIDUALS];
        #[allow(clippy::needless_range_loop)] // k indexes both the parameters and the columns
        for k in 0..6 {
            let h = if k < 3 {
                1e-5
            } else {
                1e-4 * p.0[5].abs().max(1.0)
            };
            let mut q = p;
            q.0[k] += h;
            let rq = residuals(&q, model, image, cam);
            for i in 0..N_RESIDUALS {
                jac[i][k] = (rq[i] - r[i]) / h;
            }
        }
        let mut jtj = [[0.0; 6]; 6];
        let mut jtr = [0.0; 6];
        for i in 0..N_RESIDUALS {
            for a in 0..6 {
                jtr[a] -= jac[i][a] * r[i];
                for b in 0..6 {
                    jtj[a][b] += jac[i][a] * jac[i][b];
                }
            }
        }
        let mut improved = false;
        while lambda < 1e8 {
            let mut damped = jtj;
            for (d, row) in damped.iter_mut().enumerate() {
                row[d] += lambda * jtj[d][d].max(1e-9);
            }
            let Some(step) = solve6(damped, jtr) else {
                lambda *= 10.0;
                continue;
            };
            let mut q = p;
            for (v, s) in q.0.iter_mut().zip(step) {
                *v += s;
            }
            let rq = residuals(&q, model, image, cam);
            let cq = sum_sq(&rq);
            if cq < cost && q.0[5] > 0.0 {
                let done = cost - cq < 1e-10 * cost.max(1e-12);
                p = q;
                r = rq;
                cost = cq;
                lambda = (lambda / 10.0).max(1e-9);
                improved = !done;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    if !(cost.is_finite() && p.0[5] > 0.0) {
        return None;
    }
    Some(relative_angles(
        &p.rotation(),
        p.translation(),
        (cost / n).sqrt() as f32,
    ))
}

/// Angles of the face relative to the line of sight from the camera (see module doc).
fn relative_angles(r: &Mat3, t: [f64; 3], rms_px: f32) -> HeadPose {
    // Rotate the world so that the line of sight becomes the optical axis.
    let norm = (t[0] * t[0] + t[1] * t[1] + t[2] * t[2]).sqrt().max(1e-9);
    let d = [t[0] / norm, t[1] / norm, t[2] / norm];
    // Axis d × z, angle acos(d · z): takes d onto z = (0, 0, 1).
    let axis = [d[1], -d[0], 0.0];
    let s = (axis[0] * axis[0] + axis[1] * axis[1]).sqrt();
    let angle = s.atan2(d[2]);
    let q = if s < 1e-12 {
        rodrigues([0.0; 3])
    } else {
        rodrigues([axis[0] / s * angle, axis[1] / s * angle, 0.0])
    };
    let rel = mat_mul(&q, r);
    // The face's forward (model +z) and up (model +y) directions, seen down the ray.
    let forward = [rel[0][2], rel[1][2], rel[2][2]];
    let up = [rel[0][1], rel[1][1], rel[2][1]];
    let yaw = forward[0].atan2(-forward[2]);
    let pitch = forward[1].atan2((forward[0] * forward[0] + forward[2] * forward[2]).sqrt());
    let roll = up[0].atan2(-up[1]);
    HeadPose {
        yaw_deg: yaw.to_degrees() as f32,
        pitch_deg: pitch.to_degrees() as f32,
        roll_deg: roll.to_degrees() as f32,
        rms_px,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical() -> CanonicalFace {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/models/mediapipe_face_landmarker_v2/canonical_face_model.obj"
        );
        CanonicalFace::load(Path::new(path)).expect("../shared/models holds the canonical face")
    }

    /// Projects the model at a pose given as yaw/pitch/roll about the head's own axes
    /// (applied to the frontal view), at camera position `t`.
    fn project(
        model: &CanonicalFace,
        cam: &Camera,
        rot: Mat3,
        t: [f64; 3],
    ) -> [[f64; 2]; POSE_LANDMARKS.len()] {
        let r = mat_mul(&rot, &FRONTAL);
        let mut out = [[0.0; 2]; POSE_LANDMARKS.len()];
        for (o, x) in out.iter_mut().zip(model.points.iter()) {
            let c = mat_vec(&r, *x);
            *o = cam.project([c[0] + t[0], c[1] + t[1], c[2] + t[2]]);
        }
        out
    }

    /// Turning the head towards the image's right is a rotation about the camera's
    /// (downward) y axis by a negative angle: the face's forward (towards the camera,
    /// -z) swings towards +x.
    fn yaw_right(deg: f64) -> Mat3 {
        rodrigues([0.0, -deg.to_radians(), 0.0])
    }

    #[test]
    fn a_face_looking_straight_at_the_camera_has_no_yaw_pitch_or_roll() {
        let model = canonical();
        let cam = Camera::new(640, 480, 65.0);
        let img = project(&model, &cam, rodrigues([0.0; 3]), [0.0, 0.0, 60.0]);
        let pose = solve(&model, &img, &cam).unwrap();
        assert!(pose.yaw_deg.abs() < 0.5, "{pose:?}");
        assert!(pose.pitch_deg.abs() < 0.5, "{pose:?}");
        assert!(pose.roll_deg.abs() < 0.5, "{pose:?}");
        assert!(pose.rms_px < 0.01, "{pose:?}");
    }

    #[test]
    fn a_turned_head_is_measured_within_a_degree() {
        let model = canonical();
        let cam = Camera::new(640, 480, 65.0);
        for deg in [-60.0, -35.0, 20.0, 45.0, 70.0] {
            let img = project(&model, &cam, yaw_right(deg), [0.0, 0.0, 60.0]);
            let pose = solve(&model, &img, &cam).unwrap();
            assert!(
                (pose.yaw_deg as f64 - deg).abs() < 1.0,
                "yaw {deg}: {pose:?}"
            );
            assert!(pose.pitch_deg.abs() < 1.0, "yaw {deg}: {pose:?}");
        }
    }

    #[test]
    fn a_nod_down_is_positive_pitch() {
        let model = canonical();
        let cam = Camera::new(640, 480, 65.0);
        // Chin towards the chest: the forward direction swings towards +y (down).
        let img = project(
            &model,
            &cam,
            rodrigues([30f64.to_radians(), 0.0, 0.0]),
            [0.0, 0.0, 60.0],
        );
        let pose = solve(&model, &img, &cam).unwrap();
        assert!((pose.pitch_deg - 30.0).abs() < 1.0, "{pose:?}");
    }

    #[test]
    fn a_face_off_the_optical_axis_that_looks_at_the_camera_is_not_turned() {
        let model = canonical();
        let cam = Camera::new(640, 480, 65.0);
        // The face sits 25 cm to the image's right at 60 cm and turns to face the
        // camera: in camera coordinates its forward points back along the ray.
        let t: [f64; 3] = [25.0, 0.0, 60.0];
        let towards_camera = (t[0] / t[2]).atan().to_degrees();
        let img = project(&model, &cam, yaw_right(-towards_camera), t);
        let pose = solve(&model, &img, &cam).unwrap();
        assert!(pose.yaw_deg.abs() < 1.0, "{pose:?}");
        // The same face looking straight ahead (parallel to the optical axis) is turned
        // away from the camera by the angle of the ray.
        let img = project(&model, &cam, rodrigues([0.0; 3]), t);
        let pose = solve(&model, &img, &cam).unwrap();
        assert!(
            (pose.yaw_deg as f64 - towards_camera).abs() < 1.0,
            "{pose:?}"
        );
    }

    #[test]
    fn a_head_tilted_towards_the_image_right_has_positive_roll() {
        let model = canonical();
        let cam = Camera::new(640, 480, 65.0);
        // Top of the head towards +x: rotation about the optical axis.
        let img = project(
            &model,
            &cam,
            rodrigues([0.0, 0.0, 20f64.to_radians()]),
            [0.0, 0.0, 60.0],
        );
        let pose = solve(&model, &img, &cam).unwrap();
        assert!((pose.roll_deg - 20.0).abs() < 1.0, "{pose:?}");
    }

    #[test]
    fn a_file_without_the_face_vertices_is_refused() {
        assert!(CanonicalFace::parse("v 0 0 0\nv 1 1 1\n").is_err());
    }
}
