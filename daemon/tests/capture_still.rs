//! Still images and `open_source`, on the shared media.

use std::path::{Path, PathBuf};

use proctord::capture::{CaptureError, load_still, open_source};
use proctord::config::{CaptureConfig, CaptureSource};

const MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/media");

fn media(name: &str) -> PathBuf {
    Path::new(MEDIA).join(name)
}

#[test]
fn jpg_png_and_bmp_stills_load_as_packed_rgb_frames_of_their_size() {
    // Sizes as `file(1)` reports them.
    for (name, width, height) in [
        ("phone/coco_000000000536.jpg", 448, 336),
        ("single_face/intel_head-pose-male_f00.png", 480, 270),
        ("single_face/grace_hopper.bmp", 512, 600),
        ("book_notes/skimage_page.png", 384, 191),
    ] {
        let frame = load_still(&media(name)).unwrap();
        assert_eq!((frame.width, frame.height), (width, height), "{name}");
        assert_eq!(frame.rgb().len(), (width * height * 3) as usize, "{name}");
    }
}

#[test]
fn a_grayscale_still_becomes_rgb_with_equal_channels() {
    let frame = load_still(&media("book_notes/skimage_page.png")).unwrap();
    assert!(
        frame
            .rgb()
            .chunks_exact(3)
            .all(|p| p[0] == p[1] && p[1] == p[2])
    );
}

#[test]
fn a_missing_still_is_an_error_naming_the_file() {
    let error = load_still(Path::new("/nonexistent/face.jpg")).unwrap_err();
    assert!(matches!(error, CaptureError::Image { .. }));
    assert!(
        error.to_string().contains("/nonexistent/face.jpg"),
        "{error}"
    );
}

#[test]
fn a_corrupt_still_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jpg");
    let jpeg = std::fs::read(media("phone/coco_000000000536.jpg")).unwrap();
    std::fs::write(&path, &jpeg[..200]).unwrap();
    let error = load_still(&path).unwrap_err();
    assert!(error.to_string().contains("broken.jpg"), "{error}");
}

#[test]
fn a_file_source_naming_a_still_yields_it_once_then_ends() {
    let config = CaptureConfig {
        source: CaptureSource::File,
        file: media("single_face/obama.jpg"),
        ..CaptureConfig::default()
    };
    let mut source = open_source(&config).unwrap();
    let frame = source.next_frame().unwrap().expect("the still");
    assert_eq!(frame.rgb().len(), (frame.width * frame.height * 3) as usize);
    assert!(source.next_frame().unwrap().is_none());
    assert!(matches!(
        source.reopen(),
        Err(CaptureError::NotReopenable { .. })
    ));
}

#[test]
fn a_file_source_naming_a_video_plays_it() {
    let config = CaptureConfig {
        source: CaptureSource::File,
        file: media("video/intel_head-pose-face-detection-male.mp4"),
        ..CaptureConfig::default()
    };
    let mut source = open_source(&config).unwrap();
    assert!(
        source
            .describe()
            .contains("intel_head-pose-face-detection-male.mp4")
    );
    let frame = source.next_frame().unwrap().expect("a first frame");
    assert_eq!((frame.width, frame.height), (480, 270));
}

#[test]
fn a_camera_that_does_not_exist_is_an_error_naming_the_device_and_what_to_check() {
    let config = CaptureConfig {
        device: PathBuf::from("/dev/v4l/by-id/no-such-camera"),
        ..CaptureConfig::default()
    };
    let error = open_source(&config).err().expect("no such camera");
    assert!(
        matches!(error, CaptureError::CameraOpen { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("/dev/v4l/by-id/no-such-camera") && message.contains("capture.device"),
        "{message}"
    );
}

#[test]
fn a_device_that_is_not_a_camera_is_refused() {
    // /dev/null opens but answers no V4L2 query.
    let config = CaptureConfig {
        device: PathBuf::from("/dev/null"),
        ..CaptureConfig::default()
    };
    let error = open_source(&config).err().expect("/dev/null is no camera");
    assert!(error.to_string().contains("/dev/null"), "{error}");
}
