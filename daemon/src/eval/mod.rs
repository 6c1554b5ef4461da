//! `proctord eval`: the daemon's per-frame judgement measured against labelled images.
//!
//! Each image is a still, judged on its own (no tracking carried over from the previous
//! image), by the same detector and the same rule functions the daemon applies to every
//! analysed frame: which signals the object detector reports above their thresholds, how
//! many faces the rules count (inside the seat zone), and the attention verdict on the
//! candidate. Only the timing (how long a condition must hold) is left out, since a
//! still has no duration.

pub mod labels;
pub mod render;
pub mod score;

use std::collections::BTreeSet;

use crate::capture::{CaptureError, load_still};
use crate::config::Config;
use crate::detections::ObjectClass;
use crate::inference::{FrameDetector, InferenceError};
use crate::rules;

pub use labels::{LabelledImage, Signal};
pub use score::{EvalReport, Judgement, Scorer};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Image(#[from] CaptureError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

/// The signal an object class reports.
pub fn signal_of(class: ObjectClass) -> Signal {
    match class {
        ObjectClass::Phone => Signal::Phone,
        ObjectClass::Notes => Signal::Notes,
        ObjectClass::Device => Signal::Device,
        ObjectClass::Person => Signal::Person,
    }
}

/// Judges one labelled image as the daemon would judge the frame.
pub fn judge(
    detector: &mut dyn FrameDetector,
    cfg: &Config,
    image: &LabelledImage,
) -> Result<Judgement, EvalError> {
    let frame = load_still(&image.image)?;
    detector.forget_tracks();
    let mut d = detector.detect(&frame, true)?;
    rules::mark_faces(&mut d.faces, &cfg.rules);
    let objects = d.objects.as_deref().unwrap_or(&[]);
    let person = rules::person_in_seat(objects, &cfg.rules);
    Ok(Judgement {
        faces: rules::seat_faces(&d.faces, &cfg.rules).count() as u32,
        attention: rules::attention(&d.faces, person, &cfg.rules),
        seen: objects.iter().map(|o| signal_of(o.class)).collect(),
    })
}

/// Judges every image and scores the lot. `progress` is called after each image.
pub fn evaluate(
    detector: &mut dyn FrameDetector,
    cfg: &Config,
    images: &[LabelledImage],
    mut progress: impl FnMut(usize, &LabelledImage),
) -> Result<EvalReport, EvalError> {
    let supported: BTreeSet<Signal> = detector
        .object_classes()
        .into_iter()
        .map(signal_of)
        .collect();
    let mut scorer = Scorer::new(supported);
    for (i, image) in images.iter().enumerate() {
        let judgement = judge(detector, cfg, image)?;
        scorer.add(image, &judgement);
        progress(i + 1, image);
    }
    Ok(scorer.finish())
}
