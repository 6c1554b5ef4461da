//! MQTT publishing benchmark against a local mosquitto (started here on a free loopback
//! port, stopped at the end), through the daemon's own path: `Store::append_event`
//! (event stored and queued in the outbox, flushed) → `Publisher` → broker PUBACK →
//! outbox item removed.
//!
//! 1. Latency, broker up: `--events` events appended at `--rate` per second (open loop);
//!    for each, the time from `append_event` being called to the publisher counting its
//!    PUBACK (items are published in outbox order and the broker acknowledges in order,
//!    so the k-th acknowledgement is the k-th event). Prints p50/p90/p99/max.
//! 2. Outbox drain after an outage: the broker is stopped, `--backlog` events are
//!    appended, the broker is started again on the same port; the drain rate is the
//!    backlog divided by the time from the publisher reconnecting to the outbox being
//!    empty (the reconnect back-off itself is reported, not counted).
//!
//! `cargo run --release --example bench_mqtt -- [--events 1000] [--rate 50] [--backlog 10000]`
//! Needs /usr/sbin/mosquitto (`apt-get install mosquitto`). Prints one JSON line.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use proctord::config::{KioskConfig, MqttConfig};
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::publish::{Publisher, PublisherStatus};
use proctord::store::Store;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

struct Broker {
    child: Child,
}

impl Broker {
    fn start(dir: &Path, port: u16) -> anyhow::Result<Broker> {
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "per_listener_settings true\nuser root\npersistence false\nlog_dest none\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
            ),
        )?;
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("mosquitto does not run (apt-get install mosquitto)")?;
        let mut broker = Broker { child };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = broker.child.try_wait()? {
                bail!("mosquitto exited ({status}) before listening on port {port}");
            }
            if Instant::now() > deadline {
                bail!("mosquitto is not listening on port {port} after 15 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(broker)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn event(i: usize) -> ProctorEvent {
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id: None,
        kind: EventKind::PhoneDetected,
        phase: Phase::Start,
        started_at: Utc::now(),
        ended_at: None,
        duration_s: None,
        started_at_s: i as f64,
        ended_at_s: None,
        details: EventDetails {
            label: Some("cell phone".into()),
            best_score: Some(0.71),
            ..EventDetails::default()
        },
    }
}

async fn wait_for(
    status: &mut watch::Receiver<PublisherStatus>,
    timeout: Duration,
    mut ok: impl FnMut(&PublisherStatus) -> bool,
) -> anyhow::Result<()> {
    tokio::time::timeout(timeout, status.wait_for(|s| ok(s)))
        .await
        .context("timed out waiting for the publisher")?
        .context("the publisher stopped")?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Args {
    events: usize,
    rate: f64,
    backlog: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        events: 1000,
        rate: 50.0,
        backlog: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--events" => a.events = v.parse()?,
            "--rate" => a.rate = v.parse()?,
            "--backlog" => a.backlog = v.parse()?,
            other => bail!(
                "unknown argument {other}; usage: [--events 1000] [--rate 50] [--backlog 10000]"
            ),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(a))
}

async fn run(a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let broker = Broker::start(dir.path(), port)?;
    let store = Store::open(dir.path().join("store"))?;
    let kiosk = KioskConfig {
        site: "bench".into(),
        kiosk_id: "kiosk-bench".into(),
        ..KioskConfig::default()
    };
    let mqtt = MqttConfig {
        enabled: true,
        host: "127.0.0.1".into(),
        port,
        keep_alive_s: 5,
        health_interval_s: 3600,
        ..MqttConfig::default()
    };
    let (_health_tx, health_rx) = watch::channel(json!({ "bench": true }));
    let publisher = Publisher::spawn(&mqtt, &kiosk, store.clone(), health_rx)?;
    let mut status = publisher.status();
    wait_for(&mut status, Duration::from_secs(30), |s| s.connected).await?;

    // ---- 1. event → PUBACK latency, broker up
    let base = status.borrow().acknowledged;
    let acked_at: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::with_capacity(a.events)));
    let watcher = {
        let mut status = publisher.status();
        let acked_at = acked_at.clone();
        let n = a.events as u64;
        tokio::spawn(async move {
            loop {
                let acked = status.borrow_and_update().acknowledged - base;
                {
                    let mut v = acked_at.lock().unwrap();
                    let now = Instant::now();
                    while (v.len() as u64) < acked.min(n) {
                        v.push(now);
                    }
                    if v.len() as u64 >= n {
                        return;
                    }
                }
                if status.changed().await.is_err() {
                    return;
                }
            }
        })
    };
    let interval = Duration::from_secs_f64(1.0 / a.rate);
    let start = Instant::now();
    let mut appended_at = Vec::with_capacity(a.events);
    let mut append_ms = Vec::with_capacity(a.events);
    for i in 0..a.events {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let t = Instant::now();
        let s = store.clone();
        let ev = event(i);
        // The store flushes (fsync) on every append: keep it off the async workers, as the daemon does.
        tokio::task::spawn_blocking(move || s.append_event(&ev)).await??;
        appended_at.push(t);
        append_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    tokio::time::timeout(Duration::from_secs(60), watcher)
        .await
        .context("not every event was acknowledged within 60 s")??;
    let acked = acked_at.lock().unwrap().clone();
    let mut latency: Vec<f64> = appended_at
        .iter()
        .zip(&acked)
        .map(|(s, e)| e.saturating_duration_since(*s).as_secs_f64() * 1000.0)
        .collect();
    latency.sort_by(f64::total_cmp);
    append_ms.sort_by(f64::total_cmp);
    let latency_json = json!({
        "events": a.events,
        "rate_per_s": a.rate,
        "p50_ms": percentile(&latency, 0.5),
        "p90_ms": percentile(&latency, 0.9),
        "p99_ms": percentile(&latency, 0.99),
        "max_ms": percentile(&latency, 1.0),
        "append_event_p50_ms": percentile(&append_ms, 0.5),
        "append_event_p99_ms": percentile(&append_ms, 0.99),
    });

    // ---- 2. outbox drain after an outage
    broker.stop();
    wait_for(&mut status, Duration::from_secs(30), |s| !s.connected).await?;
    let connections_before = status.borrow().connections;
    let t = Instant::now();
    for i in 0..a.backlog {
        store.append_event(&event(i))?;
    }
    let enqueue_s = t.elapsed().as_secs_f64();
    let queued = store.outbox().len();
    let broker_back = Instant::now();
    let broker = Broker::start(dir.path(), port)?;
    wait_for(&mut status, Duration::from_secs(120), |s| {
        s.connected && s.connections > connections_before
    })
    .await?;
    let connected = Instant::now();
    let deadline = connected + Duration::from_secs(600);
    while !store.outbox().is_empty() {
        if Instant::now() > deadline {
            bail!(
                "the outbox still holds {} items after 600 s",
                store.outbox().len()
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let drain_s = connected.elapsed().as_secs_f64();
    let drain_json = json!({
        "backlog": queued,
        "append_rate_per_s_broker_down": a.backlog as f64 / enqueue_s,
        "reconnect_s": connected.duration_since(broker_back).as_secs_f64(),
        "drain_s": drain_s,
        "drain_rate_per_s": queued as f64 / drain_s,
    });
    publisher.shutdown().await;
    broker.stop();
    println!(
        "{}",
        json!({ "latency": latency_json, "drain": drain_json })
    );
    Ok(())
}
