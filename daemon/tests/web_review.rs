//! What a reviewer does with an ended session, through the real router (`oneshot`) over
//! a real store on disk and a real recorded MP4: watch an event's clip (cut by
//! GStreamer, ffprobe plays it), confirm and dismiss events (the report shows both
//! scores), read the audit log of who saw what, delete a session on request (nothing of
//! it left, `verify` still OK, the outbox does not leak it), and the operations side:
//! `/metrics` and an OpenAPI document that covers every route.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use proctord::config::{Config, WebConfig, WebRole, WebToken};
use proctord::control::Control;
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::health_snapshot::{HealthSnapshot, Histogram, InferenceHealth, MqttHealth};
use proctord::live::LiveView;
use proctord::publish::PublisherStatus;
use proctord::record::{recordings_dir, sha256_of};
use proctord::store::{SegmentRecord, Store};
use proctord::web::{AppState, app, routes_table};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const REVIEWER: &str = "reviewer-token";
const PROCTOR: &str = "proctor-token";
const CANDIDATE: &str = "Katherine Johnson";
/// A short real H.264 MP4 (5.17 s, one keyframe, B-frames) standing in for a segment.
const CLIP: &str = "../shared/media/video/intel_head-pose-face-detection-male.mp4";
const CLIP_S: f64 = 5.167;

struct Kiosk {
    dir: tempfile::TempDir,
    control: Control,
    live: LiveView,
    state: AppState,
}

/// A session as the pipeline leaves it: ended, one segment, a phone and two faces.
struct Recorded {
    session: Uuid,
    phone: Uuid,
    faces: Uuid,
    camera_lost: Uuid,
    segment: SegmentRecord,
}

impl Kiosk {
    fn new() -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state").join("store")).unwrap();
        let mut config = Config::default();
        config.kiosk.state_dir = dir.path().join("state");
        let control = Control::new(store, config, vec![]).unwrap();
        let token = |name: &str, role, token: &str| WebToken {
            name: name.into(),
            role,
            token: token.into(),
        };
        let web = WebConfig {
            tokens: vec![
                token("exam office", WebRole::Reviewer, REVIEWER),
                token("proctor script", WebRole::Proctor, PROCTOR),
            ],
            ..WebConfig::default()
        };
        let live = LiveView::new();
        let state = AppState::new(control.clone(), live.clone(), web);
        Kiosk {
            dir,
            control,
            live,
            state,
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Records a session's events and its segment, then ends it (unless `running`).
    fn recorded_session(&self, candidate: &str, running: bool) -> Recorded {
        let session = self.control.start_session(candidate, None, None).unwrap();
        let t0 = session.started_at;
        let phone = self.event(session.id, EventKind::PhoneDetected, t0, 1.0, 2.0);
        let faces = self.event(session.id, EventKind::MultipleFaces, t0, 3.0, 4.0);
        let camera_lost = self.event(session.id, EventKind::CameraLost, t0, 4.0, 4.5);
        let dir = recordings_dir(&self.state_dir()).join(session.id.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("segment-00000.mp4");
        std::fs::copy(clip(), &path).unwrap();
        let (sha256, bytes) = sha256_of(&mut std::fs::File::open(&path).unwrap()).unwrap();
        let segment = SegmentRecord {
            session_id: Some(session.id),
            path,
            started_at: t0,
            duration_s: CLIP_S,
            sha256,
            bytes,
            state: Default::default(),
        };
        self.control.store().add_segment(&segment).unwrap();
        if !running {
            self.control.end_session(session.id).unwrap();
        }
        Recorded {
            session: session.id,
            phone,
            faces,
            camera_lost,
            segment,
        }
    }

    /// A Start and an End record, `from_s..to_s` after `t0`.
    fn event(
        &self,
        session: Uuid,
        kind: EventKind,
        t0: DateTime<Utc>,
        from_s: f64,
        to_s: f64,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let at = |s: f64| t0 + chrono::Duration::milliseconds((s * 1000.0) as i64);
        let mut record = ProctorEvent {
            id,
            session_id: Some(session),
            kind,
            phase: Phase::Start,
            started_at: at(from_s),
            ended_at: None,
            duration_s: None,
            started_at_s: from_s,
            ended_at_s: None,
            details: EventDetails {
                best_score: Some(0.8),
                ..EventDetails::default()
            },
        };
        self.control.record_event(&record).unwrap();
        record.phase = Phase::End;
        record.ended_at = Some(at(to_s));
        record.ended_at_s = Some(to_s);
        record.duration_s = Some(to_s - from_s);
        self.control.record_event(&record).unwrap();
        id
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send_with(method, uri, token, body, None).await
    }

    async fn send_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        range: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = app(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let streaming = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream") || t.starts_with("multipart/"));
        let body = if streaming {
            Bytes::new()
        } else {
            response.into_body().collect().await.unwrap().to_bytes()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, Some(REVIEWER), None).await
    }

    async fn review(&self, event: Uuid, decision: &str, note: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/api/detections/{event}/review"),
            Some(REVIEWER),
            Some(json!({ "decision": decision, "note": note })),
        )
        .await
    }

    fn audit_actions(&self, session: Uuid) -> Vec<String> {
        self.control
            .store()
            .audit_for(session)
            .unwrap()
            .iter()
            .map(|e| e.action.as_str().to_string())
            .collect()
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
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

/// ffprobe's duration of an MP4 and its number of decodable video frames, or its complaint.
fn probe(bytes: &[u8]) -> Result<(f64, u64), String> {
    let file = tempfile::NamedTempFile::with_suffix(".mp4").unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "format=duration:stream=nb_read_frames,codec_name",
            "-of",
            "json",
        ])
        .arg(file.path())
        .output()
        .expect("ffprobe is needed (apt-get install ffmpeg)");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let duration = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok());
    let frames = v["streams"][0]["nb_read_frames"]
        .as_str()
        .and_then(|n| n.parse().ok());
    assert_eq!(v["streams"][0]["codec_name"], "h264", "{v}");
    match (duration, frames) {
        (Some(d), Some(n)) => Ok((d, n)),
        _ => Err(format!("no duration or frames: {v}")),
    }
}

