//! Reports larger than the broker's message limit travel as parts.
//!
//! Each part is one `reports` message:
//!
//! ```json
//! {"report_part": {"index": 0, "count": 3, "bytes": 401234, "sha256": "…", "session_id": "…"},
//!  "data_base64": "…"}
//! ```
//!
//! `data_base64` holds a slice of the report's JSON bytes; a consumer concatenates the
//! decoded slices of parts `0..count` (they are enqueued together, in order, and may be
//! redelivered like any item) and checks `bytes` and `sha256`. A report that fits is
//! published as before, without an envelope.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The smallest broker limit proctord works with: every event and session fits.
pub const MIN_MESSAGE_BYTES: usize = 16 * 1024;

/// Room for the envelope around the data (its fields are short and fixed).
const ENVELOPE_BYTES: usize = 512;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportPart {
    pub report_part: PartHeader,
    pub data_base64: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartHeader {
    pub index: usize,
    pub count: usize,
    /// Size of the whole report.
    pub bytes: usize,
    /// Hex SHA-256 of the whole report.
    pub sha256: String,
    /// The report's `session_id`, so parts of different reports are told apart.
    pub session_id: Option<String>,
}

/// Splits `report` into parts of at most `max_message_bytes` each.
pub(crate) fn split(report: &[u8], max_message_bytes: usize) -> Vec<Vec<u8>> {
    // Base64 turns 3 bytes into 4.
    let data_per_part = (max_message_bytes.max(MIN_MESSAGE_BYTES) - ENVELOPE_BYTES) / 4 * 3;
    let sha256 = hex::encode(Sha256::digest(report));
    let session_id = serde_json::from_slice::<serde_json::Value>(report)
        .ok()
        .and_then(|v| v.get("session_id")?.as_str().map(str::to_owned));
    let chunks: Vec<&[u8]> = report.chunks(data_per_part).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| {
            let part = ReportPart {
                report_part: PartHeader {
                    index,
                    count: chunks.len(),
                    bytes: report.len(),
                    sha256: sha256.clone(),
                    session_id: session_id.clone(),
                },
                data_base64: STANDARD.encode(chunk),
            };
            serde_json::to_vec(&part).expect("a report part always serialises")
        })
        .collect()
}

/// What a consumer does: puts the parts of one report back together, checking the
/// count, the size and the hash. `None` if anything is missing or does not match.
pub fn reassemble(parts: &[ReportPart]) -> Option<Vec<u8>> {
    let first = &parts.first()?.report_part;
    let mut sorted: Vec<&ReportPart> = parts.iter().collect();
    sorted.sort_by_key(|p| p.report_part.index);
    sorted.dedup_by_key(|p| p.report_part.index);
    if sorted.len() != first.count {
        return None;
    }
    let mut report = Vec::with_capacity(first.bytes);
    for part in sorted {
        report.extend(STANDARD.decode(&part.data_base64).ok()?);
    }
    let intact =
        report.len() == first.bytes && hex::encode(Sha256::digest(&report)) == first.sha256;
    intact.then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_report_fits_the_limit_and_reassembles_to_the_same_bytes() {
        let report = serde_json::to_vec(&serde_json::json!({
            "session_id": "0190c5e2-7a4b-7c3d-9e8f-0123456789ab",
            "events": vec!["x".repeat(100); 2_000],
        }))
        .unwrap();
        let limit = MIN_MESSAGE_BYTES;
        let parts = split(&report, limit);
        assert!(parts.len() > 10, "{} parts", parts.len());
        assert!(parts.iter().all(|p| p.len() <= limit));
        let mut decoded: Vec<ReportPart> = parts
            .iter()
            .map(|p| serde_json::from_slice(p).unwrap())
            .collect();
        assert_eq!(
            decoded[0].report_part.session_id.as_deref(),
            Some("0190c5e2-7a4b-7c3d-9e8f-0123456789ab")
        );
        // Delivered out of order and with a duplicate, as MQTT may.
        decoded.reverse();
        decoded.push(decoded[0].clone());
        assert_eq!(reassemble(&decoded), Some(report));
    }

    #[test]
    fn a_report_with_a_missing_part_does_not_reassemble() {
        let report = vec![b'r'; 3 * MIN_MESSAGE_BYTES];
        let mut parts: Vec<ReportPart> = split(&report, MIN_MESSAGE_BYTES)
            .iter()
            .map(|p| serde_json::from_slice(p).unwrap())
            .collect();
        parts.remove(1);
        assert_eq!(reassemble(&parts), None);
    }
}
