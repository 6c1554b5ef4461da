//! Counting what the per-frame judgement got right against the labels, and the figures a
//! test centre reads: precision/recall per signal, looking-away accuracy, face counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use super::labels::{LabelledImage, Signal};
use crate::rules::Attention;

/// What the daemon's per-frame judgement said about one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// Faces the rules count (inside the seat zone).
    pub faces: u32,
    /// The rules' attention verdict on the candidate.
    pub attention: Attention,
    /// Signals the object detector reported above their thresholds.
    pub seen: BTreeSet<Signal>,
}

/// Confusion counts of one binary signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    pub true_positives: u32,
    pub false_positives: u32,
    pub false_negatives: u32,
    pub true_negatives: u32,
}

impl Tally {
    fn add(&mut self, expected: bool, got: bool) {
        match (expected, got) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        if p + r == 0.0 {
            Some(0.0)
        } else {
            Some(2.0 * p * r / (p + r))
        }
    }
    pub fn labelled(&self) -> u32 {
        self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
    }
}

fn ratio(num: u32, den: u32) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

#[derive(Clone, Debug, Serialize)]
pub struct SignalFigures {
    pub signal: &'static str,
    /// False when no configured model can report this signal: not scored.
    pub supported: bool,
    #[serde(flatten)]
    pub tally: Tally,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LookingAwayFigures {
    /// Images labelled looking away (true) or not (false).
    pub labelled: u32,
    pub correct: u32,
    pub accuracy: Option<f64>,
    /// Images labelled as facing the screen, and how many of them were called away.
    pub facing: u32,
    pub facing_called_away: u32,
    pub facing_called_away_share: Option<f64>,
    /// Images labelled looking away, and how many of them were caught.
    pub away: u32,
    pub away_caught: u32,
    /// Labelled images where no candidate was found at all (judged absent): wrong either way.
    pub candidate_missed: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FaceFigures {
    pub labelled: u32,
    pub right: u32,
    pub accuracy: Option<f64>,
    /// Images labelled with no one in them, and how many got a face anyway.
    pub empty_scenes: u32,
    pub empty_scenes_with_faces: u32,
}

/// One wrong judgement, to look at.
#[derive(Clone, Debug, Serialize)]
pub struct Miss {
    pub image: PathBuf,
    pub what: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceFigures {
    pub source: String,
    pub images: u32,
    pub images_wrong: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    pub images: u32,
    pub signals: Vec<SignalFigures>,
    pub looking_away: LookingAwayFigures,
    pub faces: FaceFigures,
    pub by_source: Vec<SourceFigures>,
    pub wrong: Vec<Miss>,
}

impl EvalReport {
    pub fn signal(&self, s: Signal) -> &SignalFigures {
        self.signals
            .iter()
            .find(|f| f.signal == s.as_str())
            .expect("every signal has figures")
    }
}

/// Accumulates judgements image by image.
pub struct Scorer {
    supported: BTreeSet<Signal>,
    tallies: BTreeMap<Signal, Tally>,
    looking_away: LookingAwayFigures,
    faces: FaceFigures,
    sources: BTreeMap<String, (u32, u32)>,
    wrong: Vec<Miss>,
    images: u32,
}

impl Scorer {
    /// `supported`: the signals some configured model can report.
    pub fn new(supported: BTreeSet<Signal>) -> Scorer {
        Scorer {
            supported,
            tallies: BTreeMap::new(),
            looking_away: LookingAwayFigures::default(),
            faces: FaceFigures::default(),
            sources: BTreeMap::new(),
            wrong: Vec::new(),
            images: 0,
        }
    }

    pub fn add(&mut self, label: &LabelledImage, got: &Judgement) {
        self.images += 1;
        let mut misses = Vec::new();
        for (signals, expected) in [(&label.present, true), (&label.absent, false)] {
            for &s in signals {
                if !self.supported.contains(&s) {
                    continue;
                }
                let seen = got.seen.contains(&s);
                self.tallies.entry(s).or_default().add(expected, seen);
                if seen != expected {
                    misses.push(if expected {
                        format!("{} missed", s.as_str())
                    } else {
                        format!("false {}", s.as_str())
                    });
                }
            }
        }
        if let Some(away) = label.looking_away {
            let la = &mut self.looking_away;
            la.labelled += 1;
            let judged_away = matches!(got.attention, Attention::LookingAway | Attention::EyesAway);
            let right = match (away, got.attention) {
                (true, Attention::LookingAway | Attention::EyesAway)
                | (false, Attention::Facing) => true,
                (_, Attention::Absent) => {
                    la.candidate_missed += 1;
                    false
                }
                _ => false,
            };
            la.correct += u32::from(right);
            if away {
                la.away += 1;
                la.away_caught += u32::from(judged_away);
            } else {
                la.facing += 1;
                la.facing_called_away += u32::from(judged_away);
            }
            if !right {
                misses.push(format!(
                    "labelled {}, judged {}",
                    if away { "looking away" } else { "facing" },
                    got.attention.as_str()
                ));
            }
        }
        if let Some(expected) = label.faces {
            self.faces.labelled += 1;
            let right = expected.accepts(got.faces);
            self.faces.right += u32::from(right);
            if expected.is_empty_scene() {
                self.faces.empty_scenes += 1;
                self.faces.empty_scenes_with_faces += u32::from(got.faces > 0);
            }
            if !right {
                misses.push(format!("{} face(s), expected {expected:?}", got.faces));
            }
        }
        let source = label.source.clone().unwrap_or_else(|| "unnamed".into());
        let entry = self.sources.entry(source).or_default();
        entry.0 += 1;
        entry.1 += u32::from(!misses.is_empty());
        if !misses.is_empty() {
            self.wrong.push(Miss {
                image: label.image.clone(),
                what: misses.join("; "),
            });
        }
    }

    pub fn finish(self) -> EvalReport {
        let signals = Signal::ALL
            .iter()
            .map(|&s| {
                let tally = self.tallies.get(&s).copied().unwrap_or_default();
                SignalFigures {
                    signal: s.as_str(),
                    supported: self.supported.contains(&s),
                    tally,
                    precision: tally.precision(),
                    recall: tally.recall(),
                    f1: tally.f1(),
                }
            })
            .collect();
        let mut looking_away = self.looking_away;
        looking_away.accuracy = ratio(looking_away.correct, looking_away.labelled);
        looking_away.facing_called_away_share =
            ratio(looking_away.facing_called_away, looking_away.facing);
        let mut faces = self.faces;
        faces.accuracy = ratio(faces.right, faces.labelled);
        EvalReport {
            images: self.images,
            signals,
            looking_away,
            faces,
            by_source: self
                .sources
                .into_iter()
                .map(|(source, (images, images_wrong))| SourceFigures {
                    source,
                    images,
                    images_wrong,
                })
                .collect(),
            wrong: self.wrong,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::parse;
    use std::path::Path;

    fn judged(faces: u32, attention: Attention, seen: &[Signal]) -> Judgement {
        Judgement {
            faces,
            attention,
            seen: seen.iter().copied().collect(),
        }
    }

    fn labels(text: &str) -> Vec<LabelledImage> {
        parse(text, Path::new(".")).unwrap()
    }

    #[test]
    fn a_phone_seen_where_none_is_lowers_precision_and_one_missed_lowers_recall() {
        let l = labels(
            r#"{"image": "1.jpg", "present": ["phone"]}
{"image": "2.jpg", "present": ["phone"]}
{"image": "3.jpg", "absent": ["phone"]}
{"image": "4.jpg", "absent": ["phone"]}"#,
        );
        let mut s = Scorer::new([Signal::Phone].into());
        s.add(&l[0], &judged(1, Attention::Facing, &[Signal::Phone]));
        s.add(&l[1], &judged(1, Attention::Facing, &[]));
        s.add(&l[2], &judged(1, Attention::Facing, &[Signal::Phone]));
        s.add(&l[3], &judged(1, Attention::Facing, &[]));
        let r = s.finish();
        let phone = r.signal(Signal::Phone);
        assert_eq!(phone.precision, Some(0.5));
        assert_eq!(phone.recall, Some(0.5));
        assert_eq!(r.wrong.len(), 2);
        assert!(r.wrong[0].what.contains("phone missed"));
        assert!(r.wrong[1].what.contains("false phone"));
    }

    #[test]
    fn a_signal_no_model_reports_is_unsupported_and_not_counted() {
        let l = labels(r#"{"image": "1.jpg", "present": ["earbuds"]}"#);
        let mut s = Scorer::new([Signal::Phone].into());
        s.add(&l[0], &judged(1, Attention::Facing, &[]));
        let r = s.finish();
        let e = r.signal(Signal::Earbuds);
        assert!(!e.supported);
        assert_eq!(e.tally.labelled(), 0);
        assert!(r.wrong.is_empty());
    }

    #[test]
    fn a_frontal_face_called_away_counts_against_accuracy_and_the_frontal_share() {
        let l = labels(
            r#"{"image": "1.jpg", "looking_away": false}
{"image": "2.jpg", "looking_away": false}
{"image": "3.jpg", "looking_away": true}
{"image": "4.jpg", "looking_away": true}"#,
        );
        let mut s = Scorer::new(BTreeSet::new());
        s.add(&l[0], &judged(1, Attention::LookingAway, &[]));
        s.add(&l[1], &judged(1, Attention::Facing, &[]));
        s.add(&l[2], &judged(1, Attention::LookingAway, &[]));
        s.add(&l[3], &judged(0, Attention::Absent, &[]));
        let r = s.finish();
        assert_eq!(r.looking_away.accuracy, Some(0.5));
        assert_eq!(r.looking_away.facing_called_away_share, Some(0.5));
        assert_eq!(r.looking_away.candidate_missed, 1);
        assert_eq!(r.looking_away.away_caught, 1);
    }

    #[test]
    fn a_face_on_an_empty_scene_is_a_false_face() {
        let l = labels(
            r#"{"image": "1.jpg", "faces": 0}
{"image": "2.jpg", "faces": [2, 5]}"#,
        );
        let mut s = Scorer::new(BTreeSet::new());
        s.add(&l[0], &judged(1, Attention::Facing, &[]));
        s.add(&l[1], &judged(3, Attention::Facing, &[]));
        let r = s.finish();
        assert_eq!(r.faces.accuracy, Some(0.5));
        assert_eq!(r.faces.empty_scenes_with_faces, 1);
    }
}
