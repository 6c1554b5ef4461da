//! Session commands received on `proctord/<site>/<kiosk_id>/cmd/#` (when
//! `[mqtt] accept_commands` is on). Payloads are JSON:
//!
//! - `{"action": "start", "candidate": "Ada Lovelace", "exam_id": "MATH-101", "notes": "…"}`
//!   (`exam_id` and `notes` optional)
//! - `{"action": "end", "session_id": "0190…"}`
//!
//! Anything else is refused with a reason; the publisher logs it and carries on.

use serde::Deserialize;
use uuid::Uuid;

/// Longest accepted candidate name, exam id or note, in characters: the same limit as
/// every other way of starting a session.
pub use crate::control::MAX_TEXT_CHARS;

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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommandError {
    #[error("the payload is not a command: {0}")]
    Malformed(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {MAX_TEXT_CHARS} characters")]
    TooLong { field: &'static str },
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum Wire {
    Start {
        candidate: String,
        exam_id: Option<String>,
        notes: Option<String>,
    },
    End {
        session_id: Uuid,
    },
}

impl Command {
    pub fn parse(payload: &[u8]) -> Result<Command, CommandError> {
        let wire: Wire =
            serde_json::from_slice(payload).map_err(|e| CommandError::Malformed(e.to_string()))?;
        match wire {
            Wire::Start {
                candidate,
                exam_id,
                notes,
            } => Ok(Command::StartSession {
                candidate: required_text("candidate", candidate)?,
                exam_id: optional_text("exam_id", exam_id)?,
                notes: optional_text("notes", notes)?,
            }),
            Wire::End { session_id } => Ok(Command::EndSession { session_id }),
        }
    }
}

fn required_text(field: &'static str, value: String) -> Result<String, CommandError> {
    optional_text(field, Some(value))?.ok_or(CommandError::Empty { field })
}

/// Trims; an empty optional field counts as absent.
fn optional_text(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, CommandError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(CommandError::TooLong { field });
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

    #[test]
    fn a_start_command_is_parsed_and_its_text_trimmed() {
        let cmd = Command::parse(
            br#"{"action":"start","candidate":"  Ada Lovelace ","exam_id":"MATH-101"}"#,
        );
        assert_eq!(
            cmd,
            Ok(Command::StartSession {
                candidate: "Ada Lovelace".into(),
                exam_id: Some("MATH-101".into()),
                notes: None
            })
        );
    }

    #[test]
    fn an_end_command_is_parsed() {
        let id = Uuid::now_v7();
        let cmd = Command::parse(format!(r#"{{"action":"end","session_id":"{id}"}}"#).as_bytes());
        assert_eq!(cmd, Ok(Command::EndSession { session_id: id }));
    }

    #[test]
    fn malformed_or_invalid_commands_are_refused_with_a_reason() {
        let refused: &[&[u8]] = &[
            b"",
            b"\xff\xfe",
            b"[1,2]",
            br#"{"action":"reboot"}"#,
            br#"{"candidate":"Ada"}"#,
            br#"{"action":"start"}"#,
            br#"{"action":"start","candidate":"   "}"#,
            br#"{"action":"start","candidate":"Ada","exam_id":7}"#,
            br#"{"action":"start","candidate":"Ada","extra":true}"#,
            br#"{"action":"start","candidate":"Ada\u0000"}"#,
            br#"{"action":"end","session_id":"not-a-uuid"}"#,
        ];
        for payload in refused {
            assert!(
                Command::parse(payload).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(payload)
            );
        }
        let long = format!(
            r#"{{"action":"start","candidate":"{}"}}"#,
            "x".repeat(MAX_TEXT_CHARS + 1)
        );
        assert_eq!(
            Command::parse(long.as_bytes()),
            Err(CommandError::TooLong { field: "candidate" })
        );
    }
}
