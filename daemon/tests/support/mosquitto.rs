//! A real mosquitto broker for tests: a free loopback port, a temporary config with
//! persistence (so a restarted broker keeps persistent sessions and their queued
//! messages), started by the test and stopped on drop. Plus a small subscriber.
//!
//! Use from a test file with `#[path = "support/mosquitto.rs"] mod mosquitto;`.

#![allow(dead_code)] // Each test file uses a different part.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proctord::config::MqttConfig;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use tokio::sync::mpsc;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Who may connect.
#[derive(Clone, Debug, Default)]
pub struct BrokerOptions {
    /// `None`: anonymous clients are allowed. `Some`: only this user, with this password.
    pub user: Option<(String, String)>,
    /// Serve TLS with a freshly generated CA and server certificate.
    pub tls: bool,
}

pub struct Mosquitto {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Mosquitto {
    /// An anonymous broker.
    pub fn start() -> Mosquitto {
        Mosquitto::start_with(BrokerOptions::default())
    }

    /// Also sends proctord's log to the test output (shown for failing tests).
    pub fn start_with(options: BrokerOptions) -> Mosquitto {
        let _ = env_logger::builder()
            .is_test(true)
            .filter_level(log::LevelFilter::Info)
            .try_init();
        // Another process may take the free port before mosquitto binds it: try another.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("a temporary directory for mosquitto");
            let port = free_port();
            write_config(dir.path(), port, &options);
            let mut broker = Mosquitto {
                dir,
                port,
                child: None,
            };
            match broker.launch() {
                Ok(()) => return broker,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("mosquitto did not start:\n{}", failures.join("\n"));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the broker's certificate (with `tls: true`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A publisher configuration pointing at this broker.
    pub fn mqtt_config(&self) -> MqttConfig {
        MqttConfig {
            enabled: true,
            host: "127.0.0.1".into(),
            port: self.port,
            keep_alive_s: 5,
            health_interval_s: 1,
            ..MqttConfig::default()
        }
    }

    /// Stops the broker the orderly way (SIGTERM), so that it saves its sessions.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the broker again on the same port, with the sessions it saved.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the broker is still running");
        if let Err(failure) = self.launch() {
            panic!("{failure}");
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// The broker's log, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Starts mosquitto and waits until it listens; `Err` if it exited first.
    fn launch(&mut self) -> Result<(), String> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("mosquitto.log"))
            .unwrap();
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("mosquitto runs (apt-get install mosquitto)");
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            // Listening, and still our mosquitto (not another process on the same port).
            let listening = TcpStream::connect(("127.0.0.1", self.port)).is_ok();
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!(
                    "mosquitto exited ({status}) before listening:\n{}",
                    self.log()
                ));
            }
            if listening {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen within {START_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().unwrap().port()
}

fn write_config(dir: &Path, port: u16, options: &BrokerOptions) {
    let mut conf = format!(
        "per_listener_settings true\n\
         # mosquitto switches to its own user when started as root; keep root so it can\n\
         # write the temporary persistence directory.\n\
         user root\n\
         persistence true\n\
         persistence_location {dir}/\n\
         log_dest stdout\n\
         log_type all\n\
         listener {port} 127.0.0.1\n",
        dir = dir.display()
    );
    match &options.user {
        None => conf.push_str("allow_anonymous true\n"),
        Some((user, password)) => {
            let password_file = dir.join("passwords");
            let status = Command::new("mosquitto_passwd")
                .args(["-b", "-c"])
                .arg(&password_file)
                .args([user, password])
                .status()
                .expect("mosquitto_passwd runs");
            assert!(status.success(), "mosquitto_passwd failed");
            conf.push_str(&format!(
                "allow_anonymous false\npassword_file {}\n",
                password_file.display()
            ));
        }
    }
    if options.tls {
        generate_certificates(dir);
        conf.push_str(&format!(
            "cafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n",
            d = dir.display()
        ));
    }
    fs::write(dir.join("mosquitto.conf"), conf).unwrap();
}

/// A CA and a server certificate for 127.0.0.1, made with the openssl command.
fn generate_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=proctord test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
}

/// A self-signed CA that signed nothing the broker uses: the wrong `ca_file`.
pub fn generate_unrelated_ca(dir: &Path) -> PathBuf {
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=unrelated CA",
        ])
        .args(["-keyout", "unrelated-ca.key", "-out", "unrelated-ca.pem"])
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("unrelated-ca.pem")
}

/// A QoS 1 subscriber with a persistent session: it gets what was published while it
/// or the broker was away. Reconnects by itself until dropped.
pub struct Subscriber {
    messages: mpsc::UnboundedReceiver<Publish>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    /// Connects, subscribes and waits for the broker to confirm the subscription.
    pub async fn connect(port: u16, client_id: &str, filter: &str) -> Subscriber {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options
            .set_clean_session(false)
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(1 << 24, 1 << 24);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        let (tx, messages) = mpsc::unbounded_channel();
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let _client = client; // Keeps the request channel open.
            let mut subscribed_tx = Some(subscribed_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(s) = subscribed_tx.take() {
                            let _ = s.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(p);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        // Generous: on a loaded 2-core CI host a freshly started broker has taken over
        // 10 s to answer the first SUBACK; a real failure still shows, only later.
        tokio::time::timeout(Duration::from_secs(30), subscribed)
            .await
            .expect("the broker confirmed the subscription in time")
            .unwrap();
        Subscriber { messages, task }
    }

    /// The next message, or `None` after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Publish> {
        tokio::time::timeout(timeout, self.messages.recv())
            .await
            .ok()
            .flatten()
    }

    /// Messages until `done` says enough, or until `timeout` passes; returns them all.
    pub async fn collect_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[Publish]) -> bool,
    ) -> Vec<Publish> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut received = Vec::new();
        while !done(&received) {
            match tokio::time::timeout_at(deadline, self.messages.recv()).await {
                Ok(Some(p)) => received.push(p),
                _ => break,
            }
        }
        received
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}
