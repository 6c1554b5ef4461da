//! The kiosk's local web side: the proctor's status page and the REST API.
//!
//! | route                                   | role     | answer                                  |
//! |-----------------------------------------|----------|-----------------------------------------|
//! | `GET /`                                 | open     | the status page (login form until then) |
//! | `GET /healthz`                          | open     | `{"status":"up","ready":bool}`, no data |
//! | `POST /api/login`, `POST /api/logout`   | open     | the login cookie; ending it             |
//! | `GET /api/me`                           | proctor  | who is logged in                        |
//! | `POST /api/interviews/start`            | proctor  | 201, the new session with its score     |
//! | `POST /api/interviews/{id}/end`         | proctor  | 200, the ended session with final score |
//! | `GET /api/interviews/{id}`              | proctor  | the session with its live/final score   |
//! | `GET /api/interviews`                   | proctor  | every session, newest first             |
//! | `POST /api/detections/log`              | proctor  | 201, the stored event                   |
//! | `GET /api/detections/{interviewId}`     | proctor  | the session's events                    |
//! | `GET /api/reports/{interviewId}`        | reviewer | report: JSON, `?format=html`, `=pdf`    |
//! | `GET /api/interviews/{id}/recordings`   | reviewer | the session's segments (id, size, ...)  |
//! | `GET /api/recordings/{segmentId}`       | reviewer | one segment's MP4, `Range` for seeking  |
//! | `GET /api/detections/{eventId}/clip`    | reviewer | the event's MP4 (`before_s`, `after_s`) |
//! | `POST /api/detections/{eventId}/review` | reviewer | confirm or dismiss an event, with a note|
//! | `GET /api/interviews/{id}/audit`        | reviewer | who viewed, downloaded, reviewed what   |
//! | `GET /api/audit`                        | reviewer | the whole audit log, deletions included |
//! | `DELETE /api/interviews/{id}`           | reviewer | delete an ended session on request      |
//! | `GET /api/health`                       | proctor  | pipeline health and the newest frame    |
//! | `GET /metrics`                          | proctor  | the health in Prometheus text format    |
//! | `GET /api/openapi.json`                 | proctor  | OpenAPI 3.1 document of every route     |
//! | `GET /api/live/detections`              | proctor  | the newest frame's detections           |
//! | `GET /api/events/stream`                | proctor  | Server-Sent Events (events, health)     |
//! | `GET /live.mjpeg`, `GET /live.jpg`      | proctor  | the newest frame with boxes drawn       |
//!
//! The routes are built from one table (`routes_table`), which also makes the OpenAPI
//! document: each entry is a role and a handler whose `#[utoipa::path]` gives its method,
//! path, parameters and answers (see `openapi`). A reviewer may do everything a proctor may (see `auth`). Errors are
//! `{"error": "..."}` with a status that says what kind: 400 malformed request, 401 no
//! or wrong credentials (or an ended login), 403 the wrong role, a cross-site request,
//! or no account configured at all, 404 unknown session or recording, 409 conflicting
//! session state, 413 body too large, 415 not JSON, 416 a range outside a recording,
//! 422 well-formed but invalid, 429 too many failed logins, 5xx the kiosk's own trouble.

mod audit;
pub mod auth;
mod clips;
mod deletion;
mod detections;
mod error;
mod events_stream;
mod health;
mod healthz;
mod interviews;
mod json_body;
pub mod limits;
mod login;
mod metrics;
mod mjpeg;
pub mod openapi;
mod page;
mod range;
mod recordings;
mod reports;
mod review;
pub mod routes;
mod serve_file;
pub mod tls;
mod views;

pub use error::ApiError;
pub use views::{InterviewView, ReportLinks, ScoreSummary};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::sync::watch;
use uuid::Uuid;

use crate::config::WebConfig;
use crate::control::Control;
use crate::live::LiveView;
use auth::Auth;
pub use routes::{Access, RouteDoc, Routes};

/// Request bodies are small JSON objects (names and notes of at most 500 characters).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    control: Control,
    live: LiveView,
    config: WebConfig,
    auth: Arc<Auth>,
    timings: StreamTimings,
    /// Caps on streams and PDF rendering (`[web.limits]`).
    gates: limits::Gates,
    /// Set when the server is shutting down, so that endless streams end and graceful
    /// shutdown does not wait for them forever.
    closing: Arc<watch::Sender<bool>>,
}

/// How often the streams send: health on the event stream, frames on the MJPEG stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamTimings {
    pub health_every: Duration,
    /// About 5 frames per second: enough to watch a candidate, cheap for the kiosk.
    pub mjpeg_min_interval: Duration,
}

impl Default for StreamTimings {
    fn default() -> Self {
        StreamTimings {
            health_every: Duration::from_secs(2),
            mjpeg_min_interval: Duration::from_millis(200),
        }
    }
}

