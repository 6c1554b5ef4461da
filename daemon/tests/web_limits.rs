//! The web server under idle, slow and greedy clients, over real TCP: idle and
//! half-sent connections are cut after the header timeout, connections beyond the cap
//! get a 503 at once, and the status page and the API keep answering.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proctord::config::{Config, WebConfig, WebLimits};
use proctord::control::Control;
use proctord::live::LiveView;
use proctord::store::Store;
use proctord::web::{AppState, serve_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: WebLimits = WebLimits {
    header_timeout_s: 1,
    max_connections: 32,
    max_streams: 2,
    max_pdf_renders: 1,
};

struct Server {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    state: AppState,
    control: Control,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let control = Control::new(store, Config::default(), vec![]).unwrap();
    let web = WebConfig {
        api_token: "t".into(),
        limits: LIMITS,
        ..WebConfig::default()
    };
    let state = AppState::new(control.clone(), LiveView::new(), web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_on(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    Server {
        _dir: dir,
        addr,
        state,
        control,
        _stop: stop,
    }
}

/// One request on a fresh connection; the status code and the body, or `None` if the
/// server gave no answer within `wait`.
async fn get(addr: SocketAddr, path: &str, wait: Duration) -> Option<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        // Every route with candidate data needs credentials: the configured token.
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: kiosk\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.get(9..12)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
        Some((status, body))
    };
    tokio::time::timeout(wait, exchange).await.ok().flatten()
}

/// Asks until `path` answers 200; how long that took.
async fn answers_within(addr: SocketAddr, path: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if let Some((200, _)) = get(addr, path, Duration::from_secs(1)).await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{path} did not answer 200 within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the server closed `stream` (EOF, or a 503 and then EOF) within `wait`.
async fn closed_by_server(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 512];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 503 for a connection over the cap
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_sockets_do_not_stop_the_status_page_and_the_api_from_answering() {
    let server = server().await;
    // Four times the connection cap: silent sockets, and slow ones that never finish
    // their headers.
    let mut flood = Vec::new();
    for i in 0..4 * LIMITS.max_connections {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        if i % 2 == 0 {
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: ki")
                .await
                .unwrap();
        }
        flood.push(stream);
    }
    let flooded_at = Instant::now();

    let page = answers_within(server.addr, "/", Duration::from_secs(6)).await;
    let health = answers_within(server.addr, "/api/health", Duration::from_secs(6)).await;
    let sessions = get(
        server.addr,
        "/api/interviews/0190c5e2-7a4b-7c3d-9e8f-0123456789ab",
        Duration::from_secs(3),
    )
    .await
    .map(|(status, _)| status);
    assert_eq!(sessions, Some(404), "the API answers properly too");

    // Every flooding socket was cut off: over the cap at once, the others at the
    // header timeout.
    let mut cut = 0;
    for stream in &mut flood {
        cut += usize::from(closed_by_server(stream, Duration::from_secs(3)).await);
    }
    eprintln!(
        "{} idle sockets: status page answered after {page:?}, health after {health:?}; {cut} cut off within {:?}",
        flood.len(),
        flooded_at.elapsed()
    );
    assert_eq!(cut, flood.len());
    assert!(
        page < Duration::from_secs(LIMITS.header_timeout_s + 3),
        "{page:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_gets_a_503_that_says_what_to_do() {
    let server = server().await;
    let mut held = Vec::new();
    for _ in 0..LIMITS.max_connections {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Let the server take them all before the one too many.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let refused = get(server.addr, "/", Duration::from_secs(3)).await;
    let (status, body) = refused.expect("an answer at once, not a hang");
    assert_eq!(status, 503);
    assert!(body.contains("32 web connections open"), "{body}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_over_the_cap_get_a_clear_503_while_the_api_still_answers() {
    let server = server().await;
    let mut streams = Vec::new();
    for _ in 0..LIMITS.max_streams {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /api/events/stream HTTP/1.1\r\nHost: kiosk\r\nAuthorization: Bearer t\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut head))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
        streams.push(stream);
    }

    for path in ["/api/events/stream", "/live.mjpeg"] {
        let (status, body) = get(server.addr, path, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(status, 503, "{path}: {body}");
        assert!(body.contains("too many live streams"), "{body}");
    }
    assert_eq!(
        get(server.addr, "/api/health", Duration::from_secs(3))
            .await
            .map(|r| r.0),
        Some(200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_beyond_the_rendering_limit_gets_a_503_with_a_retry_hint_and_json_still_answers() {
    let server = server().await;
    let session = server
        .control
        .start_session("Ada Lovelace", None, None)
        .unwrap();
    let path = format!("/api/reports/{}", session.id);
    let (status, body) = get(
        server.addr,
        &format!("{path}?format=pdf"),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");

    // Every rendering slot busy, as while other PDFs are being made.
    let busy = server.state.gates().pdf_render().unwrap();
    let (status, body) = get(
        server.addr,
        &format!("{path}?format=pdf"),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(status, 503);
    assert!(
        body.contains("retry") && body.contains("format=html"),
        "{body}"
    );
    assert_eq!(
        get(server.addr, &path, Duration::from_secs(5))
            .await
            .map(|r| r.0),
        Some(200)
    );
    drop(busy);
    let (status, _) = get(
        server.addr,
        &format!("{path}?format=pdf"),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
}
