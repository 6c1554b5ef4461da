//! Still images (jpg, png, bmp) as frames: for `proctord detect` and for tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{CaptureError, FrameSource};
use crate::frame::Frame;

/// Loads one image into a packed RGB frame with `seq` 0 and `pts` 0, turned upright by
/// its EXIF orientation: phone photos are often stored sideways with a tag saying so, and
/// every detector scores nothing on a sideways face.
pub fn load_still(path: &Path) -> Result<Frame, CaptureError> {
    use image::ImageDecoder;
    let image_error = |source| CaptureError::Image {
        path: path.to_path_buf(),
        source,
    };
    let mut decoder = image::ImageReader::open(path)
        .map_err(|e| image_error(image::ImageError::IoError(e)))?
        .with_guessed_format()
        .map_err(|e| image_error(image::ImageError::IoError(e)))?
        .into_decoder()
        .map_err(image_error)?;
    let orientation = decoder.orientation().map_err(image_error)?;
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    image.apply_orientation(orientation);
    let rgb = image.into_rgb8();
    let (width, height) = rgb.dimensions();
    Ok(Frame::new_rgb(
        0,
        Duration::ZERO,
        Utc::now(),
        width,
        height,
        Arc::from(rgb.into_raw()),
    ))
}

/// A still image as a source: the image once, then end of input.
pub struct StillSource {
    path: PathBuf,
    frame: Option<Frame>,
}

impl StillSource {
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Ok(Self {
            path: path.to_path_buf(),
            frame: Some(load_still(path)?),
        })
    }
}

impl FrameSource for StillSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        Ok(self.frame.take())
    }

    fn describe(&self) -> String {
        format!("still image {}", self.path.display())
    }
}

/// Whether a path names an image rather than a video, by its extension.
pub fn is_still_image(path: &Path) -> bool {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(extension.as_deref(), Some("jpg" | "jpeg" | "png" | "bmp"))
}
