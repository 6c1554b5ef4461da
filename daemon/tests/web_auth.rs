//! Who may see what, route by route, through the real router (`tower::ServiceExt::oneshot`):
//! 401 without credentials, 403 with the wrong role, success with the right one, by
//! login cookie and by bearer token; the login itself (cookie, throttling, CSRF, idle
//! timeout, logout).

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use proctord::config::{Config, WebConfig, WebRole, WebToken, WebUser};
use proctord::control::Control;
use proctord::detections::{Detections, InferenceTimes};
use proctord::frame::Frame;
use proctord::live::LiveView;
use proctord::store::Store;
use proctord::web::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

const HOST: &str = "kiosk.test:8080";
const ORIGIN: &str = "http://kiosk.test:8080";
const PROCTOR_PASSWORD: &str = "proctor passphrase";
const REVIEWER_PASSWORD: &str = "reviewer passphrase";
const PROCTOR_TOKEN: &str = "proctor-machine-token";
const REVIEWER_TOKEN: &str = "reviewer-machine-token";
const CANDIDATE: &str = "Grace Hopper";

/// Hashing is deliberately slow: once for the whole file.
static HASHES: LazyLock<(String, String)> = LazyLock::new(|| {
    (
        proctord::password::hash(PROCTOR_PASSWORD).unwrap(),
        proctord::password::hash(REVIEWER_PASSWORD).unwrap(),
    )
});

fn accounts() -> WebConfig {
    WebConfig {
        users: vec![
            WebUser {
                name: "pat".into(),
                role: WebRole::Proctor,
                password_hash: HASHES.0.clone(),
            },
            WebUser {
                name: "rita".into(),
                role: WebRole::Reviewer,
                password_hash: HASHES.1.clone(),
            },
        ],
        tokens: vec![
            WebToken {
                name: "proctor script".into(),
                role: WebRole::Proctor,
                token: PROCTOR_TOKEN.into(),
            },
            WebToken {
                name: "exam office".into(),
                role: WebRole::Reviewer,
                token: REVIEWER_TOKEN.into(),
            },
        ],
        ..WebConfig::default()
    }
}

struct Kiosk {
    _dir: tempfile::TempDir,
    control: Control,
    live: LiveView,
    state: AppState,
}

