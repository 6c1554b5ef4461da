//! [`Recorder`]: one session's recording, fed frame by frame by the capture thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;
use uuid::Uuid;

use super::bus::{BusState, BusWatch};
use super::disk_space::free_space_mib;
use super::encoder::{choose_encoder, set_keyframe_interval};
use super::frame_rate::{DEFAULT_FPS, nominal_fps};
use super::pipeline::{MAX_QUEUED_FRAMES, PipelineSettings, RecordingPipeline, build_pipeline};
use super::segment::{SegmentFinished, next_segment_index};
use super::{RecordError, RecordingConfig};
use crate::frame::{Frame, PixelLayout};

/// How long `finish` waits for the last segment to be closed (SIGTERM path: systemd
/// allows more, but a stuck encoder must not hold the shutdown). Real time on purpose,
/// not `Clocks`: it bounds a wait on GStreamer's own threads, which run in real time.
const FINISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Time between keyframes: a segment closes at most this late, and a crash loses at
/// most this much more than the last index update.
const KEYFRAME_INTERVAL: Duration = Duration::from_secs(1);
/// Free space is checked at the first frame and then once per this much stream time.
const DISK_CHECK_INTERVAL: Duration = Duration::from_secs(1);

pub struct Recorder {
    session_dir: PathBuf,
    encoder: String,
    min_free_mib: u64,
    pipeline: RecordingPipeline,
    bus_state: Arc<BusState>,
    eos_received: Receiver<()>,
    /// The first frame, held until the second tells the frame rate.
    held_first_frame: Option<Frame>,
    /// Rate declared in the caps; known once the first frame goes to the encoder.
    nominal_fps: Option<u32>,
    /// Size and layout of the frames currently fed to appsrc.
    input_size: Option<(u32, u32)>,
    input_layout: Option<PixelLayout>,
    /// `pts` of the first frame: recorded at running time 0.
    first_pts: Option<Duration>,
    last_pts: Option<Duration>,
    /// Stream time (`Frame::pts`) of the last free-space check: the check follows the
    /// frames' own clock, so it is the same on a camera, a file played fast, and in tests.
    last_disk_check: Option<Duration>,
    /// No more frames are taken (disk full or pipeline failure); already reported.
    stopped: bool,
    eos_sent: bool,
    recorded_frames: u64,
    dropped_frames: u64,
    /// Stopped in `Drop` after the pipeline, so no message is left unread.
    bus: BusWatch,
}

impl Recorder {
    /// Starts recording a session into `<recordings_dir>/<session_id>/segment-NNNNN.mp4`.
    /// `on_segment` is called on a thread of the recorder's own for each segment once it
    /// is closed, synced to disk and hashed.
    pub fn start(
        config: &RecordingConfig,
        recordings_dir: &Path,
        session_id: Uuid,
        on_segment: impl Fn(SegmentFinished) + Send + 'static,
    ) -> Result<Recorder, RecordError> {
        gst::init().map_err(|e| RecordError::GStreamer(e.to_string()))?;
        let encoder = choose_encoder(&config.encoder)?;
        let session_dir = recordings_dir.join(session_id.to_string());
        let dir_error = |source| RecordError::Directory {
            path: session_dir.clone(),
            source,
        };
        std::fs::create_dir_all(&session_dir).map_err(dir_error)?;
        let first_segment_index = next_segment_index(&session_dir).map_err(dir_error)?;

        let pipeline = build_pipeline(&PipelineSettings {
            encoder: &encoder,
            bitrate_kbps: config.bitrate_kbps,
            segment: Duration::from_secs(config.segment_s.into()),
            session_dir: &session_dir,
            first_segment_index,
        })?;
        let bus_state = Arc::new(BusState::default());
        let (eos_sender, eos_received) = channel();
        let bus = pipeline
            .pipeline
            .bus()
            .ok_or_else(|| RecordError::GStreamer("the pipeline has no bus".into()))?;
        let bus = BusWatch::start(
            bus,
            session_id,
            bus_state.clone(),
            Box::new(on_segment),
            eos_sender,
        )
        .map_err(|e| RecordError::GStreamer(format!("cannot start the bus thread: {e}")))?;

        let recorder = Recorder {
            session_dir,
            encoder,
            min_free_mib: config.min_free_mib,
            pipeline,
            bus_state,
            eos_received,
            held_first_frame: None,
            nominal_fps: None,
            input_size: None,
            input_layout: None,
            first_pts: None,
            last_pts: None,
            last_disk_check: None,
            stopped: false,
            eos_sent: false,
            recorded_frames: 0,
            dropped_frames: 0,
            bus,
        };
        if recorder
            .pipeline
            .pipeline
            .set_state(gst::State::Playing)
            .is_err()
        {
            let reason = recorder
                .take_pipeline_error()
                .unwrap_or_else(|| "the pipeline refused to start".into());
            return Err(RecordError::Pipeline(reason));
        }
        log::info!(
            "Recording session {session_id} into {} with {}.",
            recorder.session_dir.display(),
            recorder.encoder
        );
        Ok(recorder)
    }

