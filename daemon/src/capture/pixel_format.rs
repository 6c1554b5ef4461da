//! Which pixel format to ask a camera for, given what it offers and what is configured.
//!
//! Over USB 2 a webcam's YUYV usually reaches full rate only at small sizes, while MJPEG
//! keeps the rate at every size; so `auto` prefers a format that delivers the configured
//! size at the configured rate, and YUYV among equals: a YUYV frame needs no decoding (the
//! recorder takes it as it came, and only analysed frames are converted to RGB), where an
//! MJPEG frame is decoded in software, every frame (`cargo bench --bench camera_frames`).

use std::fmt;

use crate::config::PixelFormatPref;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CameraPixelFormat {
    Mjpeg,
    Yuyv,
}

impl CameraPixelFormat {
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            Self::Mjpeg => *b"MJPG",
            Self::Yuyv => *b"YUYV",
        }
    }

    pub fn from_fourcc(fourcc: [u8; 4]) -> Option<Self> {
        match &fourcc {
            b"MJPG" => Some(Self::Mjpeg),
            b"YUYV" => Some(Self::Yuyv),
            _ => None,
        }
    }
}

impl fmt::Display for CameraPixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mjpeg => "MJPEG",
            Self::Yuyv => "YUYV",
        })
    }
}

/// One format and size a camera offers, with the fastest rate it offers there if known.
#[derive(Clone, Debug, PartialEq)]
pub struct CameraMode {
    pub format: CameraPixelFormat,
    pub width: u32,
    pub height: u32,
    pub max_fps: Option<f64>,
}

/// What the configuration asks of the camera.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WantedMode {
    pub preference: PixelFormatPref,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatChoiceError {
    #[error("it offers neither MJPEG nor YUYV, the formats proctord decodes")]
    NothingDecodable,
    #[error("it does not offer {wanted} (it offers {offered}); set capture.format = \"auto\"")]
    NotOffered {
        wanted: CameraPixelFormat,
        offered: CameraPixelFormat,
    },
}

/// The format to configure. The size and rate are then asked for as configured; the
/// driver may adjust them, and frames carry their real size.
pub fn choose_pixel_format(
    wanted: WantedMode,
    offered: &[CameraMode],
) -> Result<CameraPixelFormat, FormatChoiceError> {
    let forced = match wanted.preference {
        PixelFormatPref::Auto => None,
        PixelFormatPref::Mjpeg => Some(CameraPixelFormat::Mjpeg),
        PixelFormatPref::Yuyv => Some(CameraPixelFormat::Yuyv),
    };
    if let Some(format) = forced {
        if offered.iter().any(|mode| mode.format == format) {
            return Ok(format);
        }
        return Err(match offered.first() {
            Some(other) => FormatChoiceError::NotOffered {
                wanted: format,
                offered: other.format,
            },
            None => FormatChoiceError::NothingDecodable,
        });
    }
    offered
        .iter()
        .max_by_key(|mode| {
            let right_size = mode.width == wanted.width && mode.height == wanted.height;
            // Rates are often reported as 1/30.000 intervals: allow for rounding.
            let fast_enough = mode
                .max_fps
                .is_none_or(|max| max + 0.01 >= f64::from(wanted.fps));
            (
                right_size && fast_enough,
                right_size,
                mode.format == CameraPixelFormat::Yuyv,
            )
        })
        .map(|mode| mode.format)
        .ok_or(FormatChoiceError::NothingDecodable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CameraPixelFormat::{Mjpeg, Yuyv};

    fn mode(format: CameraPixelFormat, width: u32, height: u32, max_fps: f64) -> CameraMode {
        CameraMode {
            format,
            width,
            height,
            max_fps: Some(max_fps),
        }
    }

    fn wanted(preference: PixelFormatPref) -> WantedMode {
        WantedMode {
            preference,
            width: 1280,
            height: 720,
            fps: 15,
        }
    }

    /// A typical USB 2 webcam: YUYV reaches 30 fps only at 640×480.
    fn usb2_webcam() -> Vec<CameraMode> {
        vec![
            mode(Yuyv, 640, 480, 30.0),
            mode(Yuyv, 1280, 720, 10.0),
            mode(Mjpeg, 640, 480, 30.0),
            mode(Mjpeg, 1280, 720, 30.0),
        ]
    }

    #[test]
    fn auto_prefers_yuyv_when_it_gives_the_size_and_rate() {
        let vga = WantedMode {
            width: 640,
            height: 480,
            ..wanted(PixelFormatPref::Auto)
        };
        assert_eq!(choose_pixel_format(vga, &usb2_webcam()), Ok(Yuyv));
    }

    #[test]
    fn auto_takes_mjpeg_where_yuyv_is_too_slow_at_the_size() {
        // 1280×720@15: the webcam's YUYV gives 10 fps there, its MJPEG 30.
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &usb2_webcam()),
            Ok(Mjpeg)
        );
    }

    #[test]
    fn auto_takes_yuyv_when_only_yuyv_gives_the_size_and_rate() {
        let offered = [mode(Yuyv, 1280, 720, 30.0), mode(Mjpeg, 1920, 1080, 30.0)];
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &offered),
            Ok(Yuyv)
        );
    }

    #[test]
    fn auto_prefers_the_right_rate_over_mjpeg() {
        let offered = [mode(Mjpeg, 1280, 720, 5.0), mode(Yuyv, 1280, 720, 15.0)];
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &offered),
            Ok(Yuyv)
        );
    }

    #[test]
    fn auto_takes_a_camera_that_reports_no_rates_at_its_word() {
        let offered = [CameraMode {
            format: Yuyv,
            width: 1280,
            height: 720,
            max_fps: None,
        }];
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &offered),
            Ok(Yuyv)
        );
    }

    #[test]
    fn auto_settles_for_another_size_rather_than_failing() {
        let offered = [mode(Yuyv, 320, 240, 30.0)];
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &offered),
            Ok(Yuyv)
        );
    }

    #[test]
    fn a_forced_format_is_taken_even_when_slower() {
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Yuyv), &usb2_webcam()),
            Ok(Yuyv)
        );
    }

    #[test]
    fn a_forced_format_the_camera_lacks_is_an_error_naming_what_it_has() {
        let offered = [mode(Yuyv, 1280, 720, 30.0)];
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Mjpeg), &offered),
            Err(FormatChoiceError::NotOffered {
                wanted: Mjpeg,
                offered: Yuyv
            })
        );
    }

    #[test]
    fn a_camera_with_neither_format_is_an_error() {
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Auto), &[]),
            Err(FormatChoiceError::NothingDecodable)
        );
        assert_eq!(
            choose_pixel_format(wanted(PixelFormatPref::Mjpeg), &[]),
            Err(FormatChoiceError::NothingDecodable)
        );
    }
}
