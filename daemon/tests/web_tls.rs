//! The web side over HTTPS (`[web] tls_cert_file`, `tls_key_file`): a real server on a
//! free port with a certificate made by openssl, and a rustls client that trusts only
//! the CA that signed it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use proctord::config::{Config, WebConfig, WebLimits, WebRole, WebUser};
use proctord::control::Control;
use proctord::live::LiveView;
use proctord::store::Store;
use proctord::web::{AppState, WebError, serve_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

const PASSWORD: &str = "tls test passphrase";

/// A test centre's CA and, signed by it, the kiosk's certificate for 127.0.0.1 (valid
/// for a day): returns the CA, the kiosk's chain and its key.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (ca, ca_key, csr, cert, key, ext) = (
        file("ca.pem"),
        file("ca.key"),
        file("kiosk.csr"),
        file("kiosk.pem"),
        file("kiosk.key"),
        file("kiosk.ext"),
    );
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: Vec<Vec<&str>> = vec![
        [
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=test centre CA",
                "-keyout",
                &ca_key,
                "-out",
                &ca,
            ],
        ]
        .concat(),
        [
            &["req"][..],
            &ec,
            &["-subj", "/CN=kiosk", "-keyout", &key, "-out", &csr],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl is needed for this test (apt-get install openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (ca.into(), cert.into(), key.into())
}

struct Server {
    _dir: tempfile::TempDir,
    port: u16,
    /// What the client trusts.
    ca: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), WebError>>,
}

async fn start(tls: bool) -> Server {
    start_with_limits(tls, WebLimits::default()).await
}

async fn start_with_limits(tls: bool, limits: WebLimits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let store = Store::open(dir.path().join("state")).unwrap();
    let control = Control::new(store, Config::default(), vec![]).unwrap();
    let mut web = WebConfig {
        users: vec![WebUser {
            name: "pat".into(),
            role: WebRole::Proctor,
            password_hash: proctord::password::hash(PASSWORD).unwrap(),
        }],
        limits,
        ..WebConfig::default()
    };
    if tls {
        web.tls_cert_file = cert;
        web.tls_key_file = key;
    }
    let state = AppState::new(control, LiveView::new(), web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(listener, state, async {
        let _ = stopped.await;
    }));
    Server {
        _dir: dir,
        port,
        ca,
        stop: Some(stop),
        task,
    }
}

impl Server {
    fn connector(&self) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&self.ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }

    /// A TLS connection whose handshake has finished.
    async fn tls_connection(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        self.connector().connect(name, tcp).await.unwrap()
    }

    /// One HTTP/1.1 request over TLS; the whole answer as text.
    async fn https(&self, request: &str) -> String {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = self.connector().connect(name, tcp).await.unwrap();
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer))
            .await
            .expect("no answer within 10 s")
            .ok();
        String::from_utf8_lossy(&answer).into_owned()
    }

    async fn stop(mut self) -> Result<(), WebError> {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the server did not stop")
            .unwrap()
    }
}

#[tokio::test]
async fn over_tls_the_kiosk_answers_and_the_login_cookie_is_secure() {
    let server = start(true).await;
    let health = server
        .https("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"up""#), "{health}");

    let body = format!(r#"{{"name":"pat","password":"{PASSWORD}"}}"#);
    let login = server
        .https(&format!(
            "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len(),
            port = server.port
        ))
        .await;
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("no Set-Cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_no_answer_and_does_not_stop_the_server() {
    let server = start(true).await;
    let mut plain = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), plain.read_to_end(&mut answer)).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains("\"status\""),
        "clear text was answered"
    );
    let health = server
        .https("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn over_tls_the_web_limits_hold_an_idle_client_is_closed_and_one_over_the_cap_gets_503() {
    let server = start_with_limits(
        true,
        WebLimits {
            header_timeout_s: 1,
            max_connections: 2,
            ..WebLimits::default()
        },
    )
    .await;
    // A client that finishes its handshake and then says nothing holds no connection
    // past the header timeout.
    let mut idle = server.tls_connection().await;
    let mut ignored = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(8), idle.read_to_end(&mut ignored)).await;
    assert!(
        closed.is_ok(),
        "an idle TLS client was still connected after 8 s"
    );

    // Two idle clients fill the cap; the third is told so at once.
    let _first = server.tls_connection().await;
    let _second = server.tls_connection().await;
    let third = server
        .https("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    assert!(third.starts_with("HTTP/1.1 503"), "{third}");
    assert!(third.contains("web connections open"), "{third}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_missing_certificate_stops_the_server_with_an_error_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("state")).unwrap();
    let control = Control::new(store, Config::default(), vec![]).unwrap();
    let web = WebConfig {
        api_token: "t".into(),
        tls_cert_file: "/nonexistent/kiosk.pem".into(),
        tls_key_file: "/nonexistent/kiosk.key".into(),
        ..WebConfig::default()
    };
    let state = AppState::new(control, LiveView::new(), web);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = serve_on(listener, state, std::future::pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("/nonexistent/kiosk.pem") && error.contains("tls_cert_file"),
        "{error}"
    );
}

#[tokio::test]
async fn without_tls_files_the_same_server_speaks_plain_http() {
    let server = start(false).await;
    let mut plain = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    plain.read_to_end(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    server.stop().await.unwrap();
}
