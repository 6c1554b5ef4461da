//! A captured video frame: the unit that flows from capture to inference and recording.
//!
//! A frame keeps the pixels the source delivered (packed RGB, or the camera's or
//! decoder's own YUV) and makes the RGB the models need only when something asks for it:
//! the analysis, on the frames it is due to analyse. A camera at 15 fps analysed at
//! 10 fps is converted 10 times a second, and the recorder takes the YUV as it came
//! (the encoder wants YUV anyway), so no frame is converted RGB → YUV → RGB.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// How a frame's bytes are laid out. Except for `Rgb`, the layout is GStreamer's default
/// for the format and size (`gst_video::VideoInfo::builder(format, w, h)`), so the
/// recorder can hand the bytes to `appsrc` as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelLayout {
    /// Packed RGB24: 3 bytes per pixel, rows `width * 3` bytes apart, no padding.
    Rgb,
    /// Planar YUV 4:2:0 (what H.264 decoders give), GStreamer's `I420`.
    I420,
    /// Packed YUV 4:2:2 `Y0 U Y1 V` (what UVC webcams send), GStreamer's `YUY2`.
    Yuy2,
}

/// Turns one source's raw pixels into packed RGB24. One per source, shared by its
/// frames; it knows what the caps said (colour matrix, range) and keeps the buffers.
pub trait RgbConversion: Send + Sync {
    /// Packed RGB24 of `raw` (which has the layout `layout()` names at the frame's size).
    fn to_rgb(&self, raw: &Arc<[u8]>, width: u32, height: u32) -> Arc<[u8]>;
    fn layout(&self) -> PixelLayout;
}

/// The pixels a source delivered, and their RGB form once made.
struct Pixels {
    /// `None` for an RGB source, whose bytes are `rgb` from the start.
    raw: Option<RawPixels>,
    rgb: OnceLock<Arc<[u8]>>,
}

/// Bytes delivered in another format than RGB, and how to convert them.
struct RawPixels {
    bytes: Arc<[u8]>,
    conversion: Arc<dyn RgbConversion>,
}

/// One frame. `pts` is the frame's time since the start of its source (monotonic for a
/// camera, the presentation timestamp for a file). Rules use only `pts`, never the wall
/// clock, so a recording analysed offline gives the same events as the live camera.
///
/// Clones share the pixels and their conversion: converting one converts them all.
#[derive(Clone)]
pub struct Frame {
    pub seq: u64,
    pub pts: Duration,
    pub wall_time: DateTime<Utc>,
    pub width: u32,
    pub height: u32,
    pixels: Arc<Pixels>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("seq", &self.seq)
            .field("pts", &self.pts)
            .field("wall_time", &self.wall_time)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout())
            .field("converted", &self.has_rgb())
            .finish()
    }
}

impl Frame {
    pub fn new_rgb(
        seq: u64,
        pts: Duration,
        wall_time: DateTime<Utc>,
        width: u32,
        height: u32,
        data: Arc<[u8]>,
    ) -> Self {
        debug_assert_eq!(data.len(), width as usize * height as usize * 3);
        let rgb = OnceLock::new();
        let _ = rgb.set(data);
        let pixels = Pixels { raw: None, rgb };
        Self::with_pixels(seq, pts, wall_time, (width, height), pixels)
    }

    /// A frame in the source's own format, converted to RGB by `conversion` when first
    /// asked. `raw` must be exactly `conversion.layout()` at `width × height`.
    pub fn new_raw(
        seq: u64,
        pts: Duration,
        wall_time: DateTime<Utc>,
        width: u32,
        height: u32,
        raw: Arc<[u8]>,
        conversion: Arc<dyn RgbConversion>,
    ) -> Self {
        let raw = RawPixels {
            bytes: raw,
            conversion,
        };
        let pixels = Pixels {
            raw: Some(raw),
            rgb: OnceLock::new(),
        };
        Self::with_pixels(seq, pts, wall_time, (width, height), pixels)
    }

