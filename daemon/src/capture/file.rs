//! Video files (mp4, mkv, anything GStreamer decodes) as a frame source.
//!
//! `uridecodebin ! videoconvert ! video/x-raw,format=RGB ! appsink`. The appsink holds at
//! most a couple of frames, so decoding runs only as fast as frames are taken.
//!
//! With `VideoFileOptions::yuv_until_analysed` (`proctord run`) the appsink takes I420
//! instead (the decoder's own format: `videoconvert` passes it through) and a frame is
//! converted to RGB only when the analysis asks (`capture::i420`); the recorder encodes
//! the I420 as it is.
//!
//! Opened with a `FrameSelector` (`proctord analyze`), frames the analysis would skip are
//! dropped before `videoconvert`, so they are never converted to RGB nor copied; the
//! source still counts them and their times (`Timeline`), so the input's length and
//! frame count come out as if every frame had been delivered.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

use super::i420::I420ToRgb;
use super::pacing::Pacer;
use super::packed_rgb::pack_rows_into;
use super::{CaptureError, FrameSource};
use crate::buffer_pool::BufferPool;
use crate::frame::Frame;
use crate::pipeline::FrameSelector;

/// Every decoded frame of the input, delivered or dropped before conversion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    pub frames: u64,
    /// Frames dropped before conversion because they were not due for analysis.
    pub dropped: u64,
    /// The latest frame time seen, and the last positive gap between frame times.
    pub last_pts: Duration,
    pub last_interval: Duration,
}

impl Timeline {
    fn saw(&mut self, pts: Duration) {
        self.frames += 1;
        if pts > self.last_pts {
            self.last_interval = pts - self.last_pts;
        }
        self.last_pts = self.last_pts.max(pts);
    }
}

/// What the pad probe before `videoconvert` shares with the source.
#[derive(Default)]
struct Selection {
    selector: Option<FrameSelector>,
    timeline: Timeline,
}

/// How long opening may take to decode the first frame before the file is declared unplayable.
const PREROLL_TIMEOUT: gst::ClockTime = gst::ClockTime::from_seconds(10);
/// How long one wait for a decoded frame lasts before the bus is checked for errors.
const PULL_TIMEOUT: gst::ClockTime = gst::ClockTime::from_mseconds(100);
/// Frame interval assumed when neither the caps nor the buffer say (only used to keep
/// timestamps increasing across loops).
const FALLBACK_FRAME_INTERVAL: Duration = Duration::from_millis(33);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoFileOptions {
    /// Release frames at the file's own rate (live demo) instead of as fast as they decode.
    pub realtime: bool,
    /// Start again at the end; timestamps keep increasing across loops.
    pub loop_file: bool,
    /// Deliver the decoder's I420 and convert to RGB only the frames that are analysed
    /// (see the module comment); otherwise every delivered frame is RGB.
    pub yuv_until_analysed: bool,
}

pub struct VideoFileSource {
    path: PathBuf,
    options: VideoFileOptions,
    pipeline: gst::Pipeline,
    appsink: gst_app::AppSink,
    frame_rate: Option<gst::Fraction>,
    pacer: Pacer,
    next_seq: u64,
    /// Added to the file's timestamps: the total length of the loops played so far.
    loop_offset: Duration,
    /// End of the last frame handed out (pts + its duration), where the next loop starts.
    last_frame_end: Duration,
    frames_this_loop: u64,
    selection: Arc<Mutex<Selection>>,
    /// The frames' pixel buffers, reused once the analysis and the recorder let go.
    buffers: BufferPool,
    /// I420 → RGB for the current size, with `yuv_until_analysed`.
    to_rgb: Option<Arc<I420ToRgb>>,
}

impl VideoFileSource {
    /// Opens the file and decodes up to its first frame, so an unplayable file fails here.
    pub fn open(path: &Path, options: VideoFileOptions) -> Result<Self, CaptureError> {
        Self::open_selecting(path, options, None)
    }

