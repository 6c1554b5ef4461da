//! A V4L2 camera (a USB webcam) as a frame source.
//!
//! Kept thin: opening, format negotiation and memory-mapped streaming through the `v4l`
//! crate. The decisions (which format, how to convert) live in pure modules with tests,
//! since no test machine has a camera.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use v4l::buffer::Type;
use v4l::frameinterval::FrameIntervalEnum;
use v4l::framesize::FrameSizeEnum;
use v4l::io::mmap::Stream as MmapStream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::video::capture::Parameters;
use v4l::{Device, Format, FourCC};

use super::mjpeg::decode_mjpeg_pooled;
use super::pixel_format::{CameraMode, CameraPixelFormat, WantedMode, choose_pixel_format};
use super::yuyv::{YuyvToRgb, yuyv_to_rgb_into};
use super::{CaptureError, FrameSource};
use crate::buffer_pool::BufferPool;
use crate::config::CaptureConfig;
use crate::frame::Frame;

/// Kernel buffers in flight: enough to ride out a slow consumer for a few frames.
const BUFFER_COUNT: u32 = 4;
/// A camera that sends nothing for this long is treated as lost.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Webcams send a few broken frames after start; this many in a row means it is broken.
const MAX_CONSECUTIVE_BAD_FRAMES: u32 = 30;

/// The format the camera agreed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NegotiatedFormat {
    pub format: CameraPixelFormat,
    pub width: u32,
    pub height: u32,
    /// Bytes from one row to the next (YUYV only; MJPEG frames are compressed).
    pub stride: u32,
}

pub struct V4l2Source {
    config: CaptureConfig,
    /// `None` after the camera was lost, until `reopen` succeeds.
    stream: Option<MmapStream<'static>>,
    negotiated: NegotiatedFormat,
    /// Origin of `pts`; kept across reopens so a gap in frames shows as a gap in time.
    opened_at: Instant,
    next_seq: u64,
    bad_frames_in_a_row: u32,
    /// Frames that could not be decoded and were skipped, since opening.
    pub skipped_frames: u64,
    /// The frames' buffers, reused once the analysis and the recorder let go.
    buffers: BufferPool,
    /// YUYV frames are kept as they came and converted when analysed.
    yuyv: Arc<YuyvToRgb>,
}

impl V4l2Source {
    pub fn open(config: &CaptureConfig) -> Result<Self, CaptureError> {
        let (stream, negotiated) = start_streaming(config)?;
        log::info!(
            "Camera {} streams {} at {}x{}.",
            config.device.display(),
            negotiated.format,
            negotiated.width,
            negotiated.height
        );
        Ok(Self {
            config: config.clone(),
            stream: Some(stream),
            negotiated,
            opened_at: Instant::now(),
            next_seq: 0,
            bad_frames_in_a_row: 0,
            skipped_frames: 0,
            buffers: BufferPool::new(),
            yuyv: Arc::default(),
        })
    }

    pub fn negotiated(&self) -> NegotiatedFormat {
        self.negotiated
    }

    fn device(&self) -> &Path {
        &self.config.device
    }

    fn lost(&mut self, reason: String) -> CaptureError {
        close_stream(self.stream.take());
        CaptureError::Disconnected {
            device: self.device().to_path_buf(),
            reason,
        }
    }
}

