//! Session commands received on `proctord/<site>/<kiosk_id>/cmd/#` (when
//! `[mqtt] accept_commands` is on). Payloads are JSON:
//!
//! - `{"action": "start", "command_id": "c-17", "issued_at": "2026-12-01T09:00:00Z",
//!   "candidate": "Ada Lovelace", "exam_id": "MATH-101", "notes": "…"}`
//!   (`exam_id` and `notes` optional)
//! - `{"action": "end", "command_id": "c-18", "issued_at": "…", "session_id": "0190…"}`
//!
//! Every command may also carry `"expires_in_s"` (default `[mqtt] command_expiry_s`,
//! 60 s). A command past its expiry, issued in the future (beyond a little clock
//! skew), or whose `command_id` was already received is refused. Each command gets one
//! answer on `…/cmd/result` (see [`CommandResult`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest accepted candidate name, exam id or note, in characters: the same limit as
/// every other way of starting a session.
pub use crate::control::MAX_TEXT_CHARS;

/// Longest accepted `command_id`.
pub const MAX_COMMAND_ID_CHARS: usize = 100;

/// How far in the future `issued_at` may lie: the sender's and the kiosk's clocks differ.
pub const MAX_CLOCK_SKEW_S: i64 = 30;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    StartSession {
        candidate: String,
        exam_id: Option<String>,
        notes: Option<String>,
    },
    EndSession {
        session_id: Uuid,
    },
}

/// A command as received: what to do, and what identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedCommand {
    pub command_id: String,
    pub issued_at: DateTime<Utc>,
    /// After this the command is stale.
    pub expires_at: DateTime<Utc>,
    pub command: Command,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("the payload is not a command: {0}")]
    Malformed(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error(
        "the command expired at {expires_at} (issued at {issued_at}); send a new one with a current issued_at"
    )]
    Stale {
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    #[error(
        "issued_at {issued_at} lies in the future (the kiosk's clock says {now}): check the sender's clock"
    )]
    FromTheFuture {
        issued_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("command {0:?} was already received: each command needs a new command_id")]
    Replayed(String),
    #[error("retained commands are refused: publish commands without the retain flag")]
    Retained,
    #[error("the kiosk is not taking commands right now (too many waiting); send it again")]
    Busy,
    #[error(
        "the kiosk could not record the command id ({0}), so it did not carry the command out: check the kiosk's disk, then send it again"
    )]
    NotRecorded(String),
}

/// What proctord answers on `…/cmd/result`, once per command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    /// `None` when the payload was too broken to carry one.
    pub command_id: Option<String>,
    pub accepted: bool,
    /// What was done (`accepted`) or why not, as a sentence.
    pub detail: String,
    /// The session started or ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

impl CommandResult {
    pub fn refused(command_id: Option<String>, why: &impl std::fmt::Display) -> CommandResult {
        CommandResult {
            command_id,
            accepted: false,
            detail: why.to_string(),
            session_id: None,
            at: Utc::now(),
        }
    }