impl Kiosk {
    fn with(web: WebConfig) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state")).unwrap();
        let control = Control::new(store, Config::default(), vec![]).unwrap();
        let live = LiveView::new();
        let state = AppState::new(control.clone(), live.clone(), web);
        Kiosk {
            _dir: dir,
            control,
            live,
            state,
        }
    }

    fn new() -> Kiosk {
        Kiosk::with(accounts())
    }

    fn app(&self) -> Router {
        app(self.state.clone())
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        // Streams never end: their status and headers are what counts here.
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

    /// Logs in from `client` and returns the `Cookie` header value to send.
    async fn login(&self, name: &str, password: &str) -> String {
        let reply = self
            .send(login_request(name, password, "192.0.2.10:5000"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
        set_cookie.split(';').next().unwrap().to_string()
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
}

#[derive(Clone, Copy, Debug)]
enum Credential<'a> {
    Nothing,
    Token(&'a str),
    /// A login cookie, sent as the status page sends it (same Origin and Host).
    Cookie(&'a str),
}

fn request(
    method: &Method,
    uri: &str,
    body: Option<&str>,
    credential: Credential,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, HOST);
    match credential {
        Credential::Nothing => {}
        Credential::Token(token) => {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        Credential::Cookie(cookie) => {
            builder = builder.header(header::COOKIE, cookie);
            if method == Method::POST {
                builder = builder.header(header::ORIGIN, ORIGIN);
            }
        }
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

fn login_request(name: &str, password: &str, client: &str) -> Request<Body> {
    let mut request = Request::post("/api/login")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "name": name, "password": password }).to_string(),
        ))
        .unwrap();
    let addr: SocketAddr = client.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

fn publish_a_frame(live: &LiveView) {
    let frame = Frame::new_rgb(
        1,
        Duration::from_millis(100),
        Utc::now(),
        32,
        24,
        Arc::from(vec![90u8; 32 * 24 * 3]),
    );
    let detections = Detections {
        frame_seq: 1,
        at: Duration::from_millis(100),
        faces: vec![],
        objects: None,
        hands_zone: None,
        objects_at: None,
        inference_ms: InferenceTimes::default(),
    };
    live.publish_frame(&frame, &detections);
}

/// Every route with candidate data, the role it needs and what it answers when allowed.
fn candidate_routes(id: &str) -> Vec<(Method, String, Option<&'static str>, WebRole, StatusCode)> {
    use WebRole::{Proctor, Reviewer};
    let ok = StatusCode::OK;
    vec![
        (Method::GET, "/api/me".into(), None, Proctor, ok),
        (Method::GET, "/api/interviews".into(), None, Proctor, ok),
        (
            Method::GET,
            format!("/api/interviews/{id}"),
            None,
            Proctor,
            ok,
        ),
        (
            Method::POST,
            "/api/detections/log".into(),
            Some(r#"{"label":"phone on the desk"}"#),
            Proctor,
            StatusCode::CREATED,
        ),
        (
            Method::GET,
            format!("/api/detections/{id}"),
            None,
            Proctor,
            ok,
        ),
        (Method::GET, "/api/health".into(), None, Proctor, ok),
        (
            Method::GET,
            "/api/live/detections".into(),
            None,
            Proctor,
            ok,
        ),
        (Method::GET, "/api/events/stream".into(), None, Proctor, ok),
        (Method::GET, "/live.mjpeg".into(), None, Proctor, ok),
        (Method::GET, "/live.jpg".into(), None, Proctor, ok),
        (
            Method::GET,
            format!("/api/reports/{id}"),
            None,
            Reviewer,
            ok,
        ),
        (
            Method::GET,
            format!("/api/reports/{id}?format=html"),
            None,
            Reviewer,
            ok,
        ),
        (
            Method::GET,
            format!("/api/interviews/{id}/recordings"),
            None,
            Reviewer,
            ok,
        ),
        (
            Method::GET,
            format!("/api/reports/{id}?format=pdf"),
            None,
            Reviewer,
            ok,
        ),
    ]
}

#[tokio::test]
async fn every_candidate_route_is_401_without_credentials_403_for_the_wrong_role_and_served_to_the_right_one()
 {
    let kiosk = Kiosk::new();
    let session = kiosk.control.start_session(CANDIDATE, None, None).unwrap();
    let id = session.id.to_string();
    publish_a_frame(&kiosk.live);
    let proctor_cookie = kiosk.login("pat", PROCTOR_PASSWORD).await;
    let reviewer_cookie = kiosk.login("rita", REVIEWER_PASSWORD).await;
    let proctors = [
        Credential::Token(PROCTOR_TOKEN),
        Credential::Cookie(&proctor_cookie),
    ];
    let reviewers = [
        Credential::Token(REVIEWER_TOKEN),
        Credential::Cookie(&reviewer_cookie),
    ];

    for (i, (method, uri, body, needed, success)) in candidate_routes(&id).into_iter().enumerate() {
        let reply = kiosk
            .send(request(&method, &uri, body, Credential::Nothing))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without credentials"
        );
        assert!(
            !reply.text().contains(CANDIDATE),
            "{method} {uri} named the candidate"
        );
        assert!(
            reply.error().contains("log in"),
            "{method} {uri}: {}",
            reply.error()
        );

        // From an address of its own: wrong tokens count as failed logins.
        let mut guess = request(&method, &uri, body, Credential::Token("not-a-token"));
        let guesser: SocketAddr = format!("198.18.0.{i}:1").parse().unwrap();
        guess.extensions_mut().insert(ConnectInfo(guesser));
        let wrong = kiosk.send(guess).await;
        assert_eq!(
            wrong.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} with a wrong token"
        );

        for credential in proctors {
            let reply = kiosk.send(request(&method, &uri, body, credential)).await;
            let expected = if needed == WebRole::Proctor {
                success
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                reply.status,
                expected,
                "{method} {uri} as a proctor ({credential:?}): {}",
                reply.text()
            );
            if expected == StatusCode::FORBIDDEN {
                assert!(reply.error().contains("reviewer role"), "{}", reply.error());
                assert!(!reply.text().contains(CANDIDATE));
            }
        }
        for credential in reviewers {
            let reply = kiosk.send(request(&method, &uri, body, credential)).await;
            assert_eq!(
                reply.status,
                success,
                "{method} {uri} as a reviewer ({credential:?}): {}",
                reply.text()
            );
        }
    }

    // Ending and starting sessions: a proctor may, nobody else.
    let end = format!("/api/interviews/{id}/end");
    let start = "/api/interviews/start";
    let start_body = Some(r#"{"candidate":"Alan Turing"}"#);
    let anonymous = kiosk
        .send(request(&Method::POST, &end, None, Credential::Nothing))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(
        kiosk.control.active().is_some(),
        "an anonymous request ended the session"
    );
    let ended = kiosk
        .send(request(&Method::POST, &end, None, proctors[1]))
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text());
    let anonymous = kiosk
        .send(request(
            &Method::POST,
            start,
            start_body,
            Credential::Nothing,
        ))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(
        kiosk.control.active().is_none(),
        "an anonymous request started a session"
    );
    let started = kiosk
        .send(request(&Method::POST, start, start_body, proctors[1]))
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text());
}

#[tokio::test]
async fn the_page_and_healthz_are_open_and_healthz_names_nobody() {
    let kiosk = Kiosk::new();
    kiosk
        .control
        .start_session(CANDIDATE, Some("MATH-101"), None)
        .unwrap();
    let page = kiosk
        .send(request(&Method::GET, "/", None, Credential::Nothing))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("id=\"login-form\""));

    let before = kiosk
        .send(request(&Method::GET, "/healthz", None, Credential::Nothing))
        .await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.json(), json!({ "status": "up", "ready": false }));
    publish_a_frame(&kiosk.live);
    let after = kiosk
        .send(request(&Method::GET, "/healthz", None, Credential::Nothing))
        .await;
    assert_eq!(after.json(), json!({ "status": "up", "ready": true }));
    assert!(!after.text().contains("Grace") && !after.text().contains("MATH"));
}

