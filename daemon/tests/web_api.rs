//! The web API through `tower::ServiceExt::oneshot`, without a server: every route's
//! answer and every way a request can be wrong.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use proctord::config::{Config, WebConfig};
use proctord::control::Control;
use proctord::detections::{BBox, DetectedObject, Detections, Face, InferenceTimes, ObjectClass};
use proctord::frame::Frame;
use proctord::live::LiveView;
use proctord::store::Store;
use proctord::web::{AppState, MAX_BODY_BYTES, StreamTimings, app, serve_on};
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "s3cret-kiosk-token";

struct Kiosk {
    _dir: tempfile::TempDir,
    control: Control,
    live: LiveView,
    state: AppState,
}

impl Kiosk {
    fn with_token(token: &str) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state")).unwrap();
        let control = Control::new(store, Config::default(), vec![]).unwrap();
        let live = LiveView::new();
        let web = WebConfig {
            api_token: token.to_string(),
            ..WebConfig::default()
        };
        let timings = StreamTimings {
            health_every: Duration::from_millis(50),
            mjpeg_min_interval: Duration::from_millis(10),
        };
        let state = AppState::new(control.clone(), live.clone(), web).with_timings(timings);
        Kiosk {
            _dir: dir,
            control,
            live,
            state,
        }
    }

    fn new() -> Kiosk {
        Kiosk::with_token(TOKEN)
    }

    fn app(&self) -> Router {
        app(self.state.clone())
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(authorized_get(uri)).await
    }

    async fn get_anonymous(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post_json(&self, uri: &str, body: Value) -> Reply {
        self.send(post(uri, Some(TOKEN), &body.to_string())).await
    }

    async fn start(&self, candidate: &str) -> Value {
        let reply = self
            .post_json("/api/interviews/start", json!({ "candidate": candidate }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json()
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {}", self.text()))
            .to_string()
    }
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

/// A GET with the kiosk's token ([web] api_token: the reviewer role).
fn authorized_get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

fn grey_frame(seq: u64, width: u32, height: u32) -> Frame {
    let pixels = vec![128u8; (width * height * 3) as usize];
    Frame::new_rgb(
        seq,
        Duration::from_millis(seq * 100),
        Utc::now(),
        width,
        height,
        Arc::from(pixels),
    )
}

fn face_and_phone(seq: u64) -> Detections {
    Detections {
        frame_seq: seq,
        at: Duration::from_millis(seq * 100),
        faces: vec![Face {
            score: 0.93,
            bbox: BBox {
                x0: 0.3,
                y0: 0.2,
                x1: 0.6,
                y1: 0.7,
            },
            keypoints: vec![],
            yaw_deg: 12.0,
            pitch_deg: -4.0,
            ..Default::default()
        }],
        objects: Some(vec![DetectedObject {
            class: ObjectClass::Phone,
            label: "cell phone".into(),
            score: 0.81,
            bbox: BBox {
                x0: 0.7,
                y0: 0.5,
                x1: 0.85,
                y1: 0.8,
            },
        }]),
        hands_zone: None,
        objects_at: None,
        inference_ms: InferenceTimes {
            face_ms: 1.2,
            objects_ms: Some(15.0),
            face_detector_ran: true,
            total_ms: 16.5,
        },
    }
}

/// Reads a streaming body until `wanted` appears in it (or fails after 5 s).
async fn read_until(body: &mut Body, wanted: &str) -> String {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&seen).contains(wanted) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{wanted:?} did not arrive; got {:?}",
                    String::from_utf8_lossy(&seen)
                )
            })
            .expect("the stream ended")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.extend_from_slice(&data);
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

// ---- sessions ----

