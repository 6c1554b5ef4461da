//! Ultralytics YOLO exports (YOLOv8n, YOLO11n): one output tensor `[1, 4+C, N]` or
//! `[1, N, 4+C]`, per candidate the box centre x, y, width and height normalised to the
//! model input, then C class scores (no objectness). Int8/uint8 outputs are dequantised
//! with the tensor's own scale and zero point. Decoding takes each candidate's best class,
//! keeps it when the class's proctoring threshold is met, and leaves overlap removal to
//! class-aware NMS (`nms.rs`).

use super::labels::LabelMap;
use super::model::{ElementType, Quantization, TensorInfo};
use super::objects::ClassThresholds;
use super::preprocess::Placement;
use crate::detections::{BBox, DetectedObject};

/// Values before the class scores: centre x, centre y, width, height.
const BOX_VALUES: usize = 4;

/// Where a candidate's values lie in the output tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YoloLayout {
    /// `[1, 4+C, N]`: one row per value (Ultralytics' TFLite export).
    ValuesFirst,
    /// `[1, N, 4+C]`: one row per candidate.
    CandidatesFirst,
}

/// The shape and value encoding of a YOLO output tensor.
#[derive(Clone, Debug)]
pub struct YoloOutput {
    pub layout: YoloLayout,
    pub classes: usize,
    pub candidates: usize,
    /// Real value of each 8-bit code (or `None` for float outputs).
    table: Option<Box<[f32; 256]>>,
    element: ElementType,
}

impl YoloOutput {
    /// Reads the layout from the tensor's shape; `classes` is the label map's size.
    pub fn from_tensor(info: &TensorInfo, classes: usize) -> Result<YoloOutput, String> {
        let values = BOX_VALUES + classes;
        let (layout, candidates) = match info.dims.as_slice() {
            [1, a, b] if *a as usize == values => (YoloLayout::ValuesFirst, *b as usize),
            [1, a, b] if *b as usize == values => (YoloLayout::CandidatesFirst, *a as usize),
            dims => {
                return Err(format!(
                    "a YOLO output must be [1, {values}, N] or [1, N, {values}] for {classes} labels, got {dims:?}"
                ));
            }
        };
        let table = match info.element_type {
            ElementType::Float32 => None,
            ElementType::Int8 | ElementType::UInt8 => {
                let q = info
                    .quantization
                    .ok_or("a quantised YOLO output without quantisation parameters".to_string())?;
                Some(dequantisation_table(info.element_type, q))
            }
            other => {
                return Err(format!(
                    "YOLO output element type {other:?} is not supported"
                ));
            }
        };
        Ok(YoloOutput {
            layout,
            classes,
            candidates,
            table,
            element: info.element_type,
        })
    }

    /// Bytes the output holds.
    pub fn bytes(&self) -> usize {
        (BOX_VALUES + self.classes) * self.candidates * self.element.size_bytes()
    }

    /// Real value number `i` (in tensor order) of `raw`.
    #[inline]
    fn value(&self, raw: &[u8], i: usize) -> f32 {
        match &self.table {
            Some(t) => t[raw[i] as usize],
            None => f32::from_ne_bytes(raw[i * 4..i * 4 + 4].try_into().expect("4 bytes")),
        }
    }

    #[inline]
    fn index(&self, value: usize, candidate: usize) -> usize {
        match self.layout {
            YoloLayout::ValuesFirst => value * self.candidates + candidate,
            YoloLayout::CandidatesFirst => candidate * (BOX_VALUES + self.classes) + value,
        }
    }