// ---- roles ----

#[tokio::test]
async fn every_new_route_is_401_without_credentials_403_for_a_proctor_where_it_needs_a_reviewer_and_served_to_its_role()
 {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let doomed = kiosk.recorded_session("Dorothy Vaughan", false);
    let (s, phone) = (recorded.session, recorded.phone);
    let routes: Vec<(Method, String, Option<Value>, WebRole, StatusCode)> = vec![
        (
            Method::GET,
            "/metrics".into(),
            None,
            WebRole::Proctor,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/openapi.json".into(),
            None,
            WebRole::Proctor,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/detections/{phone}/clip?before_s=0.5&after_s=0.5"),
            None,
            WebRole::Reviewer,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/detections/{phone}/review"),
            Some(json!({ "decision": "confirmed" })),
            WebRole::Reviewer,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/interviews/{s}/audit"),
            None,
            WebRole::Reviewer,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/audit".into(),
            None,
            WebRole::Reviewer,
            StatusCode::OK,
        ),
        (
            Method::DELETE,
            format!("/api/interviews/{}", doomed.session),
            Some(json!({ "reason": "request R-17" })),
            WebRole::Reviewer,
            StatusCode::OK,
        ),
    ];
    for (method, uri, body, role, success) in routes {
        let anonymous = kiosk.send(method.clone(), &uri, None, body.clone()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert!(!anonymous.text().contains(CANDIDATE));
        let proctor = kiosk
            .send(method.clone(), &uri, Some(PROCTOR), body.clone())
            .await;
        if role == WebRole::Reviewer {
            assert_eq!(
                proctor.status,
                StatusCode::FORBIDDEN,
                "{method} {uri} as a proctor"
            );
            assert!(
                proctor.error().contains("reviewer role"),
                "{}",
                proctor.error()
            );
        } else {
            assert_eq!(
                proctor.status,
                success,
                "{method} {uri} as a proctor: {}",
                proctor.text()
            );
        }
        let reviewer = kiosk.send(method.clone(), &uri, Some(REVIEWER), body).await;
        assert_eq!(
            reviewer.status,
            success,
            "{method} {uri} as a reviewer: {}",
            reviewer.text()
        );
    }
    assert!(
        kiosk
            .control
            .store()
            .session(doomed.session)
            .unwrap()
            .is_none(),
        "the reviewer's DELETE did not delete"
    );
}

// ---- clips ----

#[tokio::test]
async fn an_events_clip_is_cut_from_the_recording_plays_is_cached_and_seeks_by_range() {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let uri = format!(
        "/api/detections/{}/clip?before_s=0.5&after_s=0.5",
        recorded.faces
    );
    let reply = kiosk.get(&uri).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header(header::CONTENT_TYPE), "video/mp4");
    assert_eq!(reply.header(header::ACCEPT_RANGES), "bytes");
    let (duration, frames) = probe(&reply.body).unwrap();
    // The event is 3..4 s in, with half a second either side: up to 4.5 s from the
    // keyframe before 2.5 s (this clip has one, at 0): shorter than the 5.17 s segment.
    assert!((2.0..=4.8).contains(&duration), "{duration} s");
    assert!(frames >= 20, "{frames} frames");
    assert_ne!(
        reply.body.len() as u64,
        recorded.segment.bytes,
        "the clip is the whole segment"
    );

    let cache = kiosk
        .state_dir()
        .join("clips")
        .join(recorded.session.to_string());
    let cached: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(
        std::fs::read(cached[0].path()).unwrap(),
        reply.body.as_ref()
    );
    let again = kiosk.get(&uri).await;
    assert_eq!(again.body, reply.body, "the cached clip changed");

    let part = kiosk
        .send_with(
            Method::GET,
            &uri,
            Some(REVIEWER),
            None,
            Some("bytes=100-199"),
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body.as_ref(), &reply.body[100..200]);
    // Two viewings; the seek within one is not another.
    let clips = kiosk
        .audit_actions(recorded.session)
        .into_iter()
        .filter(|a| a == "downloaded_clip")
        .count();
    assert_eq!(clips, 2);
    assert!(!reply.text().contains(kiosk.state_dir().to_str().unwrap()));
}

