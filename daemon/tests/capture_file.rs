//! Video files decoded through GStreamer, checked against what gst-discoverer-1.0 says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use proctord::capture::{CaptureError, FrameSource, VideoFileOptions, VideoFileSource};
use proctord::frame::{Frame, PixelLayout};

const MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/media");

fn clip(name: &str) -> PathBuf {
    Path::new(MEDIA).join("video").join(name)
}

const AS_FAST_AS_POSSIBLE: VideoFileOptions = VideoFileOptions {
    realtime: false,
    loop_file: false,
    yuv_until_analysed: false,
};

/// Width, height, frame rate and duration as gst-discoverer-1.0 reports them.
struct Discovered {
    width: u32,
    height: u32,
    fps: f64,
    duration_s: f64,
}

fn discover(path: &Path) -> Discovered {
    let output = Command::new("gst-discoverer-1.0")
        .arg("-v")
        .arg(path)
        .output()
        .expect("gst-discoverer-1.0 runs");
    assert!(
        output.status.success(),
        "gst-discoverer-1.0 failed on {}",
        path.display()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("gst-discoverer-1.0 printed no {name}"))
            .trim()
            .to_string()
    };
    let (numer, denom) = field("Frame rate:")
        .split_once('/')
        .map(|(n, d)| (n.parse::<f64>().unwrap(), d.parse::<f64>().unwrap()))
        .unwrap();
    // "0:02:19.400000000"
    let duration_s = field("Duration:").split(':').fold(0.0, |total, part| {
        total * 60.0 + part.parse::<f64>().unwrap()
    });
    Discovered {
        width: field("Width:").parse().unwrap(),
        height: field("Height:").parse().unwrap(),
        fps: numer / denom,
        duration_s,
    }
}

fn read_frames(source: &mut VideoFileSource, max: usize) -> Vec<proctord::frame::Frame> {
    let mut frames = Vec::new();
    while frames.len() < max {
        match source.next_frame().expect("decoding goes on") {
            Some(frame) => frames.push(frame),
            None => break,
        }
    }
    frames
}

#[test]
fn the_person_clip_decodes_into_as_many_frames_of_the_size_and_rate_as_gst_discoverer_reports() {
    let path = clip("intel_one-by-one-person-detection.mp4");
    let expected = discover(&path);
    let expected_frames = (expected.duration_s * expected.fps).round() as usize;

    let mut source = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE).unwrap();
    assert_eq!(source.frame_rate(), Some(expected.fps));
    let mut count = 0;
    let mut previous_pts = None;
    while let Some(frame) = source.next_frame().unwrap() {
        assert_eq!(
            (frame.width, frame.height),
            (expected.width, expected.height)
        );
        assert_eq!(
            frame.rgb().len(),
            (expected.width * expected.height * 3) as usize
        );
        assert_eq!(frame.seq, count as u64);
        if let Some(previous) = previous_pts {
            assert!(
                frame.pts > previous,
                "frame {count}: pts {:?} after {previous:?}",
                frame.pts
            );
        }
        previous_pts = Some(frame.pts);
        count += 1;
    }
    assert_eq!(count, expected_frames);
    assert!(
        source.next_frame().unwrap().is_none(),
        "the end of a file stays the end"
    );
}

#[test]
fn timestamps_are_the_files_own_presentation_times() {
    let path = clip("intel_head-pose-face-detection-male.mp4");
    let fps = discover(&path).fps;
    let mut source = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE).unwrap();
    for (index, frame) in read_frames(&mut source, 30).iter().enumerate() {
        let expected = Duration::from_secs_f64(index as f64 / fps);
        assert!(
            frame.pts.abs_diff(expected) < Duration::from_millis(2),
            "frame {index}: pts {:?}, expected {expected:?}",
            frame.pts
        );
    }
}

