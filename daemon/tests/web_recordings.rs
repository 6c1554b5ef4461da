//! Downloading a session's recording: the listing, whole and ranged downloads of a real
//! MP4 segment (ffprobe plays what came back), and what cannot be fetched.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use proctord::config::{Config, WebConfig, WebRole, WebToken};
use proctord::control::Control;
use proctord::live::LiveView;
use proctord::record::{recordings_dir, sha256_of};
use proctord::store::{SegmentRecord, Store};
use proctord::web::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

const REVIEWER: &str = "reviewer-token";
const PROCTOR: &str = "proctor-token";
/// A short real H.264 MP4 standing in for one recorded segment.
const CLIP: &str = "../shared/media/video/intel_head-pose-face-detection-male.mp4";

struct Kiosk {
    dir: tempfile::TempDir,
    control: Control,
    state: AppState,
}

impl Kiosk {
    fn new() -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state")).unwrap();
        let control = Control::new(store, Config::default(), vec![]).unwrap();
        let token = |name: &str, role, token: &str| WebToken {
            name: name.into(),
            role,
            token: token.into(),
        };
        let web = WebConfig {
            tokens: vec![
                token("office", WebRole::Reviewer, REVIEWER),
                token("proctor", WebRole::Proctor, PROCTOR),
            ],
            ..WebConfig::default()
        };
        let state = AppState::new(control.clone(), LiveView::new(), web);
        Kiosk {
            dir,
            control,
            state,
        }
    }

    /// A session with one finished segment (the clip), recorded as recording records it.
    fn session_with_a_segment(&self) -> (String, PathBuf, SegmentRecord) {
        let session = self
            .control
            .start_session("Katherine Johnson", None, None)
            .unwrap();
        let dir = recordings_dir(self.dir.path()).join(session.id.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("segment-00000.mp4");
        std::fs::copy(clip(), &path).unwrap();
        let (sha256, bytes) = sha256_of(&mut std::fs::File::open(&path).unwrap()).unwrap();
        let record = SegmentRecord {
            session_id: Some(session.id),
            path: path.clone(),
            started_at: Utc::now(),
            duration_s: 2.0,
            sha256,
            bytes,
            state: Default::default(),
        };
        self.control.store().add_segment(&record).unwrap();
        (session.id.to_string(), path, record)
    }

    async fn get(&self, uri: &str, token: Option<&str>, range: Option<&str>) -> Reply {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        let response = app(self.state.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(CLIP)
}

/// ffprobe's duration of an MP4, or its complaint.
fn playable_duration(bytes: &[u8]) -> Result<f64, String> {
    let file = tempfile::NamedTempFile::with_suffix(".mp4").unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file.path())
        .output()
        .expect("ffprobe is needed (apt-get install ffmpeg)");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    text.parse().map_err(|_| format!("no duration: {text:?}"))
}

#[tokio::test]
async fn a_reviewer_lists_a_sessions_segments_by_id_without_any_path() {
    let kiosk = Kiosk::new();
    let (session, path, record) = kiosk.session_with_a_segment();
    let reply = kiosk
        .get(
            &format!("/api/interviews/{session}/recordings"),
            Some(REVIEWER),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let list = reply.json();
    let recordings = list["recordings"].as_array().unwrap();
    assert_eq!(recordings.len(), 1);
    let segment = &recordings[0];
    assert_eq!(segment["id"], record.sha256.as_str());
    assert_eq!(segment["sha256"], record.sha256.as_str());
    assert_eq!(segment["bytes"], record.bytes);
    assert_eq!(segment["duration_s"], 2.0);
    assert_eq!(segment["url"], format!("/api/recordings/{}", record.sha256));
    let text = String::from_utf8_lossy(&reply.body);
    assert!(
        !text.contains(path.to_str().unwrap()) && !text.contains("segment-00000"),
        "the listing shows a path: {text}"
    );
}

#[tokio::test]
async fn a_downloaded_segment_is_the_recorded_file_and_plays() {
    let kiosk = Kiosk::new();
    let (_, path, record) = kiosk.session_with_a_segment();
    let reply = kiosk
        .get(
            &format!("/api/recordings/{}", record.sha256),
            Some(REVIEWER),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CONTENT_TYPE), "video/mp4");
    assert_eq!(reply.header(header::ACCEPT_RANGES), "bytes");
    assert_eq!(
        reply.body.as_ref(),
        std::fs::read(&path).unwrap().as_slice()
    );
    let duration = playable_duration(&reply.body).unwrap();
    assert!(duration > 1.0, "{duration} s");
}

#[tokio::test]
async fn a_player_seeking_by_ranges_gets_exactly_the_bytes_it_asks_for() {
    let kiosk = Kiosk::new();
    let (_, path, record) = kiosk.session_with_a_segment();
    let original = std::fs::read(&path).unwrap();
    let len = original.len() as u64;
    let uri = format!("/api/recordings/{}", record.sha256);

    let first = kiosk.get(&uri, Some(REVIEWER), Some("bytes=0-99")).await;
    assert_eq!(first.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        first.header(header::CONTENT_RANGE),
        format!("bytes 0-99/{len}")
    );
    assert_eq!(first.body.as_ref(), &original[..100]);

    // The whole file in 16 KiB ranges, as a player fetching ahead would.
    let mut assembled = Vec::new();
    let mut start = 0u64;
    while start < len {
        let range = format!("bytes={start}-{}", start + 16 * 1024 - 1);
        let part = kiosk.get(&uri, Some(REVIEWER), Some(&range)).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assembled.extend_from_slice(&part.body);
        start += part.body.len() as u64;
    }
    assert_eq!(assembled, original);

    let tail = kiosk.get(&uri, Some(REVIEWER), Some("bytes=-10")).await;
    assert_eq!(tail.body.as_ref(), &original[original.len() - 10..]);

    let past = kiosk
        .get(&uri, Some(REVIEWER), Some(&format!("bytes={len}-")))
        .await;
    assert_eq!(past.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(past.header(header::CONTENT_RANGE), format!("bytes */{len}"));
}

#[tokio::test]
async fn recordings_are_for_reviewers_only() {
    let kiosk = Kiosk::new();
    let (session, _, record) = kiosk.session_with_a_segment();
    for uri in [
        format!("/api/interviews/{session}/recordings"),
        format!("/api/recordings/{}", record.sha256),
    ] {
        assert_eq!(
            kiosk.get(&uri, None, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
        let proctor = kiosk.get(&uri, Some(PROCTOR), None).await;
        assert_eq!(proctor.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(proctor.body.len() < 1000, "the proctor got the file");
    }
}

#[tokio::test]
async fn a_download_cannot_name_a_path_and_an_unknown_or_removed_segment_is_a_404() {
    let kiosk = Kiosk::new();
    let (_, path, record) = kiosk.session_with_a_segment();
    for id in ["..%2F..%2Fetc%2Fpasswd", "segment-00000.mp4", "abc"] {
        let reply = kiosk
            .get(&format!("/api/recordings/{id}"), Some(REVIEWER), None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{id}");
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("64 hex digits")
        );
    }
    let unknown = "0".repeat(64);
    let reply = kiosk
        .get(&format!("/api/recordings/{unknown}"), Some(REVIEWER), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    std::fs::remove_file(&path).unwrap();
    let reply = kiosk
        .get(
            &format!("/api/recordings/{}", record.sha256),
            Some(REVIEWER),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("retention"),
        "{:?}",
        reply.json()
    );
}

#[tokio::test]
async fn an_unknown_session_has_no_recordings_to_list() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .get(
            "/api/interviews/0190c5e2-7a4b-7c3d-9e8f-0123456789ab/recordings",
            Some(REVIEWER),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