impl AppState {
    pub fn new(control: Control, live: LiveView, config: WebConfig) -> AppState {
        AppState {
            gates: limits::Gates::new(&config.limits),
            control,
            live,
            auth: Arc::new(Auth::new(&config)),
            config,
            timings: StreamTimings::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }

    pub fn with_timings(mut self, timings: StreamTimings) -> AppState {
        self.timings = timings;
        self
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    pub fn live(&self) -> &LiveView {
        &self.live
    }

    pub fn config(&self) -> &WebConfig {
        &self.config
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    pub fn timings(&self) -> StreamTimings {
        self.timings
    }

    pub fn gates(&self) -> &limits::Gates {
        &self.gates
    }

    /// Ends every open event and MJPEG stream (done by `serve` on shutdown).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Turns `true` once `close_streams` has been called.
    fn streams_closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

pub fn app(state: AppState) -> Router {
    routes_table()
        .into_router()
        .fallback(no_such_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Every route the kiosk serves, with who may call it. Each handler's `#[utoipa::path]`
/// gives its method and path, and what the OpenAPI document says about it.
pub fn routes_table() -> Routes {
    use Access::{Open, Proctor, Reviewer};
    use utoipa_axum::routes;
    Routes::new()
        .add(Open, routes!(page::status_page))
        .add(Open, routes!(healthz::healthz))
        .add(Open, routes!(login::login))
        .add(Open, routes!(login::logout))
        .add(Proctor, routes!(login::me))
        .add(Proctor, routes!(interviews::list))
        .add(Proctor, routes!(interviews::start))
        .add(Proctor, routes!(interviews::get))
        .add(Reviewer, routes!(deletion::delete))
        .add(Proctor, routes!(interviews::end))
        .add(Proctor, routes!(detections::log))
        .add(Proctor, routes!(detections::for_session))
        .add(Reviewer, routes!(clips::clip))
        .add(Reviewer, routes!(review::decide))
        .add(Reviewer, routes!(reports::report))
        .add(Reviewer, routes!(recordings::list))
        .add(Reviewer, routes!(recordings::download))
        .add(Reviewer, routes!(audit::for_session))
        .add(Reviewer, routes!(audit::all))
        .add(Proctor, routes!(health::health))
        .add(Proctor, routes!(metrics::metrics))
        .add(Proctor, routes!(openapi::openapi))
        .add(Proctor, routes!(detections::live))
        .add(Proctor, routes!(events_stream::stream))
        .add(Proctor, routes!(mjpeg::stream))
        .add(Proctor, routes!(mjpeg::still))
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "cannot listen on {addr} for the status page and API: {source}. Check [web] listen, and that no other program uses that port"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the web server stopped: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// Serves the app on `listen` until `shutdown` completes, then lets open requests finish.
/// Open event and MJPEG streams end with the server. Timeouts and caps: [`limits`].
pub async fn serve(
    state: AppState,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| WebError::Bind {
            addr: listen,
            source,
        })?;
    serve_on(listener, state, shutdown).await
}

/// As `serve`, on a listener the caller bound (e.g. to port 0, to learn the port).
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    for warning in state.config().warnings() {
        log::warn!("{warning}");
    }
    let tls = state.config().tls();
    if let Ok(addr) = listener.local_addr() {
        let scheme = if tls { "https" } else { "http" };
        log::info!("The status page and API are on {scheme}://{addr}/.");
    }
    let streams = state.clone();
    let shutdown = async move {
        shutdown.await;
        streams.close_streams();
    };
    let limits = state.config().limits.clone();
    if tls {
        let config = state.config();
        let acceptor = tls::acceptor(&config.tls_cert_file, &config.tls_key_file)?;
        let listener = tls::TlsListener::new(listener, acceptor).map_err(WebError::Serve)?;
        limits::serve_limited(listener, app(state), &limits, shutdown)
            .await
            .map_err(WebError::Serve)
    } else {
        limits::serve_limited(listener, app(state), &limits, shutdown)
            .await
            .map_err(WebError::Serve)
    }
}

/// Runs store and report work on the blocking pool: every store write flushes to disk.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("the request failed inside the kiosk: {e}")))?
}

fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    parse_uuid(text, "an interview")
}

fn parse_event_id(text: &str) -> Result<Uuid, ApiError> {
    parse_uuid(text, "an event")
}

fn parse_uuid(text: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| {
        ApiError::bad_request(format!(
            "{text:?} is not {what} id: ids are UUIDs such as 0190c5e2-7a4b-7c3d-9e8f-0123456789ab"
        ))
    })
}

async fn no_such_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("there is no route {method} {}", uri.path()))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not accept {method}", uri.path()),
    )
}