#[test]
fn a_looping_file_keeps_its_timestamps_increasing_past_its_end() {
    let path = clip("intel_head-pose-face-detection-male.mp4");
    let frames_per_loop = read_frames(
        &mut VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE).unwrap(),
        usize::MAX,
    )
    .len();
    let interval = Duration::from_secs_f64(1.0 / discover(&path).fps);

    let mut looping = VideoFileSource::open(
        &path,
        VideoFileOptions {
            realtime: false,
            loop_file: true,
            yuv_until_analysed: false,
        },
    )
    .unwrap();
    let frames = read_frames(&mut looping, frames_per_loop * 2 + 10);
    assert_eq!(
        frames.len(),
        frames_per_loop * 2 + 10,
        "a looping file does not end"
    );
    for pair in frames.windows(2) {
        assert!(
            pair[1].pts > pair[0].pts,
            "pts {:?} follows {:?}",
            pair[1].pts,
            pair[0].pts
        );
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
    let (last_of_first_loop, first_of_second_loop) =
        (&frames[frames_per_loop - 1], &frames[frames_per_loop]);
    let step = first_of_second_loop.pts - last_of_first_loop.pts;
    assert!(
        step.abs_diff(interval) < Duration::from_millis(2),
        "the loop seam is one frame interval, got {step:?}"
    );
    assert_eq!(
        first_of_second_loop.rgb(),
        frames[0].rgb(),
        "the second loop starts with the first frame"
    );
}

#[test]
fn realtime_playback_releases_frames_no_faster_than_the_files_rate() {
    let path = clip("intel_head-pose-face-detection-male.mp4");
    let mut source = VideoFileSource::open(
        &path,
        VideoFileOptions {
            realtime: true,
            loop_file: false,
            yuv_until_analysed: false,
        },
    )
    .unwrap();
    let fps = source.frame_rate().unwrap();
    let start = Instant::now();
    let frames = read_frames(&mut source, fps as usize + 1);
    let span = frames.last().unwrap().pts - frames[0].pts;
    assert!(span >= Duration::from_millis(900));
    assert!(
        start.elapsed() >= span,
        "{} frames spanning {span:?} came in {:?}",
        frames.len(),
        start.elapsed()
    );
}

#[test]
fn the_mkv_clip_decodes_too() {
    let path = clip("intel_asl_student.mkv");
    let expected = discover(&path);
    let mut source = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE).unwrap();
    let frames = read_frames(&mut source, usize::MAX);
    assert!(!frames.is_empty());
    assert!(
        frames
            .iter()
            .all(|f| (f.width, f.height) == (expected.width, expected.height))
    );
}

/// Runs a gst-launch description to its end, for making test media.
fn run_to_eos(description: &str) {
    gst::init().unwrap();
    let pipeline = gst::parse::launch(description).unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    let message = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(30),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(
        matches!(message.map(|m| m.type_()), Some(gst::MessageType::Eos)),
        "making test media with `{description}` failed"
    );
}

#[test]
fn a_width_whose_rgb_rows_are_padded_decodes_into_packed_rows() {
    // 102 × 3 = 306 bytes per row; GStreamer pads RGB rows to 308.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.mp4");
    run_to_eos(&format!(
        "videotestsrc num-buffers=5 pattern=solid-color foreground-color=0xffc82a5a \
         ! video/x-raw,format=I420,width=102,height=64,framerate=10/1 \
         ! x264enc qp-max=10 ! mp4mux ! filesink location={}",
        path.display()
    ));
    let mut source = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE).unwrap();
    let frames = read_frames(&mut source, usize::MAX);
    assert_eq!(frames.len(), 5);
    for frame in &frames {
        assert_eq!(
            (frame.width, frame.height, frame.rgb().len()),
            (102, 64, 102 * 64 * 3)
        );
        // Misplaced padding would shift the channels of every later row.
        for (index, pixel) in frame.rgb().chunks_exact(3).enumerate() {
            let close = pixel
                .iter()
                .zip([0xc8u8, 0x2a, 0x5a])
                .all(|(a, e)| a.abs_diff(e) <= 16);
            assert!(
                close,
                "pixel {index} (row {}) is {pixel:?}, expected about [200, 42, 90]",
                index / 102
            );
        }
    }
}