    /// Queues one frame for encoding without blocking. A full queue drops the frame (see
    /// [`Recorder::dropped_frames`]). Errors are reported once, after which recording has
    /// stopped and further frames are ignored: the caller turns the error into a
    /// `recording_stopped` event and detection goes on.
    pub fn push(&mut self, frame: &Frame) -> Result<(), RecordError> {
        if self.stopped {
            return Ok(());
        }
        if let Some(reason) = self.take_pipeline_error() {
            self.stop_taking_frames();
            return Err(RecordError::Pipeline(reason));
        }
        self.check_free_space(frame.pts)?;
        // mp4 cannot hold a frame that goes back in time.
        if self.last_pts.is_some_and(|last| frame.pts <= last) {
            self.dropped_frames += 1;
            return Ok(());
        }
        self.last_pts = Some(frame.pts);
        if self.nominal_fps.is_none() {
            let Some(first) = self.held_first_frame.take() else {
                self.held_first_frame = Some(frame.clone());
                return Ok(());
            };
            self.declare_frame_rate(nominal_fps(frame.pts - first.pts));
            self.send_to_encoder(&first)?;
        }
        self.send_to_encoder(frame)
    }

    fn send_to_encoder(&mut self, frame: &Frame) -> Result<(), RecordError> {
        if self
            .pipeline
            .appsrc
            .property::<u64>("current-level-buffers")
            >= MAX_QUEUED_FRAMES
        {
            self.dropped_frames += 1;
            return Ok(());
        }
        let (layout, pixels) = frame.delivered();
        self.follow_frame_format(frame, layout);
        let first_pts = *self.first_pts.get_or_insert(frame.pts);
        let _ = self.bus_state.wall_time_at_start.set(frame.wall_time);

        // The frame's bytes as the source delivered them (the camera's YUYV, the
        // decoder's I420), shared with the buffer, not copied nor converted to RGB.
        let mut buffer = gst::Buffer::from_slice(pixels.clone());
        let running_time = frame.pts - first_pts;
        buffer
            .get_mut()
            .expect("a new buffer is writable")
            .set_pts(gst::ClockTime::from_nseconds(running_time.as_nanos() as u64));
        if let Err(flow) = self.pipeline.appsrc.push_buffer(buffer) {
            self.stop_taking_frames();
            let reason = self
                .take_pipeline_error()
                .unwrap_or_else(|| format!("the encoder refused a frame ({flow:?})"));
            return Err(RecordError::Pipeline(reason));
        }
        self.recorded_frames += 1;
        Ok(())
    }