    fn with_pixels(
        seq: u64,
        pts: Duration,
        wall_time: DateTime<Utc>,
        (width, height): (u32, u32),
        pixels: Pixels,
    ) -> Self {
        Self {
            seq,
            pts,
            wall_time,
            width,
            height,
            pixels: Arc::new(pixels),
        }
    }

    /// The same pixels under another sequence number and clock reading (the capture
    /// loop restamps every frame with the daemon's one clock).
    pub fn restamped(self, seq: u64, pts: Duration, wall_time: DateTime<Utc>) -> Self {
        Self {
            seq,
            pts,
            wall_time,
            ..self
        }
    }

    /// Packed RGB24 (`width × height × 3` bytes), converted on the first call.
    pub fn rgb(&self) -> &Arc<[u8]> {
        self.pixels.rgb.get_or_init(|| {
            let raw = self
                .pixels
                .raw
                .as_ref()
                .expect("a frame without raw pixels is created with its RGB");
            raw.conversion.to_rgb(&raw.bytes, self.width, self.height)
        })
    }

    /// Converts to RGB now unless that was done; true when this call did it.
    pub fn convert_to_rgb(&self) -> bool {
        let converted = self.has_rgb();
        self.rgb();
        !converted
    }

    pub fn has_rgb(&self) -> bool {
        self.pixels.rgb.get().is_some()
    }

    /// The layout the source delivered the frame in.
    pub fn layout(&self) -> PixelLayout {
        self.pixels
            .raw
            .as_ref()
            .map_or(PixelLayout::Rgb, |raw| raw.conversion.layout())
    }

    /// The pixels as delivered, in `layout()`: what the recorder encodes.
    pub fn delivered(&self) -> (PixelLayout, &Arc<[u8]>) {
        match &self.pixels.raw {
            Some(raw) => (raw.conversion.layout(), &raw.bytes),
            None => (PixelLayout::Rgb, self.rgb()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Grey from the first byte, counting its calls.
    struct CountingGrey(AtomicUsize);

    impl RgbConversion for CountingGrey {
        fn to_rgb(&self, raw: &Arc<[u8]>, width: u32, height: u32) -> Arc<[u8]> {
            self.0.fetch_add(1, Ordering::SeqCst);
            vec![raw[0]; width as usize * height as usize * 3].into()
        }
        fn layout(&self) -> PixelLayout {
            PixelLayout::Yuy2
        }
    }

    #[test]
    fn a_raw_frame_is_converted_once_on_first_use_and_its_clones_share_the_result() {
        let conversion = Arc::new(CountingGrey(AtomicUsize::new(0)));
        let frame = Frame::new_raw(
            0,
            Duration::ZERO,
            Utc::now(),
            2,
            1,
            vec![7u8; 4].into(),
            conversion.clone(),
        );
        let clone = frame.clone();
        assert!(!frame.has_rgb());
        assert_eq!(
            conversion.0.load(Ordering::SeqCst),
            0,
            "converted before use"
        );
        assert!(clone.convert_to_rgb());
        assert!(
            !frame.convert_to_rgb(),
            "the clone's conversion was not shared"
        );
        assert_eq!(&frame.rgb()[..], &[7u8; 6]);
        assert_eq!(conversion.0.load(Ordering::SeqCst), 1);
        let (layout, raw) = frame.delivered();
        assert_eq!((layout, raw.len()), (PixelLayout::Yuy2, 4));
    }

    #[test]
    fn an_rgb_frame_is_delivered_as_its_rgb() {
        let rgb: Arc<[u8]> = vec![1u8; 6].into();
        let frame = Frame::new_rgb(0, Duration::ZERO, Utc::now(), 2, 1, rgb.clone());
        assert!(frame.has_rgb());
        assert!(!frame.convert_to_rgb());
        let (layout, delivered) = frame.delivered();
        assert_eq!(layout, PixelLayout::Rgb);
        assert!(Arc::ptr_eq(delivered, &rgb));
    }
}
