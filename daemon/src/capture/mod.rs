//! Capture: where frames come from. A camera (V4L2), a video file or a still image, all
//! behind [`FrameSource`], so the pipeline and the tests treat them alike.

mod error;
mod file;
mod i420;
mod mjpeg;
mod pacing;
mod packed_rgb;
mod pixel_format;
mod still;
mod v4l2;
mod yuyv;

pub use error::CaptureError;
pub use file::{Timeline, VideoFileOptions, VideoFileSource};
pub use i420::I420ToRgb;
pub use mjpeg::{decode_mjpeg, decode_mjpeg_pooled};
pub use packed_rgb::{ShortBuffer, pack_rows_into};
pub use pixel_format::{
    CameraMode, CameraPixelFormat, FormatChoiceError, WantedMode, choose_pixel_format,
};
pub use still::{StillSource, is_still_image, load_still};
pub use v4l2::{NegotiatedFormat, V4l2Source, decode_camera_frame};
pub use yuyv::{YuyvToRgb, rgb_to_yuyv, yuyv_to_rgb, yuyv_to_rgb_into};

use crate::config::{CaptureConfig, CaptureSource};
use crate::frame::Frame;

/// A producer of frames, pulled one at a time by the capture thread.
pub trait FrameSource: Send {
    /// The next frame, blocking until it is there; `None` at the end of the input.
    /// A lost camera answers [`CaptureError::Disconnected`]; call [`FrameSource::reopen`]
    /// every `capture.reconnect_interval_s` until it succeeds.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError>;

    /// What this source is, for logs and the health page.
    fn describe(&self) -> String;

    /// Opens the source again after a [`CaptureError::Disconnected`]. Only cameras come
    /// back; files and stills answer [`CaptureError::NotReopenable`].
    fn reopen(&mut self) -> Result<(), CaptureError> {
        Err(CaptureError::NotReopenable {
            described: self.describe(),
        })
    }
}

/// The source `[capture]` describes. A file source plays at the file's own rate, as a
/// camera would deliver it; `proctord analyze` builds a [`VideoFileSource`] itself to
/// decode as fast as it can.
pub fn open_source(config: &CaptureConfig) -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(match config.source {
        CaptureSource::V4l2 => Box::new(V4l2Source::open(config)?),
        CaptureSource::File if is_still_image(&config.file) => {
            Box::new(StillSource::open(&config.file)?)
        }
        CaptureSource::File => {
            let options = VideoFileOptions {
                realtime: true,
                loop_file: config.loop_file,
                // The live daemon records every frame and analyses some.
                yuv_until_analysed: true,
            };
            Box::new(VideoFileSource::open(&config.file, options)?)
        }
    })
}