    /// Ends the recording: the last segment is closed (and reported) before this returns,
    /// or after [`FINISH_TIMEOUT`] at the latest.
    pub fn finish(mut self) -> Result<(), RecordError> {
        if let Some(only_frame) = self.held_first_frame.take()
            && !self.stopped
        {
            self.declare_frame_rate(DEFAULT_FPS);
            self.send_to_encoder(&only_frame)?;
        }
        if self.first_pts.is_none() {
            return Ok(()); // Nothing was recorded; there is no segment to close.
        }
        self.send_eos();
        let deadline = Instant::now() + FINISH_TIMEOUT;
        loop {
            if let Some(reason) = self.take_pipeline_error() {
                return Err(RecordError::Pipeline(reason));
            }
            match self.eos_received.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => return Ok(()),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(_) => {
                    return Err(RecordError::FinishTimeout {
                        waited_s: FINISH_TIMEOUT.as_secs(),
                    });
                }
            }
        }
    }

    pub fn session_dir(&self) -> &Path {
        &self.session_dir
    }

    /// The encoder element in use.
    pub fn encoder(&self) -> &str {
        &self.encoder
    }

    /// Frames handed to the encoder.
    pub fn recorded_frames(&self) -> u64 {
        self.recorded_frames
    }

    /// Frames not recorded because the encoder was behind or their time went backwards.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped_frames
    }

    /// Whether frames are still being recorded (false after a reported error).
    pub fn is_recording(&self) -> bool {
        !self.stopped
    }

    fn check_free_space(&mut self, pts: Duration) -> Result<(), RecordError> {
        // `abs_diff`: a stream time that went backwards (a new source) checks at once.
        if self
            .last_disk_check
            .is_some_and(|last| pts.abs_diff(last) < DISK_CHECK_INTERVAL)
        {
            return Ok(());
        }
        self.last_disk_check = Some(pts);
        match free_space_mib(&self.session_dir) {
            Ok(free_mib) if free_mib < self.min_free_mib => {
                self.stop_taking_frames();
                Err(RecordError::DiskFull {
                    path: self.session_dir.clone(),
                    free_mib,
                    min_free_mib: self.min_free_mib,
                })
            }
            Ok(_) => Ok(()),
            Err(e) => {
                log::warn!(
                    "Cannot check free space for {}: {e}; recording goes on.",
                    self.session_dir.display()
                );
                Ok(())
            }
        }
    }

    /// Fixes the rate in the caps and the keyframe interval, before the first frame.
    fn declare_frame_rate(&mut self, fps: u32) {
        self.nominal_fps = Some(fps);
        let frames = (f64::from(fps) * KEYFRAME_INTERVAL.as_secs_f64())
            .round()
            .max(1.0) as u32;
        set_keyframe_interval(&self.pipeline.encoder, frames);
    }

    /// Sets appsrc's caps for this frame's size and layout; the first size also fixes
    /// the encoded size (`videoconvert` turns any layout into what the encoder takes).
    fn follow_frame_format(&mut self, frame: &Frame, layout: PixelLayout) {
        let size = (frame.width, frame.height);
        if self.input_size == Some(size) && self.input_layout == Some(layout) {
            return;
        }
        let raw = gst_video::VideoCapsBuilder::new()
            .format(match layout {
                PixelLayout::Rgb => gst_video::VideoFormat::Rgb,
                PixelLayout::I420 => gst_video::VideoFormat::I420,
                PixelLayout::Yuy2 => gst_video::VideoFormat::Yuy2,
            })
            .width(frame.width as i32)
            .height(frame.height as i32)
            .pixel_aspect_ratio(gst::Fraction::new(1, 1))
            // Nominal only: frames keep their own timestamps.
            .framerate(gst::Fraction::new(
                self.nominal_fps.unwrap_or(DEFAULT_FPS) as i32,
                1,
            ))
            .build();
        match self.input_size {
            None => {
                let encoded = gst::Caps::builder("video/x-raw")
                    .field("width", frame.width as i32)
                    .field("height", frame.height as i32)
                    .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                    .build();
                self.pipeline.size_filter.set_property("caps", &encoded);
            }
            Some(old) if old != size => log::warn!(
                "Frames changed size to {}x{}; they are scaled to the recording's size.",
                frame.width,
                frame.height
            ),
            Some(_) => log::info!("Frames now come as {layout:?}; the recording goes on."),
        }
        self.pipeline.appsrc.set_caps(Some(&raw));
        self.input_size = Some(size);
        self.input_layout = Some(layout);
    }

    /// Stops recording for good, closing the current segment properly.
    fn stop_taking_frames(&mut self) {
        self.stopped = true;
        self.send_eos();
    }

    /// EOS closes the current segment; before any frame there is none, and an EOS would
    /// make splitmuxsink write and report an empty file.
    fn send_eos(&mut self) {
        if !self.eos_sent && self.first_pts.is_some() {
            self.eos_sent = true;
            let _ = self.pipeline.appsrc.end_of_stream();
        }
    }

    fn take_pipeline_error(&self) -> Option<String> {
        self.bus_state
            .error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

// The pipeline hands the recorder to its capture thread.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<Recorder>();
};

impl Drop for Recorder {
    /// Without `finish`, the segment being written is left as the robust muxer last
    /// indexed it, as after a crash.
    fn drop(&mut self) {
        let _ = self.pipeline.pipeline.set_state(gst::State::Null);
        self.bus.stop();
    }
}
