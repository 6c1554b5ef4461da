//! The face region the landmark model reads: a square around the face, rotated so that
//! the eyes are level, in frame pixels; and the warp that samples it into the model's
//! input. Built from a detection (box + eye keypoints) or, when tracking, from the
//! previous frame's landmarks, as MediaPipe's face landmarker does.

/// A rotated square in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceRoi {
    pub cx: f32,
    pub cy: f32,
    /// Side length in pixels.
    pub size: f32,
    /// Radians the eye line is tilted in the frame (clockwise in image coordinates,
    /// y down); the warp undoes it so the model sees an upright face.
    pub angle: f32,
}

/// MediaPipe scales the face box by 1.5 so the whole head, chin and forehead included,
/// is in the crop even when the detector's box is tight.
pub const ROI_SCALE: f32 = 1.5;

impl FaceRoi {
    /// From a detected box and the eye keypoints (all in frame pixels).
    pub fn from_detection(box_px: [f32; 4], right_eye: [f32; 2], left_eye: [f32; 2]) -> FaceRoi {
        let [x0, y0, x1, y1] = box_px;
        FaceRoi {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            size: (x1 - x0).max(y1 - y0) * ROI_SCALE,
            angle: (left_eye[1] - right_eye[1]).atan2(left_eye[0] - right_eye[0]),
        }
    }

    /// From landmarks in frame pixels: the square around them, in the frame rotated by
    /// the line through the two outer eye corners.
    pub fn from_landmarks(points: &[[f32; 2]], right_eye: [f32; 2], left_eye: [f32; 2]) -> FaceRoi {
        let angle = (left_eye[1] - right_eye[1]).atan2(left_eye[0] - right_eye[0]);
        let (s, c) = angle.sin_cos();
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for p in points {
            // Coordinates along the eye line and across it.
            let u = p[0] * c + p[1] * s;
            let v = -p[0] * s + p[1] * c;
            lo = [lo[0].min(u), lo[1].min(v)];
            hi = [hi[0].max(u), hi[1].max(v)];
        }
        let (mu, mv) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
        FaceRoi {
            cx: mu * c - mv * s,
            cy: mu * s + mv * c,
            size: (hi[0] - lo[0]).max(hi[1] - lo[1]) * ROI_SCALE,
            angle,
        }
    }

    /// Maps a point of the model input (pixels of an `n`×`n` input) to frame pixels.
    pub fn to_frame(&self, x: f32, y: f32, n: f32) -> [f32; 2] {
        let (s, c) = self.angle.sin_cos();
        let u = (x / n - 0.5) * self.size;
        let v = (y / n - 0.5) * self.size;
        [self.cx + u * c - v * s, self.cy + u * s + v * c]
    }

    /// The axis-aligned box around the rotated square, in frame pixels.
    pub fn bounds(&self) -> [f32; 4] {
        let (s, c) = self.angle.sin_cos();
        let half = self.size / 2.0 * (c.abs() + s.abs());
        [
            self.cx - half,
            self.cy - half,
            self.cx + half,
            self.cy + half,
        ]
    }
}

/// Samples the ROI of a packed RGB frame into an `n`×`n` float input with values in
/// 0..1 (bilinear; outside the frame is black). Rows of the ROI are walked with a
/// constant step. A sample whose four neighbours all lie in the frame (every one, for a
/// face not cut by the frame's edge) reads them from two row slices without a bounds
/// check per pixel; only samples at the edge take the checked path. Both paths do the
/// same float arithmetic, so the input is the same to the bit either way.
pub fn warp_into(rgb: &[u8], w: u32, h: u32, roi: &FaceRoi, n: usize, dst: &mut [f32]) {
    debug_assert_eq!(dst.len(), n * n * 3);
    let (s, c) = roi.angle.sin_cos();
    let step = roi.size / n as f32;
    let (w, h) = (w as usize, h as usize);
    let stride = w * 3;
    let (dx, dy) = (c * step, s * step);
    for (row, out_row) in dst.chunks_exact_mut(n * 3).enumerate() {
        // Frame position of this row's first sample.
        let start = roi.to_frame(0.5, row as f32 + 0.5, n as f32);
        let (mut fx, mut fy) = (start[0] - 0.5, start[1] - 0.5);
        for px in out_row.chunks_exact_mut(3) {
            let (x0, y0) = (floor(fx), floor(fy));
            let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
            let inside = x0 >= 0 && y0 >= 0 && (x0 as usize) + 1 < w && (y0 as usize) + 1 < h;
            if inside {
                let at = y0 as usize * stride + x0 as usize * 3;
                let (top, bottom) = (&rgb[at..at + 6], &rgb[at + stride..at + stride + 6]);
                for (ch, out) in px.iter_mut().enumerate() {
                    *out = blend(
                        [top[ch], top[3 + ch], bottom[ch], bottom[3 + ch]].map(f32::from),
                        ax,
                        ay,
                    );
                }
            } else {
                let sample = |x: isize, y: isize, ch: usize| -> f32 {
                    if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
                        0.0
                    } else {
                        rgb[y as usize * stride + x as usize * 3 + ch] as f32
                    }
                };
                for (ch, out) in px.iter_mut().enumerate() {
                    let corners = [
                        sample(x0, y0, ch),
                        sample(x0.saturating_add(1), y0, ch),
                        sample(x0, y0.saturating_add(1), ch),
                        sample(x0.saturating_add(1), y0.saturating_add(1), ch),
                    ];
                    *out = blend(corners, ax, ay);
                }
            }
            fx += dx;
            fy += dy;
        }
    }
}

