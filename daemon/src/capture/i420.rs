//! Decoded video kept as the decoder's I420 until the analysis wants RGB.
//!
//! `proctord run` on a file hands every frame to the recorder, which encodes YUV, but
//! analyses only the frames due (10 of a 15 fps file at the defaults). Converting each
//! frame to RGB in the decoding pipeline and back to I420 for the encoder was two
//! conversions per frame for one used on two thirds of them. Here a frame stays I420
//! (copied once out of the decoder's buffer into a pooled one, GStreamer's default
//! layout) and is converted by the same GStreamer converter `videoconvert` runs,
//! configured from the same caps, so the RGB is byte for byte what the pipeline gave.
//! (A webcam's YUYV is kept the same way, with its own converter: `capture::yuyv`.)

use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

use super::packed_rgb::pack_rows_into;
use crate::buffer_pool::BufferPool;
use crate::frame::{PixelLayout, RgbConversion};

/// Converts one source's I420 frames (one size and colorimetry) into packed RGB.
pub struct I420ToRgb {
    /// I420 at the frames' size in GStreamer's default layout, with the decoder's
    /// colorimetry (the matrix and range the conversion needs).
    yuv: gst_video::VideoInfo,
    rgb: gst_video::VideoInfo,
    state: Mutex<ConverterState>,
}

struct ConverterState {
    converter: gst_video::VideoConverter,
    /// The converter's output, reused: it writes rows `rgb.stride()` apart, which the
    /// frame's packed RGB may not be.
    out: gst::Buffer,
    /// The converted frames' buffers, reused once the analysis lets go of them.
    packed: BufferPool,
}

impl I420ToRgb {
    /// For decoded frames described by `decoded` (the appsink's caps: I420 at some size),
    /// with the decoder's colorimetry.
    pub fn for_decoded(decoded: &gst_video::VideoInfo) -> Result<I420ToRgb, String> {
        let i420 = gst_video::VideoInfo::builder(
            gst_video::VideoFormat::I420,
            decoded.width(),
            decoded.height(),
        )
        .colorimetry(&decoded.colorimetry())
        .chroma_site(decoded.chroma_site())
        .fps(decoded.fps())
        .par(decoded.par())
        .build()
        .map_err(|e| format!("I420 at {}x{}: {e}", decoded.width(), decoded.height()))?;
        I420ToRgb::new(i420)
    }

    fn new(yuv: gst_video::VideoInfo) -> Result<I420ToRgb, String> {
        let (width, height) = (yuv.width(), yuv.height());
        let rgb = gst_video::VideoInfo::builder(gst_video::VideoFormat::Rgb, width, height)
            .fps(yuv.fps())
            .par(yuv.par())
            .build()
            .map_err(|e| format!("RGB at {width}x{height}: {e}"))?;
        let converter = gst_video::VideoConverter::new(&yuv, &rgb, None)
            .map_err(|e| format!("no I420 to RGB converter at {width}x{height}: {e}"))?;
        let out = gst::Buffer::with_size(rgb.size())
            .map_err(|e| format!("cannot allocate {} bytes: {e}", rgb.size()))?;
        Ok(I420ToRgb {
            yuv,
            rgb,
            state: Mutex::new(ConverterState {
                converter,
                out,
                packed: BufferPool::new(),
            }),
        })
    }

    /// Whether frames described by `decoded` can go through this converter.
    pub fn fits(&self, decoded: &gst_video::VideoInfo) -> bool {
        (decoded.width(), decoded.height()) == (self.yuv.width(), self.yuv.height())
            && decoded.colorimetry() == self.yuv.colorimetry()
    }

    /// Copies a decoded frame (whatever its strides) into a buffer of `pool` in the
    /// default layout: the frame's raw pixels.
    pub fn copy_decoded(
        &self,
        decoded: &gst_video::VideoFrameRef<&gst::BufferRef>,
        pool: &mut BufferPool,
    ) -> Result<Arc<[u8]>, String> {
        let info = &self.yuv;
        pool.fill(info.size(), |dst| {
            for plane in 0..info.n_planes() {
                let src = decoded.plane_data(plane).map_err(|e| e.to_string())?;
                let src_stride = decoded.plane_stride()[plane as usize] as usize;
                let dst_stride = info.stride()[plane as usize] as usize;
                let offset = info.offset()[plane as usize];
                let rows = info.comp_height(plane as u8) as usize;
                let row_bytes = info.comp_width(plane as u8) as usize;
                let dst = &mut dst[offset..offset + dst_stride * rows];
                copy_plane(src, src_stride, dst, dst_stride, row_bytes, rows)?;
            }
            Ok(())
        })
    }
}

/// Rows of `row_bytes` from `src` (`src_stride` apart) into `dst` (`dst_stride` apart);
/// the padding of each `dst` row is zeroed, so a reused buffer holds nothing stale.
fn copy_plane(
    src: &[u8],
    src_stride: usize,
    dst: &mut [u8],
    dst_stride: usize,
    row_bytes: usize,
    rows: usize,
) -> Result<(), String> {
    if dst_stride == row_bytes {
        return pack_rows_into(src, src_stride, row_bytes, rows, dst).map_err(|e| e.to_string());
    }
    for (row, out) in dst.chunks_exact_mut(dst_stride).enumerate() {
        let start = row * src_stride;
        let line = src
            .get(start..start + row_bytes)
            .ok_or_else(|| format!("a decoded plane ends before row {row} of {rows}"))?;
        out[..row_bytes].copy_from_slice(line);
        out[row_bytes..].fill(0);
    }
    Ok(())
}

impl RgbConversion for I420ToRgb {
    fn to_rgb(&self, raw: &Arc<[u8]>, width: u32, height: u32) -> Arc<[u8]> {
        debug_assert_eq!((width, height), (self.rgb.width(), self.rgb.height()));
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let state = &mut *guard;
        // The frame's bytes wrapped, not copied.
        let src = gst::Buffer::from_slice(raw.clone());
        let src = gst_video::VideoFrameRef::from_buffer_ref_readable(src.as_ref(), &self.yuv)
            .expect("a frame's raw pixels are in the default layout at this size");
        {
            let out = state
                .out
                .get_mut()
                .expect("the converter's output buffer is never shared");
            let mut dst = gst_video::VideoFrameRef::from_buffer_ref_writable(out, &self.rgb)
                .expect("the output buffer is allocated at the RGB size");
            state.converter.frame_ref(&src, &mut dst);
        }
        let out = state
            .out
            .map_readable()
            .expect("the converter's output buffer is readable");
        let stride = self.rgb.stride()[0] as usize;
        let row_bytes = width as usize * 3;
        state
            .packed
            .fill(row_bytes * height as usize, |dst| {
                pack_rows_into(&out, stride, row_bytes, height as usize, dst)
            })
            .expect("the output buffer holds every row")
    }

    fn layout(&self) -> PixelLayout {
        PixelLayout::I420
    }
}
