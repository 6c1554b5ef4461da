//! Frame → model input: resize (area-averaged when shrinking, letterboxed or stretched) and the conversion of
//! pixel values into the model's input type, all into the model's own input buffer.
//!
//! Nothing here allocates per frame: the sampling tables are rebuilt only when the frame
//! size changes, and the value conversion is a 256-entry table built from the input
//! tensor's quantisation parameters.

use super::model::{ElementType, TensorInfo};

/// How the frame is fitted into the square model input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FitMode {
    /// Keep the aspect ratio and pad (BlazeFace: faces must not be squashed; YOLO was
    /// trained letterboxed).
    Letterbox,
    /// Stretch to fill (SSD MobileNet was trained this way).
    Stretch,
}

/// The real values the model expects for pixel values 0..=255.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelRange {
    /// (pixel − 127.5) / 127.5: BlazeFace, SSD MobileNet.
    MinusOneToOne,
    /// pixel / 255: Ultralytics YOLO exports.
    ZeroToOne,
}

impl PixelRange {
    fn real(self, p: u8) -> f32 {
        match self {
            PixelRange::MinusOneToOne => (p as f32 - 127.5) / 127.5,
            PixelRange::ZeroToOne => p as f32 / 255.0,
        }
    }
}

/// Where the frame landed inside the model input, to map boxes back to the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Offset of the frame's content in the model input, as a fraction of input size.
    pub pad_x: f32,
    pub pad_y: f32,
    /// Fraction of the model input the frame's content covers.
    pub content_w: f32,
    pub content_h: f32,
}

impl Placement {
    /// Maps a normalised point in model-input space to normalised frame coordinates.
    pub fn to_frame(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.pad_x) / self.content_w,
            (y - self.pad_y) / self.content_h,
        )
    }
}

/// The pixels a model reads for one frame: the frame itself, or a smaller copy of it
/// (`downscale.rs`) standing for it. Fitting (letterbox bars, placement) follows the
/// frame's own shape, so boxes map back to the frame whichever is read.
#[derive(Clone, Copy, Debug)]
pub struct FrameImage<'a> {
    /// Packed RGB24, `width`×`height`.
    pub rgb: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// The frame this image is (a copy of).
    pub frame_width: u32,
    pub frame_height: u32,
}

impl<'a> FrameImage<'a> {
    /// The frame itself.
    pub fn full(rgb: &'a [u8], width: u32, height: u32) -> FrameImage<'a> {
        FrameImage {
            rgb,
            width,
            height,
            frame_width: width,
            frame_height: height,
        }
    }
}

/// How a model takes its whole-frame input: what a shared smaller copy must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelInput {
    pub mode: FitMode,
    pub width: usize,
    pub height: usize,
}

impl ModelInput {
    /// Pixels of the model input the frame's content covers (the rest is padding).
    pub fn content_size(&self, frame_w: u32, frame_h: u32) -> (usize, usize) {
        match self.mode {
            FitMode::Stretch => (self.width, self.height),
            FitMode::Letterbox => {
                let s =
                    (self.width as f32 / frame_w as f32).min(self.height as f32 / frame_h as f32);
                (
                    ((frame_w as f32 * s).round() as usize).clamp(1, self.width),
                    ((frame_h as f32 * s).round() as usize).clamp(1, self.height),
                )
            }
        }
    }
}

/// Converts one 8-bit channel value to the bytes the model expects.
#[derive(Clone, Debug)]
enum ValueTable {
    Bytes(Box<[u8; 256]>),
    Floats(Box<[f32; 256]>),
}

/// Fixed-point precision of the horizontal resampling weights.
const WEIGHT_SHIFT: u32 = 12;
/// The vertical pass uses 8-bit weights so that a weighted sum of 8-bit pixels fits a
/// u16 (255 × 256 < 65536): twice the SIMD lanes of u32 on the pass that reads every
/// source pixel.
const ROW_WEIGHT_SHIFT: u32 = 8;

/// Resampling taps along one axis: output sample `i` is the weighted sum of input
/// samples `start[i] .. start[i] + len[i]` with `weights[offset[i]..]`.
#[derive(Clone, Debug, Default)]
struct AxisTaps {
    start: Vec<u32>,
    len: Vec<u32>,
    offset: Vec<u32>,
    weights: Vec<u32>,
}

