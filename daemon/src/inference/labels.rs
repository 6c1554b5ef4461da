//! COCO labels and their mapping to proctoring classes.

use std::path::Path;

use crate::detections::ObjectClass;

/// Proctoring class of a COCO label, if it matters to proctoring.
pub fn proctoring_class(label: &str) -> Option<ObjectClass> {
    match label {
        "cell phone" => Some(ObjectClass::Phone),
        "book" => Some(ObjectClass::Notes),
        "laptop" | "tv" | "keyboard" | "mouse" | "remote" => Some(ObjectClass::Device),
        "person" => Some(ObjectClass::Person),
        _ => None,
    }
}

/// How a model's class ids index the label file (`coco_labelmap.txt`: a "???" header
/// line, then the 90 COCO ids with "???" where COCO left an id unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelIds {
    /// SSD (COCO-90 ids): class id `c` is line `c + 1`.
    AfterHeader,
    /// YOLO (COCO-80 ids): class id `c` is the `c`-th line that is not "???", which gives
    /// exactly Ultralytics' 80 names in their order.
    NamedOnly,
}

/// Labels of an object model, resolved to proctoring classes once.
#[derive(Clone, Debug)]
pub struct LabelMap {
    labels: Vec<String>,
    /// Proctoring class per label.
    classes: Vec<Option<ObjectClass>>,
}

const UNUSED: &str = "???";

impl LabelMap {
    pub fn load(path: &Path, ids: LabelIds) -> std::io::Result<LabelMap> {
        Ok(LabelMap::parse(&std::fs::read_to_string(path)?, ids))
    }

    pub fn parse(text: &str, ids: LabelIds) -> LabelMap {
        let lines = text.lines().map(|l| l.trim().to_string());
        let labels: Vec<String> = match ids {
            LabelIds::AfterHeader => lines.skip(1).collect(),
            LabelIds::NamedOnly => lines.filter(|l| l != UNUSED && !l.is_empty()).collect(),
        };
        let classes = labels.iter().map(|l| proctoring_class(l)).collect();
        LabelMap { labels, classes }
    }

    /// Number of class ids the map names.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The proctoring classes some label maps to, each once.
    pub fn classes(&self) -> Vec<ObjectClass> {
        let mut classes: Vec<ObjectClass> = self.classes.iter().flatten().copied().collect();
        classes.sort();
        classes.dedup();
        classes
    }

    /// Label and proctoring class of a model class id.
    pub fn lookup(&self, class_id: usize) -> Option<(&str, ObjectClass)> {
        Some((
            self.labels.get(class_id)?.as_str(),
            (*self.classes.get(class_id)?)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssd_ids_map_to_proctoring_classes_with_the_header_line_skipped() {
        let m = LabelMap::parse("???\nperson\nbicycle\n", LabelIds::AfterHeader);
        assert_eq!(m.lookup(0), Some(("person", ObjectClass::Person)));
        assert_eq!(m.lookup(1), None, "bicycle is not a proctoring class");
        assert_eq!(m.lookup(99), None);
    }

    #[test]
    fn yolo_ids_skip_every_unused_coco_id() {
        let m = LabelMap::parse(
            "???\nperson\nbicycle\n???\nbook\n???\ncell phone\n",
            LabelIds::NamedOnly,
        );
        assert_eq!(m.len(), 4);
        assert_eq!(m.lookup(2), Some(("book", ObjectClass::Notes)));
        assert_eq!(m.lookup(3), Some(("cell phone", ObjectClass::Phone)));
    }

    #[test]
    fn the_shipped_label_map_gives_ultralytics_coco80_ids() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/cache/coco_labelmap.txt"
        ));
        let Ok(m) = LabelMap::load(path, LabelIds::NamedOnly) else {
            panic!("{} missing: run `make models`", path.display());
        };
        // coco80.yaml: person 0, tv 62, laptop 63, cell phone 67, book 73.
        assert_eq!(m.len(), 80);
        assert_eq!(m.lookup(0).unwrap().0, "person");
        assert_eq!(m.lookup(62).unwrap().0, "tv");
        assert_eq!(m.lookup(63).unwrap().0, "laptop");
        assert_eq!(m.lookup(67).unwrap().0, "cell phone");
        assert_eq!(m.lookup(73).unwrap().0, "book");
    }
}