#[tokio::test]
async fn a_clip_needs_a_recorded_event_and_sane_margins() {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let unknown = kiosk
        .get(&format!("/api/detections/{}/clip", Uuid::now_v7()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let path = kiosk
        .get("/api/detections/..%2F..%2Fetc%2Fpasswd/clip")
        .await;
    assert_eq!(path.status, StatusCode::BAD_REQUEST);
    let too_long = kiosk
        .get(&format!(
            "/api/detections/{}/clip?before_s=3600",
            recorded.phone
        ))
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.error().contains("before_s"),
        "{}",
        too_long.error()
    );

    // Retention took the segment: nothing to cut, and the answer says why.
    std::fs::remove_file(&recorded.segment.path).unwrap();
    kiosk
        .control
        .store()
        .remove_segment(Some(recorded.session), &recorded.segment.path)
        .unwrap();
    let gone = kiosk
        .get(&format!("/api/detections/{}/clip", recorded.phone))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text());
    assert!(gone.error().contains("retention"), "{}", gone.error());
}

// ---- review ----

#[tokio::test]
async fn a_reviewer_confirms_one_event_and_dismisses_another_and_the_report_shows_both_scores() {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let before = kiosk
        .get(&format!("/api/reports/{}", recorded.session))
        .await
        .json();
    assert!(before["review"].is_null(), "{}", before["review"]);

    let confirmed = kiosk
        .review(recorded.faces, "confirmed", "two people at the desk")
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    assert_eq!(confirmed.json()["by"], "exam office");
    assert_eq!(
        kiosk.review(recorded.phone, "confirmed", "").await.status,
        StatusCode::OK
    );
    // A second look: the latest decision is the one in force.
    let dismissed = kiosk
        .review(recorded.phone, "dismissed", "a calculator, allowed")
        .await;
    assert_eq!(dismissed.status, StatusCode::OK);

    let report = kiosk
        .get(&format!("/api/reports/{}", recorded.session))
        .await
        .json();
    let review = &report["review"];
    assert_eq!(
        (review["confirmed"].as_u64(), review["dismissed"].as_u64()),
        (Some(1), Some(1))
    );
    let (detector, reviewed) = (
        report["score"].as_f64().unwrap(),
        review["reviewed_score"].as_f64().unwrap(),
    );
    assert!(
        reviewed > detector,
        "dismissing the phone gave back nothing: {detector} → {reviewed}"
    );
    let phone = review["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event_id"] == recorded.phone.to_string())
        .unwrap();
    assert_eq!(phone["decision"], "dismissed");
    assert_eq!(phone["note"], "a calculator, allowed");
    assert!(phone["at"].as_str().is_some());

    let html = kiosk
        .get(&format!("/api/reports/{}?format=html", recorded.session))
        .await
        .text();
    assert!(
        html.contains("detector&#x27;s score") || html.contains("detector's score"),
        "no detector score"
    );
    assert!(html.contains("reviewed score"), "no reviewed score");
    assert!(
        html.contains("Dismissed by exam office"),
        "who dismissed is not shown"
    );
    assert!(
        html.contains(&format!("/api/detections/{}/clip", recorded.phone)),
        "no clip link"
    );
    let pdf = kiosk
        .get(&format!("/api/reports/{}?format=pdf", recorded.session))
        .await;
    assert!(pdf.body.starts_with(b"%PDF-"));
    let actions = kiosk.audit_actions(recorded.session);
    assert_eq!(
        actions.iter().filter(|a| *a == "reviewed_event").count(),
        3,
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_running_session_a_kiosk_fault_an_unknown_event_and_a_made_up_decision_are_refused() {
    let kiosk = Kiosk::new();
    let ended = kiosk.recorded_session(CANDIDATE, false);
    let fault = kiosk.review(ended.camera_lost, "dismissed", "").await;
    assert_eq!(fault.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fault.error().contains("never charged"), "{}", fault.error());
    let unknown = kiosk.review(Uuid::now_v7(), "confirmed", "").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let invented = kiosk
        .send(
            Method::POST,
            &format!("/api/detections/{}/review", ended.phone),
            Some(REVIEWER),
            Some(json!({ "decision": "maybe" })),
        )
        .await;
    assert!(invented.status.is_client_error(), "{}", invented.status);
    let running = kiosk.recorded_session("Mary Jackson", true);
    let early = kiosk.review(running.phone, "confirmed", "").await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(early.error().contains("still running"), "{}", early.error());
    assert!(
        kiosk
            .control
            .store()
            .reviews_for(ended.session)
            .unwrap()
            .is_empty()
    );
}

// ---- audit ----

#[tokio::test]
async fn every_view_or_download_is_on_the_audit_log_with_who_from_where_and_when_and_the_report_exports_it()
 {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let s = recorded.session;
    kiosk.get(&format!("/api/reports/{s}?format=pdf")).await;
    kiosk.get(&format!("/api/interviews/{s}/recordings")).await;
    kiosk
        .get(&format!("/api/recordings/{}", recorded.segment.sha256))
        .await;
    kiosk
        .get(&format!("/api/detections/{}/clip", recorded.phone))
        .await;
    // A proctor's refused attempt is not a viewing.
    kiosk
        .send(
            Method::GET,
            &format!("/api/reports/{s}"),
            Some(PROCTOR),
            None,
        )
        .await;

    let audit = kiosk
        .get(&format!("/api/interviews/{s}/audit"))
        .await
        .json();
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "downloaded_report",
            "listed_recordings",
            "downloaded_recording",
            "downloaded_clip"
        ]
    );
    for entry in entries {
        assert_eq!(entry["who"], "exam office");
        assert_eq!(entry["role"], "reviewer");
        assert_eq!(entry["via"], "token");
        assert_eq!(
            entry["from"], "0.0.0.0",
            "a test request has no client address"
        );
        let at: DateTime<Utc> = entry["at"].as_str().unwrap().parse().unwrap();
        assert!((Utc::now() - at).num_seconds() < 60);
    }
    assert!(
        entries[2]["subject"]
            .as_str()
            .unwrap()
            .contains(&recorded.segment.sha256)
    );

    // Exported with the report: the JSON and the HTML list every entry, this one too.
    let report = kiosk.get(&format!("/api/reports/{s}")).await.json();
    let log = report["access_log"].as_array().unwrap();
    assert_eq!(log.len(), 6, "4 + the audit view + this report: {log:?}");
    assert_eq!(log.last().unwrap()["action"], "viewed_report");
    let html = kiosk
        .get(&format!("/api/reports/{s}?format=html"))
        .await
        .text();
    assert!(html.contains("id=\"access-log\""));
    assert!(html.contains("downloaded_clip"));

    let all = kiosk.get("/api/audit?limit=2").await.json();
    assert_eq!(all["entries"].as_array().unwrap().len(), 2);
    assert_eq!(all["entries"][0]["action"], "viewed_report", "newest first");
}

