//! Eye direction from FaceMesh V2's iris landmarks: where each iris centre sits between
//! its eye's corners, measured in the upright face crop so the head's roll does not
//! leak into it. Noisy on frontal faces (PLATFORM.md), so the rules use it only in a
//! separate, slower rule that is off by default.

use super::face_mesh::{
    LEFT_EYE_INNER, LEFT_EYE_OUTER, LEFT_IRIS, RIGHT_EYE_INNER, RIGHT_EYE_OUTER, RIGHT_IRIS,
};
use crate::detections::Gaze;

/// Iris offset of one eye, in half eye widths: x + = towards the image's right, y + = down.
fn eye(points: &[[f32; 2]], corner_a: usize, corner_b: usize, iris: usize) -> Option<[f32; 2]> {
    let (a, b, c) = (
        points.get(corner_a)?,
        points.get(corner_b)?,
        points.get(iris)?,
    );
    let half_width = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt() / 2.0;
    if half_width < 1e-3 {
        return None;
    }
    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    Some([(c[0] - mid[0]) / half_width, (c[1] - mid[1]) / half_width])
}

/// Both eyes' offsets averaged; `None` when the landmarks have no irises.
pub fn estimate(upright_px: &[[f32; 2]]) -> Option<Gaze> {
    let right = eye(upright_px, RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_IRIS)?;
    let left = eye(upright_px, LEFT_EYE_INNER, LEFT_EYE_OUTER, LEFT_IRIS)?;
    Some(Gaze {
        x: (right[0] + left[0]) / 2.0,
        y: (right[1] + left[1]) / 2.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eyes(iris_dx: f32) -> Vec<[f32; 2]> {
        let mut p = vec![[0.0, 0.0]; 478];
        p[RIGHT_EYE_OUTER] = [60.0, 80.0];
        p[RIGHT_EYE_INNER] = [80.0, 80.0];
        p[LEFT_EYE_INNER] = [110.0, 80.0];
        p[LEFT_EYE_OUTER] = [130.0, 80.0];
        p[RIGHT_IRIS] = [70.0 + iris_dx, 80.0];
        p[LEFT_IRIS] = [120.0 + iris_dx, 80.0];
        p
    }

    #[test]
    fn centred_irises_give_no_gaze_offset_and_shifted_ones_give_their_share_of_the_eye() {
        let g = estimate(&eyes(0.0)).unwrap();
        assert!(g.x.abs() < 1e-6 && g.y.abs() < 1e-6);
        let g = estimate(&eyes(5.0)).unwrap();
        assert!((g.x - 0.5).abs() < 1e-6, "{g:?}");
    }

    #[test]
    fn a_mesh_without_irises_has_no_gaze() {
        assert_eq!(estimate(&vec![[0.0, 0.0]; 468]), None);
    }
}