impl AxisTaps {
    /// Antialiased when shrinking (as PIL's resize: point-sampling a 1280-pixel row down to 128 aliases badly and costs the
    /// SSD model its small objects, e.g. a phone at the ear), bilinear when enlarging.
    fn new(src: usize, dst: usize, shift: u32) -> AxisTaps {
        let weight_one = 1u32 << shift;
        let mut t = AxisTaps::default();
        let scale = src as f64 / dst as f64;
        for i in 0..dst {
            t.offset.push(t.weights.len() as u32);
            if scale > 1.0 {
                // Triangle filter as wide as the scale factor, as PIL's antialiased
                // bilinear: each output sample weighs the source pixels it covers.
                let centre = (i as f64 + 0.5) * scale;
                let a = ((centre - scale).floor().max(0.0)) as usize;
                let b = ((centre + scale).ceil() as usize).min(src);
                let raw: Vec<f64> = (a..b)
                    .map(|j| (1.0 - ((j as f64 + 0.5 - centre) / scale).abs()).max(0.0))
                    .collect();
                let total: f64 = raw.iter().sum();
                t.start.push(a as u32);
                t.len.push(raw.len() as u32);
                // Rounding the running total keeps every weight >= 0 and the sum exact.
                let (mut cumulative, mut previous) = (0.0, 0u32);
                for r in &raw {
                    cumulative += r / total;
                    let edge = (cumulative * weight_one as f64)
                        .round()
                        .min(weight_one as f64) as u32;
                    t.weights.push(edge - previous);
                    previous = edge;
                }
            } else {
                let x = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, (src - 1) as f64);
                let i0 = x.floor() as usize;
                let i1 = (i0 + 1).min(src - 1);
                let w1 = ((x - i0 as f64) * weight_one as f64).round() as u32;
                t.start.push(i0 as u32);
                if i1 == i0 || w1 == 0 {
                    t.len.push(1);
                    t.weights.push(weight_one);
                } else {
                    t.len.push(2);
                    t.weights.extend([weight_one - w1, w1]);
                }
            }
        }
        t
    }

    #[inline]
    fn taps(&self, i: usize) -> (usize, &[u32]) {
        let o = self.offset[i] as usize;
        (
            self.start[i] as usize,
            &self.weights[o..o + self.len[i] as usize],
        )
    }
}

#[derive(Debug)]
pub struct Preprocessor {
    dst_w: usize,
    dst_h: usize,
    mode: FitMode,
    table: ValueTable,
    /// Value written into padding (black).
    pad_value: [u8; 4],
    /// Image and frame size the tables below were built for.
    cached_src: (u32, u32, u32, u32),
    x_taps: AxisTaps,
    y_taps: AxisTaps,
    /// Vertically resampled rows (content height × source width × 3).
    rows: Vec<u8>,
    /// One row of accumulators for the vertical pass (source width × 3).
    acc_row: Vec<u16>,
    placement: Placement,
    /// Content rectangle in input pixels.
    content: (usize, usize, usize, usize),
}

impl Preprocessor {
    /// Builds a preprocessor for an NHWC RGB input tensor that takes pixels in [-1, 1],
    /// padding with black.
    pub fn new(input: &TensorInfo, mode: FitMode) -> Result<Preprocessor, String> {
        Preprocessor::with_range(input, mode, PixelRange::MinusOneToOne, 0)
    }

    /// As `new`, for a model trained on `range` with padding of grey level `pad_pixel`
    /// (Ultralytics letterboxes with 114).
    pub fn with_range(
        input: &TensorInfo,
        mode: FitMode,
        range: PixelRange,
        pad_pixel: u8,
    ) -> Result<Preprocessor, String> {
        let pixel_to_real = |p: u8| range.real(p);
        let d = &input.dims;
        if d.len() != 4 || d[0] != 1 || d[3] != 3 {
            return Err(format!("input shape {d:?} is not [1, H, W, 3]"));
        }
        let (dst_h, dst_w) = (d[1] as usize, d[2] as usize);
        let table = match input.element_type {
            ElementType::Float32 => {
                let mut t = Box::new([0f32; 256]);
                for (p, v) in t.iter_mut().enumerate() {
                    *v = pixel_to_real(p as u8);
                }
                ValueTable::Floats(t)
            }
            ElementType::UInt8 | ElementType::Int8 => {
                let q = input
                    .quantization
                    .ok_or("a quantised input without quantisation parameters")?;
                let (lo, hi) = if input.element_type == ElementType::UInt8 {
                    (0.0, 255.0)
                } else {
                    (-128.0, 127.0)
                };
                let mut t = Box::new([0u8; 256]);
                for (p, v) in t.iter_mut().enumerate() {
                    let qv = (pixel_to_real(p as u8) / q.scale + q.zero_point as f32)
                        .round()
                        .clamp(lo, hi);
                    *v = if input.element_type == ElementType::UInt8 {
                        qv as u8
                    } else {
                        (qv as i8) as u8
                    };
                }
                ValueTable::Bytes(t)
            }
            other => return Err(format!("input element type {other:?} is not supported")),
        };
        Ok(Preprocessor::with_table(
            dst_w, dst_h, mode, table, pad_pixel,
        ))
    }

