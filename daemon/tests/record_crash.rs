//! A recording process killed with SIGKILL mid-segment (power cut, OOM kill): the
//! segments it finished must play and match their reported hashes, and the one it was
//! writing must still play up to about its last index update.
//!
//! The test binary runs itself again as the recording child: the ignored test
//! `child_records_until_killed` does the recording when the parent asks for it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proctord::capture::{FrameSource, VideoFileOptions, VideoFileSource};
use proctord::config::RecordingConfig;
use proctord::record::{Recorder, sha256_of};
use uuid::Uuid;

const CLIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/media/video/intel_one-by-one-person-detection.mp4"
);
const CHILD_DIR_VAR: &str = "PROCTORD_TEST_RECORD_CRASH_DIR";
const SEGMENT_LINE: &str = "FINISHED-SEGMENT";

#[test]
#[ignore = "the recording child of sigkill_mid_segment_leaves_finished_segments_intact_and_the_open_one_playable"]
fn child_records_until_killed() {
    let dir =
        std::env::var(CHILD_DIR_VAR).expect("run by the crash test, which names the directory");
    let config = RecordingConfig {
        encoder: "x264enc".into(),
        segment_s: 2,
        min_free_mib: 0,
        ..RecordingConfig::default()
    };
    let mut recorder = Recorder::start(&config, Path::new(&dir), Uuid::now_v7(), |segment| {
        println!(
            "{SEGMENT_LINE} {} {} {}",
            segment.sha256,
            segment.bytes,
            segment.path.display()
        );
    })
    .unwrap();
    // Real time, as from a camera, until the parent kills this process.
    let mut source = VideoFileSource::open(
        Path::new(CLIP),
        VideoFileOptions {
            realtime: true,
            loop_file: true,
            // As the daemon plays a file: I420 to the recorder.
            yuv_until_analysed: true,
        },
    )
    .unwrap();
    while let Some(frame) = source.next_frame().unwrap() {
        recorder.push(&frame).unwrap();
    }
    unreachable!("a looping file does not end");
}

struct ReportedSegment {
    sha256: String,
    bytes: u64,
    path: PathBuf,
}

fn parse_segment_line(line: &str) -> Option<ReportedSegment> {
    // libtest may have printed "test child_records_until_killed ... " on the same line.
    let (_, report) = line.split_once(SEGMENT_LINE)?;
    let mut fields = report.trim().splitn(3, ' ');
    Some(ReportedSegment {
        sha256: fields.next()?.to_string(),
        bytes: fields.next()?.parse().ok()?,
        path: PathBuf::from(fields.next()?),
    })
}

/// Frames ffprobe can decode from the file, or `None` if it cannot read it at all.
fn decodable_frames(path: &Path) -> Option<u64> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        None
    } else {
        text.trim().parse().ok()
    }
}

fn gst_discoverer_plays(path: &Path) -> bool {
    let output = Command::new("gst-discoverer-1.0")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    output.status.success()
        && text.contains("video #")
        && !text.contains("Duration: 0:00:00.000000000")
}

#[test]
fn sigkill_mid_segment_leaves_finished_segments_intact_and_the_open_one_playable() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_records_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait for two finished segments, then kill about 1.5 s later, mid-segment.
    // Read on a thread of its own, so a child that hangs fails the test instead of hanging it.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines, reported_lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(segment) = parse_segment_line(&line)
                && lines.send(segment).is_err()
            {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reported = Vec::new();
    while reported.len() < 2 {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match reported_lines.recv_timeout(left) {
            Ok(segment) => reported.push(segment),
            Err(_) => break,
        }
    }
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL: no destructor, no EOS, no index written at the end.
    child.wait().unwrap();
    assert_eq!(
        reported.len(),
        2,
        "the child reported two finished segments in time"
    );

    for segment in &reported {
        let mut file = std::fs::File::open(&segment.path).unwrap();
        assert_eq!(
            sha256_of(&mut file).unwrap(),
            (segment.sha256.clone(), segment.bytes),
            "{}",
            segment.path.display()
        );
        assert!(
            gst_discoverer_plays(&segment.path),
            "{} does not play",
            segment.path.display()
        );
        let frames = decodable_frames(&segment.path).unwrap();
        assert!(
            (19..=21).contains(&frames),
            "a 2 s segment at 10 fps holds {frames} frames"
        );
    }

    let session_dir = reported[0].path.parent().unwrap();
    let mut unreported: Vec<PathBuf> = std::fs::read_dir(session_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| reported.iter().all(|r| &r.path != p))
        .collect();
    unreported.sort();
    assert_eq!(
        unreported.len(),
        1,
        "exactly the segment being written was not reported: {unreported:?}"
    );
    let partial = &unreported[0];
    assert!(
        gst_discoverer_plays(partial),
        "the killed segment {} is not playable",
        partial.display()
    );
    let frames = decodable_frames(partial).expect("ffprobe reads the killed segment");
    // Written up to the last index update, at most ~1 s before the kill.
    assert!(
        frames >= 1,
        "the killed segment holds {frames} decodable frames"
    );
}