    /// Appends the candidates whose best class is a proctoring class scoring at least
    /// its threshold; boxes are mapped through `placement` to normalised frame
    /// coordinates. `best` is scratch space reused between frames.
    pub fn decode(
        &self,
        raw: &[u8],
        placement: &Placement,
        labels: &LabelMap,
        thresholds: &ClassThresholds,
        best: &mut Vec<(f32, u16)>,
        out: &mut Vec<DetectedObject>,
    ) {
        assert!(raw.len() >= self.bytes(), "YOLO output buffer too small");
        best.clear();
        best.resize(self.candidates, (f32::MIN, 0));
        // Class-major so that, in the usual [1, 4+C, N] layout, the inner loop walks one
        // contiguous row.
        for c in 0..self.classes {
            for (a, slot) in best.iter_mut().enumerate() {
                let v = self.value(raw, self.index(BOX_VALUES + c, a));
                if v > slot.0 {
                    *slot = (v, c as u16);
                }
            }
        }
        let lowest = thresholds.lowest();
        for (a, &(score, c)) in best.iter().enumerate() {
            if score < lowest {
                continue;
            }
            let Some((label, class)) = labels.lookup(c as usize) else {
                continue;
            };
            if score < thresholds.of(class) {
                continue;
            }
            let [cx, cy, w, h] = [0, 1, 2, 3].map(|v| self.value(raw, self.index(v, a)));
            let (x0, y0) = placement.to_frame(cx - w / 2.0, cy - h / 2.0);
            let (x1, y1) = placement.to_frame(cx + w / 2.0, cy + h / 2.0);
            out.push(DetectedObject {
                class,
                label: label.to_string(),
                score,
                bbox: BBox { x0, y0, x1, y1 }.clamped(),
            });
        }
    }
}

