//! Recording real frames into H.264 mp4 segments, checked with gst-discoverer-1.0.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use proctord::capture::{FrameSource, VideoFileOptions, VideoFileSource};
use proctord::config::RecordingConfig;
use proctord::frame::Frame;
use proctord::record::{RecordError, Recorder, SegmentFinished, sha256_of};
use uuid::Uuid;

const CLIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/media/video/intel_one-by-one-person-detection.mp4"
);

fn config(encoder: &str) -> RecordingConfig {
    RecordingConfig {
        encoder: encoder.into(),
        segment_s: 2,
        min_free_mib: 0,
        ..RecordingConfig::default()
    }
}

/// The clip's first frames (10 per second).
fn clip_frames(count: usize) -> Vec<Frame> {
    let mut source = VideoFileSource::open(Path::new(CLIP), VideoFileOptions::default()).unwrap();
    (0..count)
        .map(|_| {
            source
                .next_frame()
                .unwrap()
                .expect("the clip is long enough")
        })
        .collect()
}

fn start(
    config: &RecordingConfig,
    dir: &Path,
    session_id: Uuid,
) -> (Recorder, Receiver<SegmentFinished>) {
    let (sender, receiver) = channel();
    let recorder = Recorder::start(config, dir, session_id, move |segment| {
        sender.send(segment).unwrap()
    })
    .unwrap();
    (recorder, receiver)
}

/// Pushes at a pace the encoder keeps up with, so no frame is dropped.
fn record(recorder: &mut Recorder, frames: &[Frame]) {
    for frame in frames {
        recorder.push(frame).unwrap();
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Duration in seconds as gst-discoverer-1.0 reports it; panics if it cannot play the file.
fn discovered_duration_s(path: &Path) -> f64 {
    let output = Command::new("gst-discoverer-1.0")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "gst-discoverer-1.0 cannot read {}:\n{text}",
        path.display()
    );
    let duration = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Duration:"))
        .expect("a duration")
        .trim();
    duration.split(':').fold(0.0, |total, part| {
        total * 60.0 + part.parse::<f64>().unwrap()
    })
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn five_seconds_in_two_second_segments_give_finished_segments_that_play_and_match_their_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let session_id = Uuid::now_v7();
    let frames = clip_frames(50);
    let (mut recorder, segments) = start(&config("auto"), dir.path(), session_id);
    record(&mut recorder, &frames);
    assert_eq!(recorder.dropped_frames(), 0);
    recorder.finish().unwrap();

    let segments: Vec<SegmentFinished> = segments.try_iter().collect();
    assert!(segments.len() >= 2, "{} segments", segments.len());
    let session_dir = dir.path().join(session_id.to_string());
    let reported: Vec<PathBuf> = segments.iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        files_in(&session_dir),
        reported,
        "every file is a reported, finished segment, in order"
    );

    for segment in &segments {
        assert_eq!(segment.session_id, session_id);
        let mut file = std::fs::File::open(&segment.path).unwrap();
        assert_eq!(
            sha256_of(&mut file).unwrap(),
            (segment.sha256.clone(), segment.bytes)
        );
        let played_s = discovered_duration_s(&segment.path);
        assert!(
            played_s > 0.5,
            "{} plays for {played_s} s",
            segment.path.display()
        );
        assert!(
            (played_s - segment.duration_s).abs() < 0.25,
            "reported {} s, plays {played_s} s",
            segment.duration_s
        );
    }
    for pair in segments.windows(2) {
        let gap = (pair[1].started_at - pair[0].started_at)
            .to_std()
            .unwrap()
            .as_secs_f64();
        assert!(
            (gap - pair[0].duration_s).abs() < 0.15,
            "a segment starts where the previous one ends"
        );
    }
    assert_eq!(segments[0].started_at, frames[0].wall_time);
    let total_s: f64 = segments.iter().map(|s| s.duration_s).sum();
    assert!(
        (total_s - 5.0).abs() < 0.3,
        "50 frames at 10 fps make {total_s} s"
    );
}