    /// As `open`, delivering only the frames `selector` takes (see the module comment).
    /// Not for a looping source: its times start again at each loop.
    pub fn open_selecting(
        path: &Path,
        options: VideoFileOptions,
        selector: Option<FrameSelector>,
    ) -> Result<Self, CaptureError> {
        if !path.is_file() {
            return Err(CaptureError::FileNotFound {
                path: path.to_path_buf(),
            });
        }
        gst::init().map_err(|e| CaptureError::GStreamer(e.to_string()))?;
        let selection = Arc::new(Mutex::new(Selection {
            selector: selector.filter(|_| !options.loop_file),
            timeline: Timeline::default(),
        }));
        let (pipeline, appsink) =
            build_pipeline(path, selection.clone(), options.yuv_until_analysed)?;
        let mut source = Self {
            path: path.to_path_buf(),
            options,
            pipeline,
            appsink,
            frame_rate: None,
            pacer: Pacer::default(),
            next_seq: 0,
            buffers: BufferPool::new(),
            to_rgb: None,
            loop_offset: Duration::ZERO,
            last_frame_end: Duration::ZERO,
            frames_this_loop: 0,
            selection,
        };
        source.preroll()?;
        Ok(source)
    }

    /// Frames per second as the file declares it; `None` for variable-rate files.
    pub fn frame_rate(&self) -> Option<f64> {
        self.frame_rate
            .filter(|f| f.numer() > 0 && f.denom() > 0)
            .map(|f| f.numer() as f64 / f.denom() as f64)
    }

    /// Every frame decoded so far (see `Timeline`); meaningful for a source that does not
    /// loop.
    pub fn timeline(&self) -> Timeline {
        self.selection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .timeline
    }

    fn frame_interval(&self) -> Option<Duration> {
        self.frame_rate()
            .map(|fps| Duration::from_secs_f64(1.0 / fps))
    }

    fn preroll(&mut self) -> Result<(), CaptureError> {
        let unplayable = |reason: String| CaptureError::UnsupportedFile {
            path: self.path.clone(),
            reason,
        };
        if self.pipeline.set_state(gst::State::Paused).is_err() {
            return Err(unplayable(
                self.bus_error()
                    .unwrap_or_else(|| "the pipeline refused to start".into()),
            ));
        }
        let (result, state, _pending) = self.pipeline.state(PREROLL_TIMEOUT);
        if result.is_err() || state != gst::State::Paused {
            let reason = self
                .bus_error()
                .unwrap_or_else(|| "no frame could be decoded within 10 s".into());
            return Err(unplayable(reason));
        }
        let caps = self
            .appsink
            .static_pad("sink")
            .and_then(|pad| pad.current_caps());
        self.frame_rate = caps
            .and_then(|caps| gst_video::VideoInfo::from_caps(&caps).ok())
            .map(|info| info.fps());
        if self.pipeline.set_state(gst::State::Playing).is_err() {
            return Err(unplayable(
                self.bus_error()
                    .unwrap_or_else(|| "the pipeline refused to play".into()),
            ));
        }
        Ok(())
    }

    /// The first error GStreamer posted, as text for an operator.
    fn bus_error(&self) -> Option<String> {
        let bus = self.pipeline.bus()?;
        let message = bus.pop_filtered(&[gst::MessageType::Error])?;
        match message.view() {
            gst::MessageView::Error(error) => Some(match error.debug() {
                Some(debug) => format!("{} ({debug})", error.error()),
                None => error.error().to_string(),
            }),
            _ => None,
        }
    }

    /// Back to the first frame; the next loop's timestamps follow the last frame's end.
    fn restart(&mut self) -> Result<(), CaptureError> {
        self.loop_offset = self.last_frame_end;
        self.frames_this_loop = 0;
        self.pipeline
            .seek_simple(
                gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
                gst::ClockTime::ZERO,
            )
            .map_err(|e| CaptureError::Decode {
                path: self.path.clone(),
                reason: format!("cannot seek back to the start: {e}"),
            })
    }