    pub fn done(command_id: String, detail: String, session_id: Uuid) -> CommandResult {
        CommandResult {
            command_id: Some(command_id),
            accepted: true,
            detail,
            session_id: Some(session_id),
            at: Utc::now(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a CommandResult always serialises")
    }
}

/// The fields every command has; the rest of the object is the [`Action`].
#[derive(Deserialize)]
struct Envelope {
    command_id: String,
    issued_at: DateTime<Utc>,
    expires_in_s: Option<u32>,
}

const ENVELOPE_FIELDS: [&str; 3] = ["command_id", "issued_at", "expires_in_s"];

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum Action {
    Start {
        candidate: String,
        exam_id: Option<String>,
        notes: Option<String>,
    },
    End {
        session_id: Uuid,
    },
}

/// Just enough of a payload to name the command in a refusal.
#[derive(Deserialize)]
struct IdOnly {
    command_id: Option<String>,
}

impl ReceivedCommand {
    /// Parses and checks a payload received at `now`; `default_expiry_s` applies when the
    /// command does not say. Replays are the caller's business ([`super::replay`]).
    pub fn parse(
        payload: &[u8],
        now: DateTime<Utc>,
        default_expiry_s: u32,
    ) -> Result<ReceivedCommand, CommandError> {
        let malformed = |e: serde_json::Error| CommandError::Malformed(e.to_string());
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(payload).map_err(malformed)?;
        let mut envelope = serde_json::Map::new();
        for field in ENVELOPE_FIELDS {
            if let Some(value) = object.remove(field) {
                envelope.insert(field.to_owned(), value);
            }
        }
        let wire: Envelope =
            serde_json::from_value(serde_json::Value::Object(envelope)).map_err(malformed)?;
        let action: Action =
            serde_json::from_value(serde_json::Value::Object(object)).map_err(malformed)?;
        let command_id = required_text("command_id", wire.command_id, MAX_COMMAND_ID_CHARS)?;
        let expires_at = wire.issued_at
            + chrono::Duration::seconds(wire.expires_in_s.unwrap_or(default_expiry_s).into());
        if now > expires_at {
            return Err(CommandError::Stale {
                issued_at: wire.issued_at,
                expires_at,
            });
        }
        if wire.issued_at > now + chrono::Duration::seconds(MAX_CLOCK_SKEW_S) {
            return Err(CommandError::FromTheFuture {
                issued_at: wire.issued_at,
                now,
            });
        }
        let command = match action {
            Action::Start {
                candidate,
                exam_id,
                notes,
            } => Command::StartSession {
                candidate: required_text("candidate", candidate, MAX_TEXT_CHARS)?,
                exam_id: optional_text("exam_id", exam_id, MAX_TEXT_CHARS)?,
                notes: optional_text("notes", notes, MAX_TEXT_CHARS)?,
            },
            Action::End { session_id } => Command::EndSession { session_id },
        };
        Ok(ReceivedCommand {
            command_id,
            issued_at: wire.issued_at,
            expires_at,
            command,
        })
    }

    /// The `command_id` of a payload that did not parse, if it has a readable one.
    pub fn id_of(payload: &[u8]) -> Option<String> {
        serde_json::from_slice::<IdOnly>(payload)
            .ok()?
            .command_id
            .map(|id| id.chars().take(MAX_COMMAND_ID_CHARS).collect())
    }
}

fn required_text(field: &'static str, value: String, max: usize) -> Result<String, CommandError> {
    optional_text(field, Some(value), max)?.ok_or(CommandError::Empty { field })
}

/// Trims; an empty optional field counts as absent.
fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, CommandError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(CommandError::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(CommandError::Malformed(format!(
            "{field} contains control characters"
        )));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUED: &str = "2026-12-01T09:00:00Z";

    fn at(offset_s: i64) -> DateTime<Utc> {
        ISSUED.parse::<DateTime<Utc>>().unwrap() + chrono::Duration::seconds(offset_s)
    }

    fn parse(payload: &str, now: DateTime<Utc>) -> Result<ReceivedCommand, CommandError> {
        ReceivedCommand::parse(payload.as_bytes(), now, 60)
    }

    #[test]
    fn a_start_command_is_parsed_and_its_text_trimmed() {
        let cmd = parse(
            r#"{"action":"start","command_id":"c-1","issued_at":"2026-12-01T09:00:00Z","candidate":"  Ada Lovelace ","exam_id":"MATH-101"}"#,
            at(5),
        )
        .unwrap();
        assert_eq!(cmd.command_id, "c-1");
        assert_eq!(cmd.expires_at, at(60));
        assert_eq!(
            cmd.command,
            Command::StartSession {
                candidate: "Ada Lovelace".into(),
                exam_id: Some("MATH-101".into()),
                notes: None
            }
        );
    }

    #[test]
    fn an_end_command_is_parsed() {
        let id = Uuid::now_v7();
        let cmd = parse(
            &format!(
                r#"{{"action":"end","command_id":"c-2","issued_at":"{ISSUED}","session_id":"{id}"}}"#
            ),
            at(0),
        )
        .unwrap();
        assert_eq!(cmd.command, Command::EndSession { session_id: id });
    }

    #[test]
    fn a_command_past_its_expiry_is_refused_as_stale() {
        let payload = format!(
            r#"{{"action":"start","command_id":"c-3","issued_at":"{ISSUED}","candidate":"Ada"}}"#
        );
        assert!(parse(&payload, at(60)).is_ok());
        assert!(matches!(
            parse(&payload, at(61)),
            Err(CommandError::Stale { .. })
        ));
        let short = format!(
            r#"{{"action":"start","command_id":"c-4","issued_at":"{ISSUED}","expires_in_s":5,"candidate":"Ada"}}"#
        );
        assert!(matches!(
            parse(&short, at(6)),
            Err(CommandError::Stale { .. })
        ));
    }

    #[test]
    fn a_command_issued_in_the_future_is_refused() {
        let payload = format!(
            r#"{{"action":"start","command_id":"c-5","issued_at":"{ISSUED}","candidate":"Ada"}}"#
        );
        assert!(parse(&payload, at(-MAX_CLOCK_SKEW_S)).is_ok());
        assert!(matches!(
            parse(&payload, at(-MAX_CLOCK_SKEW_S - 1)),
            Err(CommandError::FromTheFuture { .. })
        ));
    }

    #[test]
    fn malformed_or_invalid_commands_are_refused_with_a_reason() {
        let refused = [
            "",
            "[1,2]",
            r#"{"action":"reboot","command_id":"c","issued_at":"2026-12-01T09:00:00Z"}"#,
            r#"{"action":"start","candidate":"Ada","issued_at":"2026-12-01T09:00:00Z"}"#,
            r#"{"action":"start","candidate":"Ada","command_id":"c"}"#,
            r#"{"action":"start","candidate":"Ada","command_id":" ","issued_at":"2026-12-01T09:00:00Z"}"#,
            r#"{"action":"start","command_id":"c","issued_at":"2026-12-01T09:00:00Z"}"#,
            r#"{"action":"start","command_id":"c","issued_at":"2026-12-01T09:00:00Z","candidate":"   "}"#,
            r#"{"action":"start","command_id":"c","issued_at":"2026-12-01T09:00:00Z","candidate":"Ada","exam_id":7}"#,
            r#"{"action":"start","command_id":"c","issued_at":"2026-12-01T09:00:00Z","candidate":"Ada\u0000"}"#,
            r#"{"action":"end","command_id":"c","issued_at":"2026-12-01T09:00:00Z","session_id":"not-a-uuid"}"#,
        ];
        for payload in refused {
            assert!(parse(payload, at(1)).is_err(), "accepted {payload:?}");
        }
        let long = format!(
            r#"{{"action":"start","command_id":"c","issued_at":"{ISSUED}","candidate":"{}"}}"#,
            "x".repeat(MAX_TEXT_CHARS + 1)
        );
        assert_eq!(
            parse(&long, at(1)).unwrap_err(),
            CommandError::TooLong {
                field: "candidate",
                max: MAX_TEXT_CHARS
            }
        );
        assert_eq!(
            ReceivedCommand::id_of(br#"{"command_id":"c-9","action":"reboot"}"#).as_deref(),
            Some("c-9")
        );
        assert_eq!(ReceivedCommand::id_of(b"\xff"), None);
    }
}
