//! proctord: exam-kiosk proctoring daemon.
//!
//! One-way pipeline: capture → inference → rules → store/outbox → publish;
//! recording takes every frame; web and report only read.

pub mod annotate;
pub mod buffer_pool;
pub mod capture;
pub mod cli;
pub mod clips;
pub mod clock;
pub mod config;
pub mod control;
pub mod detections;
pub mod eval;
pub mod event;
pub mod frame;
pub mod health_snapshot;
pub mod inference;
pub mod live;
pub mod models;
pub mod password;
pub mod pipeline;
pub mod publish;
pub mod record;
pub mod report;
pub mod rules;
pub mod service;
pub mod session;
pub mod store;
pub mod web;