    /// A plain RGB24 resize to `w`×`h` (stretched; values kept): the shared smaller copy
    /// of a frame (`downscale.rs`).
    pub fn rgb(w: usize, h: usize) -> Preprocessor {
        let mut identity = Box::new([0u8; 256]);
        for (p, v) in identity.iter_mut().enumerate() {
            *v = p as u8;
        }
        Preprocessor::with_table(w, h, FitMode::Stretch, ValueTable::Bytes(identity), 0)
    }

    fn with_table(
        dst_w: usize,
        dst_h: usize,
        mode: FitMode,
        table: ValueTable,
        pad_pixel: u8,
    ) -> Preprocessor {
        let mut pre = Preprocessor {
            dst_w,
            dst_h,
            mode,
            table,
            pad_value: [0; 4],
            cached_src: (0, 0, 0, 0),
            x_taps: AxisTaps::default(),
            y_taps: AxisTaps::default(),
            rows: Vec::new(),
            acc_row: Vec::new(),
            placement: Placement {
                pad_x: 0.0,
                pad_y: 0.0,
                content_w: 1.0,
                content_h: 1.0,
            },
            content: (0, 0, dst_w, dst_h),
        };
        let pad = pad_pixel as usize;
        pre.pad_value = match &pre.table {
            ValueTable::Bytes(t) => [t[pad], 0, 0, 0],
            ValueTable::Floats(t) => t[pad].to_ne_bytes(),
        };
        pre
    }

    pub fn input_size(&self) -> (usize, usize) {
        (self.dst_w, self.dst_h)
    }

    /// How a frame of this model input's shape is fitted into it.
    pub fn model_input(&self) -> ModelInput {
        ModelInput {
            mode: self.mode,
            width: self.dst_w,
            height: self.dst_h,
        }
    }

    /// Builds the tables for a `src_w`×`src_h` image of a `frame_w`×`frame_h` frame.
    fn prepare(&mut self, src_w: u32, src_h: u32, frame_w: u32, frame_h: u32) {
        if self.cached_src == (src_w, src_h, frame_w, frame_h) {
            return;
        }
        self.cached_src = (src_w, src_h, frame_w, frame_h);
        let (cw, ch) = self.model_input().content_size(frame_w, frame_h);
        let (x0, y0) = ((self.dst_w - cw) / 2, (self.dst_h - ch) / 2);
        self.content = (x0, y0, cw, ch);
        self.placement = Placement {
            pad_x: x0 as f32 / self.dst_w as f32,
            pad_y: y0 as f32 / self.dst_h as f32,
            content_w: cw as f32 / self.dst_w as f32,
            content_h: ch as f32 / self.dst_h as f32,
        };
        self.x_taps = AxisTaps::new(src_w as usize, cw, WEIGHT_SHIFT);
        self.y_taps = AxisTaps::new(src_h as usize, ch, ROW_WEIGHT_SHIFT);
        self.rows = vec![0; ch * src_w as usize * 3];
        self.acc_row = vec![0; src_w as usize * 3];
    }

    /// Writes `rgb` (packed RGB24, `w`×`h`) into `out`, the model's input buffer.
    pub fn run(&mut self, rgb: &[u8], w: u32, h: u32, out: &mut [u8]) -> Placement {
        self.run_strided(rgb, w as usize * 3, w, h, out)
    }

    /// As `run`, for a `w`×`h` image whose rows lie `src_stride` bytes apart in `rgb`: a
    /// region of a larger frame, read in place (`rgb` starts at its first pixel).
    pub fn run_strided(
        &mut self,
        rgb: &[u8],
        src_stride: usize,
        w: u32,
        h: u32,
        out: &mut [u8],
    ) -> Placement {
        self.prepare(w, h, w, h);
        self.resample(rgb, src_stride, w, out)
    }