#[tokio::test]
async fn a_login_gives_an_http_only_strict_cookie_and_says_who_and_which_role() {
    let kiosk = Kiosk::new();
    let reply = kiosk
        .send(login_request("rita", REVIEWER_PASSWORD, "192.0.2.1:4000"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("proctord_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "Secure without TLS: the browser would drop it"
    );
    let me = reply.json();
    assert_eq!(me["name"], "rita");
    assert_eq!(me["role"], "reviewer");
    assert_eq!(me["idle_timeout_s"], 900);
    assert!(!reply.text().contains(REVIEWER_PASSWORD));

    let cookie = cookie.split(';').next().unwrap();
    let me = kiosk
        .send(request(
            &Method::GET,
            "/api/me",
            None,
            Credential::Cookie(cookie),
        ))
        .await;
    assert_eq!(me.json()["via"], "login");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_answer() {
    let kiosk = Kiosk::new();
    let wrong = kiosk
        .send(login_request("pat", "not the passphrase", "192.0.2.2:1"))
        .await;
    let unknown = kiosk
        .send(login_request("nobody", "not the passphrase", "192.0.2.3:1"))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error(), unknown.error());
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn twenty_wrong_passwords_are_throttled_and_then_even_the_right_one_must_wait() {
    let kiosk = Kiosk::new();
    let client = "198.51.100.7:40000";
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..20 {
        let reply = kiosk
            .send(login_request("pat", &format!("guess number {i}"), client))
            .await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            retry_after = Some(
                reply.headers[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
            assert!(reply.error().contains("try again in"), "{}", reply.error());
        }
        statuses.push(reply.status.as_u16());
    }
    // The default: 5 failures per client, then 5 minutes' wait.
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 15], "{statuses:?}");
    let seconds: u64 = retry_after.unwrap().parse().unwrap();
    assert!((290..=300).contains(&seconds), "Retry-After {seconds}");

    let right = kiosk
        .send(login_request("pat", PROCTOR_PASSWORD, client))
        .await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the lockout let a login through"
    );
    // Another computer is not locked out by this one.
    let elsewhere = kiosk
        .send(login_request("pat", PROCTOR_PASSWORD, "198.51.100.8:1"))
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text());
}