#[test]
fn a_resumed_session_continues_the_segment_numbering_instead_of_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let session_id = Uuid::now_v7();
    let frames = clip_frames(20);
    let mut first_run = Vec::new();
    for run in 0..2 {
        let (mut recorder, segments) = start(&config("auto"), dir.path(), session_id);
        record(&mut recorder, &frames[..]);
        recorder.finish().unwrap();
        let paths: Vec<PathBuf> = segments.try_iter().map(|s| s.path).collect();
        assert!(!paths.is_empty());
        if run == 0 {
            first_run = paths;
        } else {
            assert!(
                paths.iter().all(|p| !first_run.contains(p)),
                "{paths:?} overwrote {first_run:?}"
            );
        }
    }
    let names: Vec<String> = files_in(&dir.path().join(session_id.to_string()))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names[0], "segment-00000.mp4");
    assert!(
        names.len() >= 2 && names.len() == first_run.len() * 2,
        "{names:?}"
    );
}

#[test]
fn openh264enc_named_in_the_config_records_playable_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut recorder, segments) = start(&config("openh264enc"), dir.path(), Uuid::now_v7());
    assert_eq!(recorder.encoder(), "openh264enc");
    record(&mut recorder, &clip_frames(30));
    recorder.finish().unwrap();
    let segments: Vec<SegmentFinished> = segments.try_iter().collect();
    assert!(!segments.is_empty());
    for segment in segments {
        assert!(
            discovered_duration_s(&segment.path) > 0.0,
            "{} does not play",
            segment.path.display()
        );
    }
}

#[test]
fn a_named_encoder_that_is_not_installed_is_an_error_listing_the_installed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let result = Recorder::start(&config("nvv4l2h264enc"), dir.path(), Uuid::now_v7(), |_| {});
    let error = result.err().expect("no Jetson encoder here");
    assert!(
        matches!(error, RecordError::EncoderMissing { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("nvv4l2h264enc")
            && message.contains("x264enc")
            && message.contains("auto"),
        "{message}"
    );
}

#[test]
fn below_the_free_space_minimum_recording_stops_with_one_disk_full_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecordingConfig {
        min_free_mib: u64::MAX / 2,
        ..config("auto")
    };
    let (mut recorder, segments) = start(&config, dir.path(), Uuid::now_v7());
    let frames = clip_frames(3);
    assert!(matches!(
        recorder.push(&frames[0]),
        Err(RecordError::DiskFull { .. })
    ));
    assert!(!recorder.is_recording());
    recorder
        .push(&frames[1])
        .expect("the disk-full report comes once");
    recorder.push(&frames[2]).unwrap();
    assert_eq!(recorder.recorded_frames(), 0);
    recorder.finish().unwrap();
    assert_eq!(segments.try_iter().count(), 0);
}

#[test]
fn frames_whose_time_goes_backwards_are_dropped_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut recorder, _segments) = start(&config("auto"), dir.path(), Uuid::now_v7());
    let frames = clip_frames(3);
    recorder.push(&frames[1]).unwrap();
    recorder.push(&frames[0]).unwrap();
    recorder.push(&frames[1]).unwrap();
    recorder.push(&frames[2]).unwrap();
    assert_eq!(
        (recorder.recorded_frames(), recorder.dropped_frames()),
        (2, 2)
    );
    recorder.finish().unwrap();
}

#[test]
fn frames_that_change_size_mid_recording_are_scaled_to_the_first_size() {
    let dir = tempfile::tempdir().unwrap();
    let (mut recorder, segments) = start(&config("auto"), dir.path(), Uuid::now_v7());
    let frames = clip_frames(30);
    record(&mut recorder, &frames[..15]);
    // The camera came back at 320×240.
    let small: Vec<Frame> = frames[15..]
        .iter()
        .map(|f| {
            Frame::new_rgb(
                f.seq,
                f.pts,
                f.wall_time,
                320,
                240,
                vec![90u8; 320 * 240 * 3].into(),
            )
        })
        .collect();
    record(&mut recorder, &small);
    assert_eq!(recorder.dropped_frames(), 0);
    recorder.finish().unwrap();
    let segments: Vec<SegmentFinished> = segments.try_iter().collect();
    assert_eq!(segments.len(), 2, "3 s in 2 s segments");
    for segment in &segments {
        let output = Command::new("gst-discoverer-1.0")
            .arg(&segment.path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{text}");
        assert!(
            text.contains("Width: 768") && text.contains("Height: 432"),
            "{}:\n{text}",
            segment.path.display()
        );
    }
    let total_s: f64 = segments.iter().map(|s| s.duration_s).sum();
    assert!(
        (total_s - 3.0).abs() < 0.3,
        "30 frames at 10 fps make {total_s} s"
    );
}
