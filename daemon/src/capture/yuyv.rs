//! YUYV (YUV 4:2:2, the format every UVC webcam offers) into packed RGB24.
//!
//! Webcams send BT.601 limited range (Y 16..235, U/V 16..240); converting with full-range
//! formulas would wash out blacks and clip whites.

use std::sync::{Arc, Mutex};

use super::packed_rgb::{ShortBuffer, pack_rows_into};
use crate::buffer_pool::BufferPool;
use crate::frame::{PixelLayout, RgbConversion};

/// A camera's YUYV frames kept as they came (GStreamer's `YUY2` layout, rows `width × 2`
/// bytes apart), converted to RGB when the analysis asks; the recorder encodes the YUYV.
#[derive(Default)]
pub struct YuyvToRgb {
    /// The converted frames' buffers, reused once the analysis lets go of them.
    packed: Mutex<BufferPool>,
}

impl YuyvToRgb {
    /// Whether frames of this size and stride can be kept as YUYV: an even width, rows
    /// without padding (GStreamer's layout); any other goes to RGB at capture.
    pub fn keeps(width: u32, stride: u32) -> bool {
        width.is_multiple_of(2) && stride == width * 2
    }

    /// Copies a camera buffer (which the driver takes back) into a buffer of `pool`.
    pub fn copy_frame(
        src: &[u8],
        width: u32,
        height: u32,
        pool: &mut BufferPool,
    ) -> Result<Arc<[u8]>, ShortBuffer> {
        let row_bytes = width as usize * 2;
        let rows = height as usize;
        pool.fill(row_bytes * rows, |dst| {
            pack_rows_into(src, row_bytes, row_bytes, rows, dst)
        })
    }
}

impl RgbConversion for YuyvToRgb {
    fn to_rgb(&self, raw: &Arc<[u8]>, width: u32, height: u32) -> Arc<[u8]> {
        let mut pool = self.packed.lock().unwrap_or_else(|p| p.into_inner());
        pool.fill(width as usize * height as usize * 3, |dst| {
            yuyv_to_rgb_into(raw, width, height, width as usize * 2, dst)
        })
        .expect("a kept YUYV frame is checked whole by `copy_frame`")
    }

    fn layout(&self) -> PixelLayout {
        PixelLayout::Yuy2
    }
}

/// Converts one YUYV image whose rows lie `stride` bytes apart. Each 4 bytes `Y0 U Y1 V`
/// describe two pixels that share their colour.
pub fn yuyv_to_rgb(
    src: &[u8],
    width: u32,
    height: u32,
    stride: usize,
) -> Result<Vec<u8>, ShortBuffer> {
    let mut rgb = vec![0; width as usize * height as usize * 3];
    yuyv_to_rgb_into(src, width, height, stride, &mut rgb).map(|()| rgb)
}

/// As `yuyv_to_rgb`, into `dst` (exactly `width × height × 3` long: a pooled frame
/// buffer, see `BufferPool`).
pub fn yuyv_to_rgb_into(
    src: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    dst: &mut [u8],
) -> Result<(), ShortBuffer> {
    let (width, rows) = (width as usize, height as usize);
    let row_bytes = width.div_ceil(2) * 4;
    let short = ShortBuffer {
        len: src.len(),
        rows,
        row_bytes,
        stride,
    };
    if rows > 0 && (stride < row_bytes || src.len() < stride * (rows - 1) + row_bytes) {
        return Err(short);
    }
    debug_assert_eq!(dst.len(), width * rows * 3);
    let full_pairs = width / 2;
    for (row, out) in src.chunks(stride).zip(dst.chunks_exact_mut(width * 3)) {
        let (pairs_out, odd_pixel) = out.split_at_mut(full_pairs * 6);
        // The pair's colour once, for both of its pixels; whole pairs without a length
        // check per pair (this runs on every analysed camera frame).
        for (pair, px) in row.chunks_exact(4).zip(pairs_out.chunks_exact_mut(6)) {
            let colour = Chroma::of(pair[1], pair[3]);
            px[..3].copy_from_slice(&colour.rgb(pair[0]));
            px[3..].copy_from_slice(&colour.rgb(pair[2]));
        }
        // An odd width leaves one pixel of the last pair over.
        if !odd_pixel.is_empty() {
            let pair = &row[full_pairs * 4..full_pairs * 4 + 4];
            odd_pixel.copy_from_slice(&Chroma::of(pair[1], pair[3]).rgb(pair[0]));
        }
    }
    Ok(())
}