/// Bilinear blend of `[top left, top right, bottom left, bottom right]`, scaled to 0..1.
#[inline(always)]
fn blend([tl, tr, bl, br]: [f32; 4], ax: f32, ay: f32) -> f32 {
    let top = tl * (1.0 - ax) + tr * ax;
    let bottom = bl * (1.0 - ax) + br * ax;
    (top * (1.0 - ay) + bottom * ay) * (1.0 / 255.0)
}

/// `x.floor()` as an integer without a call into libm (x86-64's baseline has no
/// rounding instruction, so `f32::floor` is a function call per sample). Exact for the
/// frame coordinates it is given (far below 2^24); a wild coordinate from a broken
/// model saturates instead of overflowing and samples outside the frame (black; an
/// infinite one gives NaN, as `f32::floor` did).
#[inline(always)]
fn floor(x: f32) -> isize {
    let t = x as isize;
    if (t as f32) > x {
        t.saturating_sub(1)
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warp as first written: every sample bounds-checked, `f32::floor`.
    fn reference_warp(rgb: &[u8], w: u32, h: u32, roi: &FaceRoi, n: usize, dst: &mut [f32]) {
        let (s, c) = roi.angle.sin_cos();
        let step = roi.size / n as f32;
        let (w, h) = (w as usize, h as usize);
        let stride = w * 3;
        for (row, out_row) in dst.chunks_exact_mut(n * 3).enumerate() {
            let start = roi.to_frame(0.5, row as f32 + 0.5, n as f32);
            let (dx, dy) = (c * step, s * step);
            let (mut fx, mut fy) = (start[0] - 0.5, start[1] - 0.5);
            for px in out_row.chunks_exact_mut(3) {
                let (x0, y0) = (fx.floor(), fy.floor());
                let (ax, ay) = (fx - x0, fy - y0);
                let (x0, y0) = (x0 as isize, y0 as isize);
                let sample = |x: isize, y: isize, ch: usize| -> f32 {
                    if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
                        0.0
                    } else {
                        rgb[y as usize * stride + x as usize * 3 + ch] as f32
                    }
                };
                for (ch, out) in px.iter_mut().enumerate() {
                    let top = sample(x0, y0, ch) * (1.0 - ax) + sample(x0 + 1, y0, ch) * ax;
                    let bottom =
                        sample(x0, y0 + 1, ch) * (1.0 - ax) + sample(x0 + 1, y0 + 1, ch) * ax;
                    *out = (top * (1.0 - ay) + bottom * ay) * (1.0 / 255.0);
                }
                fx += dx;
                fy += dy;
            }
        }
    }

    #[test]
    fn the_warp_gives_the_reference_warps_input_to_the_bit_inside_and_across_the_edges() {
        // Distinct pixel values, a frame whose width is not a multiple of 4.
        let (w, h) = (37u32, 29u32);
        let rgb: Vec<u8> = (0..(w * h * 3) as usize)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let rois = [
            // Well inside, level and tilted.
            (18.0, 14.0, 12.0, 0.0),
            (18.3, 14.7, 11.1, 0.4),
            // Across each edge and a corner, and larger than the frame.
            (1.0, 14.0, 10.0, -0.3),
            (36.0, 3.0, 9.0, 1.2),
            (18.0, 28.5, 8.0, 2.9),
            (18.0, 14.0, 60.0, 0.7),
            // Upside down and entirely outside.
            (20.0, 10.0, 14.0, std::f32::consts::PI),
            (-30.0, -30.0, 10.0, 0.2),
        ];
        for (cx, cy, size, angle) in rois {
            let roi = FaceRoi {
                cx,
                cy,
                size,
                angle,
            };
            for n in [1usize, 5, 16] {
                let (mut fast, mut reference) = (vec![9f32; n * n * 3], vec![7f32; n * n * 3]);
                warp_into(&rgb, w, h, &roi, n, &mut fast);
                reference_warp(&rgb, w, h, &roi, n, &mut reference);
                let differ = fast
                    .iter()
                    .zip(&reference)
                    .filter(|(a, b)| a.to_bits() != b.to_bits())
                    .count();
                assert_eq!(differ, 0, "{roi:?} at {n}×{n}: {differ} values differ");
            }
        }
    }

    #[test]
    fn a_region_far_outside_any_frame_warps_to_black_instead_of_overflowing() {
        let rgb = vec![200u8; 4 * 4 * 3];
        for (cx, cy) in [
            (-1e30f32, 2.0f32),
            (1e30, 2.0),
            (2.0, -1e30),
            (2.0, f32::INFINITY),
        ] {
            let roi = FaceRoi {
                cx,
                cy,
                size: 4.0,
                angle: 0.0,
            };
            let mut dst = vec![1f32; 2 * 2 * 3];
            warp_into(&rgb, 4, 4, &roi, 2, &mut dst);
            assert!(
                dst.iter().all(|&v| v == 0.0 || v.is_nan()),
                "{cx},{cy}: {dst:?}"
            );
        }
    }

    #[test]
    fn floor_rounds_towards_minus_infinity_as_f32_floor_does() {
        for x in [
            -2.5f32, -1.0, -0.999, -0.0, 0.0, 0.001, 0.5, 1.0, 254.99, 1e6,
        ] {
            assert_eq!(floor(x), x.floor() as isize, "{x}");
        }
    }

    #[test]
    fn the_input_centre_maps_to_the_roi_centre_and_corners_rotate_with_the_eyes() {
        let roi = FaceRoi {
            cx: 100.0,
            cy: 80.0,
            size: 40.0,
            angle: std::f32::consts::FRAC_PI_2,
        };
        let c = roi.to_frame(96.0, 96.0, 192.0);
        assert!((c[0] - 100.0).abs() < 1e-4 && (c[1] - 80.0).abs() < 1e-4);
        // With the eye line turned 90° clockwise, the input's right edge points down.
        let r = roi.to_frame(192.0, 96.0, 192.0);
        assert!(
            (r[0] - 100.0).abs() < 1e-3 && (r[1] - 100.0).abs() < 1e-3,
            "{r:?}"
        );
    }

    #[test]
    fn a_roi_from_landmarks_is_centred_on_them_and_scaled() {
        let pts = [[10.0, 10.0], [30.0, 10.0], [10.0, 30.0], [30.0, 30.0]];
        let roi = FaceRoi::from_landmarks(&pts, [10.0, 10.0], [30.0, 10.0]);
        assert!((roi.cx - 20.0).abs() < 1e-4 && (roi.cy - 20.0).abs() < 1e-4);
        assert!((roi.size - 20.0 * ROI_SCALE).abs() < 1e-3);
        assert!(roi.angle.abs() < 1e-6);
    }

    #[test]
    fn warping_an_unrotated_roi_copies_the_pixels() {
        // A 4×4 frame with a bright top-left quadrant; the ROI is the frame itself.
        let mut rgb = vec![0u8; 4 * 4 * 3];
        for y in 0..2 {
            for x in 0..2 {
                rgb[(y * 4 + x) * 3..][..3].fill(255);
            }
        }
        let roi = FaceRoi {
            cx: 2.0,
            cy: 2.0,
            size: 4.0,
            angle: 0.0,
        };
        let mut dst = vec![0f32; 4 * 4 * 3];
        warp_into(&rgb, 4, 4, &roi, 4, &mut dst);
        assert_eq!(dst[0], 1.0);
        assert_eq!(dst[(3 * 4 + 3) * 3], 0.0);
    }
}