/// The first `count` frames of `path` in both delivery modes.
fn frames_both_ways(path: &Path, count: usize) -> (Vec<Frame>, Vec<Frame>) {
    let mut rgb = VideoFileSource::open(path, AS_FAST_AS_POSSIBLE).unwrap();
    let as_daemon = VideoFileOptions {
        yuv_until_analysed: true,
        ..AS_FAST_AS_POSSIBLE
    };
    let mut yuv = VideoFileSource::open(path, as_daemon).unwrap();
    (read_frames(&mut rgb, count), read_frames(&mut yuv, count))
}

fn assert_same_rgb(rgb: &[Frame], yuv: &[Frame], what: &str) {
    assert_eq!(rgb.len(), yuv.len(), "{what}");
    for (a, b) in rgb.iter().zip(yuv) {
        assert_eq!(b.layout(), PixelLayout::I420, "{what}");
        assert!(!b.has_rgb(), "{what}: frame {} converted before use", b.seq);
        assert_eq!(
            (a.width, a.height, a.pts),
            (b.width, b.height, b.pts),
            "{what}"
        );
        let differing = a.rgb().iter().zip(b.rgb().iter()).filter(|(x, y)| x != y);
        assert_eq!(
            differing.count(),
            0,
            "{what}: frame {} converted when used differs from the pipeline's RGB",
            a.seq
        );
    }
}

#[test]
fn frames_kept_as_i420_until_analysed_convert_to_exactly_the_rgb_the_pipeline_gives() {
    let (rgb, yuv) = frames_both_ways(&clip("intel_one-by-one-person-detection.mp4"), 40);
    assert_eq!(rgb.len(), 40);
    assert_same_rgb(&rgb, &yuv, "the person clip");
    // The recorder is handed the I420 as decoded: 1.5 bytes a pixel.
    let (_, raw) = yuv[0].delivered();
    assert_eq!(raw.len(), 768 * 432 * 3 / 2);

    // A width whose chroma rows are padded in GStreamer's layout (51 → 52 bytes).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.mp4");
    run_to_eos(&format!(
        "videotestsrc num-buffers=5 pattern=smpte ! video/x-raw,format=I420,width=102,height=64,framerate=10/1 \
         ! x264enc qp-max=10 ! mp4mux ! filesink location={}",
        path.display()
    ));
    let (rgb, yuv) = frames_both_ways(&path, usize::MAX);
    assert_eq!(rgb.len(), 5);
    assert_same_rgb(&rgb, &yuv, "a 102-pixel-wide clip");
}

#[test]
fn a_missing_file_is_reported_with_its_path_and_what_to_set() {
    let path = Path::new("/nonexistent/exam.mp4");
    let error = VideoFileSource::open(path, AS_FAST_AS_POSSIBLE)
        .err()
        .expect("a missing file is an error");
    assert!(matches!(error, CaptureError::FileNotFound { .. }));
    let message = error.to_string();
    assert!(
        message.contains("/nonexistent/exam.mp4") && message.contains("capture.file"),
        "{message}"
    );
}

#[test]
fn a_corrupt_file_is_reported_as_unplayable_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.mp4");
    let garbage: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, garbage).unwrap();
    let error = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE)
        .err()
        .expect("garbage is not a video");
    assert!(
        matches!(error, CaptureError::UnsupportedFile { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("garbage.mp4") && message.contains("gst-discoverer-1.0"),
        "{message}"
    );
}

#[test]
fn a_file_without_video_is_refused_as_unplayable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    run_to_eos(&format!(
        "audiotestsrc num-buffers=20 ! wavenc ! filesink location={}",
        path.display()
    ));
    let error = VideoFileSource::open(&path, AS_FAST_AS_POSSIBLE)
        .err()
        .expect("audio alone is not a video");
    assert!(
        matches!(error, CaptureError::UnsupportedFile { .. }),
        "{error:?}"
    );
    // Usually decodebin reports the missing video stream at once; on a loaded machine it
    // has been seen to miss it, and the preroll timeout then refuses the file instead.
    let message = error.to_string();
    assert!(
        message.contains("no video stream") || message.contains("no frame could be decoded"),
        "{message}"
    );
}