/// The other way: packed RGB24 into YUYV (BT.601 limited range, each pair's colour the
/// first pixel's), as a UVC webcam sends it. For cameras the tests and benchmarks fake;
/// an odd last column is left out.
pub fn rgb_to_yuyv(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (even_width, width) = (width as usize & !1, width as usize);
    let ycbcr = |p: &[u8]| {
        let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
        let y = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b;
        let cb = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b;
        let cr = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b;
        [y, cb, cr].map(|v| v.round().clamp(0.0, 255.0) as u8)
    };
    let mut yuyv = Vec::with_capacity(even_width * height as usize * 2);
    for row in rgb.chunks_exact(width * 3).take(height as usize) {
        for pair in row[..even_width * 3].chunks_exact(6) {
            let [y0, u, v] = ycbcr(&pair[..3]);
            let [y1, ..] = ycbcr(&pair[3..]);
            yuyv.extend_from_slice(&[y0, u, y1, v]);
        }
    }
    yuyv
}

/// A pair's colour (U, V) as what it adds to each channel: BT.601 limited range, in 8-bit
/// fixed point (coefficients × 256).
struct Chroma {
    r: i32,
    g: i32,
    b: i32,
}

impl Chroma {
    fn of(u: u8, v: u8) -> Chroma {
        let d = i32::from(u) - 128;
        let e = i32::from(v) - 128;
        Chroma {
            r: 409 * e,
            g: -100 * d - 208 * e,
            b: 516 * d,
        }
    }

    fn rgb(&self, y: u8) -> [u8; 3] {
        let c = 298 * (i32::from(y) - 16);
        let clamp = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
        [clamp(c + self.r), clamp(c + self.g), clamp(c + self.b)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: &[u8], expected: [u8; 3]) {
        for (a, e) in actual.iter().zip(expected) {
            assert!(
                a.abs_diff(e) <= 2,
                "got {actual:?}, expected about {expected:?}"
            );
        }
    }

    #[test]
    fn limited_range_black_and_white_become_full_range_black_and_white() {
        let rgb = yuyv_to_rgb(&[16, 128, 235, 128], 2, 1, 4).unwrap();
        assert_eq!(rgb, vec![0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn bt601_primaries_convert_to_pure_red_green_and_blue() {
        // Limited-range BT.601 codes of the primaries (Y, Cb, Cr).
        for ((y, u, v), expected) in [
            ((81, 90, 240), [255, 0, 0]),
            ((145, 54, 34), [0, 255, 0]),
            ((41, 240, 110), [0, 0, 255]),
        ] {
            let rgb = yuyv_to_rgb(&[y, u, y, v], 2, 1, 4).unwrap();
            assert_close(&rgb[..3], expected);
            assert_close(&rgb[3..], expected);
        }
    }

    #[test]
    fn two_pixels_of_a_pair_keep_their_own_brightness() {
        let rgb = yuyv_to_rgb(&[16, 128, 126, 128], 2, 1, 4).unwrap();
        assert_eq!(&rgb[..3], &[0, 0, 0]);
        assert_close(&rgb[3..], [128, 128, 128]);
    }

    #[test]
    fn row_padding_is_skipped() {
        // Two rows of one pair each, 6 bytes apart.
        let src = [235, 128, 235, 128, 0xEE, 0xEE, 16, 128, 16, 128];
        let rgb = yuyv_to_rgb(&src, 2, 2, 6).unwrap();
        assert_eq!(rgb, vec![255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn an_odd_width_drops_the_unused_half_of_the_last_pair() {
        let rgb = yuyv_to_rgb(&[16, 128, 16, 128, 235, 128, 16, 128], 3, 1, 8).unwrap();
        assert_eq!(rgb, vec![0, 0, 0, 0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn rgb_made_yuyv_converts_back_to_about_the_same_rgb() {
        let rgb: Vec<u8> = [[200, 40, 90], [200, 40, 90], [10, 250, 30], [10, 250, 30]]
            .into_iter()
            .flatten()
            .collect();
        let yuyv = rgb_to_yuyv(&rgb, 4, 1);
        assert_eq!(yuyv.len(), 8);
        let back = yuyv_to_rgb(&yuyv, 4, 1, 8).unwrap();
        for (a, b) in back.chunks(3).zip(rgb.chunks(3)) {
            assert_close(a, [b[0], b[1], b[2]]);
        }
    }

    #[test]
    fn a_truncated_frame_is_refused() {
        assert!(yuyv_to_rgb(&[16, 128, 16], 2, 1, 4).is_err());
        assert!(yuyv_to_rgb(&[0; 12], 4, 2, 8).is_err());
    }
}
