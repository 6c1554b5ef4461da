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

/// Labels of the SSD model: class id `c` is line `c + 1` (line 0 is "???").
#[derive(Clone, Debug)]
pub struct LabelMap {
    lines: Vec<String>,
    /// Proctoring class per line, resolved once.
    classes: Vec<Option<ObjectClass>>,
}

impl LabelMap {
    pub fn load(path: &Path) -> std::io::Result<LabelMap> {
        Ok(LabelMap::parse(&std::fs::read_to_string(path)?))
    }

    pub fn parse(text: &str) -> LabelMap {
        let lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
        let classes = lines.iter().map(|l| proctoring_class(l)).collect();
        LabelMap { lines, classes }
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
        let line = class_id + 1;
        Some((self.lines.get(line)?.as_str(), (*self.classes.get(line)?)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coco_ids_map_to_proctoring_classes_with_the_header_line_skipped() {
        let m = LabelMap::parse("???\nperson\nbicycle\n");
        assert_eq!(m.lookup(0), Some(("person", ObjectClass::Person)));
        assert_eq!(m.lookup(1), None, "bicycle is not a proctoring class");
        assert_eq!(m.lookup(99), None);
    }
}