fn dequantisation_table(element: ElementType, q: Quantization) -> Box<[f32; 256]> {
    let mut t = Box::new([0f32; 256]);
    for (code, v) in t.iter_mut().enumerate() {
        let q_value = if element == ElementType::Int8 {
            code as u8 as i8 as f32
        } else {
            code as f32
        };
        *v = q.scale * (q_value - q.zero_point as f32);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::ObjectClass;
    use crate::inference::labels::LabelIds;

    const RECORDED: &str = include_str!("testdata/yolov8n_int8_webcam_149.txt");

    fn coco80() -> LabelMap {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/cache/coco_labelmap.txt"
        );
        LabelMap::load(std::path::Path::new(path), LabelIds::NamedOnly)
            .unwrap_or_else(|e| panic!("{path}: {e} (run `make models`)"))
    }

    fn thresholds(phone: f32) -> ClassThresholds {
        ClassThresholds {
            phone,
            notes: 0.4,
            device: 0.5,
            person: 0.5,
        }
    }

    const WHOLE_INPUT: Placement = Placement {
        pad_x: 0.0,
        pad_y: 0.0,
        content_w: 1.0,
        content_h: 1.0,
    };

    /// Rebuilds the recorded tensor: the zero point everywhere but the kept candidates.
    fn recorded() -> (TensorInfo, Vec<u8>) {
        let mut lines = RECORDED.lines().filter(|l| !l.starts_with('#'));
        let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let (values, n): (usize, usize) = (header[2].parse().unwrap(), header[3].parse().unwrap());
        let q = Quantization {
            scale: header[5].parse().unwrap(),
            zero_point: header[7].parse().unwrap(),
        };
        let mut raw = vec![q.zero_point as i8 as u8; values * n];
        for line in lines {
            let mut codes = line.split_whitespace().map(|v| v.parse::<i32>().unwrap());
            let a = codes.next().unwrap() as usize;
            for (v, code) in codes.enumerate() {
                raw[v * n + a] = code as i8 as u8;
            }
        }
        let info = TensorInfo {
            name: "PartitionedCall:0".into(),
            element_type: ElementType::Int8,
            dims: vec![1, values as i32, n as i32],
            quantization: Some(q),
            bytes: raw.len(),
        };
        (info, raw)
    }

    fn decode(info: &TensorInfo, raw: &[u8], t: ClassThresholds) -> Vec<DetectedObject> {
        let labels = coco80();
        let out = YoloOutput::from_tensor(info, labels.len()).unwrap();
        let (mut best, mut found) = (Vec::new(), Vec::new());
        out.decode(raw, &WHOLE_INPUT, &labels, &t, &mut best, &mut found);
        crate::inference::nms::class_aware_nms(found, 0.5, 50)
    }

    #[test]
    fn the_recorded_yolov8n_output_decodes_to_the_held_phone_and_the_person() {
        let (info, raw) = recorded();
        let found = decode(&info, &raw, thresholds(0.4));
        let phone = found
            .iter()
            .find(|o| o.class == ObjectClass::Phone)
            .unwrap_or_else(|| panic!("no phone in {found:?}"));
        assert_eq!(phone.label, "cell phone");
        // The eval set's box for this phone (labels.jsonl): [0.3504, 0.3133, 0.7105, 0.6289].
        let truth = BBox::from([0.3504, 0.3133, 0.7105, 0.6289]);
        assert!(phone.bbox.iou(&truth) > 0.85, "{:?}", phone.bbox);
        // Code 14 of the int8 output: 0.0039063 × (14 + 128).
        assert!((phone.score - 0.5547).abs() < 1e-3, "{}", phone.score);
        let people: Vec<_> = found
            .iter()
            .filter(|o| o.class == ObjectClass::Person)
            .collect();
        assert_eq!(people.len(), 1, "one person after NMS: {found:?}");
        assert!(
            people[0].bbox.y1 > 0.95,
            "seated, reaching the frame's bottom: {:?}",
            people[0].bbox
        );
        // Nothing else: no proctoring class other than these two is in the picture.
        assert!(found.iter().all(|o| matches!(
            o.class,
            ObjectClass::Phone | ObjectClass::Person | ObjectClass::Device
        )));
    }

    #[test]
    fn a_higher_threshold_drops_the_phone_but_keeps_the_person() {
        let (info, raw) = recorded();
        let found = decode(&info, &raw, thresholds(0.6));
        assert!(
            found.iter().all(|o| o.class != ObjectClass::Phone),
            "{found:?}"
        );
        assert!(found.iter().any(|o| o.class == ObjectClass::Person));
    }

    #[test]
    fn the_candidates_first_layout_decodes_to_the_same_boxes() {
        let (info, raw) = recorded();
        let (values, n) = (info.dims[1] as usize, info.dims[2] as usize);
        let mut transposed = vec![0u8; raw.len()];
        for v in 0..values {
            for a in 0..n {
                transposed[a * values + v] = raw[v * n + a];
            }
        }
        let t_info = TensorInfo {
            dims: vec![1, n as i32, values as i32],
            ..info.clone()
        };
        assert_eq!(
            decode(&t_info, &transposed, thresholds(0.4)),
            decode(&info, &raw, thresholds(0.4))
        );
    }

    #[test]
    fn letterbox_padding_is_taken_out_of_the_boxes() {
        // One float candidate: a box centred in the model input, a confident phone.
        let labels = coco80();
        let n = 2;
        let mut real = vec![0f32; 84 * n];
        for (v, x) in [0.5, 0.5, 0.2, 0.1].iter().enumerate() {
            real[v * n] = *x;
        }
        real[(4 + 67) * n] = 0.9;
        let raw: Vec<u8> = real.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let info = TensorInfo {
            name: "out".into(),
            element_type: ElementType::Float32,
            dims: vec![1, 84, n as i32],
            quantization: None,
            bytes: raw.len(),
        };
        let out = YoloOutput::from_tensor(&info, labels.len()).unwrap();
        // A 640×480 frame letterboxed into 640×640: bars of 80 px above and below.
        let placement = Placement {
            pad_x: 0.0,
            pad_y: 0.125,
            content_w: 1.0,
            content_h: 0.75,
        };
        let (mut best, mut found) = (Vec::new(), Vec::new());
        out.decode(
            &raw,
            &placement,
            &labels,
            &thresholds(0.4),
            &mut best,
            &mut found,
        );
        assert_eq!(found.len(), 1);
        let b = found[0].bbox;
        let expect = [0.4, (0.45 - 0.125) / 0.75, 0.6, (0.55 - 0.125) / 0.75];
        for (got, want) in [b.x0, b.y0, b.x1, b.y1].iter().zip(expect) {
            assert!((got - want).abs() < 1e-5, "{b:?} vs {expect:?}");
        }
    }

    #[test]
    fn an_output_of_the_wrong_shape_is_refused_with_the_shape_expected() {
        let info = TensorInfo {
            name: "out".into(),
            element_type: ElementType::Int8,
            dims: vec![1, 10, 4],
            quantization: Some(Quantization {
                scale: 1.0,
                zero_point: 0,
            }),
            bytes: 40,
        };
        let e = YoloOutput::from_tensor(&info, 80).unwrap_err();
        assert!(e.contains("[1, 84, N]"), "{e}");
    }
}
