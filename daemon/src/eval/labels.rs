//! The labelled-set format (`labels.jsonl`, one JSON object per image), as described in
//! `../shared/media/eval/README.md`, so a test centre can label frames of its own kiosks
//! in the same format and check the verdicts before going live.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A proctoring signal the labels can ask for. `Earbuds` has no COCO class: it is scored
/// only when a configured model can see it, otherwise reported as unsupported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Phone,
    Notes,
    Device,
    Person,
    Earbuds,
}

impl Signal {
    pub const ALL: [Signal; 5] = [
        Signal::Phone,
        Signal::Notes,
        Signal::Device,
        Signal::Person,
        Signal::Earbuds,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Signal::Phone => "phone",
            Signal::Notes => "notes",
            Signal::Device => "device",
            Signal::Person => "person",
            Signal::Earbuds => "earbuds",
        }
    }
}

/// Expected face count: exact, or an inclusive range (crowds are hard to count exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FaceCount {
    Exactly(u32),
    Between([u32; 2]),
}

impl FaceCount {
    pub fn accepts(&self, n: u32) -> bool {
        match *self {
            FaceCount::Exactly(e) => n == e,
            FaceCount::Between([lo, hi]) => (lo..=hi).contains(&n),
        }
    }

    /// The scene has nobody in it.
    pub fn is_empty_scene(&self) -> bool {
        matches!(*self, FaceCount::Exactly(0) | FaceCount::Between([0, 0]))
    }
}

/// One labelled image. Unknown keys are ignored so that labels can carry notes.
#[derive(Clone, Debug, Deserialize)]
pub struct LabelledImage {
    /// Relative to the labels file's folder.
    pub image: PathBuf,
    #[serde(default)]
    pub faces: Option<FaceCount>,
    /// The candidate (the largest face) looks away from the screen.
    #[serde(default)]
    pub looking_away: Option<bool>,
    #[serde(default)]
    pub present: Vec<Signal>,
    #[serde(default)]
    pub absent: Vec<Signal>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("cannot read the labels file {path}: {source}. Pass a labels.jsonl with --labels.")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: not a label line ({reason}). Each line is one JSON object such as \
         {{\"image\": \"a.jpg\", \"faces\": 1, \"looking_away\": false, \"present\": [\"phone\"], \"absent\": []}}."
    )]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path}: no labelled images in it.")]
    Empty { path: PathBuf },
}

/// Reads every line (blank lines and lines starting with `#` are skipped) and resolves
/// image paths against the file's folder.
pub fn load(path: &Path) -> Result<Vec<LabelledImage>, LabelsError> {
    let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let images = parse(&text, base).map_err(|(line, reason)| LabelsError::Line {
        path: path.to_owned(),
        line,
        reason,
    })?;
    if images.is_empty() {
        return Err(LabelsError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(images)
}

/// Parses label lines; an error carries the 1-based line number.
pub fn parse(text: &str, base: &Path) -> Result<Vec<LabelledImage>, (usize, String)> {
    let mut images = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut item: LabelledImage =
            serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        if let Some(clash) = item.present.iter().find(|s| item.absent.contains(s)) {
            return Err((
                i + 1,
                format!("\"{}\" is both present and absent", clash.as_str()),
            ));
        }
        item.image = base.join(&item.image);
        images.push(item);
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_a_face_range_and_classes_parses_with_its_image_beside_the_file() {
        let items = parse(
            r#"{"image": "a/b.jpg", "faces": [2, 5], "looking_away": null, "present": ["phone"], "absent": ["notes"], "note": "x"}"#,
            Path::new("/eval"),
        )
        .unwrap();
        assert_eq!(items[0].image, Path::new("/eval/a/b.jpg"));
        assert!(items[0].faces.unwrap().accepts(3));
        assert!(!items[0].faces.unwrap().accepts(6));
        assert_eq!(items[0].present, vec![Signal::Phone]);
        assert_eq!(items[0].looking_away, None);
    }

    #[test]
    fn a_class_both_present_and_absent_is_refused_with_its_line_number() {
        let err = parse(
            "\n{\"image\": \"a.jpg\", \"present\": [\"phone\"], \"absent\": [\"phone\"]}",
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("phone"));
    }

    #[test]
    fn an_unknown_class_is_an_error_not_silently_ignored() {
        assert!(parse(r#"{"image": "a.jpg", "present": ["pen"]}"#, Path::new(".")).is_err());
    }
}