    fn sample_to_frame(&mut self, sample: &gst::Sample) -> Result<Frame, CaptureError> {
        let decode_error = |reason: String| CaptureError::Decode {
            path: self.path.clone(),
            reason,
        };
        let caps = sample
            .caps()
            .ok_or_else(|| decode_error("a decoded frame came without caps".into()))?;
        let info =
            gst_video::VideoInfo::from_caps(caps).map_err(|e| decode_error(e.to_string()))?;
        let buffer = sample
            .buffer()
            .ok_or_else(|| decode_error("a sample came without a buffer".into()))?;
        let video_frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
            .map_err(|e| decode_error(e.to_string()))?;
        let (width, height) = (info.width(), info.height());
        let pixels = if info.format() == gst_video::VideoFormat::I420 {
            let to_rgb = match &self.to_rgb {
                Some(c) if c.fits(&info) => c.clone(),
                _ => {
                    let c = Arc::new(I420ToRgb::for_decoded(&info).map_err(decode_error)?);
                    self.to_rgb = Some(c.clone());
                    c
                }
            };
            let raw = to_rgb
                .copy_decoded(&video_frame, &mut self.buffers)
                .map_err(decode_error)?;
            Pixels::I420(raw, to_rgb)
        } else {
            let stride = video_frame.plane_stride()[0] as usize;
            let plane = video_frame
                .plane_data(0)
                .map_err(|e| decode_error(e.to_string()))?;
            let row_bytes = width as usize * 3;
            let packed = self
                .buffers
                .fill(row_bytes * height as usize, |dst| {
                    pack_rows_into(plane, stride, row_bytes, height as usize, dst)
                })
                .map_err(|e| decode_error(e.to_string()))?;
            Pixels::Rgb(packed)
        };

        // Stream time, not the raw buffer PTS: a file whose edit list skips the B-frame
        // delay has raw timestamps that start later than 0, while its position starts at 0.
        let segment = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::ClockTime>());
        let stream_time = buffer
            .pts()
            .and_then(|pts| segment.map_or(Some(pts), |s| s.to_stream_time(pts)));
        let file_pts = stream_time.map(Duration::from).unwrap_or_else(|| {
            // A file without timestamps: count frames instead.
            self.frame_interval().unwrap_or(FALLBACK_FRAME_INTERVAL) * self.frames_this_loop as u32
        });
        let frame_duration = buffer
            .duration()
            .map(Duration::from)
            .or_else(|| self.frame_interval())
            .unwrap_or(FALLBACK_FRAME_INTERVAL);
        let pts = self.loop_offset + file_pts;
        self.last_frame_end = self.last_frame_end.max(pts + frame_duration);
        self.frames_this_loop += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        Ok(match pixels {
            Pixels::Rgb(rgb) => Frame::new_rgb(seq, pts, Utc::now(), width, height, rgb),
            Pixels::I420(raw, to_rgb) => {
                Frame::new_raw(seq, pts, Utc::now(), width, height, raw, to_rgb)
            }
        })
    }
}

impl FrameSource for VideoFileSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        loop {
            if let Some(reason) = self.bus_error() {
                return Err(CaptureError::Decode {
                    path: self.path.clone(),
                    reason,
                });
            }
            if let Some(sample) = self.appsink.try_pull_sample(PULL_TIMEOUT) {
                let frame = self.sample_to_frame(&sample)?;
                if self.options.realtime {
                    self.pacer.wait_for(frame.pts);
                }
                return Ok(Some(frame));
            }
            if self.appsink.is_eos() {
                // A loop that produced nothing would spin forever.
                if !self.options.loop_file || self.frames_this_loop == 0 {
                    return Ok(None);
                }
                self.restart()?;
            }
        }
    }

    fn describe(&self) -> String {
        let mode = match (self.options.realtime, self.options.loop_file) {
            (true, true) => ", real time, looping",
            (true, false) => ", real time",
            (false, true) => ", looping",
            (false, false) => "",
        };
        format!("video file {}{mode}", self.path.display())
    }
}

