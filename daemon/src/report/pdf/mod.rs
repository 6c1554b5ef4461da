//! The report as a PDF (A4, printpdf): summary with the score, a timeline chart drawn
//! with vector operations, and tables of events, deductions, kiosk health, models and
//! thresholds. Text is real text in an embedded DejaVu Sans subset, so it prints
//! anywhere, searches, and extracts (`pdftotext`).

mod canvas;
mod chart;
mod sections;
mod table;

use std::path::Path;
use std::sync::OnceLock;

use printpdf::{Mm, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions};

use super::ReportError;
use super::model::Report;
use canvas::{Canvas, Face, Fonts, PAGE_H_MM, PAGE_W_MM};

/// Where Debian's `fonts-dejavu-core` puts the fonts.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";
const REGULAR_FILE: &str = "DejaVuSans.ttf";
const BOLD_FILE: &str = "DejaVuSans-Bold.ttf";

/// The TrueType fonts a PDF report embeds, parsed (parsing takes longer than laying
/// out a report, so the daemon does it once: [`ReportFonts::system`]).
#[derive(Clone)]
pub struct ReportFonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl ReportFonts {
    /// Reads and parses `DejaVuSans.ttf` and `DejaVuSans-Bold.ttf` from `dir`; without
    /// the bold one, headings use the regular font.
    pub fn from_dir(dir: &Path) -> Result<Self, ReportError> {
        let regular_path = dir.join(REGULAR_FILE);
        let regular = parse_font(&regular_path, &read_font(&regular_path)?)?;
        let bold_path = dir.join(BOLD_FILE);
        let bold = match std::fs::read(&bold_path) {
            Ok(bytes) => parse_font(&bold_path, &bytes)?,
            Err(_) => regular.clone(),
        };
        Ok(Self { regular, bold })
    }

    /// The fonts from `fonts-dejavu-core`, read and parsed on first use, then shared.
    pub fn system() -> Result<&'static Self, ReportError> {
        static SYSTEM: OnceLock<ReportFonts> = OnceLock::new();
        if let Some(fonts) = SYSTEM.get() {
            return Ok(fonts);
        }
        // Two first renders racing both parse; one result is kept. Errors are not kept,
        // so installing the fonts later needs no restart.
        let fonts = Self::from_dir(Path::new(DEFAULT_FONT_DIR))?;
        Ok(SYSTEM.get_or_init(|| fonts))
    }
}

fn read_font(path: &Path) -> Result<Vec<u8>, ReportError> {
    std::fs::read(path).map_err(|source| ReportError::FontRead {
        path: path.to_owned(),
        source,
    })
}

fn parse_font(path: &Path, bytes: &[u8]) -> Result<ParsedFont, ReportError> {
    ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or_else(|| ReportError::FontParse {
        path: path.to_owned(),
    })
}

/// Renders the report with the system's DejaVu fonts.
pub fn render_pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    render_pdf_with_fonts(report, ReportFonts::system()?)
}

pub fn render_pdf_with_fonts(report: &Report, fonts: &ReportFonts) -> Result<Vec<u8>, ReportError> {
    let mut doc = PdfDocument::new(&format!("Exam integrity report – {}", report.candidate));
    let fonts = Fonts {
        regular: Face::new(doc.add_font(&fonts.regular), fonts.regular.clone()),
        bold: Face::new(doc.add_font(&fonts.bold), fonts.bold.clone()),
    };

    let mut canvas = Canvas::new(&fonts);
    sections::draw_report(&mut canvas, report);
    let bodies = canvas.into_pages();

    let count = bodies.len();
    let pages = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut footer = Canvas::new(&fonts);
            sections::draw_footer(&mut footer, report, i + 1, count);
            let mut ops = body;
            ops.extend(footer.into_pages().into_iter().flatten());
            PdfPage::new(Mm(PAGE_W_MM), Mm(PAGE_H_MM), ops)
        })
        .collect();
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new());
    Ok(bytes)
}
