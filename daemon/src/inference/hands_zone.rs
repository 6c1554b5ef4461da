//! Where the hands-and-desk pass looks: the region below and around the candidate's
//! face, where a phone held at the chest or lying on the desk is, or the lower part of
//! the frame when there is no face. The region is square in pixels (as the YOLO input),
//! so the model sees it magnified at its own input resolution, not squashed.

use super::objects::PixelRect;
use crate::detections::Face;

/// Half the zone's width, in face widths either side of the face's centre.
const HALF_WIDTH_IN_FACES: f32 = 2.5;
/// The zone starts this far down the face (0 = its top, 1 = its chin): a phone held up
/// to the face is the full-frame pass's job.
const TOP_IN_FACE_HEIGHTS: f32 = 0.5;
/// Without a face: the lower part of the frame from this height down.
const NO_FACE_TOP: f32 = 0.4;
/// The zone is never smaller than this fraction of the frame's shorter side, so a far
/// face does not shrink it to a blur.
const MIN_SIDE: f32 = 0.5;

/// The hands-and-desk zone of a `frame_w`×`frame_h` frame given the detected faces.
pub fn hands_zone(frame_w: u32, frame_h: u32, faces: &[Face]) -> PixelRect {
    let (fw, fh) = (frame_w as f32, frame_h as f32);
    let largest = faces
        .iter()
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()));
    // Centre x and top y of the zone, and its side, in pixels.
    let (cx, top, side) = match largest {
        Some(face) => {
            let b = face.bbox;
            let cx = (b.x0 + b.x1) / 2.0 * fw;
            let top = (b.y0 + TOP_IN_FACE_HEIGHTS * b.height()) * fh;
            let width = 2.0 * HALF_WIDTH_IN_FACES * b.width() * fw;
            (cx, top, width.max(fh - top))
        }
        None => (fw / 2.0, NO_FACE_TOP * fh, (1.0 - NO_FACE_TOP) * fh),
    };
    let side = side
        .max(MIN_SIDE * fw.min(fh))
        .min(fw.min(fh))
        .round()
        .max(1.0);
    // Keep the square inside the frame: shift it rather than cut it.
    let x = (cx - side / 2.0).clamp(0.0, fw - side);
    let y = top.clamp(0.0, fh - side);
    PixelRect {
        x: x.round() as u32,
        y: y.round() as u32,
        w: side as u32,
        h: side as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::BBox;

    fn face(b: [f32; 4]) -> Face {
        Face {
            score: 0.9,
            bbox: BBox::from(b),
            ..Face::default()
        }
    }

    fn inside(r: PixelRect, w: u32, h: u32) -> bool {
        r.x + r.w <= w && r.y + r.h <= h && r.w > 0 && r.h > 0
    }

    #[test]
    fn without_a_face_the_zone_is_the_lower_middle_of_the_frame() {
        let r = hands_zone(640, 480, &[]);
        assert!(inside(r, 640, 480), "{r:?}");
        assert_eq!((r.w, r.h), (288, 288));
        assert_eq!(r.y + r.h, 480, "reaches the bottom: {r:?}");
        assert_eq!(r.x, (640 - 288) / 2, "centred: {r:?}");
    }

    #[test]
    fn with_a_face_the_zone_covers_from_mid_face_down_to_the_desk() {
        // A face near the top left of a 1280×720 frame.
        let r = hands_zone(1280, 720, &[face([0.20, 0.10, 0.30, 0.35])]);
        assert!(inside(r, 1280, 720), "{r:?}");
        // 5 face widths (640 px) is more than mid-face to the bottom, so the square
        // reaches up past mid-face rather than cutting off the desk.
        let face_mid_y = (0.10 + 0.125) * 720.0;
        assert!((r.y as f32) <= face_mid_y, "{r:?}");
        assert_eq!(r.w, 640, "{r:?}");
        assert_eq!(r.y + r.h, 720, "{r:?}");
        let face_cx = 0.25 * 1280.0;
        assert!(
            (r.x as f32) < face_cx && ((r.x + r.w) as f32) > face_cx,
            "around the face: {r:?}"
        );
    }

    #[test]
    fn the_largest_face_decides_and_the_zone_stays_in_the_frame() {
        let small = face([0.85, 0.70, 0.90, 0.78]);
        let big = face([0.70, 0.05, 0.98, 0.60]);
        let r = hands_zone(640, 480, &[small, big]);
        assert!(inside(r, 640, 480), "{r:?}");
        // A face this big gives the largest square the frame allows.
        assert_eq!((r.w, r.h), (480, 480));
    }
}
