//! Head pose from BlazeFace's six keypoints.
//!
//! Geometry, not a fitted model: when a head turns by yaw θ, the nose tip moves sideways
//! by about d·sin θ while the projected ear-to-ear half-width shrinks to r·cos θ, so
//! θ ≈ atan2(g · nose offset, ear half-width). BlazeFace puts an occluded ear's keypoint
//! near the visible edge of the face, which compresses the apparent turn; the gain g
//! undoes that and was measured on the frontal and profile photos in the test media. Pitch uses where the nose tip falls between
//! the eye line and the mouth, which moves as the head nods.
//! Good enough to tell facing-the-screen from turned-away, which is all the rules need.

/// Keypoint order of BlazeFace.
pub const RIGHT_EYE: usize = 0;
pub const LEFT_EYE: usize = 1;
pub const NOSE: usize = 2;
pub const MOUTH: usize = 3;
pub const RIGHT_EAR: usize = 4;
pub const LEFT_EAR: usize = 5;

/// Gain on the nose offset (see the module comment).
const YAW_GAIN: f32 = 1.5;
/// Fraction of the eye→mouth distance at which the nose tip sits on a level face
/// (measured on the frontal photos in the test media).
const NOSE_RATIO_LEVEL: f32 = 0.49;
/// Degrees of pitch per unit change of that fraction.
const PITCH_DEG_PER_RATIO: f32 = 120.0;

/// `kp` are keypoints in pixels (aspect ratio preserved). Returns (yaw_deg, pitch_deg).
pub fn estimate(kp: &[[f32; 2]; 6]) -> (f32, f32) {
    let ear_mid_x = (kp[RIGHT_EAR][0] + kp[LEFT_EAR][0]) / 2.0;
    let ear_half = ((kp[LEFT_EAR][0] - kp[RIGHT_EAR][0]).abs() / 2.0).max(1e-3);
    let eye_dist = ((kp[LEFT_EYE][0] - kp[RIGHT_EYE][0]).powi(2)
        + (kp[LEFT_EYE][1] - kp[RIGHT_EYE][1]).powi(2))
    .sqrt();
    // The ears can both land on one side of the nose in a near-profile; the eyes then
    // still carry the offset, so take whichever cue says the head is turned more.
    let yaw_ears = (YAW_GAIN * (kp[NOSE][0] - ear_mid_x))
        .atan2(ear_half)
        .to_degrees();
    let eye_mid_x = (kp[RIGHT_EYE][0] + kp[LEFT_EYE][0]) / 2.0;
    let yaw_eyes = (YAW_GAIN * 2.0 * (kp[NOSE][0] - eye_mid_x))
        .atan2(eye_dist.max(1e-3))
        .to_degrees();
    let yaw = if yaw_ears.abs() >= yaw_eyes.abs() {
        yaw_ears
    } else {
        yaw_eyes
    };

    let eye_mid_y = (kp[RIGHT_EYE][1] + kp[LEFT_EYE][1]) / 2.0;
    let span = kp[MOUTH][1] - eye_mid_y;
    let pitch = if span.abs() < 1e-3 {
        0.0
    } else {
        ((kp[NOSE][1] - eye_mid_y) / span - NOSE_RATIO_LEVEL) * PITCH_DEG_PER_RATIO
    };
    (yaw, pitch.clamp(-90.0, 90.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frontal() -> [[f32; 2]; 6] {
        // eyes, nose, mouth, ears of an upright face 100 px wide
        [
            [-20.0, 0.0],
            [20.0, 0.0],
            [0.0, 20.0],
            [0.0, 40.0],
            [-50.0, 10.0],
            [50.0, 10.0],
        ]
    }

    #[test]
    fn a_frontal_face_has_near_zero_yaw_and_pitch() {
        let (yaw, pitch) = estimate(&frontal());
        assert!(yaw.abs() < 1.0 && pitch.abs() < 5.0, "{yaw} {pitch}");
    }

    #[test]
    fn a_face_turned_to_the_image_right_has_a_large_positive_yaw() {
        let mut kp = frontal();
        kp[NOSE][0] = 35.0;
        kp[RIGHT_EAR][0] = -30.0;
        kp[LEFT_EAR][0] = 20.0;
        let (yaw, _) = estimate(&kp);
        assert!(yaw > 45.0, "{yaw}");
    }

    #[test]
    fn a_face_looking_down_has_a_positive_pitch() {
        let mut kp = frontal();
        kp[NOSE][1] = 34.0;
        let (_, pitch) = estimate(&kp);
        assert!(pitch > 25.0, "{pitch}");
    }
}
