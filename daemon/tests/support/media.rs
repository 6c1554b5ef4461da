//! Paths to the repository, the runtime, the models and the real test media, and clips
//! composed from the stills at test time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use proctord::config::Config;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every photo in ../shared/media that shows no phone (faces, books, screens, empty
/// rooms): no object detector may report one on them.
pub const PHOTOS_WITHOUT_A_PHONE: [&str; 15] = [
    "single_face/grace_hopper.bmp",
    "single_face/skimage_astronaut.png",
    "single_face/intel_head-pose-male_f00.png",
    "single_face/obama.jpg",
    "multi_person/coral_face.jpg",
    "multi_person/two_people.jpg",
    "multi_person/intel_head-pose-female-and-male_f00.png",
    "looking_away/skimage_camera.png",
    "looking_away/intel_head-pose-female_f14.png",
    "book_notes/coco_000000000446.jpg",
    "book_notes/skimage_page.png",
    "laptop_monitor/coco_000000000384.jpg",
    "no_person/coco_000000000643_desk_monitor.jpg",
    "no_person/intel_people-detection_f22.png",
    "no_person/tfexamples_table.jpg",
];

/// A file of ../shared/media (beside the project root).
pub fn media(rel: &str) -> PathBuf {
    repo().join("../shared/media").join(rel)
}

/// The default config, with the runtime and models `make setup` installed in the repo.
pub fn config() -> Config {
    let mut cfg = Config::default();
    cfg.runtime.library = repo().join("runtime/libLiteRt.so");
    cfg.models.dir = repo().join("models/cache");
    cfg.models.manifest = repo().join("models/manifest.toml");
    cfg
}

/// How a composed clip is encoded.
#[derive(Clone, Copy)]
pub enum Encoding {
    /// Lossless RGB H.264 in Matroska: the frames are the photos themselves.
    Lossless,
    /// Ordinary H.264 in MP4, as a camera recording would be.
    Camera,
}

/// Writes a 640×480, 5 fps clip showing each still (letterboxed) for its seconds.
pub fn compose_clip(dir: &Path, name: &str, parts: &[(&str, u32)], encoding: Encoding) -> PathBuf {
    let (ext, format, codec): (&str, &str, &[&str]) = match encoding {
        Encoding::Lossless => (
            "mkv",
            "rgb24",
            &["-c:v", "libx264rgb", "-preset", "ultrafast", "-qp", "0"],
        ),
        Encoding::Camera => (
            "mp4",
            "yuv420p",
            &["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12"],
        ),
    };
    let out = dir.join(format!("{name}.{ext}"));
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-loglevel", "error", "-y"]);
    let mut filter = String::new();
    for (i, (still, seconds)) in parts.iter().enumerate() {
        cmd.args([
            "-loop",
            "1",
            "-framerate",
            "5",
            "-t",
            &seconds.to_string(),
            "-i",
        ])
        .arg(media(still));
        filter += &format!(
            "[{i}]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1[v{i}];"
        );
    }
    for i in 0..parts.len() {
        filter += &format!("[v{i}]");
    }
    filter += &format!("concat=n={}:v=1:a=0,format={format}[out]", parts.len());
    cmd.args(["-filter_complex", &filter, "-map", "[out]", "-r", "5"])
        .args(codec)
        .arg(&out);
    let status = cmd.status().expect("ffmpeg is installed by `make setup`");
    assert!(status.success(), "ffmpeg failed to compose {name}");
    out
}
