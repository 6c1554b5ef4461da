//! The serving layer's limits, so that idle, slow or greedy clients cannot exhaust the
//! kiosk (`[web.limits]`):
//!
//! - a header timeout: a client must send a request's headers within
//!   `header_timeout_s` of the server waiting for them, which also closes idle
//!   keep-alive connections (hyper starts the timer when it starts reading a head);
//! - a cap on open connections: one more is answered `503` at once and closed, without
//!   reading from it;
//! - caps on endless streams (SSE, MJPEG) and on concurrent PDF rendering: `503` with a
//!   sentence saying what to do, while the status page and the API keep answering.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::ApiError;
use crate::config::WebLimits;

/// How long graceful shutdown waits for requests in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a refused connection may take to receive its 503.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The caps handlers take a permit from; cheap to clone.
#[derive(Clone, Debug)]
pub struct Gates {
    streams: Arc<Semaphore>,
    pdf_renders: Arc<Semaphore>,
}

impl Gates {
    pub fn new(limits: &WebLimits) -> Gates {
        Gates {
            streams: Arc::new(Semaphore::new(limits.max_streams)),
            pdf_renders: Arc::new(Semaphore::new(limits.max_pdf_renders)),
        }
    }

    /// A place for one more endless stream; held until the stream ends.
    pub fn stream(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.streams.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many live streams are open on this kiosk: close another status page or stream, then retry",
            )
        })
    }

    /// A place for one more PDF rendering; held until it is done.
    pub fn pdf_render(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.pdf_renders.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the kiosk is already rendering as many PDF reports as it can: retry in a few seconds, or ask for ?format=html",
            )
        })
    }
}

/// Serves `app` on `listener` (plain TCP, or TLS connections whose handshake finished)
/// under `limits` until `shutdown` completes, then lets requests in progress finish (for
/// at most a few seconds). Accept errors (out of file descriptors) are waited out by the
/// listener itself, as axum's listeners do.
pub async fn serve_limited<L>(
    mut listener: L,
    app: Router,
    limits: &WebLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    L: Listener<Addr = std::net::SocketAddr>,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let header_timeout = Duration::from_secs(limits.header_timeout_s);
    let (closing_tx, closing) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match connections.clone().try_acquire_owned() {
            Ok(permit) => {
                // The client's address is what failed logins are counted by.
                let app = app
                    .clone()
                    .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
                let closing = closing.clone();
                tokio::spawn(serve_connection(
                    stream,
                    app,
                    header_timeout,
                    permit,
                    closing,
                ));
            }
            Err(_) => {
                tokio::spawn(refuse(stream, limits.max_connections));
            }
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Every connection holds a permit: all of them back means all are done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.acquire_many(all)).await;
    Ok(())
}

async fn serve_connection(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    app: Router,
    header_timeout: Duration,
    _permit: OwnedSemaphorePermit,
    mut closing: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_connection_end(result),
        // The guard `wait_for` returns must not live across the await below.
        () = async { drop(closing.wait_for(|closing| *closing).await) } => {
            connection.as_mut().graceful_shutdown();
            log_connection_end(connection.await);
        }
    }
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // Timeouts and clients that go away are routine; nothing to act on.
        log::debug!("A web connection ended: {e}");
    }
}

/// Answers a connection over the cap without reading its request.
async fn refuse(mut stream: impl AsyncWrite + Unpin, max_connections: usize) {
    let body = format!(
        "{{\"error\":\"the kiosk already has {max_connections} web connections open: close some (or wait for idle ones to time out) and retry\"}}"
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 5\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}
