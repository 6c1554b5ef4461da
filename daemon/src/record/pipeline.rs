//! The recording pipeline:
//! `appsrc ! videoscale ! videoconvert ! capsfilter ! <encoder> ! h264parse ! splitmuxsink`.
//!
//! The muxer is `mp4mux` with a reserved, periodically rewritten index (moov): a plain
//! mp4 killed mid-segment has no index and will not play, while this one plays up to
//! the last index update (PLATFORM.md measured 177 of ~195 frames after a SIGKILL).

use std::path::Path;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::RecordError;
use super::encoder::encoder_chain;
use super::segment::SEGMENT_FILE_PATTERN;

/// How often mp4mux rewrites the index of the file it is writing: at most this much of
/// a segment is lost to a power cut.
const MOOV_UPDATE_PERIOD: Duration = Duration::from_secs(1);
/// Frames queued between the camera thread and the encoder; beyond it frames are dropped
/// (about 2 s at 15 fps) rather than the camera thread blocked.
pub const MAX_QUEUED_FRAMES: u64 = 32;

pub struct RecordingPipeline {
    pub pipeline: gst::Pipeline,
    pub appsrc: gst_app::AppSrc,
    /// Pins the encoded size to the first frame's, so a camera that comes back at another
    /// size is scaled instead of forcing the muxer to change caps mid-file.
    pub size_filter: gst::Element,
    pub encoder: gst::Element,
}

pub struct PipelineSettings<'a> {
    pub encoder: &'a str,
    pub bitrate_kbps: u32,
    pub segment: Duration,
    pub session_dir: &'a Path,
    pub first_segment_index: u32,
}

pub fn build_pipeline(settings: &PipelineSettings) -> Result<RecordingPipeline, RecordError> {
    let gst_error = |e: &dyn std::fmt::Display| RecordError::GStreamer(e.to_string());
    let make = |name: &str| {
        gst::ElementFactory::make(name)
            .build()
            .map_err(|e| gst_error(&format!("{name}: {e}")))
    };

    let appsrc = gst_app::AppSrc::builder()
        .format(gst::Format::Time)
        .is_live(true)
        .do_timestamp(false)
        .max_bytes(0)
        .block(false)
        .build();
    // Not in the builder without gstreamer-app's v1_20 feature; GStreamer 1.22 has it.
    appsrc.set_property("max-buffers", MAX_QUEUED_FRAMES);
    let scale = make("videoscale")?;
    let convert = make("videoconvert")?;
    let size_filter = make("capsfilter")?;
    let encoder = encoder_chain(settings.encoder, settings.bitrate_kbps)?;
    let parse = make("h264parse")?;

    let muxer = gst::ElementFactory::make("mp4mux")
        .property(
            "reserved-max-duration",
            reserved_index_duration(settings.segment).as_nanos() as u64,
        )
        .property(
            "reserved-moov-update-period",
            MOOV_UPDATE_PERIOD.as_nanos() as u64,
        )
        .build()
        .map_err(|e| gst_error(&format!("mp4mux: {e}")))?;
    let location = settings.session_dir.join(SEGMENT_FILE_PATTERN);
    // The muxer must be given here: set after linking, splitmuxsink ignores it.
    let splitmux = gst::ElementFactory::make("splitmuxsink")
        .property("muxer", &muxer)
        .property(
            "location",
            location
                .to_str()
                .ok_or_else(|| gst_error(&"the recording path is not UTF-8"))?,
        )
        .property("max-size-time", settings.segment.as_nanos() as u64)
        .property("send-keyframe-requests", true)
        .property("use-robust-muxing", true)
        .property(
            "start-index",
            i32::try_from(settings.first_segment_index).map_err(|e| gst_error(&e))?,
        )
        .build()
        .map_err(|e| gst_error(&format!("splitmuxsink: {e}")))?;

    let pipeline = gst::Pipeline::new();
    let mut chain: Vec<&gst::Element> = vec![appsrc.upcast_ref(), &scale, &convert, &size_filter];
    chain.extend(encoder.elements.iter());
    chain.extend([&parse, &splitmux]);
    pipeline
        .add_many(chain.iter().copied())
        .map_err(|e| gst_error(&e))?;
    gst::Element::link_many(chain.iter().copied()).map_err(|e| gst_error(&e))?;
    Ok(RecordingPipeline {
        pipeline,
        appsrc,
        size_filter,
        encoder: encoder.encoder,
    })
}

/// Index space mp4mux reserves per file: room for a whole segment plus the keyframe that
/// may arrive late, so the index never overflows into a file that cannot be finished.
fn reserved_index_duration(segment: Duration) -> Duration {
    segment * 2 + Duration::from_secs(10)
}