    /// Writes `image` (the frame or a smaller copy of it) into `out`, fitted as the
    /// frame would be.
    pub fn run_image(&mut self, image: FrameImage<'_>, out: &mut [u8]) -> Placement {
        let (w, h) = (image.width, image.height);
        self.prepare(w, h, image.frame_width, image.frame_height);
        self.resample(image.rgb, w as usize * 3, w, out)
    }

    /// The two resampling passes with the tables `prepare` built.
    fn resample(&mut self, rgb: &[u8], src_stride: usize, w: u32, out: &mut [u8]) -> Placement {
        let (x0, y0, cw, ch) = self.content;
        let elem = match self.table {
            ValueTable::Bytes(_) => 1,
            ValueTable::Floats(_) => 4,
        };
        if cw != self.dst_w || ch != self.dst_h {
            for px in out.chunks_exact_mut(elem) {
                px.copy_from_slice(&self.pad_value[..elem]);
            }
        }
        if (self.cached_src.0 as usize, self.cached_src.1 as usize) == (cw, ch) {
            // Already the content's size (the shared copy made for this model): only the
            // values change, and the resampling passes would cost as much as a resize.
            for dy in 0..ch {
                let src_row = &rgb[dy * src_stride..][..cw * 3];
                let o = ((y0 + dy) * self.dst_w + x0) * 3;
                match &self.table {
                    ValueTable::Bytes(t) => {
                        for (d, &v) in out[o..o + cw * 3].iter_mut().zip(src_row) {
                            *d = t[v as usize];
                        }
                    }
                    ValueTable::Floats(t) => {
                        for (d, &v) in out[o * 4..(o + cw * 3) * 4]
                            .chunks_exact_mut(4)
                            .zip(src_row)
                        {
                            d.copy_from_slice(&t[v as usize].to_ne_bytes());
                        }
                    }
                }
            }
            return self.placement;
        }
        // Pass 1, vertical: each output row is a weighted sum of whole source rows. Rows
        // are contiguous, so this loop vectorises; doing it first also leaves the scalar
        // horizontal pass only `ch` rows instead of the source's full height.
        let stride = w as usize * 3;
        let half = 1u32 << (WEIGHT_SHIFT - 1);
        let row_half = 1u16 << (ROW_WEIGHT_SHIFT - 1);
        for (dy, dst_row) in self.rows.chunks_exact_mut(stride).enumerate() {
            let (start, weights) = self.y_taps.taps(dy);
            self.acc_row.fill(row_half);
            for (k, &wk) in weights.iter().enumerate() {
                let wk = wk as u16;
                let src_row = &rgb[(start + k) * src_stride..][..stride];
                for (a, &v) in self.acc_row.iter_mut().zip(src_row) {
                    // Cannot overflow: the weights sum to 256, so the total is at most
                    // 255 × 256 + 128.
                    *a = a.wrapping_add(wk * v as u16);
                }
            }
            for (d, &a) in dst_row.iter_mut().zip(&self.acc_row) {
                *d = (a >> ROW_WEIGHT_SHIFT) as u8;
            }
        }
        // Pass 2, horizontal, converting each value for the model on the way out.
        for (dy, src_row) in self.rows.chunks_exact(stride).enumerate() {
            let out_base = ((y0 + dy) * self.dst_w + x0) * 3;
            for x in 0..cw {
                let (start, weights) = self.x_taps.taps(x);
                let mut acc = [half; 3];
                for (k, &wk) in weights.iter().enumerate() {
                    let s = &src_row[(start + k) * 3..][..3];
                    acc[0] += wk * s[0] as u32;
                    acc[1] += wk * s[1] as u32;
                    acc[2] += wk * s[2] as u32;
                }
                let o = out_base + x * 3;
                for (c, a) in acc.iter().enumerate() {
                    let v = (a >> WEIGHT_SHIFT) as usize;
                    match &self.table {
                        ValueTable::Bytes(t) => out[o + c] = t[v],
                        ValueTable::Floats(t) => {
                            out[(o + c) * 4..][..4].copy_from_slice(&t[v].to_ne_bytes())
                        }
                    }
                }
            }
        }
        self.placement
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::model::Quantization;

    fn input(et: ElementType, q: Option<Quantization>, w: i32, h: i32) -> TensorInfo {
        TensorInfo {
            name: "in".into(),
            element_type: et,
            dims: vec![1, h, w, 3],
            quantization: q,
            bytes: (w * h * 3) as usize * et.size_bytes(),
        }
    }

    #[test]
    fn a_wide_frame_is_letterboxed_with_bars_above_and_below() {
        let info = input(
            ElementType::UInt8,
            Some(Quantization {
                scale: 1.0 / 128.0,
                zero_point: 128,
            }),
            4,
            4,
        );
        let mut p = Preprocessor::new(&info, FitMode::Letterbox).unwrap();
        let frame = vec![255u8; 8 * 4 * 3]; // 8x4 white
        let mut out = vec![7u8; 4 * 4 * 3];
        let pl = p.run(&frame, 8, 4, &mut out);
        assert_eq!(
            pl,
            Placement {
                pad_x: 0.0,
                pad_y: 0.25,
                content_w: 1.0,
                content_h: 0.5
            }
        );
        // Top row is padding (black → quantised -1 → 0), middle rows are white (→ 255).
        assert!(out[..12].iter().all(|&v| v == 0), "{:?}", &out[..12]);
        assert!(out[12..36].iter().all(|&v| v == 255), "{:?}", &out[12..36]);
        assert_eq!(pl.to_frame(0.5, 0.5), (0.5, 0.5));
        assert_eq!(pl.to_frame(0.0, 0.25), (0.0, 0.0));
    }

    #[test]
    fn quantisation_comes_from_the_tensor_not_a_constant() {
        let q = Quantization {
            scale: 0.5,
            zero_point: 10,
        };
        let info = input(ElementType::UInt8, Some(q), 1, 1);
        let mut p = Preprocessor::new(&info, FitMode::Stretch).unwrap();
        let mut out = vec![0u8; 3];
        p.run(&[255, 0, 128], 1, 1, &mut out);
        // real 1.0 → 1/0.5+10 = 12; real -1 → 8; real ~0 → 10
        assert_eq!(out, vec![12, 8, 10]);
    }

    #[test]
    fn shrinking_filters_so_thin_detail_is_averaged_not_aliased() {
        let info = input(
            ElementType::UInt8,
            Some(Quantization {
                scale: 1.0 / 127.5,
                zero_point: 127,
            }),
            2,
            1,
        );
        let mut p = Preprocessor::new(&info, FitMode::Stretch).unwrap();
        // 4x2 source: columns alternate white/black; each output pixel covers 2 columns.
        let mut frame = Vec::new();
        for _row in 0..2 {
            for x in 0..4 {
                frame.extend_from_slice(if x % 2 == 0 { &[255u8; 3] } else { &[0u8; 3] });
            }
        }
        let mut out = vec![0u8; 6];
        p.run(&frame, 4, 2, &mut out);
        // Grey, not white or black as point sampling would give.
        assert!(out.iter().all(|&v| (96..=160).contains(&v)), "{out:?}");
    }

    #[test]
    fn a_region_read_in_place_gives_what_a_copy_of_it_gives() {
        let info = input(ElementType::Float32, None, 3, 2);
        // A 7×5 frame of distinct values; the region is 4×3 at (2, 1).
        let frame: Vec<u8> = (0..7 * 5 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let (x, y, w, h) = (2usize, 1usize, 4usize, 3usize);
        let copy: Vec<u8> = (y..y + h)
            .flat_map(|r| frame[(r * 7 + x) * 3..][..w * 3].to_vec())
            .collect();
        let mut p = Preprocessor::new(&info, FitMode::Stretch).unwrap();
        let (mut from_copy, mut in_place) = (vec![0u8; 3 * 2 * 12], vec![0u8; 3 * 2 * 12]);
        p.run(&copy, w as u32, h as u32, &mut from_copy);
        p.run_strided(
            &frame[(y * 7 + x) * 3..],
            7 * 3,
            w as u32,
            h as u32,
            &mut in_place,
        );
        assert_eq!(from_copy, in_place);
    }

    #[test]
    fn float_inputs_get_values_in_minus_one_to_one() {
        let info = input(ElementType::Float32, None, 1, 1);
        let mut p = Preprocessor::new(&info, FitMode::Stretch).unwrap();
        let mut out = vec![0u8; 12];
        p.run(&[255, 0, 128], 1, 1, &mut out);
        let v: Vec<f32> = out
            .chunks(4)
            .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert!(
            (v[0] - 1.0).abs() < 1e-6 && (v[1] + 1.0).abs() < 1e-6 && v[2].abs() < 0.01,
            "{v:?}"
        );
    }
}
