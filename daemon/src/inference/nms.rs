//! Class-aware non-maximum suppression: of boxes with the same label overlapping more
//! than a threshold, only the highest-scoring one stays. Used inside one YOLO pass and
//! to merge the full-frame and hands-and-desk passes.

use crate::detections::DetectedObject;

/// Keeps, per label, the best of every group of boxes overlapping by more than `iou`;
/// the result is ordered by descending score and holds at most `max` boxes.
pub fn class_aware_nms(
    mut objects: Vec<DetectedObject>,
    iou: f32,
    max: usize,
) -> Vec<DetectedObject> {
    class_aware_nms_in_place(&mut objects, iou, max);
    objects
}

/// As `class_aware_nms`, in `objects` itself (no second list per frame).
pub fn class_aware_nms_in_place(objects: &mut Vec<DetectedObject>, iou: f32, max: usize) {
    objects.sort_by(|a, b| b.score.total_cmp(&a.score));
    // `objects[..kept]` are the survivors so far, best first; every box is judged
    // against them only, as if they were a list of their own.
    let mut kept = 0;
    for i in 0..objects.len() {
        if kept == max {
            break;
        }
        let o = &objects[i];
        let suppressed = objects[..kept]
            .iter()
            .any(|k| k.label == o.label && k.bbox.iou(&o.bbox) > iou);
        if !suppressed {
            objects.swap(kept, i);
            kept += 1;
        }
    }
    objects.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::{BBox, ObjectClass};

    fn obj(label: &str, class: ObjectClass, score: f32, b: [f32; 4]) -> DetectedObject {
        DetectedObject {
            class,
            label: label.into(),
            score,
            bbox: BBox::from(b),
        }
    }

    #[test]
    fn overlapping_boxes_of_one_label_collapse_to_the_best_and_other_labels_survive() {
        let phone = |s, b| obj("cell phone", ObjectClass::Phone, s, b);
        let kept = class_aware_nms(
            vec![
                phone(0.6, [0.10, 0.10, 0.30, 0.30]),
                phone(0.9, [0.11, 0.10, 0.31, 0.30]),
                // Same place, another label: a book held where the phone is stays.
                obj("book", ObjectClass::Notes, 0.5, [0.10, 0.10, 0.30, 0.30]),
                // A second phone elsewhere stays.
                phone(0.5, [0.60, 0.60, 0.80, 0.80]),
            ],
            0.5,
            10,
        );
        let scores: Vec<f32> = kept.iter().map(|o| o.score).collect();
        assert_eq!(scores, vec![0.9, 0.5, 0.5]);
        assert_eq!(kept[1].label, "book");
    }

    #[test]
    fn at_most_max_boxes_are_kept() {
        let many = (0..20)
            .map(|i| {
                let x = i as f32 * 0.05;
                obj("person", ObjectClass::Person, 0.5, [x, 0.0, x + 0.01, 0.1])
            })
            .collect();
        assert_eq!(class_aware_nms(many, 0.5, 5).len(), 5);
    }
}