impl FrameSource for V4l2Source {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return Err(CaptureError::Disconnected {
                    device: self.device().to_path_buf(),
                    reason: "the camera was lost and has not been reopened yet".into(),
                });
            };
            let decoded = match CaptureStream::next(stream) {
                Ok((buffer, meta)) => {
                    let used = (meta.bytesused as usize).min(buffer.len());
                    take_camera_frame(self.negotiated, &buffer[..used], &mut self.buffers)
                }
                Err(e) => return Err(self.lost(e.to_string())),
            };
            let pts = self.opened_at.elapsed();
            match decoded {
                Ok((width, height, pixels)) => {
                    self.bad_frames_in_a_row = 0;
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    let now = Utc::now();
                    return Ok(Some(match pixels {
                        CameraPixels::Rgb(rgb) => Frame::new_rgb(seq, pts, now, width, height, rgb),
                        CameraPixels::Yuyv(raw) => {
                            Frame::new_raw(seq, pts, now, width, height, raw, self.yuyv.clone())
                        }
                    }));
                }
                Err(reason) => {
                    self.skipped_frames += 1;
                    self.bad_frames_in_a_row += 1;
                    log::warn!(
                        "Camera {} sent a frame that cannot be decoded ({reason}); skipping it.",
                        self.device().display()
                    );
                    if self.bad_frames_in_a_row >= MAX_CONSECUTIVE_BAD_FRAMES {
                        return Err(self.lost(format!(
                            "{MAX_CONSECUTIVE_BAD_FRAMES} frames in a row could not be decoded"
                        )));
                    }
                }
            }
        }
    }

    fn describe(&self) -> String {
        let n = self.negotiated;
        format!(
            "camera {} ({} {}x{})",
            self.device().display(),
            n.format,
            n.width,
            n.height
        )
    }

    /// Opens the device again after it was lost; the format may differ if another camera
    /// was plugged in.
    fn reopen(&mut self) -> Result<(), CaptureError> {
        close_stream(self.stream.take());
        let (stream, negotiated) = start_streaming(&self.config)?;
        self.stream = Some(stream);
        self.negotiated = negotiated;
        self.bad_frames_in_a_row = 0;
        log::info!("Camera {} is back.", self.device().display());
        Ok(())
    }
}

/// A camera buffer as the frame keeps it.
enum CameraPixels {
    Rgb(Arc<[u8]>),
    /// YUYV without row padding, converted when analysed (`YuyvToRgb`).
    Yuyv(Arc<[u8]>),
}

/// Copies one buffer from the camera into a buffer of `pool`: YUYV as it came where the
/// recorder can take it so, anything else (MJPEG, padded rows) decoded to RGB now.
fn take_camera_frame(
    negotiated: NegotiatedFormat,
    data: &[u8],
    pool: &mut BufferPool,
) -> Result<(u32, u32, CameraPixels), String> {
    let NegotiatedFormat {
        format,
        width,
        height,
        stride,
    } = negotiated;
    if format == CameraPixelFormat::Yuyv && YuyvToRgb::keeps(width, stride) {
        let raw = YuyvToRgb::copy_frame(data, width, height, pool).map_err(|e| e.to_string())?;
        return Ok((width, height, CameraPixels::Yuyv(raw)));
    }
    let (width, height, rgb) = decode_camera_frame(negotiated, data, pool)?;
    Ok((width, height, CameraPixels::Rgb(rgb)))
}

/// Converts one buffer from the camera into (width, height, packed RGB in a buffer of
/// `pool`).
pub fn decode_camera_frame(
    negotiated: NegotiatedFormat,
    data: &[u8],
    pool: &mut BufferPool,
) -> Result<(u32, u32, Arc<[u8]>), String> {
    match negotiated.format {
        CameraPixelFormat::Mjpeg => decode_mjpeg_pooled(data, pool).map_err(|e| e.to_string()),
        CameraPixelFormat::Yuyv => {
            let NegotiatedFormat {
                width,
                height,
                stride,
                ..
            } = negotiated;
            let len = width as usize * height as usize * 3;
            let rgb = pool
                .fill(len, |dst| {
                    yuyv_to_rgb_into(data, width, height, stride as usize, dst)
                })
                .map_err(|e| e.to_string())?;
            Ok((width, height, rgb))
        }
    }
}