// ---- deletion ----

#[tokio::test]
async fn a_deleted_session_leaves_only_who_deleted_it_and_why_and_the_rest_still_verifies() {
    let kiosk = Kiosk::new();
    let kept = kiosk.recorded_session("Annie Easley", false);
    let gone = kiosk.recorded_session(CANDIDATE, false);
    kiosk.review(gone.phone, "dismissed", "pen").await;
    let clip = kiosk
        .get(&format!("/api/detections/{}/clip", gone.phone))
        .await;
    assert_eq!(clip.status, StatusCode::OK);
    let store = kiosk.control.store().clone();
    let outbox_before = store.outbox().len();
    assert!(
        outbox_before > 0,
        "publishing is on: the session's items wait for the broker"
    );

    let no_reason = kiosk
        .send(
            Method::DELETE,
            &format!("/api/interviews/{}", gone.session),
            Some(REVIEWER),
            Some(json!({ "reason": "  " })),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = kiosk
        .send(
            Method::DELETE,
            &format!("/api/interviews/{}", gone.session),
            Some(REVIEWER),
            Some(json!({ "reason": "erasure request R-17" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let deleted = reply.json();
    assert_eq!(deleted["files_left"], 0);
    assert_eq!(deleted["deleted"]["removed"]["events"], 6);
    assert!(!reply.text().contains(CANDIDATE));

    // Nothing of it is served or stored any more.
    let s = gone.session;
    for uri in [
        format!("/api/interviews/{s}"),
        format!("/api/reports/{s}"),
        format!("/api/interviews/{s}/recordings"),
        // (Its segment's id is not asked for: the kept session recorded the same file.)
        format!("/api/detections/{}/clip", gone.phone),
    ] {
        assert_eq!(kiosk.get(&uri).await.status, StatusCode::NOT_FOUND, "{uri}");
    }
    assert!(store.events_for(s).unwrap().is_empty());
    assert!(store.segments_for(s).unwrap().is_empty());
    assert!(store.reviews_for(s).unwrap().is_empty());
    assert!(store.audit_for(s).unwrap().is_empty());
    assert!(store.final_report(s).unwrap().is_none());
    assert!(
        !gone.segment.path.exists(),
        "the recording is still on disk"
    );
    assert!(!kiosk.state_dir().join("clips").join(s.to_string()).exists());

    // The outbox will not publish it later, but tells the office to delete its copy.
    let items = store.outbox().peek_batch(10_000).unwrap();
    let texts: Vec<String> = items
        .iter()
        .map(|i| String::from_utf8_lossy(&i.payload).into_owned())
        .collect();
    assert!(
        texts.iter().all(|t| !t.contains(CANDIDATE)),
        "the outbox still carries the deleted candidate"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("session_deleted") && t.contains(&s.to_string())),
        "no deletion notice queued"
    );
    assert!(
        texts.iter().any(|t| t.contains("Annie Easley")),
        "the other session's items went too"
    );
    assert_eq!(store.outbox().len(), items.len(), "the outbox count is off");

    // What stays: who, from where, when, why.
    let log = kiosk.get("/api/audit").await.json();
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "deleted_session");
    assert_eq!(entry["who"], "exam office");
    assert_eq!(entry["session_id"], s.to_string());
    assert!(
        entry["subject"]
            .as_str()
            .unwrap()
            .contains("erasure request R-17")
    );
    assert_eq!(
        store.deletion_of(s).unwrap().unwrap().reason,
        "erasure request R-17"
    );

    // verify: every remaining chain is whole, and the deletion is part of the kiosk's.
    for owner in store.chain_owners().unwrap() {
        let verdict = store.verify_chain(owner).unwrap();
        assert!(verdict.ok(), "{owner:?}: {:?}", verdict.problems);
    }
    assert!(store.chain_owners().unwrap().contains(&Some(kept.session)));
    assert!(!store.chain_owners().unwrap().contains(&Some(s)));
    assert_eq!(store.verify_chain(None).unwrap().head.records, 1);
}

#[tokio::test]
async fn a_running_session_cannot_be_deleted() {
    let kiosk = Kiosk::new();
    let running = kiosk.recorded_session(CANDIDATE, true);
    let reply = kiosk
        .send(
            Method::DELETE,
            &format!("/api/interviews/{}", running.session),
            Some(REVIEWER),
            Some(json!({ "reason": "mistake" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.error().contains("end it first"), "{}", reply.error());
    assert_eq!(
        kiosk
            .control
            .store()
            .events_for(running.session)
            .unwrap()
            .len(),
        6
    );
}

#[test]
fn removing_a_deletion_record_behind_proctords_back_shows_in_verify() {
    let kiosk = Kiosk::new();
    let gone = kiosk.recorded_session(CANDIDATE, false);
    let by = proctord::store::Accessor {
        who: "exam office".into(),
        role: "reviewer".into(),
        via: "token".into(),
        from: "192.0.2.1".into(),
    };
    kiosk
        .control
        .delete_session(gone.session, "erasure request", &by)
        .unwrap();
    let store_dir = kiosk.control.store().dir().to_path_buf();
    let Kiosk { control, state, .. } = kiosk;
    drop((control, state));
    {
        let db = sled::open(&store_dir).unwrap();
        let deletions = db.open_tree("deletions").unwrap();
        let key = deletions.iter().keys().next().unwrap().unwrap();
        deletions.remove(key).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(&store_dir).unwrap();
    let verdict = store.verify_chain(None).unwrap();
    assert!(!verdict.ok(), "a removed deletion record went unnoticed");
    assert!(
        verdict.problems[0].contains("chain position 0 is empty"),
        "{:?}",
        verdict.problems
    );
}

// ---- operations ----

#[tokio::test]
async fn metrics_show_the_health_snapshot_in_prometheus_text_format() {
    let kiosk = Kiosk::new();
    let before = kiosk
        .send(Method::GET, "/metrics", Some(PROCTOR), None)
        .await;
    assert!(
        before.text().contains("proctord_pipeline_reporting 0"),
        "{}",
        before.text()
    );

    kiosk.live.publish_health(HealthSnapshot {
        inference: InferenceHealth {
            frames: 5,
            dropped_frames: 7,
            histogram_ms: Histogram {
                bounds: vec![1.0, 5.0],
                counts: vec![1, 3, 1],
                sum: 17.5,
            },
            ..InferenceHealth::default()
        },
        events_by_kind: [("phone_detected".to_string(), 2)].into(),
        outbox_len: 4,
        mqtt: MqttHealth::off(),
        disk_free_mib: Some(2),
        store_errors: 1,
        ..HealthSnapshot::default()
    });
    kiosk.control.start_session(CANDIDATE, None, None).unwrap();
    let reply = kiosk
        .send(Method::GET, "/metrics", Some(PROCTOR), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("text/plain; version=0.0.4")
    );
    let text = reply.text();
    for line in [
        "proctord_pipeline_reporting 1",
        "proctord_session_active 1",
        "proctord_frames_analysed_total 5",
        "proctord_frames_dropped_total 7",
        "proctord_inference_ms_bucket{le=\"1\"} 1",
        "proctord_inference_ms_bucket{le=\"5\"} 4",
        "proctord_inference_ms_bucket{le=\"+Inf\"} 5",
        "proctord_inference_ms_sum 17.5",
        "proctord_inference_ms_count 5",
        "proctord_events_total{kind=\"phone_detected\"} 2",
        "proctord_outbox_items 4",
        "proctord_mqtt_connected 0",
        "proctord_mqtt_connection_failures_total 0",
        "proctord_recording_active 0",
        "proctord_disk_free_bytes 2097152",
        "proctord_store_errors_total 1",
        "# TYPE proctord_inference_ms histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    // Every sample line is `name[{labels}] number`, and every metric has a TYPE.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let base = name.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| base.strip_suffix(s))
            .filter(|f| text.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(base);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{line} has no TYPE"
        );
    }
    assert!(!text.contains(CANDIDATE));
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_the_router_serves_and_nothing_else() {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let doc = kiosk
        .send(Method::GET, "/api/openapi.json", Some(PROCTOR), None)
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let method: Method = method.to_uppercase().parse().unwrap();
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path}"
            );
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            assert!(
                operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{method} {path}: operationId {} twice",
                op["operationId"]
            );
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(params.len(), path.matches('{').count(), "{method} {path}");
            for name in params {
                assert!(path.contains(&format!("{{{name}}}")), "{method} {path}");
            }
            // Every documented operation reaches a handler: not the router's 404 for an
            // unknown route, nor its 405 for a method it does not serve there; and its
            // handler asks for the role the document names.
            let uri = path.replace("{id}", &recorded.session.to_string());
            let role = op["x-proctord-role"].as_str().unwrap();
            let anyone = kiosk.send(method.clone(), &uri, None, None).await;
            assert_ne!(
                anyone.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
            if anyone.status == StatusCode::NOT_FOUND {
                assert!(
                    !anyone.error().contains("there is no route"),
                    "{method} {uri}: {}",
                    anyone.error()
                );
            }
            assert_eq!(
                anyone.status == StatusCode::UNAUTHORIZED,
                role != "open",
                "{method} {uri} ({role}) without credentials: {}",
                anyone.status
            );
            assert_eq!(op["security"].is_array(), role != "open", "{method} {path}");
            for (token, refused) in [(PROCTOR, role == "reviewer"), (REVIEWER, false)] {
                let status = kiosk
                    .send(method.clone(), &uri, Some(token), None)
                    .await
                    .status;
                assert_eq!(
                    status == StatusCode::FORBIDDEN,
                    refused,
                    "{method} {uri} ({role}) as {token}: {status}"
                );
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
            }
        }
    }
    assert_eq!(operations, routes_table().docs().len());
    for route in routes_table().docs() {
        let op = &doc["paths"][&route.path][route.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        assert_eq!(op["x-proctord-role"], route.access.as_str());
    }
    // Every reference names a schema the document has.
    let mut refs = Vec::new();
    references(&doc, &mut refs);
    assert!(refs.len() > 50, "{refs:?}");
    for reference in refs {
        assert!(
            resolve(&doc, &reference).is_object(),
            "{reference} is missing"
        );
    }
    // A route that is not in the table is not served.
    let unknown = kiosk
        .send(Method::GET, "/api/undocumented", Some(REVIEWER), None)
        .await;
    assert!(unknown.error().contains("there is no route"));
}

#[tokio::test]
async fn answers_have_the_shape_the_openapi_document_gives_them() {
    let kiosk = Kiosk::new();
    let recorded = kiosk.recorded_session(CANDIDATE, false);
    let doomed = kiosk.recorded_session("Dorothy Vaughan", false);
    let doc = kiosk
        .send(Method::GET, "/api/openapi.json", Some(PROCTOR), None)
        .await
        .json();
    let s = recorded.session;
    assert_eq!(
        kiosk
            .review(recorded.phone, "dismissed", "a calculator")
            .await
            .status,
        StatusCode::OK
    );
    let mut checked = 0;
    let check =
        async |method: Method, uri: &str, path: &str, body: Option<Value>, status: StatusCode| {
            let reply = kiosk.send(method.clone(), uri, Some(REVIEWER), body).await;
            assert_eq!(reply.status, status, "{method} {uri}: {}", reply.text());
            assert!(
                reply
                    .header(header::CONTENT_TYPE)
                    .starts_with("application/json"),
                "{method} {uri}"
            );
            let documented = &doc["paths"][path][method.as_str().to_lowercase()]["responses"]
                [status.as_str()]["content"]["application/json"]["schema"];
            assert!(
                documented.is_object(),
                "{method} {path} {status} has no JSON schema"
            );
            let problems = mismatches(&doc, documented, &reply.json());
            assert!(
                problems.is_empty(),
                "{method} {uri}: {problems:#?}\n{}",
                reply.text()
            );
        };
    let ok = StatusCode::OK;
    for (uri, path) in [
        ("/healthz".to_string(), "/healthz"),
        ("/api/me".into(), "/api/me"),
        ("/api/interviews".into(), "/api/interviews"),
        (format!("/api/interviews/{s}"), "/api/interviews/{id}"),
        (format!("/api/detections/{s}"), "/api/detections/{id}"),
        (format!("/api/reports/{s}"), "/api/reports/{id}"),
        (
            format!("/api/interviews/{s}/recordings"),
            "/api/interviews/{id}/recordings",
        ),
        (
            format!("/api/interviews/{s}/audit"),
            "/api/interviews/{id}/audit",
        ),
        ("/api/audit".into(), "/api/audit"),
        ("/api/live/detections".into(), "/api/live/detections"),
        ("/api/health".into(), "/api/health"),
    ] {
        check(Method::GET, &uri, path, None, ok).await;
        checked += 1;
    }
    for mqtt in [
        MqttHealth::off(),
        MqttHealth::of(PublisherStatus::default()),
    ] {
        kiosk.live.publish_health(HealthSnapshot {
            mqtt,
            disk_free_mib: Some(2),
            ..HealthSnapshot::default()
        });
        check(Method::GET, "/api/health", "/api/health", None, ok).await;
    }
    let event = format!("/api/detections/{}/review", recorded.faces);
    let body = json!({ "decision": "confirmed" });
    let review = "/api/detections/{id}/review";
    check(Method::POST, &event, review, Some(body), ok).await;
    let body = json!({ "candidate": "Mary Jackson", "exam_id": "M-1" });
    let start = "/api/interviews/start";
    check(Method::POST, start, start, Some(body), StatusCode::CREATED).await;
    let log = "/api/detections/log";
    let body = json!({ "label": "talking", "note": "to a neighbour", "score": 0.5 });
    check(Method::POST, log, log, Some(body), StatusCode::CREATED).await;
    let active = kiosk.control.active().unwrap().id;
    let end = format!("/api/interviews/{active}/end");
    check(Method::POST, &end, "/api/interviews/{id}/end", None, ok).await;
    let doomed = format!("/api/interviews/{}", doomed.session);
    let body = json!({ "reason": "request 12" });
    let one = "/api/interviews/{id}";
    check(Method::DELETE, &doomed, one, Some(body), ok).await;
    // Errors have the error body.
    let gone = StatusCode::NOT_FOUND;
    check(Method::GET, &doomed, one, None, gone).await;
    let reply = kiosk.send(Method::GET, "/api/me", None, None).await;
    let error = &doc["paths"]["/api/me"]["get"]["responses"]["401"]["content"]["application/json"]
        ["schema"];
    assert_eq!(mismatches(&doc, error, &reply.json()), Vec::<String>::new());
    assert!(checked > 10);

    // The check itself tells a changed answer from the documented one.
    let view = kiosk.get(&format!("/api/interviews/{s}")).await.json();
    let schema = json!({ "$ref": "#/components/schemas/InterviewView" });
    assert_eq!(mismatches(&doc, &schema, &view), Vec::<String>::new());
    let mut missing = view.clone();
    missing["summary"].as_object_mut().unwrap().remove("score");
    let mut added = view.clone();
    added["session"]["seat"] = json!(3);
    let mut retyped = view.clone();
    retyped["active"] = json!("yes");
    let mut badly_formed = view.clone();
    badly_formed["session"]["id"] = json!("0190");
    for (changed, problem) in [
        (missing, "score"),
        (added, "seat"),
        (retyped, "active"),
        (badly_formed, "id"),
    ] {
        let problems = mismatches(&doc, &schema, &changed);
        assert!(
            problems.iter().any(|p| p.contains(problem)),
            "{problem}: {problems:?}"
        );
    }
}

/// Where `value` differs from `schema` (a JSON Schema of the document's kind: `$ref`,
/// `type`, `properties`, `required`, `items`, `additionalProperties`, `enum`, `oneOf`,
/// `allOf`, the `uuid` and `date-time` formats). An object's properties must all be
/// documented, except in a part of an `allOf`.
fn mismatches(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    mismatches_at(doc, schema, value, "$", false)
}

fn mismatch(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    open: bool,
    out: &mut Vec<String>,
) {
    if let Some(reference) = schema["$ref"].as_str() {
        return mismatch(doc, resolve(doc, reference), value, at, open, out);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            mismatch(doc, part, value, at, true, out);
        }
    }
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let fitting = alternatives
            .iter()
            .filter(|a| mismatches_at(doc, a, value, at, open).is_empty())
            .count();
        if fitting != 1 {
            let all: Vec<String> = alternatives
                .iter()
                .flat_map(|a| mismatches_at(doc, a, value, at, open))
                .collect();
            out.push(format!("{at}: fits {fitting} of oneOf, not 1: {all:?}"));
        }
    }
    let json_type = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let fits = |t: &&str| *t == json_type || (*t == "number" && json_type == "integer");
    if !types.is_empty() && !types.iter().any(fits) {
        out.push(format!("{at}: a {json_type}, documented as {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(text) = value.as_str() {
        let well_formed = match schema["format"].as_str() {
            Some("uuid") => Uuid::parse_str(text).is_ok(),
            Some("date-time") => DateTime::parse_from_rfc3339(text).is_ok(),
            _ => true,
        };
        if !well_formed {
            out.push(format!("{at}: {text:?} is not a {}", schema["format"]));
        }
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            if schema["items"].is_object() {
                mismatch(
                    doc,
                    &schema["items"],
                    item,
                    &format!("{at}[{i}]"),
                    false,
                    out,
                );
            }
        }
    }
    if let Some(fields) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !fields.contains_key(name) {
                out.push(format!("{at}.{name}: required, missing"));
            }
        }
        for (name, field) in fields {
            let here = format!("{at}.{name}");
            if let Some(property) = schema["properties"].get(name) {
                mismatch(doc, property, field, &here, false, out);
            } else if schema["additionalProperties"].is_object() {
                mismatch(
                    doc,
                    &schema["additionalProperties"],
                    field,
                    &here,
                    false,
                    out,
                );
            } else if schema["properties"].is_object() && !open {
                out.push(format!("{here}: not documented"));
            }
        }
    }
}

fn mismatches_at(doc: &Value, schema: &Value, value: &Value, at: &str, open: bool) -> Vec<String> {
    let mut problems = Vec::new();
    mismatch(doc, schema, value, at, open, &mut problems);
    problems
}

/// `#/components/schemas/Name` in `doc`.
fn resolve<'d>(doc: &'d Value, reference: &str) -> &'d Value {
    let pointer = reference
        .strip_prefix('#')
        .expect("a reference within the document");
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} is not in the document"))
}

/// Every `$ref` in `value`.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                match (name.as_str(), field) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => references(field, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}
