//! The daemon itself (`proctord run`, the real binary, as a child process) on a clip,
//! driven through its REST API with curl, the way a proctor's tools would.
//!
//! Use from a test file with `#[path = "support/kiosk.rs"] mod kiosk;` (needs `media`).

#![allow(dead_code)] // Each test file uses a different part.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use proctord::store::Store;
use serde_json::Value;

use super::media::repo;

pub const TOKEN: &str = "e2e-token";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How the kiosk is set up; the rest of the config is fixed.
#[derive(Clone, Debug)]
pub struct Settings {
    pub clip: PathBuf,
    /// `None`: MQTT off.
    pub broker_port: Option<u16>,
    /// Lines of the `[rules]` table.
    pub rules: String,
    pub segment_s: u32,
}

impl Settings {
    /// Short thresholds, so that every kind of face event happens within seconds.
    pub fn quick(clip: PathBuf, broker_port: Option<u16>) -> Settings {
        Settings {
            clip,
            broker_port,
            rules: "no_face_after_s = 1.0\nmultiple_faces_after_s = 0.5\nlooking_away_after_s = 1.0\nclear_after_s = 0.5\n".into(),
            segment_s: 2,
        }
    }
}

pub struct Kiosk {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub web: u16,
    child: Option<Child>,
    starts: u32,
}

impl Kiosk {
    pub fn new(settings: &Settings) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let kiosk = Kiosk {
            config: dir.path().join("proctord.toml"),
            dir,
            web: free_port(),
            child: None,
            starts: 0,
        };
        kiosk.configure(settings);
        kiosk
    }

    /// A temporary directory that lives as long as the kiosk (for clips).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Rewrites the config; the next `start` reads it.
    pub fn configure(&self, settings: &Settings) {
        let mqtt = match settings.broker_port {
            Some(port) => format!(
                "enabled = true\nhost = \"127.0.0.1\"\nport = {port}\nkeep_alive_s = 5\nhealth_interval_s = 1\n"
            ),
            None => "enabled = false\n".into(),
        };
        let text = format!(
            r#"
[kiosk]
site = "e2e"
kiosk_id = "k1"
state_dir = "{state}"
[runtime]
library = "{repo}/runtime/libLiteRt.so"
[models]
dir = "{repo}/models/cache"
manifest = "{repo}/models/manifest.toml"
[detection]
max_analysis_fps = 5.0
objects_every_n_frames = 5
[rules]
{rules}
[capture]
source = "file"
file = "{clip}"
loop_file = true
[recording]
segment_s = {segment_s}
[mqtt]
{mqtt}
[web]
listen = "127.0.0.1:{web}"
api_token = "{TOKEN}"
"#,
            state = self.state_dir().display(),
            repo = repo().display(),
            clip = settings.clip.display(),
            rules = settings.rules,
            segment_s = settings.segment_s,
            web = self.web,
        );
        std::fs::write(&self.config, text).unwrap();
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Starts the daemon and waits until it analyses frames.
    pub fn start(&mut self) {
        self.spawn();
        self.wait_analysing();
    }

    /// Waits until the running daemon analyses frames.
    pub fn wait_analysing(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.frames_analysed() > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the daemon did not start analysing frames within 60 s\n{}",
            self.log()
        );
    }

    /// Starts the daemon without waiting.
    pub fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(
            self.dir
                .path()
                .join(format!("daemon-{:03}.log", self.starts)),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_proctord"))
            .args(["run", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    pub fn frames_analysed(&self) -> u64 {
        self.get("/api/health")
            .and_then(|h| h["pipeline"]["inference"]["frames"].as_u64())
            .unwrap_or(0)
    }

    pub fn curl(&self, args: &[&str], path: &str) -> Option<Value> {
        let out = Command::new("curl")
            .args(["-fsS", "-m", "10"])
            .args(args)
            .arg(format!("http://127.0.0.1:{}{path}", self.web))
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    /// A GET with the kiosk's token: every route with candidate data needs credentials.
    pub fn get(&self, path: &str) -> Option<Value> {
        let auth = format!("Authorization: Bearer {TOKEN}");
        self.curl(&["-H", &auth], path)
    }

    /// The body of a GET as text (HTML reports).
    pub fn get_text(&self, path: &str) -> String {
        let auth = format!("Authorization: Bearer {TOKEN}");
        let out = Command::new("curl")
            .args(["-fsS", "-m", "30", "-H", &auth])
            .arg(format!("http://127.0.0.1:{}{path}", self.web))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn start_session(&self, candidate: &str) -> String {
        let body = format!(r#"{{"candidate":"{candidate}"}}"#);
        let auth = format!("Authorization: Bearer {TOKEN}");
        let v = self
            .curl(
                &[
                    "-X",
                    "POST",
                    "-H",
                    &auth,
                    "-H",
                    "content-type: application/json",
                    "-d",
                    &body,
                ],
                "/api/interviews/start",
            )
            .expect("session start");
        v["session"]["id"].as_str().unwrap().to_string()
    }

    pub fn end_session(&self, id: &str) -> Value {
        let auth = format!("Authorization: Bearer {TOKEN}");
        self.curl(
            &["-X", "POST", "-H", &auth],
            &format!("/api/interviews/{id}/end"),
        )
        .expect("session end")
    }

    /// Signals the daemon and waits for it to exit.
    pub fn signal(&mut self, signal: Signal) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not exit within 15 s of {signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn store(&self) -> Store {
        Store::open(self.state_dir().join("store")).expect("the store opens")
    }

    /// Every run's log, in order.
    pub fn log(&self) -> String {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("daemon-"))
            })
            .collect();
        logs.sort();
        logs.iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n--- restart ---\n")
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Whether GStreamer plays the file (what a reviewer's player would do).
pub fn plays(path: &Path) -> bool {
    let output = Command::new("gst-discoverer-1.0")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    output.status.success() && text.contains("video #")
}