#[tokio::test]
async fn guessing_one_accounts_password_from_many_addresses_locks_that_account_only() {
    let kiosk = Kiosk::new();
    for i in 0..10 {
        let reply = kiosk
            .send(login_request("rita", "guess", &format!("203.0.113.{i}:1")))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let locked = kiosk
        .send(login_request("rita", REVIEWER_PASSWORD, "203.0.113.200:1"))
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.error().contains("for this account"),
        "{}",
        locked.error()
    );
    let other = kiosk
        .send(login_request("pat", PROCTOR_PASSWORD, "203.0.113.200:1"))
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn guessing_bearer_tokens_is_throttled_like_passwords() {
    let kiosk = Kiosk::new();
    let guesser: SocketAddr = "198.51.100.99:1".parse().unwrap();
    let with_token = |token: &str| {
        let mut r = request(&Method::GET, "/api/health", None, Credential::Token(token));
        r.extensions_mut().insert(ConnectInfo(guesser));
        r
    };
    for i in 0..5 {
        let reply = kiosk.send(with_token(&format!("guess-{i}"))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let locked = kiosk.send(with_token(PROCTOR_TOKEN)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text()
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    // Tokens name no account: wrong ones from many addresses lock nobody else out.
    for i in 0..20 {
        let mut r = request(
            &Method::GET,
            "/api/health",
            None,
            Credential::Token("guess"),
        );
        let from: SocketAddr = format!("198.51.100.{i}:1").parse().unwrap();
        r.extensions_mut().insert(ConnectInfo(from));
        kiosk.send(r).await;
    }
    let other = kiosk
        .send(request(
            &Method::GET,
            "/api/health",
            None,
            Credential::Token(PROCTOR_TOKEN),
        ))
        .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text());
}

#[tokio::test]
async fn a_cookie_post_from_another_site_or_without_an_origin_is_refused_and_changes_nothing() {
    let kiosk = Kiosk::new();
    let cookie = kiosk.login("pat", PROCTOR_PASSWORD).await;
    let body = r#"{"candidate":"Mallory"}"#;
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let mut builder = Request::post("/api/interviews/start")
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        let reply = kiosk.send(builder.body(Body::from(body)).unwrap()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "Origin {origin:?}");
        assert!(
            kiosk.control.active().is_none(),
            "Origin {origin:?} started a session"
        );
    }
    // A bearer token is never sent by a browser on its own: no Origin needed.
    let scripted = kiosk
        .send(request(
            &Method::POST,
            "/api/interviews/start",
            Some(body),
            Credential::Token(PROCTOR_TOKEN),
        ))
        .await;
    assert_eq!(scripted.status, StatusCode::CREATED);
}

#[tokio::test]
async fn after_logout_the_cookie_gets_nothing_and_an_open_event_stream_ends() {
    let kiosk = Kiosk::new();
    let cookie = kiosk.login("pat", PROCTOR_PASSWORD).await;
    let stream = kiosk
        .app()
        .oneshot(request(
            &Method::GET,
            "/api/events/stream",
            None,
            Credential::Cookie(&cookie),
        ))
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut body = stream.into_body();

    let logout = kiosk
        .send(request(
            &Method::POST,
            "/api/logout",
            None,
            Credential::Cookie(&cookie),
        ))
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(
        logout.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    let after = kiosk
        .send(request(
            &Method::GET,
            "/api/health",
            None,
            Credential::Cookie(&cookie),
        ))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.error().contains("log in again"), "{}", after.error());
    // The stream sends what it had (the greeting), then ends.
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = body.frame().await {
            frame.unwrap();
        }
    })
    .await;
    assert!(drained.is_ok(), "the event stream went on after logout");
}

#[tokio::test]
async fn a_login_left_idle_past_its_timeout_must_log_in_again() {
    let kiosk = Kiosk::with(WebConfig {
        session_idle_timeout_s: 1,
        ..accounts()
    });
    let cookie = kiosk.login("pat", PROCTOR_PASSWORD).await;
    let fresh = kiosk
        .send(request(
            &Method::GET,
            "/api/me",
            None,
            Credential::Cookie(&cookie),
        ))
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let stale = kiosk
        .send(request(
            &Method::GET,
            "/api/me",
            None,
            Credential::Cookie(&cookie),
        ))
        .await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    assert!(stale.error().contains("idle"), "{}", stale.error());
}

#[tokio::test]
async fn without_accounts_even_a_login_is_refused_saying_how_to_create_the_first() {
    let kiosk = Kiosk::with(WebConfig::default());
    let reply = kiosk
        .send(login_request("pat", PROCTOR_PASSWORD, "192.0.2.1:1"))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.error().contains("proctord hash-password"),
        "{}",
        reply.error()
    );
    let page = kiosk
        .send(request(&Method::GET, "/", None, Credential::Nothing))
        .await;
    assert_eq!(page.status, StatusCode::OK);
}