fn start_streaming(
    config: &CaptureConfig,
) -> Result<(MmapStream<'static>, NegotiatedFormat), CaptureError> {
    let device_path = &config.device;
    let open_error = |source| CaptureError::CameraOpen {
        device: device_path.clone(),
        source,
    };
    let format_error = |reason: String| CaptureError::CameraFormat {
        device: device_path.clone(),
        reason,
    };

    let device = Device::with_path(device_path).map_err(open_error)?;
    let caps = device.query_caps().map_err(open_error)?;
    if !caps
        .capabilities
        .contains(v4l::capability::Flags::VIDEO_CAPTURE | v4l::capability::Flags::STREAMING)
    {
        return Err(format_error(format!(
            "{} ({}) is not a streaming video capture device",
            caps.card, caps.driver
        )));
    }

    let wanted = WantedMode {
        preference: config.format,
        width: config.width,
        height: config.height,
        fps: config.fps,
    };
    let offered = offered_modes(&device, &wanted).map_err(open_error)?;
    let format = choose_pixel_format(wanted, &offered).map_err(|e| format_error(e.to_string()))?;

    let asked = Format::new(config.width, config.height, FourCC::new(&format.fourcc()));
    let actual = device
        .set_format(&asked)
        .map_err(|e| format_error(format!("setting {format}: {e}")))?;
    if actual.fourcc.repr != format.fourcc() {
        return Err(format_error(format!(
            "asked for {format}, the driver chose {}",
            actual.fourcc
        )));
    }
    if (actual.width, actual.height) != (config.width, config.height) {
        log::warn!(
            "Camera {} cannot do {}x{}; it delivers {}x{}.",
            device_path.display(),
            config.width,
            config.height,
            actual.width,
            actual.height
        );
    }
    // Some drivers have no rate control; the camera then runs at its own rate.
    if let Err(e) = device.set_params(&Parameters::with_fps(config.fps)) {
        log::warn!(
            "Camera {} refused a rate of {} fps ({e}); using its own rate.",
            device_path.display(),
            config.fps
        );
    }

    let mut stream =
        MmapStream::with_buffers(&device, Type::VideoCapture, BUFFER_COUNT).map_err(open_error)?;
    stream.set_timeout(READ_TIMEOUT);
    let stride = if actual.stride > 0 {
        actual.stride
    } else {
        actual.width * 2
    };
    Ok((
        stream,
        NegotiatedFormat {
            format,
            width: actual.width,
            height: actual.height,
            stride,
        },
    ))
}

/// The MJPEG and YUYV sizes the camera offers, with the fastest rate at the wanted size.
fn offered_modes(device: &Device, wanted: &WantedMode) -> std::io::Result<Vec<CameraMode>> {
    let mut modes = Vec::new();
    for description in device.enum_formats()? {
        let Some(format) = CameraPixelFormat::from_fourcc(description.fourcc.repr) else {
            continue;
        };
        for size in device.enum_framesizes(description.fourcc)? {
            let (width, height) = match size.size {
                FrameSizeEnum::Discrete(d) => (d.width, d.height),
                // A size range: the wanted size if it falls inside, else its largest size.
                FrameSizeEnum::Stepwise(s) => {
                    let fits = (s.min_width..=s.max_width).contains(&wanted.width)
                        && (s.min_height..=s.max_height).contains(&wanted.height);
                    if fits {
                        (wanted.width, wanted.height)
                    } else {
                        (s.max_width, s.max_height)
                    }
                }
            };
            let max_fps = if (width, height) == (wanted.width, wanted.height) {
                max_fps_at(device, description.fourcc, width, height)
            } else {
                None
            };
            modes.push(CameraMode {
                format,
                width,
                height,
                max_fps,
            });
        }
    }
    Ok(modes)
}

fn max_fps_at(device: &Device, fourcc: FourCC, width: u32, height: u32) -> Option<f64> {
    let fps = |f: v4l::Fraction| {
        (f.numerator > 0).then(|| f64::from(f.denominator) / f64::from(f.numerator))
    };
    let intervals = device.enum_frameintervals(fourcc, width, height).ok()?;
    intervals
        .into_iter()
        .filter_map(|i| match i.interval {
            FrameIntervalEnum::Discrete(f) => fps(f),
            FrameIntervalEnum::Stepwise(s) => fps(s.min),
        })
        .reduce(f64::max)
}

/// Drops a stream without letting it take the daemon down: `v4l` panics in `Drop` when
/// stopping fails with anything but ENODEV, and an unplugged camera can fail with EIO.
fn close_stream(stream: Option<MmapStream<'static>>) {
    if let Some(stream) = stream
        && std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(stream))).is_err()
    {
        log::warn!("Stopping the lost camera's stream failed; it was closed regardless.");
    }
}

impl Drop for V4l2Source {
    fn drop(&mut self) {
        close_stream(self.stream.take());
    }
}
