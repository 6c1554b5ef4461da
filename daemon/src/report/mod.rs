//! Session reports: the integrity score and the events behind it, as JSON, HTML and PDF.
//!
//! `Report::build_at` is pure (`build` reads the clock for a session still running): it
//! pairs the stored Start/End records by id, scores them with the published deduction
//! table, and keeps the models, thresholds and kiosk health so that a proctor can judge
//! (and a reviewer reproduce) the result. Renderers only read a `Report`.

mod events;
mod evidence;
pub mod format;
mod html;
mod model;
mod pdf;
mod review;
mod score;
mod timeline;

use std::path::PathBuf;

pub(crate) use events::closed_duration_s;
pub use events::{ReportEvent, pair_events};
pub use evidence::{Evidence, EvidenceGap, GAP_KINDS};
pub use html::render_html;
pub use model::{ModelUsed, Report, ThresholdsUsed};
pub use pdf::{DEFAULT_FONT_DIR, ReportFonts, render_pdf, render_pdf_with_fonts};
pub use review::{Review, decision_text};
pub use score::{DeductionLine, FULL_SCORE, Score, focus_lost_count, score};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "cannot read the report font {path}: {source}. Install fonts-dejavu-core or pass another font directory."
    )]
    FontRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the report font {path} is not a TrueType font printpdf can embed")]
    FontParse { path: PathBuf },
    #[error("cannot serialise the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}