impl Drop for VideoFileSource {
    fn drop(&mut self) {
        // Stops the streaming threads; errors here have nobody left to report to.
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// A decoded frame's pixels as delivered.
enum Pixels {
    Rgb(Arc<[u8]>),
    I420(Arc<[u8]>, Arc<I420ToRgb>),
}

fn build_pipeline(
    path: &Path,
    selection: Arc<Mutex<Selection>>,
    yuv: bool,
) -> Result<(gst::Pipeline, gst_app::AppSink), CaptureError> {
    let gst_error = |e: &dyn std::fmt::Display| CaptureError::GStreamer(e.to_string());
    let absolute = std::path::absolute(path).map_err(|e| gst_error(&e))?;
    let uri = gst::glib::filename_to_uri(&absolute, None).map_err(|e| gst_error(&e))?;

    let decoder = gst::ElementFactory::make("uridecodebin")
        .property("uri", uri.as_str())
        .build()
        .map_err(|e| gst_error(&e))?;
    let convert = gst::ElementFactory::make("videoconvert")
        .build()
        .map_err(|e| gst_error(&e))?;
    let caps = gst_video::VideoCapsBuilder::new()
        .format(if yuv {
            gst_video::VideoFormat::I420
        } else {
            gst_video::VideoFormat::Rgb
        })
        .build();
    // Two queued frames keep the decoder busy without buffering the whole file.
    let appsink = gst_app::AppSink::builder()
        .caps(&caps)
        .max_buffers(2)
        .drop(false)
        .sync(false)
        .build();

    let pipeline = gst::Pipeline::new();
    pipeline
        .add_many([&decoder, &convert, appsink.upcast_ref()])
        .map_err(|e| gst_error(&e))?;
    convert.link(&appsink).map_err(|e| gst_error(&e))?;

    // Only the first video stream is linked; audio and further streams stay unlinked,
    // which decodebin tolerates as long as one stream is consumed.
    let convert_sink = convert
        .static_pad("sink")
        .expect("videoconvert has a sink pad");
    convert_sink.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let Some(pts) = info.buffer().and_then(|b| b.pts()) else {
            return gst::PadProbeReturn::Ok; // untimed: counted by the source itself
        };
        // The same stream time `sample_to_frame` gives the frame.
        let stream_time = pad
            .sticky_event::<gst::event::Segment>(0)
            .and_then(|ev| {
                ev.segment()
                    .downcast_ref::<gst::ClockTime>()
                    .and_then(|s| s.to_stream_time(pts))
            })
            .unwrap_or(pts);
        let pts = Duration::from(stream_time);
        let mut sel = selection.lock().unwrap_or_else(|p| p.into_inner());
        sel.timeline.saw(pts);
        let due = sel.selector.as_mut().is_none_or(|s| s.take(pts));
        if due {
            gst::PadProbeReturn::Ok
        } else {
            sel.timeline.dropped += 1;
            gst::PadProbeReturn::Drop
        }
    });
    let sink_for_pads = convert_sink.clone();
    decoder.connect_pad_added(move |_, pad| {
        let is_video = pad
            .current_caps()
            .and_then(|caps| caps.structure(0).map(|s| s.name().starts_with("video/")))
            .unwrap_or(false);
        if is_video && !sink_for_pads.is_linked() {
            let _ = pad.link(&sink_for_pads);
        }
    });
    decoder.connect_no_more_pads(move |decoder| {
        if !convert_sink.is_linked() {
            gst::element_error!(
                decoder,
                gst::StreamError::WrongType,
                ["the file has no video stream"]
            );
        }
    });
    Ok((pipeline, appsink))
}