#[tokio::test]
async fn starting_a_session_answers_201_with_the_session_and_a_full_score() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .post_json(
            "/api/interviews/start",
            json!({ "candidate": "Ada Lovelace", "exam_id": "MATH-101", "notes": "left-handed" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let view = reply.json();
    assert_eq!(view["session"]["candidate"], "Ada Lovelace");
    assert_eq!(view["session"]["exam_id"], "MATH-101");
    assert_eq!(view["active"], true);
    assert_eq!(view["summary"]["score"], 100.0);
    assert_eq!(view["summary"]["in_progress"], true);
    let id = view["session"]["id"].as_str().unwrap();
    assert_eq!(
        reply.headers[header::LOCATION],
        format!("/api/interviews/{id}").as_str()
    );
    assert_eq!(kiosk.control.active().unwrap().id.to_string(), id);
}

#[tokio::test]
async fn starting_a_second_session_while_one_is_active_is_a_409_naming_the_active_one() {
    let kiosk = Kiosk::new();
    let first = kiosk.start("First Candidate").await;
    let reply = kiosk
        .post_json(
            "/api/interviews/start",
            json!({ "candidate": "Second Candidate" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(
        reply
            .error()
            .contains(first["session"]["id"].as_str().unwrap()),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn an_empty_candidate_name_is_a_422() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .post_json("/api/interviews/start", json!({ "candidate": "   " }))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.error().contains("candidate"), "{}", reply.error());
}

#[tokio::test]
async fn a_session_is_shown_with_its_live_score_while_it_runs() {
    let kiosk = Kiosk::new();
    let started = kiosk.start("Grace Hopper").await;
    let id = started["session"]["id"].as_str().unwrap();
    let reply = kiosk.get(&format!("/api/interviews/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let view = reply.json();
    assert_eq!(view["session"]["candidate"], "Grace Hopper");
    assert_eq!(view["active"], true);
    assert_eq!(view["summary"]["in_progress"], true);
    assert_eq!(
        view["links"]["pdf"],
        format!("/api/reports/{id}?format=pdf")
    );
}

#[tokio::test]
async fn ending_a_session_answers_its_final_score_and_a_second_end_is_a_409() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Alan Turing").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = kiosk
        .send(post(&format!("/api/interviews/{id}/end"), Some(TOKEN), ""))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let view = reply.json();
    assert_eq!(view["active"], false);
    assert_eq!(view["summary"]["in_progress"], false);
    assert!(view["session"]["ended_at"].is_string());
    assert_eq!(view["summary"]["score"], 100.0);
    assert!(kiosk.control.active().is_none());

    let again = kiosk
        .send(post(&format!("/api/interviews/{id}/end"), Some(TOKEN), ""))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.error().contains("already ended"), "{}", again.error());
}

#[tokio::test]
async fn unknown_session_ids_are_404_on_every_route_that_takes_one() {
    let kiosk = Kiosk::new();
    let unknown = "0190c5e2-7a4b-7c3d-9e8f-0123456789ab";
    for uri in [
        format!("/api/interviews/{unknown}"),
        format!("/api/detections/{unknown}"),
        format!("/api/reports/{unknown}"),
    ] {
        let reply = kiosk.get(&uri).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{uri}: {}",
            reply.text()
        );
        assert!(reply.error().contains(unknown), "{uri}: {}", reply.error());
    }
    let reply = kiosk
        .send(post(
            &format!("/api/interviews/{unknown}/end"),
            Some(TOKEN),
            "",
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_a_400_saying_what_an_id_looks_like() {
    let kiosk = Kiosk::new();
    let reply = kiosk.get("/api/interviews/not-an-id").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error().contains("UUID"), "{}", reply.error());
}

#[tokio::test]
async fn listing_sessions_needs_the_token_and_answers_newest_first() {
    let kiosk = Kiosk::new();
    let first = kiosk.start("First").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    kiosk
        .send(post(
            &format!("/api/interviews/{first}/end"),
            Some(TOKEN),
            "",
        ))
        .await;
    let second = kiosk.start("Second").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        kiosk.get_anonymous("/api/interviews").await.status,
        StatusCode::UNAUTHORIZED
    );
    let reply = kiosk.get("/api/interviews").await;
    assert_eq!(reply.status, StatusCode::OK);
    let list = reply.json();
    let ids: Vec<&str> = list["interviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    assert_eq!(list["active_id"], second.as_str());
}

// ---- authentication ----

#[tokio::test]
async fn control_routes_without_a_token_are_401_and_say_which_header_to_send() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Someone").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (uri, body) in [
        ("/api/interviews/start".to_string(), r#"{"candidate":"X"}"#),
        (format!("/api/interviews/{id}/end"), ""),
        ("/api/detections/log".to_string(), r#"{"label":"x"}"#),
    ] {
        let reply = kiosk.send(post(&uri, None, body)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(
            reply.error().contains("Authorization: Bearer"),
            "{uri}: {}",
            reply.error()
        );
    }
    assert!(
        kiosk.control.active().is_some(),
        "the unauthenticated end must not have ended the session"
    );
}

#[tokio::test]
async fn a_wrong_token_is_401_and_changes_nothing() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .send(post(
            "/api/interviews/start",
            Some("not-the-token"),
            r#"{"candidate":"Mallory"}"#,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.error().contains("wrong"), "{}", reply.error());
    assert!(kiosk.control.active().is_none());

    let basic = Request::post("/api/interviews/start")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .body(Body::from(r#"{"candidate":"Mallory"}"#))
        .unwrap();
    assert_eq!(kiosk.send(basic).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_any_account_or_token_every_candidate_route_is_403_saying_how_to_create_one() {
    let kiosk = Kiosk::with_token("");
    let reply = kiosk
        .send(post(
            "/api/interviews/start",
            Some(""),
            r#"{"candidate":"Anyone"}"#,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.error().contains("proctord hash-password"),
        "{}",
        reply.error()
    );
    assert!(kiosk.control.active().is_none());
    for uri in ["/api/health", "/live.jpg", "/api/me", "/api/interviews"] {
        let reply = kiosk.get_anonymous(uri).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(
            reply.error().contains("[[web.users]]"),
            "{uri}: {}",
            reply.error()
        );
    }
}

// ---- malformed requests ----

#[tokio::test]
async fn malformed_json_is_a_400_saying_the_body_is_not_json() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .send(post(
            "/api/interviews/start",
            Some(TOKEN),
            r#"{"candidate": "Ada""#,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().contains("not valid JSON"),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn a_missing_field_is_a_422_naming_it() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .send(post(
            "/api/interviews/start",
            Some(TOKEN),
            r#"{"exam_id": "X"}"#,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.error().contains("candidate"), "{}", reply.error());
}

#[tokio::test]
async fn a_misspelt_field_is_a_422_rather_than_silently_ignored() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .send(post(
            "/api/interviews/start",
            Some(TOKEN),
            r#"{"candidate": "Ada", "exam": "X"}"#,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.error().contains("exam"), "{}", reply.error());
    assert!(kiosk.control.active().is_none());
}

#[tokio::test]
async fn a_body_not_sent_as_json_is_a_415() {
    let kiosk = Kiosk::new();
    let request = Request::post("/api/interviews/start")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(r#"{"candidate":"Ada"}"#))
        .unwrap();
    let reply = kiosk.send(request).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        reply.error().contains("Content-Type: application/json"),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let kiosk = Kiosk::new();
    let huge = json!({ "candidate": "x".repeat(MAX_BODY_BYTES + 1) }).to_string();
    let reply = kiosk
        .send(post("/api/interviews/start", Some(TOKEN), &huge))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        reply.error().contains("larger than the limit"),
        "{}",
        reply.error()
    );
    assert!(kiosk.control.active().is_none());
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json_errors() {
    let kiosk = Kiosk::new();
    let missing = kiosk.get("/api/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.error().contains("/api/nothing-here"));
    let wrong_method = kiosk
        .send(Request::delete("/api/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        wrong_method.error().contains("DELETE"),
        "{}",
        wrong_method.error()
    );
}

// ---- events ----

#[tokio::test]
async fn a_logged_event_is_attached_to_the_active_session_and_listed_with_its_events() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = kiosk
        .post_json(
            "/api/detections/log",
            json!({ "label": "phone on desk", "note": "seen by proctor", "score": 0.9 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let event = reply.json();
    assert_eq!(event["session_id"], id.as_str());
    assert_eq!(event["kind"], "logged");
    assert_eq!(event["details"]["label"], "phone on desk");

    let listed = kiosk.get(&format!("/api/detections/{id}")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let events = listed.json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], event["id"]);
}

#[tokio::test]
async fn an_event_for_an_ended_session_is_a_409_and_one_for_an_unknown_session_a_404() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    kiosk
        .send(post(&format!("/api/interviews/{id}/end"), Some(TOKEN), ""))
        .await;
    let reply = kiosk
        .post_json(
            "/api/detections/log",
            json!({ "interview_id": id, "label": "reviewed later" }),
        )
        .await;
    // The session's report is final once it ended.
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(
        reply.text().contains("has already ended"),
        "{}",
        reply.text()
    );
    let listed = kiosk.get(&format!("/api/detections/{id}")).await;
    assert!(listed.json()["events"].as_array().unwrap().is_empty());

    let unknown = kiosk
        .post_json(
            "/api/detections/log",
            json!({ "interview_id": "0190c5e2-7a4b-7c3d-9e8f-0123456789ab", "label": "x" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_logged_score_outside_0_to_1_and_an_empty_label_are_422() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .post_json(
            "/api/detections/log",
            json!({ "label": "phone", "score": 87 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.error().contains("between 0 and 1"),
        "{}",
        reply.error()
    );
    let reply = kiosk
        .post_json("/api/detections/log", json!({ "label": "" }))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = kiosk
        .post_json(
            "/api/detections/log",
            json!({ "label": "x", "interview_id": "nope" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---- reports ----

#[tokio::test]
async fn the_report_comes_as_json_html_and_pdf() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada <b>Lovelace</b>").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    kiosk
        .post_json("/api/detections/log", json!({ "label": "phone on desk" }))
        .await;
    kiosk
        .send(post(&format!("/api/interviews/{id}/end"), Some(TOKEN), ""))
        .await;

    let json = kiosk.get(&format!("/api/reports/{id}")).await;
    assert_eq!(json.status, StatusCode::OK);
    assert!(json.content_type().starts_with("application/json"));
    assert_eq!(json.json()["candidate"], "Ada <b>Lovelace</b>");
    assert_eq!(json.json()["in_progress"], false);

    let html = kiosk.get(&format!("/api/reports/{id}?format=html")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.content_type().starts_with("text/html"));
    assert!(
        html.text().contains("Ada &lt;b&gt;Lovelace&lt;/b&gt;"),
        "the candidate's name must be escaped"
    );
    assert!(!html.text().contains("<b>Lovelace</b>"));

    let pdf = kiosk.get(&format!("/api/reports/{id}?format=pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    assert_eq!(pdf.content_type(), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF"), "not a PDF");
    assert!(
        pdf.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&id)
    );
}

#[tokio::test]
async fn an_unknown_report_format_is_a_400_listing_the_formats() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = kiosk.get(&format!("/api/reports/{id}?format=docx")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().contains("json, html or pdf"),
        "{}",
        reply.error()
    );
}

// ---- live view and health ----

#[tokio::test]
async fn health_shows_null_pipeline_until_it_publishes_then_what_it_published() {
    let kiosk = Kiosk::new();
    let before = kiosk.get("/api/health").await.json();
    assert!(before["pipeline"].is_null());
    assert!(before["live_frame"].is_null());
    assert_eq!(before["kiosk"]["kiosk_id"], "kiosk-01");

    kiosk
        .live
        .publish_health(proctord::health_snapshot::HealthSnapshot {
            camera: proctord::health_snapshot::CameraHealth {
                connected: true,
                fps: 29.9,
                ..Default::default()
            },
            outbox_len: 3,
            ..Default::default()
        });
    kiosk
        .live
        .publish_frame(&grey_frame(7, 64, 48), &face_and_phone(7));
    let id = kiosk.start("Ada").await["session"]["id"].clone();
    let after = kiosk.get("/api/health").await.json();
    assert_eq!(after["pipeline"]["camera"]["fps"], 29.9);
    assert_eq!(after["pipeline"]["outbox_len"], 3);
    assert_eq!(after["live_frame"]["seq"], 7);
    assert_eq!(after["active_session_id"], id);
}

#[tokio::test]
async fn live_detections_are_null_before_the_first_frame_and_the_newest_after() {
    let kiosk = Kiosk::new();
    let before = kiosk.get("/api/live/detections").await.json();
    assert!(before["detections"].is_null() && before["frame"].is_null());

    kiosk
        .live
        .publish_frame(&grey_frame(1, 64, 48), &face_and_phone(1));
    kiosk
        .live
        .publish_frame(&grey_frame(2, 64, 48), &face_and_phone(2));
    let after = kiosk.get("/api/live/detections").await.json();
    assert_eq!(after["frame"]["seq"], 2);
    assert_eq!(after["frame"]["width"], 64);
    assert_eq!(after["detections"]["frame_seq"], 2);
    assert_eq!(after["detections"]["faces"][0]["yaw_deg"], 12.0);
    assert_eq!(after["detections"]["objects"][0]["class"], "phone");
}

#[tokio::test]
async fn live_jpg_is_503_before_the_first_frame_and_a_jpeg_of_the_frame_after() {
    let kiosk = Kiosk::new();
    let before = kiosk.get("/live.jpg").await;
    assert_eq!(before.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(before.error().contains("no camera frame"));

    kiosk
        .live
        .publish_frame(&grey_frame(1, 320, 240), &face_and_phone(1));
    let after = kiosk.get("/live.jpg").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.content_type(), "image/jpeg");
    let image = image::load_from_memory_with_format(&after.body, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((image.width(), image.height()), (320, 240));
}

#[tokio::test]
async fn the_mjpeg_stream_sends_each_new_frame_as_a_jpeg_part() {
    let kiosk = Kiosk::new();
    let response = kiosk
        .app()
        .oneshot(authorized_get("/live.mjpeg"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    let boundary = content_type
        .strip_prefix("multipart/x-mixed-replace; boundary=")
        .expect(&content_type)
        .to_string();
    let mut body = response.into_body();

    kiosk
        .live
        .publish_frame(&grey_frame(1, 160, 120), &face_and_phone(1));
    let first = read_until(&mut body, "Content-Length").await;
    assert!(first.starts_with(&format!("--{boundary}\r\n")));
    assert!(first.contains("Content-Type: image/jpeg"));

    kiosk
        .live
        .publish_frame(&grey_frame(2, 160, 120), &face_and_phone(2));
    // Each part is followed at once by the next boundary: a second one means a second frame.
    let mut rest = read_until(&mut body, "Content-Length").await;
    rest.push_str(&first);
    assert!(
        rest.matches(&format!("--{boundary}\r\n")).count() >= 3,
        "expected two parts, got {rest:?}"
    );
}

// ---- live feed and page ----

#[tokio::test]
async fn the_event_stream_starts_with_the_active_session_and_carries_events_and_health() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = kiosk
        .app()
        .oneshot(authorized_get("/api/events/stream"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.into_body();

    let greeting = read_until(&mut body, &id).await;
    assert!(
        greeting.starts_with("event: session"),
        "the first event names the active session: {greeting}"
    );

    kiosk
        .control
        .log_event(None, "phone under the desk", None, None)
        .unwrap();
    let events = read_until(&mut body, "phone under the desk").await;
    assert!(events.contains("event: proctor"), "{events}");
    let health = read_until(&mut body, "event: health").await;
    assert!(health.contains("event: health"));
}

#[tokio::test]
async fn the_event_stream_announces_a_session_that_ends() {
    let kiosk = Kiosk::new();
    let id = kiosk.start("Ada").await["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = kiosk
        .app()
        .oneshot(authorized_get("/api/events/stream"))
        .await
        .unwrap();
    let mut body = response.into_body();
    read_until(&mut body, &id).await;
    kiosk.control.end_session(id.parse().unwrap()).unwrap();
    read_until(&mut body, r#""session":null"#).await;
}

#[tokio::test]
async fn the_status_page_is_self_contained_and_allows_only_its_own_script() {
    let kiosk = Kiosk::new();
    let reply = kiosk.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/html"));
    let page = reply.text();
    for external in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "@import",
        "<script src",
    ] {
        assert!(
            !page.contains(external),
            "the page must not load {external}: the kiosk has no internet"
        );
    }
    assert!(page.contains("\"/live.mjpeg"));
    assert!(page.contains("/api/events/stream"));
    let csp = reply.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        !page.contains(".innerHTML"),
        "data must be inserted as text, never as HTML"
    );
}

#[tokio::test]
async fn shutting_the_server_down_ends_open_streams_instead_of_waiting_for_them() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let kiosk = Kiosk::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on(listener, kiosk.state.clone(), async {
        let _ = stop_rx.await;
    }));

    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client
        .write_all(format!("GET /api/events/stream HTTP/1.1\r\nHost: kiosk\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));

    stop_tx.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        finished.is_ok(),
        "the server still waits for the open event stream"
    );
    finished.unwrap().unwrap().unwrap();
}
