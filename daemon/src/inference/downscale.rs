//! One smaller copy of the frame for every whole-frame model that runs on it.
//!
//! Each model's preprocessing resamples the whole frame to its input size. When two or
//! more whole-frame models run on the same frame (the face detector and the object model
//! on an object frame where the detector is due; both face detectors; every still in
//! `eval` and `detect`), the frame is resampled once, into a copy as wide as the widest
//! content any of them needs and as tall as the tallest, and each model reads that copy.
//! The largest then only has its values converted (the same bytes it would have made
//! from the frame, without its resize: most of the saving, as a resize costs mostly its
//! per-output-pixel horizontal pass); the smaller ones resample it a second time, which
//! is not bit for bit what they make from the frame: a face found on a frame where the
//! object model runs too differs from the same face found directly (on the clip of
//! `tests/object_stage.rs`: 0.003 in score, under a pixel in box; no figure of
//! `proctord eval` changed), so the faces of a frame follow the object cadence.
//!
//! On a frame where only one of them runs, it reads the frame directly: a copy would
//! only add a pass. Not for the face mesh, whose 256×256 crop of a far face needs the
//! frame's full resolution (and whose warp costs the same from any source), nor for the
//! hands-and-desk pass, whose point is to see that zone at more than the whole-frame
//! resolution.

use std::sync::Arc;

use super::preprocess::{FrameImage, ModelInput, Preprocessor};
use crate::buffer_pool::BufferPool;

/// A frame resampled to a smaller size, standing for the whole frame.
#[derive(Clone, Debug)]
pub struct Downscaled {
    pub width: u32,
    pub height: u32,
    pub frame_width: u32,
    pub frame_height: u32,
    /// Packed RGB24, `width`×`height`.
    pub rgb: Arc<[u8]>,
}

impl Downscaled {
    pub fn image(&self) -> FrameImage<'_> {
        FrameImage {
            rgb: &self.rgb,
            width: self.width,
            height: self.height,
            frame_width: self.frame_width,
            frame_height: self.frame_height,
        }
    }
}

/// The size of the one copy that serves every one of `inputs` on a `frame_w`×`frame_h`
/// frame: the widest content width and the tallest content height any of them fills,
/// each no larger than the frame's. `None` when that is the frame's own size (nothing
/// to gain).
pub fn shared_size(
    frame_w: u32,
    frame_h: u32,
    inputs: impl IntoIterator<Item = ModelInput>,
) -> Option<(u32, u32)> {
    let (mut w, mut h) = (0usize, 0usize);
    for input in inputs {
        let (cw, ch) = input.content_size(frame_w, frame_h);
        (w, h) = (w.max(cw), h.max(ch));
    }
    let size = (
        (w as u32).clamp(1, frame_w.max(1)),
        (h as u32).clamp(1, frame_h.max(1)),
    );
    (size != (frame_w, frame_h)).then_some(size)
}

/// Makes the shared copy, its resampling tables and buffers reused across frames.
#[derive(Default)]
pub struct Downscaler {
    pre: Option<Preprocessor>,
    pool: BufferPool,
}

impl Downscaler {
    pub fn new() -> Downscaler {
        Downscaler::default()
    }

    /// The shared copy of a packed RGB `w`×`h` frame for `inputs`, the whole-frame
    /// models about to run on it; `None` when fewer than two run (or the copy would be
    /// the frame's size), and each reads the frame itself.
    pub fn for_models(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        inputs: &[ModelInput],
    ) -> Option<Downscaled> {
        if inputs.len() < 2 {
            return None;
        }
        let (sw, sh) = shared_size(w, h, inputs.iter().copied())?;
        let (sw_px, sh_px) = (sw as usize, sh as usize);
        if self.pre.as_ref().map(|p| p.input_size()) != Some((sw_px, sh_px)) {
            self.pre = Some(Preprocessor::rgb(sw_px, sh_px));
        }
        let pre = self.pre.as_mut().expect("set just above");
        let data = self
            .pool
            .fill::<std::convert::Infallible>(sw_px * sh_px * 3, |dst| {
                pre.run(rgb, w, h, dst);
                Ok(())
            })
            .unwrap_or_else(|never| match never {});
        Some(Downscaled {
            width: sw,
            height: sh,
            frame_width: w,
            frame_height: h,
            rgb: data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::preprocess::FitMode;

    const FACE: ModelInput = ModelInput {
        mode: FitMode::Letterbox,
        width: 192,
        height: 192,
    };
    const SSD: ModelInput = ModelInput {
        mode: FitMode::Stretch,
        width: 300,
        height: 300,
    };

    #[test]
    fn the_copy_is_as_large_as_the_largest_model_reads_in_each_direction() {
        // 1280×720: the SSD fills 300×300, the face detector 192×108.
        assert_eq!(shared_size(1280, 720, [FACE, SSD]), Some((300, 300)));
        // Two letterboxed models keep the frame's shape.
        let yolo = ModelInput {
            mode: FitMode::Letterbox,
            width: 640,
            height: 640,
        };
        assert_eq!(shared_size(1280, 720, [FACE, yolo]), Some((640, 360)));
    }

    #[test]
    fn never_larger_than_the_frame_and_none_when_it_is_the_frame() {
        assert_eq!(shared_size(640, 240, [FACE, SSD]), Some((300, 240)));
        assert_eq!(shared_size(300, 200, [FACE, SSD]), None);
    }

    #[test]
    fn one_model_reads_the_frame_itself() {
        let frame = vec![90u8; 640 * 480 * 3];
        let mut d = Downscaler::new();
        assert!(d.for_models(&frame, 640, 480, &[SSD]).is_none());
        let copy = d.for_models(&frame, 640, 480, &[FACE, SSD]).unwrap();
        assert_eq!((copy.width, copy.height), (300, 300));
        assert_eq!((copy.frame_width, copy.frame_height), (640, 480));
        assert!(copy.rgb.iter().all(|&v| v == 90), "a flat frame stays flat");
    }

    #[test]
    fn the_largest_model_gets_from_the_copy_exactly_what_it_gets_from_the_frame() {
        // Stretched to 300×300, as the SSD reads it: the copy is that resize, and reading
        // the copy at its own size changes nothing.
        let (w, h) = (1280u32, 720u32);
        let frame: Vec<u8> = (0..(w * h * 3) as usize)
            .map(|i| ((i * 7919) % 251) as u8)
            .collect();
        let copy = Downscaler::new()
            .for_models(&frame, w, h, &[FACE, SSD])
            .unwrap();
        let mut direct = vec![0u8; 300 * 300 * 3];
        Preprocessor::rgb(300, 300).run(&frame, w, h, &mut direct);
        let mut via_copy = vec![0u8; 300 * 300 * 3];
        Preprocessor::rgb(300, 300).run_image(copy.image(), &mut via_copy);
        assert_eq!(direct, via_copy);
    }
}
