//! Cutting a clip out of recording segments with GStreamer, without re-encoding:
//!
//! ```text
//! per segment:  filesrc ! qtdemux ! h264parse ! appsink      (read, in order)
//! once:         appsrc ! mp4mux faststart=true ! filesink    (write)
//! ```
//!
//! The encoded frames between the window's start and end are copied across; the clip
//! begins at the keyframe at or before the start (the recorder makes one every second,
//! so at most about a second early), since frames before a keyframe cannot be decoded
//! on their own. Timestamps are moved so the clip starts at 0; each segment is placed by
//! its recorded start, so a gap between segments stays a gap in time.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::store::SegmentRecord;

/// How long writing the clip may take after the last frame (mp4mux's faststart rewrite).
const FINISH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long reading a segment may go without a frame before it counts as stuck.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error(
        "no recording covers this event (recording was off, the segment was lost, or retention deleted it)"
    )]
    NoRecording,
    #[error(
        "GStreamer cannot cut the clip: {0}. Check that gstreamer1.0-plugins-good (qtdemux, mp4mux) and -bad (h264parse) are installed"
    )]
    GStreamer(String),
}

fn gst_error(e: impl std::fmt::Display) -> ClipError {
    ClipError::GStreamer(e.to_string())
}

/// Writes the part `from..to` of `segments` (oldest first, as `segments_covering`
/// chooses them) to `out` as MP4.
pub fn cut_clip(
    segments: &[SegmentRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    out: &Path,
) -> Result<(), ClipError> {
    gst::init().map_err(gst_error)?;
    let origin = segments.first().ok_or(ClipError::NoRecording)?.started_at;
    let ns = |t: DateTime<Utc>| (t - origin).num_nanoseconds().unwrap_or(i64::MAX).max(0) as u64;
    let mut cutter = Cutter {
        start: ns(from),
        stop: ns(to),
        pending: Vec::new(),
        started: false,
        offset: 0,
        caps: None,
        writer: None,
        out: out.to_path_buf(),
    };
    for segment in segments {
        let base = ns(segment.started_at);
        let more = read_segment(&segment.path, |sample| cutter.take(sample, base))?;
        if !more {
            break;
        }
    }
    cutter.finish()
}

/// One frame read from a segment, on the clip's timeline (before the offset is taken).
struct Frame {
    buffer: gst::Buffer,
    pts: Option<u64>,
    dts: Option<u64>,
}

struct Cutter {
    start: u64,
    stop: u64,
    /// Frames from the last keyframe, held until the window's start is reached.
    pending: Vec<Frame>,
    started: bool,
    /// Subtracted from every timestamp written: the first frame's decode time.
    offset: u64,
    caps: Option<gst::Caps>,
    writer: Option<Writer>,
    out: std::path::PathBuf,
}

impl Cutter {
    /// Takes one frame; `Ok(false)` once past the window's end.
    fn take(&mut self, sample: &gst::Sample, base: u64) -> Result<bool, ClipError> {
        let Some(buffer) = sample.buffer_owned() else {
            return Ok(true);
        };
        if let Some(caps) = sample.caps() {
            match &self.caps {
                None => self.caps = Some(caps.to_owned()),
                // The camera came back at another size: a clip is one stream, stop here.
                Some(known) if !known.is_strictly_equal(caps) && self.started => {
                    log::info!("The recording changes format within a clip; the clip ends there.");
                    return Ok(false);
                }
                Some(_) => {}
            }
        }
        let frame = Frame {
            pts: buffer.pts().map(|t| t.nseconds() + base),
            dts: buffer.dts().map(|t| t.nseconds() + base),
            buffer,
        };
        let keyframe = !frame.buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
        if self.started {
            if frame.dts.or(frame.pts).unwrap_or(0) > self.stop {
                return Ok(false);
            }
            return self.write(frame).map(|()| true);
        }
        if keyframe {
            self.pending.clear();
        }
        if self.pending.is_empty() && !keyframe {
            return Ok(true); // Nothing decodable before the first keyframe.
        }
        let reached = frame.pts.unwrap_or(0) >= self.start;
        self.pending.push(frame);
        if reached {
            self.begin()?;
        }
        Ok(true)
    }

    /// The window's start is reached: the held frames from the keyframe go out first.
    fn begin(&mut self) -> Result<(), ClipError> {
        self.started = true;
        self.offset = self
            .pending
            .iter()
            .filter_map(|f| f.dts.or(f.pts))
            .min()
            .unwrap_or(0);
        for frame in std::mem::take(&mut self.pending) {
            self.write(frame)?;
        }
        Ok(())
    }

    fn write(&mut self, frame: Frame) -> Result<(), ClipError> {
        if self.writer.is_none() {
            let caps = self
                .caps
                .clone()
                .ok_or_else(|| gst_error("the recording's frames carry no format"))?;
            self.writer = Some(Writer::start(&self.out, &caps)?);
        }
        let mut buffer = frame.buffer;
        {
            let b = buffer.make_mut();
            let shift = |t: Option<u64>| {
                t.map(|t| gst::ClockTime::from_nseconds(t.saturating_sub(self.offset)))
            };
            b.set_pts(shift(frame.pts));
            b.set_dts(shift(frame.dts));
        }
        let writer = self.writer.as_ref().expect("started above");
        writer.appsrc.push_buffer(buffer).map_err(gst_error)?;
        Ok(())
    }

    fn finish(mut self) -> Result<(), ClipError> {
        // The recording ends before the window's start: what there is near it.
        if !self.started && !self.pending.is_empty() {
            self.begin()?;
        }
        match self.writer.take() {
            Some(writer) => writer.finish(),
            None => Err(ClipError::NoRecording),
        }
    }
}

/// Hands every frame of one segment to `take` until it returns `false`; `Ok(false)`
/// when it did.
fn read_segment(
    path: &Path,
    mut take: impl FnMut(&gst::Sample) -> Result<bool, ClipError>,
) -> Result<bool, ClipError> {
    let pipeline = gst::parse::launch(
        "filesrc name=src ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! appsink name=sink sync=false",
    )
    .map_err(gst_error)?
    .downcast::<gst::Pipeline>()
    .map_err(|_| gst_error("the reading pipeline is not a pipeline"))?;
    let element = |name: &str| {
        pipeline
            .by_name(name)
            .ok_or_else(|| gst_error(format!("the reading pipeline has no {name}")))
    };
    element("src")?.set_property("location", path.to_string_lossy().as_ref());
    let sink = element("sink")?
        .downcast::<gst_app::AppSink>()
        .map_err(|_| gst_error("sink is not an appsink"))?;
    let _running = Running::start(&pipeline)?;
    let wait = gst::ClockTime::from_nseconds(READ_TIMEOUT.as_nanos() as u64);
    loop {
        let Some(sample) = sink.try_pull_sample(wait) else {
            if let Some(problem) = bus_error(&pipeline) {
                return Err(ClipError::GStreamer(format!(
                    "reading {}: {problem}",
                    path.display()
                )));
            }
            if sink.is_eos() {
                return Ok(true);
            }
            return Err(ClipError::GStreamer(format!(
                "reading {} stalled for {} s",
                path.display(),
                READ_TIMEOUT.as_secs()
            )));
        };
        if !take(&sample)? {
            return Ok(false);
        }
    }
}

/// `appsrc ! mp4mux ! filesink`.
struct Writer {
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
    _running: Running,
}

impl Writer {
    fn start(out: &Path, caps: &gst::Caps) -> Result<Writer, ClipError> {
        let appsrc = gst_app::AppSrc::builder()
            .format(gst::Format::Time)
            .caps(caps)
            .is_live(false)
            .block(true)
            .build();
        let mux = gst::ElementFactory::make("mp4mux")
            // The index first, so a browser plays the clip while it downloads.
            .property("faststart", true)
            .build()
            .map_err(gst_error)?;
        let sink = gst::ElementFactory::make("filesink")
            .property("location", out.to_string_lossy().as_ref())
            .build()
            .map_err(gst_error)?;
        let pipeline = gst::Pipeline::new();
        pipeline
            .add_many([appsrc.upcast_ref(), &mux, &sink])
            .map_err(gst_error)?;
        // Asked for by name: left to `link`, mp4mux hands out an audio pad first.
        let video = mux
            .request_pad_simple("video_%u")
            .ok_or_else(|| gst_error("mp4mux has no video pad"))?;
        appsrc
            .static_pad("src")
            .ok_or_else(|| gst_error("appsrc has no src pad"))?
            .link(&video)
            .map_err(gst_error)?;
        mux.link(&sink).map_err(gst_error)?;
        let running = Running::start(&pipeline)?;
        Ok(Writer {
            pipeline,
            appsrc,
            _running: running,
        })
    }

    /// Ends the stream and waits until the file is written.
    fn finish(self) -> Result<(), ClipError> {
        self.appsrc.end_of_stream().map_err(gst_error)?;
        let bus = self
            .pipeline
            .bus()
            .ok_or_else(|| gst_error("the writing pipeline has no bus"))?;
        let timeout = gst::ClockTime::from_nseconds(FINISH_TIMEOUT.as_nanos() as u64);
        match bus.timed_pop_filtered(timeout, &[gst::MessageType::Eos, gst::MessageType::Error]) {
            Some(message) => match message.view() {
                gst::MessageView::Eos(_) => Ok(()),
                gst::MessageView::Error(e) => Err(gst_error(e.error())),
                _ => Ok(()),
            },
            None => Err(gst_error(format!(
                "writing the clip did not finish within {} s",
                FINISH_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// A pipeline set to PLAYING, set back to NULL when dropped (also on an early return).
struct Running(gst::Pipeline);

impl Running {
    fn start(pipeline: &gst::Pipeline) -> Result<Running, ClipError> {
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| match bus_error(pipeline) {
                Some(problem) => gst_error(problem),
                None => gst_error("the pipeline would not start"),
            })?;
        Ok(Running(pipeline.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.set_state(gst::State::Null);
    }
}

fn bus_error(pipeline: &gst::Pipeline) -> Option<String> {
    let message = pipeline.bus()?.pop_filtered(&[gst::MessageType::Error])?;
    match message.view() {
        gst::MessageView::Error(e) => Some(format!(
            "{}{}",
            e.error(),
            e.debug().map(|d| format!(" ({d})")).unwrap_or_default()
        )),
        _ => None,
    }
}
